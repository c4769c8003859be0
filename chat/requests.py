"""The body of POST /api/chat (what the AI SDK's DefaultChatTransport and assistant-ui send), validated."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

ROLES = ("system", "user", "assistant")
TRIGGERS = ("submit-message", "regenerate-message")
CALL_SETTINGS = {
    # name in the request → (name in Chat Completions, type, minimum, maximum)
    "temperature": ("temperature", float, 0.0, 2.0),
    "topP": ("top_p", float, 0.0, 1.0),
    "presencePenalty": ("presence_penalty", float, -2.0, 2.0),
    "frequencyPenalty": ("frequency_penalty", float, -2.0, 2.0),
    "maxTokens": ("max_tokens", int, 1, None),
    "seed": ("seed", int, None, None),
}


class InvalidChatRequest(Exception):
    """A 400: `errors` maps a top-level field to messages, DRF-style."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.errors = {field_name: [message]}


@dataclass(frozen=True)
class ChatRequest:
    chat_id: str
    messages: list[dict[str, Any]]
    trigger: str
    model: str
    system: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def last_message(self) -> dict[str, Any]:
        return self.messages[-1]

    @property
    def parent_id(self) -> str | None:
        """The id of the message before the new user message (its parent in the history)."""
        return self.messages[-2]["id"] if len(self.messages) > 1 else None


def _string(value: Any, field_name: str, label: str, *, max_length: int, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise InvalidChatRequest(field_name, f"{label} must be a string.")
    if not value and not allow_empty:
        raise InvalidChatRequest(field_name, f"{label} must not be empty.")
    if len(value) > max_length:
        raise InvalidChatRequest(field_name, f"{label} is longer than {max_length} characters.")
    return value


def _message(value: Any, index: int) -> tuple[dict[str, Any], int]:
    """Validate one UIMessage; returns it and the number of text characters it carries."""
    where = f"messages[{index}]"
    if not isinstance(value, dict):
        raise InvalidChatRequest("messages", f"{where} must be an object.")
    _string(value.get("id"), "messages", f"{where}.id", max_length=200)
    if value.get("role") not in ROLES:
        raise InvalidChatRequest("messages", f"{where}.role must be one of {', '.join(ROLES)}.")
    parts = value.get("parts")
    if not isinstance(parts, list):
        raise InvalidChatRequest("messages", f"{where}.parts must be a list.")
    if len(parts) > settings.CHAT_MAX_PARTS:
        raise InvalidChatRequest("messages", f"{where} has more than {settings.CHAT_MAX_PARTS} parts.")
    if "metadata" in value and value["metadata"] is not None and not isinstance(value["metadata"], dict):
        raise InvalidChatRequest("messages", f"{where}.metadata must be an object.")
    characters = 0
    for number, part in enumerate(parts):
        spot = f"{where}.parts[{number}]"
        if not isinstance(part, dict) or not isinstance(part.get("type"), str):
            raise InvalidChatRequest("messages", f"{spot} must be an object with a string type.")
        if part["type"] in ("text", "reasoning"):
            text = _string(part.get("text"), "messages", f"{spot}.text", max_length=10**8, allow_empty=True)
            characters += len(text)
        elif part["type"] == "file":
            _string(part.get("mediaType"), "messages", f"{spot}.mediaType", max_length=200)
            _string(part.get("url"), "messages", f"{spot}.url", max_length=10**8)
        # Other part types (step-start, tool-*, data-*, source-*) are carried along and skipped for the model.
    return value, characters


def parse_chat_request(body: Any) -> ChatRequest:
    """Validate the decoded JSON body; raises InvalidChatRequest with a message fit for the user."""
    if not isinstance(body, dict):
        raise InvalidChatRequest("non_field_errors", "The body must be a JSON object.")
    chat_id = _string(body.get("id"), "id", "id", max_length=200)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidChatRequest("messages", "messages must be a non-empty list of UI messages.")
    if len(messages) > settings.CHAT_MAX_MESSAGES:
        raise InvalidChatRequest("messages", f"At most {settings.CHAT_MAX_MESSAGES} messages are accepted.")
    characters = 0
    for index, message in enumerate(messages):
        characters += _message(message, index)[1]
    if characters > settings.CHAT_MAX_TEXT_CHARS:
        raise InvalidChatRequest("messages", f"The conversation is longer than {settings.CHAT_MAX_TEXT_CHARS} characters.")
    if messages[-1]["role"] != "user":
        raise InvalidChatRequest("messages", "The last message must be the user's.")

    trigger = body.get("trigger", "submit-message")
    if trigger not in TRIGGERS:
        raise InvalidChatRequest("trigger", f"trigger must be one of {', '.join(TRIGGERS)}.")
    system = body.get("system")
    if system is not None:
        system = _string(system, "system", "system", max_length=settings.CHAT_MAX_SYSTEM_CHARS, allow_empty=True) or None
    return ChatRequest(
        chat_id=chat_id,
        messages=messages,
        trigger=trigger,
        model=_model(body.get("config")),
        system=system,
        options=_options(body.get("callSettings")),
    )


def _model(config: Any) -> str:
    """OPENAI_MODEL, or the client's `config.modelName` when the allowlist has it. Client keys and URLs are
    never used, whatever the client sends."""
    if config is not None and not isinstance(config, dict):
        raise InvalidChatRequest("config", "config must be an object.")
    wanted = (config or {}).get("modelName")
    if isinstance(wanted, str) and wanted in settings.OPENAI_MODEL_ALLOWLIST:
        return wanted
    return settings.OPENAI_MODEL


def _options(call_settings: Any) -> dict[str, Any]:
    """Sampling settings the client may choose, checked and capped (maxTokens by CHAT_MAX_OUTPUT_TOKENS)."""
    if call_settings is None:
        return {}
    if not isinstance(call_settings, dict):
        raise InvalidChatRequest("callSettings", "callSettings must be an object.")
    options: dict[str, Any] = {}
    for name, (target, kind, low, high) in CALL_SETTINGS.items():
        value = call_settings.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or (kind is int and not isinstance(value, int)):
            raise InvalidChatRequest("callSettings", f"callSettings.{name} must be a number.")
        if target == "max_tokens":
            high = settings.CHAT_MAX_OUTPUT_TOKENS
        if (low is not None and value < low) or (high is not None and value > high):
            raise InvalidChatRequest("callSettings", f"callSettings.{name} must be between {low} and {high}.")
        options[target] = kind(value)
    return options
