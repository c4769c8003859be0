"""What the benchmark scripts share: the fake model and the Django server as processes, Clerk-shaped tokens,
a production-like environment, and percentiles."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ORIGIN = "http://bench.localhost"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class ClerkKey:
    """A stand-in Clerk instance: an RSA key the server trusts (CLERK_JWT_KEY) and session tokens it signs."""

    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_pem = self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    def token(self, user_id: str, *, lifetime: int = 3600) -> str:
        now = int(time.time())
        claims = {"sub": user_id, "sid": f"sess_{user_id}", "azp": ORIGIN, "exp": now + lifetime, "iat": now,
                  "nbf": now - 5, "v": 2}
        return jwt.encode(claims, self._key, algorithm="RS256")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def wait_for_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def ensure_postgres_database(url: str) -> None:
    """Create the database named in `url` if it does not exist yet."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def production_env(database_url: str, clerk: ClerkKey, **overrides: str) -> dict[str, str]:
    """The environment of a production-like server (DEBUG off) for benchmarks: no rate limits, no TLS."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chatsite.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": database_url,
        "CLERK_JWT_KEY": clerk.public_pem,
        "CLERK_AUTHORIZED_PARTIES": ORIGIN,
        "OPENAI_API_KEY": "sk-bench",
        "OPENAI_MAX_RETRIES": "0",
        "CHAT_REQUESTS_PER_MINUTE": "0",
        "CHAT_TOKENS_PER_DAY": "0",
        **overrides,
    }


def migrate(env: dict[str, str]) -> None:
    if env["DATABASE_URL"].startswith("postgres"):
        ensure_postgres_database(env["DATABASE_URL"])
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)


def start_fake_model(tokens: int, delay: float) -> tuple[subprocess.Popen, str]:
    """bench/fake_model.py in its own process: (process, base URL for OPENAI_BASE_URL)."""
    process = subprocess.Popen(
        [PYTHON, str(ROOT / "bench" / "fake_model.py"), "--tokens", str(tokens), "--delay", str(delay)],
        stdin=subprocess.PIPE,  # it exits when this process does
        stdout=subprocess.PIPE,
        text=True,
    )
    return process, process.stdout.readline().strip()


def start_server(env: dict[str, str], port: int, *, workers: int = 1) -> subprocess.Popen:
    """`uvicorn chatsite.asgi:application` on 127.0.0.1:<port>, once /healthz answers."""
    process = subprocess.Popen(
        [PYTHON, "-m", "uvicorn", "chatsite.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--no-access-log", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz")
    except BaseException:
        process.terminate()
        raise
    return process


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]
