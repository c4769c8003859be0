"""ASGI entry point: `uvicorn chatsite.asgi:application` (streams chat answers without a thread per request)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")

django_application = get_asgi_application()

from chat.streaming import interrupt_open_streams  # noqa: E402  (needs the app registry loaded above)
from chatsite.checks import run_startup_checks  # noqa: E402

run_startup_checks()


async def application(scope, receive, send):
    """Django, plus the ASGI lifespan protocol: at shutdown, open chat streams store what they have."""
    if scope["type"] != "lifespan":
        return await django_application(scope, receive, send)
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await interrupt_open_streams(timeout=10)
            await send({"type": "lifespan.shutdown.complete"})
            return
