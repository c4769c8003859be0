"""Load with nothing lost: N users chat M turns each at the same time, then every row is accounted for.

    .venv/bin/python bench/load.py --users 200 --turns 5 --database-url postgres://chatsite@127.0.0.1:5432/chatsite_load

Each virtual user does what assistant-ui does: initializes a thread (POST /api/threads with its local id),
then for every turn sends the whole conversation to POST /api/chat, reads the stream to the end, and appends
both messages through the history endpoint as the browser's history adapter would (the server already stored
them: each append must be a no-op). The server is `uvicorn chatsite.asgi:application` in its own process, the
model the fake OpenAI-compatible server in another.

Afterwards the database must hold exactly one thread per user and two messages per turn, parents chained
user → assistant → user, every answer complete with its usage, no duplicate and no orphan. Prints throughput,
time to first delta and total time (p50 / p99), errors, and the checks; exits 1 if anything is off.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from harness import ClerkKey, free_port, migrate, percentile, production_env, start_fake_model, start_server


@dataclass
class Figures:
    ttfd: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


async def converse(client: aiohttp.ClientSession, base: str, token: str, local_id: str, turns: int,
                   figures: Figures) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with client.post(f"{base}/api/threads", json={"external_id": local_id}, headers=headers) as created:
        if created.status != 201:
            figures.errors.append(f"initialize: HTTP {created.status}")
            return
        thread_id = (await created.json())["id"]
    history: list[dict] = []
    parent = None
    for turn in range(turns):
        user = {"id": f"{local_id}-u{turn}", "role": "user", "parts": [{"type": "text", "text": f"Question {turn}"}]}
        body = {"id": thread_id, "messages": [*history, user], "trigger": "submit-message"}
        started = time.perf_counter()
        first = None
        message_id = None
        text: list[str] = []
        done = False
        try:
            async with client.post(f"{base}/api/chat", json=body, headers=headers) as response:
                if response.status != 200:
                    figures.errors.append(f"chat: HTTP {response.status} {(await response.read())[:120]!r}")
                    return
                async for raw in response.content:
                    line = raw.decode().rstrip("\r\n")
                    if line.startswith('data: {"type":"text-delta"'):
                        first = first or time.perf_counter() - started
                        text.append(json.loads(line[6:])["delta"])
                    elif line.startswith('data: {"type":"start"'):
                        message_id = json.loads(line[6:])["messageId"]
                    elif line.startswith('data: {"type":"error"'):
                        figures.errors.append(f"chat: {line}")
                    elif line == "data: [DONE]":
                        done = True
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            figures.errors.append(f"chat: {type(exc).__name__}")
            return
        if not done or first is None or message_id is None:
            figures.errors.append("chat: the stream ended early")
            return
        figures.ttfd.append(first)
        figures.total.append(time.perf_counter() - started)
        answer = {"id": message_id, "role": "assistant", "parts": [{"type": "text", "text": "".join(text)}]}
        # The browser's history adapter appends both messages after the turn; the server stored them already.
        for message, parent_id in ((user, parent), (answer, user["id"])):
            row = {"id": message["id"], "parent_id": parent_id, "format": "ai-sdk/v6",
                   "content": {"role": message["role"], "parts": message["parts"]}}
            async with client.post(f"{base}/api/threads/{thread_id}/messages", json=row, headers=headers) as appended:
                if appended.status != 200:
                    figures.errors.append(f"append {message['role']}: HTTP {appended.status} (expected 200: stored)")
        history += [user, answer]
        parent = message_id


def account_for_every_row(database_url: str, run: str, users: int, turns: int) -> list[str]:
    """The checks on the database, through the ORM of the same project: [] when everything is there."""
    os.environ.update({"DJANGO_SETTINGS_MODULE": "chatsite.settings", "DATABASE_URL": database_url})
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.db.models import Count

    from threads.models import Message, Thread

    problems: list[str] = []
    threads = Thread.all_tenants.filter(external_id__startswith=f"{run}-")
    if threads.count() != users:
        problems.append(f"{threads.count()} threads for {users} users")
    messages = Message.all_tenants.filter(thread__in=threads)
    if messages.count() != 2 * users * turns:
        problems.append(f"{messages.count()} messages, expected {2 * users * turns}")
    duplicates = messages.values("thread_id", "message_id").annotate(n=Count("id")).filter(n__gt=1).count()
    if duplicates:
        problems.append(f"{duplicates} duplicated messages")
    orphans = Message.all_tenants.exclude(thread__in=Thread.all_tenants.all()).count()
    if orphans:
        problems.append(f"{orphans} orphaned messages")
    unfinished = messages.filter(role="assistant").exclude(status="complete").count()
    if unfinished:
        problems.append(f"{unfinished} answers not complete")
    without_usage = messages.filter(role="assistant", completion_tokens__isnull=True).count()
    if without_usage:
        problems.append(f"{without_usage} answers without token usage")
    for thread in threads:
        rows = list(Message.all_tenants.filter(thread=thread).order_by("id").values_list("role", "message_id", "parent_id"))
        parent = None
        for index, (role, message_id, parent_id) in enumerate(rows):
            if role != ("user" if index % 2 == 0 else "assistant") or parent_id != parent:
                problems.append(f"thread {thread.pk}: message {index} is {role} with parent {parent_id}, not chained")
                break
            parent = message_id
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100, help="concurrent conversations")
    parser.add_argument("--turns", type=int, default=5, help="turns per conversation")
    parser.add_argument("--tokens", type=int, default=50, help="tokens per answer")
    parser.add_argument("--delay", type=float, default=0.01, help="seconds between tokens")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="PostgreSQL URL (created if missing); default: an SQLite file in a temporary folder")
    args = parser.parse_args()

    clerk = ClerkKey()
    database_url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='chatsite-load-')) / 'load.sqlite3'}"
    env = production_env(database_url, clerk)
    migrate(env)
    fake, base_url = start_fake_model(args.tokens, args.delay)
    port = free_port()
    try:
        server = start_server({**env, "OPENAI_BASE_URL": base_url}, port, workers=args.workers)
    except BaseException:
        fake.terminate()
        raise
    run = f"load-{secrets.token_hex(4)}"
    figures = Figures()
    try:
        async def drive() -> float:
            connector = aiohttp.TCPConnector(limit=args.users + 10)
            timeout = aiohttp.ClientTimeout(total=300, connect=30)
            async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:
                started = time.perf_counter()
                await asyncio.gather(*(
                    converse(client, f"http://127.0.0.1:{port}", clerk.token(f"user_{run}_{u}"), f"{run}-{u}",
                             args.turns, figures)
                    for u in range(args.users)
                ))
                return time.perf_counter() - started

        wall = asyncio.run(drive())
    finally:
        server.terminate()
        server.wait(timeout=30)
        fake.terminate()
    problems = account_for_every_row(database_url, run, args.users, args.turns)

    turns_done = len(figures.total)
    ms = lambda values, q: f"{percentile(values, q) * 1000:.1f}"  # noqa: E731
    print(f"# Load: {args.users} concurrent conversations × {args.turns} turns, {args.tokens} tokens "
          f"{int(args.delay * 1000)} ms apart, {args.workers} uvicorn worker(s), {os.cpu_count()} cores, "
          f"{database_url.split(':')[0]}\n")
    print("| turns | errors | turns/s | TTFD p50 ms | TTFD p99 ms | total p50 ms | total p99 ms |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {turns_done} | {len(figures.errors)} | {turns_done / wall:.1f} | {ms(figures.ttfd, 0.5)} | "
          f"{ms(figures.ttfd, 0.99)} | {ms(figures.total, 0.5)} | {ms(figures.total, 0.99)} |\n")
    for error in sorted(set(figures.errors))[:10]:
        print(f"- error: {error}")
    if problems:
        print("Database checks FAILED:")
        for problem in problems[:20]:
            print(f"- {problem}")
    else:
        print(f"Database checks passed: {args.users} threads, {2 * args.users * args.turns} messages, chained, "
              "complete with usage, no duplicate, no orphan.")
    sys.exit(1 if problems or figures.errors else 0)


if __name__ == "__main__":
    main()
