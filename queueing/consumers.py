"""WebSocket consumers: authorize, join groups, send the snapshot, relay events.

/ws/halls/{code}/display/  public, read-only; what a lobby wall shows.
/ws/tickets/{token}/       the holder of a ticket follows it.

Redis (the channel layer) may be away: a socket still opens and gets its
snapshot from the database, and joins its groups again on every ping until
it can, so live events resume by themselves when Redis is back.
"""

import asyncio
import logging
from bisect import bisect_left

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from config.channel_layer import unwatch_redis, watch_redis
from config.metrics import socket_closed, socket_opened
from halls.models import Outlet

from . import events
from .models import Ticket
from .selectors import ticket_live_state

logger = logging.getLogger(__name__)

CLOSE_NOT_FOUND = 4404


# A group join that has not finished in this long is given up (Redis away:
# without a bound, a join can wait for as long as Redis is down).
JOIN_TIMEOUT_SECONDS = 1.0


class GroupsConsumer(AsyncJsonWebsocketConsumer):
    """Joins `self.live_groups`, tolerating a channel layer that is away."""

    live_groups: list[str] = []
    joined = False
    socket_kind = "other"  # the label of the open-sockets gauge
    counted = False

    async def accept(self, subprotocol=None, headers=None):
        await super().accept(subprotocol, headers)
        socket_opened(self.socket_kind)
        self.counted = True

    async def join_groups(self) -> bool:
        try:
            for group in self.live_groups:
                await asyncio.wait_for(self.channel_layer.group_add(group, self.channel_name), JOIN_TIMEOUT_SECONDS)
        except Exception:  # noqa: BLE001 - Redis away: snapshots still work, events resume on a later ping
            if self.joined or not getattr(self, "join_warned", False):
                logger.warning("Live events unavailable for %s (channel layer down)", self.live_groups, exc_info=True)
                self.join_warned = True
            self.joined = False
            return False
        self.joined = True
        return True

    def watch_for_redis(self) -> None:
        """When Redis comes back after an outage or a restart, join the groups
        again and send the client a fresh state (`redis_back`)."""
        watch_redis(self.channel_layer, self.redis_back)

    async def redis_back(self) -> None:
        await self.join_groups()

    async def disconnect(self, code):
        if self.counted:
            socket_closed(self.socket_kind)
            self.counted = False
        unwatch_redis(self.redis_back)
        for group in self.live_groups:
            try:
                await asyncio.wait_for(self.channel_layer.group_discard(group, self.channel_name),
                                       JOIN_TIMEOUT_SECONDS)
            except Exception:  # noqa: BLE001 - gone with Redis anyway
                pass


class HallDisplayConsumer(GroupsConsumer):
    """Sends a snapshot, then every display event of the hall. Numbers,
    counters and counts only: nothing personal ever goes out here.

    A ping is answered with the hall's current seq (null when unknown): a
    display whose last seq differs has missed something, or Redis has
    restarted, and takes a fresh snapshot."""

    socket_kind = "display"

    async def connect(self):
        code = self.scope["url_route"]["kwargs"]["code"]
        outlet = await database_sync_to_async(
            lambda: Outlet.objects.filter(code=code, is_active=True, has_queue=True).first()
        )()
        if outlet is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.code = outlet.code
        self.live_groups = [events.hall_display_group(outlet.code)]
        # Join before taking the snapshot, so no event falls between the two;
        # the client drops events whose seq the snapshot already covers.
        await self.join_groups()
        await self.accept()
        self.outlet = outlet
        await self.send_snapshot()
        self.watch_for_redis()

    async def send_snapshot(self) -> None:
        snapshot = await database_sync_to_async(events.hall_snapshot)(self.outlet)
        await self.send_json({"type": "snapshot", **snapshot})

    async def redis_back(self) -> None:
        # Events published while Redis was away are lost: start again from now.
        await self.join_groups()
        await self.send_snapshot()

    async def receive_json(self, content, **kwargs):
        # Read-only: a display may ping to keep the connection alive.
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.join_groups()
            seq = await sync_to_async(events.hall_seq_current)(self.code) if self.joined else None
            await self.send_json({"type": "pong", "seq": seq})

    async def relay(self, event):
        await self.send_json(event)

    ticket_called = relay
    queue_changed = relay
    counter_changed = relay
    counter_requested = relay
    alert = relay


class TicketConsumer(GroupsConsumer):
    """The ticket's state on connect and after every change that touches it,
    including its place in line moving as others are called."""

    socket_kind = "ticket"

    async def connect(self):
        token = self.scope["url_route"]["kwargs"]["token"]
        ticket = await database_sync_to_async(
            lambda: Ticket.objects.select_related("outlet").filter(token=token).first()
        )()
        if ticket is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.ticket_id = ticket.pk
        self.live_groups = [events.ticket_group(token), events.hall_tickets_group(ticket.outlet.code)]
        await self.join_groups()
        await self.accept()
        self.last = await database_sync_to_async(ticket_live_state)(ticket_id=ticket.pk)
        await self.send_json(self.last)
        self.watch_for_redis()

    async def redis_back(self) -> None:
        await self.join_groups()
        self.last = await database_sync_to_async(ticket_live_state)(ticket_id=self.ticket_id)
        await self.send_json(self.last)

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ping":
            if not self.joined and await self.join_groups():
                # Back after an outage: what changed meanwhile was not heard.
                self.last = await database_sync_to_async(ticket_live_state)(ticket_id=self.ticket_id)
                await self.send_json(self.last)
            await self.send_json({"type": "pong"})

    async def ticket(self, event):
        self.last = dict(event)
        await self.send_json(event)

    async def positions_changed(self, event):
        if self.last.get("status") != "waiting":
            return
        ids = event["ids"]  # sorted
        index = bisect_left(ids, self.ticket_id)
        if index == len(ids) or ids[index] != self.ticket_id:
            return  # no longer waiting: its own message says what happened
        line = {"position": event["positions"][index], "estimated_wait_seconds": event["waits"][index],
                "estimated_wait_range": [event["lows"][index], event["highs"][index]]}
        if (line["position"], line["estimated_wait_seconds"]) == (
            self.last.get("position"), self.last.get("estimated_wait_seconds")
        ):
            return
        self.last = {**self.last, **line}
        await self.send_json(self.last)
