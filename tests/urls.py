"""The project's URLs plus small views that exercise the identity layer's public pieces."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.decorators import clerk_login_required
from accounts.identity import get_current_identity
from accounts.permissions import HasOrgPermissions, HasOrgRole
from chatsite.urls import urlpatterns as project_urlpatterns


def _describe(request: HttpRequest) -> dict:
    current = get_current_identity()
    return {"user": request.clerk.user_id, "current": current.user_id if current else None}


@clerk_login_required
def plain_sync(request: HttpRequest) -> JsonResponse:
    return JsonResponse(_describe(request))


@clerk_login_required
async def plain_async(request: HttpRequest) -> JsonResponse:
    return JsonResponse(_describe(request))


def whoami(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"username": request.user.username, "authenticated": request.user.is_authenticated})


async def awhoami(request: HttpRequest) -> JsonResponse:
    user = await request.auser()
    return JsonResponse({"username": user.username, "authenticated": user.is_authenticated})


def untouched(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"clerk": request.clerk.user_id if request.clerk else None})


class AdminsOnly(APIView):
    permission_classes = [HasOrgRole]
    required_org_roles = ("org:admin",)

    def get(self, request):
        return Response({"ok": True})


class ChatManagers(APIView):
    permission_classes = [HasOrgPermissions]
    required_org_permissions = ("org:chat:manage",)

    def get(self, request):
        return Response({"ok": True})

    def post(self, request):
        return Response({"received": request.data})


urlpatterns = project_urlpatterns + [
    path("t/plain-sync", plain_sync),
    path("t/plain-async", plain_async),
    path("t/whoami", whoami),
    path("t/awhoami", awhoami),
    path("t/untouched", untouched),
    path("api/t/admins", AdminsOnly.as_view()),
    path("api/t/managers", ChatManagers.as_view()),
]
