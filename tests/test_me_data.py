"""The caller's own data: GET /api/me/export (all of it, as one document) and DELETE /api/me (all of it, gone)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import DeletedClerkUser
from threads.models import Message, Thread

from .api import assistant_message, user_message

pytestmark = pytest.mark.django_db

User = get_user_model()

CONFIRM = {"confirm": "delete my data"}


@pytest.fixture
def ada(api):
    """Ada with a personal thread (two messages) and a thread in Acme (one message); Bob with one in Acme."""
    personal = api("user_ada")
    at_acme = api("user_ada", org=("org_acme", "acme", "member"))
    bob = api("user_bob", org=("org_acme", "acme", "admin"))
    tid = personal.new_thread(external_id="local-1", title="Trip")["id"]
    personal.post(f"/api/threads/{tid}/messages", user_message("m1", "Hello"))
    personal.post(f"/api/threads/{tid}/messages", assistant_message("m2", "Hi!", "m1"))
    acme_tid = at_acme.new_thread(title="Roadmap")["id"]
    at_acme.post(f"/api/threads/{acme_tid}/messages", user_message("a1", "Plan"))
    bobs = bob.new_thread(title="Bob's secret")["id"]
    bob.post(f"/api/threads/{bobs}/messages", user_message("b1", "bob only"))
    return personal


# --- GET /api/me/export ---------------------------------------------------------------------------------------------

def test_export_is_one_json_attachment_of_every_thread_in_every_workspace(ada):
    response = ada.get("/api/me/export")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="chatsite-export-')
    assert response["Cache-Control"] == "no-store"
    document = response.json()
    assert document["format"] == "chatsite-export/1"
    assert document["user"]["id"] == "user_ada"
    assert [(t["title"], t["org_id"]) for t in document["threads"]] == [("Trip", None), ("Roadmap", "org_acme")]
    trip = document["threads"][0]
    assert trip["external_id"] == "local-1"
    history = [(m["id"], m["parent_id"], m["role"]) for m in trip["messages"]]
    assert history == [("m1", None, "user"), ("m2", "m1", "assistant")]
    assert trip["messages"][1]["content"]["parts"] == [{"type": "text", "text": "Hi!"}]


def test_export_never_includes_another_users_rows(ada):
    body = ada.get("/api/me/export").content.decode()
    assert "Bob's secret" not in body and "bob only" not in body and "user_bob" not in body


def test_export_includes_the_profile_kept_here(ada):
    User.objects.filter(clerk_id="user_ada").update(email="ada@example.org", first_name="Ada", image_url="https://i/a")
    user = ada.get("/api/me/export").json()["user"]
    assert (user["email"], user["first_name"], user["last_name"], user["image_url"]) == (
        "ada@example.org", "Ada", "", "https://i/a")
    assert user["date_joined"] is not None


def test_export_of_someone_with_nothing_is_empty_and_creates_nothing(api):
    document = api("user_new").get("/api/me/export").json()
    assert document["threads"] == []
    assert document["user"] == {"id": "user_new", "email": "", "first_name": "", "last_name": "", "image_url": "",
                                "date_joined": None}
    assert not User.objects.exists()


def test_export_runs_a_constant_number_of_queries(ada):
    with CaptureQueriesContext(connection) as few:
        ada.get("/api/me/export")
    for i in range(5):
        tid = ada.new_thread(title=f"more {i}")["id"]
        for j in range(4):
            ada.post(f"/api/threads/{tid}/messages", user_message(f"x{j}", "more"))
    with CaptureQueriesContext(connection) as many:
        assert len(ada.get("/api/me/export").json()["threads"]) == 7
    assert len(few) == len(many) == 3


def test_export_without_credentials_is_401(client):
    response = client.get("/api/me/export")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_export_is_get_only(ada):
    assert ada.post("/api/me/export", {}).status_code == 405


# --- DELETE /api/me -------------------------------------------------------------------------------------------------

def test_delete_with_confirmation_erases_every_thread_and_the_user_row(ada):
    assert User.objects.filter(clerk_id="user_ada").exists()
    response = ada.delete("/api/me", body=CONFIRM)
    assert response.status_code == 204
    assert list(Thread.all_tenants.values_list("owner_id", flat=True)) == ["user_bob"]
    assert list(Message.all_tenants.values_list("message_id", flat=True)) == ["b1"]
    assert not User.objects.filter(clerk_id="user_ada").exists()
    assert ada.get("/api/me/export").json()["threads"] == []


def test_delete_keeps_the_clerk_account_usable(ada):
    ada.delete("/api/me", body=CONFIRM)
    assert not DeletedClerkUser.objects.exists()
    assert ada.post("/api/threads", {"title": "fresh start"}).status_code == 201


def test_delete_twice_is_harmless(ada):
    assert ada.delete("/api/me", body=CONFIRM).status_code == 204
    assert ada.delete("/api/me", body=CONFIRM).status_code == 204


@pytest.mark.parametrize("body, errors", [
    (None, {"confirm": ["This field is required."]}),
    ({}, {"confirm": ["This field is required."]}),
    ({"confirm": "yes"}, {"confirm": ['Send "delete my data" to confirm.']}),
    ({"confirm": "DELETE MY DATA"}, {"confirm": ['Send "delete my data" to confirm.']}),
    ({"confirm": True}, {"confirm": ["Not a valid string."]}),
    (["delete my data"], {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
])
def test_delete_without_the_explicit_confirmation_is_400_and_erases_nothing(ada, body, errors):
    response = ada.delete("/api/me", body=body)
    assert response.status_code == 400
    assert response.json() == errors
    assert Thread.all_tenants.filter(owner_id="user_ada").count() == 2


def test_delete_with_malformed_json_is_400(ada):
    response = ada.delete("/api/me", raw=b'{"confirm": ')
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")
    assert Thread.all_tenants.filter(owner_id="user_ada").count() == 2


def test_delete_without_credentials_is_401(client, ada):
    response = client.delete("/api/me", json.dumps(CONFIRM), content_type="application/json")
    assert response.status_code == 401
    assert Thread.all_tenants.count() == 3


def test_delete_from_a_foreign_origin_with_the_cookie_is_403(client, tokens, ada):
    client.cookies["__session"] = tokens.token(user_id="user_ada")
    response = client.delete("/api/me", json.dumps(CONFIRM), content_type="application/json",
                             HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403
    assert Thread.all_tenants.filter(owner_id="user_ada").count() == 2


def test_get_me_still_answers_the_identity(api):
    response = api("user_ada", org=("org_acme", "acme", "admin")).get("/api/me")
    assert response.json() == {"userId": "user_ada", "sessionId": "sess_user_ada", "orgId": "org_acme",
                               "orgSlug": "acme", "orgRole": "org:admin", "orgPermissions": []}


def test_schema_describes_the_account_routes(client):
    paths = client.get("/api/schema", HTTP_ACCEPT="application/json").json()["paths"]
    assert set(paths["/api/me"]) >= {"get", "delete"}
    assert "get" in paths["/api/me/export"]


def test_delete_while_impersonating_is_refused_and_erases_nothing(ada, client, tokens):
    token = tokens.token(user_id="user_ada", act={"sub": "user_support_agent"})
    response = client.delete("/api/me", json.dumps(CONFIRM), content_type="application/json",
                             HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 403
    assert response.json() == {"detail": "Not allowed while impersonating a user."}
    assert Thread.all_tenants.filter(owner_id="user_ada").count() == 2
