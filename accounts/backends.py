from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.db import transaction
from django.http import HttpRequest

from .deletion import ClerkUserDeleted, lock_clerk_user
from .identity import ClerkIdentity


class ClerkBackend(BaseBackend):
    """Authenticates a verified ClerkIdentity, creating the user row on first sight (never for a user Clerk
    deleted: see accounts.deletion).

    Reached through `django.contrib.auth.authenticate(request, clerk_identity=...)`. Like RemoteUserBackend,
    behaviour is tuned with class attributes and hooks in a subclass.
    """

    create_unknown_user = True

    def authenticate(self, request: HttpRequest | None, clerk_identity: ClerkIdentity | None = None, **kwargs):
        if clerk_identity is None:
            return None
        User = get_user_model()
        try:
            user = User._default_manager.get(clerk_id=clerk_identity.user_id)
        except User.DoesNotExist:
            if not self.create_unknown_user:
                return None
            # Only a missing row costs more than the one query: a user Clerk deleted, whose token is still
            # valid for a few seconds, must not come back (accounts.deletion).
            try:
                with transaction.atomic():
                    user, created = lock_clerk_user(clerk_identity.user_id)
            except ClerkUserDeleted:
                return None
            if created:
                user = self.configure_user(request, user, clerk_identity)
        return user if self.user_can_authenticate(user) else None

    def configure_user(self, request: HttpRequest | None, user, identity: ClerkIdentity):
        """Hook for a newly created user; profile fields arrive later through the Clerk webhook."""
        return user

    def user_can_authenticate(self, user) -> bool:
        """Users deactivated by staff are refused, as with Django's ModelBackend."""
        return getattr(user, "is_active", True)

    def get_user(self, user_id):
        User = get_user_model()
        try:
            user = User._default_manager.get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
