"""Faults, against a real uvicorn process on PostgreSQL: the database goes away mid-stream, the model hangs, and
a client opens a thousand streams and drops them. Nothing is lost that could be kept, nothing answers 500, and
the server recovers every resource."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from .deployment import Deployment, Launcher, Server, bearer, stream_chat, uvicorn
from .fakes.openai_server import Reply
from .fakes.tcp_proxy import TCPProxy
from .sse import chat_body

pytestmark = pytest.mark.slow


def process_resources(pid: int) -> dict[str, int]:
    """Open file descriptors, threads and resident memory (KiB) of a process, from /proc."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return {
        "fds": len(list(Path(f"/proc/{pid}/fd").iterdir())),
        "threads": int(status["Threads"].strip()),
        "rss_kib": int(status["VmRSS"].split()[0]),
    }


def wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.fixture
def proxy() -> TCPProxy:
    tcp = TCPProxy(("127.0.0.1", 5432)).start()
    yield tcp
    tcp.stop()


@pytest.fixture
def server_behind_proxy(deployment: Deployment, launch: Launcher, proxy: TCPProxy) -> Server:
    """uvicorn whose database connections go through the proxy (so that the test can take the database away)."""
    parts = urlsplit(deployment.database_url)
    through_proxy = parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}").geturl()
    env = deployment.env(DATABASE_URL=through_proxy, DATABASE_POOL_TIMEOUT="2", DATABASE_CONNECT_TIMEOUT="2",
                         CHAT_REQUESTS_PER_MINUTE="0")
    (server,) = launch.start((uvicorn(), env))
    return server


def test_database_going_away_mid_stream_ends_with_an_error_chunk_and_serving_resumes(
    server_behind_proxy, proxy, deployment, tokens, fake_openai
):
    server, user = server_behind_proxy, "user_db_outage"
    headers = bearer(tokens, user)
    fake_openai.script(Reply(tokens=[f" w{i}" for i in range(30)], delay=0.05))
    stream = stream_chat(server.url, headers, chat_body("during the outage", chat_id="outage"),
                         after_deltas=3, then=proxy.cut)
    # The answer arrived but could not be stored: the client is told so, and the stream ends properly.
    assert stream.status == 200 and stream.done
    assert stream.types[-3:] == ["finish-step", "error", "finish"]
    assert "could not be saved" in stream.chunks[-2]["errorText"]

    statuses = []
    started = time.monotonic()
    for _ in range(3):
        chat = httpx.post(f"{server.url}/api/chat", json=chat_body("while it is away"), headers=headers, timeout=30)
        threads = httpx.get(f"{server.url}/api/threads", headers=headers, timeout=30)
        health = httpx.get(f"{server.url}/healthz", timeout=30)
        statuses += [chat.status_code, threads.status_code, health.status_code]
        assert chat.json() == {"detail": "The database is unavailable; try again shortly."}
    assert statuses == [503] * 9, statuses
    assert time.monotonic() - started < 30, "each refusal waits at most the pool timeout"
    assert fake_openai.request_count == 1, "nothing reached the model while the message could not be stored"

    proxy.restore()
    assert wait_until(lambda: httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200, timeout=15)
    listed = httpx.get(f"{server.url}/api/threads", headers=headers, timeout=10)
    assert listed.status_code == 200 and [t["external_id"] for t in listed.json()] == ["outage"]
    fake_openai.script(Reply(tokens=["back"]))
    after = stream_chat(server.url, headers, chat_body("after", chat_id="outage", message_id="u2"))
    assert after.done and "error" not in after.types
    # The user message sent before the outage was stored before the model was called; the answer of the
    # first turn was not (the client was told), the one after the outage was.
    assert deployment.rows(
        "SELECT m.message_id, m.role FROM threads_message m JOIN threads_thread t ON t.id = m.thread_id"
        " WHERE t.owner_id = %s ORDER BY m.id", user
    )[0] == ("u1", "user")
    assert [status for status, _ in deployment.answers_of(user)] == ["complete"]


@pytest.mark.parametrize("reply", [Reply(hang=True), Reply(headers_delay=60)], ids=["silent-stream", "no-headers"])
def test_a_hanging_model_ends_with_an_error_chunk_in_bounded_time(deployment, launch, tokens, fake_openai, reply):
    env = deployment.env(OPENAI_TIMEOUT="2", CHAT_KEEPALIVE_SECONDS="0.5", CHAT_REQUESTS_PER_MINUTE="0")
    (server,) = launch.start((uvicorn(), env))
    user = f"user_hang_{'headers' if reply.headers_delay else 'stream'}"
    fake_openai.script(reply)
    started = time.monotonic()
    stream = stream_chat(server.url, bearer(tokens, user), chat_body(chat_id="hang"))
    assert time.monotonic() - started < 10
    assert stream.done and stream.types[-3:] == ["error", "finish-step", "finish"]
    assert "took too long" in stream.chunks[-3]["errorText"]
    assert [status for status, _ in deployment.answers_of(user)] == ["error"]
    assert fake_openai.wait_for(lambda fake: fake.disconnects == 1, timeout=5), "the request to the model stayed open"


def test_a_thousand_dropped_streams_leave_nothing_behind(deployment, launch, tokens, fake_openai):
    env = deployment.env(CHAT_REQUESTS_PER_MINUTE="0", DATABASE_POOL_MAX_SIZE="4", PGAPPNAME="chatsite-drops")
    (server,) = launch.start((uvicorn(), env))
    fake_openai.script(Reply(tokens=[f" t{i}" for i in range(100)], delay=0.05))
    fake_openai.queue(Reply(tokens=["warm"]))
    warm = stream_chat(server.url, bearer(tokens, "user_drop_warmup"), chat_body(chat_id="warm"))
    assert warm.done
    baseline = process_resources(server.process.pid)
    users = [bearer(tokens, f"user_drop_{i}") for i in range(20)]
    total, wave = 1000, 50
    peak_connections = [0]
    stop = threading.Event()

    def watch_connections() -> None:
        while not stop.is_set():
            (count,) = deployment.rows("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'chatsite-drops'")[0]
            peak_connections[0] = max(peak_connections[0], count)
            time.sleep(0.05)

    async def open_and_drop(client: httpx.AsyncClient, number: int) -> None:
        body = chat_body(f"question {number}", chat_id=f"drop-{number}", message_id=f"u{number}")
        async with client.stream("POST", f"{server.url}/api/chat", json=body, headers=users[number % len(users)]) as r:
            assert r.status_code == 200
            async for line in r.aiter_lines():
                if '"text-delta"' in line:
                    break  # leaving the block drops the connection mid-answer

    async def drive() -> None:
        limits = httpx.Limits(max_connections=wave, max_keepalive_connections=0)
        async with httpx.AsyncClient(limits=limits, timeout=60) as client:
            for start in range(0, total, wave):
                await asyncio.gather(*(open_and_drop(client, n) for n in range(start, start + wave)))

    watcher = threading.Thread(target=watch_connections, daemon=True)
    watcher.start()
    try:
        asyncio.run(drive())

        def stored() -> int:
            return deployment.rows("SELECT count(*) FROM threads_message WHERE role = 'assistant' AND status = 'incomplete'")[0][0]

        assert wait_until(lambda: stored() == total, timeout=60), f"{stored()} of {total} partial answers stored"
    finally:
        stop.set()
        watcher.join()
    # Every request to the model was closed when its client went away; none ran to the end.
    assert fake_openai.wait_for(lambda fake: fake.disconnects == total and fake.completed == 1, timeout=30), (
        fake_openai.disconnects, fake_openai.completed)
    assert peak_connections[0] <= 4
    assert deployment.rows("SELECT count(*) FROM threads_message WHERE role = 'user' AND message_id LIKE 'u%%'"
                           " AND thread_id IN (SELECT id FROM threads_thread WHERE external_id LIKE 'drop-%%')")[0][0] == total
    time.sleep(1)
    after = process_resources(server.process.pid)
    assert after["fds"] <= baseline["fds"] + 10, (baseline, after)
    assert after["threads"] <= baseline["threads"] + 8, (baseline, after)
    assert after["rss_kib"] <= baseline["rss_kib"] + 60 * 1024, (baseline, after)
    # And it serves as before.
    fake_openai.queue(Reply(tokens=["again"]))
    again = stream_chat(server.url, bearer(tokens, "user_drop_after"), chat_body(chat_id="after"))
    assert again.done and "error" not in again.types
