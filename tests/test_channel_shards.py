"""The channel layer sharded over several Redis servers (REDIS_CHANNEL_URLS):
each group lives on one server, by a hash of its name, and its messages reach
every consumer of it whichever server that is. Two real Redis servers here."""

import sys
import uuid

import pytest
from redis import asyncio as aioredis

from config import embedded_redis
from config.channel_layer import SharedDecodeChannelLayer
from tests.test_settings import run


@pytest.fixture
def two_redis():
    servers = [embedded_redis.start(), embedded_redis.start()]
    yield [url for _, url in servers]
    for process, _ in servers:
        embedded_redis.stop(process)


def groups_on_each_shard(layer, count: int) -> list[str]:
    """A hall display group whose channel lives on each of the layer's shards, in shard order."""
    inner = layer._get_layer()
    found = {}
    for n in range(1000):
        group = f"hall-H{n:04d}.display"
        index = inner._shards.index(inner._get_shard(inner._get_group_channel_name(group)))
        found.setdefault(index, group)
        if len(found) == count:
            return [found[i] for i in range(count)]
    raise AssertionError("no group found for some shard")


async def subscribed_channels(url: str) -> list[bytes]:
    client = aioredis.Redis.from_url(url)
    try:
        return await client.pubsub_channels()
    finally:
        await client.aclose()


async def test_group_messages_reach_their_consumers_on_both_shards(two_redis):
    layer = SharedDecodeChannelLayer(hosts=two_redis, prefix=f"shards-{uuid.uuid4().hex[:8]}")
    groups = groups_on_each_shard(layer, 2)
    consumers = {group: [await layer.new_channel(), await layer.new_channel()] for group in groups}
    for group, channels in consumers.items():
        for channel in channels:
            await layer.group_add(group, channel)

    for group in groups:
        await layer.group_send(group, {"type": "ticket.called", "group": group})
    received = {group: [(await layer.receive(channel))["group"] for channel in channels]
                for group, channels in consumers.items()}
    on_each_server = [await subscribed_channels(url) for url in two_redis]

    await layer.flush()
    assert received == {group: [group, group] for group in groups}
    # Each server carries the group that hashes to it, and not the other.
    inner_names = [layer._get_layer()._get_group_channel_name(group).encode() for group in groups]
    assert [name in subscribed for name, subscribed in zip(inner_names, on_each_server, strict=True)] == [True, True]
    assert inner_names[1] not in on_each_server[0] and inner_names[0] not in on_each_server[1]


def test_redis_channel_urls_make_one_shard_of_each():
    result = run([sys.executable, "-c", "from django.conf import settings; import django; django.setup(); "
                  "print(settings.CHANNEL_LAYERS['default']['CONFIG']['hosts'])"],
                 DEBUG="true", DJANGO_SETTINGS_MODULE="config.settings", REDIS_URL="redis://cache:6379/0",
                 REDIS_CHANNEL_URLS="redis://live-1:6379/0,redis://live-2:6379/0")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['redis://live-1:6379/0', 'redis://live-2:6379/0']"


def test_the_channel_layer_defaults_to_redis_url():
    result = run([sys.executable, "-c", "from django.conf import settings; import django; django.setup(); "
                  "print(settings.CHANNEL_LAYERS['default']['CONFIG']['hosts'])"],
                 DEBUG="true", DJANGO_SETTINGS_MODULE="config.settings", REDIS_URL="redis://cache:6379/0")

    assert result.stdout.strip() == "['redis://cache:6379/0']"


