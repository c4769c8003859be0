"""Real deployments for tests: server processes (uvicorn, gunicorn) with production settings, on a PostgreSQL
database and a Redis database made for the test module. Registered as a pytest plugin in tests/conftest.py.

Only the model is fake (tests/fakes/openai_server.py, across the network as the real one is).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
import redis

from .clerk import SigningKey, TokenFactory
from .fakes.openai_server import FakeOpenAI

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ORIGIN = "https://chat.example.com"
LOCAL_POSTGRES = "postgres://chatsite@127.0.0.1:5432/postgres"
LOCAL_REDIS = "redis://127.0.0.1:6379"
# The developer's own configuration must not reach the servers (their DATABASE_URL, OPENAI_API_KEY, PGHOST…).
PROJECT_VARIABLES = ("DJANGO_", "DATABASE_", "CLERK_", "OPENAI_", "CHAT_", "REDIS_", "API_", "PG")


# --- The deployment: one PostgreSQL database, one Redis database, collected static files -------------------


@dataclass
class Deployment:
    """What every server of the module shares, and the production environment it runs with."""

    database_url: str
    static_root: Path
    base_env: dict[str, str]

    def env(self, **overrides: str | None) -> dict[str, str]:
        """The production environment with `overrides` (None removes a variable)."""
        env = dict(self.base_env)
        for name, value in overrides.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        return env

    def rows(self, query: str, *params: Any) -> list[tuple]:
        with psycopg.connect(self.database_url, autocommit=True) as connection:
            return connection.execute(query, params).fetchall()

    def answers_of(self, user_id: str) -> list[tuple[str, str]]:
        """(status, text) of every assistant message in `user_id`'s threads, oldest first."""
        rows = self.rows(
            "SELECT m.status, m.content FROM threads_message m JOIN threads_thread t ON t.id = m.thread_id"
            " WHERE t.owner_id = %s AND m.role = 'assistant' ORDER BY m.id",
            user_id,
        )
        return [(status, "".join(part.get("text", "") for part in content["parts"])) for status, content in rows]


def postgres_server_url() -> str:
    """The server to make the module's database on: DATABASE_URL's when that is PostgreSQL, else the local one."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = LOCAL_POSTGRES
    return urlsplit(url)._replace(path="/postgres").geturl()


@contextmanager
def throwaway_postgres_database(prefix: str) -> Iterator[str]:
    """A new PostgreSQL database (its URL), dropped afterwards, connections and all; skips the test without one."""
    server = postgres_server_url()
    name = f"{prefix}_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(server, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        pytest.skip(f"this test needs PostgreSQL: cannot create a database through {server} ({exc})")
    try:
        yield urlsplit(server)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """A PostgreSQL database of this module's own."""
    with throwaway_postgres_database("chatsite_prod_test") as url:
        yield url


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """An empty Redis database (1–15, so that nobody's db 0 is touched), flushed before and after."""
    try:
        sizes = {n: redis.Redis.from_url(f"{LOCAL_REDIS}/{n}", socket_timeout=2).dbsize() for n in range(1, 16)}
    except redis.RedisError as exc:
        pytest.skip(f"production tests need Redis at {LOCAL_REDIS} ({exc})")
    numbers = [n for n, size in sizes.items() if size == 0]
    if not numbers:
        pytest.skip(f"production tests need an empty Redis database at {LOCAL_REDIS}; databases 1-15 all hold keys")
    url = f"{LOCAL_REDIS}/{secrets.choice(numbers)}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()


@pytest.fixture(scope="module")
def deployment(database_url, redis_url, signing_key: SigningKey, fake_openai_server: FakeOpenAI, tmp_path_factory):
    """`manage.py migrate` and `collectstatic` as an operator runs them, with the production environment."""
    static_root = tmp_path_factory.mktemp("staticfiles")
    env = {name: value for name, value in os.environ.items() if not name.startswith(PROJECT_VARIABLES)}
    env.update(
        DJANGO_SETTINGS_MODULE="chatsite.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",  # no TLS here; in production the proxy terminates it
        DJANGO_STATIC_ROOT=str(static_root),
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CLERK_JWT_KEY=signing_key.public_pem,
        CLERK_AUTHORIZED_PARTIES=ORIGIN,
        OPENAI_API_KEY="sk-production-test",
        OPENAI_BASE_URL=fake_openai_server.base_url,
        OPENAI_MAX_RETRIES="0",
        PYTHONUNBUFFERED="1",
    )
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        done = subprocess.run([PYTHON, "manage.py", *command, "-v0"], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120, check=False)
        assert done.returncode == 0, f"manage.py {' '.join(command)} failed:\n{done.stdout}{done.stderr}"
    return Deployment(database_url, static_root, env)


# --- Server processes ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One server command in its own process group, its output in a log file, healthy once /healthz is 200."""

    def __init__(self, argv: list[str], env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.argv = [part.format(port=self.port) for part in argv]
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        return self

    def wait_healthy(self, timeout: float = 40.0) -> Server:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"{self.argv[2]} exited with {self.process.returncode}:\n{self.log()}", pytrace=False)
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        pytest.fail(f"{self.argv[2]} did not answer /healthz within {timeout} s:\n{self.log()}", pytrace=False)

    def terminate(self) -> None:
        """SIGTERM, as a process manager stops a server."""
        self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        """Stop it, and anything it started, whatever state it is in."""
        if self.process is None or self.process.poll() is not None:
            return
        self.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]


class Launcher:
    """Starts servers (several at once, since each takes a second or two to import Django) and stops them all."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.servers: list[Server] = []

    def start(self, *commands: tuple[list[str], dict[str, str]]) -> list[Server]:
        servers = []
        for argv, env in commands:
            server = Server(argv, env, self.log_dir / f"server-{len(self.servers)}.log")
            self.servers.append(server)
            servers.append(server.start())
        return [server.wait_healthy() for server in servers]

    def stop_all(self) -> None:
        for server in self.servers:
            server.stop()


def uvicorn(*options: str) -> list[str]:
    return [PYTHON, "-m", "uvicorn", "chatsite.asgi:application", "--host", "127.0.0.1", "--port", "{port}", *options]


def gunicorn(app: str, *options: str) -> list[str]:
    # Without --no-control-socket every gunicorn on the machine would share ~/.gunicorn/gunicorn.ctl.
    return [PYTHON, "-m", "gunicorn", app, "--bind", "127.0.0.1:{port}", "--no-control-socket", *options]


@pytest.fixture
def launch(tmp_path) -> Iterator[Launcher]:
    launcher = Launcher(tmp_path)
    yield launcher
    launcher.stop_all()


# --- Talking to them ----------------------------------------------------------------------------------------


def bearer(tokens: TokenFactory, user_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.token(user_id=user_id, azp=ORIGIN, lifetime=600)}"}


@dataclass
class Stream:
    """What a client saw of one POST /api/chat."""

    status: int
    chunks: list[dict[str, Any]] = field(default_factory=list)
    done: bool = False  # `data: [DONE]` arrived
    model_completed_at_first_delta: int | None = None

    @property
    def text(self) -> str:
        return "".join(chunk["delta"] for chunk in self.chunks if chunk["type"] == "text-delta")

    @property
    def types(self) -> list[str]:
        return [chunk["type"] for chunk in self.chunks]


def stream_chat(url: str, headers: dict[str, str], body: dict[str, Any], *, model: FakeOpenAI | None = None,
                after_deltas: int = 0, then: Callable[[], None] | None = None) -> Stream:
    """POST /api/chat and read the stream to its end; `then()` runs once `after_deltas` deltas have arrived."""
    with httpx.stream("POST", f"{url}/api/chat", json=body, headers=headers, timeout=30) as response:
        stream = Stream(response.status_code)
        deltas = 0
        try:
            for line in response.iter_lines():
                if line == "data: [DONE]":
                    stream.done = True
                elif line.startswith("data: "):
                    chunk = json.loads(line[6:])
                    stream.chunks.append(chunk)
                    if chunk["type"] != "text-delta":
                        continue
                    deltas += 1
                    if deltas == 1 and model is not None:
                        stream.model_completed_at_first_delta = model.completed
                    if deltas == after_deltas and then is not None:
                        then()
        except (httpx.RemoteProtocolError, httpx.ReadError):
            pass  # the server went away mid-stream (shutdown tests): what arrived is what the client saw
    return stream
