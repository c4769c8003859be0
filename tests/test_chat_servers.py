"""POST /api/chat under real servers: runserver's WSGI server and uvicorn (ASGI), with the real AI SDK client."""

from __future__ import annotations

import time

import httpx
import pytest

from threads.models import Message

from .fakes.openai_server import Reply
from .servers import ASGIServer
from .sse import chat_body

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def asgi_server():
    server = ASGIServer().start()
    yield server
    server.stop()


@pytest.fixture(params=["wsgi", "asgi"])
def server_url(request, live_server):
    """The same test under Django's WSGI live server (runserver's) and under uvicorn."""
    if request.param == "wsgi":
        return live_server.url
    return request.getfixturevalue("asgi_server").url


@pytest.fixture
def auth(tokens):
    return {"Authorization": f"Bearer {tokens.token(user_id='user_alice', lifetime=3600, azp='http://testserver')}"}


def wait_until(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_first_delta_arrives_before_the_model_has_finished(server_url, auth, model):
    model.script(Reply(tokens=["one", " two", " three", " four", " five"], delay=0.3))
    started = time.monotonic()
    first_delta_at = completed_at_first_delta = None
    with httpx.stream("POST", f"{server_url}/api/chat", json=chat_body(), headers=auth, timeout=10) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if '"text-delta"' in line and first_delta_at is None:
                first_delta_at = time.monotonic() - started
                completed_at_first_delta = model.completed
    ended_at = time.monotonic() - started
    assert completed_at_first_delta == 0
    assert first_delta_at < ended_at - 0.9, (first_delta_at, ended_at)


def test_client_disconnect_stops_the_model_and_stores_the_partial_answer(server_url, auth, model):
    model.script(Reply(tokens=[f" w{i}" for i in range(40)], delay=0.1))
    with httpx.stream("POST", f"{server_url}/api/chat", json=chat_body(), headers=auth, timeout=10) as response:
        for line in response.iter_lines():
            if '"text-delta"' in line:
                break
    assert model.wait_for(lambda fake: fake.disconnects == 1, timeout=3), "the provider kept generating"
    assert model.completed == 0
    assert wait_until(lambda: Message.all_tenants.filter(role="assistant").exists())
    answer = Message.all_tenants.get(role="assistant")
    assert answer.status == "incomplete"
    assert answer.text.startswith(" w0")
    assert Message.all_tenants.filter(role="user").count() == 1


def test_real_ai_sdk_client_assembles_the_stored_message(server_url, auth, model, ai_sdk_client):
    model.script(Reply(reasoning=["Thinking", " hard"], tokens=["Hello", ", ", "world", "!"], usage=(21, 4)))
    messages = [{"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Hi"}]}]
    result = ai_sdk_client(f"{server_url}/api/chat", headers=auth, chat_id="local-1", messages=messages)
    assert result["ok"], result
    assert result["requestBody"]["trigger"] == "submit-message"
    message = result["message"]
    stored = Message.all_tenants.get(role="assistant")
    assert message["id"] == stored.message_id
    assert message["role"] == "assistant"
    assert message["parts"] == stored.content["parts"]
    assert message["metadata"] == stored.content["metadata"]
    assert message["metadata"]["usage"] == {"inputTokens": 21, "outputTokens": 4, "totalTokens": 25}
    assert result["responseHeaders"]["x-vercel-ai-ui-message-stream"] == "v1"


def test_real_ai_sdk_client_reports_an_upstream_failure(server_url, auth, model, ai_sdk_client):
    model.script(Reply(status=500))
    messages = [{"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Hi"}]}]
    result = ai_sdk_client(f"{server_url}/api/chat", headers=auth, chat_id="c", messages=messages)
    assert not result["ok"]
    assert "had an error" in result["error"]


def test_real_ai_sdk_client_regenerates(server_url, auth, model, ai_sdk_client):
    model.queue(Reply(tokens=["first"]), Reply(tokens=["second"]))
    messages = [{"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Hi"}]}]
    first = ai_sdk_client(f"{server_url}/api/chat", headers=auth, chat_id="c", messages=messages)
    second = ai_sdk_client(f"{server_url}/api/chat", headers=auth, chat_id="c", messages=messages,
                           trigger="regenerate-message", message_id=first["message"]["id"])
    assert second["ok"] and second["requestBody"]["trigger"] == "regenerate-message"
    answers = list(Message.all_tenants.filter(role="assistant").order_by("id").values_list("message_id", "parent_id"))
    assert answers == [(first["message"]["id"], "u1"), (second["message"]["id"], "u1")]


def test_real_ai_sdk_client_sees_401_when_signed_out(server_url, model, ai_sdk_client):
    messages = [{"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Hi"}]}]
    result = ai_sdk_client(f"{server_url}/api/chat", headers={}, chat_id="c", messages=messages)
    assert not result["ok"] and result["status"] == 401
    assert model.request_count == 0
