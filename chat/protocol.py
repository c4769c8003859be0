"""The AI SDK UI message stream, protocol v1: one Server-Sent Event per chunk, `data: [DONE]` at the end."""

from __future__ import annotations

import json
from typing import Any

STREAM_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "X-Vercel-AI-UI-Message-Stream": "v1",
    "X-Accel-Buffering": "no",
}

DONE = b"data: [DONE]\n\n"
KEEPALIVE = b": ping\n\n"

# Compact and UTF-8: the encoder runs once per chunk, ~60 times per answer.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

# OpenAI's finish_reason → the AI SDK's finishReason (which rejects anything else, "unknown" included).
FINISH_REASONS = {
    "stop": "stop",
    "length": "length",
    "content_filter": "content-filter",
    "tool_calls": "tool-calls",
    "function_call": "tool-calls",
}


def encode_chunk(chunk: dict[str, Any]) -> bytes:
    """One chunk as an SSE event."""
    return b"data: " + _encode(chunk).encode() + b"\n\n"


def finish_reason(provider_reason: str | None) -> str:
    return FINISH_REASONS.get(provider_reason or "stop", "other")
