"""Verification with CLERK_SECRET_KEY only: Clerk's JWKS fetched from a fake Clerk API on 127.0.0.1."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from django.test import AsyncClient, Client

from .clerk import SigningKey
from .fakes.jwks_server import FakeJWKS


@pytest.fixture
def jwks(settings, signing_key):
    fake = FakeJWKS().start()
    fake.keys = [signing_key.jwk()]
    settings.CLERK_JWT_KEY = None
    settings.CLERK_SECRET_KEY = "sk_test_fake_secret"
    settings.CLERK_API_URL = fake.api_url
    settings.CLERK_JWKS_TIMEOUT = 0.5
    settings.CLERK_JWKS_REFETCH_INTERVAL = 0.3
    settings.CLERK_JWKS_FAILURE_BACKOFF = 0.3
    yield fake
    fake.stop()


def me(token: str):
    return Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_key_is_fetched_once_and_cached(jwks, tokens):
    assert me(tokens.token()).status_code == 200
    assert me(tokens.token()).status_code == 200
    assert jwks.fetches == 1
    assert jwks.authorizations == ["Bearer sk_test_fake_secret"]


def test_rotated_key_is_fetched_when_its_kid_first_appears(jwks, tokens):
    assert me(tokens.token()).status_code == 200
    new_key = SigningKey(kid="ins_test_2")
    jwks.keys = [new_key.jwk()]
    time.sleep(0.35)
    assert me(tokens.token(key=new_key)).status_code == 200
    assert jwks.fetches == 2


def test_key_removed_from_jwks_stops_working_after_a_refetch(jwks, tokens):
    assert me(tokens.token()).status_code == 200
    new_key = SigningKey(kid="ins_test_2")
    jwks.keys = [new_key.jwk()]
    time.sleep(0.35)
    me(tokens.token(key=new_key))
    assert me(tokens.token()).status_code == 401


def test_unknown_kid_is_401(jwks, tokens):
    response = me(tokens.token(key=SigningKey(kid="ins_unknown")))
    assert response.status_code == 401
    assert "token-unknown-key" in response.json()["detail"]


def test_storm_of_forged_tokens_with_random_kids_makes_bounded_fetches(jwks, tokens):
    forger = SigningKey(kid="x")
    started = time.monotonic()
    for _ in range(200):
        forger.kid = f"ins_{uuid.uuid4().hex}"
        assert me(tokens.token(key=forger)).status_code == 401
    elapsed = time.monotonic() - started
    # At most one fetch per refetch interval, plus the first.
    assert jwks.fetches <= 2 + int(elapsed / 0.3)
    assert jwks.fetches < 20


def test_forged_signature_with_a_known_kid_makes_no_fetch(jwks, tokens, signing_key):
    assert me(tokens.token()).status_code == 200
    forger = SigningKey(kid=signing_key.kid)
    for _ in range(50):
        assert me(tokens.token(key=forger)).status_code == 401
    assert jwks.fetches == 1


def test_concurrent_requests_for_a_new_key_share_one_fetch(jwks, tokens):
    jwks.hang_seconds = 0.2
    token = tokens.token()
    results: list[int] = []

    def call() -> None:
        results.append(me(token).status_code)

    threads = [threading.Thread(target=call) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 10
    assert jwks.fetches == 1


def test_clerk_unreachable_is_503_quickly(jwks, tokens):
    jwks.stop()
    started = time.monotonic()
    response = me(tokens.token())
    assert time.monotonic() - started < 2
    assert response.status_code == 503
    assert response["Retry-After"]
    assert response.json()["detail"].startswith("The authentication service is unreachable")


def test_clerk_hanging_is_503_within_the_timeout(jwks, tokens):
    jwks.hang_seconds = 5
    started = time.monotonic()
    response = me(tokens.token())
    assert response.status_code == 503
    assert time.monotonic() - started < 2


def test_clerk_error_is_503_and_failure_is_remembered_briefly(jwks, tokens):
    jwks.mode = "error"
    assert me(tokens.token()).status_code == 503
    assert me(tokens.token()).status_code == 503
    assert jwks.fetches == 1
    jwks.mode = "ok"
    time.sleep(0.35)
    assert me(tokens.token()).status_code == 200


def test_cached_keys_keep_working_while_clerk_is_unreachable(jwks, tokens, settings):
    assert me(tokens.token()).status_code == 200
    jwks.stop()
    assert me(tokens.token()).status_code == 200


def test_stale_cached_keys_keep_working_when_the_refresh_fails(jwks, tokens, settings):
    from accounts.tokens import get_verifier

    assert me(tokens.token()).status_code == 200
    get_verifier().keys.max_age = 0
    jwks.mode = "error"
    time.sleep(0.35)
    assert me(tokens.token()).status_code == 200
    assert jwks.fetches == 2


@pytest.mark.django_db(transaction=True)
async def test_async_requests_fetch_keys_off_the_event_loop(jwks, tokens):
    response = await AsyncClient().get("/api/me", headers={"Authorization": f"Bearer {tokens.token()}"})
    assert response.status_code == 200
    assert jwks.fetches == 1


async def test_async_request_with_clerk_unreachable_is_503(jwks, tokens):
    jwks.stop()
    response = await AsyncClient().get("/api/me", headers={"Authorization": f"Bearer {tokens.token()}"})
    assert response.status_code == 503
