from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import User


@admin.register(User)
class ClerkUserAdmin(UserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "clerk_id", "is_staff", "last_login")
    search_fields = ("username", "email", "first_name", "last_name", "clerk_id")
    readonly_fields = ("clerk_id",)
    fieldsets = UserAdmin.fieldsets + (("Clerk", {"fields": ("clerk_id", "image_url")}),)
