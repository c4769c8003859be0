"""The Node AI SDK harness (tests/node), checked against hand-written UI message streams."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    # Importing the plugin module at run time would pre-empt pytest's assertion rewriting of it.
    from tests.fakes.pytest_plugin import AiSdkClient


USER_MESSAGE = {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Hi"}]}

VALID_STREAM = [
    {"type": "start", "messageId": "msg_1"},
    {"type": "start-step"},
    {"type": "text-start", "id": "txt_0"},
    {"type": "text-delta", "id": "txt_0", "delta": "Hello"},
    {"type": "text-delta", "id": "txt_0", "delta": ", world"},
    {"type": "text-end", "id": "txt_0"},
    {"type": "finish-step"},
    {"type": "finish", "finishReason": "stop"},
]

ERROR_STREAM = [
    {"type": "start", "messageId": "msg_2"},
    {"type": "start-step"},
    {"type": "text-start", "id": "txt_0"},
    {"type": "text-delta", "id": "txt_0", "delta": "Hel"},
    {"type": "error", "errorText": "The model is unavailable."},
]


class _UIStreamHandler(BaseHTTPRequestHandler):
    """Answers /ok and /error-chunk with fixed UI message streams and anything else with 401 text."""

    protocol_version = "HTTP/1.1"
    last_headers: dict[str, str] = {}

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        type(self).last_headers = {name.lower(): value for name, value in self.headers.items()}
        chunks = {"/ok": VALID_STREAM, "/error-chunk": ERROR_STREAM}.get(self.path)
        if chunks is None:
            body = b"Unauthorized"
            self.send_response(401)
            self.send_header("content-type", "text/plain")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        events = [f"data: {json.dumps(chunk)}\n\n" for chunk in chunks] + ["data: [DONE]\n\n"]
        body = "".join(events).encode()
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("x-vercel-ai-ui-message-stream", "v1")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def ui_stream_url() -> Iterator[str]:
    """Base URL of a stdlib server speaking hand-written UI message streams."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _UIStreamHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_valid_stream_assembles_the_assistant_message(ai_sdk_client: AiSdkClient, ui_stream_url: str) -> None:
    result = ai_sdk_client(
        f"{ui_stream_url}/ok", headers={"authorization": "Bearer t0k"}, chat_id="chat_1", messages=[USER_MESSAGE]
    )

    assert result["ok"] is True, result.get("error")
    assert result["message"]["id"] == "msg_1"
    assert result["message"]["role"] == "assistant"
    assert [p for p in result["message"]["parts"] if p["type"] == "text"] == [
        {"type": "text", "text": "Hello, world", "state": "done"}
    ]
    assert result["chunks"] == VALID_STREAM
    assert result["status"] == 200
    assert result["responseHeaders"]["x-vercel-ai-ui-message-stream"] == "v1"
    assert _UIStreamHandler.last_headers["authorization"] == "Bearer t0k"


def test_request_body_is_what_the_browser_sends(ai_sdk_client: AiSdkClient, ui_stream_url: str) -> None:
    result = ai_sdk_client(f"{ui_stream_url}/ok", headers={}, chat_id="chat_1", messages=[USER_MESSAGE])

    # messageId is undefined for a plain submit, so JSON.stringify leaves it out.
    assert result["requestBody"] == {"id": "chat_1", "messages": [USER_MESSAGE], "trigger": "submit-message"}


def test_regenerate_sends_trigger_message_id_and_extra_body(ai_sdk_client: AiSdkClient, ui_stream_url: str) -> None:
    result = ai_sdk_client(
        f"{ui_stream_url}/ok",
        headers={},
        chat_id="chat_1",
        messages=[USER_MESSAGE],
        trigger="regenerate-message",
        message_id="msg_old",
        body={"system": "Be brief."},
    )

    assert result["requestBody"] == {
        "system": "Be brief.",
        "id": "chat_1",
        "messages": [USER_MESSAGE],
        "trigger": "regenerate-message",
        "messageId": "msg_old",
    }


def test_error_chunk_is_reported_as_failure_with_its_text(ai_sdk_client: AiSdkClient, ui_stream_url: str) -> None:
    result = ai_sdk_client(f"{ui_stream_url}/error-chunk", headers={}, chat_id="chat_1", messages=[USER_MESSAGE])

    assert result["ok"] is False
    assert "The model is unavailable." in result["error"]
    assert result["message"]["id"] == "msg_2"
    assert result["chunks"][-1] == {"type": "error", "errorText": "The model is unavailable."}


def test_non_2xx_response_is_reported_as_failure_with_its_body(ai_sdk_client: AiSdkClient, ui_stream_url: str) -> None:
    result = ai_sdk_client(f"{ui_stream_url}/denied", headers={}, chat_id="chat_1", messages=[USER_MESSAGE])

    assert result["ok"] is False
    assert result["error"] == "AI_APICallError: Unauthorized"
    assert (result["status"], result["message"], result["chunks"]) == (401, None, [])
