from __future__ import annotations

from rest_framework.routers import SimpleRouter

from .views import ThreadViewSet

router = SimpleRouter(trailing_slash=False)
router.register("api/threads", ThreadViewSet, basename="thread")

urlpatterns = router.urls
