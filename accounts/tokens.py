"""Verification of Clerk session tokens: clerk-backend-api's `authenticate_request`, plus the checks it lacks."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import jwt
from clerk_backend_api.security import AuthenticateRequestOptions, authenticate_request
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from .devsignin import dev_signin_enabled, dev_signing_key
from .identity import ClerkIdentity
from .jwks import FetchNeeded, JWKSKeyStore, KeyUnavailable, UnknownKey


class InvalidToken(Exception):
    """The token does not prove a signed-in session; `reason` is a short code safe to show and log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ClerkUnavailable(Exception):
    """The token could not be checked because a key had to come from Clerk and Clerk did not answer."""


class KeySource(Protocol):
    def key_for(self, kid: str | None, *, allow_fetch: bool = True) -> str: ...


@dataclass(frozen=True)
class StaticKey:
    """One PEM public key: CLERK_JWT_KEY, or the development sign-in key. `kid` plays no part, as in Clerk's SDKs."""

    pem: str

    def key_for(self, kid: str | None, *, allow_fetch: bool = True) -> str:
        return self.pem


class _BearerRequest:
    """The smallest request clerk-backend-api accepts: we pick the token ourselves (see SessionTokenVerifier)."""

    def __init__(self, token: str) -> None:
        self.headers = {"Authorization": f"Bearer {token}"}


def _require_string(claims: Mapping[str, Any], name: str) -> None:
    value = claims.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidToken(f"token-missing-{name}")


class SessionTokenVerifier:
    """Turns a session token into a ClerkIdentity or raises InvalidToken / ClerkUnavailable.

    Stricter than the SDK: `sub`, `sid` and `exp` are required, `iss` is checked when configured, pending
    sessions are signed out unless allowed, oversized tokens are refused unparsed, and the SDK is only ever
    given a key, so it never calls Clerk itself.
    """

    def __init__(
        self,
        keys: KeySource,
        *,
        authorized_parties: Sequence[str],
        issuer: str | None = None,
        allow_pending: bool = False,
        max_bytes: int = 16 * 1024,
        clock_skew_ms: int = 5000,
    ) -> None:
        self.keys = keys
        self.authorized_parties = list(authorized_parties)
        self.issuer = issuer.rstrip("/") if issuer else None
        self.allow_pending = allow_pending
        self.max_bytes = max_bytes
        self.clock_skew_ms = clock_skew_ms

    def verify(self, token: str, *, allow_fetch: bool = True) -> ClerkIdentity:
        """Verify `token`. With allow_fetch=False, raises FetchNeeded instead of calling Clerk for a key."""
        if len(token) > self.max_bytes:
            raise InvalidToken("token-too-large")
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.InvalidTokenError:
            raise InvalidToken("token-invalid") from None
        try:
            pem = self.keys.key_for(kid, allow_fetch=allow_fetch)
        except UnknownKey:
            raise InvalidToken("token-unknown-key") from None
        except KeyUnavailable as exc:
            raise ClerkUnavailable(str(exc)) from None
        except FetchNeeded:
            raise
        options = AuthenticateRequestOptions(
            jwt_key=pem,
            authorized_parties=self.authorized_parties,
            clock_skew_in_ms=self.clock_skew_ms,
            accepts_token=["session_token"],
        )
        try:
            state = authenticate_request(_BearerRequest(token), options)
        except (AttributeError, TypeError, ValueError):
            # Signed claims of an unexpected shape (e.g. `o` not an object) crash the SDK's post-processing.
            raise InvalidToken("token-invalid-claims") from None
        if not state.is_signed_in or state.payload is None:
            raise InvalidToken(state.reason.value[0] if state.reason else "token-invalid")
        claims = state.payload
        self._check_claims(claims)
        return ClerkIdentity.from_claims(claims)

    def _check_claims(self, claims: Mapping[str, Any]) -> None:
        _require_string(claims, "sub")
        _require_string(claims, "sid")
        if not isinstance(claims.get("exp"), int | float) or isinstance(claims.get("exp"), bool):
            raise InvalidToken("token-missing-exp")
        if self.issuer is not None:
            issuer = claims.get("iss")
            if not isinstance(issuer, str) or issuer.rstrip("/") != self.issuer:
                raise InvalidToken("token-invalid-issuer")
        if claims.get("sts") == "pending" and not self.allow_pending:
            raise InvalidToken("session-pending")


def configured_key_source() -> KeySource | None:
    """The key source the settings call for: CLERK_JWT_KEY, the development key, or Clerk's JWKS."""
    if settings.CLERK_JWT_KEY:
        return StaticKey(settings.CLERK_JWT_KEY)
    if dev_signin_enabled():
        return StaticKey(dev_signing_key().public_pem)
    if settings.CLERK_SECRET_KEY:
        return JWKSKeyStore(
            f"{settings.CLERK_API_URL.rstrip('/')}/v1/jwks",
            settings.CLERK_SECRET_KEY,
            timeout=settings.CLERK_JWKS_TIMEOUT,
            refetch_interval=settings.CLERK_JWKS_REFETCH_INTERVAL,
            failure_backoff=settings.CLERK_JWKS_FAILURE_BACKOFF,
            max_age=settings.CLERK_JWKS_MAX_AGE,
        )
    return None


@functools.cache
def get_verifier() -> SessionTokenVerifier | None:
    """The process-wide verifier built from settings (None when no key is configured: everyone is signed out)."""
    keys = configured_key_source()
    if keys is None:
        return None
    return SessionTokenVerifier(
        keys,
        authorized_parties=settings.CLERK_AUTHORIZED_PARTIES,
        issuer=settings.CLERK_ISSUER,
        allow_pending=settings.CLERK_ALLOW_PENDING_SESSIONS,
        max_bytes=settings.CLERK_MAX_TOKEN_BYTES,
        clock_skew_ms=settings.CLERK_CLOCK_SKEW_MS,
    )


@receiver(setting_changed)
def _reset_verifier(setting: str, **kwargs: Any) -> None:
    if setting.startswith("CLERK_") or setting == "DEBUG":
        get_verifier.cache_clear()
