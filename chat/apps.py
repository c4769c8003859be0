from __future__ import annotations

from django.apps import AppConfig


class ChatConfig(AppConfig):
    """The gated model call, streamed as the AI SDK UI message stream, and the chat page."""

    name = "chat"
    verbose_name = "Chat"
