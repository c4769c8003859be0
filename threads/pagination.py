from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param


class KeysetPagination(BasePagination):
    """Keyset pagination on (updated_at, id), newest first, for a queryset ordered that way.

    The body stays a plain JSON array (what assistant-ui's documented adapter reads); the next page's URL is in
    `Link: <...>; rel="next"`. The opaque cursor names the last row seen, so rows inserted meanwhile never shift
    a later page.
    """

    default_limit = 50
    max_limit = 200

    def paginate_queryset(self, queryset: QuerySet, request: Request, view: Any = None) -> list:
        self.request = request
        self.limit = self._limit(request)
        after = self._cursor(request)
        if after is not None:
            queryset = self.after(queryset, *after)
        rows = list(queryset[: self.limit + 1])
        self.last = rows[self.limit - 1] if len(rows) > self.limit else None
        return rows[: self.limit]

    @staticmethod
    def after(queryset: QuerySet, updated_at: datetime, pk: str) -> QuerySet:
        """The rows after (updated_at, pk) in newest-first order."""
        # The redundant `updated_at <= cursor` bounds the index scan, so a deep page starts at the cursor
        # instead of reading (and discarding) every newer row, as the OR alone would have PostgreSQL do.
        return queryset.filter(
            Q(updated_at__lte=updated_at), Q(updated_at__lt=updated_at) | Q(updated_at=updated_at, pk__lt=pk)
        )

    def get_paginated_response(self, data: Any) -> Response:
        headers = {}
        if self.last is not None:
            cursor = self.encode_cursor(self.last.updated_at, self.last.pk)
            url = replace_query_param(self.request.build_absolute_uri(), "cursor", cursor)
            headers["Link"] = f'<{url}>; rel="next"'
        return Response(data, headers=headers)

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return schema

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        return [
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": f"Page size (default {self.default_limit}, at most {self.max_limit}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_limit},
            },
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": 'Opaque; take it from the `Link: <...>; rel="next"` header of the previous page.',
                "schema": {"type": "string"},
            },
        ]

    @staticmethod
    def encode_cursor(updated_at: datetime, pk: str) -> str:
        raw = json.dumps([updated_at.isoformat(), pk], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def decode_cursor(cursor: str) -> tuple[datetime, str]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            stamp, pk = json.loads(raw)
            updated_at = datetime.fromisoformat(stamp)
        except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
            raise ValidationError({"cursor": ["Invalid cursor."]}) from None
        if not isinstance(pk, str) or "\x00" in pk or updated_at.tzinfo is None:
            raise ValidationError({"cursor": ["Invalid cursor."]})
        return updated_at, pk

    def _cursor(self, request: Request) -> tuple[datetime, str] | None:
        cursor = request.query_params.get("cursor")
        return self.decode_cursor(cursor) if cursor else None

    def _limit(self, request: Request) -> int:
        value = request.query_params.get("limit")
        if value is None:
            return self.default_limit
        try:
            limit = int(value)
        except ValueError:
            raise ValidationError({"limit": ["A valid integer is required."]}) from None
        if not 1 <= limit <= self.max_limit:
            raise ValidationError({"limit": [f"Must be between 1 and {self.max_limit}."]})
        return limit
