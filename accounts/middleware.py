"""The middleware that turns a Clerk session token into `request.clerk` and `request.user`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import partial

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from chatsite.errors import json_error
from chatsite.middleware import DualModeMixin

from .identity import ClerkIdentity, use_identity
from .jwks import FetchNeeded
from .tokens import ClerkUnavailable, InvalidToken, get_verifier

logger = logging.getLogger(__name__)

SESSION_COOKIE = "__session"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def session_token_from(request: HttpRequest) -> tuple[str | None, str | None]:
    """(token, source): `Authorization: Bearer` first, else the `__session` cookie, else (None, None).

    The cookie comes from Django's lenient `request.COOKIES`, so one malformed unrelated cookie cannot hide it
    (the SDK's own parser gives up on the whole header).
    """
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return credentials.strip(), "header"
    cookie = request.COOKIES.get(SESSION_COOKIE)
    if cookie:
        return cookie, "cookie"
    return None, None


def get_clerk_user(request: HttpRequest):
    """The Django user row of the request's Clerk identity, created on first sight, cached on the request."""
    if not hasattr(request, "_cached_clerk_user"):
        identity = getattr(request, "clerk", None)
        user = auth.authenticate(request, clerk_identity=identity) if identity is not None else None
        request._cached_clerk_user = user or AnonymousUser()
    return request._cached_clerk_user


async def aget_clerk_user(request: HttpRequest):
    """Async variant of get_clerk_user."""
    if not hasattr(request, "_cached_clerk_user"):
        identity = getattr(request, "clerk", None)
        user = await auth.aauthenticate(request, clerk_identity=identity) if identity is not None else None
        request._cached_clerk_user = user or AnonymousUser()
    return request._cached_clerk_user


def _unavailable() -> HttpResponse:
    return json_error(
        "The authentication service is unreachable; try again shortly.", 503, headers={"Retry-After": "5"}
    )


class ClerkAuthenticationMiddleware(DualModeMixin):
    """Verifies the Clerk session token of each request, like Django's RemoteUserMiddleware does a header.

    Sets `request.clerk` (a ClerkIdentity, or None), `request.clerk_failure` (why a presented token was
    refused, or None) and, for signed-in requests, a lazy `request.user`: the Django session user when staff
    are logged in to the admin, otherwise the Clerk user's row, resolved through `django.contrib.auth` only
    when first used. The identity is also the current one (accounts.identity) while the view runs.

    Cookie-authenticated unsafe requests from an Origin that is not an authorized party are refused (403):
    a CSRF defence on top of the cookie's SameSite=Lax.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse | Awaitable[HttpResponse]]) -> None:
        self.bind(get_response)

    def call(self, request: HttpRequest) -> HttpResponse:
        token, source = session_token_from(request)
        try:
            identity, failure = self._verify(token, allow_fetch=True)
        except ClerkUnavailable:
            return _unavailable()
        refusal = self._attach(request, identity, failure, source)
        if refusal is not None:
            return refusal
        with use_identity(identity):
            return self.get_response(request)

    async def acall(self, request: HttpRequest) -> HttpResponse:
        token, source = session_token_from(request)
        try:
            try:
                identity, failure = self._verify(token)
            except FetchNeeded:
                # Only a key fetch leaves the event loop; verification with a known key is pure CPU.
                identity, failure = await sync_to_async(self._verify, thread_sensitive=False)(
                    token, allow_fetch=True
                )
        except ClerkUnavailable:
            return _unavailable()
        refusal = self._attach(request, identity, failure, source)
        if refusal is not None:
            return refusal
        with use_identity(identity):
            return await self.get_response(request)

    @staticmethod
    def _verify(token: str | None, *, allow_fetch: bool = False) -> tuple[ClerkIdentity | None, str | None]:
        if token is None:
            return None, None
        verifier = get_verifier()
        if verifier is None:
            return None, "clerk-not-configured"
        try:
            return verifier.verify(token, allow_fetch=allow_fetch), None
        except InvalidToken as exc:
            logger.info("Refused a Clerk session token: %s", exc.reason)
            return None, exc.reason
        except ClerkUnavailable:
            logger.warning("Could not verify a Clerk session token: Clerk's keys are unavailable")
            raise

    @staticmethod
    def _attach(
        request: HttpRequest, identity: ClerkIdentity | None, failure: str | None, source: str | None
    ) -> HttpResponse | None:
        request.clerk = identity
        request.clerk_failure = failure
        if identity is None:
            return None
        origin = request.headers.get("Origin")
        if (
            source == "cookie"
            and request.method in UNSAFE_METHODS
            and origin is not None
            and origin not in settings.CLERK_AUTHORIZED_PARTIES
        ):
            return json_error("Cross-origin request refused.", 403)
        session_user = getattr(request, "user", None)
        request.user = SimpleLazyObject(partial(_resolve_user, request, session_user))
        session_auser = getattr(request, "auser", None)
        request.auser = partial(_aresolve_user, request, session_auser)
        return None


def _resolve_user(request: HttpRequest, session_user):
    if session_user is not None and session_user.is_authenticated:
        return session_user
    return get_clerk_user(request)


async def _aresolve_user(request: HttpRequest, session_auser):
    if session_auser is not None:
        session_user = await session_auser()
        if session_user.is_authenticated:
            return session_user
    return await aget_clerk_user(request)
