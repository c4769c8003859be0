"""The thread REST API, as assistant-ui's remote thread list and history adapters use it."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from threads.models import Message, Thread

from .api import assistant_message, user_message

pytestmark = pytest.mark.django_db

THREAD_KEYS = {"id", "external_id", "title", "status", "custom", "created_at", "updated_at", "last_message_at"}


def next_link(response) -> str | None:
    match = re.match(r'<([^>]+)>; rel="next"', response.headers.get("Link", ""))
    return match.group(1) if match else None


def test_documented_adapter_flow_end_to_end(api):
    alice = api("user_alice")
    # initialize (the adapter's body may be empty; assistant-ui sends the local id as external_id)
    created = alice.post("/api/threads", {"external_id": "local-1"})
    assert created.status_code == 201
    thread = created.json()
    assert set(thread) == THREAD_KEYS
    assert thread["id"].startswith("thr_") and thread["status"] == "regular"
    tid = thread["id"]
    # append user message, then assistant message
    assert alice.post(f"/api/threads/{tid}/messages", user_message("m1", "Hello")).status_code == 201
    assert alice.post(f"/api/threads/{tid}/messages", assistant_message("m2", "Hi!", "m1")).status_code == 201
    history = alice.get(f"/api/threads/{tid}/messages").json()
    assert [(m["id"], m["parent_id"], m["format"]) for m in history] == [("m1", None, "ai-sdk/v6"), ("m2", "m1", "ai-sdk/v6")]
    assert history[1]["content"]["parts"] == [{"type": "text", "text": "Hi!"}]
    assert set(history[0]) == {"id", "parent_id", "format", "content", "created_at"}
    # list
    listed = alice.get("/api/threads").json()
    assert [t["id"] for t in listed] == [tid]
    assert listed[0]["last_message_at"] is not None
    # rename
    renamed = alice.patch(f"/api/threads/{tid}", {"title": "Greetings"})
    assert renamed.status_code == 200 and renamed.json()["title"] == "Greetings"
    # archive, list archived, unarchive
    assert alice.patch(f"/api/threads/{tid}", {"status": "archived"}).json()["status"] == "archived"
    assert [t["id"] for t in alice.get("/api/threads?status=archived").json()] == [tid]
    assert alice.get("/api/threads?status=regular").json() == []
    assert alice.patch(f"/api/threads/{tid}", {"status": "regular"}).json()["status"] == "regular"
    # fetch
    assert alice.get(f"/api/threads/{tid}").json()["title"] == "Greetings"
    # delete: the thread and its messages
    assert alice.delete(f"/api/threads/{tid}").status_code == 204
    assert alice.get(f"/api/threads/{tid}").status_code == 404
    assert not Message.all_tenants.exists()


def test_create_with_an_empty_body(api):
    response = api().request("post", "/api/threads", raw="", content_type="text/plain")
    assert response.status_code == 201
    assert response.json()["external_id"] is None


def test_create_with_title_and_custom(api):
    thread = api().new_thread(title="Plans", custom={"color": "blue"})
    assert (thread["title"], thread["custom"]) == ("Plans", {"color": "blue"})


def test_initialize_is_idempotent_per_external_id(api):
    alice = api()
    first = alice.post("/api/threads", {"external_id": "local-1"})
    again = alice.post("/api/threads", {"external_id": "local-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Thread.all_tenants.count() == 1


def test_json_is_parsed_whatever_the_content_type_says(api):
    alice = api()
    response = alice.request("post", "/api/threads", raw='{"title": "plain"}', content_type="text/plain;charset=UTF-8")
    assert response.status_code == 201 and response.json()["title"] == "plain"
    tid = response.json()["id"]
    response = alice.request("patch", f"/api/threads/{tid}", raw='{"title": "form"}',
                             content_type="application/x-www-form-urlencoded")
    assert response.json()["title"] == "form"


def test_json_body_without_any_content_type_is_parsed(api):
    alice = api()
    tid = alice.new_thread()["id"]
    from django.test import Client

    client = Client()
    environ = {"HTTP_AUTHORIZATION": alice._headers["HTTP_AUTHORIZATION"]}
    response = client.generic("PATCH", f"/api/threads/{tid}", b'{"title": "bare"}', content_type="", **environ)
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "bare"


def test_list_is_newest_first(api):
    alice = api()
    ids = [alice.new_thread(title=str(i))["id"] for i in range(3)]
    assert [t["id"] for t in alice.get("/api/threads").json()] == ids[::-1]


def test_new_message_moves_the_thread_to_the_top(api):
    alice = api()
    old = alice.new_thread()["id"]
    new = alice.new_thread()["id"]
    alice.post(f"/api/threads/{old}/messages", user_message("m1", "bump"))
    assert [t["id"] for t in alice.get("/api/threads").json()] == [old, new]


def test_list_pages_with_a_link_header(api):
    alice = api()
    ids = [alice.new_thread()["id"] for _ in range(5)][::-1]
    first = alice.get("/api/threads?limit=2")
    assert [t["id"] for t in first.json()] == ids[:2]
    second = alice.get(next_link(first))
    assert [t["id"] for t in second.json()] == ids[2:4]
    third = alice.get(next_link(second))
    assert [t["id"] for t in third.json()] == ids[4:]
    assert next_link(third) is None


def test_pagination_is_stable_under_concurrent_inserts(api):
    alice = api()
    ids = [alice.new_thread()["id"] for _ in range(4)][::-1]
    first = alice.get("/api/threads?limit=2")
    for _ in range(3):
        alice.new_thread()
    second = alice.get(next_link(first))
    assert [t["id"] for t in second.json()] == ids[2:]


def test_pagination_link_keeps_the_status_filter(api):
    alice = api()
    for _ in range(3):
        tid = alice.new_thread()["id"]
        alice.patch(f"/api/threads/{tid}", {"status": "archived"})
    alice.new_thread()
    first = alice.get("/api/threads?status=archived&limit=2")
    assert "status=archived" in next_link(first)
    assert len(alice.get(next_link(first)).json()) == 1


@pytest.mark.parametrize(
    "query, field",
    [("limit=0", "limit"), ("limit=201", "limit"), ("limit=abc", "limit"), ("status=deleted", "status"),
     ("cursor=not-a-cursor", "cursor"), ("cursor=WyJ4IiwxXQ", "cursor")],
)
def test_bad_list_parameters_are_400_with_a_field_message(api, query, field):
    response = api().get(f"/api/threads?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_limit_default_is_50_and_max_is_200(api):
    alice = api()
    Thread.all_tenants.bulk_create([Thread(owner_id="user_alice") for _ in range(210)])
    assert len(alice.get("/api/threads").json()) == 50
    assert len(alice.get("/api/threads?limit=200").json()) == 200


@pytest.mark.parametrize(
    "body, field",
    [
        ({"title": 5}, "title"),
        ({"title": True}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"custom": [1, 2]}, "custom"),
        ({"external_id": ""}, "external_id"),
        ({"external_id": "x" * 201}, "external_id"),
    ],
)
def test_bad_create_bodies_are_400(api, body, field):
    response = api().post("/api/threads", body)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"status": "deleted"}, "status"),
        ({"title": None}, "title"),
        ({}, "non_field_errors"),
        ({"custom": "x"}, "custom"),
    ],
)
def test_bad_patch_bodies_are_400(api, body, field):
    alice = api()
    tid = alice.new_thread()["id"]
    response = alice.patch(f"/api/threads/{tid}", body)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("raw", ["{not json", "[1, 2", "\xff\xfe"])
def test_malformed_json_is_400(api, raw):
    response = api().request("post", "/api/threads", raw=raw)
    assert response.status_code == 400
    assert "detail" in response.json()


def test_json_that_is_not_an_object_is_400(api):
    response = api().request("post", "/api/threads", raw="[1, 2]")
    assert response.status_code == 400


def test_oversized_body_is_413(api, settings):
    settings.API_MAX_BODY_BYTES = 1000
    response = api().post("/api/threads", {"custom": {"blob": "x" * 2000}})
    assert response.status_code == 413
    assert "detail" in response.json()


def test_oversized_message_is_413(api, settings):
    alice = api()
    tid = alice.new_thread()["id"]
    settings.API_MAX_BODY_BYTES = 1000
    response = alice.post(f"/api/threads/{tid}/messages", user_message("m1", "x" * 2000))
    assert response.status_code == 413


@pytest.mark.parametrize(
    "method, path",
    [("put", "/api/threads/{id}"), ("delete", "/api/threads"), ("put", "/api/threads"),
     ("delete", "/api/threads/{id}/messages"), ("get", "/api/threads/{id}/messages/m1")],
)
def test_wrong_methods_are_405(api, method, path):
    alice = api()
    tid = alice.new_thread()["id"]
    response = alice.request(method, path.format(id=tid))
    assert response.status_code == 405
    assert "detail" in response.json()


def test_unknown_thread_id_is_404(api):
    alice = api()
    for response in (
        alice.get("/api/threads/thr_missing"),
        alice.patch("/api/threads/thr_missing", {"title": "x"}),
        alice.delete("/api/threads/thr_missing"),
        alice.get("/api/threads/thr_missing/messages"),
        alice.post("/api/threads/thr_missing/messages", user_message("m1", "x")),
        alice.patch("/api/threads/thr_missing/messages/m1", {"content": {"role": "user", "parts": []}}),
    ):
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}


def test_unknown_api_route_is_json_404(api):
    response = api().get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_every_route_is_401_without_credentials(client):
    for method, path in [("get", "/api/threads"), ("post", "/api/threads"), ("get", "/api/threads/x"),
                         ("patch", "/api/threads/x"), ("delete", "/api/threads/x"),
                         ("get", "/api/threads/x/messages"), ("post", "/api/threads/x/messages"),
                         ("patch", "/api/threads/x/messages/m")]:
        response = getattr(client, method)(path)
        assert response.status_code == 401, (method, path)
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_expired_token_is_401_on_the_thread_api(client, bearer):
    response = client.get("/api/threads", **bearer(exp=1, iat=0, nbf=0))
    assert response.status_code == 401
    assert "token-expired" in response.json()["detail"]


def test_append_is_idempotent_per_message_id(api):
    alice = api()
    tid = alice.new_thread()["id"]
    assert alice.post(f"/api/threads/{tid}/messages", user_message("m1", "Hello")).status_code == 201
    again = alice.post(f"/api/threads/{tid}/messages", user_message("m1", "Changed?"))
    assert again.status_code == 200
    assert again.json()["content"]["parts"][0]["text"] == "Hello"
    assert Message.all_tenants.count() == 1


def test_message_ids_are_unique_per_thread_not_globally(api):
    alice = api()
    one, two = alice.new_thread()["id"], alice.new_thread()["id"]
    assert alice.post(f"/api/threads/{one}/messages", user_message("m1", "a")).status_code == 201
    assert alice.post(f"/api/threads/{two}/messages", user_message("m1", "b")).status_code == 201


def test_patch_message_upserts(api):
    alice = api()
    tid = alice.new_thread()["id"]
    body = {"format": "ai-sdk/v6", "content": {"role": "assistant", "parts": [{"type": "text", "text": "v1"}]}}
    assert alice.patch(f"/api/threads/{tid}/messages/m9", body).status_code == 201
    body["content"]["parts"][0]["text"] = "v2"
    updated = alice.patch(f"/api/threads/{tid}/messages/m9", body)
    assert updated.status_code == 200
    assert alice.get(f"/api/threads/{tid}/messages").json()[0]["content"]["parts"][0]["text"] == "v2"
    assert Message.all_tenants.count() == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({"parent_id": None, "format": "ai-sdk/v6", "content": {"role": "user", "parts": []}}, "id"),
        ({"id": "m1", "content": {"role": "robot", "parts": []}}, "content"),
        ({"id": "m1", "content": {"role": "user", "parts": "text"}}, "content"),
        ({"id": "m1", "content": {"role": "user"}}, "content"),
        ({"id": "m1", "content": "hello"}, "content"),
        ({"id": "m1"}, "content"),
        ({"id": "x" * 201, "content": {"role": "user", "parts": []}}, "id"),
        ({"id": "m1", "parent_id": 5.5, "content": {"role": "user", "parts": []}}, "parent_id"),
        ({"id": 7, "content": {"role": "user", "parts": []}}, "id"),
        ({"id": "m1", "format": 1, "content": {"role": "user", "parts": []}}, "format"),
        ({"id": ["m1"], "content": {"role": "user", "parts": []}}, "id"),
    ],
)
def test_bad_message_bodies_are_400(api, body, field):
    alice = api()
    tid = alice.new_thread()["id"]
    response = alice.post(f"/api/threads/{tid}/messages", body)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_other_formats_are_stored_as_given(api):
    alice = api()
    tid = alice.new_thread()["id"]
    body = {"id": "m1", "parent_id": None, "format": "aui/v0", "content": {"role": "user", "content": [{"type": "text", "text": "x"}]}}
    assert alice.post(f"/api/threads/{tid}/messages", body).status_code == 201
    assert alice.get(f"/api/threads/{tid}/messages").json()[0]["format"] == "aui/v0"


def test_list_runs_a_constant_number_of_queries(api):
    alice = api()
    Thread.all_tenants.bulk_create([Thread(owner_id="user_alice") for _ in range(3)])
    with CaptureQueriesContext(connection) as few:
        alice.get("/api/threads?limit=200")
    Thread.all_tenants.bulk_create([Thread(owner_id="user_alice") for _ in range(150)])
    with CaptureQueriesContext(connection) as many:
        assert len(alice.get("/api/threads?limit=200").json()) == 153
    assert len(few) == len(many) == 1


def test_history_load_runs_a_constant_number_of_queries(api):
    alice = api()
    tid = alice.new_thread()["id"]
    alice.post(f"/api/threads/{tid}/messages", user_message("m0", "x"))
    with CaptureQueriesContext(connection) as few:
        alice.get(f"/api/threads/{tid}/messages")
    for i in range(1, 40):
        alice.post(f"/api/threads/{tid}/messages", user_message(f"m{i}", "x", f"m{i - 1}"))
    with CaptureQueriesContext(connection) as many:
        assert len(alice.get(f"/api/threads/{tid}/messages").json()) == 40
    assert len(few) == len(many) == 2


def test_schema_describes_the_thread_routes(client):
    response = client.get("/api/schema", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    assert set(paths["/api/threads"]) >= {"get", "post"}
    assert set(paths["/api/threads/{id}"]) >= {"get", "patch", "delete"}
    assert "put" not in paths["/api/threads/{id}"]
    assert set(paths["/api/threads/{id}/messages"]) >= {"get", "post"}
    assert set(paths["/api/threads/{id}/messages/{message_id}"]) == {"patch"}
    list_params = {p["name"] for p in paths["/api/threads"]["get"]["parameters"]}
    assert {"status", "limit", "cursor"} <= list_params
    list_response = paths["/api/threads"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    if "$ref" in list_response:
        list_response = schema["components"]["schemas"][list_response["$ref"].rsplit("/", 1)[1]]
    assert list_response["type"] == "array"
    create = paths["/api/threads"]["post"]
    assert set(create["requestBody"]["content"]) == {"application/json"}
    assert set(create["responses"]) >= {"200", "201"}
    assert {"ClerkBearer", "ClerkSessionCookie"} <= set(schema["components"]["securitySchemes"])
