"""The site under test, as a newcomer runs it: `manage.py runserver` (WSGI) or `uvicorn chatsite.asgi:application`.

Each server is a separate process with its own environment — development sign-in (DEBUG on, no Clerk key), a
throwaway database, a development key in a temporary folder, the fake OpenAI server as the model — so nothing of
the test process (its settings, its test database, its Clerk key) leaks into what the browser talks to.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlsplit, urlunsplit
from urllib.request import ProxyHandler, build_opener

BASE_DIR = Path(__file__).resolve().parents[2]

# Variables of the test process that would change what the server does; the server gets its own values.
_DROPPED_PREFIXES = ("DJANGO_", "CLERK_", "OPENAI_", "DATABASE_", "CHAT_", "API_")
_DROPPED = {"REDIS_URL"}

START_TIMEOUT = 30.0

_direct = build_opener(ProxyHandler({}))  # 127.0.0.1 never goes through a proxy from the environment


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThrowawayDatabase:
    """An SQLite file in `folder`, or — when the test run has DATABASE_URL for PostgreSQL (CI) — a new
    PostgreSQL database on that server, dropped at the end."""

    def __init__(self, folder: Path, label: str) -> None:
        self._admin_url: str | None = None
        self._name: str | None = None
        base = os.environ.get("DATABASE_URL", "")
        self.kind = "postgresql" if base.startswith(("postgres://", "postgresql://")) else "sqlite"
        if base.startswith(("postgres://", "postgresql://")):
            self._admin_url = base
            self._name = f"chatsite_e2e_{label}_{os.getpid()}_{secrets.token_hex(3)}"
            self.url = urlunsplit(urlsplit(base)._replace(path="/" + self._name))
            self._execute(f'CREATE DATABASE "{self._name}"')
        else:
            self.url = f"sqlite:///{folder / 'e2e.sqlite3'}"

    def _execute(self, sql: str) -> None:
        import psycopg

        assert self._admin_url is not None
        with psycopg.connect(self._admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)

    def drop(self) -> None:
        if self._name:
            self._execute(f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)')
            self._name = None


class LiveSite:
    """One server process of the project on 127.0.0.1:<free port>, migrated and answering /healthz."""

    def __init__(self, kind: str, folder: Path, model_base_url: str) -> None:
        if kind not in ("wsgi", "asgi"):
            raise ValueError(kind)
        self.kind = kind
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.key_path = folder / "dev-signin-key.pem"
        self.log_path = folder / f"{kind}-server.log"
        self.database = ThrowawayDatabase(folder, kind)
        env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_PREFIXES) and k not in _DROPPED}
        env.update(
            DJANGO_SETTINGS_MODULE="chatsite.settings",
            DJANGO_DEBUG="1",  # development sign-in: no Clerk key is set
            DATABASE_URL=self.database.url,
            CLERK_DEV_KEY_PATH=str(self.key_path),
            CLERK_AUTHORIZED_PARTIES=self.url,
            OPENAI_BASE_URL=model_base_url,
            OPENAI_API_KEY="sk-e2e-fake-model",
            OPENAI_MAX_RETRIES="0",
            PYTHONUNBUFFERED="1",
        )
        self.env = env
        self._process: subprocess.Popen[bytes] | None = None
        self._log = None

    def start(self) -> LiveSite:
        self._log = open(self.log_path, "ab")  # noqa: SIM115  (the server's stdout and stderr until stop())
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=BASE_DIR, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, timeout=180, check=False,
        )
        if migrate.returncode != 0:
            raise RuntimeError(f"manage.py migrate failed (exit {migrate.returncode}):\n{self.log_tail()}")
        if self.kind == "wsgi":
            # The README's first command (bin/run) serves with runserver; --noreload keeps it one process.
            command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"]
        else:
            command = [sys.executable, "-m", "uvicorn", "chatsite.asgi:application",
                       "--host", "127.0.0.1", "--port", str(self.port)]
        self._process = subprocess.Popen(
            command, cwd=BASE_DIR, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"the {self.kind} server exited ({self._process.returncode}):\n{self.log_tail()}")
            try:
                with _direct.open(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (URLError, ConnectionError, TimeoutError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {self.kind} server did not answer /healthz in {START_TIMEOUT:.0f} s:\n"
                                   f"{self.log_tail()}")
            time.sleep(0.1)

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None
        self.database.drop()
