"""DRF permissions on the Clerk identity. Views name what they need in attributes, as with `required_scopes`."""

from __future__ import annotations

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from .identity import ClerkIdentity


class HasClerkIdentity(BasePermission):
    """The request carries a verified Clerk session."""

    def has_permission(self, request: Request, view) -> bool:
        return isinstance(request.auth, ClerkIdentity)


class HasOrgRole(HasClerkIdentity):
    """An organization is active and the caller's role is one of the view's `required_org_roles`."""

    message = "Your role in the active organization does not allow this."

    def has_permission(self, request: Request, view) -> bool:
        roles = getattr(view, "required_org_roles", ())
        return super().has_permission(request, view) and request.auth.has_org_role(*roles)


class HasOrgPermissions(HasClerkIdentity):
    """An organization is active and the caller holds every one of the view's `required_org_permissions`."""

    message = "You lack a permission this needs in the active organization."

    def has_permission(self, request: Request, view) -> bool:
        permissions = getattr(view, "required_org_permissions", ())
        return super().has_permission(request, view) and request.auth.has_org_permissions(*permissions)


class NotImpersonated(HasClerkIdentity):
    """The caller is themselves, not staff impersonating them (for irreversible acts like erasing their data)."""

    message = "Not allowed while impersonating a user."

    def has_permission(self, request: Request, view) -> bool:
        return super().has_permission(request, view) and request.auth.impersonator is None
