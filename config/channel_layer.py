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


class RedisWatch:
    """Notices, for the consumers of one event loop, when the channel layer's
    Redis comes back or has started again (its run_id changes), and calls
    them back a moment later, once the layer has subscribed again: the
    events published meanwhile are lost, so what a screen shows must be
    taken afresh. One INFO a second per server process, while it has
    consumers that watch."""

    INTERVAL_SECONDS = 1.0
    # channels_redis's subscriber retries about once a second.
    RESUBSCRIBED_AFTER_SECONDS = 1.5

    def __init__(self, url: str):
        self.url = url
        self.callbacks: set = set()
        self.task: asyncio.Task | None = None

    def add(self, callback) -> None:
        self.callbacks.add(callback)
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self._watch())

    def discard(self, callback) -> None:
        self.callbacks.discard(callback)
        if not self.callbacks and self.task is not None:
            self.task.cancel()
            self.task = None

    async def _run_id(self, client) -> str:
        try:
            return str((await client.info("server"))["run_id"])
        except Exception:  # noqa: BLE001 - away
            return ""

    async def _watch(self) -> None:
        from redis import asyncio as aioredis

        client = aioredis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=1)
        try:
            known = await self._run_id(client)
            while self.callbacks:
                await asyncio.sleep(self.INTERVAL_SECONDS)
                run_id = await self._run_id(client)
                if run_id and run_id != known:
                    logger.info("Channel layer's Redis is back: screens take a fresh snapshot")
                    await asyncio.sleep(self.RESUBSCRIBED_AFTER_SECONDS)
                    for callback in list(self.callbacks):
                        asyncio.ensure_future(callback())
                known = run_id
        finally:
            await client.aclose()


_watches = {}


def watch_redis(layer, callback) -> None:
    """Call `callback()` (a coroutine function) whenever a Redis behind
    `layer` (any of its shards) comes back after an outage or a restart.
    No-op for layers without Redis (the in-process layer of a run without
    REDIS_URL)."""
    hosts = getattr(layer, "_kwargs", {}).get("hosts") or []
    loop = asyncio.get_running_loop()
    for host in hosts:
        url = host if isinstance(host, str) else host.get("address")
        watch = _watches.get((loop, url))
        if watch is None:
            if len(_watches) > 16:  # loops of tests come and go
                for stale in [k for k in _watches if k[0].is_closed()]:
                    del _watches[stale]
            watch = _watches[(loop, url)] = RedisWatch(url)
        watch.add(callback)


def unwatch_redis(callback) -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    for (watch_loop, _), watch in list(_watches.items()):
        if watch_loop is loop:
            watch.discard(callback)
