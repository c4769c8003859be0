"""A fake OpenAI-compatible HTTP server for tests (standard library only).

It is a real socket server on 127.0.0.1, so anything that speaks HTTP can use it: the sync and async
``openai`` clients in the test process, or a Django server running in another process.

Streaming answers are framed the way OpenAI's Chat Completions API frames them: HTTP/1.1 chunked
transfer, one ``data: {chat.completion.chunk}`` event per chunk, each written to the socket as soon as
it is produced. A streamed reply is, in order:

1. a chunk with ``delta {"role": "assistant", "content": ""}`` (OpenAI really sends this empty one),
2. one chunk per ``Reply.reasoning`` item, ``delta {<reasoning_field>: ..., "content": null}``,
3. one chunk per ``Reply.tokens`` item, ``delta {"content": ...}``,
4. a chunk with an empty delta and ``finish_reason``,
5. when the request asked for ``stream_options.include_usage``: a chunk with ``choices: []`` and
   ``usage`` (every earlier chunk then carries ``"usage": null``, as OpenAI does),
6. ``data: [DONE]``.
"""

from __future__ import annotations

import json
import math
import select
import socket
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

CHAT_COMPLETIONS_PATH = "/v1/chat/completions"
MODELS_PATH = "/v1/models"
MODEL_IDS = ("gpt-4o-mini", "gpt-4o", "o4-mini")

# Granularity of every wait: how late a disconnect, a stop() or a reset() can be noticed.
_POLL_SLICE = 0.02

# (type, code, message) of OpenAI's error bodies for the statuses tests are likely to ask for.
_ERROR_BODIES: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided: sk-fake***."),
    403: ("invalid_request_error", "unsupported_country_region_territory", "Country not supported."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests."),
    500: ("server_error", None, "The server had an error while processing your request."),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}


@dataclass
class Reply:
    """How the fake answers one chat completion request.

    ``delay`` is waited before every reasoning or content chunk, ``first_delay`` once after the headers,
    ``headers_delay`` before the headers. ``status`` other than 200 answers OpenAI's error JSON instead.
    ``cut_after`` closes the connection abruptly after that many content tokens (no final chunk, no
    ``[DONE]``, no terminating zero-length chunk). ``hang`` sends the headers and then nothing until the
    client goes away or the fake is stopped or reset. ``usage`` is sent only when the request asked for it.
    """

    tokens: list[str] = field(default_factory=lambda: ["Hello", ",", " world", "!"])
    delay: float = 0.0
    first_delay: float = 0.0
    headers_delay: float = 0.0
    reasoning: list[str] = field(default_factory=list)
    reasoning_field: str = "reasoning_content"
    finish_reason: str = "stop"
    usage: tuple[int, int] | None = (12, 4)
    status: int = 200
    cut_after: int | None = None
    hang: bool = False
    model: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it. Header names are lower-cased; ``json`` is None without a JSON body."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any


class _ClientGone(Exception):
    """The peer closed its connection before the answer was fully written."""


class _Cancelled(Exception):
    """The fake was stopped or reset while this answer was in flight."""


class FakeOpenAI:
    """A controllable OpenAI Chat Completions server on 127.0.0.1 with an ephemeral port.

    ``disconnects`` counts chat completion answers (streamed or not) abandoned by the client before they
    were fully written; ``completed`` counts streams written to the end. Counters only move for requests
    received since the last ``reset()``, so a stream left over from an earlier test cannot leak into the
    next one (it is closed on reset).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._epoch = 0
        self._script = Reply()
        self._queue: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._disconnects = 0
        self._completed = 0

    def start(self, port: int = 0) -> FakeOpenAI:
        """Bind 127.0.0.1:<port> (an ephemeral one by default) and serve in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("FakeOpenAI is already started")
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", port), _Handler, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-openai",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; in-flight answers (including hanging ones) are abandoned promptly."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        assert self._thread is not None
        self._thread.join()
        self._server = None
        self._thread = None

    @property
    def base_url(self) -> str:
        """The value to give the openai client as ``base_url``, e.g. ``http://127.0.0.1:54321/v1``."""
        if self._server is None:
            raise RuntimeError("FakeOpenAI is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def script(self, reply: Reply) -> None:
        """Answer every following request (once the queue is empty) with ``reply``."""
        with self._lock:
            self._script = reply

    def queue(self, *replies: Reply) -> None:
        """Answer the next chat completion requests with ``replies``, in order, before falling back to the script."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def request_count(self) -> int:
        """How many chat completion requests were received."""
        with self._lock:
            return sum(1 for r in self._requests if r.method == "POST" and r.path == CHAT_COMPLETIONS_PATH)

    @property
    def disconnects(self) -> int:
        """How many answers the client abandoned before they were fully written."""
        with self._lock:
            return self._disconnects

    @property
    def completed(self) -> int:
        """How many streams were written to the end (``[DONE]`` and the terminating chunk included)."""
        with self._lock:
            return self._completed

    def wait_for(self, predicate: Callable[[FakeOpenAI], bool], timeout: float = 5.0) -> bool:
        """Poll until ``predicate(self)`` is true; return False if ``timeout`` seconds pass first."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    def reset(self) -> None:
        """Forget requests, counters and queued replies, restore the default script, close in-flight answers."""
        with self._lock:
            self._epoch += 1
            self._script = Reply()
            self._queue.clear()
            self._requests.clear()
            self._disconnects = 0
            self._completed = 0

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _next_reply(self) -> tuple[Reply, int]:
        with self._lock:
            reply = self._queue.popleft() if self._queue else self._script
            return reply, self._epoch

    def _is_cancelled(self, epoch: int) -> bool:
        return self._stopping.is_set() or epoch != self._epoch

    def _count_disconnect(self, epoch: int) -> None:
        with self._lock:
            if epoch == self._epoch:
                self._disconnects += 1

    def _count_completed(self, epoch: int) -> None:
        with self._lock:
            if epoch == self._epoch:
                self._completed += 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 makes concurrent clients wait for SYN retransmits (1 s and more).
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], fake: FakeOpenAI) -> None:
        self.fake = fake
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients resetting idle keep-alive connections is normal; anything else is a bug worth printing.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 is what makes chunked transfer and keep-alive possible, like the real API.
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        # Access logs would only clutter pytest's captured output.
        pass

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.server.fake._record(RecordedRequest("GET", path, self._lower_headers(), None))
        try:
            if path == MODELS_PATH:
                created = int(time.time())
                models = [{"id": m, "object": "model", "created": created, "owned_by": "openai"} for m in MODEL_IDS]
                self._send_json(200, {"object": "list", "data": models})
            else:
                self._send_error(404, f"Unknown path {path}.")
        except _ClientGone:
            self.close_connection = True

    def do_POST(self) -> None:
        fake = self.server.fake
        path = urlsplit(self.path).path
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        fake._record(RecordedRequest("POST", path, self._lower_headers(), body))
        try:
            if path != CHAT_COMPLETIONS_PATH:
                self._send_error(404, f"Unknown path {path}.")
                return
            # Catches client code that forgets what the real API insists on.
            if not isinstance(body, dict) or not body.get("model") or not isinstance(body.get("messages"), list):
                self._send_error(400, "A JSON body with 'model' and a 'messages' list is required.")
                return
        except _ClientGone:
            self.close_connection = True
            return
        reply, epoch = fake._next_reply()
        try:
            if body.get("stream"):
                self._stream(reply, body, epoch)
            else:
                self._complete(reply, body, epoch)
        except _ClientGone:
            fake._count_disconnect(epoch)
            self.close_connection = True
        except _Cancelled:
            self.close_connection = True

    def _stream(self, reply: Reply, request: dict[str, Any], epoch: int) -> None:
        include_usage = bool((request.get("stream_options") or {}).get("include_usage"))
        envelope: dict[str, Any] = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": reply.model or request["model"],
        }

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            choice = {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
            usage = {"usage": None} if include_usage else {}
            return {**envelope, "choices": [choice], **usage}

        self._wait(reply.headers_delay, epoch)
        if reply.status != 200:
            self._send_error(reply.status)
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("transfer-encoding", "chunked")
        self.send_header("cache-control", "no-cache")
        self.send_header("x-request-id", f"req_{uuid.uuid4().hex}")
        self._end_headers()
        if reply.hang:
            self._wait(math.inf, epoch)
        self._wait(reply.first_delay, epoch)
        self._send_event(chunk({"role": "assistant", "content": ""}), epoch)
        for piece in reply.reasoning:
            self._wait(reply.delay, epoch)
            self._send_event(chunk({reply.reasoning_field: piece, "content": None}), epoch)
        tokens = reply.tokens if reply.cut_after is None else reply.tokens[: reply.cut_after]
        for token in tokens:
            self._wait(reply.delay, epoch)
            self._send_event(chunk({"content": token}), epoch)
        if reply.cut_after is not None:
            # Leaving the chunked body unterminated is what makes the client see a broken stream.
            self.close_connection = True
            return
        self._send_event(chunk({}, reply.finish_reason), epoch)
        if include_usage and reply.usage is not None:
            self._send_event({**envelope, "choices": [], "usage": _usage(reply.usage)}, epoch)
        self._write_chunk(b"data: [DONE]\n\n", epoch)
        self._write_chunk(b"", epoch)
        self.server.fake._count_completed(epoch)

    def _complete(self, reply: Reply, request: dict[str, Any], epoch: int) -> None:
        self._wait(reply.headers_delay, epoch)
        if reply.hang:
            self._wait(math.inf, epoch)
        if reply.status != 200:
            self._send_error(reply.status)
            return
        message: dict[str, Any] = {
            "role": "assistant",
            "content": reply.text if reply.text is not None else "".join(reply.tokens),
            "refusal": None,
        }
        if reply.reasoning:
            message[reply.reasoning_field] = "".join(reply.reasoning)
        body: dict[str, Any] = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": reply.model or request["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason, "logprobs": None}],
        }
        if reply.usage is not None:
            body["usage"] = _usage(reply.usage)
        self._send_json(200, body)

    def _send_error(self, status: int, message: str | None = None) -> None:
        kind, code, default_message = _ERROR_BODIES.get(
            status, ("server_error" if status >= 500 else "invalid_request_error", None, f"Error {status}.")
        )
        error = {"message": message or default_message, "type": kind, "param": None, "code": code}
        self._send_json(status, {"error": error})

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-request-id", f"req_{uuid.uuid4().hex}")
        try:
            self.end_headers()
            self.wfile.write(data)
        except OSError as exc:
            raise _ClientGone from exc

    def _end_headers(self) -> None:
        if self._peer_closed():
            raise _ClientGone
        try:
            self.end_headers()
        except OSError as exc:
            raise _ClientGone from exc

    def _send_event(self, payload: dict[str, Any], epoch: int) -> None:
        self._write_chunk(b"data: " + json.dumps(payload).encode() + b"\n\n", epoch)

    def _write_chunk(self, data: bytes, epoch: int) -> None:
        if self.server.fake._is_cancelled(epoch):
            raise _Cancelled
        # A write into a half-closed socket usually succeeds once; looking first catches the close sooner.
        if self._peer_closed():
            raise _ClientGone
        try:
            self.wfile.write(b"%X\r\n%s\r\n" % (len(data), data))
        except OSError as exc:
            raise _ClientGone from exc

    def _wait(self, seconds: float, epoch: int) -> None:
        """Sleep for ``seconds`` in small slices, giving up as soon as the client leaves or the fake stops."""
        deadline = time.monotonic() + seconds
        while True:
            if self.server.fake._is_cancelled(epoch):
                raise _Cancelled
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            readable, _, _ = select.select([self.connection], [], [], min(_POLL_SLICE, remaining))
            if readable:
                if self._peer_closed():
                    raise _ClientGone
                # The client sent bytes we are not reading; sleep so select() does not spin on them.
                time.sleep(min(_POLL_SLICE, remaining))

    def _peer_closed(self) -> bool:
        readable, _, _ = select.select([self.connection], [], [], 0)
        if not readable:
            return False
        try:
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _lower_headers(self) -> dict[str, str]:
        return {name.lower(): value for name, value in self.headers.items()}


def _usage(usage: tuple[int, int]) -> dict[str, int]:
    prompt, completion = usage
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
