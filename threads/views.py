"""The thread REST API behind assistant-ui's remote thread list and history adapters."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import NotImpersonated
from accounts.views import MeView

from .erasure import erase_user
from .history import ThreadGone, append_message, upsert_message
from .models import Message, Thread
from .pagination import KeysetPagination
from .serializers import (
    AccountDeletionSerializer,
    AccountExportSerializer,
    MessageContentSerializer,
    MessageSerializer,
    MessageWriteSerializer,
    ThreadCreateSerializer,
    ThreadSerializer,
    ThreadUpdateSerializer,
)

EXPORT_FORMAT = "chatsite-export/1"

NOT_FOUND = OpenApiResponse(description="No such thread in the caller's workspace.")
STATUS_PARAMETER = OpenApiParameter(
    "status", str, enum=Thread.Status.values, required=False, description="Only threads of this status."
)


@extend_schema_view(
    list=extend_schema(
        summary="List the workspace's threads, newest first",
        parameters=[STATUS_PARAMETER],
        responses={200: ThreadSerializer(many=True)},
    ),
    retrieve=extend_schema(summary="Fetch a thread", responses={200: ThreadSerializer, 404: NOT_FOUND}),
    destroy=extend_schema(summary="Delete a thread and its messages", responses={204: None, 404: NOT_FOUND}),
)
class ThreadViewSet(viewsets.GenericViewSet):
    """Threads of the caller's workspace: the Clerk user in their active organization (or personal space).

    `Thread.objects` is scoped to the current identity, so another tenant's thread is a 404 exactly like a
    missing one.
    """

    serializer_class = ThreadSerializer
    pagination_class = KeysetPagination
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return Thread.objects.all()

    def get_object(self) -> Thread:
        if "\x00" in self.kwargs["pk"]:  # no thread has one, and PostgreSQL cannot even compare it
            raise Http404
        return super().get_object()

    def list(self, request: Request) -> Response:
        queryset = self.get_queryset().newest_first()
        wanted = request.query_params.get("status")
        if wanted is not None:
            if wanted not in Thread.Status.values:
                raise ValidationError({"status": [f"Must be one of {', '.join(Thread.Status.values)}."]})
            queryset = queryset.filter(status=wanted)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(ThreadSerializer(page, many=True).data)

    @extend_schema(
        summary="Create a thread (idempotent per external_id)",
        request=ThreadCreateSerializer,
        responses={201: ThreadSerializer, 200: OpenApiResponse(ThreadSerializer, "The thread with that external_id.")},
    )
    def create(self, request: Request) -> Response:
        serializer = ThreadCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        external_id = fields.pop("external_id", None)
        if external_id is None:
            return Response(ThreadSerializer(self.get_queryset().create(**fields)).data, status=201)
        try:
            with transaction.atomic():
                thread, created = self.get_queryset().get_or_create(external_id=external_id, defaults=fields)
        except IntegrityError:
            # A concurrent initialize won the race (get_or_create already retried once).
            thread, created = self.get_queryset().get(external_id=external_id), False
        return Response(ThreadSerializer(thread).data, status=201 if created else 200)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(ThreadSerializer(self.get_object()).data)

    @extend_schema(
        summary="Rename, archive / unarchive, or set custom metadata",
        request=ThreadUpdateSerializer,
        responses={200: ThreadSerializer, 404: NOT_FOUND},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        thread = self.get_object()
        serializer = ThreadUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        for name, value in serializer.validated_data.items():
            setattr(thread, name, value)
        thread.updated_at = timezone.now()
        thread.save(update_fields=[*serializer.validated_data, "updated_at"])
        return Response(ThreadSerializer(thread).data)

    def destroy(self, request: Request, pk: str) -> Response:
        if "\x00" in pk:
            raise Http404
        deleted, _ = self.get_queryset().filter(pk=pk).delete()
        if not deleted:
            raise Http404
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["GET"],
        summary="Load the thread's history, in order",
        responses={200: MessageSerializer(many=True), 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["POST"],
        summary="Append a message (idempotent per message id)",
        request=MessageWriteSerializer,
        responses={
            201: MessageSerializer,
            200: OpenApiResponse(MessageSerializer, "A message with that id was already stored; it is unchanged."),
            404: NOT_FOUND,
        },
    )
    @action(detail=True, methods=["get", "post"], url_path="messages", pagination_class=None)
    def messages(self, request: Request, pk: str) -> Response:
        thread = self.get_object()
        if request.method == "GET":
            return Response(MessageSerializer(thread.messages.order_by("id"), many=True).data)
        serializer = MessageWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            message, created = append_message(
                thread,
                message_id=data["id"],
                parent_id=data.get("parent_id"),
                format=data["format"],
                content=data["content"],
            )
        except ThreadGone:
            raise Http404 from None
        return Response(MessageSerializer(message).data, status=201 if created else 200)

    @extend_schema(
        summary="Create or replace one message (history update)",
        parameters=[
            OpenApiParameter(
                "message_id", {"type": "string", "pattern": "^[^/]+$", "maxLength": 200}, OpenApiParameter.PATH
            )
        ],
        request=MessageContentSerializer,
        responses={200: MessageSerializer, 201: MessageSerializer, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["patch"], url_path=r"messages/(?P<message_id>[^/]+)")
    def message(self, request: Request, pk: str, message_id: str) -> Response:
        thread = self.get_object()
        if len(message_id) > 200:
            raise ValidationError({"message_id": ["Ensure this field has no more than 200 characters."]})
        if "\x00" in message_id:
            raise ValidationError({"message_id": ["Null characters are not allowed."]})
        serializer = MessageContentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        fields = {"parent_id": data["parent_id"]} if "parent_id" in data else {}
        try:
            message, created = upsert_message(
                thread, message_id=message_id, format=data["format"], content=data["content"], **fields
            )
        except ThreadGone:
            raise Http404 from None
        return Response(MessageSerializer(message).data, status=201 if created else 200)


class AccountView(MeView):
    """/api/me: GET the caller's identity (accounts.views.MeView); DELETE everything stored about them."""

    delete_reads_body = True  # documented by chatsite.schema.JSONAutoSchema

    def get_permissions(self):
        # Erasure is the person's own decision: not one a support agent impersonating them can take.
        if self.request.method == "DELETE":
            return [NotImpersonated()]
        return super().get_permissions()

    @extend_schema(
        summary="Delete the caller's threads and messages in every workspace, and their user row",
        request=AccountDeletionSerializer,
        responses={
            204: None,
            400: OpenApiResponse(description='No {"confirm": "delete my data"} in the body.'),
            403: OpenApiResponse(
                description="An impersonated session (staff acting as the person) cannot erase their data; nor can "
                "a cookie-authenticated request from an Origin that is not an authorized party."
            ),
        },
    )
    def delete(self, request: Request) -> Response:
        AccountDeletionSerializer(data=request.data).is_valid(raise_exception=True)
        # Not a Clerk account deletion: no tombstone, the person may sign in again and start afresh.
        erase_user(request.auth.user_id, account_deleted=False)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccountExportView(APIView):
    """GET /api/me/export: every thread the caller owns, in every workspace, with its messages in order, and
    the profile kept about them, as one JSON document to download. Their data, their right.

    Unlike the thread API it is not limited to the active workspace: it reads through `all_tenants`, by owner.
    Three queries whatever the size (user row, threads, messages).
    """

    @extend_schema(summary="Download all of the caller's data as one JSON document", responses=AccountExportSerializer)
    def get(self, request: Request) -> Response:
        user_id = request.auth.user_id
        # Looked up, not request.user: an export must not create a row for someone who never had one.
        user = User._default_manager.filter(clerk_id=user_id).first()
        threads = (
            Thread.all_tenants.filter(owner_id=user_id)
            .order_by("created_at", "id")
            .prefetch_related(Prefetch("messages", queryset=Message.all_tenants.order_by("id")))
        )
        now = timezone.now()
        profile = {
            "id": user_id,
            "email": user.email if user else "",
            "first_name": user.first_name if user else "",
            "last_name": user.last_name if user else "",
            "image_url": user.image_url if user else "",
            "date_joined": user.date_joined if user else None,
        }
        document = AccountExportSerializer(
            {"format": EXPORT_FORMAT, "exported_at": now, "user": profile, "threads": threads}
        ).data
        headers = {
            "Content-Disposition": f'attachment; filename="chatsite-export-{now:%Y%m%d}.json"',
            "Cache-Control": "no-store",
        }
        return Response(document, headers=headers)
