"""Staff see every tenant's threads: the admin reads through the unscoped manager, `all_tenants`."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import Truncator

from .models import Message, Thread


class MessageInline(admin.TabularInline):
    model = Message
    fields = ("message_id", "role", "preview", "status", "model", "prompt_tokens", "completion_tokens", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    ordering = ("id",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return Message.all_tenants.order_by("id")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="text")
    def preview(self, message: Message) -> str:
        return Truncator(message.text).chars(160) or "—"


class OrganizationFilter(admin.SimpleListFilter):
    """Personal workspaces, or one organization (the ones present among the threads)."""

    title = "organization"
    parameter_name = "org"
    PERSONAL = "__personal__"

    def lookups(self, request: HttpRequest, model_admin):
        orgs = Thread.all_tenants.exclude(org_id=None).values_list("org_id", flat=True).distinct().order_by("org_id")
        return [(self.PERSONAL, "Personal workspaces"), *((org, org) for org in orgs[:100])]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == self.PERSONAL:
            return queryset.filter(org_id=None)
        if self.value():
            return queryset.filter(org_id=self.value())
        return queryset


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ("__str__", "owner_id", "org_id", "status", "message_count", "updated_at")
    list_filter = ("status", OrganizationFilter)
    search_fields = ("title", "owner_id", "external_id", "id")
    readonly_fields = ("id", "owner_id", "org_id", "external_id", "created_at", "updated_at", "last_message_at")
    fields = ("id", "title", "status", "owner_id", "org_id", "external_id", "custom", "created_at", "updated_at",
              "last_message_at")
    ordering = ("-updated_at", "-id")
    inlines = [MessageInline]
    actions = ["archive", "unarchive"]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return Thread.all_tenants.annotate(message_count=Count("messages"))

    @admin.display(description="messages", ordering="message_count")
    def message_count(self, thread: Thread) -> int:
        return thread.message_count

    @admin.action(description="Archive selected threads")
    def archive(self, request: HttpRequest, queryset: QuerySet) -> None:
        updated = queryset.update(status=Thread.Status.ARCHIVED, updated_at=timezone.now())
        self.message_user(request, f"Archived {updated} thread(s).")

    @admin.action(description="Unarchive selected threads")
    def unarchive(self, request: HttpRequest, queryset: QuerySet) -> None:
        updated = queryset.update(status=Thread.Status.REGULAR, updated_at=timezone.now())
        self.message_user(request, f"Unarchived {updated} thread(s).")
