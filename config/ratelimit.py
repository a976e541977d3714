"""Fixed-window rate limits in the shared cache (Redis in production, so every
process counts against the same window).

When the shared cache is down the limits fail open, with a warning in the
log: a Redis outage must not stop staff signing in, customers taking a
number or kiosks working."""

import ipaddress
import logging
import time

from django.conf import settings
from django.core.cache import cache

from .api import RateLimited


def client_address(request) -> str:
    """Who the request comes from, as the limits and the logs name clients:
    an IPv4 address, or an IPv6 client's /64 ("2001:db8:1:2::/64"), since
    one subscriber line or household is given a whole /64 and may pick any
    address in it.

    The peer (REMOTE_ADDR), unless TRUSTED_PROXY_COUNT proxies stand in front:
    then the Nth address of X-Forwarded-For from the right, the one the
    outermost of our proxies saw. Entries further left are the client's own
    to write, so they are never believed."""
    peer = request.META.get("REMOTE_ADDR", "unknown")
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "") if proxies else ""
    entries = [entry.strip() for entry in forwarded.split(",") if entry.strip()]
    if entries:
        # Fewer entries than proxies: the outermost one there is.
        candidate = entries[-min(proxies, len(entries))]
        if _is_address(candidate):
            return client_key(candidate)
    return client_key(peer)


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return False
    return True


def client_key(address: str) -> str:
    """An address as a client: IPv6 by its /64, an IPv4-mapped IPv6 address
    as the IPv4 one; anything that is not an address unchanged."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address[:100]
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


logger = logging.getLogger(__name__)
# While the cache is down, every request would log the same warning.
WARN_EVERY_SECONDS = 60
_last_warning = [float("-inf")]


def _count(cache_key: str, window_seconds: int) -> int | None:
    """One more use in the window; None when the shared cache cannot count."""
    try:
        cache.add(cache_key, 0, timeout=window_seconds + 5)
        try:
            return cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.add(cache_key, 1, timeout=window_seconds + 5)
            return 1
    except Exception:  # noqa: BLE001 - fail open, loudly
        now = time.monotonic()
        if now - _last_warning[0] >= WARN_EVERY_SECONDS:
            _last_warning[0] = now
            logger.warning("Rate limits are not enforced: the shared cache is unavailable", exc_info=True)
        return None


def window_count(*, scope: str, key: str, window_seconds: int) -> int | None:
    """Count one use of `scope` by `key` in the current fixed window (aligned
    to the clock: an hour's window starts on the hour) and return the uses so
    far; None while the shared cache cannot count."""
    window = int(time.time() // window_seconds)
    return _count(f"rl:{scope}:{key}:{window}", window_seconds)


def rate_limit_hit(*, scope: str, key: str, limit: int, window_seconds: int, message: str | None = None) -> None:
    """Count one use of `scope` by `key`; raise RateLimited past `limit` in the
    window. Fails open (counts nothing, raises nothing) while the cache is down."""
    used = window_count(scope=scope, key=key, window_seconds=window_seconds)
    if used is not None and used > limit:
        raise RateLimited(message) if message else RateLimited()
