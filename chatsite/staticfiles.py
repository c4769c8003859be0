"""Static files through WhiteNoise, without taking a thread for every request under ASGI."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse
from whitenoise.middleware import WhiteNoiseMiddleware

from .middleware import DualModeMixin


class StaticFilesMiddleware(DualModeMixin, WhiteNoiseMiddleware):
    """WhiteNoise's middleware, async-capable.

    WhiteNoise 6 is sync-only, so under ASGI Django would run every request — chat streams included —
    through a thread and back to the event loop just to ask whether the path is a static file. Here
    non-static paths go straight on; static ones are looked up and served in a thread as before.
    """

    def __init__(self, get_response, *args, **kwargs) -> None:
        super().__init__(get_response, *args, **kwargs)
        self.bind(get_response)

    def call(self, request: HttpRequest) -> HttpResponse:
        return WhiteNoiseMiddleware.__call__(self, request)

    async def acall(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(self.static_prefix):
            static_file = await sync_to_async(self._find, thread_sensitive=False)(request.path_info)
            if static_file is not None:
                return await sync_to_async(self.serve, thread_sensitive=False)(static_file, request)
        return await self.get_response(request)

    def _find(self, path: str):
        return self.find_file(path) if self.autorefresh else self.files.get(path)
