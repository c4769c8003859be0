"""Thread titles: a few words from the model, or the user's first words when the model cannot help."""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx2
import openai
from django.conf import settings

from .upstream import ProviderNotConfigured, sync_client

logger = logging.getLogger(__name__)

TITLE_PROMPT = (
    "Write a title of at most six words for the conversation below. "
    "Answer with the title only: no quotes, no punctuation at the end."
)
MAX_TITLE_LENGTH = 80


def first_words(text: str, count: int = 6) -> str:
    words = text.split()
    title = " ".join(words[:count])
    return (title[: MAX_TITLE_LENGTH - 1] + "…") if len(title) > MAX_TITLE_LENGTH else title


def _clean(title: str) -> str:
    title = title.strip().splitlines()[0] if title.strip() else ""
    title = re.sub(r'^(title:\s*)', "", title, flags=re.IGNORECASE).strip().strip("\"'“”*#").rstrip(".").strip()
    return title[:MAX_TITLE_LENGTH]


def conversation_excerpt(messages: list[tuple[str, str]], limit: int = 2000) -> str:
    lines = [f"{role}: {text}" for role, text in messages if text]
    return "\n".join(lines)[:limit]


def generate_title(messages: list[tuple[str, str]], *, model: str) -> str:
    """A short title for (role, text) messages; falls back to the first user words, then to "New chat"."""
    fallback = next((first_words(text) for role, text in messages if role == "user" and text.strip()), "") or "New chat"
    excerpt = conversation_excerpt(messages)
    if not excerpt:
        return fallback
    try:
        completion = sync_client().with_options(timeout=settings.CHAT_TITLE_TIMEOUT, max_retries=0).chat.completions.create(
            model=model,
            messages=[{"role": "system", "content": TITLE_PROMPT}, {"role": "user", "content": excerpt}],
            max_tokens=20,
            temperature=0.2,
        )
        title = _clean(completion.choices[0].message.content or "")
    except (ProviderNotConfigured, openai.APIError, httpx2.HTTPError, IndexError, AttributeError) as exc:
        logger.warning("Title generation failed (%s); using the first words", type(exc).__name__)
        return fallback
    return title or fallback


def texts_of(ui_messages: list[Any]) -> list[tuple[str, str]]:
    """(role, text) of UI messages as sent by assistant-ui's generateTitle (malformed entries are skipped)."""
    result = []
    for message in ui_messages:
        if not isinstance(message, dict) or not isinstance(message.get("parts"), list):
            continue
        text = "".join(
            p.get("text", "") for p in message["parts"]
            if isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
        )
        result.append((str(message.get("role")), text))
    return result
