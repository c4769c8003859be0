from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


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
