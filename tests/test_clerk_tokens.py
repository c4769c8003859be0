"""The token matrix: each case through a real endpoint (GET /api/me). Invalid tokens → 401 and no user row."""

from __future__ import annotations

import time

import jwt
import pytest
from django.contrib.auth import get_user_model

from .clerk import DROP, SigningKey

pytestmark = pytest.mark.django_db

User = get_user_model()


def me(client, **headers):
    return client.get("/api/me", **headers)


def assert_refused(response, reason: str | None = None) -> None:
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Bearer")
    if reason:
        assert reason in response.json()["detail"]
    assert not User.objects.exists()


def test_valid_token_in_authorization_header_signs_in(client, bearer):
    response = me(client, **bearer(user_id="user_alice"))
    assert response.status_code == 200
    assert response.json()["userId"] == "user_alice"
    assert response.json()["sessionId"] == "sess_user_alice"


def test_valid_token_in_session_cookie_signs_in(client, tokens):
    client.cookies["__session"] = tokens.token(user_id="user_cookie")
    assert me(client).json()["userId"] == "user_cookie"


def test_session_cookie_is_found_next_to_a_malformed_unrelated_cookie(client, tokens):
    token = tokens.token(user_id="user_cookie")
    response = me(client, HTTP_COOKIE=f"bad[name]=1; __session={token}; other=x")
    assert response.status_code == 200
    assert response.json()["userId"] == "user_cookie"


def test_authorization_header_wins_over_session_cookie(client, tokens, bearer):
    client.cookies["__session"] = tokens.token(user_id="user_cookie")
    assert me(client, **bearer(user_id="user_header")).json()["userId"] == "user_header"


def test_invalid_header_token_does_not_fall_back_to_cookie(client, tokens):
    client.cookies["__session"] = tokens.token(user_id="user_cookie")
    assert_refused(me(client, HTTP_AUTHORIZATION="Bearer not-a-jwt"), "token-invalid")


def test_no_credentials_is_401_with_www_authenticate(client):
    response = me(client)
    assert_refused(response)
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_expired_token_is_refused(client, bearer):
    now = int(time.time())
    assert_refused(me(client, **bearer(exp=now - 30, iat=now - 90, nbf=now - 90)), "token-expired")


def test_token_not_yet_valid_is_refused(client, bearer):
    assert_refused(me(client, **bearer(nbf=int(time.time()) + 120)), "token-not-active-yet")


def test_token_signed_by_another_key_is_refused(client, tokens):
    token = tokens.token(key=SigningKey(kid="ins_test_1"))
    assert_refused(me(client, HTTP_AUTHORIZATION=f"Bearer {token}"), "token-invalid-signature")


def test_alg_none_is_refused(client, tokens):
    token = jwt.encode(tokens.claims(), None, algorithm="none")
    assert_refused(me(client, HTTP_AUTHORIZATION=f"Bearer {token}"), "token-invalid")


def test_hs256_is_refused(client, tokens):
    token = jwt.encode(tokens.claims(), "a-shared-secret-of-sufficient-length-32b", algorithm="HS256")
    assert_refused(me(client, HTTP_AUTHORIZATION=f"Bearer {token}"), "token-invalid")


def test_hs256_keyed_with_the_public_pem_is_refused(client, tokens, signing_key):
    # The classic algorithm-confusion attack: PyJWT refuses to HMAC with a PEM, so sign by hand.
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    signing_input = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + b"." + b64(
        json.dumps(tokens.claims()).encode()
    )
    signature = hmac.new(signing_key.public_pem.encode(), signing_input, hashlib.sha256).digest()
    token = (signing_input + b"." + b64(signature)).decode()
    assert_refused(me(client, HTTP_AUTHORIZATION=f"Bearer {token}"), "token-invalid")


@pytest.mark.parametrize("claim", ["sub", "sid", "exp"])
def test_token_missing_a_required_claim_is_refused(client, bearer, claim):
    assert_refused(me(client, **bearer(**{claim: DROP})), f"token-missing-{claim}")


def test_token_with_wrong_azp_is_refused(client, bearer):
    assert_refused(me(client, **bearer(azp="https://evil.example")), "token-invalid-authorized-parties")


def test_token_without_azp_is_refused(client, bearer):
    assert_refused(me(client, **bearer(azp=DROP)), "token-invalid-authorized-parties")


def test_token_with_wrong_issuer_is_refused_when_issuer_is_configured(client, bearer, settings):
    settings.CLERK_ISSUER = "https://clerk.test.example"
    assert_refused(me(client, **bearer(iss="https://other.clerk.example")), "token-invalid-issuer")
    assert me(client, **bearer(iss="https://clerk.test.example")).status_code == 200


def test_issuer_is_not_checked_when_not_configured(client, bearer):
    assert me(client, **bearer(iss="https://anything.example")).status_code == 200


def test_pending_session_is_signed_out(client, bearer):
    assert_refused(me(client, **bearer(sts="pending")), "session-pending")


def test_pending_session_is_accepted_when_the_setting_opts_in(client, bearer, settings):
    settings.CLERK_ALLOW_PENDING_SESSIONS = True
    assert me(client, **bearer(sts="pending")).status_code == 200


def test_oversized_token_is_refused_unparsed(client, tokens):
    token = tokens.token(padding="x" * 17_000)
    assert_refused(me(client, HTTP_AUTHORIZATION=f"Bearer {token}"), "token-too-large")


@pytest.mark.parametrize(
    "garbage",
    ["", "garbage", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30", "ak_live_machine_key", "Bearer", "\u00e9\u00e8.\u00e0.x"],
)
def test_garbage_token_is_refused(client, garbage):
    assert_refused(me(client, HTTP_AUTHORIZATION=f"Bearer {garbage}"))


def test_garbage_session_cookie_is_refused(client):
    client.cookies["__session"] = "garbage"
    assert_refused(me(client), "token-invalid")


def test_signed_claims_of_unexpected_shape_are_refused_not_crashed(client, tokens):
    token = tokens.sign(tokens.claims(o="not-an-object"))
    assert_refused(me(client, HTTP_AUTHORIZATION=f"Bearer {token}"))


def test_v2_organization_role_is_org_prefixed(client, bearer):
    body = me(client, **bearer(org=("org_acme", "acme", "admin"))).json()
    assert (body["orgId"], body["orgSlug"], body["orgRole"]) == ("org_acme", "acme", "org:admin")


def test_v1_organization_role_is_org_prefixed(client, bearer):
    body = me(client, **bearer(version=1, org=("org_acme", "acme", "member"))).json()
    assert (body["orgId"], body["orgSlug"], body["orgRole"]) == ("org_acme", "acme", "org:member")


def test_v2_organization_permissions_are_expanded(client, bearer):
    permissions = ("org:chat:read", "org:chat:manage", "org:billing:read")
    body = me(client, **bearer(org=("org_acme", "acme", "admin"), permissions=permissions)).json()
    assert sorted(body["orgPermissions"]) == sorted(permissions)


def test_v1_organization_permissions_are_kept(client, bearer):
    body = me(client, **bearer(version=1, org=("org_acme", "acme", "admin"), permissions=("org:chat:read",))).json()
    assert body["orgPermissions"] == ["org:chat:read"]


def test_token_without_organization_has_no_org_fields(client, bearer):
    body = me(client, **bearer()).json()
    assert (body["orgId"], body["orgRole"], body["orgPermissions"]) == (None, None, [])


def test_literal_backslash_n_in_clerk_jwt_key_is_accepted(signing_key):
    import os
    import subprocess
    import sys

    env = dict(os.environ, CLERK_JWT_KEY=signing_key.public_pem.replace("\n", "\\n"))
    code = "from django.conf import settings; import django; django.setup(); print(settings.CLERK_JWT_KEY.count(chr(10)))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "chatsite.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(out.stdout.strip()) == signing_key.public_pem.count("\n")
