"""WSGI entry point: `gunicorn chatsite.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")

application = get_wsgi_application()

from chatsite.checks import run_startup_checks  # noqa: E402  (needs the app registry loaded above)

run_startup_checks()
