"""Project-wide system checks, and the guard that runs every check when a production server starts."""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.core.management.base import SystemCheckError


@checks.register(checks.Tags.security)
def check_secret_key(app_configs=None, **kwargs) -> list[checks.Error]:
    if not settings.DEBUG and settings.SECRET_KEY == settings.DEV_SECRET_KEY:
        return [
            checks.Error(
                "DJANGO_SECRET_KEY is not set while DEBUG is off.",
                hint='Generate one: python -c "import secrets; print(secrets.token_urlsafe(50))"',
                id="chatsite.E001",
            )
        ]
    return []


def run_startup_checks() -> None:
    """Raise SystemCheckError on any serious check failure.

    `runserver` and `migrate` run the checks themselves; uvicorn and gunicorn do not, so chatsite.asgi and
    chatsite.wsgi call this to refuse to start with an unsafe configuration.
    """
    failures = [
        message
        for message in checks.run_checks()
        if message.is_serious() and message.id not in settings.SILENCED_SYSTEM_CHECKS
    ]
    if failures:
        raise SystemCheckError("\n".join(f"{message.id}: {message.msg} {message.hint or ''}" for message in failures))
