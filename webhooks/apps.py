from __future__ import annotations

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Clerk's webhooks (delivered by Svix): users and organizations kept in sync, deleted users' data erased."""

    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the checks)
