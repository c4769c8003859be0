"""Request body parsing shared by the JSON APIs."""

from __future__ import annotations

import json
import math
import re
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


# A \uD800-\uDFFF escape: only a pair of them makes a character.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


MAX_JSON_DEPTH = 100


def _too_deep(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays and objects nest deeper than `limit` (walked without recursion)."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _has_nul(value: Any) -> bool:
    """Whether a string or key anywhere in `value` holds a NUL character (walked without recursion)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text[:20]}")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json_body(data: bytes) -> Any:
    """Decode a JSON body; an empty body is an empty object.

    Stricter than Python's json module, like DRF's own parser: NaN and Infinity are not JSON, numbers too
    large for a float are refused rather than read as infinity, and an unpaired surrogate escape
    ("\\ud800") is refused, because no response could render such a string and no database store it. So
    is a NUL character ("\\u0000") in any string or key, which PostgreSQL cannot store (SQLite could; the API
    answers the same on both), and nesting deeper than MAX_JSON_DEPTH, which would exhaust the stack.
    """
    if not data.strip():
        return {}
    try:
        text = data.decode("utf-8")
        value = json.loads(text, parse_float=_finite_float, parse_constant=_no_constant)
    except UnicodeDecodeError as exc:
        raise ParseError("Request body is not valid UTF-8.") from exc
    except ValueError as exc:
        raise ParseError(f"JSON parse error - {exc}") from exc
    except RecursionError:
        raise ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels") from None
    if _too_deep(value):
        raise ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels")
    # Inside a JSON string a NUL can only be written as an escape (json.loads refuses raw control characters).
    if "\\u0000" in text and _has_nul(value):
        raise ParseError("JSON parse error - a string contains a NUL character (\\u0000)")
    if _SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ParseError("JSON parse error - unpaired surrogate escape in a string") from None
    return value


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
