"""Deleting conversations as a unit: everything a person owns, an organization's threads, a former member's.

Used by the Clerk webhooks (user.deleted, organization.deleted, organizationMembership.deleted) and by
DELETE /api/me. System code: it crosses workspaces on purpose, through the unscoped `all_tenants` managers.

Each function is one transaction and idempotent. Threads are locked before they are deleted: a message being
appended holds a key-share lock on its thread until it commits, so the deletion either waits for it and
deletes it too, or goes first and the append fails (threads.history.ThreadGone, the answer is dropped).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.deletion import lock_clerk_user
from accounts.models import DeletedClerkUser, User

from .models import Message, Thread

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Erased:
    """What a deletion removed (zero when there was nothing left to remove: a replay)."""

    threads: int = 0
    messages: int = 0


def _delete_threads(threads: QuerySet) -> tuple[int, int]:
    """Delete `threads` and their messages: (threads, messages) deleted."""
    # Locked first, so that a message being appended meanwhile is either waited for or refused (see above).
    list(threads.select_for_update().values_list("pk", flat=True))
    _, counts = threads.delete()
    return counts.get(Thread._meta.label, 0), counts.get(Message._meta.label, 0)


def erase_user(clerk_id: str, *, account_deleted: bool) -> Erased:
    """Delete every thread and message `clerk_id` owns, in every workspace, and their user row.

    `account_deleted` says Clerk deleted the account itself (user.deleted): a tombstone then keeps a session
    token that is still valid for a few seconds from creating anything again. DELETE /api/me leaves none —
    the person keeps their Clerk account and may start afresh.
    """
    with transaction.atomic():
        # The same lock that creations take (accounts.deletion): none can slip in between the steps.
        lock_clerk_user(clerk_id, allow_deleted=True)
        if account_deleted:
            DeletedClerkUser.objects.get_or_create(clerk_id=clerk_id)
        threads, messages = _delete_threads(Thread.all_tenants.filter(owner_id=clerk_id))
        User._default_manager.filter(clerk_id=clerk_id).delete()
    logger.info("Erased user %s: %d thread(s), %d message(s)", clerk_id, threads, messages)
    return Erased(threads=threads, messages=messages)


def erase_organization(org_id: str) -> Erased:
    """Delete every thread (and message) of organization `org_id`, whoever started it."""
    with transaction.atomic():
        threads, messages = _delete_threads(Thread.all_tenants.filter(org_id=org_id))
    logger.info("Erased organization %s: %d thread(s), %d message(s)", org_id, threads, messages)
    return Erased(threads=threads, messages=messages)


def erase_membership(org_id: str, clerk_id: str) -> Erased:
    """Delete the threads `clerk_id` started in organization `org_id` (they left it, or were removed)."""
    with transaction.atomic():
        threads, messages = _delete_threads(Thread.all_tenants.filter(org_id=org_id, owner_id=clerk_id))
    logger.info("Erased %s's threads in %s: %d thread(s)", clerk_id, org_id, threads)
    return Erased(threads=threads, messages=messages)


def archive_membership(org_id: str, clerk_id: str) -> int:
    """Archive the threads `clerk_id` started in organization `org_id`, keeping them for the organization.

    Returns how many were archived now (already archived ones are left as they are).
    """
    archived = (
        Thread.all_tenants.filter(org_id=org_id, owner_id=clerk_id)
        .exclude(status=Thread.Status.ARCHIVED)
        .update(status=Thread.Status.ARCHIVED, updated_at=timezone.now())
    )
    logger.info("Archived %d thread(s) of %s in %s", archived, clerk_id, org_id)
    return archived
