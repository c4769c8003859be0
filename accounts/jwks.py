"""Clerk's signing keys fetched from its JWKS endpoint, for deployments configured with CLERK_SECRET_KEY only.

clerk-backend-api can fetch JWKS itself, but it refetches for every token with a bad signature or an unknown
`kid` (so forged tokens become calls to Clerk) and blocks for minutes when Clerk is unreachable. This store
fetches with a short timeout, one fetch at a time, at most once per interval for unknown keys, and remembers
failures briefly; the keys it returns are then handed to the SDK as a networkless `jwt_key`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.algorithms import RSAAlgorithm

logger = logging.getLogger(__name__)


class KeyUnavailable(Exception):
    """No key could be had because Clerk's JWKS endpoint is unreachable or broken."""


class UnknownKey(Exception):
    """Clerk does not publish a key with this `kid`."""


class FetchNeeded(Exception):
    """The key is not cached and getting it means a network call (raised only when fetching is not allowed)."""


class JWKSKeyStore:
    """Thread-safe cache of Clerk's public keys (PEM) by `kid`."""

    def __init__(
        self,
        url: str,
        secret_key: str,
        *,
        timeout: float = 3.0,
        refetch_interval: float = 10.0,
        failure_backoff: float = 5.0,
        max_age: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._secret_key = secret_key
        self.timeout = timeout
        self.refetch_interval = refetch_interval
        self.failure_backoff = failure_backoff
        self.max_age = max_age
        self._clock = clock
        self._keys: dict[str, str] = {}
        self._fetched_at: float | None = None  # last successful fetch
        self._attempted_at: float | None = None  # last attempt, successful or not
        self._last_failed = False
        self._generation = 0  # bumped by every fetch attempt, so waiters know one happened
        self._fetch_lock = threading.Lock()
        self.fetch_count = 0

    def key_for(self, kid: str | None, *, allow_fetch: bool = True) -> str:
        """The PEM for `kid`, fetching JWKS when needed and allowed.

        Raises UnknownKey (the token cannot be valid), KeyUnavailable (Clerk could not be asked) or FetchNeeded.
        """
        if not isinstance(kid, str) or not kid:
            raise UnknownKey("token has no kid")
        pem = self._keys.get(kid)
        if pem is not None and not self._stale():
            return pem
        # While a fetch is in flight, wait for its answer rather than judge by the previous one.
        if self._fetch_lock.locked() or self._may_fetch(known=pem is not None):
            if not allow_fetch:
                raise FetchNeeded(kid)
            self._refresh()
            pem = self._keys.get(kid, pem)
        if pem is not None:
            return pem
        if self._last_failed:
            raise KeyUnavailable("Clerk's JWKS endpoint is unreachable or failed recently")
        raise UnknownKey(kid)

    def _stale(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at > self.max_age

    def _may_fetch(self, *, known: bool) -> bool:
        if self._attempted_at is None:
            return True
        wait = self.failure_backoff if self._last_failed else self.refetch_interval
        if known:
            # A known key past its age is refreshed, but never more often than unknown keys are looked up.
            wait = max(wait, self.refetch_interval)
        return self._clock() - self._attempted_at >= wait

    def _refresh(self) -> None:
        generation = self._generation
        # One fetch in flight: others wait for it (bounded by the fetch timeout) and use its result.
        if not self._fetch_lock.acquire(timeout=self.timeout + 1.0):
            return
        try:
            if self._generation != generation:
                return
            self.fetch_count += 1
            try:
                keys = self._fetch()
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
                self._last_failed = True
                logger.warning("Fetching Clerk JWKS from %s failed: %s", self.url, type(exc).__name__)
            else:
                self._keys = keys
                self._fetched_at = self._clock()
                self._last_failed = False
                logger.info("Fetched %d Clerk signing key(s)", len(keys))
            self._attempted_at = self._clock()
            self._generation += 1
        finally:
            self._fetch_lock.release()

    def _fetch(self) -> dict[str, str]:
        response = httpx.get(
            self.url,
            headers={"Authorization": f"Bearer {self._secret_key}", "Accept": "application/json"},
            timeout=self.timeout,
        )
        response.raise_for_status()
        keys: dict[str, str] = {}
        for jwk in response.json()["keys"]:
            if jwk.get("kty") != "RSA" or not isinstance(jwk.get("kid"), str):
                continue
            public_key = RSAAlgorithm.from_jwk(jwk)
            if isinstance(public_key, RSAPublicKey):
                keys[jwk["kid"]] = public_key.public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                ).decode()
        if not keys:
            raise ValueError("JWKS holds no RSA signing key")
        return keys
