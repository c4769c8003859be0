from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import MESSAGE_FORMAT, Message, Thread


class StrictCharField(serializers.CharField):
    """A string, and only a string: DRF's CharField would quietly turn 5 into "5"."""

    default_error_messages = {"invalid": "Not a valid string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ThreadSerializer(serializers.ModelSerializer):
    """A thread as the API shows it (what assistant-ui's remote thread list adapter maps)."""

    class Meta:
        model = Thread
        fields = ["id", "external_id", "title", "status", "custom", "created_at", "updated_at", "last_message_at"]
        read_only_fields = fields


def _validate_object(value: Any) -> dict:
    if not isinstance(value, dict):
        raise serializers.ValidationError("Must be a JSON object.")
    return value


@extend_schema_field({"type": "object", "additionalProperties": {}})
class JSONObjectField(serializers.JSONField):
    """Any JSON object (and only an object)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["validators"] = [_validate_object, *kwargs.get("validators", ())]
        super().__init__(**kwargs)


@extend_schema_field(
    {
        "type": "object",
        "description": "The message as the format has it; for ai-sdk/* an AI SDK UIMessage (without its id).",
        "properties": {
            "role": {"type": "string", "enum": ["system", "user", "assistant"]},
            "parts": {"type": "array", "items": {}},
            "metadata": {"type": "object", "nullable": True, "additionalProperties": {}},
        },
        "required": ["role"],
        "additionalProperties": {},
    }
)
class MessageContentField(serializers.JSONField):
    """A message's content; MessageContentSerializer.validate_content checks it."""


class ThreadCreateSerializer(serializers.Serializer):
    """POST /api/threads: every field optional (assistant-ui's initialize sends the local id as external_id)."""

    external_id = StrictCharField(max_length=200, required=False, allow_null=True)
    title = StrictCharField(max_length=200, required=False, allow_blank=True)
    custom = JSONObjectField(required=False)


class ThreadUpdateSerializer(serializers.Serializer):
    """PATCH /api/threads/{id}: rename, archive / unarchive, or replace the custom metadata."""

    title = StrictCharField(max_length=200, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=Thread.Status.choices, required=False)
    custom = JSONObjectField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Send at least one of title, status or custom.")
        return attrs


class MessageSerializer(serializers.ModelSerializer):
    """A history row: {id, parent_id, format, content, created_at}."""

    id = StrictCharField(source="message_id", read_only=True)

    class Meta:
        model = Message
        fields = ["id", "parent_id", "format", "content", "created_at"]
        read_only_fields = fields


class MessageContentSerializer(serializers.Serializer):
    """The body of PATCH /api/threads/{id}/messages/{message_id} (the id comes from the URL)."""

    parent_id = StrictCharField(max_length=200, required=False, allow_null=True)
    format = StrictCharField(max_length=32, required=False, default=MESSAGE_FORMAT)
    content = MessageContentField()

    def validate_content(self, content: Any) -> dict:
        _validate_object(content)
        role = content.get("role")
        if role not in Message.Role.values:
            raise serializers.ValidationError(f"content.role must be one of {', '.join(Message.Role.values)}.")
        if "parts" in content and not isinstance(content["parts"], list):
            raise serializers.ValidationError("content.parts must be a list.")
        if "metadata" in content and content["metadata"] is not None and not isinstance(content["metadata"], dict):
            raise serializers.ValidationError("content.metadata must be an object.")
        return content

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("format", MESSAGE_FORMAT).startswith("ai-sdk/") and "parts" not in attrs["content"]:
            raise serializers.ValidationError({"content": ["content.parts is required in the ai-sdk format."]})
        return attrs


class MessageWriteSerializer(MessageContentSerializer):
    """The body of POST /api/threads/{id}/messages: a history row."""

    id = StrictCharField(max_length=200)


ERASURE_CONFIRMATION = "delete my data"


@extend_schema_field({"type": "string", "enum": [ERASURE_CONFIRMATION]})
class ConfirmationField(StrictCharField):
    """The one string that confirms an erasure (AccountDeletionSerializer.validate_confirm checks it)."""


class AccountDeletionSerializer(serializers.Serializer):
    """The body of DELETE /api/me: an explicit confirmation, so that no stray request erases anyone."""

    confirm = ConfirmationField(help_text=f'Exactly "{ERASURE_CONFIRMATION}".')

    def validate_confirm(self, value: str) -> str:
        if value != ERASURE_CONFIRMATION:
            raise serializers.ValidationError(f'Send "{ERASURE_CONFIRMATION}" to confirm.')
        return value


class ExportMessageSerializer(serializers.ModelSerializer):
    """A message as exported: the history row plus what the server recorded about it."""

    id = serializers.CharField(source="message_id", read_only=True)

    class Meta:
        model = Message
        fields = [
            "id", "parent_id", "role", "format", "content", "status", "model", "prompt_tokens",
            "completion_tokens", "created_at", "updated_at",
        ]
        read_only_fields = fields


class ExportThreadSerializer(serializers.ModelSerializer):
    """A thread as exported: with its workspace (`org_id`, null for the personal one) and messages in order."""

    messages = ExportMessageSerializer(many=True, read_only=True)

    class Meta:
        model = Thread
        fields = [
            "id", "external_id", "org_id", "title", "status", "custom", "created_at", "updated_at",
            "last_message_at", "messages",
        ]
        read_only_fields = fields


class ExportUserSerializer(serializers.Serializer):
    """Who the export is of, and the profile kept here (empty when no row was ever made)."""

    id = serializers.CharField(help_text="The Clerk user id.")
    email = serializers.CharField(allow_blank=True)
    first_name = serializers.CharField(allow_blank=True)
    last_name = serializers.CharField(allow_blank=True)
    image_url = serializers.CharField(allow_blank=True)
    date_joined = serializers.DateTimeField(allow_null=True)


class AccountExportSerializer(serializers.Serializer):
    """GET /api/me/export: everything stored about the caller, as one document."""

    format = serializers.CharField(help_text='"chatsite-export/1".')
    exported_at = serializers.DateTimeField()
    user = ExportUserSerializer()
    threads = ExportThreadSerializer(many=True, help_text="Every thread the caller owns, in every workspace.")
