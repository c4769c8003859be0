"""Production serving, proven with real server processes started the way docs/DEPLOY.md tells an operator to.

Every server here is a separate process (uvicorn, gunicorn) with production settings: DEBUG off, a secret key,
Clerk's JWT key, collected static files, a PostgreSQL database and a Redis database made for this module. Only
the model is fake (tests/fakes/openai_server.py, across the network as the real one is). What they prove:

- two processes share everything that matters: a thread made through one streams through the other and lists
  through the first, and the per-user rate limit counts through Redis, not per process;
- every documented process model streams incrementally (the first delta before the model has finished);
- WhiteNoise serves the collected, hashed static files with far-future caching, and the page references them;
- SIGTERM never loses an answer: the stream finishes, or, past the graceful timeout, ends with the partial
  answer stored as incomplete;
- a pool of 4 connections serves 30 concurrent streams, because no connection is held while the model talks.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from .clerk import TokenFactory
from .deployment import (
    ROOT,
    Deployment,
    Launcher,
    Server,
    bearer,
    gunicorn,
    stream_chat,
    uvicorn,
)
from .fakes.openai_server import FakeOpenAI, Reply
from .sse import chat_body

pytestmark = pytest.mark.slow

LONG_ANSWER = [f" t{i}" for i in range(60)]


GUNICORN_UVICORN_WORKERS = gunicorn("chatsite.asgi:application", "-k", "chatsite.workers.UvicornWorker", "-w", "2")
GUNICORN_GTHREAD = gunicorn("chatsite.wsgi", "-k", "gthread", "-w", "2", "--threads", "8")


@pytest.fixture(scope="module")
def pair(deployment: Deployment, tmp_path_factory) -> Iterator[tuple[Server, Server]]:
    """Two uvicorn processes, A and B, on the same database and Redis: 3 chat requests a minute per user, and
    a pool of at most 4 connections each (named in pg_stat_activity by PGAPPNAME)."""
    launcher = Launcher(tmp_path_factory.mktemp("pair"))
    shared = {"CHAT_REQUESTS_PER_MINUTE": "3", "DATABASE_POOL_MAX_SIZE": "4", "DATABASE_POOL_TIMEOUT": "3"}
    a, b = launcher.start(
        (uvicorn(), deployment.env(**shared, PGAPPNAME="chatsite-a")),
        (uvicorn(), deployment.env(**shared, PGAPPNAME="chatsite-b")),
    )
    yield a, b
    launcher.stop_all()


def assert_streams_incrementally(url: str, tokens: TokenFactory, model: FakeOpenAI, user_id: str) -> None:
    """The first delta reaches the client while the model is still generating (nothing buffers the stream)."""
    model.script(Reply(tokens=["one", " two", " three", " four", " five"], delay=0.3))
    stream = stream_chat(url, bearer(tokens, user_id), chat_body(chat_id=f"incremental-{user_id}"), model=model)
    assert stream.status == 200 and stream.done, stream
    assert stream.text == "one two three four five"
    assert stream.model_completed_at_first_delta == 0, "the first delta arrived only after the model had finished"


def wait_for_a_fresh_minute(margin: float = 5.0) -> None:
    """Rate limits count per clock minute: start a short sequence where it cannot straddle two minutes."""
    left = 60 - time.time() % 60
    if left < margin:
        time.sleep(left + 0.1)


# --- Two processes, one database, one Redis -------------------------------------------------------------------


def test_a_thread_made_through_one_process_streams_through_another_and_lists_through_the_first(
    pair, tokens, fake_openai, deployment
):
    a, b = pair
    auth = bearer(tokens, "user_two_processes")
    created = httpx.post(f"{a.url}/api/threads", json={"external_id": "local-1", "title": "Trip"}, headers=auth)
    assert created.status_code == 201, created.text
    thread_id = created.json()["id"]

    fake_openai.script(Reply(tokens=["Hello", " from", " B"]))
    stream = stream_chat(b.url, auth, chat_body("Hi", chat_id=thread_id))
    assert stream.status == 200 and stream.done
    assert stream.text == "Hello from B" and stream.types[-1] == "finish"

    listed = httpx.get(f"{a.url}/api/threads", headers=auth).json()
    assert [(thread["id"], thread["title"]) for thread in listed] == [(thread_id, "Trip")]
    assert listed[0]["last_message_at"] is not None
    history = httpx.get(f"{a.url}/api/threads/{thread_id}/messages", headers=auth).json()
    assert [(message["id"], message["content"]["role"]) for message in history] == [
        ("u1", "user"), (stream.chunks[0]["messageId"], "assistant")
    ]
    assert deployment.answers_of("user_two_processes") == [("complete", "Hello from B")]


def test_the_rate_limit_counts_requests_to_every_process_through_redis(pair, tokens, fake_openai):
    a, b = pair
    auth = bearer(tokens, "user_limited")
    wait_for_a_fresh_minute()
    statuses = [stream_chat(server.url, auth, chat_body(chat_id=f"limited-{n}")) for n, server in enumerate([a, b, a])]
    assert [stream.status for stream in statuses] == [200, 200, 200]
    fourth = httpx.post(f"{b.url}/api/chat", json=chat_body(chat_id="limited-3"), headers=auth)
    assert fourth.status_code == 429
    assert 1 <= int(fourth.headers["Retry-After"]) <= 61
    assert fake_openai.request_count == 3


def test_without_redis_each_process_would_count_alone(deployment, launch, tokens, fake_openai):
    """The control for the test above: with the cache in each process's memory, 4 requests over 2 processes
    never reach a limit of 3 — which is why production needs REDIS_URL."""
    env = deployment.env(REDIS_URL=None, CHAT_REQUESTS_PER_MINUTE="3")
    a, b = launch.start((uvicorn(), env), (uvicorn(), env))
    auth = bearer(tokens, "user_counted_twice")
    wait_for_a_fresh_minute()
    statuses = [stream_chat(server.url, auth, chat_body(chat_id=f"alone-{n}")).status
                for n, server in enumerate([a, b, a, b])]
    assert statuses == [200, 200, 200, 200]


# --- Static files through WhiteNoise ----------------------------------------------------------------------------


def test_the_page_references_hashed_static_files_served_with_far_future_caching(pair, deployment):
    a, _ = pair
    page = httpx.get(f"{a.url}/")
    assert page.status_code == 200
    script = re.search(r'<script type="module" src="(/static/app/app\.[0-9a-f]{12}\.js)">', page.text)
    assert script, page.text[:600]
    assert re.search(r'href="/static/app/app\.[0-9a-f]{12}\.css"', page.text)

    hashed = httpx.get(f"{a.url}{script[1]}", headers={"Accept-Encoding": "gzip"})
    assert hashed.status_code == 200
    assert hashed.headers["Cache-Control"] == "max-age=315360000, public, immutable"
    assert hashed.headers["Content-Encoding"] == "gzip"  # WhiteNoise's pre-compressed copy
    assert hashed.headers["Content-Type"].startswith("text/javascript")
    assert hashed.content == (ROOT / "static" / "app" / "app.js").read_bytes()
    assert (deployment.static_root / script[1].removeprefix("/static/")).is_file()

    unhashed = httpx.get(f"{a.url}/static/app/app.js")
    assert unhashed.status_code == 200
    assert unhashed.headers["Cache-Control"] == "max-age=60, public"  # the name is reused across releases


# --- The connection pool --------------------------------------------------------------------------------------


async def test_a_pool_of_four_connections_serves_thirty_concurrent_streams(pair, tokens, fake_openai, deployment):
    """Each stream takes 3 s; were a connection held while the model talks, the fifth request would wait for one
    longer than the pool's 3 s timeout."""
    a, _ = pair
    fake_openai.script(Reply(tokens=[f" w{i}" for i in range(30)], delay=0.1))
    users = [f"user_pool_{n}" for n in range(30)]
    peak = {"connections": 0, "streams": 0}
    stop = threading.Event()

    def watch() -> None:
        with psycopg.connect(deployment.database_url, autocommit=True) as connection:
            while not stop.is_set():
                (count,) = connection.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND application_name = 'chatsite-a'"
                ).fetchone()
                peak["connections"] = max(peak["connections"], count)
                in_flight = fake_openai.request_count - fake_openai.completed - fake_openai.disconnects
                peak["streams"] = max(peak["streams"], in_flight)
                time.sleep(0.02)

    async def one(client: httpx.AsyncClient, user_id: str) -> tuple[int, str]:
        async with client.stream("POST", f"{a.url}/api/chat", json=chat_body(chat_id=f"pool-{user_id}"),
                                 headers=bearer(tokens, user_id)) as response:
            return response.status_code, (await response.aread()).decode()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=40)) as client:
            results = await asyncio.gather(*(one(client, user) for user in users))
    finally:
        stop.set()
        watcher.join(timeout=5)

    assert [status for status, _ in results] == [200] * 30
    for _, body in results:
        assert '"type":"error"' not in body and body.endswith("data: [DONE]\n\n"), body[-300:]
    assert peak["streams"] == 30, "the streams did not all run at once"
    assert 1 <= peak["connections"] <= 4, peak
    complete = deployment.rows(
        "SELECT count(*) FROM threads_message m JOIN threads_thread t ON t.id = m.thread_id"
        " WHERE t.owner_id LIKE 'user_pool_%%' AND m.role = 'assistant' AND m.status = 'complete'"
    )
    assert complete == [(30,)]


# --- Process models ---------------------------------------------------------------------------------------------


def test_uvicorn_with_two_workers_serves_the_page_and_streams(deployment, launch, tokens, fake_openai):
    (server,) = launch.start((uvicorn("--workers", "2"), deployment.env()))
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok", "database": "ok"}
    page = httpx.get(f"{server.url}/")
    assert page.status_code == 200 and re.search(r"/static/app/app\.[0-9a-f]{12}\.js", page.text)
    assert_streams_incrementally(server.url, tokens, fake_openai, "user_uvicorn_workers")


@pytest.mark.parametrize("kind, argv", [("uvicorn_worker", GUNICORN_UVICORN_WORKERS), ("gthread", GUNICORN_GTHREAD)],
                         ids=["uvicorn-worker", "gthread"])
def test_gunicorn_streams_incrementally(kind, argv, deployment, launch, tokens, fake_openai):
    (server,) = launch.start((argv, deployment.env()))
    assert_streams_incrementally(server.url, tokens, fake_openai, f"user_gunicorn_{kind}")


# --- Graceful shutdown ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind, argv", [("uvicorn", uvicorn()), ("gunicorn_gthread", GUNICORN_GTHREAD)],
                         ids=["uvicorn", "gunicorn-gthread"])
def test_sigterm_lets_a_running_stream_finish(kind, argv, deployment, launch, tokens, fake_openai):
    (server,) = launch.start((argv, deployment.env()))
    user_id = f"user_sigterm_{kind}"
    fake_openai.script(Reply(tokens=LONG_ANSWER, delay=0.1))
    stream = stream_chat(server.url, bearer(tokens, user_id), chat_body(chat_id="long"),
                         after_deltas=5, then=server.terminate)
    assert stream.done and stream.text == "".join(LONG_ANSWER)
    server.wait(timeout=15)
    assert deployment.answers_of(user_id) == [("complete", "".join(LONG_ANSWER))]


@pytest.mark.parametrize("kind, argv", [
    ("uvicorn", uvicorn("--timeout-graceful-shutdown", "1")),
    ("gunicorn", gunicorn("chatsite.asgi:application", "-k", "chatsite.workers.UvicornWorker", "-w", "1",
                          "--graceful-timeout", "2")),
], ids=["uvicorn", "gunicorn-uvicorn-worker"])
def test_sigterm_past_the_graceful_timeout_stores_the_partial_answer(kind, argv, deployment, launch, tokens, fake_openai):
    """Past the graceful timeout the server ends open streams itself (chatsite.asgi's lifespan), and each
    stores what it has: Django alone would leave them to die with the process."""
    (server,) = launch.start((argv, deployment.env()))
    user = f"user_cut_short_{kind}"
    fake_openai.script(Reply(tokens=LONG_ANSWER, delay=0.1))
    signalled: list[float] = []
    stream = stream_chat(server.url, bearer(tokens, user), chat_body(chat_id="long"),
                         after_deltas=5, then=lambda: (signalled.append(time.monotonic()), server.terminate()))
    server.wait(timeout=15)
    assert time.monotonic() - signalled[0] < 6, "the server outlived its graceful timeout by far"
    assert not stream.done
    answers = deployment.answers_of(user)
    assert answers, "the answer was lost"
    [(status, text)] = answers
    assert status == "incomplete"
    assert text.startswith("".join(LONG_ANSWER[:5])) and len(text) < len("".join(LONG_ANSWER))
