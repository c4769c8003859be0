from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .devsignin import dev_signin_enabled, dev_signing_key, mint_session_token
from .forms import DevSignInForm
from .middleware import SESSION_COOKIE
from .tokens import get_verifier

IDENTITY_SCHEMA = inline_serializer(
    "Identity",
    {
        "userId": serializers.CharField(),
        "sessionId": serializers.CharField(),
        "orgId": serializers.CharField(allow_null=True),
        "orgSlug": serializers.CharField(allow_null=True),
        "orgRole": serializers.CharField(allow_null=True),
        "orgPermissions": serializers.ListField(child=serializers.CharField()),
    },
)


class MeView(APIView):
    """The caller's Clerk identity, as the chat page shows it."""

    @extend_schema(responses=IDENTITY_SCHEMA)
    def get(self, request: Request) -> Response:
        return Response(request.auth.as_json())


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return "/"


@require_http_methods(["GET", "POST"])
def dev_sign_in(request: HttpRequest) -> HttpResponse:
    """GET: the development sign-in form. POST: sign in as the chosen user and set the `__session` cookie."""
    if not dev_signin_enabled():
        raise Http404("Development sign-in is off.")
    origin = f"{request.scheme}://{request.get_host()}"
    if request.method == "GET":
        form = DevSignInForm(initial={"next": _safe_next(request, request.GET.get("next"))})
        return render(request, "accounts/dev_sign_in.html", {"form": form, "origin": origin})

    form = DevSignInForm(request.POST)
    if form.is_valid() and origin not in settings.CLERK_AUTHORIZED_PARTIES:
        form.add_error(
            None,
            f"This site is open at {origin}, which is not in CLERK_AUTHORIZED_PARTIES; "
            "add it there or open the site at one of those origins.",
        )
    if not form.is_valid():
        if _wants_json(request):
            return JsonResponse(form.errors.get_json_data(), status=400)
        return render(request, "accounts/dev_sign_in.html", {"form": form, "origin": origin}, status=400)

    data = form.cleaned_data
    token = mint_session_token(
        dev_signing_key(),
        user_id=data["user_id"],
        authorized_party=origin,
        org_id=data["org_id"] or None,
        org_slug=data["org_slug"] or None,
        org_role=data["org_role"] or None,
        lifetime=settings.CLERK_DEV_SESSION_SECONDS,
    )
    if _wants_json(request):
        response: HttpResponse = JsonResponse({"identity": get_verifier().verify(token).as_json()})
    else:
        response = redirect(_safe_next(request, data["next"]))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.CLERK_DEV_SESSION_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


@require_http_methods(["POST"])
def dev_sign_out(request: HttpRequest) -> HttpResponse:
    """Forget the development session cookie."""
    if not dev_signin_enabled():
        raise Http404("Development sign-in is off.")
    response: HttpResponse = (
        JsonResponse({"identity": None}) if _wants_json(request) else redirect("dev-sign-in")
    )
    response.delete_cookie(SESSION_COOKIE, samesite="Lax")
    return response
