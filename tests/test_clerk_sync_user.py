"""manage.py clerk_sync_user: one user pulled from Clerk's Backend API (a fake on 127.0.0.1), via clerk-backend-api."""

from __future__ import annotations

import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import DeletedClerkUser, User

from .fakes.clerk_api import FakeClerkAPI, clerk_user

pytestmark = pytest.mark.django_db

SECRET_KEY = "sk_test_backfill"


@pytest.fixture
def clerk_api(settings):
    fake = FakeClerkAPI().start()
    settings.CLERK_SECRET_KEY = SECRET_KEY
    settings.CLERK_API_URL = fake.api_url
    yield fake
    fake.stop()


def sync(*args: str) -> str:
    out = StringIO()
    call_command("clerk_sync_user", *args, stdout=out)
    return out.getvalue()


def test_creates_the_row_from_clerks_user(clerk_api):
    clerk_api.users["user_ada"] = clerk_user("user_ada")
    assert "Synced user_ada: ada@example.org" in sync("user_ada")
    user = User.objects.get(clerk_id="user_ada")
    assert (user.username, user.email, user.get_full_name()) == ("user_ada", "ada@example.org", "Ada Lovelace")
    assert user.image_url == "https://img.clerk.com/ada.png"
    assert not user.has_usable_password()


def test_calls_the_v1_api_with_the_secret_key(clerk_api):
    clerk_api.users["user_ada"] = clerk_user("user_ada")
    sync("user_ada")
    assert clerk_api.requests == [("/v1/users/user_ada", f"Bearer {SECRET_KEY}")]


def test_updates_an_existing_row_and_keeps_the_rest(clerk_api):
    User.objects.create(username="user_ada", clerk_id="user_ada", email="old@example.org", is_staff=True)
    clerk_api.users["user_ada"] = clerk_user("user_ada", email="new@example.org", first_name=None)
    sync("user_ada")
    user = User.objects.get(clerk_id="user_ada")
    assert (user.email, user.first_name, user.is_staff) == ("new@example.org", "", True)


def test_unknown_user_is_a_clear_error(clerk_api):
    with pytest.raises(CommandError, match="Clerk has no user user_ghost"):
        sync("user_ghost")
    assert not User.objects.exists()


def test_refused_secret_key_is_a_clear_error(clerk_api):
    clerk_api.status = 401
    with pytest.raises(CommandError, match="refused CLERK_SECRET_KEY"):
        sync("user_ada")


def test_server_error_is_retried_then_reported_in_bounded_time(clerk_api):
    clerk_api.status = 500
    started = time.monotonic()
    with pytest.raises(CommandError, match="answered 500"):
        sync("user_ada", "--timeout", "0.5")
    assert time.monotonic() - started < 5
    assert len(clerk_api.requests) >= 2


def test_unreachable_api_is_a_clear_error_in_bounded_time(settings):
    settings.CLERK_SECRET_KEY = SECRET_KEY  # CLERK_API_URL is 127.0.0.1:9 in the tests: nothing listens
    started = time.monotonic()
    with pytest.raises(CommandError, match="Could not reach Clerk's API at http://127.0.0.1:9/v1"):
        sync("user_ada", "--timeout", "0.5")
    assert time.monotonic() - started < 5


def test_silent_api_times_out(clerk_api):
    clerk_api.hang_seconds = 30
    started = time.monotonic()
    with pytest.raises(CommandError, match="Could not reach"):
        sync("user_ada", "--timeout", "0.5")
    assert time.monotonic() - started < 5


def test_missing_secret_key_is_a_clear_error(settings):
    settings.CLERK_SECRET_KEY = None
    with pytest.raises(CommandError, match="CLERK_SECRET_KEY is not set"):
        sync("user_ada")


def test_malformed_user_id_is_refused_before_any_call(clerk_api):
    with pytest.raises(CommandError, match="not a Clerk user id"):
        sync("../users")
    assert clerk_api.requests == []


def test_user_deleted_here_is_not_recreated(clerk_api):
    DeletedClerkUser.objects.create(clerk_id="user_gone")
    clerk_api.users["user_gone"] = clerk_user("user_gone")
    with pytest.raises(CommandError, match="was deleted"):
        sync("user_gone")
    assert not User.objects.exists()


def test_over_long_email_and_image_are_dropped_and_names_cut(clerk_api):
    clerk_api.users["user_long"] = clerk_user(
        "user_long", email=f"{'a' * 250}@example.org", first_name="N" * 400, image_url="https://x/" + "i" * 3000
    )
    sync("user_long")
    user = User.objects.get(clerk_id="user_long")
    assert (user.email, user.image_url) == ("", "")
    assert user.first_name == "N" * 150
