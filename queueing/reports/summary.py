"""A hall's business day in brief, for the manager's morning summary: the
day's figures beside the same weekday a week before, and what went wrong
(service level under target, customers who left or were closed out unserved,
peak-flow warnings, low ratings)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings

from halls.models import HallService, Outlet, Service
from queueing.days import business_day_close_at
from queueing.models import TicketRating
from queueing.planning.models import PeakWarning, WarningKind, WarningLevel

from .measures import Tally
from .models import HallDay, ServiceHour
from .selectors import Period, _span, figures, tally_of

LOW_RATING = 2  # and below: read by the manager


@dataclass
class Problem:
    zh: str
    en: str


@dataclass
class HallSummary:
    hall: Outlet
    day: date
    figures: dict
    week_before: dict
    services: list[dict] = field(default_factory=list)
    warnings: dict = field(default_factory=dict)
    low_ratings: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def quiet(self) -> bool:
        return not self.figures["issued"]


def _people(n: int) -> str:
    return "1 customer" if n == 1 else f"{n} customers"


def _minutes(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds / 60:.1f}"


def hall_day_summary(outlet: Outlet, day: date, *, using: str) -> HallSummary:
    """The hall's business day `day`, from its rollups and its warnings, read
    from the database `using`."""
    target = settings.PLANNING_TARGET_SERVICE_LEVEL
    period = Period(day, day)
    total = tally_of(HallDay.objects.using(using).filter(outlet=outlet, date=day))
    before = tally_of(HallDay.objects.using(using).filter(outlet=outlet, date=day - timedelta(days=7)))
    summary = HallSummary(hall=outlet, day=day, figures=figures(total), week_before=figures(before))

    per_service: dict[int, Tally] = defaultdict(Tally)
    for row in ServiceHour.objects.using(using).filter(outlet=outlet, date=day):
        per_service[row.service_id].add(row)
    names = {s.pk: s for s in Service.objects.using(using).filter(pk__in=per_service)}
    targets = {hs.service_id: hs.target_wait
               for hs in HallService.objects.using(using).filter(outlet=outlet).select_related("service")}
    for sid, t in sorted(per_service.items(), key=lambda kv: -kv[1].issued):
        summary.services.append({"name": names[sid].name_zh, "name_en": names[sid].name_en,
                                 "target_minutes": round(targets.get(sid, 600) / 60), **figures(t)})

    start, end = _span(period)
    # A 24-hour hall's day ends the next morning: the small hours' warnings
    # count with it, as its tickets do.
    end = max(end, business_day_close_at(outlet, day) or end)
    warnings = PeakWarning.objects.using(using).filter(outlet=outlet, started_at__gte=start, started_at__lt=end)
    warnings = warnings.exclude(kind=WarningKind.PREDICTED)
    by_level: dict[str, int] = defaultdict(int)
    longest = 0.0
    for w in warnings.only("peak_level", "started_at", "ended_at"):
        by_level[w.peak_level] += 1
        if w.ended_at:
            longest = max(longest, (w.ended_at - w.started_at).total_seconds())
    summary.warnings = {"notice": by_level[WarningLevel.NOTICE], "warning": by_level[WarningLevel.WARNING],
                        "critical": by_level[WarningLevel.CRITICAL], "longest_minutes": round(longest / 60)}

    summary.low_ratings = [
        {"score": r.score, "comment": r.comment, "number": r.ticket.number, "service": r.ticket.service.name_zh}
        for r in TicketRating.objects.using(using).filter(ticket__outlet=outlet, ticket__business_date=day, score__lte=LOW_RATING)
        .select_related("ticket__service").order_by("created_at")[:10]
    ]

    f = summary.figures
    p = summary.problems
    if f["service_level"] is not None and f["service_level"] < target:
        p.append(Problem(f"服务水平 {f['service_level']:.0%}，低于目标 {target:.0%}",
                         f"Service level {f['service_level']:.0%}, under the {target:.0%} target"))
    for s in summary.services:
        if s["service_level"] is not None and s["service_level"] < target and s["issued"] >= 5:
            p.append(Problem(f"{s['name']}：服务水平 {s['service_level']:.0%}，平均等候 {_minutes(s['avg_wait_seconds'])} 分钟"
                             f"（目标 {s['target_minutes']} 分钟）",
                             f"{s['name_en']}: service level {s['service_level']:.0%}, average wait "
                             f"{_minutes(s['avg_wait_seconds'])} min (target {s['target_minutes']} min)"))
    if f["closed_unserved"]:
        p.append(Problem(f"营业结束时仍有 {f['closed_unserved']} 位顾客未办理",
                         f"{_people(f['closed_unserved'])} still waiting at closing time"))
    if f["cancelled"] and f["issued"] and f["cancelled"] / f["issued"] >= 0.1:
        p.append(Problem(f"{f['cancelled']} 位顾客取消排队（{f['cancelled'] / f['issued']:.0%}）",
                         f"{_people(f['cancelled'])} gave up waiting ({f['cancelled'] / f['issued']:.0%})"))
    if summary.warnings["critical"]:
        p.append(Problem(f"严重客流预警 {summary.warnings['critical']} 次",
                         f"{summary.warnings['critical']} critical peak-flow warnings"))
    if summary.low_ratings:
        p.append(Problem(f"{len(summary.low_ratings)} 条差评（{LOW_RATING} 分及以下）",
                         f"{len(summary.low_ratings)} low ratings ({LOW_RATING} or under)"))
    return summary
