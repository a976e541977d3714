"""What a manager can do about a warning, applied with one tap.

For a service whose line is too long:
- add the service to an open counter whose agent has the skill (its next
  calls take from the longer line);
- end a pause at a counter that serves it (or whose agent has the skill);
- ask the hall's agents to open a closed counter that serves it (their
  consoles show the request);
- for a service the kiosks also do (PLANNING_KIOSK_SERVICES): send its
  customers to the kiosks (the line on the wall displays);
- point remote customers to a nearby hall (PLANNING_NEARBY_KM) whose wait for
  the service is clearly shorter (the phone page and remote ticket taking
  offer it).
For a counter paused too long: end the pause.

Suggestions are worked out afresh at every evaluation: new possibilities are
added, those no longer possible withdrawn. Applying one checks it again and
answers 409 (NotPossibleNow) when the floor has moved on.
"""

import math
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from halls.models import Counter, CounterState, HallService, Outlet, Service
from queueing import services as queue_services
from queueing.selectors import service_estimates

from ..floor import HallFloor
from ..models import Suggestion, SuggestionKind, WarningKind

NotPossibleNow = queue_services.NotPossibleNow
LINE_KINDS = {WarningKind.WAIT, WarningKind.LONGEST_WAIT, WarningKind.ARRIVALS, WarningKind.PREDICTED}
# A nearby hall is suggested only when its wait is at most this share of ours.
NEARBY_WAIT_SHARE = 0.5
NEARBY_CANDIDATES = 5


# Degrees of latitude (and, loosely, longitude at these latitudes) per kilometre:
# a box around a hall rules most others out before any trigonometry.
DEGREES_PER_KM = 1 / 90


def _km(a, b) -> float:
    """Great-circle distance between two outlets with coordinates, km."""
    lat1, lng1, lat2, lng2 = map(math.radians, (float(a.lat), float(a.lng), float(b.lat), float(b.lng)))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(h))


class NearbyHalls:
    """Which halls are near which, and their waits, for one evaluation: the
    halls with a queue and coordinates, read once; a hall's waits from the
    floors being evaluated, else as the refresher last kept them."""

    def __init__(self, floors: dict | None = None):
        self.floors = floors or {}
        self._halls = None
        self._offers = None
        self._near = {}  # origin id -> [(hall, km)] within PLANNING_NEARBY_KM, nearest first

    def _load(self):
        if self._halls is None:
            self._halls = list(Outlet.objects.filter(has_queue=True, is_active=True, lat__isnull=False,
                                                     lng__isnull=False))
            self._offers = set(HallService.objects.filter(outlet__in=self._halls, is_active=True)
                               .values_list("outlet_id", "service_id"))

    def wait(self, outlet, service_id) -> int | None:
        floor = self.floors.get(outlet.pk)
        if floor is not None:
            service = floor.service(service_id)
            return service.estimated_wait_seconds if service else None
        estimate = service_estimates(outlet_id=outlet.pk, outlet_code=outlet.code).get(service_id)
        return estimate.seconds if estimate else None

    def shorter(self, outlet: Outlet, service_id: int, our_wait: int):
        """(hall, its wait, km) of a hall within PLANNING_NEARBY_KM whose wait for
        the service is at most NEARBY_WAIT_SHARE of ours, the shortest; or None."""
        if outlet.lat is None or outlet.lng is None or our_wait <= 0:
            return None
        self._load()
        if outlet.pk not in self._near:
            box = settings.PLANNING_NEARBY_KM * DEGREES_PER_KM
            lat, lng = float(outlet.lat), float(outlet.lng)
            self._near[outlet.pk] = sorted(
                ((o, km) for o in self._halls
                 if o.pk != outlet.pk and abs(float(o.lat) - lat) <= box and abs(float(o.lng) - lng) <= 1.3 * box
                 for km in (_km(outlet, o),) if km <= settings.PLANNING_NEARBY_KM),
                key=lambda pair: pair[1],
            )
        near = [(o, km) for o, km in self._near[outlet.pk] if (o.pk, service_id) in self._offers]
        best = None
        for other, km in near[:NEARBY_CANDIDATES]:
            wait = self.wait(other, service_id)
            if wait is None or wait > NEARBY_WAIT_SHARE * our_wait:
                continue
            if best is None or wait < best[1]:
                best = (other, wait, km)
        return best


def possible_suggestions(kind: str, subject: str, service_id: int | None, level: str, floor: HallFloor,
                         nearby: NearbyHalls) -> list[dict]:
    """What could be done about a warning on this floor: [{kind, text, params}]."""
    found = []
    if kind == WarningKind.LONG_PAUSE:
        counter_id = int(subject.split(":")[1])
        c = next((c for c in floor.counters if c.counter_id == counter_id), None)
        if c is not None and c.state == CounterState.PAUSED:
            found.append({"kind": SuggestionKind.END_PAUSE, "params": {"counter": c.counter_id},
                          "text": f"结束{c.label}的暂停 / End the pause at counter {c.number}"})
        return found
    if kind not in LINE_KINDS or service_id is None:
        return found
    service = floor.service(service_id)
    if service is None:
        return found
    sid = service.service_id
    for c in floor.counters:
        skilled = c.agent_id is not None and sid in floor.skills.get(c.agent_id, set())
        if c.state == CounterState.OPEN and sid not in c.services and skilled:
            found.append({"kind": SuggestionKind.ADD_SERVICE, "params": {"counter": c.counter_id, "service": sid},
                          "text": f"{c.label}（{c.agent}）加办{service.name} / Counter {c.number} ({c.agent}) "
                                  f"also serves {service.name_en}"})
        elif c.state == CounterState.PAUSED and (sid in c.services or skilled):
            found.append({"kind": SuggestionKind.END_PAUSE, "params": {"counter": c.counter_id},
                          "text": f"结束{c.label}的暂停 / End the pause at counter {c.number}"})
        elif c.state == CounterState.CLOSED and sid in c.services:
            found.append({"kind": SuggestionKind.OPEN_COUNTER, "params": {"counter": c.counter_id, "service": sid},
                          "text": f"请营业员开启{c.label}办理{service.name} / Ask an agent to open counter {c.number} "
                                  f"for {service.name_en}"})
    if service.code in settings.PLANNING_KIOSK_SERVICES:
        found.append({"kind": SuggestionKind.USE_KIOSKS, "params": {"service": sid},
                      "text": f"引导{service.name}顾客使用自助终端 / Send {service.name_en} customers to the kiosks"})
    # Sending customers elsewhere is for a line past its target, not a notice.
    if level != "notice":
        shorter = nearby.shorter(floor.outlet, sid, service.estimated_wait_seconds)
        if shorter is not None:
            hall, wait, km = shorter
            found.append({
                "kind": SuggestionKind.NEARBY_HALL, "params": {"service": sid, "to": hall.pk},
                "text": f"引导远程取号的顾客到{hall.name}（{km:.1f}公里，约等{math.ceil(wait / 60)}分钟）/ "
                        f"Point remote customers to {hall.name} ({km:.1f} km, about {math.ceil(wait / 60)} min)",
            })
    return found


def _key(kind, params) -> tuple:
    return kind, tuple(sorted(params.items()))


def suggestions_diff(open_suggestions, possible: list[dict]) -> tuple[list, list, list]:
    """(to add: [dict], to withdraw: [Suggestion], to retext: [Suggestion]) to
    bring a warning's open suggestions to what is possible now."""
    wanted = {_key(p["kind"], p["params"]): p for p in possible}
    withdraw, retext = [], []
    for suggestion in open_suggestions:
        fresh = wanted.pop(_key(suggestion.kind, suggestion.params), None)
        if fresh is None:
            withdraw.append(suggestion)
        elif fresh["text"] != suggestion.text:
            suggestion.text = fresh["text"]
            retext.append(suggestion)
    return list(wanted.values()), withdraw, retext


def suggestion_apply(*, suggestion_id: int, actor, now: datetime | None = None) -> dict:
    """Do what the suggestion says, now. Returns what changed. Raises
    NotPossibleNow (409) when it was applied or withdrawn, its warning has
    ended, or the floor no longer allows it; Suggestion.DoesNotExist."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            suggestion = Suggestion.objects.select_for_update().select_related("warning", "warning__outlet").get(
                pk=suggestion_id)
            warning = suggestion.warning
            if suggestion.applied_at is not None:
                raise NotPossibleNow("此建议已执行 / This suggestion has already been applied.")
            if suggestion.withdrawn_at is not None or warning.ended_at is not None:
                raise NotPossibleNow("情况已变化，此建议已撤回 / The floor has changed; this suggestion was withdrawn.")
            outcome = _do(suggestion.kind, warning.outlet, suggestion.params, actor, now)
            suggestion.applied_at, suggestion.applied_by, suggestion.outcome = now, actor, outcome
            suggestion.save(update_fields=["applied_at", "applied_by", "outcome"])
    except NotPossibleNow:
        # The floor moved on: stop offering it (after the refused change rolled back).
        Suggestion.objects.filter(pk=suggestion_id, applied_at__isnull=True, withdrawn_at__isnull=True).update(
            withdrawn_at=now)
        raise
    return {"suggestion": suggestion.pk, "kind": suggestion.kind, **outcome}


def _counter(outlet, counter_id) -> Counter:
    counter = Counter.objects.select_related("outlet").filter(pk=counter_id, outlet=outlet).first()
    if counter is None:
        raise NotPossibleNow("窗口已不存在 / The counter no longer exists.")
    return counter


def _do(kind, outlet, params, actor, now) -> dict:
    if kind == SuggestionKind.ADD_SERVICE:
        service = Service.objects.get(pk=params["service"])
        counter = queue_services.counter_service_add(counter_id=params["counter"], service=service, actor=actor, now=now)
        return {"counters": [{"id": counter.pk, "number": counter.number,
                              "services": list(counter.counter_services.order_by("position")
                                               .values_list("service__code", flat=True))}]}
    if kind == SuggestionKind.END_PAUSE:
        counter = _counter(outlet, params["counter"])
        if counter.state != CounterState.PAUSED:
            raise NotPossibleNow("该窗口已不在暂停中 / The counter is no longer paused.")
        counter = queue_services.counter_resume(counter_id=counter.pk, actor=actor, now=now)
        return {"counters": [{"id": counter.pk, "number": counter.number, "state": counter.state}]}
    if kind == SuggestionKind.OPEN_COUNTER:
        counter = _counter(outlet, params["counter"])
        service = Service.objects.filter(pk=params.get("service")).first()
        request = queue_services.counter_request_create(counter=counter, actor=actor, service=service, now=now)
        return {"counter_request": {"id": request.pk, "counter": counter.number}}
    if kind == SuggestionKind.USE_KIOSKS:
        service = Service.objects.get(pk=params["service"])
        line = f"{service.name_zh}可在自助终端办理，无需排队 / {service.name_en}: use the self-service kiosks, no queue"
        notice = queue_services.hall_notice_set(outlet=outlet, level="notice", message=line, actor=actor,
                                                source="manager", now=now)
        return {"display_line": notice.message}
    if kind == SuggestionKind.NEARBY_HALL:
        service = Service.objects.get(pk=params["service"])
        to = Outlet.objects.filter(pk=params["to"]).first()
        if to is None:
            raise NotPossibleNow("该营业厅已不可用 / That hall is no longer available.")
        diversion = queue_services.hall_diversion_start(outlet=outlet, to_outlet=to, service=service, actor=actor,
                                                        now=now)
        return {"diversion": {"id": diversion.pk, "to": to.code, "service": service.code}}
    raise NotPossibleNow(f"Unknown suggestion kind: {kind}")
