"""What each Clerk event does here.

Every handler is idempotent (Svix delivers at least once, in no guaranteed order) and raises on failure, so
that the delivery is answered 500 and retried: never 200 for work not done.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from accounts.profiles import CLERK_ID, ClerkProfile, InvalidClerkUser, apply_clerk_profile
from threads.erasure import archive_membership, erase_membership, erase_organization, erase_user

logger = logging.getLogger(__name__)

MEMBERSHIP_DELETED_ACTIONS = ("delete", "archive")


class InvalidPayload(Exception):
    """A correctly signed body that is not a Clerk event of the documented shape; processing it again won't help."""


@dataclass(frozen=True)
class ClerkEvent:
    """Clerk's envelope: {"type", "data", "object": "event", "timestamp", "instance_id"}."""

    type: str
    data: Mapping[str, Any]

    @classmethod
    def from_body(cls, body: bytes) -> ClerkEvent:
        """Parse the (already verified) raw body. Raises InvalidPayload."""
        try:
            envelope = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            raise InvalidPayload("The body is not valid JSON.") from None
        if not isinstance(envelope, dict):
            raise InvalidPayload("The body is not a JSON object.")
        event_type, data = envelope.get("type"), envelope.get("data")
        if not isinstance(event_type, str) or not event_type or len(event_type) > 100:
            raise InvalidPayload("The event has no valid type.")
        if not isinstance(data, dict):
            raise InvalidPayload("The event's data is not an object.")
        return cls(event_type, data)

    @property
    def subject(self) -> str:
        """The Clerk id of what the event is about (user_…, org_…, orgmem_…), for the log."""
        subject = self.data.get("id")
        return subject[:100] if isinstance(subject, str) else ""


def _clerk_id(value: Any, where: str) -> str:
    if isinstance(value, str) and CLERK_ID.fullmatch(value):
        return value
    raise InvalidPayload(f"{where} is not a Clerk id.")


def _nested(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def user_synced(data: Mapping[str, Any]) -> None:
    """user.created, user.updated: the row's email, name and image come from the payload."""
    try:
        profile = ClerkProfile.from_clerk_user(data)
    except InvalidClerkUser as exc:
        raise InvalidPayload(f"data is not a Clerk user: {exc}.") from None
    if apply_clerk_profile(profile) is None:
        logger.info("Ignored a profile of user %s, whom Clerk deleted", profile.clerk_id)


def user_deleted(data: Mapping[str, Any]) -> None:
    """user.deleted: the row, and every thread and message of theirs in every workspace, in one transaction."""
    erase_user(_clerk_id(data.get("id"), "data.id"), account_deleted=True)


def organization_deleted(data: Mapping[str, Any]) -> None:
    """organization.deleted: every thread of the organization, whoever started it."""
    erase_organization(_clerk_id(data.get("id"), "data.id"))


def membership_deleted(data: Mapping[str, Any]) -> None:
    """organizationMembership.deleted: the former member's threads there, deleted or archived (a setting)."""
    org_id = _clerk_id(_nested(data, "organization").get("id"), "data.organization.id")
    user_id = _clerk_id(_nested(data, "public_user_data").get("user_id"), "data.public_user_data.user_id")
    action = settings.CLERK_MEMBERSHIP_DELETED_ACTION
    if action == "archive":
        archive_membership(org_id, user_id)
    elif action == "delete":
        erase_membership(org_id, user_id)
    else:
        # Guessing between deleting and keeping people's data is not ours to do (see webhooks.E002).
        raise ImproperlyConfigured(f"CLERK_MEMBERSHIP_DELETED_ACTION is {action!r}")


HANDLERS: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "user.created": user_synced,
    "user.updated": user_synced,
    "user.deleted": user_deleted,
    "organization.deleted": organization_deleted,
    "organizationMembership.deleted": membership_deleted,
}


def handle(event: ClerkEvent) -> bool:
    """Do what `event` asks. False when its type is not one we handle (it is then only logged)."""
    handler = HANDLERS.get(event.type)
    if handler is None:
        logger.info("Ignored a Clerk %s event", event.type)
        return False
    handler(event.data)
    return True
