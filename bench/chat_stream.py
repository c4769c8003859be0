"""Benchmark POST /api/chat under uvicorn against the same fake model streamed directly.

    .venv/bin/python bench/chat_stream.py --database-url postgres://chatsite@127.0.0.1:5432/chatsite_bench

For each scenario (concurrent streams × tokens and the delay between them) it runs, side by side in one run,
the fake OpenAI-compatible model streamed directly and the same stream through Django's /api/chat (Clerk
token verified, thread bound, user message and answer stored), and prints: requests, errors, time to first
delta (p50 / p99), total time (p50 / p99), and the Django server's CPU per request. The fake model and the
server each run in their own process; this process is only the client.
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
from urllib.parse import urlsplit

import aiohttp

from harness import (
    ClerkKey,
    free_port,
    migrate,
    percentile,
    process_cpu,
    production_env,
    start_fake_model,
    start_server,
)


@dataclass
class Scenario:
    concurrency: int
    tokens: int
    delay: float
    requests: int

    @property
    def name(self) -> str:
        return f"{self.concurrency} streams × {self.tokens} tokens, {int(self.delay * 1000)} ms apart"


@dataclass
class Outcome:
    ttfd: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0
    cpu: float | None = None  # server CPU seconds, Django only


def is_ui_delta(line: str) -> bool:
    return line.startswith('data: {"type":"text-delta"')


def is_upstream_delta(line: str) -> bool:
    if not line.startswith("data: {"):
        return False
    choices = json.loads(line[6:]).get("choices") or [{}]
    return bool((choices[0].get("delta") or {}).get("content"))


async def one_request(session: aiohttp.ClientSession, url: str, body: dict, headers: dict, ui: bool,
                      outcome: Outcome) -> None:
    started = time.perf_counter()
    first = None
    done = False
    try:
        async with session.post(url, json=body, headers=headers) as response:
            if response.status != 200:
                outcome.errors.append(f"HTTP {response.status}: {(await response.read())[:200]!r}")
                return
            async for raw in response.content:
                line = raw.decode().rstrip("\r\n")
                if first is None and (is_ui_delta(line) if ui else is_upstream_delta(line)):
                    first = time.perf_counter() - started
                elif ui and line.startswith('data: {"type":"error"'):
                    outcome.errors.append(line)
                elif line == "data: [DONE]":
                    done = True
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        outcome.errors.append(f"{type(exc).__name__}: {exc}")
        return
    if not done or first is None:
        outcome.errors.append("stream ended without [DONE] or without a delta")
        return
    outcome.ttfd.append(first)
    outcome.total.append(time.perf_counter() - started)


async def drive(scenario: Scenario, make_request, ui: bool) -> Outcome:
    """`scenario.concurrency` clients, each sending its next request when the previous one has ended.

    The client is aiohttp: with 200 streams of 50 events in half a second, a slower HTTP client would be what
    the benchmark measures.
    """
    outcome = Outcome()
    connector = aiohttp.TCPConnector(limit=scenario.concurrency + 10)
    timeout = aiohttp.ClientTimeout(total=120, connect=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        counter = iter(range(scenario.requests))

        async def worker(worker_id: int) -> None:
            for number in counter:
                url, body, headers = make_request(worker_id, number)
                await one_request(session, url, body, headers, ui, outcome)

        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(scenario.concurrency)))
        outcome.wall = time.perf_counter() - started
    return outcome


def row(label: str, scenario: Scenario, outcome: Outcome) -> str:
    ms = lambda seconds: f"{seconds * 1000:8.1f}"  # noqa: E731
    done = len(outcome.ttfd)
    cpu = f"{outcome.cpu / max(1, done + len(outcome.errors)) * 1000:8.2f}" if outcome.cpu is not None else "       —"
    return (
        f"| {label:9} | {done + len(outcome.errors):5} | {len(outcome.errors):6} | {ms(percentile(outcome.ttfd, 0.5))} |"
        f" {ms(percentile(outcome.ttfd, 0.99))} | {ms(percentile(outcome.total, 0.5))} | {ms(percentile(outcome.total, 0.99))} |"
        f" {cpu} | {done / outcome.wall:7.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="PostgreSQL URL (created if missing); default: an SQLite file in a temporary folder")
    parser.add_argument("--quick", action="store_true", help="fewer requests per scenario")
    args = parser.parse_args()

    scale = 0.25 if args.quick else 1.0
    scenarios = [
        Scenario(1, 50, 0.01, max(5, int(40 * scale))),
        Scenario(50, 50, 0.01, max(50, int(200 * scale))),
        Scenario(200, 50, 0.01, max(200, int(400 * scale))),
        Scenario(50, 50, 0.0, max(50, int(200 * scale))),
    ]

    clerk = ClerkKey()
    tokens = [clerk.token(f"user_bench_{i}") for i in range(200)]
    workdir = Path(tempfile.mkdtemp(prefix="chatsite-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    base_env = production_env(database_url, clerk)
    migrate(base_env)

    print(f"# /api/chat benchmark — {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]}, database {urlsplit(database_url).scheme}")
    print("# uvicorn chatsite.asgi:application (1 process, --no-access-log); fake model in its own process\n")
    added: list[str] = []
    for (tokens_per_answer, delay), group in _grouped(scenarios):
        fake, base_url = start_fake_model(tokens_per_answer, delay)
        port = free_port()
        try:
            server = start_server({**base_env, "OPENAI_BASE_URL": base_url}, port)
        except BaseException:
            fake.terminate()
            raise
        try:
            for scenario in group:
                direct = asyncio.run(drive(scenario, lambda w, n: (
                    f"{base_url}/chat/completions",
                    {"model": "gpt-4o-mini", "stream": True, "stream_options": {"include_usage": True},
                     "messages": [{"role": "user", "content": "Hi"}]},
                    {"Authorization": "Bearer sk-bench"},
                ), ui=False))
                cpu_before = process_cpu(server.pid)
                django = asyncio.run(drive(scenario, lambda w, n: (
                    f"http://127.0.0.1:{port}/api/chat",
                    {"id": f"bench-{w}-{n}-{secrets.token_hex(4)}", "trigger": "submit-message",
                     "messages": [{"id": f"u-{n}", "role": "user", "parts": [{"type": "text", "text": "Hi"}]}]},
                    {"Authorization": f"Bearer {tokens[w % len(tokens)]}"},
                ), ui=True))
                django.cpu = process_cpu(server.pid) - cpu_before
                print(f"## {scenario.name}\n")
                print("| path      | reqs  | errors | TTFD p50 | TTFD p99 | total p50 | total p99 | CPU ms/req | req/s |")
                print("|-----------|-------|--------|----------|----------|-----------|-----------|------------|-------|")
                print(row("upstream", scenario, direct))
                print(row("/api/chat", scenario, django))
                print()
                for error in sorted(set(django.errors))[:5]:
                    print(f"    error: {error}")
                added.append(
                    f"{scenario.name}: +{(percentile(django.ttfd, 0.5) - percentile(direct.ttfd, 0.5)) * 1000:.1f} ms "
                    f"to the median time to first delta, {len(django.errors)} errors"
                )
        finally:
            server.terminate()
            server.wait(timeout=30)
            fake.terminate()
            fake.wait(timeout=10)
    print("## Added by Django (median time to first delta, /api/chat minus upstream)\n")
    for line in added:
        print(f"- {line}")


def _grouped(scenarios: list[Scenario]):
    groups: dict[tuple[int, float], list[Scenario]] = {}
    for scenario in scenarios:
        groups.setdefault((scenario.tokens, scenario.delay), []).append(scenario)
    return groups.items()


if __name__ == "__main__":
    main()
