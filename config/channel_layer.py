"""The Redis channel layer, decoding each group message once per process,
and letting a socket open while Redis is away."""

import asyncio
import logging
import time
import uuid
from collections import OrderedDict

from channels_redis.pubsub import RedisPubSubChannelLayer

logger = logging.getLogger(__name__)

RECENT_MESSAGES = 64
WARN_EVERY_SECONDS = 60
SUBSCRIBE_TIMEOUT_SECONDS = 1.0


class SharedDecodeChannelLayer(RedisPubSubChannelLayer):
    """A group message reaches every consumer of the group in this process as
    the same bytes object. Decoding it once instead of once per consumer is
    what keeps a hall with a thousand customers following their tickets cheap:
    every call sends all of them one positions message.

    Consumers get a shallow copy; they must not change nested values."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._recent = OrderedDict()
        self._warned_at = float("-inf")

    async def new_channel(self, prefix="specific."):
        """A channel for a consumer of this process. Its own subscription in
        Redis is only for messages sent to it by name (this product sends to
        groups): when Redis is away the channel is made anyway, so a socket
        still opens and gets its snapshot, and its groups are joined later
        (queueing.consumers). The subscriber reconnects and subscribes again
        by itself when Redis is back."""
        layer = self._get_layer()
        channel = f"{layer.prefix}{prefix}{uuid.uuid4().hex}"
        layer.channels[channel] = asyncio.Queue()
        try:
            await asyncio.wait_for(layer._get_shard(channel).subscribe(channel), SUBSCRIBE_TIMEOUT_SECONDS)
        except Exception:  # noqa: BLE001 - Redis away
            now = time.monotonic()
            if now - self._warned_at >= WARN_EVERY_SECONDS:
                self._warned_at = now
                logger.warning("Channel layer unavailable: sockets open without live events", exc_info=True)
        return channel

    def deserialize(self, message):
        key = id(message)
        hit = self._recent.get(key)
        # The cache holds a reference to the bytes, so their id cannot be reused meanwhile.
        if hit is not None and hit[0] is message:
            return dict(hit[1])
        decoded = super().deserialize(message)
        self._recent[key] = (message, decoded)
        if len(self._recent) > RECENT_MESSAGES:
            self._recent.popitem(last=False)
        return dict(decoded)
