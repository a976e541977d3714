"""The Redis channel layer, decoding each group message once per process."""

from collections import OrderedDict

from channels_redis.pubsub import RedisPubSubChannelLayer

RECENT_MESSAGES = 64


class SharedDecodeChannelLayer(RedisPubSubChannelLayer):
    """A group message reaches every consumer of the group in this process as
    the same bytes object. Decoding it once instead of once per consumer is
    what keeps a hall with a thousand customers following their tickets cheap:
    every call sends all of them one positions message.

    Consumers get a shallow copy; they must not change nested values."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._recent = OrderedDict()

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
