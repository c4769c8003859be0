"""Reading the UI message stream in tests."""

from __future__ import annotations

import json
from typing import Any


def parse_events(raw: bytes) -> tuple[list[dict[str, Any]], list[str]]:
    """(chunks, comments) of an SSE body; `data: [DONE]` becomes {"type": "[DONE]"}."""
    chunks: list[dict[str, Any]] = []
    comments: list[str] = []
    for event in raw.decode().split("\n\n"):
        if not event:
            continue
        assert "\n" not in event, f"one line per event: {event!r}"
        if event.startswith(":"):
            comments.append(event[1:].strip())
            continue
        assert event.startswith("data: "), event
        data = event[len("data: "):]
        chunks.append({"type": "[DONE]"} if data == "[DONE]" else json.loads(data))
    return chunks, comments


def types(chunks: list[dict[str, Any]]) -> list[str]:
    return [chunk["type"] for chunk in chunks]


def chat_body(text: str = "Hi", *, chat_id: str = "local-chat", message_id: str = "u1",
              history: list[dict] | None = None, **extra: Any) -> dict[str, Any]:
    messages = [*(history or []), {"id": message_id, "role": "user", "parts": [{"type": "text", "text": text}]}]
    return {"id": chat_id, "messages": messages, "trigger": "submit-message", **extra}
