from __future__ import annotations

from django.apps import AppConfig


class ThreadsConfig(AppConfig):
    """Chat threads and their messages, scoped to the signed-in user and organization."""

    name = "threads"
    verbose_name = "Threads"
