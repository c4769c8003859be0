"""The load script (bench/load.py) in CI, at a small scale: concurrent multi-turn conversations through a real
uvicorn process, then every row accounted for (the script exits 1 otherwise)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from .deployment import PROJECT_VARIABLES, ROOT, throwaway_postgres_database

pytestmark = pytest.mark.slow


@pytest.fixture
def load_database() -> Iterator[str]:
    with throwaway_postgres_database("chatsite_load_test") as url:
        yield url


def test_load_script_finds_every_row_after_concurrent_conversations(load_database):
    env = {name: value for name, value in os.environ.items() if not name.startswith(PROJECT_VARIABLES)}
    result = subprocess.run(
        [sys.executable, "bench/load.py", "--users", "30", "--turns", "3", "--database-url", load_database],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "| 90 | 0 |" in result.stdout
    assert "Database checks passed: 30 threads, 180 messages" in result.stdout
