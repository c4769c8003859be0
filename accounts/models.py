from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class User(AbstractUser):
    """A person: a Clerk user (keyed by `clerk_id`, no usable password) or a staff account made with
    `createsuperuser`, which logs in to the admin with Django's own login.

    Clerk users' username is their Clerk user id, so the admin and `createsuperuser` keep working unchanged.
    """

    clerk_id = models.CharField(
        "Clerk user id", max_length=64, unique=True, null=True, blank=True, editable=False
    )
    image_url = models.URLField("image URL", max_length=2000, blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.email or self.username


class DeletedClerkUser(models.Model):
    """A Clerk user whose account Clerk deleted (the user.deleted webhook): their data is gone and stays gone.

    Clerk never reuses user ids, and a session token it issued before the deletion stays valid for up to a
    minute; this tombstone is what stops such a token, or a late user.updated event, from bringing the row
    or new threads back (see accounts.deletion). Only the opaque id is kept.
    """

    clerk_id = models.CharField("Clerk user id", max_length=64, primary_key=True)
    deleted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "deleted Clerk user"

    def __str__(self) -> str:
        return self.clerk_id
