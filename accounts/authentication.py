"""Django REST framework authentication by the Clerk identity the middleware verified."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from .middleware import get_clerk_user


def failure_detail(request: HttpRequest) -> str:
    """The 401 message for a request without a Clerk identity: why its token was refused, if it had one."""
    failure = getattr(request, "clerk_failure", None)
    if failure:
        return f"Invalid session token ({failure})."
    return "Authentication credentials were not provided."


class ClerkAuthentication(BaseAuthentication):
    """Returns (user, identity): `request.auth` is the ClerkIdentity; `request.user` is resolved lazily.

    Because `authenticate_header` is defined, DRF answers requests without credentials with 401 and
    `WWW-Authenticate: Bearer`, never 403.
    """

    www_authenticate_realm = "api"

    def authenticate(self, request: Request):
        django_request = request._request
        if not hasattr(django_request, "clerk"):
            raise ImproperlyConfigured("ClerkAuthentication needs accounts.middleware.ClerkAuthenticationMiddleware")
        identity = django_request.clerk
        if identity is None:
            if django_request.clerk_failure:
                raise AuthenticationFailed(failure_detail(django_request))
            return None
        return SimpleLazyObject(lambda: get_clerk_user(django_request)), identity

    def authenticate_header(self, request: Request) -> str:
        return f'Bearer realm="{self.www_authenticate_realm}"'
