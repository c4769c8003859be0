"""A fake of Clerk's Backend API JWKS endpoint (GET /v1/jwks) on 127.0.0.1, counting the fetches it serves."""

from __future__ import annotations

from typing import Any

from .json_api import FakeJSONAPI


class FakeJWKS(FakeJSONAPI):
    """Serves `keys` (JWK dicts); `mode` is "ok" or "error" (500); `hang_seconds` delays every answer."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[dict] = []
        self.mode = "ok"

    @property
    def fetches(self) -> int:
        return len(self.requests)

    @property
    def authorizations(self) -> list[str]:
        return [authorization for _, authorization in self.requests]

    def respond(self, path: str) -> tuple[int, Any]:
        if path != "/v1/jwks":
            return 404, {"errors": [{"code": "not_found"}]}
        if self.mode == "error":
            return 500, {"errors": [{"code": "internal_error"}]}
        return 200, {"keys": self.keys}
