"""POST /api/webhooks/clerk: Svix-signed Clerk events (signed in the test with svix itself), processed once."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from svix.webhooks import Webhook

import webhooks.handlers
from accounts.models import DeletedClerkUser
from threads.history import append_message
from threads.models import Message, Thread
from webhooks.checks import check_webhook_configuration
from webhooks.models import WebhookEvent

from .fakes.clerk_api import clerk_user
from .fakes.openai_server import Reply
from .sse import chat_body, parse_events, types

pytestmark = pytest.mark.django_db

User = get_user_model()

SECRET = "whsec_" + base64.b64encode(b"chatsite-test-webhook-secret-new").decode()
OLD_SECRET = "whsec_" + base64.b64encode(b"chatsite-test-webhook-secret-old").decode()
URL = "/api/webhooks/clerk"

_ids = iter(range(1, 1_000_000))


def event(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """Clerk's envelope around `data`."""
    return {"data": data, "object": "event", "type": event_type, "timestamp": 1733300000000, "instance_id": "ins_test"}


def signed_headers(body: bytes, *, msg_id: str, secrets: tuple[str, ...] = (SECRET,),
                   at: datetime | None = None) -> dict[str, str]:
    """Svix's headers for `body`, with one signature per secret (several while Clerk rotates the secret)."""
    at = at or datetime.now(UTC)
    signatures = " ".join(Webhook(secret).sign(msg_id, at, body) for secret in secrets)
    return {"HTTP_SVIX_ID": msg_id, "HTTP_SVIX_TIMESTAMP": str(int(at.timestamp())), "HTTP_SVIX_SIGNATURE": signatures}


def deliver(client: Client, payload: dict | bytes, *, msg_id: str | None = None, **signing: Any):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    msg_id = msg_id or f"msg_test{next(_ids)}"
    return client.post(URL, body, content_type="application/json", **signed_headers(body, msg_id=msg_id, **signing))


@pytest.fixture(autouse=True)
def secret(settings):
    settings.CLERK_WEBHOOK_SECRET = SECRET
    return SECRET


def make_thread(owner: str, org: str | None = None, messages: int = 1) -> Thread:
    thread = Thread.all_tenants.create(owner_id=owner, org_id=org)
    for i in range(messages):
        append_message(thread, message_id=f"m{i}", content={"role": "user", "parts": [{"type": "text", "text": "hi"}]})
    return thread


def owners(**filters: Any) -> list[tuple[str, str | None]]:
    pairs = Thread.all_tenants.filter(**filters).values_list("owner_id", "org_id")
    return sorted(pairs, key=lambda pair: (pair[0], pair[1] or ""))


# --- Verification: nothing happens without a valid signature ----------------------------------------------------

def test_without_a_secret_the_endpoint_is_503_and_processes_nothing(client, settings):
    settings.CLERK_WEBHOOK_SECRET = None
    response = deliver(client, event("user.created", clerk_user("user_ada")))
    assert response.status_code == 503
    assert response.json() == {"detail": "Clerk webhooks are not configured on this server."}
    assert not User.objects.exists() and not WebhookEvent.objects.exists()


def test_a_secret_that_is_not_a_svix_secret_is_503(client, settings):
    settings.CLERK_WEBHOOK_SECRET = "sk_live_pasted_the_wrong_key"
    assert deliver(client, event("user.created", clerk_user("user_ada"))).status_code == 503
    assert not User.objects.exists()


def test_missing_signature_headers_are_400(client):
    body = json.dumps(event("user.created", clerk_user("user_ada")))
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert "Invalid webhook signature" in response.json()["detail"]
    assert not User.objects.exists() and not WebhookEvent.objects.exists()


def test_forged_signature_is_400_and_nothing_changes(client):
    make_thread("user_ada")
    forged = "whsec_" + base64.b64encode(b"not-the-endpoint-secret-at-all!!").decode()
    response = deliver(client, event("user.deleted", {"id": "user_ada", "deleted": True}), secrets=(forged,))
    assert response.status_code == 400
    assert owners() == [("user_ada", None)]
    assert not WebhookEvent.objects.exists()


def test_body_changed_after_signing_is_400(client):
    body = json.dumps(event("user.deleted", {"id": "user_bob", "deleted": True})).encode()
    headers = signed_headers(body, msg_id="msg_1")
    make_thread("user_ada")
    tampered = body.replace(b"user_bob", b"user_ada")
    assert client.post(URL, tampered, content_type="application/json", **headers).status_code == 400
    assert owners() == [("user_ada", None)]


def test_stale_timestamp_is_400(client):
    six_minutes_ago = datetime.now(UTC) - timedelta(minutes=6)
    response = deliver(client, event("user.created", clerk_user("user_ada")), at=six_minutes_ago)
    assert response.status_code == 400
    assert "too old" in response.json()["detail"]
    assert not User.objects.exists()


def test_timestamp_from_the_future_is_400(client):
    in_six_minutes = datetime.now(UTC) + timedelta(minutes=6)
    response = deliver(client, event("user.created", clerk_user("user_ada")), at=in_six_minutes)
    assert response.status_code == 400


def test_key_rotation_header_with_old_and_new_signatures_is_accepted(client):
    response = deliver(client, event("user.created", clerk_user("user_ada")), secrets=(OLD_SECRET, SECRET))
    assert response.status_code == 200
    assert User.objects.filter(clerk_id="user_ada").exists()


def test_signature_by_the_rotated_out_secret_alone_is_400(client):
    assert deliver(client, event("user.created", clerk_user("user_ada")), secrets=(OLD_SECRET,)).status_code == 400


def test_malformed_json_with_a_valid_signature_is_400(client):
    response = deliver(client, b'{"type": "user.created", "data": ')
    assert response.status_code == 400
    assert response.json() == {"detail": "The body is not valid JSON."}
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("payload, detail", [
    ([1, 2], "The body is not a JSON object."),
    ({"data": {}}, "The event has no valid type."),
    ({"type": 5, "data": {}}, "The event has no valid type."),
    ({"type": "user.created", "data": "user_ada"}, "The event's data is not an object."),
])
def test_body_that_is_not_a_clerk_event_is_400(client, payload, detail):
    response = deliver(client, payload)
    assert response.status_code == 400
    assert response.json() == {"detail": detail}


def test_oversized_body_is_413_unread(client, settings):
    settings.CLERK_WEBHOOK_MAX_BODY_BYTES = 1024
    response = deliver(client, event("user.created", clerk_user("user_ada", first_name="x" * 2000)))
    assert response.status_code == 413
    assert not User.objects.exists()


def test_get_is_405(client):
    response = client.get(URL)
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_over_long_svix_id_is_400(client):
    assert deliver(client, event("user.created", clerk_user("user_ada")), msg_id="m" * 101).status_code == 400


# --- Replays and failures: processed once, never 200 for work not done --------------------------------------------

def test_replayed_svix_id_is_200_and_processed_once(client):
    first = event("user.updated", clerk_user("user_ada", email="first@example.org"))
    assert deliver(client, first, msg_id="msg_first").json() == {"status": "processed"}
    deliver(client, event("user.updated", clerk_user("user_ada", email="second@example.org")))
    replay = deliver(client, first, msg_id="msg_first")
    assert replay.status_code == 200
    assert replay.json() == {"status": "duplicate"}
    assert User.objects.get(clerk_id="user_ada").email == "second@example.org"
    assert WebhookEvent.objects.get(svix_id="msg_first").attempts == 1


def test_failing_handler_is_500_recorded_then_the_retry_succeeds(client, monkeypatch, caplog):
    real = webhooks.handlers.HANDLERS["user.deleted"]
    calls = []

    def flaky(data):
        calls.append(data["id"])
        if len(calls) == 1:
            raise RuntimeError("database went away")
        real(data)

    monkeypatch.setitem(webhooks.handlers.HANDLERS, "user.deleted", flaky)
    make_thread("user_ada")
    payload = event("user.deleted", {"id": "user_ada", "deleted": True, "object": "user"})
    with caplog.at_level(logging.ERROR, logger="webhooks"):
        failed = deliver(client, payload, msg_id="msg_retry")
    assert failed.status_code == 500
    assert failed.json() == {"detail": "The event could not be processed; it will be retried."}
    record = WebhookEvent.objects.get(svix_id="msg_retry")
    assert (record.outcome, record.error, record.processed_at) == ("failed", "RuntimeError: database went away", None)
    assert owners() == [("user_ada", None)]
    assert "failed; Svix will retry it" in caplog.text

    retried = deliver(client, payload, msg_id="msg_retry")
    assert retried.json() == {"status": "processed"}
    record.refresh_from_db()
    assert (record.outcome, record.error, record.attempts) == ("processed", "", 2)
    assert record.processed_at is not None
    assert owners() == []


def test_a_failing_handler_leaves_none_of_its_work_behind(client, monkeypatch):
    def half_done(data):
        Thread.all_tenants.filter(owner_id=data["id"]).delete()
        raise RuntimeError("after deleting")

    monkeypatch.setitem(webhooks.handlers.HANDLERS, "user.deleted", half_done)
    make_thread("user_ada")
    assert deliver(client, event("user.deleted", {"id": "user_ada"})).status_code == 500
    assert owners() == [("user_ada", None)]


def test_invalid_data_for_a_known_type_is_400_and_recorded(client):
    response = deliver(client, event("user.deleted", {"deleted": True}), msg_id="msg_bad")
    assert response.status_code == 400
    assert response.json() == {"detail": "data.id is not a Clerk id."}
    assert WebhookEvent.objects.get(svix_id="msg_bad").outcome == "failed"


def test_unknown_type_is_200_ignored_and_logged(client, caplog):
    with caplog.at_level(logging.INFO, logger="webhooks"):
        response = deliver(client, event("session.created", {"id": "sess_1"}), msg_id="msg_session")
    assert response.json() == {"status": "ignored"}
    assert "Ignored a Clerk session.created event" in caplog.text
    record = WebhookEvent.objects.get(svix_id="msg_session")
    assert (record.type, record.subject, record.outcome) == ("session.created", "sess_1", "ignored")


def test_replayed_ignored_event_is_not_looked_at_again(client):
    deliver(client, event("email.created", {"id": "ema_1"}), msg_id="msg_email")
    replay = deliver(client, event("email.created", {"id": "ema_1"}), msg_id="msg_email")
    assert replay.json() == {"status": "duplicate"}


# --- Users ----------------------------------------------------------------------------------------------------------

def test_user_created_stores_email_name_and_image(client):
    assert deliver(client, event("user.created", clerk_user("user_ada"))).status_code == 200
    user = User.objects.get(clerk_id="user_ada")
    assert (user.username, user.email, user.get_full_name()) == ("user_ada", "ada@example.org", "Ada Lovelace")
    assert user.image_url == "https://img.clerk.com/ada.png"
    assert not user.has_usable_password()


def test_user_created_takes_the_primary_email_not_the_first(client):
    data = clerk_user("user_ada", email="primary@example.org")
    other = {**data["email_addresses"][0], "id": "idn_other", "email_address": "other@example.org"}
    data["email_addresses"].insert(0, other)
    deliver(client, event("user.created", data))
    assert User.objects.get(clerk_id="user_ada").email == "primary@example.org"


def test_user_updated_changes_the_existing_row(client):
    User.objects.create(username="user_ada", clerk_id="user_ada", email="old@example.org")
    deliver(client, event("user.updated", clerk_user("user_ada", email="new@example.org", last_name=None)))
    user = User.objects.get(clerk_id="user_ada")
    assert (user.email, user.first_name, user.last_name) == ("new@example.org", "Ada", "")


def test_user_updated_for_an_unknown_user_creates_the_row(client):
    deliver(client, event("user.updated", clerk_user("user_new")))
    assert User.objects.filter(clerk_id="user_new", email="ada@example.org").exists()


def test_user_event_with_an_invalid_id_is_400(client):
    response = deliver(client, event("user.created", clerk_user("../etc/passwd")))
    assert response.status_code == 400
    assert not User.objects.exists()


def test_user_deleted_removes_the_row_and_every_thread_in_every_organization(client):
    deliver(client, event("user.created", clerk_user("user_ada")))
    make_thread("user_ada", messages=2)
    make_thread("user_ada", "org_acme", messages=3)
    make_thread("user_ada", "org_initech")
    make_thread("user_bob", "org_acme")
    response = deliver(client, event("user.deleted", {"id": "user_ada", "deleted": True, "object": "user"}))
    assert response.json() == {"status": "processed"}
    assert owners() == [("user_bob", "org_acme")]
    assert Message.all_tenants.count() == 1
    assert not User.objects.filter(clerk_id="user_ada").exists()
    assert DeletedClerkUser.objects.filter(clerk_id="user_ada").exists()


def test_user_deleted_for_a_user_never_seen_is_processed(client):
    response = deliver(client, event("user.deleted", {"id": "user_ghost", "deleted": True}))
    assert response.json() == {"status": "processed"}
    assert not User.objects.exists()


def test_user_deleted_twice_under_different_ids_is_harmless(client):
    make_thread("user_ada")
    for _ in range(2):
        assert deliver(client, event("user.deleted", {"id": "user_ada"})).status_code == 200
    assert owners() == []


def test_late_user_updated_after_user_deleted_does_not_bring_the_user_back(client):
    deliver(client, event("user.deleted", {"id": "user_ada", "deleted": True}))
    assert deliver(client, event("user.updated", clerk_user("user_ada"))).json() == {"status": "processed"}
    assert not User.objects.exists()


def test_still_valid_token_of_a_deleted_user_cannot_create_threads(client, api):
    ada = api("user_ada")
    ada.new_thread(title="before")
    deliver(client, event("user.deleted", {"id": "user_ada", "deleted": True}))
    response = ada.post("/api/threads", {"external_id": "after"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid session token (user-deleted)."}
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert ada.post("/api/threads", {}).status_code == 401
    assert ada.get("/api/threads").json() == []
    assert not Thread.all_tenants.exists() and not User.objects.exists()


def test_still_valid_token_of_a_deleted_user_cannot_chat(client, bearer, model):
    deliver(client, event("user.deleted", {"id": "user_ada", "deleted": True}))
    response = client.post("/api/chat", json.dumps(chat_body()), content_type="application/json",
                           **bearer(user_id="user_ada"))
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid session token (user-deleted)."}
    assert model.request_count == 0
    assert not Thread.all_tenants.exists() and not Message.all_tenants.exists() and not User.objects.exists()


@pytest.mark.urls("tests.urls")
def test_still_valid_token_of_a_deleted_user_does_not_recreate_the_user_row(client, bearer):
    deliver(client, event("user.deleted", {"id": "user_ada", "deleted": True}))
    response = client.get("/t/whoami", **bearer(user_id="user_ada"))
    assert response.json() == {"username": "", "authenticated": False}
    assert not User.objects.exists()


def test_deletion_racing_with_a_chat_stream_leaves_nothing_of_the_user(client, bearer, model):
    deliver(client, event("user.created", clerk_user("user_ada")))
    model.script(Reply(tokens=["still", " writing", " this"], delay=0.05))
    response = client.post("/api/chat", json.dumps(chat_body(chat_id="chat-1")), content_type="application/json",
                           **bearer(user_id="user_ada", lifetime=3600))
    stream = iter(response.streaming_content)
    next(stream)  # the stream has started; the user message and the thread are stored
    assert Message.all_tenants.filter(thread__owner_id="user_ada").count() == 1
    assert deliver(client, event("user.deleted", {"id": "user_ada", "deleted": True})).status_code == 200
    chunks, _ = parse_events(b"".join(stream))
    assert types(chunks)[-2:] == ["finish", "[DONE]"]
    assert model.wait_for(lambda fake: fake.completed == 1, timeout=5)  # the fake counts after its last write
    assert not Thread.all_tenants.filter(owner_id="user_ada").exists()
    assert not Message.all_tenants.exists()
    assert not User.objects.filter(clerk_id="user_ada").exists()


# --- Organizations --------------------------------------------------------------------------------------------------

def membership(org_id: str, user_id: str) -> dict[str, Any]:
    """An organizationMembership.deleted payload as Clerk sends it."""
    return {
        "id": f"orgmem_{user_id}", "object": "organization_membership", "role": "org:member",
        "organization": {"id": org_id, "object": "organization", "name": "Acme", "slug": "acme"},
        "public_user_data": {"user_id": user_id, "identifier": "ada@example.org", "first_name": "Ada"},
    }


def membership_deleted(org_id: str, user_id: str) -> dict[str, Any]:
    return event("organizationMembership.deleted", membership(org_id, user_id))


def test_organization_deleted_removes_every_members_threads_there(client):
    make_thread("user_ada", "org_acme", messages=2)
    make_thread("user_bob", "org_acme")
    make_thread("user_ada")
    make_thread("user_bob", "org_initech")
    response = deliver(client, event("organization.deleted", {"id": "org_acme", "deleted": True}))
    assert response.json() == {"status": "processed"}
    assert owners() == [("user_ada", None), ("user_bob", "org_initech")]
    assert Message.all_tenants.count() == 2
    assert User.objects.count() == 0


def test_membership_deleted_removes_that_members_threads_in_that_organization(client):
    make_thread("user_ada", "org_acme", messages=2)
    make_thread("user_ada", "org_initech")
    make_thread("user_ada")
    make_thread("user_bob", "org_acme")
    assert deliver(client, membership_deleted("org_acme", "user_ada")).status_code == 200
    assert owners() == [("user_ada", None), ("user_ada", "org_initech"), ("user_bob", "org_acme")]


def test_membership_deleted_archives_instead_when_configured(client, settings):
    settings.CLERK_MEMBERSHIP_DELETED_ACTION = "archive"
    kept = make_thread("user_ada", "org_acme", messages=2)
    other = make_thread("user_bob", "org_acme")
    assert deliver(client, membership_deleted("org_acme", "user_ada")).status_code == 200
    kept.refresh_from_db()
    other.refresh_from_db()
    assert (kept.status, other.status) == ("archived", "regular")
    assert Message.all_tenants.filter(thread=kept).count() == 2


def test_membership_deleted_without_the_user_is_400(client):
    data = membership("org_acme", "user_ada")
    del data["public_user_data"]
    response = deliver(client, event("organizationMembership.deleted", data))
    assert response.status_code == 400
    assert response.json() == {"detail": "data.public_user_data.user_id is not a Clerk id."}


def test_unknown_membership_action_fails_loudly_instead_of_guessing(client, settings):
    settings.CLERK_MEMBERSHIP_DELETED_ACTION = "archvie"
    make_thread("user_ada", "org_acme")
    assert deliver(client, membership_deleted("org_acme", "user_ada")).status_code == 500
    assert owners() == [("user_ada", "org_acme")]


# --- Admin and checks -----------------------------------------------------------------------------------------------

def test_admin_lists_received_events_read_only(client):
    deliver(client, event("user.created", clerk_user("user_ada")), msg_id="msg_admin_1")
    deliver(client, event("session.ended", {"id": "sess_1"}), msg_id="msg_admin_2")
    staff = Client()
    staff.force_login(User.objects.create_superuser("admin", "admin@example.com", "pw-for-tests"))
    page = staff.get("/admin/webhooks/webhookevent/")
    assert page.status_code == 200
    body = page.content.decode()
    for text in ("msg_admin_1", "user.created", "processed", "msg_admin_2", "session.ended", "ignored"):
        assert text in body
    ignored = staff.get("/admin/webhooks/webhookevent/?outcome__exact=ignored").content.decode()
    assert "msg_admin_2" in ignored and "msg_admin_1" not in ignored
    assert staff.get("/admin/webhooks/webhookevent/?q=msg_admin_1").status_code == 200
    assert staff.get("/admin/webhooks/webhookevent/add/").status_code == 403


def test_check_refuses_a_secret_that_is_not_a_svix_secret(settings):
    settings.CLERK_WEBHOOK_SECRET = "sk_live_wrong"
    assert [e.id for e in check_webhook_configuration()] == ["webhooks.E001"]


def test_check_refuses_an_unknown_membership_action(settings):
    settings.CLERK_MEMBERSHIP_DELETED_ACTION = "keep"
    assert [e.id for e in check_webhook_configuration()] == ["webhooks.E002"]


def test_check_accepts_the_defaults_and_a_real_secret():
    assert check_webhook_configuration() == []


# --- Concurrency (PostgreSQL: SQLite runs one write transaction at a time, so these races cannot happen there) ---

needs_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="races need concurrent writers")


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_event_are_processed_once(monkeypatch):
    real = webhooks.handlers.HANDLERS["user.updated"]
    calls = []

    def slow(data):
        calls.append(data["id"])
        time.sleep(0.3)
        real(data)

    monkeypatch.setitem(webhooks.handlers.HANDLERS, "user.updated", slow)
    body = json.dumps(event("user.updated", clerk_user("user_ada"))).encode()
    headers = signed_headers(body, msg_id="msg_twice")
    results: list[dict] = []

    def post() -> None:
        results.append(Client().post(URL, body, content_type="application/json", **headers).json())
        connection.close()

    workers = [threading.Thread(target=post) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(10)
    assert sorted(r["status"] for r in results) == ["duplicate", "processed"]
    assert calls == ["user_ada"]


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_thread_created_while_the_user_is_being_deleted_does_not_survive(api):
    from django.db import transaction

    from accounts.deletion import lock_clerk_user
    from threads.erasure import erase_user

    ada = api("user_ada")
    locked, results = threading.Event(), []

    def delete_slowly() -> None:
        with transaction.atomic():
            lock_clerk_user("user_ada", allow_deleted=True)
            locked.set()
            time.sleep(0.5)  # meanwhile, a request with a still-valid token tries to start a conversation
            erase_user("user_ada", account_deleted=True)
        connection.close()

    def create() -> None:
        locked.wait(5)
        results.append(ada.post("/api/threads", {"external_id": "racing"}).status_code)
        connection.close()

    workers = [threading.Thread(target=delete_slowly), threading.Thread(target=create)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(10)
    assert results == [401]
    assert not Thread.all_tenants.exists() and not User.objects.exists()
