"""The database side of one chat turn: short bursts before the stream starts and once it has ended.

No connection is held while the model talks: the view returns its connection before streaming, and the
answer is stored through a fresh one that is returned right after.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, IntegrityError, connections
from django.db.models import Q

from accounts.identity import ClerkIdentity
from threads.history import ThreadGone, append_message, upsert_message
from threads.models import Thread

from .answer import Answer
from .conversion import to_chat_messages
from .limits import check_model_allowance, record_tokens
from .requests import ChatRequest
from .upstream import completion_arguments

logger = logging.getLogger(__name__)


@dataclass
class ChatRun:
    """One turn: who asked, in which thread, and the answer being streamed. Holds the identity explicitly,
    because the stream body runs after the middleware has reset the current one."""

    identity: ClerkIdentity
    thread_id: str
    parent_id: str | None
    model: str
    arguments: dict[str, Any]
    answer: Answer


def release_connections() -> None:
    """Return this thread's database connections (to the pool), unless a transaction is open (tests)."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


def bind_thread(identity: ClerkIdentity, chat_id: str) -> Thread:
    """The caller's thread named `chat_id` (its id or external id), created in the caller's workspace if
    unknown there — never another tenant's thread."""
    threads = Thread.objects.for_identity(identity)
    candidates = list(threads.filter(Q(pk=chat_id) | Q(external_id=chat_id))[:2])
    if candidates:
        # assistant-ui sends our id; useChat its own. Should both name threads, the id wins.
        return next((thread for thread in candidates if thread.pk == chat_id), candidates[0])
    try:
        return threads.create(external_id=chat_id)
    except IntegrityError:  # a concurrent request created it first
        return threads.get(external_id=chat_id)


def begin_run(identity: ClerkIdentity, chat: ChatRequest, *, system_prompt: str) -> ChatRun:
    """Bind the thread and store the new user message (so that no failure later can lose it)."""
    thread = bind_thread(identity, chat.chat_id)
    user_message = chat.last_message
    append_message(
        thread,
        message_id=user_message["id"],
        parent_id=chat.parent_id,
        content={"role": "user", "parts": user_message["parts"], "metadata": user_message.get("metadata") or {}},
    )
    messages = to_chat_messages(chat.messages, system_prompt=system_prompt, client_system=chat.system)
    return ChatRun(
        identity=identity,
        thread_id=thread.pk,
        parent_id=user_message["id"],
        model=chat.model,
        arguments=completion_arguments(chat.model, messages, chat.options),
        answer=Answer("msg_" + secrets.token_urlsafe(16), chat.model),
    )


def start_run(identity: ClerkIdentity, chat: ChatRequest, *, system_prompt: str) -> ChatRun:
    """Everything before the stream, in one trip to a thread: the caller's allowance, then begin_run.

    Raises chat.limits.RateLimited and accounts.deletion.ClerkUserDeleted. The connection is returned before
    the stream starts, so none is held while the model talks.
    """
    check_model_allowance(identity.user_id)
    try:
        return begin_run(identity, chat, system_prompt=system_prompt)
    finally:
        release_connections()


def store_answer(run: ChatRun) -> bool:
    """Store the assistant's answer (whatever its status) and count its tokens. False if it could not be."""
    answer = run.answer
    prompt_tokens, completion_tokens = answer.usage or (None, None)
    try:
        if answer.usage:
            record_tokens(run.identity.user_id, sum(answer.usage))
        thread = Thread.objects.for_identity(run.identity).filter(pk=run.thread_id).first()
        if thread is None:
            logger.info("Thread %s was deleted during the answer; the answer is dropped", run.thread_id)
            return True
        upsert_message(
            thread,
            message_id=answer.message_id,
            parent_id=run.parent_id,
            content=answer.content,
            status=answer.status,
            model=answer.model,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
        )
        return True
    except ThreadGone:
        logger.info("Thread %s was deleted during the answer; the answer is dropped", run.thread_id)
        return True
    except DatabaseError:
        logger.exception("Could not store the answer %s of thread %s", answer.message_id, run.thread_id)
        return False
    finally:
        release_connections()
