"""Content-Security-Policy for every page: exactly what the chat page, the admin and ClerkJS need."""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from .middleware import DualModeMixin


def clerk_frontend_api(publishable_key: str | None) -> str | None:
    """The Frontend API host encoded in a Clerk publishable key (pk_test_<base64 of "host$">)."""
    if not publishable_key or not publishable_key.startswith(("pk_test_", "pk_live_")):
        return None
    encoded = publishable_key.split("_", 2)[2]
    try:
        decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    host = decoded.rstrip("$")
    return host if host and "/" not in host and " " not in host else None


@functools.cache
def content_security_policy() -> str:
    """No inline scripts anywhere; with Clerk configured, its Frontend API, images, bot check and styles."""
    script = ["'self'"]
    style = ["'self'"]
    connect = ["'self'"]
    img = ["'self'", "data:"]
    frame = ["'none'"]
    worker = ["'self'"]
    fapi = clerk_frontend_api(settings.CLERK_PUBLISHABLE_KEY)
    if fapi:
        script += [f"https://{fapi}", "https://challenges.cloudflare.com"]
        style += ["'unsafe-inline'"]  # Clerk's components inject their styles at run time
        connect += [f"https://{fapi}"]
        img += ["https://img.clerk.com"]
        frame = ["https://challenges.cloudflare.com"]
        worker += ["blob:"]
    directives = {
        "default-src": ["'self'"],
        "script-src": script,
        "style-src": style,
        "img-src": img,
        "connect-src": connect,
        "font-src": ["'self'"],
        "frame-src": frame,
        "worker-src": worker,
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


@receiver(setting_changed)
def _reset_policy(setting: str, **kwargs) -> None:
    if setting == "CLERK_PUBLISHABLE_KEY":
        content_security_policy.cache_clear()


PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=()"


class SecurityHeadersMiddleware(DualModeMixin):
    """Adds Content-Security-Policy and Permissions-Policy to responses that don't set their own."""

    def __init__(self, get_response: Callable) -> None:
        self.bind(get_response)

    def call(self, request: HttpRequest) -> HttpResponse:
        return self._add_headers(self.get_response(request))

    async def acall(self, request: HttpRequest) -> HttpResponse:
        return self._add_headers(await self.get_response(request))

    @staticmethod
    def _add_headers(response: HttpResponse) -> HttpResponse:
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
