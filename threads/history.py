"""Writing messages: idempotent appends and upserts keyed by message id, shared by the REST API and the chat."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import MESSAGE_FORMAT, Message, Thread


class ThreadGone(Exception):
    """The thread was deleted while a message was being written to it."""


def _touch(thread: Thread) -> None:
    """A new message moves the thread's updated_at and last_message_at (so it lists first)."""
    now = timezone.now()
    Thread.all_tenants.filter(pk=thread.pk).update(updated_at=now, last_message_at=now)
    thread.updated_at = thread.last_message_at = now


def append_message(
    thread: Thread,
    *,
    message_id: str,
    content: dict[str, Any],
    parent_id: str | None = None,
    format: str = MESSAGE_FORMAT,
    **fields: Any,
) -> tuple[Message, bool]:
    """Store a message once: a second append of the same id (by the client or the server) changes nothing.

    Returns (message, created). `fields` are the chat's extras: status, model, prompt_tokens, completion_tokens.
    """
    defaults = {"parent_id": parent_id, "format": format, "content": content, "role": content["role"], **fields}
    try:
        with transaction.atomic():
            message, created = Message.all_tenants.get_or_create(
                thread=thread, message_id=message_id, defaults=defaults
            )
            if created:
                _touch(thread)
    except IntegrityError as exc:
        raise ThreadGone(thread.pk) from exc
    return message, created


def upsert_message(
    thread: Thread,
    *,
    message_id: str,
    content: dict[str, Any],
    format: str = MESSAGE_FORMAT,
    **fields: Any,
) -> tuple[Message, bool]:
    """Create the message or replace its content (assistant-ui's history `update`). Returns (message, created)."""
    values = {"format": format, "content": content, "role": content["role"], "updated_at": timezone.now(), **fields}
    try:
        with transaction.atomic():
            message, created = Message.all_tenants.update_or_create(
                thread=thread, message_id=message_id, defaults=values
            )
            if created:
                _touch(thread)
    except IntegrityError as exc:
        raise ThreadGone(thread.pk) from exc
    return message, created
