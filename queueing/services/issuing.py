"""Who may take which ticket: the issuing policy of the ticket API.

- Staff of the hall (a signed-in user who may act on it) take any channel and
  priority.
- A device of the hall that signs its requests (a kiosk, config.auth.HallDevice)
  takes tickets of its own channel, normal or care, at its own hall only.
- Anyone else takes only a mobile ticket with a phone number and normal
  priority, at most QUEUE_ANON_ISSUE_LIMIT per client address in
  QUEUE_ANON_ISSUE_WINDOW_SECONDS.
"""

from django.conf import settings

from config.api import Forbidden
from config.auth import HallDevice
from config.ratelimit import rate_limit_hit
from halls.models import Outlet
from halls.roles import user_can_act_on

from ..models import Channel, Priority

DEVICE_PRIORITIES = (Priority.NORMAL, Priority.CARE)


def ticket_issue_allowed(*, outlet: Outlet, user, device: HallDevice | None, client: str, channel: str,
                         priority: str, phone: str) -> None:
    """Raises Forbidden (403) when this issuer may not take this ticket here,
    RateLimited (429) when an anonymous client has taken too many. Counts the
    anonymous client's use of its window."""
    if user is not None and user.is_authenticated:
        if not user_can_act_on(user, outlet):
            raise Forbidden("您不属于该营业厅 / You are not staff of this hall.")
        return
    if device is not None:
        if device.outlet_id != outlet.pk:
            raise Forbidden("该取号机不属于此营业厅 / This kiosk belongs to another hall.")
        if channel != device.ticket_channel or priority not in DEVICE_PRIORITIES:
            raise Forbidden("取号机只能取普通号或爱心号 / A kiosk takes kiosk tickets of normal or care priority only.")
        return
    if channel != Channel.MOBILE or not phone or priority != Priority.NORMAL:
        raise Forbidden(
            "无需登录时只能用手机号取普通号 / Without signing in, only a mobile ticket with a phone "
            "number and normal priority can be taken."
        )
    rate_limit_hit(
        scope="ticket-issue",
        key=client,
        limit=settings.QUEUE_ANON_ISSUE_LIMIT,
        window_seconds=settings.QUEUE_ANON_ISSUE_WINDOW_SECONDS,
        message="取号过于频繁，请稍后再试 / Too many tickets from this address; please try again later.",
    )
