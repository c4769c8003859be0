from __future__ import annotations

from django.apps import AppConfig


class ChatsiteConfig(AppConfig):
    """The project itself as an app: project-wide system checks and templates."""

    name = "chatsite"
    verbose_name = "Chat site"

    def ready(self) -> None:
        from . import checks, schema  # noqa: F401  (registers the checks and the OpenAPI extensions)
