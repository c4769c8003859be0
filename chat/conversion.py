"""UI messages (what the browser sends) → Chat Completions messages (what the model reads)."""

from __future__ import annotations

from typing import Any


def _text(parts: list[dict[str, Any]]) -> str:
    return "".join(part["text"] for part in parts if part["type"] == "text")


def _user_content(parts: list[dict[str, Any]]) -> str | list[dict[str, Any]] | None:
    """Text, plus images as image_url parts; other part types (and non-image files) are skipped."""
    content: list[dict[str, Any]] = []
    for part in parts:
        if part["type"] == "text" and part["text"]:
            content.append({"type": "text", "text": part["text"]})
        elif part["type"] == "file" and part["mediaType"].startswith("image/"):
            content.append({"type": "image_url", "image_url": {"url": part["url"]}})
    if not content:
        return None
    if all(item["type"] == "text" for item in content):
        return "".join(item["text"] for item in content)
    return content


def to_chat_messages(
    messages: list[dict[str, Any]], *, system_prompt: str, client_system: str | None = None
) -> list[dict[str, Any]]:
    """The server's system prompt first, then the client's `system`, then the conversation.

    Earlier assistant answers contribute their text; reasoning, tool and data parts are not replayed.
    """
    converted: list[dict[str, Any]] = []
    if system_prompt:
        converted.append({"role": "system", "content": system_prompt})
    if client_system:
        converted.append({"role": "system", "content": client_system})
    for message in messages:
        role, parts = message["role"], message["parts"]
        if role == "user":
            content = _user_content(parts)
        else:
            content = _text(parts) or None
        if content is not None:
            converted.append({"role": role, "content": content})
    return converted
