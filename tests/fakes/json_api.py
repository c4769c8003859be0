"""The base of the small fakes of Clerk's Backend API: a real HTTP server on 127.0.0.1 answering GETs with JSON."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeJSONAPI:
    """Serves GET requests with `respond(path)` → (status, JSON payload), in a daemon thread.

    `hang_seconds`, when set, delays every answer that long (an unresponsive server). Records each request's
    path and Authorization header in `requests`.
    """

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.hang_seconds: float | None = None
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def respond(self, path: str) -> tuple[int, Any]:
        raise NotImplementedError

    @property
    def api_url(self) -> str:
        """What CLERK_API_URL is set to (Clerk's paths start with /v1)."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with fake._lock:
                    fake.requests.append((self.path, self.headers.get("Authorization", "")))
                if fake.hang_seconds is not None:
                    time.sleep(fake.hang_seconds)
                status, payload = fake.respond(self.path)
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Close the socket: further requests are refused at the TCP level, as with Clerk unreachable."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
