"""Who is calling: the verified Clerk identity, and the context variable that carries it through a request."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


def normalize_org_role(role: Any) -> str | None:
    """Clerk's v1 tokens say "org:admin", v2 tokens say "admin"; we always say "org:admin"."""
    if not isinstance(role, str) or not role:
        return None
    return role if role.startswith("org:") else f"org:{role}"


def _frozen(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({key: _frozen(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    return value


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True, slots=True)
class ClerkIdentity:
    """A verified Clerk session: the user, the session and the active organization, if any.

    Immutable, including the raw claims, so that code holding it (a streaming response, a background job)
    sees exactly what was verified.
    """

    user_id: str
    session_id: str
    org_id: str | None = None
    org_role: str | None = None
    org_slug: str | None = None
    org_permissions: tuple[str, ...] = ()
    claims: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), repr=False, compare=False)

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> ClerkIdentity:
        """Build from verified claims, after clerk-backend-api has copied v2's `o` into `org_*` keys."""
        org_id = _optional_str(claims.get("org_id"))
        permissions = claims.get("org_permissions") if org_id else None
        return cls(
            user_id=claims["sub"],
            session_id=claims["sid"],
            org_id=org_id,
            org_role=normalize_org_role(claims.get("org_role")) if org_id else None,
            org_slug=_optional_str(claims.get("org_slug")) if org_id else None,
            org_permissions=tuple(p for p in permissions or () if isinstance(p, str)),
            claims=_frozen(claims),
        )

    @property
    def impersonator(self) -> str | None:
        """The Clerk user id of the staff member acting as this user (Clerk's `act` claim), if any."""
        actor = self.claims.get("act")
        subject = actor.get("sub") if isinstance(actor, Mapping) else None
        return subject if isinstance(subject, str) else None

    @property
    def workspace(self) -> tuple[str, str | None]:
        """The tenant key: the user in their active organization, or in their personal workspace (None)."""
        return (self.user_id, self.org_id)

    def has_org_role(self, *roles: str) -> bool:
        """True when an organization is active and the caller's role in it is one of `roles`."""
        return self.org_role is not None and self.org_role in {normalize_org_role(r) for r in roles}

    def has_org_permissions(self, *permissions: str) -> bool:
        """True when an organization is active and the caller holds every one of `permissions` in it."""
        return self.org_id is not None and set(permissions) <= set(self.org_permissions)

    def as_json(self) -> dict[str, Any]:
        """The identity as the front end sees it (no raw claims)."""
        return {
            "userId": self.user_id,
            "sessionId": self.session_id,
            "orgId": self.org_id,
            "orgSlug": self.org_slug,
            "orgRole": self.org_role,
            "orgPermissions": list(self.org_permissions),
        }


_current_identity: contextvars.ContextVar[ClerkIdentity | None] = contextvars.ContextVar(
    "clerk_identity", default=None
)


def get_current_identity() -> ClerkIdentity | None:
    """The identity of the request being handled, as set by the middleware; None outside a request.

    A streaming response body runs after the middleware has returned, when this is None again: capture the
    identity before streaming and pass it explicitly.
    """
    return _current_identity.get()


@contextmanager
def use_identity(identity: ClerkIdentity | None) -> Iterator[None]:
    """Make `identity` the current one for the enclosed block, then restore the previous one."""
    token = _current_identity.set(identity)
    try:
        yield
    finally:
        _current_identity.reset(token)
