"""Pytest fixtures for the test doubles: a fake OpenAI server and the real AI SDK chat client (via Node).

Register with ``pytest_plugins = ["tests.fakes.pytest_plugin"]`` in the root conftest.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.openai_server import FakeOpenAI

NODE_HARNESS_DIR = Path(__file__).resolve().parent.parent / "node"
NODE_HARNESS_SCRIPT = NODE_HARNESS_DIR / "ai_sdk_client.mjs"
NODE_TIMEOUT_SECONDS = 60

AiSdkClient = Callable[..., dict[str, Any]]


@pytest.fixture(scope="session")
def fake_openai_server() -> Iterator[FakeOpenAI]:
    """The one fake OpenAI server of the session; prefer ``fake_openai``, which also resets it."""
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def fake_openai(fake_openai_server: FakeOpenAI) -> FakeOpenAI:
    """The session's fake OpenAI server, reset (default script, no requests, zero counters) for this test."""
    fake_openai_server.reset()
    return fake_openai_server


@pytest.fixture(scope="session")
def ai_sdk_client() -> AiSdkClient:
    """A function that sends one chat request with the real ``ai`` package's DefaultChatTransport.

    ``run(url, *, headers, chat_id, messages, trigger="submit-message", message_id=None, body=None)``
    returns the harness's JSON: ``ok``, ``error`` (when not ok), ``message`` (the assembled UIMessage or
    None), ``chunks``, ``requestBody``, ``status`` and ``responseHeaders`` (both None if no response came).
    Skips when Node is missing; installs tests/node/node_modules with ``npm ci`` on first use.
    """
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the AI SDK client harness (tests/node) needs Node.js 20+ and npm")
    if not (NODE_HARNESS_DIR / "node_modules" / "ai").is_dir():
        _npm_ci()

    def run(
        url: str,
        *,
        headers: dict[str, str],
        chat_id: str,
        messages: list[dict[str, Any]],
        trigger: str = "submit-message",
        message_id: str | None = None,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        request = {
            "url": url,
            "headers": headers,
            "chatId": chat_id,
            "messages": messages,
            "trigger": trigger,
            "messageId": message_id,
            "body": body,
        }
        completed = subprocess.run(
            [node, str(NODE_HARNESS_SCRIPT)],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=NODE_TIMEOUT_SECONDS,
            cwd=NODE_HARNESS_DIR,
            check=False,
        )
        if completed.returncode != 0:
            pytest.fail(f"AI SDK harness crashed (exit {completed.returncode}):\n{completed.stderr}", pytrace=False)
        return json.loads(completed.stdout.strip().splitlines()[-1])

    return run


def _npm_ci() -> None:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: it is needed once to install tests/node/node_modules")
    completed = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=NODE_HARNESS_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if completed.returncode != 0:
        pytest.fail(f"npm ci in {NODE_HARNESS_DIR} failed:\n{completed.stderr}", pytrace=False)
