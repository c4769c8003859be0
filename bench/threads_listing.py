"""Benchmark GET /api/threads (assistant-ui's thread list) with 1,000,000 threads on PostgreSQL.

    .venv/bin/python bench/threads_listing.py \\
        --database-url postgres://chatsite@127.0.0.1:5432/chatsite_listing --threads 1000000 --users 10000

What it does:

1. Creates the database if it is missing (the role needs CREATEDB), runs `manage.py migrate` against it, and
   fills `threads_thread` server-side (one INSERT ... SELECT over generate_series) with N threads over U users:
   most users have around a hundred threads, a few heavy users (one per 2,000 users) have 10,000 to 30,000;
   about a third of the threads are in organizations (each user is in 0 to 3 of them, heavy users in one), 10%
   are archived, and updated_at is spread uniformly over the past year. Rows are inserted in creation order,
   so one user's threads are scattered over the whole table as in production. Then VACUUM ANALYZE. The fill is
   skipped when the table already holds N threads of this plan (--refill forces it). No messages are made:
   listing threads never reads them.
2. Lists workspaces through the real HTTP API, in this process: Django's test Client sends Clerk-shaped
   session tokens (`Authorization: Bearer`, signed by a key made for the run and configured as CLERK_JWT_KEY),
   so every request goes through the Clerk middleware, DRF and the keyset paginator. For each workspace kind
   (a typical user and the heaviest user, each personal and in an organization, each unfiltered and with
   ?status=regular and ?status=archived as assistant-ui's thread list asks; an empty workspace) it measures
   the first page (limit 50) and a deep page (reached by following `Link: rel="next"` --deep-pages times; a
   workspace with fewer pages has only its first one measured):
   the number of SQL queries per request (CaptureQueriesContext), the median and p99 latency over --requests
   requests (hot cache, after a few warm-up requests), and EXPLAIN (ANALYZE, BUFFERS) of the exact list query
   the view ran. It also reports how the cost of one page grows with its depth in the heaviest personal
   workspace (pages 1,000, 5,000 and 10,000 rows deep, and the last one).
3. Prints a Markdown report on stdout (progress goes to stderr).

What it proves, or exits 1: every list request runs the same number of SQL queries whatever the workspace and
page, and every list query's plan is an Index Scan on the workspace's own partial index (thread_personal_* or
thread_org_*, *_status with ?status=), with no Seq Scan and no Sort: the rows come out in index order and the
first page costs the same whatever the size of the table or of the workspace.

Timings are from one process on a shared machine; compare them with each other, not across machines.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import shlex
import statistics
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://chatsite@127.0.0.1:5432/chatsite_listing"
PLAN_TABLE = "bench_listing_users"  # the fill's per-user plan, kept next to the threads it produced
PAGE_SIZE = 50
TEST_HOST = "testserver"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- 1. Database, migrations and fill -------------------------------------------------------------------------


def ensure_database(database_url: str) -> bool:
    """Create the database named in the URL if it does not exist; True when it was created."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(database_url)
    name = unquote(parts.path.lstrip("/"))
    connect = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **connect) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def django_environment(database_url: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "chatsite.settings",
        "DJANGO_DEBUG": "1",  # so the system checks pass without production secrets; see run_requests()
        "DATABASE_URL": database_url,
        "DATABASE_POOL_MIN_SIZE": "1",
    }


def migrate(database_url: str) -> None:
    env = {**os.environ, **django_environment(database_url)}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )


@dataclass
class FillPlan:
    """How many threads each user gets and which organizations they belong to (deterministic per seed)."""

    users: list[str]
    threads: list[int]
    orgs: list[list[str]]
    heavy: list[bool]
    org_share: float  # probability that a thread of a user with organizations is in one of them
    organizations: int


def make_plan(total: int, users: int, seed: int = 42) -> FillPlan:
    rng = random.Random(seed)
    heavy_count = max(1, users // 2000)
    average = total / users
    # Heavy users: 100× to 300× the average (10,000 to 30,000 threads at 100 per user), geometrically spaced.
    heavy_sizes = [
        round(100 * average * 3 ** (k / max(1, heavy_count - 1))) for k in range(heavy_count)
    ]
    if sum(heavy_sizes) > total // 2:  # tiny runs: keep the heavy users under half of the table
        scale = (total // 2) / sum(heavy_sizes)
        heavy_sizes = [max(1, int(size * scale)) for size in heavy_sizes]
    normal_count = users - heavy_count
    remaining = total - sum(heavy_sizes)
    # Everyone else: log-normal around the remaining average, so most users have roughly a hundred threads.
    weights = [rng.lognormvariate(0, 0.45) for _ in range(normal_count)]
    scale = remaining / sum(weights)
    normal_sizes = [max(1, int(w * scale)) for w in weights]
    shortfall = remaining - sum(normal_sizes)
    step = 1 if shortfall > 0 else -1
    i = 0
    while shortfall:
        if step > 0 or normal_sizes[i % normal_count] > 1:
            normal_sizes[i % normal_count] += step
            shortfall -= step
        i += 1
    organizations = max(1, users // 10)
    org_names = [f"org_{n:05d}" for n in range(organizations)]
    names, sizes, orgs, heavy = [], [], [], []
    for n, size in enumerate(normal_sizes):
        k = rng.choices([0, 1, 2, 3], weights=[40, 35, 15, 10])[0]
        names.append(f"user_{n:05d}")
        sizes.append(size)
        orgs.append(rng.sample(org_names, min(k, organizations)))
        heavy.append(False)
    for n, size in enumerate(heavy_sizes):
        names.append(f"user_heavy_{n:02d}")
        sizes.append(size)
        orgs.append(rng.sample(org_names, 1))
        heavy.append(True)
    in_orgs = sum(size for size, memberships in zip(sizes, orgs) if memberships)
    org_share = min(0.95, (total / 3) / in_orgs)
    assert sum(sizes) == total
    return FillPlan(names, sizes, orgs, heavy, org_share, organizations)


def current_fill(cursor: Any, total: int, users: int) -> bool:
    """True when the table already holds `total` threads made by a plan for `users` users."""
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [PLAN_TABLE])
    if not cursor.fetchone()[0]:
        return False
    cursor.execute(f"SELECT count(*), coalesce(sum(threads), 0) FROM {PLAN_TABLE}")
    planned_users, planned_threads = cursor.fetchone()
    cursor.execute("SELECT count(*) FROM threads_thread")
    return (planned_users, planned_threads, cursor.fetchone()[0]) == (users, total, total)


def fill(total: int, users: int) -> float:
    """Replace every thread with `total` generated ones over `users` users; seconds taken."""
    from django.db import connection

    plan = make_plan(total, users)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE threads_message, threads_thread")
        cursor.execute(f"DROP TABLE IF EXISTS {PLAN_TABLE}")
        cursor.execute(
            f"CREATE TABLE {PLAN_TABLE} (user_id text PRIMARY KEY, threads int NOT NULL, orgs text[] NOT NULL,"
            " heavy boolean NOT NULL)"
        )
        cursor.execute(
            f"""INSERT INTO {PLAN_TABLE}
            SELECT u, n, CASE WHEN o = '' THEN '{{}}'::text[] ELSE string_to_array(o, ',') END, h
            FROM unnest(%s::text[], %s::int[], %s::text[], %s::boolean[]) AS p(u, n, o, h)""",
            [plan.users, plan.threads, [",".join(o) for o in plan.orgs], plan.heavy],
        )
        cursor.execute("SELECT setseed(0.42)")
        # One statement, all server-side. The inner SELECT draws each thread's values; the outer one inserts
        # them in creation order, which interleaves users as real traffic does. Ids look like real ones
        # (22 URL-safe-ish characters after thr_), so id order is unrelated to time.
        cursor.execute(
            f"""INSERT INTO threads_thread
                (id, owner_id, org_id, external_id, title, status, custom, created_at, updated_at, last_message_at)
            SELECT id, owner_id, org_id, external_id, title, status, '{{}}'::jsonb,
                   updated_at - age * interval '30 days', updated_at, updated_at
            FROM (
                SELECT 'thr_' || substr(md5(u.user_id || ':' || g.i), 1, 22) AS id,
                       u.user_id AS owner_id,
                       CASE WHEN cardinality(u.orgs) > 0 AND random() < %s
                            THEN u.orgs[1 + floor(random() * cardinality(u.orgs))::int] END AS org_id,
                       'local-' || g.i AS external_id,
                       'Conversation ' || g.i AS title,
                       CASE WHEN random() < 0.1 THEN 'archived' ELSE 'regular' END AS status,
                       now() - random() * interval '365 days' AS updated_at,
                       random() AS age
                FROM {PLAN_TABLE} AS u CROSS JOIN generate_series(1, u.threads) AS g(i)
            ) AS t
            ORDER BY updated_at - age * interval '30 days'""",
            [plan.org_share],
        )
        cursor.execute("VACUUM (ANALYZE) threads_thread")
        cursor.execute(f"ANALYZE {PLAN_TABLE}")
    return time.perf_counter() - started


# --- 2. Measuring the API -----------------------------------------------------------------------------------


@dataclass
class Workspace:
    label: str
    user_id: str
    org_id: str | None
    status: str | None = None
    size: int = 0  # threads the listing covers (of that status, if any)

    @property
    def index(self) -> str:
        return f"thread_{'org' if self.org_id else 'personal'}_{'status' if self.status else 'recent'}"

    @property
    def first_url(self) -> str:
        status = f"&status={self.status}" if self.status else ""
        return f"/api/threads?limit={PAGE_SIZE}{status}"


@dataclass
class Node:
    name: str  # e.g. "Index Scan using thread_personal_recent on threads_thread"
    rows: int  # actual rows × loops
    removed: int = 0  # rows removed by Filter or Index Recheck


SCANS = ("Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan")


@dataclass
class Plan:
    text: str
    nodes: list[Node]
    buffers: str
    execution_ms: float

    @property
    def indexes(self) -> list[str]:
        pattern = r"Index (?:Only )?Scan(?: Backward)? using (\w+)"
        return [m.group(1) for node in self.nodes if (m := re.match(pattern, node.name))]

    @property
    def has_seq_scan(self) -> bool:
        return any(node.name.startswith("Seq Scan") for node in self.nodes)

    @property
    def sorted_rows(self) -> int | None:
        """Rows fed into a Sort node (its child's output), or None without a Sort."""
        for n, node in enumerate(self.nodes):
            if re.match(r"(Incremental )?Sort\b", node.name):
                return self.nodes[n + 1].rows if n + 1 < len(self.nodes) else 0
        return None

    @property
    def rows_read(self) -> int:
        """Table rows the scans produced or discarded: 51 for a page read in index order from its start."""
        return sum(node.rows + node.removed for node in self.nodes if node.name.startswith(SCANS))

    @property
    def rows_removed(self) -> int:
        return sum(node.removed for node in self.nodes)


@dataclass
class Case:
    workspace: Workspace
    page: int  # 1 = first page
    url: str
    rows: int = 0
    queries: list[int] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    plan: Plan | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.workspace.label}, page {self.page}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def explain(sql: str) -> Plan:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
        lines = [row[0] for row in cursor.fetchall()]
    nodes: list[Node] = []
    for n, line in enumerate(lines):
        if n == 0 or "->" in line:
            match = re.match(r"\s*(?:->\s*)?(.*?) \(actual .*rows=(\d+) loops=(\d+)\)", line)
            if match:
                nodes.append(Node(match.group(1), int(match.group(2)) * int(match.group(3))))
        elif nodes and (removed := re.search(r"Rows Removed by (?:Filter|Index Recheck): (\d+)", line)):
            nodes[-1].removed += int(removed.group(1))
    top_buffers = next((line.strip() for line in lines[1:] if line.strip().startswith("Buffers:")), "")
    execution = next(float(m.group(1)) for line in lines if (m := re.search(r"Execution Time: ([\d.]+)", line)))
    # Keep the plan proper: drop the planner's own buffer and timing lines.
    shown, in_planning = [], False
    for line in lines:
        if line.startswith("Planning"):
            in_planning = line.strip() == "Planning:"
            continue
        if in_planning and line.startswith(" "):
            continue
        in_planning = False
        shown.append(line)
    return Plan("\n".join(shown), nodes, top_buffers.removeprefix("Buffers: "), execution)


def list_queries(captured: Any) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "threads_thread" in q["sql"]]


def measure(client: Any, headers: dict[str, str], case: Case, requests: int, warmup: int = 5) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        client.get(case.url, **headers)
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(case.url, **headers)
        case.latencies_ms.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content
    for _ in range(3):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(case.url, **headers)
        case.queries.append(len(captured.captured_queries))
    case.rows = len(response.json())
    statements = list_queries(captured)
    if len(statements) != 1:
        case.problems.append(f"expected one list query, saw {len(statements)}")
        return
    case.plan = explain(statements[0])
    plan = case.plan
    if plan.has_seq_scan or plan.sorted_rows is not None or plan.indexes != [case.workspace.index]:
        case.problems.append(f"{summary(plan)}, not an Index Scan using {case.workspace.index} without Sort")


def next_link(response: Any) -> str | None:
    match = re.search(r'<([^>]+)>;\s*rel="next"', response.headers.get("Link", ""))
    return match.group(1) if match else None


def deep_url(client: Any, headers: dict[str, str], workspace: Workspace, pages: int) -> tuple[str, int]:
    """Follow rel="next" up to `pages` times from the first page; (url, page number reached)."""
    url, page = workspace.first_url, 1
    for _ in range(pages):
        following = next_link(client.get(url, **headers))
        if following is None:
            break
        url, page = following, page + 1
    return url, page


def choose_workspaces(cursor: Any) -> list[Workspace]:
    """The typical user (median thread count, one organization), the heaviest user, and an empty workspace."""
    cursor.execute(
        f"""SELECT user_id, orgs[1] FROM {PLAN_TABLE} WHERE NOT heavy AND cardinality(orgs) = 1
        ORDER BY abs(threads - (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY threads) FROM {PLAN_TABLE})),
                 user_id LIMIT 1"""
    )
    typical, typical_org = cursor.fetchone()
    cursor.execute(f"SELECT user_id FROM {PLAN_TABLE} ORDER BY threads DESC, user_id LIMIT 1")
    (heaviest,) = cursor.fetchone()
    cursor.execute(
        """SELECT org_id FROM threads_thread WHERE owner_id = %s AND org_id IS NOT NULL
        GROUP BY org_id ORDER BY count(*) DESC, org_id LIMIT 1""",
        [heaviest],
    )
    (heaviest_org,) = cursor.fetchone()
    # assistant-ui's thread list (frontend/src/threadAdapter.ts) asks for ?status=regular and ?status=archived;
    # the unfiltered listing is the API's default.
    workspaces = [
        Workspace(f"{who}, {where}" + (f", ?status={status}" if status else ""), user_id, org_id, status)
        for who, user_id, org in [("typical user", typical, typical_org), ("heaviest user", heaviest, heaviest_org)]
        for where, org_id in [("personal", None), ("in an organization", org)]
        for status in (None, "regular", "archived")
    ]
    workspaces += [
        Workspace("empty workspace (new user)", "user_never_seen", None),
        Workspace("empty workspace (new user), ?status=regular", "user_never_seen", None, "regular"),
    ]
    for workspace in workspaces:
        cursor.execute(
            "SELECT count(*) FROM threads_thread WHERE owner_id = %s AND org_id IS NOT DISTINCT FROM %s"
            " AND (%s::text IS NULL OR status = %s)",
            [workspace.user_id, workspace.org_id, workspace.status, workspace.status],
        )
        workspace.size = cursor.fetchone()[0]
    return workspaces


@dataclass
class DepthProbe:
    depth: int  # rows before the page
    median_ms: float
    plan: Plan


def probe_depths(client: Any, headers: dict[str, str], workspace: Workspace, requests: int) -> list[DepthProbe]:
    """The cost of one page of the heaviest workspace as a function of how deep it is."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from threads.models import Thread
    from threads.pagination import KeysetPagination

    from accounts.identity import ClerkIdentity

    identity = ClerkIdentity(workspace.user_id, "sess_probe", org_id=workspace.org_id)
    ordered = Thread.objects.for_identity(identity).newest_first()
    probes = []
    for depth in (0, 1_000, 5_000, 10_000, workspace.size - PAGE_SIZE):
        if depth < 0 or depth >= workspace.size:
            continue
        url = workspace.first_url
        if depth:
            updated_at, pk = ordered.values_list("updated_at", "pk")[depth - 1]
            url += f"&cursor={KeysetPagination.encode_cursor(updated_at, pk)}"
        latencies = []
        for _ in range(requests):
            started = time.perf_counter()
            client.get(url, **headers)
            latencies.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as captured:
            client.get(url, **headers)
        probes.append(DepthProbe(depth, statistics.median(latencies), explain(list_queries(captured)[0])))
    return probes


def run_requests(args: argparse.Namespace) -> tuple[list[Case], list[DepthProbe], dict[str, Any]]:
    from django.db import connection
    from django.test import Client, override_settings

    from tests.clerk import TEST_ORIGIN, SigningKey, TokenFactory

    key = SigningKey("ins_bench")
    tokens = TokenFactory(key)
    settings = override_settings(
        DEBUG=False,  # as in production (no query log); CaptureQueriesContext turns it on where needed
        ALLOWED_HOSTS=[TEST_HOST],
        CLERK_JWT_KEY=key.public_pem,
        CLERK_SECRET_KEY=None,
        CLERK_ISSUER=None,
        CLERK_DEV_SIGNIN=False,
        CLERK_AUTHORIZED_PARTIES=[TEST_ORIGIN],
        SECURE_SSL_REDIRECT=False,
    )
    cases: list[Case] = []
    probes: list[DepthProbe] = []
    with settings, connection.cursor() as cursor:
        workspaces = choose_workspaces(cursor)
        client = Client()
        for workspace in workspaces:
            org = (workspace.org_id, workspace.org_id.replace("org_", "slug-"), "member") if workspace.org_id else None
            token = tokens.token(user_id=workspace.user_id, org=org, lifetime=3600)
            headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
            deep, page = deep_url(client, headers, workspace, args.deep_pages)
            pages = [(workspace.first_url, 1)] + ([(deep, page)] if page > 1 else [])
            for url, number in pages:
                case = Case(workspace, number, url)
                log(f"measuring {case.name} ({args.requests} requests)")
                measure(client, headers, case, args.requests)
                cases.append(case)
            if workspace.label == "heaviest user, personal":
                log("probing page cost against depth")
                probes = probe_depths(client, headers, workspace, max(20, args.requests // 10))
        cursor.execute("SHOW server_version")
        facts: dict[str, Any] = {"server_version": cursor.fetchone()[0]}
        cursor.execute("SHOW shared_buffers")
        facts["shared_buffers"] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT pg_size_pretty(pg_table_size('threads_thread')), pg_size_pretty(pg_indexes_size('threads_thread'))"
        )
        facts["table_size"], facts["indexes_size"] = cursor.fetchone()
        cursor.execute(
            """SELECT c.relname, pg_size_pretty(pg_relation_size(c.oid)) FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'threads_thread'::regclass
            AND c.relname LIKE 'thread\\_%%' ORDER BY c.relname"""
        )
        facts["index_sizes"] = cursor.fetchall()
        cursor.execute(
            f"""SELECT count(*), count(*) FILTER (WHERE heavy),
                percentile_disc(ARRAY[0.1, 0.5, 0.9, 0.99]) WITHIN GROUP (ORDER BY threads) FILTER (WHERE NOT heavy),
                min(threads) FILTER (WHERE heavy), max(threads),
                (SELECT count(DISTINCT o) FROM {PLAN_TABLE}, unnest(orgs) AS o) FROM {PLAN_TABLE}"""
        )
        (facts["users"], facts["heavy"], facts["quantiles"], facts["heavy_min"], facts["max"],
         facts["organizations"]) = cursor.fetchone()
        cursor.execute(
            """SELECT count(*), count(*) FILTER (WHERE org_id IS NOT NULL), count(*) FILTER (WHERE status = 'archived'),
                min(updated_at), max(updated_at) FROM threads_thread"""
        )
        facts["threads"], facts["in_orgs"], facts["archived"], facts["oldest"], facts["newest"] = cursor.fetchone()
    return cases, probes, facts


# --- 3. Report ----------------------------------------------------------------------------------------------


def command_line() -> str:
    return shlex.join([".venv/bin/python", "bench/threads_listing.py", *sys.argv[1:]])


def summary(plan: Plan) -> str:
    """E.g. "Index Scan thread_personal_recent" or "Bitmap Heap Scan (thread_org_status) + Sort of 530 rows"."""
    parts = []
    for node in plan.nodes:
        if match := re.match(r"(Index (?:Only )?Scan(?: Backward)?) using (\w+)", node.name):
            parts.append(f"{match.group(1)} {match.group(2)}")
        elif node.name.startswith("Bitmap Heap Scan"):
            prefix = "Bitmap Index Scan on "
            bitmaps = [n.name.removeprefix(prefix) for n in plan.nodes if n.name.startswith(prefix)]
            parts.append(f"Bitmap Heap Scan ({', '.join(dict.fromkeys(bitmaps))})")
        elif node.name.startswith("Seq Scan"):
            parts.append("Seq Scan")
    if plan.sorted_rows is not None:
        parts.append(f"Sort of {plan.sorted_rows:,} row{'' if plan.sorted_rows == 1 else 's'}")
    return " + ".join(parts)


def abbreviate(plan: Plan) -> str:
    """The plan without buffer counts and execution time (both are in the table), very long lines cut."""
    lines = [
        line if len(line) <= 240 else line[:237] + "..."
        for line in plan.text.splitlines()
        if not line.strip().startswith(("Buffers:", "Execution Time:"))
    ]
    return "\n".join(lines)


def plan_shape(plan: Plan) -> str:
    """The plan with its literals and timings left out: cases with the same shape show one plan."""
    return re.sub(r"'[^']*'", "'…'", re.sub(r" \(actual [^)]*\)", "", abbreviate(plan)))


def report(
    cases: list[Case], probes: list[DepthProbe], facts: dict[str, Any], fill_seconds: float | None, requests: int
) -> tuple[str, bool]:
    q10, q50, q90, q99 = facts["quantiles"]
    threads = facts["threads"]
    out = [
        f"Command: `{command_line()}`",
        "",
        f"Run on {date.today().isoformat()}: {os.cpu_count()} cores (os.cpu_count()), PostgreSQL "
        f"{facts['server_version']} on the same machine (shared_buffers {facts['shared_buffers']}), Django "
        f"{__import__('django').get_version()}, Python {sys.version.split()[0]}. The machine is shared with other "
        "engineers' test runs: compare the timings with each other, not with another machine.",
        "",
        f"Data: {threads:,} threads over {facts['users']:,} users and {facts['organizations']:,} organizations. "
        f"Threads per user: {q10} / {q50} / {q90} / {q99} (10th / 50th / 90th / 99th percentile of ordinary "
        f"users); {facts['heavy']} heavy users with {facts['heavy_min']:,} to {facts['max']:,}. "
        f"{facts['in_orgs'] / threads:.1%} of threads in organizations, {facts['archived'] / threads:.1%} archived, "
        f"updated_at from {facts['oldest']:%Y-%m-%d} to {facts['newest']:%Y-%m-%d}. Table {facts['table_size']}, "
        f"indexes {facts['indexes_size']} ("
        + ", ".join(f"{name} {size}" for name, size in facts["index_sizes"])
        + ").",
        "",
        (
            f"Fill (one INSERT ... SELECT over generate_series, then VACUUM ANALYZE): {fill_seconds:.1f} s."
            if fill_seconds is not None
            else "Fill: skipped, the table already held this data (--refill redoes it)."
        ),
        "",
        f"Each row: `GET /api/threads?limit={PAGE_SIZE}` through Django's test Client with a Clerk session token "
        f"(middleware, DRF, paginator, serializer), {requests} requests after 5 warm-up ones (hot cache); the deep "
        "page is reached by following `Link: rel=\"next\"`. Queries = SQL statements per request "
        "(CaptureQueriesContext). Plan figures are from EXPLAIN (ANALYZE, BUFFERS) of the exact list query the "
        "view ran: rows read = table rows the scan fetched (51 for a page read in index order from its first "
        "row), of which filtered = read then thrown away by a Filter (the keyset condition on deep pages).",
        "",
        "| workspace | threads | page | rows | queries | median ms | p99 ms | plan | rows read (filtered) | buffers "
        "| SQL ms |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|---|---:|",
    ]
    for case in cases:
        plan = case.plan
        out.append(
            f"| {case.workspace.label} | {case.workspace.size:,} | {case.page} | {case.rows} | "
            f"{'/'.join(map(str, sorted(set(case.queries))))} | {statistics.median(case.latencies_ms):.2f} | "
            f"{percentile(case.latencies_ms, 0.99):.2f} | "
            + (
                f"{summary(plan)} | {plan.rows_read:,} ({plan.rows_removed:,}) | {plan.buffers} | "
                f"{plan.execution_ms:.3f} |"
                if plan
                else "? | ? | ? | ? |"
            )
        )
    if probes:
        out += [
            "",
            "Cost of one page against its depth (heaviest user, personal workspace, cursor made from the row "
            "just before the page):",
            "",
            "| rows before the page | median ms | plan | rows read (filtered) | buffers | SQL ms |",
            "|---:|---:|---|---:|---|---:|",
        ]
        for probe in probes:
            out.append(
                f"| {probe.depth:,} | {probe.median_ms:.2f} | {summary(probe.plan)} | {probe.plan.rows_read:,} "
                f"({probe.plan.rows_removed:,}) | {probe.plan.buffers} | {probe.plan.execution_ms:.3f} |"
            )
    problems = [f"{case.name}: {problem}" for case in cases for problem in case.problems]
    counts = sorted({count for case in cases for count in case.queries})
    if len(counts) != 1:
        problems.append(f"query counts differ between requests: {counts}")
    out += ["", f"**{'FAIL' if problems else 'PASS'}**: " + (
        "; ".join(problems)
        if problems
        else f"every request ran {counts[0]} SQL quer{'y' if counts[0] == 1 else 'ies'}; every list query is an "
        "Index Scan on its workspace's partial index, with no Seq Scan and no Sort."
    )]
    out += [
        "",
        "Plans (EXPLAIN (ANALYZE, BUFFERS, COSTS OFF), without the buffer, planning and execution lines; cases "
        "whose plans differ only in their literals and timings share one):",
        "",
    ]
    shapes: dict[str, tuple[list[str], Plan]] = {}
    for name, plan in [(case.name, case.plan) for case in cases if case.plan] + [
        (f"depth probe, {probe.depth:,} rows before the page", probe.plan) for probe in probes[1:]
    ]:
        shapes.setdefault(plan_shape(plan), ([], plan))[0].append(name)
    for names, plan in shapes.values():
        out += ["; ".join(names) + ":", "", "```", abbreviate(plan), "```", ""]
    return "\n".join(out), bool(problems)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--threads", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--refill", action="store_true", help="refill even when the table already holds the data")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per case")
    parser.add_argument("--deep-pages", type=int, default=20, help="rel=next links followed for the deep page")
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must be a PostgreSQL URL")

    if ensure_database(args.database_url):
        log("created the database")
    log("migrating")
    migrate(args.database_url)

    os.environ.update(django_environment(args.database_url))
    sys.path.insert(0, str(ROOT))
    import django

    warnings.filterwarnings("ignore", message="No directory at")  # WhiteNoise: no collectstatic here
    django.setup()
    from django.db import connection

    with connection.cursor() as cursor:
        filled = current_fill(cursor, args.threads, args.users)
    fill_seconds = None
    if filled and not args.refill:
        log(f"the table already holds {args.threads:,} threads over {args.users:,} users: fill skipped")
    else:
        log(f"filling {args.threads:,} threads over {args.users:,} users")
        fill_seconds = fill(args.threads, args.users)
        log(f"fill took {fill_seconds:.1f} s")

    cases, probes, facts = run_requests(args)
    text, failed = report(cases, probes, facts, fill_seconds, args.requests)
    print(text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
