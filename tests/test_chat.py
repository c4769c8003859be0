"""POST /api/chat through Django's test client: gating, validation, the stream, persistence, failures."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import AsyncClient, Client

from threads.models import Message, Thread

from .fakes.openai_server import Reply
from .sse import chat_body, parse_events, types

pytestmark = pytest.mark.django_db

SERVER_KEY = "sk-test-server-key-do-not-leak"


def post(client: Client, body, headers: dict | None = None, raw: bytes | None = None, **extra):
    data = raw if raw is not None else json.dumps(body)
    response = client.post("/api/chat", data, content_type="application/json", **(headers or {}), **extra)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return response, content


@pytest.fixture
def alice(bearer):
    return bearer(user_id="user_alice", lifetime=3600)


# --- Gate: 401 before anything reaches the model ---------------------------------------------------------------

def test_signed_out_request_is_401_and_the_model_sees_nothing(client, model):
    response, content = post(client, chat_body())
    assert response.status_code == 401
    assert json.loads(content) == {"detail": "Authentication credentials were not provided."}
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert model.request_count == 0
    assert not Thread.all_tenants.exists()


def test_signed_out_request_with_a_garbage_body_is_still_401(client, model):
    response, _ = post(client, None, raw=b"{not json")
    assert response.status_code == 401
    assert model.request_count == 0


def test_expired_token_is_401_and_the_model_sees_nothing(client, model, bearer):
    response, content = post(client, chat_body(), bearer(exp=1, iat=0, nbf=0))
    assert response.status_code == 401
    assert "token-expired" in json.loads(content)["detail"]
    assert model.request_count == 0


def test_no_model_client_is_made_for_signed_out_requests(client, model, monkeypatch):
    import chat.upstream

    def boom():
        raise AssertionError("a model client was made")

    monkeypatch.setattr(chat.upstream, "sync_client", boom)
    monkeypatch.setattr(chat.upstream, "async_client", boom)
    assert post(client, chat_body())[0].status_code == 401


async def test_signed_out_async_request_is_401(model):
    response = await AsyncClient().post("/api/chat", chat_body(), content_type="application/json")
    assert response.status_code == 401
    assert model.request_count == 0


def test_get_is_405(client, alice, model):
    response = client.get("/api/chat", **alice)
    assert response.status_code == 405
    assert response.json()["detail"] == 'Method "GET" not allowed.'


def test_no_model_configured_is_503_before_streaming(client, alice, settings):
    settings.OPENAI_API_KEY = None
    settings.OPENAI_BASE_URL = None
    response, content = post(client, chat_body(), alice)
    assert response.status_code == 503
    assert "OPENAI_API_KEY" in json.loads(content)["detail"]


# --- Validation --------------------------------------------------------------------------------------------------

BAD_BODIES = [
    (b"{not json", "detail"),
    (b"\xff\xfe", "detail"),
    (b"[]", "non_field_errors"),
    ({"messages": [{"id": "u", "role": "user", "parts": []}]}, "id"),
    ({"id": 5, "messages": [{"id": "u", "role": "user", "parts": []}]}, "id"),
    ({"id": "c", "messages": []}, "messages"),
    ({"id": "c", "messages": "hello"}, "messages"),
    ({"id": "c", "messages": ["hello"]}, "messages"),
    ({"id": "c", "messages": [{"role": "user", "parts": []}]}, "messages"),
    ({"id": "c", "messages": [{"id": "u", "role": "wizard", "parts": []}]}, "messages"),
    ({"id": "c", "messages": [{"id": "u", "role": "user", "parts": "hi"}]}, "messages"),
    ({"id": "c", "messages": [{"id": "u", "role": "user", "parts": ["hi"]}]}, "messages"),
    ({"id": "c", "messages": [{"id": "u", "role": "user", "parts": [{"type": "text", "text": 5}]}]}, "messages"),
    ({"id": "c", "messages": [{"id": "u", "role": "user", "parts": [{"type": "file", "url": "x"}]}]}, "messages"),
    ({"id": "c", "messages": [{"id": "u", "role": "assistant", "parts": []}]}, "messages"),
    ({**chat_body(), "trigger": "explode"}, "trigger"),
    ({**chat_body(), "system": 42}, "system"),
    ({**chat_body(), "system": "x" * 5000}, "system"),
    ({**chat_body(), "callSettings": {"temperature": "hot"}}, "callSettings"),
    ({**chat_body(), "callSettings": {"temperature": 9}}, "callSettings"),
    ({**chat_body(), "callSettings": {"maxTokens": 1.5}}, "callSettings"),
    ({**chat_body(), "callSettings": {"maxTokens": 10**9}}, "callSettings"),
    ({**chat_body(), "callSettings": []}, "callSettings"),
    ({**chat_body(), "config": "gpt-4"}, "config"),
]


@pytest.mark.parametrize("body, field", BAD_BODIES)
def test_bad_bodies_are_400_with_a_clear_message_and_the_model_untouched(client, alice, model, body, field):
    raw = body if isinstance(body, bytes) else None
    response, content = post(client, body, alice, raw=raw)
    assert response.status_code == 400, content
    errors = json.loads(content)
    assert field in errors
    assert model.request_count == 0
    assert not Message.all_tenants.exists()


def test_message_count_limit_is_configurable(client, alice, model, settings):
    settings.CHAT_MAX_MESSAGES = 3
    history = [{"id": f"m{i}", "role": "user", "parts": []} for i in range(3)]
    response, content = post(client, chat_body(history=history), alice)
    assert response.status_code == 400
    assert "At most 3 messages" in json.loads(content)["messages"][0]


def test_text_length_limit_is_configurable(client, alice, model, settings):
    settings.CHAT_MAX_TEXT_CHARS = 10
    response, content = post(client, chat_body("x" * 11), alice)
    assert response.status_code == 400
    assert "longer than 10 characters" in json.loads(content)["messages"][0]


def test_oversized_body_is_413(client, alice, model, settings):
    settings.CHAT_MAX_BODY_BYTES = 2000
    response, content = post(client, chat_body("x" * 3000), alice)
    assert response.status_code == 413
    assert "detail" in json.loads(content)
    assert model.request_count == 0


def test_unknown_part_types_are_skipped_not_fatal(client, alice, model):
    body = chat_body()
    body["messages"][0]["parts"] = [
        {"type": "step-start"},
        {"type": "data-weather", "data": {"t": 20}},
        {"type": "tool-search", "toolCallId": "c1", "state": "output-available", "input": {}, "output": {}},
        {"type": "something-new", "x": 1},
        {"type": "text", "text": "Hi"},
    ]
    response, _ = post(client, body, alice)
    assert response.status_code == 200
    assert model.requests[0].json["messages"][-1] == {"role": "user", "content": "Hi"}


def test_client_api_key_and_base_url_are_never_used(client, alice, model):
    body = chat_body(config={"apiKey": "sk-client-key", "baseUrl": "http://127.0.0.1:1/v1", "modelName": "gpt-evil"})
    response, _ = post(client, body, alice)
    assert response.status_code == 200
    request = model.requests[0]
    assert request.headers["authorization"] == f"Bearer {SERVER_KEY}"
    assert request.json["model"] == "gpt-4o-mini"


def test_model_name_is_honoured_only_from_the_allowlist(client, alice, model, settings):
    settings.OPENAI_MODEL_ALLOWLIST = ["gpt-4.1", "llama3"]
    post(client, chat_body(config={"modelName": "llama3"}), alice)
    post(client, chat_body(config={"modelName": "o3-pro"}, message_id="u2"), alice)
    assert [r.json["model"] for r in model.requests] == ["llama3", "gpt-4o-mini"]


def test_messages_are_converted_for_the_model(client, alice, model, settings):
    settings.CHAT_SYSTEM_PROMPT = "Server rules."
    history = [
        {"id": "s0", "role": "system", "parts": [{"type": "text", "text": "Be brief."}]},
        {"id": "u0", "role": "user", "parts": [{"type": "text", "text": "Who are you?"}]},
        {"id": "a0", "role": "assistant", "parts": [{"type": "step-start"}, {"type": "reasoning", "text": "hmm"},
                                                    {"type": "text", "text": "A bot."}]},
    ]
    body = chat_body("What is this?", history=history, system="Client rules.", callSettings={"temperature": 0.5, "maxTokens": 100})
    body["messages"][-1]["parts"].append({"type": "file", "mediaType": "image/png", "url": "data:image/png;base64,iVBOR"})
    body["messages"][-1]["parts"].append({"type": "file", "mediaType": "application/pdf", "url": "data:application/pdf;base64,JVBE"})
    post(client, body, alice)
    sent = model.requests[0].json
    assert sent["messages"] == [
        {"role": "system", "content": "Server rules."},
        {"role": "system", "content": "Client rules."},
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Who are you?"},
        {"role": "assistant", "content": "A bot."},
        {"role": "user", "content": [
            {"type": "text", "text": "What is this?"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBOR"}},
        ]},
    ]
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert (sent["temperature"], sent["max_tokens"]) == (0.5, 100)


# --- The stream ----------------------------------------------------------------------------------------------------

def test_stream_is_the_ui_message_stream_exactly(client, alice, model):
    model.script(Reply(tokens=["Hel", "lo", "!"], usage=(12, 3)))
    response, content = post(client, chat_body(), alice)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-cache"
    assert response["X-Vercel-AI-UI-Message-Stream"] == "v1"
    assert response["X-Accel-Buffering"] == "no"
    chunks, _ = parse_events(content)
    message_id = chunks[0]["messageId"]
    assert chunks == [
        {"type": "start", "messageId": message_id, "messageMetadata": {"model": "gpt-4o-mini"}},
        {"type": "start-step"},
        {"type": "text-start", "id": "txt_0"},
        {"type": "text-delta", "id": "txt_0", "delta": "Hel"},
        {"type": "text-delta", "id": "txt_0", "delta": "lo"},
        {"type": "text-delta", "id": "txt_0", "delta": "!"},
        {"type": "text-end", "id": "txt_0"},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "stop", "messageMetadata": {
            "model": "gpt-4o-mini", "usage": {"inputTokens": 12, "outputTokens": 3, "totalTokens": 15}}},
        {"type": "[DONE]"},
    ]


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_reasoning_deltas_become_reasoning_chunks(client, alice, model, field):
    model.script(Reply(reasoning=["Let me ", "think."], reasoning_field=field, tokens=["Yes."]))
    chunks, _ = parse_events(post(client, chat_body(), alice)[1])
    assert types(chunks)[2:9] == ["reasoning-start", "reasoning-delta", "reasoning-delta", "reasoning-end",
                                  "text-start", "text-delta", "text-end"]
    stored = Message.all_tenants.get(role="assistant")
    assert stored.content["parts"][1] == {"type": "reasoning", "id": "rsn_0", "text": "Let me think.", "state": "done"}


@pytest.mark.parametrize("provider, ours", [("stop", "stop"), ("length", "length"),
                                            ("content_filter", "content-filter"), ("tool_calls", "tool-calls")])
def test_finish_reason_is_mapped_from_the_providers(client, alice, model, provider, ours):
    model.script(Reply(finish_reason=provider))
    chunks, _ = parse_events(post(client, chat_body(), alice)[1])
    assert chunks[-2]["finishReason"] == ours


def test_keepalive_comments_while_the_model_is_silent(client, alice, model, settings):
    settings.CHAT_KEEPALIVE_SECONDS = 0.1
    model.script(Reply(first_delay=0.45, tokens=["late"]))
    chunks, comments = parse_events(post(client, chat_body(), alice)[1])
    assert len(comments) >= 2 and set(comments) == {"ping"}
    assert types(chunks)[-2:] == ["finish", "[DONE]"]


@pytest.mark.django_db(transaction=True)
async def test_async_path_streams_the_same_protocol(alice, model):
    model.script(Reply(tokens=["A", "B"]))
    response = await AsyncClient().post("/api/chat", chat_body(), content_type="application/json",
                                        headers={"Authorization": alice["HTTP_AUTHORIZATION"]})
    content = b"".join([part async for part in response.streaming_content])
    chunks, _ = parse_events(content)
    assert types(chunks) == ["start", "start-step", "text-start", "text-delta", "text-delta", "text-end",
                             "finish-step", "finish", "[DONE]"]
    assert response["Content-Type"] == "text/event-stream"


# --- Persistence -----------------------------------------------------------------------------------------------

def test_user_message_and_answer_are_stored_in_the_history_format(client, alice, model):
    model.script(Reply(tokens=["Hi", " there"], usage=(7, 2)))
    chunks, _ = parse_events(post(client, chat_body("Hello", chat_id="local-1"), alice)[1])
    thread = Thread.all_tenants.get()
    assert (thread.owner_id, thread.org_id, thread.external_id) == ("user_alice", None, "local-1")
    user, answer = Message.all_tenants.order_by("id")
    assert (user.message_id, user.parent_id, user.role, user.format) == ("u1", None, "user", "ai-sdk/v6")
    assert user.content["parts"] == [{"type": "text", "text": "Hello"}]
    assert answer.message_id == chunks[0]["messageId"]
    assert (answer.parent_id, answer.role, answer.status, answer.model) == ("u1", "assistant", "complete", "gpt-4o-mini")
    assert (answer.prompt_tokens, answer.completion_tokens) == (7, 2)
    assert answer.content == {
        "role": "assistant",
        "parts": [{"type": "step-start"}, {"type": "text", "text": "Hi there", "state": "done"}],
        "metadata": {"model": "gpt-4o-mini", "usage": {"inputTokens": 7, "outputTokens": 2, "totalTokens": 9}},
    }
    assert thread.last_message_at is not None


def test_client_appending_the_same_answer_later_changes_nothing(client, alice, model, api):
    chunks, _ = parse_events(post(client, chat_body(chat_id="local-1"), alice)[1])
    thread = Thread.all_tenants.get()
    alice_api = api("user_alice")
    again = alice_api.post(f"/api/threads/{thread.pk}/messages", {
        "id": chunks[0]["messageId"], "parent_id": "u1", "format": "ai-sdk/v6",
        "content": {"role": "assistant", "parts": [{"type": "text", "text": "client copy"}]},
    })
    assert again.status_code == 200
    user_again = alice_api.post(f"/api/threads/{thread.pk}/messages", {
        "id": "u1", "parent_id": None, "format": "ai-sdk/v6", "content": {"role": "user", "parts": []}})
    assert user_again.status_code == 200
    assert Message.all_tenants.count() == 2
    assert Message.all_tenants.get(role="assistant").text == "Hello, world!"


def test_thread_is_bound_by_its_id(client, alice, model, api):
    tid = api("user_alice").new_thread()["id"]
    post(client, chat_body(chat_id=tid), alice)
    assert Thread.all_tenants.count() == 1
    assert Message.all_tenants.filter(thread_id=tid).count() == 2


def test_thread_is_bound_by_its_external_id(client, alice, model, api):
    tid = api("user_alice").new_thread(external_id="local-9")["id"]
    post(client, chat_body(chat_id="local-9"), alice)
    assert Message.all_tenants.filter(thread_id=tid).count() == 2


def test_unknown_chat_id_creates_a_thread_in_the_callers_workspace(client, bearer, model):
    headers = bearer(user_id="user_alice", org=("org_acme", "acme", "member"))
    post(client, chat_body(chat_id="brand-new"), headers)
    thread = Thread.all_tenants.get()
    assert (thread.owner_id, thread.org_id, thread.external_id) == ("user_alice", "org_acme", "brand-new")


def test_another_tenants_thread_id_never_attaches(client, bearer, model, api):
    bobs = api("user_bob").new_thread(title="bob's")["id"]
    post(client, chat_body(chat_id=bobs), bearer(user_id="user_alice"))
    assert Message.all_tenants.filter(thread_id=bobs).count() == 0
    alices = Thread.all_tenants.get(owner_id="user_alice")
    assert alices.external_id == bobs and Message.all_tenants.filter(thread=alices).count() == 2


def test_same_user_other_organization_gets_its_own_thread(client, bearer, model):
    post(client, chat_body(chat_id="c"), bearer(user_id="user_alice", org=("org_a", "a", "admin")))
    post(client, chat_body(chat_id="c"), bearer(user_id="user_alice", org=("org_b", "b", "admin")))
    assert sorted(Thread.all_tenants.values_list("org_id", flat=True)) == ["org_a", "org_b"]


def test_follow_up_turn_links_parents(client, alice, model):
    first, _ = parse_events(post(client, chat_body("one", chat_id="c"), alice)[1])
    answer_id = first[0]["messageId"]
    history = [
        {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "one"}]},
        {"id": answer_id, "role": "assistant", "parts": [{"type": "text", "text": "Hello, world!"}]},
    ]
    post(client, chat_body("two", chat_id="c", message_id="u2", history=history), alice)
    rows = list(Message.all_tenants.order_by("id").values_list("message_id", "parent_id"))
    assert rows[:3] == [("u1", None), (answer_id, "u1"), ("u2", answer_id)]
    assert rows[3][1] == "u2"


def test_regenerate_stores_a_sibling_and_keeps_the_old_answer(client, alice, model):
    model.queue(Reply(tokens=["first"]), Reply(tokens=["second"]))
    first, _ = parse_events(post(client, chat_body("q", chat_id="c"), alice)[1])
    body = chat_body("q", chat_id="c", trigger="regenerate-message", messageId=first[0]["messageId"])
    second, _ = parse_events(post(client, body, alice)[1])
    answers = Message.all_tenants.filter(role="assistant").order_by("id")
    assert [(a.message_id, a.parent_id, a.text) for a in answers] == [
        (first[0]["messageId"], "u1", "first"), (second[0]["messageId"], "u1", "second")]
    assert Message.all_tenants.filter(role="user").count() == 1


def test_thread_deleted_during_the_answer_drops_the_answer_quietly(client, alice, model):
    model.script(Reply(tokens=["a", "b"], delay=0.05))
    response = client.post("/api/chat", json.dumps(chat_body()), content_type="application/json", **alice)
    stream = iter(response.streaming_content)
    next(stream)
    Thread.all_tenants.all().delete()
    chunks, _ = parse_events(b"".join(stream))
    assert types(chunks)[-2:] == ["finish", "[DONE]"]
    assert not Message.all_tenants.exists()


# --- Upstream failures: an error chunk, a proper end, nothing lost ------------------------------------------------

FAILURES = [
    (Reply(status=401), "refused this server's credentials"),
    (Reply(status=429), "rate limiting"),
    (Reply(status=500), "had an error"),
    (Reply(status=503), "had an error"),
    (Reply(status=404), "not available"),
    (Reply(tokens=["partial", " answer", " more"], cut_after=2), "interrupted"),
]


@pytest.mark.parametrize("reply, words", FAILURES)
def test_upstream_failure_is_an_error_chunk_and_a_proper_end(client, alice, model, reply, words, caplog):
    model.script(reply)
    with caplog.at_level(logging.WARNING, logger="chat"):
        response, content = post(client, chat_body(), alice)
    assert response.status_code == 200
    chunks, _ = parse_events(content)
    error = next(c for c in chunks if c["type"] == "error")
    assert words in error["errorText"]
    assert types(chunks)[-4:] == ["error", "finish-step", "finish", "[DONE]"]
    assert chunks[-2]["finishReason"] == "error"
    for secret in (SERVER_KEY, model.base_url, "127.0.0.1", "Traceback"):
        assert secret not in content.decode()
    user, answer = Message.all_tenants.order_by("id")
    assert user.role == "user" and answer.status == "error"
    assert "Model call failed" in caplog.text
    if reply.cut_after:
        assert answer.text == "partial answer"
        assert types(chunks).index("text-end") < types(chunks).index("error")


def test_unreachable_provider_is_an_error_chunk(client, alice, model, settings):
    settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"
    chunks, _ = parse_events(post(client, chat_body(), alice)[1])
    assert "could not be reached" in next(c for c in chunks if c["type"] == "error")["errorText"]
    assert Message.all_tenants.get(role="assistant").status == "error"


def test_provider_timeout_is_an_error_chunk_in_bounded_time(client, alice, model, settings):
    settings.OPENAI_TIMEOUT = 0.5
    model.script(Reply(hang=True))
    chunks, _ = parse_events(post(client, chat_body(), alice)[1])
    assert "took too long" in next(c for c in chunks if c["type"] == "error")["errorText"]


def test_stream_cut_without_finish_reason_is_an_error(client, alice, model):
    model.script(Reply(tokens=["a", "b"], cut_after=2))
    chunks, _ = parse_events(post(client, chat_body(), alice)[1])
    assert "error" in types(chunks)


def test_answer_that_cannot_be_saved_ends_with_an_error_chunk(client, alice, model, monkeypatch):
    from django.db import DatabaseError

    def failing(thread, **kwargs):
        raise DatabaseError("connection lost")

    monkeypatch.setattr("chat.runs.upsert_message", failing)
    chunks, _ = parse_events(post(client, chat_body(), alice)[1])
    assert types(chunks)[-5:] == ["text-end", "finish-step", "error", "finish", "[DONE]"]
    assert chunks[-2]["finishReason"] == "error"
    assert "could not be saved" in next(c for c in chunks if c["type"] == "error")["errorText"]
    assert Message.all_tenants.get().role == "user"


# --- Limits ---------------------------------------------------------------------------------------------------

def test_requests_per_minute_limit_is_429_with_retry_after(client, alice, model, settings):
    settings.CHAT_REQUESTS_PER_MINUTE = 2
    for i in range(2):
        assert post(client, chat_body(message_id=f"u{i}"), alice)[0].status_code == 200
    response, content = post(client, chat_body(message_id="u9"), alice)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 61
    assert "at most 2 a minute" in json.loads(content)["detail"]
    assert model.request_count == 2


def test_limits_are_per_user(client, bearer, model, settings):
    settings.CHAT_REQUESTS_PER_MINUTE = 1
    assert post(client, chat_body(), bearer(user_id="user_a"))[0].status_code == 200
    assert post(client, chat_body(), bearer(user_id="user_b"))[0].status_code == 200
    assert post(client, chat_body(message_id="u2"), bearer(user_id="user_a"))[0].status_code == 429


def test_tokens_per_day_limit_is_429_once_used_up(client, alice, model, settings):
    settings.CHAT_TOKENS_PER_DAY = 20
    model.script(Reply(usage=(15, 10)))
    assert post(client, chat_body(), alice)[0].status_code == 200
    response, content = post(client, chat_body(message_id="u2"), alice)
    assert response.status_code == 429
    assert "midnight UTC" in json.loads(content)["detail"]
    assert int(response["Retry-After"]) <= 86401
    assert model.request_count == 1


# --- Titles ---------------------------------------------------------------------------------------------------

def test_title_is_generated_by_the_model_and_stored(api, model):
    alice = api("user_alice")
    tid = alice.new_thread()["id"]
    model.script(Reply(text='"Planning a Trip to Lisbon."'))
    messages = [{"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Help me plan Lisbon"}]}]
    response = alice.post(f"/api/threads/{tid}/title", {"messages": messages})
    assert response.status_code == 200
    assert response.json() == {"title": "Planning a Trip to Lisbon"}
    assert Thread.all_tenants.get(pk=tid).title == "Planning a Trip to Lisbon"
    assert model.requests[-1].json.get("stream") in (None, False)


def test_title_uses_the_stored_messages_when_none_are_sent(api, model, client, bearer):
    post(client, chat_body("Tell me about octopus intelligence please", chat_id="c"), bearer(user_id="user_alice"))
    tid = Thread.all_tenants.get().pk
    model.script(Reply(text="Octopus Minds"))
    assert api("user_alice").post(f"/api/threads/{tid}/title").json()["title"] == "Octopus Minds"
    assert "octopus intelligence" in model.requests[-1].json["messages"][1]["content"]


@pytest.mark.parametrize("reply", [Reply(status=500), Reply(status=401), Reply(text="")])
def test_title_falls_back_to_the_first_user_words_when_the_model_fails(api, model, reply):
    alice = api("user_alice")
    tid = alice.new_thread()["id"]
    model.script(reply)
    messages = [{"id": "u1", "role": "user", "parts": [{"type": "text", "text": "one two three four five six seven"}]}]
    assert alice.post(f"/api/threads/{tid}/title", {"messages": messages}).json()["title"] == "one two three four five six"


def test_title_without_a_provider_uses_the_first_words(api, settings):
    settings.OPENAI_API_KEY = settings.OPENAI_BASE_URL = None
    alice = api("user_alice")
    tid = alice.new_thread()["id"]
    body = {"messages": [{"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Hello there"}]}]}
    assert alice.post(f"/api/threads/{tid}/title", body).json()["title"] == "Hello there"


def test_title_of_another_tenants_thread_is_404(api, model):
    tid = api("user_bob").new_thread(title="bob's")["id"]
    assert api("user_alice").post(f"/api/threads/{tid}/title", {"messages": []}).status_code == 404
    assert Thread.all_tenants.get(pk=tid).title == "bob's"
    assert model.request_count == 0


def test_title_needs_credentials(client, model):
    assert client.post("/api/threads/x/title").status_code == 401


def test_title_with_bad_messages_is_400(api, model):
    alice = api("user_alice")
    tid = alice.new_thread()["id"]
    assert alice.post(f"/api/threads/{tid}/title", {"messages": "hi"}).status_code == 400


def test_servers_answer_wins_over_a_copy_the_browser_stored_first(client, alice, model, api):
    """After Stop the browser may append its partial answer before the server stores its own."""
    model.script(Reply(tokens=["a", "b"], delay=0.05))
    response = client.post("/api/chat", json.dumps(chat_body(chat_id="c")), content_type="application/json", **alice)
    stream = iter(response.streaming_content)
    message_id = parse_events(next(stream))[0][0]["messageId"]
    thread = Thread.all_tenants.get()
    browser_copy = {"id": message_id, "parent_id": "u1", "format": "ai-sdk/v6",
                    "content": {"role": "assistant", "parts": [{"type": "text", "text": "a", "state": "streaming"}]}}
    assert api("user_alice").post(f"/api/threads/{thread.pk}/messages", browser_copy).status_code == 201
    b"".join(stream)
    stored = Message.all_tenants.get(message_id=message_id)
    assert (stored.status, stored.model, stored.text) == ("complete", "gpt-4o-mini", "ab")
    assert stored.content["parts"][-1]["state"] == "done"


def test_limits_fail_open_when_the_cache_is_unreachable(client, alice, model, settings, caplog):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:9/0",
                                   "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}
    with caplog.at_level(logging.ERROR, logger="chat"):
        response, content = post(client, chat_body(), alice)
    assert response.status_code == 200
    assert parse_events(content)[0][-1] == {"type": "[DONE]"}
    assert "Rate-limit counters unavailable" in caplog.text
