"""The load script (bench/load.py) in CI, at a small scale: concurrent multi-turn conversations through a real
uvicorn process, then every row accounted for (the script exits 1 otherwise)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from urllib.parse import urlsplit

import psycopg
import pytest

from .deployment import PROJECT_VARIABLES, ROOT, postgres_server_url

pytestmark = pytest.mark.slow


@pytest.fixture
def load_database() -> str:
    server = postgres_server_url()
    name = f"chatsite_load_test_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(server, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        pytest.skip(f"the load test needs PostgreSQL ({exc})")
    yield urlsplit(server)._replace(path=f"/{name}").geturl()
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_load_script_finds_every_row_after_concurrent_conversations(load_database):
    env = {name: value for name, value in os.environ.items() if not name.startswith(PROJECT_VARIABLES)}
    result = subprocess.run(
        [sys.executable, "bench/load.py", "--users", "30", "--turns", "3", "--database-url", load_database],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "| 90 | 0 |" in result.stdout
    assert "Database checks passed: 30 threads, 180 messages" in result.stdout
