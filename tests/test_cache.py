"""The shared cache: one Redis connection pool per process, and counters in one round trip."""

import uuid

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache

from config.cache import SharedPoolRedisCache, cache_counter_next


@pytest.fixture
def redis_cache():
    cache = caches.create_connection("default")
    if not isinstance(cache, SharedPoolRedisCache):
        pytest.skip("Needs REDIS_URL: the shared-pool Redis cache is what is under test.")
    return cache


def test_cache_handles_of_different_requests_share_one_connection_pool(redis_cache):
    other = caches.create_connection("default")

    assert other is not redis_cache
    pool = redis_cache._cache.get_client(write=True).connection_pool
    assert other._cache.get_client(write=True).connection_pool is pool


def test_a_counter_on_redis_starts_at_one_and_rises_by_one_without_expiry(redis_cache):
    key = f"test-counter-{uuid.uuid4().hex}"

    values = [cache_counter_next(redis_cache, key) for _ in range(3)]

    assert values == [1, 2, 3]
    assert redis_cache.get(key) == 3
    client = redis_cache._cache.get_client(write=True)
    assert client.ttl(redis_cache.make_key(key)) == -1  # no expiry
    redis_cache.delete(key)


def test_a_counter_on_another_cache_counts_the_same_way():
    cache = LocMemCache(f"test-{uuid.uuid4().hex}", {})

    values = [cache_counter_next(cache, "hall-seq:X") for _ in range(3)]

    assert values == [1, 2, 3]
