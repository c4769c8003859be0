"""System checks for the Clerk webhook settings."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register

from .handlers import MEMBERSHIP_DELETED_ACTIONS
from .signatures import webhook_verifier


@register(Tags.security)
def check_webhook_configuration(app_configs=None, **kwargs) -> list[Error]:
    errors: list[Error] = []
    if settings.CLERK_WEBHOOK_SECRET and webhook_verifier() is None:
        errors.append(
            Error(
                "CLERK_WEBHOOK_SECRET is not a Svix signing secret.",
                hint="Copy the endpoint's Signing Secret (whsec_...) from the Clerk dashboard, Webhooks page.",
                id="webhooks.E001",
            )
        )
    if settings.CLERK_MEMBERSHIP_DELETED_ACTION not in MEMBERSHIP_DELETED_ACTIONS:
        errors.append(
            Error(
                f"CLERK_MEMBERSHIP_DELETED_ACTION is {settings.CLERK_MEMBERSHIP_DELETED_ACTION!r}.",
                hint=f"Use one of: {', '.join(MEMBERSHIP_DELETED_ACTIONS)}.",
                id="webhooks.E002",
            )
        )
    return errors
