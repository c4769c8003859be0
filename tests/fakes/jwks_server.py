"""A fake of Clerk's Backend API JWKS endpoint (GET /v1/jwks) on 127.0.0.1, counting the fetches it serves."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeJWKS:
    """Serves `keys` (JWK dicts); `mode` is "ok", "error" (500), or "hang" (answers after `hang_seconds`)."""

    def __init__(self) -> None:
        self.keys: list[dict] = []
        self.mode = "ok"
        self.hang_seconds = 30.0
        self.fetches = 0
        self.authorizations: list[str] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeJWKS:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with fake._lock:
                    fake.fetches += 1
                    fake.authorizations.append(self.headers.get("Authorization", ""))
                if self.path != "/v1/jwks":
                    self.send_error(404)
                    return
                if fake.mode == "hang":
                    time.sleep(fake.hang_seconds)
                if fake.mode == "error":
                    self.send_error(500)
                    return
                body = json.dumps({"keys": fake.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Close the socket: further fetches are refused at the TCP level, as with Clerk unreachable."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
