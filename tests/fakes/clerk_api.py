"""A fake of Clerk's Backend API users endpoint (GET /v1/users/{id}) on 127.0.0.1, and Clerk-shaped user objects.

The user objects are what Clerk sends: in the API's answers and as the `data` of user.created / user.updated
webhooks. clerk-backend-api validates them against its models, so they carry every required field.
"""

from __future__ import annotations

import re
from typing import Any

from .json_api import FakeJSONAPI

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


class FakeClerkAPI(FakeJSONAPI):
    """Serves `users` by id; `status` other than 200 answers that status for every request (`hang_seconds`
    delays every answer). Records each request's path and Authorization header."""

    def __init__(self) -> None:
        super().__init__()
        self.users: dict[str, dict[str, Any]] = {}
        self.status = 200

    def respond(self, path: str) -> tuple[int, Any]:
        if self.status != 200:
            return self.status, _errors("internal_error", "Something went wrong.")
        match = re.fullmatch(r"/v1/users/([^/?]+)", path)
        user = self.users.get(match.group(1)) if match else None
        if user is None:
            return 404, _errors("resource_not_found", "Resource not found.")
        return 200, user


def _errors(code: str, message: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "long_message": message, "code": code}], "clerk_trace_id": "trace_test"}
