"""Svix signatures on Clerk's deliveries: the only proof that a webhook comes from Clerk."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

from django.conf import settings
from svix.webhooks import Webhook, WebhookVerificationError

SECRET_PREFIX = "whsec_"


class InvalidSignature(Exception):
    """Not signed with the configured secret: headers missing, signature wrong, or timestamp over 5 minutes off."""


def webhook_verifier() -> Webhook | None:
    """svix's verifier for CLERK_WEBHOOK_SECRET; None when the secret is unset or not a Svix signing secret.

    svix itself accepts nearly any string as a secret; requiring Clerk's `whsec_<base64>` form catches a
    pasted wrong key (e.g. the `sk_...` secret key) at startup (webhooks.E001) instead of as 400s forever.
    """
    secret = settings.CLERK_WEBHOOK_SECRET
    if not secret or not secret.startswith(SECRET_PREFIX):
        return None
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error:
        return None
    return Webhook(secret) if key else None


def verify_delivery(verifier: Webhook, body: bytes, headers: Mapping[str, str]) -> None:
    """Check the Svix signature of the raw `body`; raises InvalidSignature.

    svix 2.x returns None on success (1.x returned the parsed body), so the caller parses the body itself.
    A signature header may hold several signatures ("v1,<old> v1,<new>" while Clerk rotates the secret):
    one match is enough.
    """
    wanted = {name: headers.get(name, "") for name in ("svix-id", "svix-timestamp", "svix-signature")}
    try:
        verifier.verify(body, wanted)
    except WebhookVerificationError as exc:
        raise InvalidSignature(str(exc)) from None
