"""Threads and messages, scoped to a workspace: one Clerk user in one organization (or their personal space).

Tenancy by default: `Thread.objects` and `Message.objects` only ever see the current identity's workspace (set
by the Clerk middleware for the duration of a view). Code outside a request — a streaming response body,
management commands, background work — scopes explicitly with `.for_identity(identity)`. Admin and system code
use the explicitly named unscoped manager, `all_tenants`.

Why stricter than the guide: the guide's personal list also shows the user's organization threads. Here the
active organization is the workspace: a thread started in Acme stays in Acme, so switching to a personal space
(or to another organization) on a shared screen never shows another tenant's conversations, and an
organization's data can be deleted or exported as a unit.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.deletion import lock_clerk_user
from accounts.identity import ClerkIdentity, get_current_identity

THREAD_ID_PREFIX = "thr_"
MESSAGE_FORMAT = "ai-sdk/v6"


def new_thread_id() -> str:
    """Opaque, URL-safe, unguessable."""
    return THREAD_ID_PREFIX + secrets.token_urlsafe(16)


class MissingIdentity(Exception):
    """A scoped manager was asked to create a row with no identity to own it."""


class WorkspaceQuerySet(models.QuerySet):
    """A queryset that remembers the identity it is scoped to, so that `create()` fills in the owner."""

    workspace_lookups: tuple[str, str] = ("owner_id", "org_id")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._identity: ClerkIdentity | None = None

    def _clone(self):
        clone = super()._clone()
        clone._identity = self._identity
        return clone

    def for_identity(self, identity: ClerkIdentity | None):
        """Rows of `identity`'s workspace; no identity → no rows, never all rows."""
        if identity is None:
            return self.none()
        owner, org = self.workspace_lookups
        scoped = self.filter(**{owner: identity.user_id, org: identity.org_id})
        scoped._identity = identity
        return scoped


class ThreadQuerySet(WorkspaceQuerySet):
    def create(self, **kwargs: Any):
        """Create a thread owned by the queryset's identity (owner and org can't be chosen otherwise).

        Raises accounts.deletion.ClerkUserDeleted when Clerk deleted that user: their session token may
        still be valid for a few seconds, and must not start new conversations after their data was erased.
        """
        if self._identity is not None:
            kwargs["owner_id"] = self._identity.user_id
            kwargs["org_id"] = self._identity.org_id
            # The owner's row lock orders this against a concurrent erasure (accounts.deletion).
            with transaction.atomic(using=self.db):
                lock_clerk_user(self._identity.user_id)
                return super().create(**kwargs)
        if "owner_id" not in kwargs:
            raise MissingIdentity("no identity to own the new thread; use Thread.objects.for_identity(...)")
        return super().create(**kwargs)

    def newest_first(self):
        return self.order_by("-updated_at", "-id")


class MessageQuerySet(WorkspaceQuerySet):
    workspace_lookups = ("thread__owner_id", "thread__org_id")


class ScopedManager(models.Manager):
    """The default manager: every queryset is scoped to the current identity (accounts.identity)."""

    def get_queryset(self):
        return self.unscoped().for_identity(get_current_identity())

    def unscoped(self):
        return super().get_queryset()

    def for_identity(self, identity: ClerkIdentity | None):
        """Scope to `identity` explicitly, whatever the current identity is (or isn't)."""
        return self.unscoped().for_identity(identity)


class Thread(models.Model):
    class Status(models.TextChoices):
        REGULAR = "regular"
        ARCHIVED = "archived"

    id = models.CharField(primary_key=True, max_length=40, default=new_thread_id, editable=False)
    owner_id = models.CharField("owner (Clerk user id)", max_length=64)
    org_id = models.CharField("organization id", max_length=64, null=True, blank=True)
    external_id = models.CharField(max_length=200, null=True, blank=True)
    title = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REGULAR)
    custom = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager.from_queryset(ThreadQuerySet)()
    all_tenants = models.Manager.from_queryset(ThreadQuerySet)()

    class Meta:
        default_manager_name = "objects"
        # Related-object access (message.thread) must work outside a request, whoever is current.
        base_manager_name = "all_tenants"
        # A workspace's threads newest first (optionally of one status), keyset-paginated on (updated_at, id).
        # Personal workspaces get partial indexes of their own: PostgreSQL reads `org_id IS NULL` from an index
        # but cannot return the rows in index order through it, so one index for both would mean a sort.
        indexes = [
            models.Index(
                fields=["owner_id", "-updated_at", "-id"],
                condition=Q(org_id__isnull=True),
                name="thread_personal_recent",
            ),
            models.Index(
                fields=["owner_id", "status", "-updated_at", "-id"],
                condition=Q(org_id__isnull=True),
                name="thread_personal_status",
            ),
            models.Index(
                fields=["owner_id", "org_id", "-updated_at", "-id"],
                condition=Q(org_id__isnull=False),
                name="thread_org_recent",
            ),
            models.Index(
                fields=["owner_id", "org_id", "status", "-updated_at", "-id"],
                condition=Q(org_id__isnull=False),
                name="thread_org_status",
            ),
            # organization.deleted webhooks remove an organization's threads of every member.
            models.Index(fields=["org_id"], condition=Q(org_id__isnull=False), name="thread_org"),
        ]
        constraints = [
            # external_id is the client's local id: unique per workspace, not globally. Personal workspaces
            # (org NULL) need their own constraint, because NULLs are distinct in a unique index.
            models.UniqueConstraint(
                fields=["owner_id", "org_id", "external_id"],
                condition=Q(org_id__isnull=False, external_id__isnull=False),
                name="thread_external_id_per_org_workspace",
            ),
            models.UniqueConstraint(
                fields=["owner_id", "external_id"],
                condition=Q(org_id__isnull=True, external_id__isnull=False),
                name="thread_external_id_per_personal_workspace",
            ),
            models.CheckConstraint(condition=Q(status__in=["regular", "archived"]), name="thread_status_valid"),
        ]

    def __str__(self) -> str:
        return self.title or self.id


class Message(models.Model):
    """One message of a thread, stored as assistant-ui's history row: {id, parent_id, format, content}."""

    class Role(models.TextChoices):
        SYSTEM = "system"
        USER = "user"
        ASSISTANT = "assistant"

    class Status(models.TextChoices):
        COMPLETE = "complete"
        INCOMPLETE = "incomplete"
        ERROR = "error"

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    message_id = models.CharField("id", max_length=200)
    parent_id = models.CharField(max_length=200, null=True, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices)
    format = models.CharField(max_length=32, default=MESSAGE_FORMAT)
    content = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.COMPLETE)
    model = models.CharField(max_length=200, blank=True, default="")
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager.from_queryset(MessageQuerySet)()
    all_tenants = models.Manager.from_queryset(MessageQuerySet)()

    class Meta:
        default_manager_name = "objects"
        base_manager_name = "all_tenants"
        indexes = [models.Index(fields=["thread", "id"], name="message_thread_order")]
        constraints = [
            models.UniqueConstraint(fields=["thread", "message_id"], name="message_id_unique_in_thread"),
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.message_id}"

    @property
    def text(self) -> str:
        """The message's text parts, joined (for previews and titles)."""
        parts = self.content.get("parts") if isinstance(self.content, dict) else None
        return "".join(
            part.get("text", "")
            for part in parts or ()
            if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)
        )

    @property
    def total_tokens(self) -> int | None:
        if self.prompt_tokens is None and self.completion_tokens is None:
            return None
        return (self.prompt_tokens or 0) + (self.completion_tokens or 0)
