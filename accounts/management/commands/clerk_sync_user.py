"""manage.py clerk_sync_user <user_id>: copy one user's profile from Clerk's Backend API (for backfills)."""

from __future__ import annotations

import httpx
from clerk_backend_api import Clerk, models
from clerk_backend_api.utils import BackoffStrategy, RetryConfig
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.profiles import CLERK_ID, ClerkProfile, InvalidClerkUser, apply_clerk_profile


class Command(BaseCommand):
    help = (
        "Fetch one user from Clerk's Backend API (CLERK_SECRET_KEY) and store their primary email, name and image, "
        "creating the row if missing: what the user.created/user.updated webhooks do, for users who signed up "
        "before the webhook was registered."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user_id", help="The Clerk user id, e.g. user_2abc...")
        parser.add_argument(
            "--timeout", type=float, default=10.0, help="Give up after about this many seconds, retries included."
        )

    def handle(self, *args, user_id: str, timeout: float, **options) -> None:
        if not CLERK_ID.fullmatch(user_id):
            raise CommandError(f"{user_id!r} is not a Clerk user id.")
        if not settings.CLERK_SECRET_KEY:
            raise CommandError("CLERK_SECRET_KEY is not set: the Backend API needs the instance's secret key.")
        server_url = f"{settings.CLERK_API_URL.rstrip('/')}/v1"
        budget_ms = max(1, int(timeout * 1000))
        # The SDK's default retries for up to an hour; an operator waiting at a prompt wants an answer.
        retries = RetryConfig("backoff", BackoffStrategy(250, 2000, 2.0, budget_ms, jitter_ms=100), True)
        try:
            with Clerk(
                bearer_auth=settings.CLERK_SECRET_KEY, server_url=server_url, timeout_ms=budget_ms, retry_config=retries
            ) as clerk:
                clerk_user = clerk.users.get(user_id=user_id)
        except models.ResponseValidationError:
            raise CommandError(f"Clerk's API at {server_url} answered something that is not a user.") from None
        except models.ClerkBaseError as exc:
            raise CommandError(self._refusal(exc.status_code, user_id, server_url)) from None
        except (httpx.HTTPError, models.NoResponseError) as exc:
            raise CommandError(f"Could not reach Clerk's API at {server_url} ({type(exc).__name__}).") from None
        try:
            profile = ClerkProfile.from_clerk_user(clerk_user.model_dump(mode="json", by_alias=True))
        except InvalidClerkUser as exc:
            raise CommandError(f"Clerk's API answered an unusable user: {exc}.") from None
        user = apply_clerk_profile(profile)
        if user is None:
            raise CommandError(f"{user_id} was deleted (a user.deleted webhook was processed); not recreated.")
        self.stdout.write(f"Synced {user_id}: {user.email or 'no email'}, {user.get_full_name() or 'no name'}.")

    @staticmethod
    def _refusal(status: int, user_id: str, server_url: str) -> str:
        if status == 404:
            return f"Clerk has no user {user_id}."
        if status in (401, 403):
            return f"Clerk's API refused CLERK_SECRET_KEY ({status}): is it this instance's secret key?"
        return f"Clerk's API at {server_url} answered {status}."
