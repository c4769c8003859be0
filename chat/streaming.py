"""The stream body of POST /api/chat, in the iterator kind the server needs.

Django buffers a whole StreamingHttpResponse when its iterator is the wrong kind for the server (an async
iterator under WSGI, a sync one under ASGI), so the view picks `sync_stream` or `async_stream` per request.
Both read the provider in the background (a thread, or a task) and wait on a queue, so that they can send
keep-alive comments while the model is silent, relay whatever has arrived in one write, and notice a client
that went away: then the provider's response is closed at once (it stops generating) and the partial answer
is stored as incomplete.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings

from .protocol import DONE, KEEPALIVE, encode_chunk
from .runs import ChatRun, store_answer
from .upstream import (
    FINISH,
    REASONING,
    TEXT,
    USAGE,
    StreamEndedEarly,
    async_client,
    describe_failure,
    log_failure,
    read_events,
    sync_client,
)

logger = logging.getLogger(__name__)

_END = object()  # the provider's stream ended normally

# The tasks running async_stream in this process, for interrupt_open_streams() at shutdown.
_open_streams: set[asyncio.Task] = set()


async def interrupt_open_streams(timeout: float) -> None:
    """Cancel the streams still open when the server shuts down, so that each stores its partial answer.

    The ASGI server cancels the request's task after its graceful timeout, but Django's handler does not pass
    the cancellation on to the task that runs the response: left alone, the stream would die with the process.
    """
    tasks = [task for task in _open_streams if not task.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=timeout)


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def _encode(chunks: Iterable[dict[str, Any]]) -> bytes:
    return b"".join(encode_chunk(chunk) for chunk in chunks)


class _Relay:
    """Applies provider lines to the run's Answer; shared by the sync and async loops."""

    def __init__(self, run: ChatRun) -> None:
        self.run = run
        self.answer = run.answer
        self.reason: str | None = None
        self.failure: BaseException | None = None
        self.done = False
        self._closing: list[dict[str, Any]] = []

    def feed(self, items: list[Any]) -> bytes:
        """Encode the chunks for a batch of queue items; sets `done` at the end of the provider's stream."""
        answer = self.answer
        chunks: list[dict[str, Any]] = []
        for item in items:
            if item is _END:
                self.done = True
                if self.reason is None:
                    self.failure = StreamEndedEarly()
                break
            if isinstance(item, _Failure):
                self.done, self.failure = True, item.exc
                break
            try:
                for kind, value in read_events(item):
                    if kind is TEXT:
                        chunks.extend(answer.text_delta(value))
                    elif kind is REASONING:
                        chunks.extend(answer.reasoning(value))
                    elif kind is FINISH:
                        self.reason = value
                    elif kind is USAGE:
                        answer.usage = value
            except ValueError as exc:  # malformed JSON, or an error event from the provider
                self.done, self.failure = True, exc
                break
        return _encode(chunks)

    def conclude(self) -> list[dict[str, Any]]:
        """After the provider's stream: complete or fail the answer. Store it, then send `ending(saved)`."""
        if self.failure is not None:
            log_failure(self.failure, model=self.run.model, thread_id=self.run.thread_id)
            self._closing = self.answer.fail(describe_failure(self.failure))
        else:
            self._closing = self.answer.complete(self.reason)
        return self._closing

    def ending(self, saved: bool) -> bytes:
        """The last bytes of the stream: the closing chunks, an error if the answer could not be stored, [DONE]."""
        unsaved = [] if saved else self.answer.unsaved()
        return _encode([*self._closing, *unsaved, *self.answer.end()]) + DONE


def _drain(first: Any, pending: queue.Queue | asyncio.Queue) -> list[Any]:
    items = [first]
    while True:
        try:
            items.append(pending.get_nowait())
        except (queue.Empty, asyncio.QueueEmpty):
            return items


def sync_stream(run: ChatRun) -> Iterator[bytes]:
    """For WSGI servers (runserver, gunicorn's sync workers)."""
    relay = _Relay(run)
    lines: queue.Queue = queue.Queue()
    response_box: list[Any] = []
    stop = threading.Event()

    def read() -> None:
        try:
            with sync_client().chat.completions.with_streaming_response.create(**run.arguments) as response:
                response_box.append(response)
                for line in response.iter_lines():
                    if stop.is_set():
                        return
                    lines.put(line)
            lines.put(_END)
        except Exception as exc:  # every failure reaches the client as an error chunk
            if not stop.is_set():
                lines.put(_Failure(exc))

    threading.Thread(target=read, name=f"model-{run.answer.message_id}", daemon=True).start()
    stored = False
    try:
        yield _encode(run.answer.start())
        while not relay.done:
            try:
                first = lines.get(timeout=settings.CHAT_KEEPALIVE_SECONDS)
            except queue.Empty:
                yield KEEPALIVE
                continue
            out = relay.feed(_drain(first, lines))
            if out:
                yield out
        relay.conclude()
        stored = True
        yield relay.ending(store_answer(run))
    finally:
        if not stored:
            # The client went away (the server closed this generator): stop the provider, keep what arrived.
            stop.set()
            for response in response_box:
                response.close()
            run.answer.interrupt()
            store_answer(run)


async def async_stream(run: ChatRun) -> AsyncIterator[bytes]:
    """For ASGI servers (uvicorn): the provider is read by AsyncOpenAI on the event loop."""
    relay = _Relay(run)
    lines: asyncio.Queue = asyncio.Queue()

    async def read() -> None:
        try:
            async with async_client().chat.completions.with_streaming_response.create(**run.arguments) as response:
                async for line in response.iter_lines():
                    lines.put_nowait(line)
            lines.put_nowait(_END)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every failure reaches the client as an error chunk
            lines.put_nowait(_Failure(exc))

    reader = asyncio.create_task(read())
    this_task = asyncio.current_task()
    _open_streams.add(this_task)
    stored = False
    try:
        yield _encode(run.answer.start())
        while not relay.done:
            try:
                async with asyncio.timeout(settings.CHAT_KEEPALIVE_SECONDS):
                    first = await lines.get()
            except TimeoutError:
                yield KEEPALIVE
                continue
            out = relay.feed(_drain(first, lines))
            if out:
                yield out
        relay.conclude()
        stored = True
        yield relay.ending(await sync_to_async(store_answer, thread_sensitive=False)(run))
    finally:
        # Cancelling the reader leaves `async with`, which closes the provider's response: it stops generating.
        reader.cancel()
        try:
            await reader
        except BaseException:  # noqa: BLE001 — the reader's own outcome no longer matters
            pass
        if not stored:
            # The client went away (Django cancelled or closed this generator): keep what arrived.
            run.answer.interrupt()
            await asyncio.shield(sync_to_async(store_answer, thread_sensitive=False)(run))
        _open_streams.discard(this_task)
