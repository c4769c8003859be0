from __future__ import annotations

from django.urls import path

from .views import clerk_webhook

urlpatterns = [
    path("api/webhooks/clerk", clerk_webhook, name="clerk-webhook"),
]
