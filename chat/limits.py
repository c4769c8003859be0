"""Per-user limits on the model: requests per minute and tokens per day, counted in Django's cache.

With REDIS_URL set, every process shares the counts; otherwise they are per process.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache


class RateLimited(Exception):
    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = max(1, retry_after)


def _increment(key: str, amount: int, ttl: int) -> int:
    cache.add(key, 0, ttl)
    try:
        return cache.incr(key, amount)
    except ValueError:  # expired between add() and incr()
        cache.set(key, amount, ttl)
        return amount


def _day_key(user_id: str) -> tuple[str, int]:
    now = datetime.now(UTC)
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    return f"chat:tokens:{user_id}:{now:%Y%m%d}", int((midnight - now).total_seconds()) + 1


def check_model_allowance(user_id: str) -> None:
    """Count one model request for `user_id`; raise RateLimited when over a limit (0 turns a limit off)."""
    per_day = settings.CHAT_TOKENS_PER_DAY
    if per_day:
        key, seconds_left = _day_key(user_id)
        if (cache.get(key) or 0) >= per_day:
            raise RateLimited(f"You have used today's {per_day} tokens. The allowance renews at midnight UTC.", seconds_left)
    per_minute = settings.CHAT_REQUESTS_PER_MINUTE
    if per_minute:
        now = time.time()
        window = int(now // 60)
        if _increment(f"chat:requests:{user_id}:{window}", 1, 120) > per_minute:
            raise RateLimited(
                f"Too many requests: at most {per_minute} a minute. Please wait a moment.", int(60 - now % 60) + 1
            )


def record_tokens(user_id: str, tokens: int) -> None:
    if tokens > 0 and settings.CHAT_TOKENS_PER_DAY:
        key, seconds_left = _day_key(user_id)
        _increment(key, tokens, seconds_left + 3600)
