"""Django's middleware run inline on the event loop under ASGI (chatsite.middleware) and still do their jobs."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import AsyncClient

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_superuser("admin", "admin@example.com", "pw-for-tests-1")


async def test_admin_login_saves_the_session_under_asgi(staff):
    client = AsyncClient()
    page = await client.get("/admin/login/")
    assert page.status_code == 200
    token = page.cookies["csrftoken"].value
    response = await client.post(
        "/admin/login/?next=/admin/",
        {"username": "admin", "password": "pw-for-tests-1", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert "sessionid" in response.cookies
    assert (await client.get("/admin/")).status_code == 200


async def test_csrf_is_still_enforced_under_asgi(staff):
    client = AsyncClient(enforce_csrf_checks=True)
    response = await client.post("/admin/login/", {"username": "admin", "password": "pw-for-tests-1"})
    assert response.status_code == 403


async def test_security_headers_are_set_under_asgi():
    response = await AsyncClient().get("/healthz")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "Content-Security-Policy" in response


async def test_unknown_path_gets_common_middlewares_slash_redirect_under_asgi():
    response = await AsyncClient().get("/admin")
    assert response.status_code == 301
    assert response["Location"] == "/admin/"


async def test_static_files_are_served_under_asgi():
    response = await AsyncClient().get("/static/app/app.css")
    assert response.status_code == 200
    assert b"".join([chunk async for chunk in response])
