"""Counter states: open (sign in), pause, resume, close."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from halls.models import Counter, CounterState, PauseReason

from .. import events, refresh
from ..errors import CounterBusy, CounterInUse, CounterNotOpen, IllegalTransition, SignedInElsewhere
from ..models import ACTIVE_AT_COUNTER, CounterEvent, CounterEventKind, Ticket
from .days import close_stale_call_at
from .texts import texts_near_turn_on_commit


def lock_counter(counter_id: int) -> Counter:
    return Counter.objects.select_for_update(no_key=True).select_related("outlet").get(pk=counter_id)


def _counter_event(counter: Counter, *, kind, from_state, at, actor, reason="") -> None:
    CounterEvent.objects.create(
        counter=counter,
        outlet_id=counter.outlet_id,
        kind=kind,
        from_state=from_state,
        to_state=counter.state,
        reason=reason,
        actor=actor if actor is not None and actor.is_authenticated else None,
        at=at,
    )


def _set_counter_state(counter: Counter, *, state, kind, actor, now, reason="", user=None) -> None:
    from_state = counter.state
    counter.state = state
    counter.pause_reason = reason
    counter.signed_in_user = user
    counter.state_changed_at = now
    counter.save(update_fields=["state", "pause_reason", "signed_in_user", "state_changed_at"])
    _counter_event(counter, kind=kind, from_state=from_state, at=now, actor=actor, reason=reason)
    events.broadcast_counter_changed_on_commit(
        outlet_code=counter.outlet.code, counter_number=counter.number, counter_name=counter.label, state=state,
        reason=reason,
    )
    # Estimates follow the counters open; nobody's place moves.
    refresh.refresh_hall_on_commit(counter.outlet_id, counter.outlet.code, counts=True, positions=True)


def has_active_ticket(counter: Counter) -> bool:
    """Whether a ticket is called or being served at the counter (the caller
    has closed a called ticket of a day that is over: close_stale_call_at)."""
    return Ticket.objects.filter(counter=counter, status__in=ACTIVE_AT_COUNTER).exists()


def counter_open(*, counter_id: int, user, now: datetime | None = None) -> Counter:
    """Sign `user` in to the counter and open it. Opening a counter the same user
    already has open changes nothing. Raises CounterInUse, SignedInElsewhere."""
    now = now or timezone.now()
    with transaction.atomic():
        counter = lock_counter(counter_id)
        if counter.state != CounterState.CLOSED:
            if counter.signed_in_user_id == user.pk:
                return counter
            raise CounterInUse()
        elsewhere = Counter.objects.filter(signed_in_user=user).exclude(pk=counter.pk).first()
        if elsewhere is not None:
            raise SignedInElsewhere(
                f"您已登录 {elsewhere.outlet.code} {elsewhere.label}，请先关闭 / "
                f"You are signed in to {elsewhere.label}; close it first."
            )
        try:
            with transaction.atomic():
                _set_counter_state(
                    counter, state=CounterState.OPEN, kind=CounterEventKind.OPENED, actor=user, now=now, user=user
                )
        except IntegrityError:
            # The same agent opened another counter at the same instant.
            raise SignedInElsewhere() from None
        # One more counter shortens the waits: some tickets may now be near.
        texts_near_turn_on_commit(counter.outlet_id)
    return counter


def counter_close(*, counter_id: int, actor, now: datetime | None = None) -> Counter:
    """Close the counter and sign its agent out. Raises CounterBusy while a ticket is at it."""
    now = now or timezone.now()
    with transaction.atomic():
        counter = lock_counter(counter_id)
        if counter.state == CounterState.CLOSED:
            return counter
        close_stale_call_at(counter, now)
        if has_active_ticket(counter):
            raise CounterBusy()
        _set_counter_state(counter, state=CounterState.CLOSED, kind=CounterEventKind.CLOSED, actor=actor, now=now)
    return counter


def counter_pause(*, counter_id: int, actor, reason: str = PauseReason.BREAK, now: datetime | None = None) -> Counter:
    """Pause an open counter (break, meeting, back-office work)."""
    now = now or timezone.now()
    if reason not in PauseReason.values:
        raise IllegalTransition(f"Unknown pause reason: {reason}", code="validation_error", status=400,
                                fields={"reason": [f"Choose one of {', '.join(PauseReason.values)}."]})
    with transaction.atomic():
        counter = lock_counter(counter_id)
        if counter.state == CounterState.PAUSED and counter.pause_reason == reason:
            return counter
        if counter.state == CounterState.CLOSED:
            raise CounterNotOpen()
        close_stale_call_at(counter, now)
        if has_active_ticket(counter):
            raise CounterBusy()
        _set_counter_state(
            counter, state=CounterState.PAUSED, kind=CounterEventKind.PAUSED, actor=actor, now=now, reason=reason,
            user=counter.signed_in_user,
        )
    return counter


def counter_resume(*, counter_id: int, actor, now: datetime | None = None) -> Counter:
    now = now or timezone.now()
    with transaction.atomic():
        counter = lock_counter(counter_id)
        if counter.state == CounterState.OPEN:
            return counter
        if counter.state == CounterState.CLOSED:
            raise CounterNotOpen("窗口已关闭，请先开启 / The counter is closed; open it first.")
        _set_counter_state(
            counter, state=CounterState.OPEN, kind=CounterEventKind.RESUMED, actor=actor, now=now,
            user=counter.signed_in_user,
        )
        texts_near_turn_on_commit(counter.outlet_id)
    return counter


def broadcast_counter_freed(counter: Counter) -> None:
    """After commit, tell the screens that the counter's ticket has left it
    (finished, no-show, transferred), so its screen stops showing the number."""
    events.broadcast_counter_changed_on_commit(
        outlet_code=counter.outlet.code, counter_number=counter.number, counter_name=counter.label,
        state=counter.state, reason=counter.pause_reason,
    )
