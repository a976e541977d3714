"""WebSocket consumers: authorize, join groups, send the snapshot, relay events.

/ws/halls/{code}/display/  public, read-only; what a lobby wall shows.
/ws/tickets/{token}/       the holder of a ticket follows it.
"""

from bisect import bisect_left

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from halls.models import Outlet

from . import events
from .models import Ticket
from .selectors import queue_snapshot, ticket_live_state

CLOSE_NOT_FOUND = 4404


class HallDisplayConsumer(AsyncJsonWebsocketConsumer):
    """Sends a snapshot, then every display event of the hall. Numbers,
    counters and counts only: nothing personal ever goes out here."""

    async def connect(self):
        code = self.scope["url_route"]["kwargs"]["code"]
        outlet = await database_sync_to_async(
            lambda: Outlet.objects.filter(code=code, is_active=True, has_queue=True).first()
        )()
        if outlet is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.group = events.hall_display_group(outlet.code)
        # Join before taking the snapshot, so no event falls between the two;
        # the client drops events whose seq the snapshot already covers.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        snapshot = await database_sync_to_async(queue_snapshot)(outlet=outlet)
        await self.send_json({"type": "snapshot", **snapshot})

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        # Read-only: a display may ping to keep the connection alive.
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def relay(self, event):
        await self.send_json(event)

    ticket_called = relay
    queue_changed = relay
    counter_changed = relay
    alert = relay


class TicketConsumer(AsyncJsonWebsocketConsumer):
    """The ticket's state on connect and after every change that touches it,
    including its place in line moving as others are called."""

    async def connect(self):
        token = self.scope["url_route"]["kwargs"]["token"]
        ticket = await database_sync_to_async(
            lambda: Ticket.objects.select_related("outlet").filter(token=token).first()
        )()
        if ticket is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.ticket_id = ticket.pk
        self.groups_joined = [events.ticket_group(token), events.hall_tickets_group(ticket.outlet.code)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        self.last = await database_sync_to_async(ticket_live_state)(ticket_id=ticket.pk)
        await self.send_json(self.last)

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ping":
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
        line = {"position": event["positions"][index], "estimated_wait_seconds": event["waits"][index]}
        if (line["position"], line["estimated_wait_seconds"]) == (
            self.last.get("position"), self.last.get("estimated_wait_seconds")
        ):
            return
        self.last = {**self.last, **line}
        await self.send_json(self.last)
