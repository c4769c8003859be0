"""The middleware, the backend, DRF classes and the decorator, through real requests (sync and async)."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import AsyncClient
from django.test.utils import CaptureQueriesContext

from accounts.identity import get_current_identity

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]

User = get_user_model()


def test_first_request_that_uses_the_user_creates_the_row(client, bearer):
    response = client.get("/t/whoami", **bearer(user_id="user_new"))
    assert response.json() == {"username": "user_new", "authenticated": True}
    user = User.objects.get(clerk_id="user_new")
    assert not user.has_usable_password()


def test_second_request_reuses_the_user_row(client, bearer):
    client.get("/t/whoami", **bearer(user_id="user_new"))
    client.get("/t/whoami", **bearer(user_id="user_new"))
    assert User.objects.filter(clerk_id="user_new").count() == 1


def test_request_that_never_touches_the_user_makes_no_query(client, bearer):
    headers = bearer(user_id="user_lazy")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/t/untouched", **headers)
    assert response.json() == {"clerk": "user_lazy"}
    assert len(queries) == 0
    assert not User.objects.exists()


def test_api_request_that_never_touches_the_user_makes_no_query(client, bearer):
    headers = bearer(user_id="user_lazy")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/me", **headers).status_code == 200
    assert len(queries) == 0


def test_deactivated_user_is_anonymous_to_django_views(client, bearer):
    User.objects.create(username="user_banned", clerk_id="user_banned", is_active=False)
    assert client.get("/t/whoami", **bearer(user_id="user_banned")).json()["authenticated"] is False


def test_staff_session_user_wins_over_clerk_user_in_django_views(client, bearer):
    staff = User.objects.create_superuser("admin", "admin@example.com", "pw-for-tests")
    client.force_login(staff)
    assert client.get("/t/whoami", **bearer(user_id="user_alice")).json()["username"] == "admin"


def bearer_header(tokens, **claims) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.token(**claims)}"}


@pytest.mark.django_db(transaction=True)
async def test_async_middleware_path_signs_in_and_resolves_user(tokens):
    response = await AsyncClient().get("/t/awhoami", headers=bearer_header(tokens, user_id="user_async"))
    assert response.json() == {"username": "user_async", "authenticated": True}


async def test_async_decorated_view_sees_identity_and_current_identity(tokens):
    response = await AsyncClient().get("/t/plain-async", headers=bearer_header(tokens, user_id="user_async"))
    assert response.json() == {"user": "user_async", "current": "user_async"}


async def test_async_decorated_view_answers_401_json_without_identity():
    response = await AsyncClient().get("/t/plain-async")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_decorated_view_answers_401_json_without_identity(client):
    response = client.get("/t/plain-sync")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_decorated_view_names_the_reason_a_token_was_refused(client):
    response = client.get("/t/plain-sync", HTTP_AUTHORIZATION="Bearer garbage")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid session token (token-invalid)."}


def test_current_identity_is_set_during_the_view_and_reset_after(client, bearer):
    assert client.get("/t/plain-sync", **bearer(user_id="user_ctx")).json()["current"] == "user_ctx"
    assert get_current_identity() is None


def test_cookie_authenticated_post_from_a_foreign_origin_is_refused(client, tokens):
    client.cookies["__session"] = tokens.token()
    response = client.post("/api/t/managers", {}, HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403
    assert response.json() == {"detail": "Cross-origin request refused."}


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_every_unsafe_method_is_origin_checked_for_cookies(client, tokens, method):
    client.cookies["__session"] = tokens.token()
    response = getattr(client, method)("/api/t/managers", HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403


def test_cookie_authenticated_post_from_an_authorized_origin_passes(client, tokens):
    client.cookies["__session"] = tokens.token(org=("org_a", "a", "admin"), permissions=("org:chat:manage",))
    response = client.post(
        "/api/t/managers", '{"x": 1}', content_type="application/json", HTTP_ORIGIN="http://testserver"
    )
    assert response.status_code == 200


def test_cookie_authenticated_post_without_origin_passes(client, tokens):
    client.cookies["__session"] = tokens.token(org=("org_a", "a", "admin"), permissions=("org:chat:manage",))
    assert client.post("/api/t/managers", "{}", content_type="application/json").status_code == 200


def test_cookie_authenticated_get_from_a_foreign_origin_passes(client, tokens):
    client.cookies["__session"] = tokens.token()
    assert client.get("/api/me", HTTP_ORIGIN="https://evil.example").status_code == 200


def test_bearer_authenticated_post_is_not_origin_checked(client, bearer):
    headers = bearer(org=("org_a", "a", "admin"), permissions=("org:chat:manage",))
    response = client.post("/api/t/managers", "{}", content_type="application/json", HTTP_ORIGIN="https://x.example", **headers)
    assert response.status_code == 200


def test_org_role_permission_allows_admins(client, bearer):
    assert client.get("/api/t/admins", **bearer(org=("org_a", "a", "admin"))).status_code == 200


def test_org_role_permission_refuses_members_with_403(client, bearer):
    response = client.get("/api/t/admins", **bearer(org=("org_a", "a", "member")))
    assert response.status_code == 403
    assert "role" in response.json()["detail"]


def test_org_role_permission_refuses_personal_workspace(client, bearer):
    assert client.get("/api/t/admins", **bearer()).status_code == 403


def test_org_role_permission_without_credentials_is_401(client):
    assert client.get("/api/t/admins").status_code == 401


def test_org_permission_requires_every_named_permission(client, bearer):
    allowed = bearer(org=("org_a", "a", "member"), permissions=("org:chat:manage",))
    denied = bearer(org=("org_a", "a", "admin"), permissions=("org:chat:read",))
    assert client.get("/api/t/managers", **allowed).status_code == 200
    assert client.get("/api/t/managers", **denied).status_code == 403


def test_tokens_never_appear_in_logs(client, tokens, caplog):
    valid = tokens.token(user_id="user_logged")
    expired = tokens.token(exp=1, iat=0, nbf=0)
    forged = tokens.token(azp="https://evil.example")
    with caplog.at_level(logging.DEBUG):
        client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {valid}")
        client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {expired}")
        client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {forged}")
        client.cookies["__session"] = forged
        client.post("/api/t/managers", HTTP_ORIGIN="https://evil.example")
        client.get("/api/does-not-exist", HTTP_AUTHORIZATION=f"Bearer {valid}")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Refused a Clerk session token" in logged
    for token in (valid, expired, forged):
        assert token not in logged
        assert token.split(".")[2] not in logged
