"""Development sign-in: a Clerk-format cookie, verified by the same middleware as real Clerk tokens."""

from __future__ import annotations

import stat

import pytest
from django.test import Client

from accounts.devsignin import load_or_create_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def dev_mode(settings, tmp_path):
    settings.DEBUG = True
    settings.CLERK_DEV_SIGNIN = True
    settings.CLERK_JWT_KEY = None
    settings.CLERK_DEV_KEY_PATH = tmp_path / "var" / "dev-signin-key.pem"
    return settings


def sign_in(client: Client, **fields):
    return client.post("/dev/sign-in", {"user_id": "user_dev", **fields})


def test_sign_in_page_is_labelled_development_sign_in(client, dev_mode):
    response = client.get("/dev/sign-in")
    assert response.status_code == 200
    assert b"Development sign-in" in response.content


def test_sign_in_sets_a_session_cookie_that_the_middleware_accepts(client, dev_mode):
    response = sign_in(client, user_id="user_local")
    assert response.status_code == 302
    cookie = response.cookies["__session"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert client.get("/api/me").json()["userId"] == "user_local"


def test_sign_in_with_an_organization_and_role(client, dev_mode):
    sign_in(client, org_id="org_acme", org_slug="acme", org_role="org:admin")
    body = client.get("/api/me").json()
    assert (body["orgId"], body["orgSlug"], body["orgRole"]) == ("org_acme", "acme", "org:admin")


def test_sign_in_answers_json_when_asked(client, dev_mode):
    response = client.post(
        "/dev/sign-in", {"user_id": "user_json", "org_id": "org_b"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    identity = response.json()["identity"]
    assert (identity["userId"], identity["orgId"], identity["orgRole"]) == ("user_json", "org_b", "org:member")


def test_invalid_user_id_is_400_with_a_field_message(client, dev_mode):
    response = client.post("/dev/sign-in", {"user_id": "bad id!"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert "user_id" in response.json()
    assert "__session" not in response.cookies


def test_sign_in_from_an_origin_that_is_not_an_authorized_party_is_refused(client, dev_mode):
    dev_mode.CLERK_AUTHORIZED_PARTIES = ["http://localhost:8000"]
    response = sign_in(client)
    assert response.status_code == 400
    assert b"CLERK_AUTHORIZED_PARTIES" in response.content


def test_sign_in_never_redirects_off_site(client, dev_mode):
    assert sign_in(client, next="https://evil.example/")["Location"] == "/"
    assert sign_in(client, next="/admin/")["Location"] == "/admin/"


def test_sign_out_forgets_the_cookie(client, dev_mode):
    sign_in(client)
    response = client.post("/dev/sign-out")
    assert response.status_code == 302
    assert client.get("/api/me").status_code == 401


def test_key_is_made_on_first_run_private_and_reused(dev_mode):
    path = dev_mode.CLERK_DEV_KEY_PATH
    first = load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path).public_pem == first.public_pem


def test_development_sign_in_is_off_when_debug_is_off(client, dev_mode):
    dev_mode.DEBUG = False
    assert client.get("/dev/sign-in").status_code == 404
    assert sign_in(client).status_code == 404


def test_development_tokens_are_refused_when_real_clerk_keys_are_configured(client, dev_mode, signing_key):
    sign_in(client, user_id="user_local")
    dev_mode.CLERK_DEV_SIGNIN = False
    dev_mode.CLERK_JWT_KEY = signing_key.public_pem
    response = client.get("/api/me")
    assert response.status_code == 401
    assert "token-invalid-signature" in response.json()["detail"]


def test_sign_in_page_is_404_without_development_mode(client):
    assert client.get("/dev/sign-in").status_code == 404
