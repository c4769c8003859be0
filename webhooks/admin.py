"""Staff see the Clerk events received: what, when, and how it went. The log is read-only."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import WebhookEvent


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ("type", "svix_id", "subject", "received_at", "processed_at", "outcome", "attempts")
    list_filter = ("outcome", "type")
    search_fields = ("svix_id", "subject", "type")
    date_hierarchy = "received_at"
    fields = ("svix_id", "type", "subject", "outcome", "attempts", "received_at", "processed_at", "error")
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: WebhookEvent | None = None) -> bool:
        return False
