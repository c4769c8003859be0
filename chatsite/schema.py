"""OpenAPI generation (drf-spectacular) that describes the API as clients should call it.

Besides the DRF views, `postprocess_schema` (a POSTPROCESSING_HOOK) documents the two plain Django views a
client calls, POST /api/chat (the AI SDK UI message stream) and POST /api/webhooks/clerk (Svix-signed), and the
error answers every operation can give, in Django REST framework's shape: `{"detail": "..."}`, or per-field
messages for validation errors. tests/test_schema_fuzz.py checks the API against this document.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance

from .parsers import MAX_JSON_DEPTH


class JSONAutoSchema(AutoSchema):
    """Request bodies are documented as application/json.

    The parser accepts JSON under any Content-Type (for assistant-ui's documented adapter), which would
    otherwise be documented as `*/*`. A DELETE documents a body where the view says it reads one
    (`delete_reads_body`, e.g. DELETE /api/me), which drf-spectacular never does on its own.
    """

    def map_parsers(self) -> list[str]:
        return ["application/json"]

    def _get_request_body(self, direction: str = "request"):
        if self.method != "DELETE" or not getattr(self.view, "delete_reads_body", False):
            return super()._get_request_body(direction)
        self.method = "POST"  # drf-spectacular only maps bodies of PUT, PATCH and POST
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"

    def _get_request_for_media_type(self, serializer, direction: str = "request"):
        schema, required = super()._get_request_for_media_type(serializer, direction)
        # A body that must carry one of several properties (see _AnyOfSerializerExtension) is itself required.
        if serializer is not None and isinstance(
            OpenApiSerializerExtension.get_match(force_instance(serializer)), _AnyOfSerializerExtension
        ):
            required = True
        return schema, required


class _AnyOfSerializerExtension(OpenApiSerializerExtension):
    """A serializer whose validate() needs more than its fields say; `any_of` says it in the schema."""

    any_of: list[dict[str, Any]] = []

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema["anyOf"] = self.any_of
        return schema


class ThreadUpdateSchema(_AnyOfSerializerExtension):
    """PATCH /api/threads/{id} needs at least one of title, status, custom."""

    target_class = "threads.serializers.ThreadUpdateSerializer"
    any_of = [{"required": ["title"]}, {"required": ["status"]}, {"required": ["custom"]}]


class MessageContentSchema(_AnyOfSerializerExtension):
    """A message in an ai-sdk/* format (the default) has `content.parts`."""

    target_class = "threads.serializers.MessageContentSerializer"
    match_subclasses = True  # MessageWriteSerializer
    any_of = [
        {"properties": {"content": {"required": ["parts"]}}},
        {"properties": {"format": {"not": {"pattern": "^ai-sdk/"}}}, "required": ["format"]},
    ]


class ClerkAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ClerkAuthentication"
    name = ["ClerkBearer", "ClerkSessionCookie"]

    def get_security_requirement(self, auto_schema):
        # Either one authenticates: two alternatives, not one requirement object (which would mean both at once).
        return [{name: []} for name in self.name]

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "A Clerk session token (from `getToken()` in ClerkJS).",
            },
            {"type": "apiKey", "in": "cookie", "name": "__session", "description": "Clerk's session cookie."},
        ]


# --- Errors ----------------------------------------------------------------------------------------------------

CLERK_SECURITY = [{"ClerkBearer": []}, {"ClerkSessionCookie": []}]
UNSAFE_METHODS = {"post", "put", "patch", "delete"}

ERROR_SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "description": "An error, in Django REST framework's shape.",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    "ValidationError": {
        "type": "object",
        "description": (
            "Per-field messages: each key is a field of the request (`non_field_errors` for the body as a whole)."
        ),
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
        "minProperties": 1,
    },
}


def _error(ref: str = "Error") -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _string_header(description: str, *, required: bool = True) -> dict[str, Any]:
    return {"schema": {"type": "string"}, "required": required, "description": description}


BAD_REQUEST = {
    "description": "Invalid input: per-field messages, or a `detail` (e.g. a body that is not JSON).",
    "content": {
        "application/json": {
            "schema": {
                "anyOf": [
                    {"$ref": "#/components/schemas/ValidationError"},
                    {"$ref": "#/components/schemas/Error"},
                ]
            }
        }
    },
}
UNAUTHORIZED = {
    "description": "No session token, or one that is invalid or expired.",
    "headers": {"WWW-Authenticate": _string_header('`Bearer realm="api"`.')},
    "content": _error(),
}
FORBIDDEN = {
    "description": "A cookie-authenticated write from an `Origin` that is not an authorized party.",
    "content": _error(),
}
NOT_FOUND = {"description": "No such thread in the caller's workspace (another tenant's is not found either).",
             "content": _error()}
TOO_LARGE = {"description": "The request body is larger than the server accepts.", "content": _error()}
THROTTLED = {
    "description": "Over the caller's model allowance (requests a minute, or tokens a day).",
    "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}, "required": True,
                                "description": "Seconds to wait."}},
    "content": _error(),
}
UNAVAILABLE = {
    "description": "Clerk's signing keys could not be fetched to verify the session token; try again shortly.",
    "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}, "required": False}},
    "content": _error(),
}


def _standard_errors(method: str, operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The error answers an operation can give, from what it takes: a body, parameters, a session."""
    errors: dict[str, dict[str, Any]] = {}
    parameters = operation.get("parameters", [])
    if "requestBody" in operation or any(p.get("in") == "query" for p in parameters):
        errors["400"] = BAD_REQUEST
    if operation.get("security"):
        errors["401"] = UNAUTHORIZED
        if method in UNSAFE_METHODS:
            errors["403"] = FORBIDDEN
        errors["503"] = UNAVAILABLE
    if any(p.get("in") == "path" for p in parameters):
        errors["404"] = NOT_FOUND
    if "requestBody" in operation:
        errors["413"] = TOO_LARGE
    return errors


STANDARD_ERRORS = {"400": BAD_REQUEST, "401": UNAUTHORIZED, "403": FORBIDDEN, "404": NOT_FOUND,
                   "413": TOO_LARGE, "429": THROTTLED, "503": UNAVAILABLE}


def _add_errors(method: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    for status, response in _standard_errors(method, operation).items():
        responses.setdefault(status, response)
    for status, documented in list(responses.items()):
        if status[0] in "45" and "content" not in documented:
            # Described by the view (why a 404 or 400 happens) but without a body: the body is the standard one.
            standard = STANDARD_ERRORS.get(status, {"content": _error()})
            responses[status] = {**standard, **{k: v for k, v in documented.items() if v}}


# --- Plain Django views ----------------------------------------------------------------------------------------

def _chat_schemas() -> dict[str, dict[str, Any]]:
    """The body of POST /api/chat (chat.requests.parse_chat_request), with the limits this server applies."""
    number = {"type": "number", "nullable": True}
    return {
        "ChatRequest": {
            "type": "object",
            "description": (
                "What the AI SDK's DefaultChatTransport (and assistant-ui) send. The last message must be the "
                f"user's, and the messages may carry at most {settings.CHAT_MAX_TEXT_CHARS} characters of text."
            ),
            "properties": {
                "id": {"type": "string", "minLength": 1, "maxLength": 200,
                       "description": "The chat (thread) id: the thread is created on first use."},
                "messages": {"type": "array", "minItems": 1, "maxItems": settings.CHAT_MAX_MESSAGES,
                             "items": {"$ref": "#/components/schemas/UIMessage"}},
                "trigger": {"type": "string", "enum": ["submit-message", "regenerate-message"],
                            "default": "submit-message"},
                "system": {"type": "string", "nullable": True, "maxLength": settings.CHAT_MAX_SYSTEM_CHARS},
                "config": {
                    "type": "object",
                    "nullable": True,
                    "description": "Only `modelName` is read, and only models in OPENAI_MODEL_ALLOWLIST are used.",
                    "properties": {"modelName": {}},
                },
                "callSettings": {
                    "type": "object",
                    "nullable": True,
                    "properties": {
                        "temperature": {**number, "minimum": 0, "maximum": 2},
                        "topP": {**number, "minimum": 0, "maximum": 1},
                        "presencePenalty": {**number, "minimum": -2, "maximum": 2},
                        "frequencyPenalty": {**number, "minimum": -2, "maximum": 2},
                        "maxTokens": {"type": "integer", "nullable": True, "minimum": 1,
                                      "maximum": settings.CHAT_MAX_OUTPUT_TOKENS},
                        "seed": {"type": "integer", "nullable": True},
                    },
                },
            },
            "required": ["id", "messages"],
        },
        "UIMessage": {
            "type": "object",
            "description": "An AI SDK UIMessage.",
            "properties": {
                "id": {"type": "string", "minLength": 1, "maxLength": 200},
                "role": {"type": "string", "enum": ["system", "user", "assistant"]},
                "parts": {"type": "array", "maxItems": settings.CHAT_MAX_PARTS,
                          "items": {"$ref": "#/components/schemas/UIMessagePart"}},
                "metadata": {"type": "object", "nullable": True},
            },
            "required": ["id", "role", "parts"],
        },
        "UIMessagePart": {
            "description": "A part of a UIMessage: text and reasoning carry `text`, files a `mediaType` and `url`; "
                           "other types (step-start, tool-*, data-*, source-*) are kept and not sent to the model.",
            "anyOf": [
                {
                    "type": "object",
                    "properties": {"type": {"type": "string", "enum": ["text", "reasoning"]},
                                   "text": {"type": "string"}},
                    "required": ["type", "text"],
                },
                {
                    "type": "object",
                    "properties": {"type": {"type": "string", "enum": ["file"]},
                                   "mediaType": {"type": "string", "minLength": 1, "maxLength": 200},
                                   "url": {"type": "string", "minLength": 1}},
                    "required": ["type", "mediaType", "url"],
                },
                {
                    "type": "object",
                    "properties": {"type": {"type": "string", "not": {"enum": ["text", "reasoning", "file"]}}},
                    "required": ["type"],
                },
            ],
        },
        "UIMessageStreamEvent": {
            "type": "object",
            "description": "One Server-Sent Event of the AI SDK UI message stream (protocol v1): `data` is a JSON "
                           "chunk (start, text-delta, finish, error, …), and the last event's is `[DONE]`.",
            "properties": {"data": {"type": "string", "pattern": r"^(\[DONE\]|\{.*\})$"}},
            "required": ["data"],
        },
        "WebhookResult": {
            "type": "object",
            "properties": {"status": {"type": "string", "enum": ["processed", "ignored", "duplicate"]}},
            "required": ["status"],
        },
    }


def _chat_operation() -> dict[str, Any]:
    return {
        "operationId": "chat_create",
        "summary": "Stream the model's answer as the AI SDK UI message stream",
        "description": (
            "The caller's thread `id` is created on first use; the user's message and the answer are stored in it. "
            "Signed-out requests are refused before anything is parsed or reaches the model."
        ),
        "tags": ["chat"],
        "security": CLERK_SECURITY,
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ChatRequest"}}},
        },
        "responses": {
            "200": {
                "description": "The answer, streamed as Server-Sent Events (`data: [DONE]` at the end).",
                "headers": {"X-Vercel-AI-UI-Message-Stream": {"schema": {"type": "string", "enum": ["v1"]},
                                                              "required": True}},
                "content": {"text/event-stream": {
                    "schema": {"$ref": "#/components/schemas/UIMessageStreamEvent"}}},
            },
            "400": BAD_REQUEST,
            "413": TOO_LARGE,
            "429": THROTTLED,
            "503": {
                "description": "No model provider is configured, or Clerk's signing keys could not be fetched.",
                "headers": UNAVAILABLE["headers"],
                "content": _error(),
            },
        },
    }


def _webhook_operation() -> dict[str, Any]:
    svix_headers = [
        {"in": "header", "name": name, "required": True, "schema": {"type": "string"}, "description": description}
        for name, description in (
            ("svix-id", "The delivery's id: a redelivered id is processed once."),
            ("svix-timestamp", "Seconds since the epoch; more than 5 minutes off is refused."),
            ("svix-signature", "`v1,<base64 HMAC>` (several, space-separated, while the secret is rotated)."),
        )
    ]
    return {
        "operationId": "webhooks_clerk_create",
        "summary": "Receive a Clerk event (delivered and signed by Svix)",
        "description": (
            "Authenticated by its Svix signature over the raw body, made with CLERK_WEBHOOK_SECRET. A 500 means "
            "processing failed and nothing changed: Svix delivers the event again."
        ),
        "tags": ["webhooks"],
        "security": [],
        "parameters": svix_headers,
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {
                "type": "object",
                "description": "A Clerk event: user.*, organization.deleted, organizationMembership.deleted "
                               "are acted on; others are recorded and ignored.",
                "properties": {"type": {"type": "string", "minLength": 1, "maxLength": 100},
                               "data": {"type": "object"}},
                "required": ["type", "data"],
            }}},
        },
        "responses": {
            "200": {"description": "Processed, ignored (an event type this site does not use), or a duplicate.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WebhookResult"}}}},
            "400": {"description": "A missing, forged or stale signature, or a body that is not a Clerk event.",
                    "content": _error()},
            "413": TOO_LARGE,
            "500": {"description": "Processing failed; Svix retries.", "content": _error()},
            "503": {"description": "CLERK_WEBHOOK_SECRET is not configured.", "content": _error(),
                    "headers": UNAVAILABLE["headers"]},
        },
    }


def postprocess_schema(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """POSTPROCESSING_HOOK: document the plain views and every operation's error answers."""
    info = result.setdefault("info", {})
    info["description"] = (
        f"{info.get('description', '')}\n\nRequest bodies are JSON, whatever their Content-Type. Besides what each "
        "schema says, a body is refused (400) when a string or key in it holds a NUL character (`\\u0000`) or an "
        "unpaired surrogate escape, when a number is NaN, Infinity or too large for a double, or when it nests "
        f"deeper than {MAX_JSON_DEPTH} levels."
    ).strip()
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(ERROR_SCHEMAS)
    schemas.update(_chat_schemas())
    paths = result.setdefault("paths", {})
    paths["/api/chat"] = {"post": _chat_operation()}
    paths["/api/webhooks/clerk"] = {"post": _webhook_operation()}
    for item in paths.values():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                _add_errors(method, operation)
    result["paths"] = dict(sorted(paths.items()))
    return result
