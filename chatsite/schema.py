"""OpenAPI generation (drf-spectacular) that describes the API as clients should call it."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema


class JSONAutoSchema(AutoSchema):
    """Request bodies are documented as application/json.

    The parser accepts JSON under any Content-Type (for assistant-ui's documented adapter), which would
    otherwise be documented as `*/*`.
    """

    def map_parsers(self) -> list[str]:
        return ["application/json"]


class ClerkAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ClerkAuthentication"
    name = ["ClerkBearer", "ClerkSessionCookie"]

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
