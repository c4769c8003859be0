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
    Insert first, look only on a conflict: a new message (the usual case) costs one INSERT and one UPDATE.
    """
    message = Message(
        thread=thread,
        message_id=message_id,
        parent_id=parent_id,
        format=format,
        content=content,
        role=content["role"],
        **fields,
    )
    try:
        with transaction.atomic():
            message.save(force_insert=True)
    except IntegrityError as exc:
        existing = Message.all_tenants.filter(thread_id=thread.pk, message_id=message_id).first()
        if existing is None:  # not a duplicate: the thread itself is gone
            raise ThreadGone(thread.pk) from exc
        return existing, False
    _touch(thread)
    return message, True


def upsert_message(
    thread: Thread,
    *,
    message_id: str,
    content: dict[str, Any],
    format: str = MESSAGE_FORMAT,
    **fields: Any,
) -> tuple[Message, bool]:
    """Create the message or replace its content and `fields`. Returns (message, created).

    assistant-ui's history `update`, and the chat storing its answer over a copy the browser appended first
    (after Stop, the browser may be quicker): the server's record, with status, model and usage, wins.
    """
    message, created = append_message(thread, message_id=message_id, content=content, format=format, **fields)
    if not created:
        values = {"format": format, "content": content, "role": content["role"], "updated_at": timezone.now(), **fields}
        Message.all_tenants.filter(pk=message.pk).update(**values)
        for name, value in values.items():
            setattr(message, name, value)
    return message, created
