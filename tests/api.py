"""A small JSON client for the API, signed in as one Clerk identity."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from .clerk import TokenFactory


class ApiClient:
    """Sends JSON with `Authorization: Bearer` for one user (and optionally an active organization)."""

    def __init__(self, tokens: TokenFactory, user_id: str, org: tuple[str, str, str] | None = None) -> None:
        self.user_id = user_id
        self.org_id = org[0] if org else None
        self._client = Client()
        self._headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens.token(user_id=user_id, org=org, lifetime=3600)}"}

    def request(self, method: str, path: str, body: Any = None, *, raw: bytes | str | None = None,
                content_type: str = "application/json", **extra: Any):
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        return getattr(self._client, method.lower())(path, data=data, content_type=content_type,
                                                     **self._headers, **extra)

    def get(self, path: str, **extra: Any):
        return self._client.get(path, **self._headers, **extra)

    def post(self, path: str, body: Any = None, **kwargs: Any):
        return self.request("post", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any):
        return self.request("patch", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any):
        return self.request("delete", path, **kwargs)

    def new_thread(self, **fields: Any) -> dict:
        response = self.post("/api/threads", fields)
        assert response.status_code in (200, 201), response.content
        return response.json()


def user_message(message_id: str, text: str, parent_id: str | None = None) -> dict:
    return {
        "id": message_id,
        "parent_id": parent_id,
        "format": "ai-sdk/v6",
        "content": {"role": "user", "parts": [{"type": "text", "text": text}], "metadata": {}},
    }


def assistant_message(message_id: str, text: str, parent_id: str | None) -> dict:
    return {
        "id": message_id,
        "parent_id": parent_id,
        "format": "ai-sdk/v6",
        "content": {"role": "assistant", "parts": [{"type": "text", "text": text}]},
    }
