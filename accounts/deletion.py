"""Deleted Clerk users stay deleted: the tombstone check, and the row lock that orders a deletion against the
creation of anything of theirs.

The protocol: whoever creates something owned by a Clerk user (their user row, a thread) first takes
`lock_clerk_user()` in its transaction and is refused if the user is tombstoned; the deletion
(threads.erasure) takes the same lock before it writes the tombstone and deletes. Both sides lock the same
row (inserting it if needed, which conflicts on the unique `clerk_id` the same way), so one waits for the
other: a creation either commits before the deletion looks, and is deleted with the rest, or runs after it
and sees the tombstone. Nothing here runs on an ordinary request: only when a row is about to be created.
"""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from rest_framework.exceptions import AuthenticationFailed

from .models import DeletedClerkUser, User


class ClerkUserDeleted(AuthenticationFailed):
    """Clerk deleted this user; their still-valid session token must not create anything any more.

    An AuthenticationFailed, so that DRF views answer 401 with `WWW-Authenticate` by themselves.
    """

    default_detail = "Invalid session token (user-deleted)."
    default_code = "user_deleted"


def is_deleted(clerk_id: str) -> bool:
    """Whether Clerk deleted this user (a user.deleted webhook was processed)."""
    return DeletedClerkUser.objects.filter(clerk_id=clerk_id).exists()


def lock_clerk_user(clerk_id: str, *, allow_deleted: bool = False) -> tuple[User, bool]:
    """The user row of `clerk_id`, created if missing, locked until the current transaction ends.

    Returns (user, created). Must run inside `transaction.atomic()` (the lock is the point). Raises
    ClerkUserDeleted when the user is tombstoned, unless `allow_deleted` (the deletion itself); the caller's
    transaction then rolls the row back. The tombstone is read after the lock, so that a deletion that held
    the lock meanwhile is seen.
    """
    user, created = User._default_manager.select_for_update().get_or_create(
        clerk_id=clerk_id, defaults={"username": clerk_id, "password": make_password(None)}
    )
    if not allow_deleted and is_deleted(clerk_id):
        raise ClerkUserDeleted()
    return user, created
