"""Fixed-window rate limits in the shared cache (Redis in production, so every
process counts against the same window)."""

import time

from django.conf import settings
from django.core.cache import cache

from .api import RateLimited


def client_address(request) -> str:
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "unknown")


def rate_limit_hit(*, scope: str, key: str, limit: int, window_seconds: int, message: str | None = None) -> None:
    """Count one use of `scope` by `key`; raise RateLimited past `limit` in the window."""
    window = int(time.time() // window_seconds)
    cache_key = f"rl:{scope}:{key}:{window}"
    cache.add(cache_key, 0, timeout=window_seconds + 5)
    try:
        used = cache.incr(cache_key)
    except ValueError:
        cache.add(cache_key, 1, timeout=window_seconds + 5)
        used = 1
    if used > limit:
        raise RateLimited(message) if message else RateLimited()
