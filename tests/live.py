"""Listening to the real channel layer from a synchronous test.

A GroupListener subscribes one channel to some groups, on an event loop of
its own in a background thread, and keeps every message it receives; the
test then waits for what it expects (with a deadline, never a fixed sleep)."""

import asyncio
import threading
import time
import uuid

from channels.layers import get_channel_layer

PROBE = "listener.probe"


class GroupListener:
    def __init__(self, *groups: str):
        self.groups = groups
        self.messages: list[dict] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._probe = f"probe-{uuid.uuid4().hex}"
        self._thread = threading.Thread(target=self._run, name="group-listener", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError(f"listener did not subscribe: {self._error!r}")

    def _run(self):
        with asyncio.Runner() as runner:
            try:
                runner.run(self._listen())
            except BaseException as exc:  # noqa: BLE001 - reported to the test
                self._error = exc
                self._ready.set()

    async def _listen(self):
        layer = get_channel_layer()
        channel = await layer.new_channel()
        for group in self.groups:
            await layer.group_add(group, channel)
        confirmed = set()

        async def pump():
            # One receive that is never cancelled until the end: a cancelled
            # receive makes the Redis layer drop the channel (and what
            # arrives for it until the next receive).
            while True:
                message = await layer.receive(channel)
                if message.get("type") == PROBE:
                    if message.get("probe") == self._probe:
                        confirmed.add(message["group"])
                    continue
                with self._lock:
                    self.messages.append(message)

        pumping = asyncio.ensure_future(pump())
        try:
            # A subscription is live once a message sent after it comes back.
            while confirmed != set(self.groups):
                for group in set(self.groups) - confirmed:
                    await layer.group_send(group, {"type": PROBE, "probe": self._probe, "group": group})
                await asyncio.sleep(0.2)
            self._ready.set()
            while not self._stop.is_set():
                await asyncio.sleep(0.05)
        finally:
            pumping.cancel()
            for group in self.groups:
                await layer.group_discard(group, channel)

    def close(self):
        self._stop.set()
        self._thread.join(10)

    # --- What the test reads ---------------------------------------------------------

    def received(self) -> list[dict]:
        with self._lock:
            return list(self.messages)

    def types(self) -> list[str]:
        return [m["type"] for m in self.received()]

    def wait_for(self, predicate, seconds: float = 5.0) -> list[dict]:
        """The messages so far once `predicate(messages)` holds; AssertionError after `seconds`."""
        deadline = time.monotonic() + seconds
        while True:
            messages = self.received()
            if predicate(messages):
                return messages
            if time.monotonic() > deadline:
                raise AssertionError(f"not received within {seconds} s; got {[m['type'] for m in messages]}")
            time.sleep(0.01)

    def settle(self, quiet: float = 0.3, seconds: float = 5.0) -> list[dict]:
        """The messages once none has come for `quiet` seconds."""
        deadline = time.monotonic() + seconds
        count, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            now_count = len(self.received())
            if now_count != count:
                count, since = now_count, time.monotonic()
            elif time.monotonic() - since >= quiet:
                break
            time.sleep(0.02)
        return self.received()
