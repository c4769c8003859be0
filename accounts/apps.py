from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Identity: Clerk session tokens, the user model, and the local development sign-in."""

    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the checks)
