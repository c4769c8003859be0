"""JSON errors in Django REST framework's shape, built in one place for DRF and plain Django views alike."""

from __future__ import annotations

import logging
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status

logger = logging.getLogger(__name__)


def json_error(detail: str, status_code: int, *, headers: dict[str, str] | None = None) -> JsonResponse:
    """A `{"detail": ...}` response with the given status, like DRF's own errors."""
    return JsonResponse({"detail": detail}, status=status_code, headers=headers)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is too large."
    default_code = "payload_too_large"


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Service temporarily unavailable, try again later."
    default_code = "service_unavailable"


DATABASE_UNAVAILABLE = "The database is unavailable; try again shortly."


def database_unavailable() -> JsonResponse:
    """503 for a request that needed the database while it was unreachable (never a 500 storm)."""
    return json_error(DATABASE_UNAVAILABLE, 503, headers={"Retry-After": "5"})


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> HttpResponse | None:
    """DRF's handler, with one wording for every 404 (a missing row and another tenant's row look alike) and
    503 when the database cannot be reached."""
    # Imported here: rest_framework.views loads the authentication classes, which import this module.
    from rest_framework.views import exception_handler

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, OperationalError | InterfaceError):
        logger.warning("Database unavailable: %s", type(exc).__name__)
        return database_unavailable()
    return exception_handler(exc, context)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: JSON under /api/, Django's page elsewhere."""
    if _wants_json(request):
        return json_error("Not found.", 404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: JSON under /api/, Django's page elsewhere. Never any detail about the failure."""
    if _wants_json(request):
        return json_error("Internal server error.", 500)
    return defaults.server_error(request)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400 (e.g. a disallowed Host or an oversized form): JSON under /api/."""
    if _wants_json(request):
        return json_error("Bad request.", 400)
    return defaults.bad_request(request, exception)
