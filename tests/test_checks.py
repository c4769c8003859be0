"""System checks refuse unsafe configurations, and production servers refuse to start with them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.checks import check_clerk_configuration
from chatsite.checks import check_secret_key

ROOT = Path(__file__).resolve().parent.parent


def ids(messages) -> set[str]:
    return {message.id for message in messages}


def test_debug_off_without_secret_key_is_an_error(settings):
    settings.SECRET_KEY = settings.DEV_SECRET_KEY
    assert ids(check_secret_key()) == {"chatsite.E001"}


def test_debug_on_with_the_development_secret_key_is_fine(settings):
    settings.DEBUG = True
    settings.SECRET_KEY = settings.DEV_SECRET_KEY
    assert check_secret_key() == []


def test_debug_off_with_development_sign_in_is_an_error(settings):
    settings.CLERK_DEV_SIGNIN = True
    assert "accounts.E002" in ids(check_clerk_configuration())


def test_no_clerk_key_outside_development_is_an_error(settings):
    settings.CLERK_JWT_KEY = None
    settings.CLERK_SECRET_KEY = None
    assert ids(check_clerk_configuration()) == {"accounts.E003"}


def test_development_mode_needs_no_clerk_key(settings):
    settings.DEBUG = True
    settings.CLERK_DEV_SIGNIN = True
    settings.CLERK_JWT_KEY = None
    assert check_clerk_configuration() == []


def test_secret_key_alone_is_enough(settings):
    settings.CLERK_JWT_KEY = None
    settings.CLERK_SECRET_KEY = "sk_live_x"
    assert check_clerk_configuration() == []


def test_debug_off_without_authorized_parties_is_an_error(settings):
    settings.CLERK_AUTHORIZED_PARTIES = []
    assert ids(check_clerk_configuration()) == {"accounts.E004"}


def test_authorized_party_that_is_not_an_origin_is_an_error(settings):
    settings.CLERK_AUTHORIZED_PARTIES = ["https://app.example.com/"]
    assert ids(check_clerk_configuration()) == {"accounts.E005"}


def test_jwt_key_that_is_not_a_pem_public_key_is_an_error(settings):
    settings.CLERK_JWT_KEY = "not a key"
    assert ids(check_clerk_configuration()) == {"accounts.E006"}


def test_configured_test_settings_pass_every_check():
    assert check_clerk_configuration() == []
    assert check_secret_key() == []


def _start(module: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CLERK_"))}
    return subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "chatsite.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("module", ["chatsite.asgi", "chatsite.wsgi"])
def test_production_server_refuses_to_start_with_an_unsafe_configuration(module):
    result = _start(module, DJANGO_DEBUG="0")
    assert result.returncode != 0
    for check_id in ("chatsite.E001", "accounts.E003", "accounts.E004"):
        assert check_id in result.stderr


def test_production_server_starts_with_a_safe_configuration(signing_key):
    result = _start(
        "chatsite.asgi",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="x" * 50,
        CLERK_JWT_KEY=signing_key.public_pem.replace("\n", "\\n"),
        CLERK_AUTHORIZED_PARTIES="https://chat.example.com",
    )
    assert result.returncode == 0, result.stderr


def test_production_server_refuses_development_sign_in():
    result = _start("chatsite.wsgi", DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x" * 50, CLERK_DEV_SIGNIN="1",
                    CLERK_AUTHORIZED_PARTIES="https://chat.example.com")
    assert result.returncode != 0
    assert "accounts.E002" in result.stderr


def test_deployment_checks_see_through_our_middleware_subclasses(settings):
    from chatsite.checks import check_deployment_with_django_middleware_names

    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.CSRF_COOKIE_SECURE = True
    assert check_deployment_with_django_middleware_names() == []


def test_deployment_checks_report_what_djangos_would(settings):
    from chatsite.checks import check_deployment_with_django_middleware_names

    settings.SECURE_HSTS_SECONDS = 0
    settings.SECURE_SSL_REDIRECT = False
    found = ids(check_deployment_with_django_middleware_names())
    assert {"chatsite.security.W004", "chatsite.security.W008"} <= found
    assert "chatsite.security.W001" not in found


def test_deployment_checks_notice_a_missing_security_middleware(settings):
    from chatsite.checks import check_deployment_with_django_middleware_names

    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith(".SecurityMiddleware")]
    assert "chatsite.security.W001" in ids(check_deployment_with_django_middleware_names())
