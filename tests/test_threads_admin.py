"""The admin: staff see every tenant's threads; Clerk users who are not staff cannot get in."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from threads.history import append_message
from threads.models import Thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-for-tests")
    client.force_login(admin)
    return client


def make_thread(owner: str, org: str | None = None, title: str = "", messages: int = 0) -> Thread:
    thread = Thread.all_tenants.create(owner_id=owner, org_id=org, title=title)
    for i in range(messages):
        append_message(thread, message_id=f"m{i}", content={"role": "user", "parts": [{"type": "text", "text": f"hello {i}"}]})
    return thread


def test_superuser_sees_every_tenants_threads(staff_client):
    make_thread("user_alice", title="alice personal")
    make_thread("user_bob", "org_acme", title="bob at acme", messages=3)
    response = staff_client.get("/admin/threads/thread/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "alice personal" in body and "bob at acme" in body
    assert "org_acme" in body and "user_bob" in body


def test_changelist_filters_by_status_and_organization(staff_client):
    make_thread("user_alice", title="personal one")
    make_thread("user_bob", "org_acme", title="acme one")
    archived = make_thread("user_carol", "org_acme", title="acme archived")
    archived.status = "archived"
    archived.save()
    body = staff_client.get("/admin/threads/thread/?org=org_acme").content.decode()
    assert "acme one" in body and "personal one" not in body
    body = staff_client.get("/admin/threads/thread/?org=__personal__").content.decode()
    assert "personal one" in body and "acme one" not in body
    body = staff_client.get("/admin/threads/thread/?status__exact=archived").content.decode()
    assert "acme archived" in body and "acme one" not in body


@pytest.mark.parametrize("field", ["title", "owner", "external", "id"])
def test_changelist_searches_title_owner_external_id_and_id(staff_client, field):
    target = Thread.all_tenants.create(owner_id="user_needle", title="needle title", external_id="local-needle")
    make_thread("user_other", title="other")
    term = {"title": "needle title", "owner": "user_needle", "external": "local-needle", "id": target.id}[field]
    body = staff_client.get("/admin/threads/thread/", {"q": term}).content.decode()
    assert "needle title" in body and ">other<" not in body


def test_thread_page_shows_messages_inline_read_only_with_a_preview(staff_client):
    thread = make_thread("user_alice", title="with messages", messages=2)
    body = staff_client.get(f"/admin/threads/thread/{thread.pk}/change/").content.decode()
    assert "hello 0" in body and "hello 1" in body
    assert 'name="messages-0-content"' not in body


def test_archive_and_unarchive_actions(staff_client):
    one, two = make_thread("user_a"), make_thread("user_b", "org_x")
    response = staff_client.post("/admin/threads/thread/", {"action": "archive", "_selected_action": [one.pk, two.pk]})
    assert response.status_code == 302
    assert set(Thread.all_tenants.values_list("status", flat=True)) == {"archived"}
    staff_client.post("/admin/threads/thread/", {"action": "unarchive", "_selected_action": [one.pk]})
    assert Thread.all_tenants.get(pk=one.pk).status == "regular"


def test_changelist_runs_a_constant_number_of_queries(staff_client):
    for i in range(5):
        make_thread(f"user_{i}", messages=1)
    with CaptureQueriesContext(connection) as few:
        staff_client.get("/admin/threads/thread/")
    for i in range(95):
        make_thread(f"user_{i}", f"org_{i % 7}", messages=2)
    with CaptureQueriesContext(connection) as many:
        response = staff_client.get("/admin/threads/thread/")
    assert response.status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many]


def test_clerk_user_who_is_not_staff_cannot_reach_the_admin(client, tokens):
    make_thread("user_alice", title="secret")
    client.cookies["__session"] = tokens.token(user_id="user_alice")
    response = client.get("/admin/threads/thread/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert client.get("/admin/").status_code == 302


def test_clerk_bearer_user_who_is_not_staff_cannot_reach_the_admin(client, bearer):
    response = client.get("/admin/threads/thread/", **bearer(user_id="user_alice"))
    assert response.status_code == 302
