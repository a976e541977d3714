"""/ws/halls/{code}/floor/: the hall's live floor, for its staff only
(signed in with the site's session, from a page of this site), read-only:
the floor as it is on connect, then after every evaluation of the hall."""

from channels.db import database_sync_to_async

from halls.models import Outlet
from halls.roles import user_reads
from queueing.consumers import GroupsConsumer

from .events import floor_watched, hall_floor_group, warning_payload
from .floor import floor_payload, hall_floor
from .models import PeakWarning

CLOSE_NOT_FOUND = 4404
CLOSE_FORBIDDEN = 4403


def _floor_now(outlet) -> dict:
    floor = hall_floor(outlet=outlet)
    warnings = (PeakWarning.objects.filter(outlet=outlet, ended_at__isnull=True)
                .select_related("service", "acknowledged_by").prefetch_related("suggestions"))
    return {"type": "floor", **floor_payload(floor), "warnings": [warning_payload(w) for w in warnings]}


class HallFloorConsumer(GroupsConsumer):
    socket_kind = "floor"

    async def connect(self):
        code = self.scope["url_route"]["kwargs"]["code"]
        user = self.scope.get("user")
        outlet = await database_sync_to_async(
            lambda: Outlet.objects.filter(code=code, is_active=True, has_queue=True).first()
        )()
        if outlet is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        allowed = user is not None and await database_sync_to_async(user_reads)(user, outlet)
        if not allowed:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.outlet = outlet
        self.live_groups = [hall_floor_group(outlet.code)]
        await self.join_groups()
        await self.accept()
        await database_sync_to_async(floor_watched)(outlet.pk)
        await self.send_json(await database_sync_to_async(_floor_now)(outlet))
        self.watch_for_redis()

    async def redis_back(self) -> None:
        await self.join_groups()
        await self.send_json(await database_sync_to_async(_floor_now)(self.outlet))

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.join_groups()
            await database_sync_to_async(floor_watched)(self.outlet.pk)
            await self.send_json({"type": "pong"})

    async def floor(self, event):
        await self.send_json(event)
