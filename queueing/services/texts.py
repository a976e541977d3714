"""Texts to ticket holders: "almost your turn" once near the front, and the
notice that the day has closed on a ticket. ("Your turn, counter N" is
queued with the call itself, in calls.py.) Every text goes through the SMS
outbox, deduplicated by a key, so a repeated run never texts twice."""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import OuterRef, Subquery

from config.tasks import enqueue
from sms.services import sms_queue

from ..models import Ticket, TicketEvent, TicketEventKind, TicketStatus
from ..selectors import hall_waiting_positions

logger = logging.getLogger(__name__)

NEAR_TURN_TASK = "queueing.tasks.texts_near_turn"
# A near-turn check asked for while one is already queued for the hall joins it.
NEAR_TURN_QUEUED_SECONDS = 10


def _near_turn_key(outlet_id: int) -> str:
    return f"near-turn-queued:{outlet_id}"


def texts_near_turn_on_commit(outlet_id: int) -> None:
    """After commit, queue one near-turn check of the whole hall (not one per
    ticket): the task reads the line as it is then and texts each newly near
    ticket once. Call it after any change that can bring a waiting ticket
    nearer: a call, a ticket leaving the line, a ticket with a phone taken, a
    counter that opens or resumes. While a check of the hall is queued and
    not yet started, others join it; the task clears the mark as it starts,
    so a change during a check queues the next one."""

    def queue():
        try:
            fresh = cache.add(_near_turn_key(outlet_id), 1, timeout=NEAR_TURN_QUEUED_SECONDS)
        except Exception:  # noqa: BLE001 - without the shared cache, queue it anyway
            fresh = True
        if fresh:
            enqueue(NEAR_TURN_TASK, outlet_id)

    transaction.on_commit(queue, robust=True)


def texts_near_turn_started(outlet_id: int) -> None:
    """The task has started: the next change queues another check."""
    try:
        cache.delete(_near_turn_key(outlet_id))
    except Exception:  # noqa: BLE001
        pass


def texts_near_turn_send(*, outlet_id: int) -> int:
    """Queue "almost your turn" for waiting tickets with a phone that are
    QUEUE_NEAR_TURN_POSITION places from the front or less, or whose estimated
    wait is under QUEUE_NEAR_TURN_SECONDS. Once per ticket and wait. Returns
    how many were queued."""
    lines = hall_waiting_positions(outlet_id=outlet_id)
    near = [
        ticket_id for ticket_id, line in lines.items()
        if line["position"] <= settings.QUEUE_NEAR_TURN_POSITION
        or line["estimated_wait_seconds"] < settings.QUEUE_NEAR_TURN_SECONDS
    ]
    if not near:
        return 0
    # The event that began the current wait (issue, or the last transfer) names
    # the wait in the dedupe key: a repeated run never texts a wait twice, and
    # a transferred ticket waiting again is texted again.
    wait_began = (
        TicketEvent.objects.filter(
            ticket=OuterRef("pk"), kind__in=[TicketEventKind.ISSUED, TicketEventKind.TRANSFERRED]
        ).order_by("-id").values("id")[:1]
    )
    sent = 0
    tickets = (
        Ticket.objects.filter(pk__in=near, status=TicketStatus.WAITING).exclude(phone="")
        .annotate(wait_event_id=Subquery(wait_began)).select_related("outlet")
    )
    for ticket in tickets:
        line = lines[ticket.pk]
        minutes = max(1, round(line["estimated_wait_seconds"] / 60))
        message = sms_queue(
            to=ticket.phone,
            text=(
                f"【营业厅排队】您在{ticket.outlet.name}的 {ticket.number} 号前面还有 {line['position'] - 1} 位，"
                f"预计约 {minutes} 分钟，请留意叫号。"
                # A phone ticket is called only once its holder has checked in.
                + ("到店后请在取号机或扫码签到。" if ticket.awaiting_arrival else "")
            ),
            purpose="ticket_near_turn",
            dedupe_key=f"ticket-{ticket.pk}-near-{ticket.wait_event_id}",
        )
        sent += message is not None
    return sent


def text_day_closed(ticket: Ticket, *, hall_name: str) -> None:
    """Tell the holder that the day closed before their ticket was served
    (in the caller's transaction, through the outbox)."""
    if not ticket.phone:
        return
    sms_queue(
        to=ticket.phone,
        text=(
            f"【营业厅排队】{hall_name}今日营业已结束，您的 {ticket.number} 号未能办理，已自动取消。"
            "欢迎下次光临，也可提前在手机上取号。"
        ),
        purpose="ticket_day_closed",
        dedupe_key=f"ticket-{ticket.pk}-day-closed",
    )
