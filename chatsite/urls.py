from __future__ import annotations

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

from accounts.views import dev_sign_in, dev_sign_out
from threads.views import AccountExportView, AccountView

from .views import healthz

handler400 = "chatsite.errors.bad_request"
handler404 = "chatsite.errors.not_found"
handler500 = "chatsite.errors.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Browsers ask for it on every page (the admin's and the sign-in page's too).
    # Lazy: the hashed name exists only once collectstatic has run, and never at import time.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("app/favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    path("dev/sign-in", dev_sign_in, name="dev-sign-in"),
    path("dev/sign-out", dev_sign_out, name="dev-sign-out"),
    path("api/me", AccountView.as_view(), name="me"),
    path("api/me/export", AccountExportView.as_view(), name="me-export"),
    path("api/schema", SpectacularAPIView.as_view(), name="schema"),
    path("", include("threads.urls")),
    path("", include("chat.urls")),
    path("", include("webhooks.urls")),
]
