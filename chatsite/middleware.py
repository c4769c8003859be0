"""Django's own middleware, run on the event loop under ASGI instead of in a thread per hook.

Under ASGI, Django's MiddlewareMixin calls every process_request / process_view / process_response through
`sync_to_async`, so a request through the seven standard middleware made about fourteen thread round trips
before the chat view even ran (measured: a third of the CPU of a chat request, and most of the added
latency at 50 concurrent streams). The hooks below do no I/O — except saving a modified session, which
still happens in a thread — so here they run inline. Under WSGI nothing changes.
"""

from __future__ import annotations

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.http import HttpRequest, HttpResponse
from django.middleware import clickjacking, common, csrf, security


class DualModeMixin:
    """For the project's own middleware, sync- and async-capable like Django's: under WSGI `__call__` runs
    `call(request)`, under ASGI it returns the coroutine `acall(request)` — never a thread hop."""

    sync_capable = True
    async_capable = True

    def bind(self, get_response) -> None:
        """Call from __init__: remember the next handler and take on its mode."""
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest):
        return self.acall(request) if self.is_async else self.call(request)


class InlineHooksMixin:
    """For a MiddlewareMixin subclass whose hooks never block: call them directly under ASGI."""

    def __init__(self, get_response) -> None:
        super().__init__(get_response)
        if self.async_mode and hasattr(self, "process_view"):
            # Django adapts process_view to the handler's mode when it loads the middleware: a coroutine
            # function is used as it is, a plain one would be wrapped in sync_to_async.
            sync_process_view = self.process_view

            async def process_view(request, callback, callback_args, callback_kwargs):
                return sync_process_view(request, callback, callback_args, callback_kwargs)

            self.process_view = process_view

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        response = None
        if hasattr(self, "process_request"):
            response = self.process_request(request)
        response = response or await self.get_response(request)
        if hasattr(self, "process_response"):
            response = await self.aprocess_response(request, response)
        return response

    async def aprocess_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        return self.process_response(request, response)


class SecurityMiddleware(InlineHooksMixin, security.SecurityMiddleware):
    pass


class SessionMiddleware(InlineHooksMixin, sessions.SessionMiddleware):
    async def aprocess_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and (session.modified or settings.SESSION_SAVE_EVERY_REQUEST):
            # Saving writes to the session store: that one goes to a thread.
            return await sync_to_async(self.process_response, thread_sensitive=True)(request, response)
        return self.process_response(request, response)


class CommonMiddleware(InlineHooksMixin, common.CommonMiddleware):
    pass


class CsrfViewMiddleware(InlineHooksMixin, csrf.CsrfViewMiddleware):
    pass


class AuthenticationMiddleware(InlineHooksMixin, auth.AuthenticationMiddleware):
    pass


class MessageMiddleware(InlineHooksMixin, messages.MessageMiddleware):
    pass


class XFrameOptionsMiddleware(InlineHooksMixin, clickjacking.XFrameOptionsMiddleware):
    pass
