"""A fake of Clerk's Backend API users endpoint (GET /v1/users/{id}) on 127.0.0.1, and Clerk-shaped user objects.

The user objects are what Clerk sends: in the API's answers and as the `data` of user.created / user.updated
webhooks. clerk-backend-api validates them against its models, so they carry every required field.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

NOW_MS = 1_733_300_000_000


def clerk_user(
    user_id: str,
    *,
    email: str | None = "ada@example.org",
    first_name: str | None = "Ada",
    last_name: str | None = "Lovelace",
    image_url: str = "https://img.clerk.com/ada.png",
    **overrides: Any,
) -> dict[str, Any]:
    """A user object as Clerk's Backend API returns it (and as webhooks carry it)."""
    addresses = []
    if email is not None:
        addresses.append({
            "id": f"idn_{user_id}", "object": "email_address", "email_address": email, "reserved": False,
            "verification": {"object": "verification_otp", "status": "verified", "strategy": "email_code",
                             "attempts": 1, "expire_at": NOW_MS},
            "linked_to": [], "created_at": NOW_MS, "updated_at": NOW_MS,
        })
    user = {
        "id": user_id, "object": "user", "external_id": None,
        "primary_email_address_id": f"idn_{user_id}" if email is not None else None,
        "primary_phone_number_id": None, "primary_web3_wallet_id": None, "username": None,
        "first_name": first_name, "last_name": last_name, "image_url": image_url, "has_image": True,
        "profile_image_url": image_url, "public_metadata": {}, "private_metadata": {}, "unsafe_metadata": {},
        "email_addresses": addresses, "phone_numbers": [], "web3_wallets": [], "passkeys": [],
        "password_enabled": True, "two_factor_enabled": False, "totp_enabled": False, "backup_code_enabled": False,
        "mfa_enabled_at": None, "mfa_disabled_at": None, "external_accounts": [], "saml_accounts": [],
        "enterprise_accounts": [], "last_sign_in_at": NOW_MS, "banned": False, "locked": False,
        "lockout_expires_in_seconds": None, "verification_attempts_remaining": 5, "updated_at": NOW_MS,
        "created_at": NOW_MS, "delete_self_enabled": True, "create_organization_enabled": True,
        "last_active_at": NOW_MS, "legal_accepted_at": None,
    }
    user.update(overrides)
    return user


class FakeClerkAPI:
    """Serves `users` by id; `status` other than 200 answers that status for every request ("hang" never answers
    before `hang_seconds`). Records each request's path and Authorization header."""

    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.status: int | str = 200
        self.hang_seconds = 30.0
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def api_url(self) -> str:
        """What CLERK_API_URL is set to (the SDK appends /v1)."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeClerkAPI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with fake._lock:
                    fake.requests.append((self.path, self.headers.get("Authorization", "")))
                if fake.status == "hang":
                    time.sleep(fake.hang_seconds)
                    return
                if fake.status != 200:
                    self._json(fake.status, _errors("internal_error", "Something went wrong."))
                    return
                match = re.fullmatch(r"/v1/users/([^/?]+)", self.path)
                user = fake.users.get(match.group(1)) if match else None
                if user is None:
                    self._json(404, _errors("resource_not_found", "Resource not found."))
                    return
                self._json(200, user)

            def _json(self, status: int, payload: Any) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def _errors(code: str, message: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "long_message": message, "code": code}], "clerk_trace_id": "trace_test"}
