"""Per-user limits on the model: requests per minute and tokens per day, counted in Django's cache.

With REDIS_URL set, every process shares the counts; otherwise they are per process. When the cache cannot be
reached the limits fail open (the request goes on, the failure is logged): they protect the budget, and an
outage of the counter should not become an outage of the chat.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

T = TypeVar("T")


def _counting(operation: Callable[[], T], fallback: T) -> T:
    try:
        return operation()
    except Exception as exc:  # noqa: BLE001 — any cache backend's connection errors
        logger.error("Rate-limit counters unavailable (%s); letting the request through", type(exc).__name__)
        return fallback


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
        if (_counting(lambda: cache.get(key), 0) or 0) >= per_day:
            raise RateLimited(f"You have used today's {per_day} tokens. The allowance renews at midnight UTC.", seconds_left)
    per_minute = settings.CHAT_REQUESTS_PER_MINUTE
    if per_minute:
        now = time.time()
        window = int(now // 60)
        if _counting(lambda: _increment(f"chat:requests:{user_id}:{window}", 1, 120), 0) > per_minute:
            raise RateLimited(
                f"Too many requests: at most {per_minute} a minute. Please wait a moment.", int(60 - now % 60) + 1
            )


def record_tokens(user_id: str, tokens: int) -> None:
    if tokens > 0 and settings.CHAT_TOKENS_PER_DAY:
        key, seconds_left = _day_key(user_id)
        _counting(lambda: _increment(key, tokens, seconds_left + 3600), 0)
