"""The Redis cache, with one connection pool per process.

Django keeps a cache object per async context, and under Daphne every request
runs in a context of its own: with Django's RedisCache each request built a
new connection pool and opened a new Redis connection (the handshake, and
redis-py reading package metadata for the client name) just to read a cached
value. Here the pools live in the process and every cache object shares them.
"""

import threading
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

_pools = {}
_pools_lock = threading.Lock()
_clients = {}


class SharedPoolRedisCacheClient(RedisCacheClient):
    def _get_connection_pool(self, write):
        index = self._get_connection_pool_index(write)
        pool = self._pools.get(index)
        if pool is None:
            key = (self._servers[index], repr(sorted(self._pool_options.items())))
            with _pools_lock:
                pool = _pools.get(key)
                if pool is None:
                    # redis-py's pool is thread-safe and resets itself in a forked child.
                    pool = _pools[key] = self._pool_class.from_url(self._servers[index], **self._pool_options)
            self._pools[index] = pool
        return pool

    def get_client(self, key=None, *, write=False):
        # A redis-py client takes a pooled connection per command, so one client
        # per pool serves every thread; building one costs more than a GET.
        pool = self._get_connection_pool(write)
        client = _clients.get(id(pool))
        if client is None or client.connection_pool is not pool:
            client = _clients[id(pool)] = self._client(connection_pool=pool)
        return client

    # INCR, except that a missing key starts at ARGV[1]: one round trip, atomic.
    _INCR_OR_START = (
        "local v = redis.call('INCR', KEYS[1]) "
        "if v == 1 and tonumber(ARGV[1]) > 0 then v = tonumber(ARGV[1]) redis.call('SET', KEYS[1], v) end "
        "return v"
    )

    def incr_or_start(self, key, start: int = 0) -> int:
        """INCR: one round trip; a missing key starts at `start` (the first
        value returned is `start`, or 1 when `start` is 0) and never expires."""
        client = self.get_client(key, write=True)
        if not start:
            return client.incr(key)
        return int(client.eval(self._INCR_OR_START, 1, key, start))


    def set_add(self, key, members, timeout: int) -> None:
        client = self.get_client(key, write=True)
        pipe = client.pipeline()
        pipe.sadd(key, *members)
        pipe.expire(key, timeout)
        pipe.execute()

    def set_take(self, key) -> set[str]:
        """Every member, and the set emptied, in one step."""
        client = self.get_client(key, write=True)
        pipe = client.pipeline()
        pipe.smembers(key)
        pipe.delete(key)
        members, _ = pipe.execute()
        return {m.decode() if isinstance(m, bytes) else str(m) for m in members}


class SharedPoolRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedPoolRedisCacheClient

    def set_add(self, key, members, timeout: int, version=None) -> None:
        """Add `members` (strings) to the shared set `key`, which expires
        `timeout` seconds after its last addition."""
        self._cache.set_add(self.make_and_validate_key(key, version=version), [str(m) for m in members], timeout)

    def set_take(self, key, version=None) -> set[str]:
        """Every member of the shared set `key`, leaving it empty."""
        return self._cache.set_take(self.make_and_validate_key(key, version=version))

    def incr_or_start(self, key, start: int = 0, version=None) -> int:
        """Add one to an integer counter and return it; a missing key starts
        at `start` (or counts from 0) and does not expire. Atomic across processes."""
        return self._cache.incr_or_start(self.make_and_validate_key(key, version=version), start)


def cache_counter_next(cache, key, start: int = 0) -> int:
    """The next value of a shared counter in `cache`, without expiry: 1, 2, ...
    or, with `start`, a missing counter gives `start` first, then counts on.

    One round trip on the shared-pool Redis cache; on other backends
    add-then-incr (a key evicted in between is added again)."""
    # `django.core.cache.cache` is a proxy: ask for the method, not the class.
    incr_or_start = getattr(cache, "incr_or_start", None)
    if incr_or_start is not None:
        return incr_or_start(key, start)
    base = start - 1 if start else 0
    cache.add(key, base, timeout=None)
    try:
        return cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.add(key, base, timeout=None)
        return cache.incr(key)


def cache_set_add(cache, key, members, timeout: int) -> None:
    """Add `members` to a set shared by every process (one Redis set on the
    shared-pool cache; elsewhere a cached Python set, not atomic)."""
    set_add = getattr(cache, "set_add", None)
    if set_add is not None:
        set_add(key, members, timeout)
        return
    cache.set(key, (cache.get(key) or set()) | {str(m) for m in members}, timeout)


def cache_set_take(cache, key) -> set[str]:
    """Every member of the shared set `key`, which is left empty."""
    set_take = getattr(cache, "set_take", None)
    if set_take is not None:
        return set_take(key)
    members = cache.get(key) or set()
    cache.delete(key)
    return members


# Process-local copies of hot values: {key: (expires, value)}; expired ones
# are dropped when the dict reaches LOCAL_MAX_ENTRIES.
LOCAL_MAX_ENTRIES = 10_000
_local: dict[str, tuple[float, object]] = {}


def process_memo(key: str, compute, seconds: float):
    """`compute()`, remembered by this process for `seconds` (None is not).

    No round trip and no unpickling, but a change reaches the other processes
    only when their copy expires; callers share the value: treat it as
    read-only. `process_forget` drops this process's copy."""
    hit = _local.get(key)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    value = compute()
    if value is not None:
        if len(_local) >= LOCAL_MAX_ENTRIES:
            _local_prune()
        _local[key] = (time.monotonic() + seconds, value)
    return value


def _local_prune() -> None:
    """Drop expired copies; if that is not enough, all of them."""
    now = time.monotonic()
    for key in [key for key, (expires, _) in _local.items() if expires <= now]:
        _local.pop(key, None)
    if len(_local) >= LOCAL_MAX_ENTRIES:
        _local.clear()


def process_forget(*keys: str) -> None:
    for key in keys:
        _local.pop(key, None)


def process_forget_all() -> None:
    _local.clear()


def cached(key: str, compute, timeout: int, *, local_seconds: float = 0):
    """`compute()`, kept in the default cache under `key` for `timeout` seconds.

    With `local_seconds`, the process also keeps its own copy that long (see
    process_memo), which spares the round trip and the unpickling on the
    hottest reads. None is never cached. The cache is an optimisation: when
    it fails, the value is computed as if it were empty."""
    from django.core.cache import cache

    def shared():
        try:
            value = cache.get(key)
        except Exception:  # noqa: BLE001
            value = None
        if value is None:
            value = compute()
            if value is not None:
                try:
                    cache.set(key, value, timeout)
                except Exception:  # noqa: BLE001
                    pass
        return value

    if local_seconds:
        return process_memo(cache.make_key(key), shared, local_seconds)
    return shared()


def forget(*keys: str) -> None:
    """Drop cached entries now (for reads later in this transaction) and again
    once the current transaction commits (another request reading in between
    would have cached the state before the change). Other processes' local
    copies (see `cached`) expire on their own."""
    from django.core.cache import cache
    from django.db import transaction

    keys = [key for key in keys if key]
    if not keys:
        return

    def delete():
        process_forget(*(cache.make_key(key) for key in keys))
        try:
            cache.delete_many(keys)
        except Exception:  # noqa: BLE001 - an entry left behind expires on its own
            pass

    delete()
    transaction.on_commit(delete, robust=True)
