"""The Redis channel layer the live floor runs on."""

import uuid

import pytest
from django.conf import settings

from config.channel_layer import SharedDecodeChannelLayer

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="Needs Redis (REDIS_URL).")


@pytest.fixture
def layer():
    return SharedDecodeChannelLayer(hosts=[settings.REDIS_URL], prefix=f"test-{uuid.uuid4().hex}")


async def test_every_consumer_of_a_group_gets_the_message(layer):
    first, second = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("hall-X.tickets", first)
    await layer.group_add("hall-X.tickets", second)

    await layer.group_send("hall-X.tickets", {"type": "positions.changed", "ids": [1, 2], "positions": [1, 2]})

    received = [await layer.receive(first), await layer.receive(second)]
    await layer.flush()
    assert received == [{"type": "positions.changed", "ids": [1, 2], "positions": [1, 2]}] * 2


async def test_a_group_message_is_decoded_once_per_process(layer, monkeypatch):
    channels = [await layer.new_channel() for _ in range(5)]
    for channel in channels:
        await layer.group_add("hall-X.tickets", channel)
    decodes = []
    original = layer._serializer.deserialize
    monkeypatch.setattr(layer._serializer, "deserialize", lambda data: decodes.append(1) or original(data))

    await layer.group_send("hall-X.tickets", {"type": "positions.changed", "ids": [7]})
    for channel in channels:
        await layer.receive(channel)

    await layer.flush()
    assert len(decodes) == 1
