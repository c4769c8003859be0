"""The model call: the openai SDK's Chat Completions, streamed, against OpenAI or any compatible server.

The SDK makes the request (auth, retries, error statuses); the event stream itself is read line by line and
decoded with `json.loads`, which costs a fraction of building the SDK's pydantic object for every chunk.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import Iterator
from typing import Any

import httpx2
import openai
from django.conf import settings

logger = logging.getLogger(__name__)

# Events that read_events() yields, as (kind, value) tuples.
REASONING, TEXT, FINISH, USAGE = "reasoning", "text", "finish", "usage"


class ProviderNotConfigured(Exception):
    """Neither OPENAI_API_KEY nor OPENAI_BASE_URL is set."""


class StreamEndedEarly(Exception):
    """The provider's event stream ended without a finish reason."""


class ProviderStreamError(Exception):
    """The provider reported an error inside the event stream."""


def provider_configured() -> bool:
    return bool(settings.OPENAI_API_KEY or settings.OPENAI_BASE_URL)


def _client_options() -> tuple:
    if not provider_configured():
        raise ProviderNotConfigured
    # Local servers (Ollama, vLLM, LM Studio) need no key, but the SDK insists on one.
    return (
        settings.OPENAI_API_KEY or "not-needed",
        settings.OPENAI_BASE_URL,
        settings.OPENAI_TIMEOUT,
        settings.OPENAI_CONNECT_TIMEOUT,
        settings.OPENAI_MAX_RETRIES,
    )


def _make(client_class: type, options: tuple, **extra: Any):
    api_key, base_url, timeout, connect_timeout, max_retries = options
    return client_class(
        api_key=api_key,
        base_url=base_url,
        timeout=openai.Timeout(timeout, connect=connect_timeout),
        max_retries=max_retries,
        **extra,
    )


_sync_clients: dict[tuple, openai.OpenAI] = {}
_async_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def sync_client() -> openai.OpenAI:
    """A process-wide client per configuration, so that connections to the provider are reused."""
    options = _client_options()
    client = _sync_clients.get(options)
    if client is None:
        client = _sync_clients.setdefault(options, _make(openai.OpenAI, options))
    return client


def async_client() -> openai.AsyncOpenAI:
    """Like sync_client(), per event loop (an async connection pool belongs to the loop that opened it)."""
    options = _client_options()
    per_loop = _async_clients.setdefault(asyncio.get_running_loop(), {})
    if options not in per_loop:
        # aiohttp reads a stream for a fraction of the CPU that httpx's anyio transport spends per chunk.
        per_loop[options] = _make(openai.AsyncOpenAI, options, http_client=openai.DefaultAioHttpClient())
    return per_loop[options]


def completion_arguments(model: str, messages: list[dict[str, Any]], options: dict[str, Any]) -> dict[str, Any]:
    return {
        "model": model,
        "messages": messages,
        "stream": True,
        "stream_options": {"include_usage": True},
        **options,
    }


def read_events(line: str) -> Iterator[tuple[str, Any]]:
    """The events in one line of the provider's SSE stream (nothing for blank lines, comments and [DONE])."""
    if not line.startswith("data:"):
        return
    data = line[5:].strip()
    if not data or data == "[DONE]":
        return
    event = json.loads(data)
    if not isinstance(event, dict):
        return
    if event.get("error"):
        error = event["error"]
        raise ProviderStreamError(error.get("message") if isinstance(error, dict) else str(error))
    for choice in event.get("choices") or ():
        if choice.get("index", 0) != 0:
            continue
        delta = choice.get("delta") or {}
        # DeepSeek and vLLM say reasoning_content; OpenRouter and Ollama say reasoning.
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if isinstance(reasoning, str) and reasoning:
            yield REASONING, reasoning
        content = delta.get("content")
        if isinstance(content, str) and content:
            yield TEXT, content
        if choice.get("finish_reason"):
            yield FINISH, choice["finish_reason"]
    usage = event.get("usage")
    if isinstance(usage, dict):
        yield USAGE, (int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0))


def describe_failure(exc: BaseException) -> str:
    """Words for the user about a failed model call: never a key, a URL or a provider's internals."""
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return "The model provider refused this server's credentials. Please tell the site's operator."
    if isinstance(exc, openai.RateLimitError):
        return "The model provider is rate limiting this site. Please try again in a moment."
    if isinstance(exc, openai.NotFoundError):
        return "The configured model is not available."
    if isinstance(exc, openai.BadRequestError | openai.UnprocessableEntityError):
        return "The model provider could not process this conversation."
    if isinstance(exc, openai.APITimeoutError | httpx2.TimeoutException):
        return "The model took too long to answer. Please try again."
    if isinstance(exc, openai.APIStatusError):
        return "The model provider had an error. Please try again."
    if isinstance(exc, openai.APIConnectionError):
        return "The model provider could not be reached. Please try again."
    return "The model's answer was interrupted. Please try again."


def log_failure(exc: BaseException, *, model: str, thread_id: str) -> None:
    status = getattr(exc, "status_code", None)
    logger.warning(
        "Model call failed: %s%s (model %s, thread %s)",
        type(exc).__name__,
        f" {status}" if status else "",
        model,
        thread_id,
        exc_info=not isinstance(exc, openai.APIError | httpx2.HTTPError | StreamEndedEarly | ProviderStreamError),
    )
