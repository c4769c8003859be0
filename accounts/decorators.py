from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponse

from chatsite.errors import json_error

from .authentication import failure_detail


def unauthorized(request: HttpRequest) -> HttpResponse:
    """The 401 JSON answer for a request without a Clerk identity, in the same words as the API's."""
    return json_error(failure_detail(request), 401, headers={"WWW-Authenticate": 'Bearer realm="api"'})


def clerk_login_required(view: Callable) -> Callable:
    """For plain Django views (sync or async): answer 401 JSON unless the request has a Clerk identity."""
    if iscoroutinefunction(view):

        @wraps(view)
        async def async_wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if getattr(request, "clerk", None) is None:
                return unauthorized(request)
            return await view(request, *args, **kwargs)

        return async_wrapper

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if getattr(request, "clerk", None) is None:
            return unauthorized(request)
        return view(request, *args, **kwargs)

    return wrapper
