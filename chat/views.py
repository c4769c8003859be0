from __future__ import annotations

import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ParseError, Throttled, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.decorators import clerk_login_required
from accounts.deletion import ClerkUserDeleted
from accounts.devsignin import dev_signin_enabled
from chatsite.errors import PayloadTooLarge, database_unavailable, json_error
from chatsite.parsers import parse_json_body, read_limited_body
from threads.models import Thread

from .limits import RateLimited, check_model_allowance
from .protocol import STREAM_HEADERS
from .requests import InvalidChatRequest, parse_chat_request
from .runs import start_run
from .streaming import async_stream, sync_stream
from .titles import generate_title, texts_of
from .upstream import provider_configured

logger = logging.getLogger(__name__)

NO_PROVIDER = "No model provider is configured: set OPENAI_API_KEY (or OPENAI_BASE_URL for a compatible server)."


@csrf_exempt  # a cookie-authenticated write is checked against CLERK_AUTHORIZED_PARTIES by the Clerk middleware
@clerk_login_required
async def chat(request: HttpRequest) -> HttpResponse:
    """POST /api/chat: the AI SDK UI message stream of the model's answer, stored in the caller's thread.

    Signed-out requests were answered 401 by the decorator before this runs: nothing is parsed and no model
    client is made for them. An async view, so that under ASGI the request never waits for a thread of its
    own; the database work before the stream goes to a pooled thread in one trip.
    """
    if request.method != "POST":
        return json_error(f'Method "{request.method}" not allowed.', 405, headers={"Allow": "POST"})
    if not provider_configured():
        return json_error(NO_PROVIDER, 503)
    try:
        body = parse_json_body(
            read_limited_body(request, request.META.get("CONTENT_LENGTH"), settings.CHAT_MAX_BODY_BYTES)
        )
        chat_request = parse_chat_request(body)
    except PayloadTooLarge as exc:
        return json_error(str(exc.detail), 413)
    except ParseError as exc:  # malformed JSON
        return json_error(str(exc.detail), 400)
    except InvalidChatRequest as exc:
        return JsonResponse(exc.errors, status=400)
    asgi = isinstance(request, ASGIRequest)
    try:
        # Under WSGI the work stays on the request's own thread (thread_sensitive); under ASGI any will do.
        run = await sync_to_async(start_run, thread_sensitive=not asgi)(
            request.clerk, chat_request, system_prompt=settings.CHAT_SYSTEM_PROMPT
        )
    except RateLimited as exc:
        return json_error(exc.detail, 429, headers={"Retry-After": str(exc.retry_after)})
    except ClerkUserDeleted as exc:  # Clerk deleted the user; their token has not expired yet
        return json_error(str(exc.detail), 401, headers={"WWW-Authenticate": 'Bearer realm="api"'})
    except (OperationalError, InterfaceError):
        logger.warning("Chat refused: the database is unavailable")
        return database_unavailable()
    stream = async_stream(run) if asgi else sync_stream(run)
    return StreamingHttpResponse(stream, headers=STREAM_HEADERS)


class ThreadTitleView(APIView):
    """POST /api/threads/{id}/title: name the thread after its first messages, through the model."""

    @extend_schema(
        summary="Generate and store a short title",
        request=inline_serializer("TitleRequest", {"messages": serializers.ListField(
            child=serializers.JSONField(), required=False, allow_null=True,
            help_text="The thread's UI messages (entries that are not UI messages are skipped); "
                      "without them, the stored history is used.",
        )}),
        responses={
            200: inline_serializer("Title", {"title": serializers.CharField()}),
            404: OpenApiResponse(description="No such thread in the caller's workspace."),
            429: OpenApiResponse(description="Over the caller's model allowance."),
        },
    )
    def post(self, request: Request, pk: str) -> Response:
        thread = Thread.objects.filter(pk=pk).first() if "\x00" not in pk else None
        if thread is None:
            raise Http404
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": ["The body must be a JSON object."]})
        ui_messages = request.data.get("messages")
        if ui_messages is not None and not isinstance(ui_messages, list):
            raise ValidationError({"messages": ["Must be a list of UI messages."]})
        if ui_messages:
            messages = texts_of(ui_messages)
        else:
            messages = [(m.role, m.text) for m in thread.messages.order_by("id")[:6]]
        try:
            check_model_allowance(request.auth.user_id)
        except RateLimited as exc:
            raise Throttled(wait=exc.retry_after, detail=exc.detail) from None
        # The model's words (or the client's, when the model is unavailable) may hold a NUL: PostgreSQL refuses it.
        title = generate_title(messages, model=settings.OPENAI_MODEL).replace("\x00", "") or "New chat"
        Thread.objects.filter(pk=thread.pk).update(title=title, updated_at=timezone.now())
        return Response({"title": title})


def chat_page(request: HttpRequest) -> HttpResponse:
    """The assistant-ui chat page (the built bundle in static/app, source in frontend/)."""
    identity = getattr(request, "clerk", None)
    config = {
        "clerkPublishableKey": settings.CLERK_PUBLISHABLE_KEY,
        "devSignIn": dev_signin_enabled(),
        "signInUrl": "/dev/sign-in",
        "signOutUrl": "/dev/sign-out",
        "csrfToken": get_token(request),
        "identity": identity.as_json() if identity else None,
    }
    return render(request, "chat/index.html", {"chat_config": config})
