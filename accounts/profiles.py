"""A Clerk user's profile — primary email, name, image — copied onto our user row.

Shared by the user.created / user.updated webhooks (the payload is Clerk's user object) and the
`clerk_sync_user` command (the same object, from Clerk's Backend API).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from .deletion import ClerkUserDeleted, lock_clerk_user
from .models import User

CLERK_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class InvalidClerkUser(ValueError):
    """The data is not a Clerk user object: it has no usable `id`."""


def _field_length(name: str) -> int:
    return User._meta.get_field(name).max_length


def _text(value: Any, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _primary_email(data: Mapping[str, Any]) -> str:
    primary_id = data.get("primary_email_address_id")
    addresses = data.get("email_addresses")
    if not primary_id or not isinstance(addresses, list):
        return ""
    for address in addresses:
        if isinstance(address, Mapping) and address.get("id") == primary_id:
            email = address.get("email_address")
            break
    else:
        return ""
    # A cut-off or malformed address would be someone else's: keep none rather than a wrong one.
    if not isinstance(email, str) or len(email) > _field_length("email"):
        return ""
    try:
        validate_email(email)
    except ValidationError:
        return ""
    return email


def _image_url(value: Any) -> str:
    if not isinstance(value, str) or len(value) > _field_length("image_url"):
        return ""
    return value if value.startswith(("https://", "http://")) else ""


@dataclass(frozen=True)
class ClerkProfile:
    """What we keep of a Clerk user. Names too long for our columns are cut; an email address or image URL
    that does not fit is left empty, because cut it would point somewhere else."""

    clerk_id: str
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    image_url: str = ""

    @classmethod
    def from_clerk_user(cls, data: Any) -> ClerkProfile:
        """Read Clerk's user object (as JSON). Raises InvalidClerkUser without a well-formed `id`."""
        if not isinstance(data, Mapping):
            raise InvalidClerkUser("the user object is not a JSON object")
        clerk_id = data.get("id")
        if not isinstance(clerk_id, str) or not CLERK_ID.fullmatch(clerk_id):
            raise InvalidClerkUser("the user object has no valid id")
        return cls(
            clerk_id=clerk_id,
            email=_primary_email(data),
            first_name=_text(data.get("first_name"), _field_length("first_name")),
            last_name=_text(data.get("last_name"), _field_length("last_name")),
            image_url=_image_url(data.get("image_url")),
        )


def apply_clerk_profile(profile: ClerkProfile) -> User | None:
    """Store `profile` on the user's row, creating the row if missing. None when Clerk deleted the user
    (a late user.updated, or a backfill, must not bring them back). Idempotent."""
    try:
        with transaction.atomic():
            user, _ = lock_clerk_user(profile.clerk_id)
            changed = [
                name
                for name in ("email", "first_name", "last_name", "image_url")
                if getattr(user, name) != getattr(profile, name)
            ]
            for name in changed:
                setattr(user, name, getattr(profile, name))
            if changed:
                user.save(update_fields=changed)
    except ClerkUserDeleted:
        return None
    return user
