from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client, override_settings

from .api import ApiClient
from .clerk import SigningKey, TokenFactory

pytest_plugins = ["tests.fakes.pytest_plugin", "tests.deployment"]


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    """The test session's Clerk instance key, configured as CLERK_JWT_KEY for every test."""
    return SigningKey()


@pytest.fixture(scope="session")
def tokens(signing_key: SigningKey) -> TokenFactory:
    return TokenFactory(signing_key)


@pytest.fixture(scope="session", autouse=True)
def _clerk_jwt_key(signing_key: SigningKey) -> Iterator[None]:
    with override_settings(CLERK_JWT_KEY=signing_key.public_pem):
        yield


@pytest.fixture
def bearer(tokens: TokenFactory) -> Callable[..., dict[str, str]]:
    """Request headers carrying `Authorization: Bearer <a fresh token>` (claims as in TokenFactory.claims)."""

    def make(**claim_options: Any) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {tokens.token(**claim_options)}"}

    return make


@pytest.fixture
def client() -> Client:
    return Client()


@pytest.fixture(scope="session", autouse=True)
def _close_connection_pools(django_db_setup, django_db_blocker) -> Iterator[None]:
    """Close every connection before the test database is dropped (PostgreSQL refuses while one is open).

    The test client does not close connections after requests, and async tests open theirs in asgiref's
    shared thread, so close those there, then the pool.
    """
    yield
    import asyncio

    from asgiref.sync import sync_to_async
    from django.db import connections

    with django_db_blocker.unblock():
        asyncio.run(sync_to_async(connections.close_all)())
        connections.close_all()
        if hasattr(connections["default"], "close_pool"):
            connections["default"].close_pool()


@pytest.fixture
def api(tokens: TokenFactory) -> Callable[..., ApiClient]:
    """api("user_a", org=("org_1", "one", "admin")) → a JSON client signed in as that identity."""

    def make(user_id: str = "user_alice", org: tuple[str, str, str] | None = None) -> ApiClient:
        return ApiClient(tokens, user_id, org)

    return make


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Rate-limit counters live in the cache: every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def model(fake_openai, settings):
    """The fake OpenAI server configured as the model provider (no retries, short timeouts)."""
    settings.OPENAI_API_KEY = "sk-test-server-key-do-not-leak"
    settings.OPENAI_BASE_URL = fake_openai.base_url
    settings.OPENAI_MAX_RETRIES = 0
    settings.OPENAI_TIMEOUT = 5.0
    settings.OPENAI_CONNECT_TIMEOUT = 2.0
    return fake_openai
