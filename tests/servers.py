"""Real HTTP servers for the project in the test process: uvicorn (ASGI) on 127.0.0.1."""

from __future__ import annotations

import threading
import time

import uvicorn


class ASGIServer:
    """`chatsite.asgi`'s Django application under uvicorn, in a thread of the test process (same test database)."""

    def __init__(self) -> None:
        from django.core.asgi import get_asgi_application

        config = uvicorn.Config(get_asgi_application(), host="127.0.0.1", port=0, lifespan="off",
                                log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="uvicorn", daemon=True)

    def start(self) -> ASGIServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    @property
    def url(self) -> str:
        port = self._server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
