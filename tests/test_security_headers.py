"""Security headers: a Content-Security-Policy that allows exactly what the pages need, frame protection."""

from __future__ import annotations

import base64

import pytest

from chatsite.security import clerk_frontend_api

pytestmark = pytest.mark.django_db


def publishable_key(host: str) -> str:
    return "pk_test_" + base64.b64encode(f"{host}$".encode()).decode().rstrip("=")


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ")}


def test_chat_page_forbids_inline_scripts_and_framing(client):
    response = client.get("/")
    assert response.status_code == 200
    policy = directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in response.content.decode()


def test_chat_page_allows_clerks_domains_only_when_clerk_is_configured(client, settings):
    settings.CLERK_PUBLISHABLE_KEY = publishable_key("fond-mole-12.clerk.accounts.dev")
    policy = directives(client.get("/"))
    assert "https://fond-mole-12.clerk.accounts.dev" in policy["script-src"]
    assert "https://fond-mole-12.clerk.accounts.dev" in policy["connect-src"]
    assert "'unsafe-inline'" in policy["style-src"] and "'unsafe-inline'" not in policy["script-src"]
    assert "https://img.clerk.com" in policy["img-src"]


def test_frontend_api_host_is_read_from_the_publishable_key():
    assert clerk_frontend_api(publishable_key("clerk.example.com")) == "clerk.example.com"
    assert clerk_frontend_api("pk_live_!!!") is None
    assert clerk_frontend_api("sk_test_abc") is None
    assert clerk_frontend_api(None) is None


def test_api_responses_carry_the_policy_too(client):
    assert "Content-Security-Policy" in client.get("/api/threads")


def test_chat_page_config_reflects_the_signed_in_identity(client, bearer):
    response = client.get("/", **bearer(user_id="user_page", org=("org_p", "p", "admin")))
    config = response.context["chat_config"]
    assert config["identity"]["userId"] == "user_page" and config["identity"]["orgRole"] == "org:admin"
    assert config["devSignIn"] is False and config["clerkPublishableKey"] is None


def test_chat_page_signed_out_has_no_identity(client):
    assert client.get("/").context["chat_config"]["identity"] is None


def test_favicon_is_found_from_every_page(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("app/favicon.svg")
