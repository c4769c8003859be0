"""Request body parsing shared by the JSON APIs."""

from __future__ import annotations

import json
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from .errors import PayloadTooLarge


def read_limited_body(stream: IO[bytes], content_length: str | None, limit: int) -> bytes:
    """Read at most `limit` bytes, refusing larger bodies before reading them when the length is announced.

    Django's DATA_UPLOAD_MAX_MEMORY_SIZE only guards `request.body`; a parser reading the stream would bypass it.
    """
    try:
        announced = int(content_length or 0)
    except ValueError:
        announced = 0
    if announced > limit:
        raise PayloadTooLarge(f"Request body is larger than {limit} bytes.")
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"Request body is larger than {limit} bytes.")
    return data


def parse_json_body(data: bytes) -> Any:
    """Decode a JSON body; an empty body is an empty object."""
    if not data.strip():
        return {}
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ParseError("Request body is not valid UTF-8.") from exc
    except ValueError as exc:
        raise ParseError(f"JSON parse error - {exc}") from exc


class LenientJSONParser(BaseParser):
    """JSON, whatever the Content-Type says.

    assistant-ui's documented adapter sends JSON strings without a Content-Type, which browsers label
    text/plain. A view may lower or raise the size limit with a `max_body_bytes` attribute.
    """

    media_type = "*/*"

    def parse(self, stream: IO[bytes] | None, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        context = parser_context or {}
        view = context.get("view")
        limit = getattr(view, "max_body_bytes", None) or settings.API_MAX_BODY_BYTES
        request = context.get("request")
        content_length = request.META.get("CONTENT_LENGTH") if request is not None else None
        if stream is None:
            return {}
        return parse_json_body(read_limited_body(stream, content_length, limit))
