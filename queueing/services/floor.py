"""What a hall manager changes on the floor while the day runs: the line on
the wall displays, a counter's services and work profile, a request to the agents to open a
counter, customers pointed to a nearby hall. Each takes effect at once (the
displays, the consoles, the phone pages and the routing follow)."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from config.api import DomainError, InvalidInput
from halls.errors import UnknownService
from halls.models import (
    MAX_SERVICE_WEIGHT,
    Counter,
    CounterService,
    CounterState,
    HallService,
    Outlet,
    RoutingProfile,
    Service,
)

from .. import events, refresh
from ..models import CounterEvent, CounterEventKind, CounterRequest, CounterRequestAnswer, HallDiversion, HallNotice
from ..selectors import hall_routing_forget
from .counters import lock_counter

NOTICE_LEVELS = ("notice", "warning", "critical")


class NotPossibleNow(DomainError):
    """The floor has changed: what was asked for no longer applies."""

    code = "not_possible"
    message = "情况已变化，此操作已不可行 / The floor has changed; this can no longer be done."
    status = 409


# --- The line on the wall displays ---------------------------------------------------


def hall_notice_set(*, outlet: Outlet, level: str, message: str, actor=None, source: str = "",
                    now: datetime | None = None) -> HallNotice:
    """Show `message` to the hall's customers on its wall displays (the
    snapshot's and the `alert` event's line), replacing any other."""
    if level not in NOTICE_LEVELS:
        raise ValueError(f"level must be one of {NOTICE_LEVELS}")
    now = now or timezone.now()
    with transaction.atomic():
        notice, _ = HallNotice.objects.update_or_create(
            outlet=outlet,
            defaults={"level": level, "message": message[:200], "set_at": now, "source": source,
                      "set_by": actor if actor is not None and actor.is_authenticated else None},
        )
        events.broadcast_alert_on_commit(outlet_code=outlet.code, level=level, message=notice.message)
    return notice


def hall_notice_clear(*, outlet: Outlet, source: str | None = None) -> bool:
    """Take the line off the wall displays (only if `source` set it, when
    given). Returns whether there was one."""
    with transaction.atomic():
        notices = HallNotice.objects.filter(outlet=outlet)
        if source is not None:
            notices = notices.filter(source=source)
        cleared = notices.delete()[0] > 0
        if cleared:
            events.broadcast_alert_on_commit(outlet_code=outlet.code, level=None, message="")
    return cleared


# --- A counter's services ------------------------------------------------------------


def counter_service_add(*, counter_id: int, service: Service, actor, now: datetime | None = None) -> Counter:
    """The counter serves `service` too, from its next call (last in its list).
    Raises NotPossibleNow when it is closed, or already serves it, or its
    hall does not offer the service."""
    with transaction.atomic():
        counter = lock_counter(counter_id)
        if counter.state == CounterState.CLOSED:
            raise NotPossibleNow("窗口已关闭 / The counter is closed.")
        if not counter.outlet.hall_services.filter(service=service, is_active=True).exists():
            raise NotPossibleNow("本厅不办理该业务 / The hall does not offer this service.")
        if CounterService.objects.filter(counter=counter, service=service).exists():
            raise NotPossibleNow("该窗口已办理此业务 / The counter already serves this service.")
        last = counter.counter_services.order_by("-position").values_list("position", flat=True).first()
        CounterService.objects.create(counter=counter, service=service, position=(last or 0) + 1)
        # Nobody's place moves until the next call, but every estimate does.
        refresh.refresh_hall_on_commit(counter.outlet_id, counter.outlet.code, counts=True, positions=True)
    return counter


# --- Asking the agents to open a counter ------------------------------------------------


def counter_request_create(*, counter: Counter, actor, service: Service | None = None, message: str = "",
                           now: datetime | None = None) -> CounterRequest:
    """Ask the hall's agents to open `counter` (their consoles show it until
    one answers). Raises NotPossibleNow when it is already open or asked for."""
    now = now or timezone.now()
    if counter.state != CounterState.CLOSED:
        raise NotPossibleNow("窗口已开启 / The counter is already open.")
    try:
        with transaction.atomic():
            request = CounterRequest.objects.create(
                outlet_id=counter.outlet_id, counter=counter, service=service, message=message[:200],
                requested_by=actor if actor is not None and actor.is_authenticated else None, created_at=now,
            )
            events.broadcast_counter_request_on_commit(outlet_code=counter.outlet.code, request_id=request.pk)
    except IntegrityError:
        raise NotPossibleNow("已请求开启此窗口 / Opening this counter has already been asked for.") from None
    return request


def counter_request_answer(*, request_id: int, agent, accept: bool, now: datetime | None = None) -> CounterRequest:
    """An agent of the hall answers a request: accepting it opens the counter
    with them signed in to it. Raises NotPossibleNow when it was answered."""
    from .counters import counter_open

    now = now or timezone.now()
    with transaction.atomic():
        request = CounterRequest.objects.select_for_update().select_related("counter", "outlet").get(pk=request_id)
        if request.answered_at is not None:
            raise NotPossibleNow("已有同事答复了此请求 / A colleague has already answered this request.")
        if accept:
            counter_open(counter_id=request.counter_id, user=agent, now=now)
            if request.service_id and not request.counter.counter_services.filter(service_id=request.service_id):
                counter_service_add(counter_id=request.counter_id, service=request.service, actor=agent, now=now)
        request.answer = CounterRequestAnswer.ACCEPTED if accept else CounterRequestAnswer.DECLINED
        request.answered_by = agent
        request.answered_at = now
        request.save(update_fields=["answer", "answered_by", "answered_at"])
        events.broadcast_counter_request_on_commit(outlet_code=request.outlet.code, request_id=request.pk)
    return request


# --- Pointing customers to a nearby hall -------------------------------------------------


def hall_diversion_start(*, outlet: Outlet, to_outlet: Outlet, service: Service | None = None, actor=None,
                         now: datetime | None = None) -> HallDiversion:
    """Customers about to take a remote ticket (for `service`, or any) at
    `outlet` are offered `to_outlet` instead. Raises NotPossibleNow when such
    a diversion is already on or the hall is the same."""
    if to_outlet.pk == outlet.pk or not to_outlet.has_queue or not to_outlet.is_active:
        raise NotPossibleNow("请选择另一家排队营业厅 / Choose another hall with a queue.")
    try:
        with transaction.atomic():
            return HallDiversion.objects.create(
                outlet=outlet, to_outlet=to_outlet, service=service, started_at=now or timezone.now(),
                started_by=actor if actor is not None and actor.is_authenticated else None,
            )
    except IntegrityError:
        raise NotPossibleNow("已在分流 / Customers are already pointed to another hall.") from None


def hall_diversion_end(*, outlet: Outlet, service: Service | None = None, now: datetime | None = None) -> int:
    """End the hall's active diversions (for `service`, or all)."""
    diversions = HallDiversion.objects.filter(outlet=outlet, ended_at__isnull=True)
    if service is not None:
        diversions = diversions.filter(service=service)
    return diversions.update(ended_at=now or timezone.now())


# --- A counter's work profile ----------------------------------------------------------


def counter_profile_set(*, counter_id: int, profile: str, services: list[dict] | None = None, actor,
                        now: datetime | None = None) -> Counter:
    """The counter calls by `profile` (halls.models.RoutingProfile) from its
    next call. `services`, when given, become its services: [{"service":
    code, "position": n, "weight": n}] (position and weight optional: the
    list's order and 1), replacing its list. Everyone's place and wait are
    played again at once. Raises InvalidInput (400) on an unknown profile, an
    empty or repeated list, a weight out of range; UnknownService (400) for a
    service the hall does not offer."""
    now = now or timezone.now()
    if profile not in RoutingProfile.values:
        raise InvalidInput(fields={"profile": [f"Choose one of {', '.join(RoutingProfile.values)}."]})
    with transaction.atomic():
        counter = lock_counter(counter_id)
        if services is not None:
            _counter_services_replace(counter, services)
        from_profile = counter.profile
        counter.profile = profile
        counter.save(update_fields=["profile"])
        CounterEvent.objects.create(
            counter=counter, outlet_id=counter.outlet_id, kind=CounterEventKind.PROFILE, from_state=counter.state,
            to_state=counter.state, reason=profile, at=now,
            actor=actor if actor is not None and actor.is_authenticated else None,
        )
        hall_routing_forget(counter.outlet_id)
        refresh.refresh_hall_on_commit(counter.outlet_id, counter.outlet.code, counts=True,
                                       positions=True)
        if from_profile != profile or services is not None:
            events.broadcast_counter_changed_on_commit(
                outlet_code=counter.outlet.code, counter_number=counter.number, counter_name=counter.label,
                state=counter.state, reason=counter.pause_reason,
            )
    return counter


def _counter_services_replace(counter: Counter, services: list[dict]) -> None:
    if not services:
        raise InvalidInput(fields={"services": ["窗口至少办理一项业务 / A counter serves at least one service."]})
    codes = [item["service"] for item in services]
    if len(set(codes)) != len(codes):
        raise InvalidInput(fields={"services": ["业务重复 / A service is listed twice."]})
    offered = dict(HallService.objects.filter(outlet_id=counter.outlet_id, service__code__in=codes)
                   .values_list("service__code", "service_id"))
    unknown = [code for code in codes if code not in offered]
    if unknown:
        raise UnknownService(fields={"services": [f"Unknown service: {code}" for code in unknown]})
    wanted = {}
    for index, item in enumerate(services):
        weight = item.get("weight", 1)
        if not 1 <= weight <= MAX_SERVICE_WEIGHT:
            raise InvalidInput(fields={"services": [f"权重须在 1-{MAX_SERVICE_WEIGHT} 之间 / A weight is 1 to "
                                                    f"{MAX_SERVICE_WEIGHT}."]})
        wanted[offered[item["service"]]] = (item.get("position", index), weight)
    existing = {cs.service_id: cs for cs in counter.counter_services.all()}
    CounterService.objects.filter(counter=counter).exclude(service_id__in=list(wanted)).delete()
    for service_id, (position, weight) in wanted.items():
        row = existing.get(service_id)
        if row is None:
            CounterService.objects.create(counter=counter, service_id=service_id, position=position, weight=weight)
        elif (row.position, row.weight) != (position, weight):
            row.position, row.weight = position, weight
            row.save(update_fields=["position", "weight"])
