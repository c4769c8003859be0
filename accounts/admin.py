from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from .models import DeletedClerkUser, User


@admin.register(User)
class ClerkUserAdmin(UserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "clerk_id", "is_staff", "last_login")
    search_fields = ("username", "email", "first_name", "last_name", "clerk_id")
    readonly_fields = ("clerk_id",)
    fieldsets = UserAdmin.fieldsets + (("Clerk", {"fields": ("clerk_id", "image_url")}),)


@admin.register(DeletedClerkUser)
class DeletedClerkUserAdmin(admin.ModelAdmin):
    """Read-only: the Clerk users whose deletion was processed (only their ids are kept)."""

    list_display = ("clerk_id", "deleted_at")
    search_fields = ("clerk_id",)
    readonly_fields = ("clerk_id", "deleted_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: DeletedClerkUser | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: DeletedClerkUser | None = None) -> bool:
        return False
