"""gunicorn's worker class for the ASGI app: `gunicorn chatsite.asgi:application -k chatsite.workers.UvicornWorker`."""

from __future__ import annotations

from typing import Any

import uvicorn_worker


class UvicornWorker(uvicorn_worker.UvicornWorker):
    """uvicorn-worker's worker, with uvicorn's graceful timeout set just inside gunicorn's.

    gunicorn kills a worker `--graceful-timeout` seconds after asking it to stop, and uvicorn-worker does not
    tell uvicorn about that deadline, so uvicorn would wait for open streams until killed, and their answers
    would be lost. Ending them a second earlier lets each store its partial answer (chatsite.asgi's lifespan).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config.timeout_graceful_shutdown = max(self.cfg.graceful_timeout - 1, 0)
