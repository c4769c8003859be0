"""Project-wide system checks, and the guard that runs every check when a production server starts."""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.core.checks.security import base, csrf
from django.core.management.base import SystemCheckError
from django.test.utils import override_settings
from django.utils.module_loading import import_string

# Django's deployment checks that look for its middleware by dotted path (base._security_middleware() and kin).
MIDDLEWARE_DEPENDENT_CHECKS = (
    base.check_security_middleware,
    base.check_xframe_options_middleware,
    base.check_sts,
    base.check_sts_include_subdomains,
    base.check_sts_preload,
    base.check_content_type_nosniff,
    base.check_ssl_redirect,
    base.check_xframe_deny,
    base.check_referrer_policy,
    base.check_cross_origin_opener_policy,
    csrf.check_csrf_middleware,
    csrf.check_csrf_cookie_secure,
)


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


def _django_name(path: str) -> str:
    """The dotted path of the Django middleware that `path` subclasses (or `path` itself)."""
    for cls in import_string(path).__mro__:
        if cls.__module__.startswith("django."):
            return f"{cls.__module__}.{cls.__qualname__}"
    return path


@checks.register(checks.Tags.security, deploy=True)
def check_deployment_with_django_middleware_names(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Django's middleware-dependent deployment checks, run as if our subclasses (chatsite.middleware) had
    Django's dotted paths.

    Django finds its middleware by path, so with subclasses it would warn that they are missing (silenced in
    settings: security.W001–W003) and skip the HSTS, SSL-redirect, nosniff, X-Frame-Options and CSRF-cookie
    checks altogether. Their findings come back here with a `chatsite.` prefix on Django's id.
    """
    names = [_django_name(path) for path in settings.MIDDLEWARE]
    if names == list(settings.MIDDLEWARE):
        return []
    with override_settings(MIDDLEWARE=names):
        found = [message for check in MIDDLEWARE_DEPENDENT_CHECKS for message in check(app_configs)]
    return [
        type(message)(message.msg, hint=message.hint, obj=message.obj, id=f"chatsite.{message.id}")
        for message in found
    ]


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
