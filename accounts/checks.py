"""System checks that refuse unsafe Clerk configurations (also run when the ASGI/WSGI app starts)."""

from __future__ import annotations

from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from django.conf import settings
from django.core.checks import Error, Tags, register

from .devsignin import dev_signin_enabled


@register(Tags.security)
def check_clerk_configuration(app_configs=None, **kwargs) -> list[Error]:
    errors: list[Error] = []
    if settings.CLERK_DEV_SIGNIN and not settings.DEBUG:
        errors.append(
            Error(
                "Development sign-in is on while DEBUG is off.",
                hint="Unset CLERK_DEV_SIGNIN; configure CLERK_JWT_KEY or CLERK_SECRET_KEY for a real Clerk instance.",
                id="accounts.E002",
            )
        )
    if not dev_signin_enabled() and not (settings.CLERK_JWT_KEY or settings.CLERK_SECRET_KEY):
        errors.append(
            Error(
                "Neither CLERK_JWT_KEY nor CLERK_SECRET_KEY is set, so no Clerk session can be verified.",
                hint="Copy the JWT public key (or the secret key) from the Clerk dashboard, API keys page.",
                id="accounts.E003",
            )
        )
    if not settings.DEBUG and not settings.CLERK_AUTHORIZED_PARTIES:
        errors.append(
            Error(
                "CLERK_AUTHORIZED_PARTIES is empty while DEBUG is off.",
                hint="List the origins your front end is served from, e.g. https://chat.example.com.",
                id="accounts.E004",
            )
        )
    for party in settings.CLERK_AUTHORIZED_PARTIES:
        parts = urlsplit(party)
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path or parts.query:
            errors.append(
                Error(
                    f"CLERK_AUTHORIZED_PARTIES holds {party!r}, which is not an origin.",
                    hint="Write origins as scheme://host[:port], without a path or trailing slash.",
                    id="accounts.E005",
                )
            )
    if settings.CLERK_JWT_KEY:
        try:
            key = serialization.load_pem_public_key(settings.CLERK_JWT_KEY.encode())
        except ValueError:
            key = None
        if not isinstance(key, RSAPublicKey):
            errors.append(
                Error(
                    "CLERK_JWT_KEY is not an RSA public key in PEM format.",
                    hint="Paste the 'JWT public key' (PEM) from the Clerk dashboard; literal \\n line breaks are fine.",
                    id="accounts.E006",
                )
            )
    return errors
