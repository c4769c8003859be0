"""ASGI entry point: `uvicorn chatsite.asgi:application` (streams chat answers without a thread per request)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")

application = get_asgi_application()

from chatsite.checks import run_startup_checks  # noqa: E402  (needs the app registry loaded above)

run_startup_checks()
