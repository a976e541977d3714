"""Reports' reads: everything comes from the rollups (models.py), never from
tickets one by one, except a hall's latest rating comments and its kiosks'
self-service actions (small, indexed reads).

- `daily_rows(outlet, period)`: the contract's daily report
- `hall_report(outlet, period, group)`: the report page: totals against
  the period before, series, services, arrivals by weekday and hour,
  ratings, forecast against actual, self-service
- `agent_rows(outlet, period)`, `counter_rows(...)`, `person_figures(user, ...)`
- `city_report(outlets, period)`: districts and halls, ranked

Each reads the database `using` names, and nothing else: the caller takes
it from replica.reports_db() (a streaming replica, or the primary).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Count, Sum
from django.db.models.functions import ExtractIsoWeekDay, TruncDate
from django.utils import timezone
from django.utils.module_loading import import_string

from halls.models import Counter, Outlet, OutletKind, Service
from queueing.models import Ticket, TicketRating

from .measures import Tally
from .models import AgentDay, HallDay, ServiceHour

MEASURE_FIELDS = (*Tally.COUNTS, *Tally.SUMS, "waits", "rating_counts")


def tally_of(rows) -> Tally:
    total = Tally()
    for row in rows:
        total.add(row)
    return total


def figures(t: Tally) -> dict:
    """A tally as the reports show it."""

    def r(x, digits=1):
        return None if x is None else round(x, digits)

    return {
        "issued": t.issued,
        "served": t.served,
        "no_show": t.no_show,
        "cancelled": t.cancelled,
        "cancelled_by_staff": t.cancelled_by_staff,
        "closed_unserved": t.closed_unserved,
        "transferred": t.transferred,
        "avg_wait_seconds": r(t.avg_wait_seconds),
        "p90_wait_seconds": t.p90_wait_seconds,
        "avg_handle_seconds": r(t.avg_handle_seconds),
        "service_level": r(t.service_level, 4),
        "no_show_rate": r(t.no_show_rate, 4),
        "ratings": t.ratings,
        "avg_rating": r(t.avg_rating, 2),
    }


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def before(self) -> "Period":
        """The period of the same length just before."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))


def _span(period: Period) -> tuple[datetime, datetime]:
    """From the first day's local midnight to the midnight after the last."""
    return (timezone.make_aware(datetime.combine(period.start, time(0))),
            timezone.make_aware(datetime.combine(period.end + timedelta(days=1), time(0))))


def _rows(model, outlet_ids, period: Period, *, using: str, **filters):
    return model.objects.using(using).filter(outlet_id__in=outlet_ids, date__range=(period.start, period.end), **filters)


# --- The contract's daily report ------------------------------------------------------------


def daily_rows(outlet: Outlet, period: Period, *, using: str, service: Service | None = None) -> list[dict]:
    """One row per business day of the period that had tickets."""
    by_day: dict[date, Tally] = defaultdict(Tally)
    if service is None:
        for row in _rows(HallDay, [outlet.pk], period, using=using).only("date", *MEASURE_FIELDS):
            by_day[row.date].add(row)
    else:
        for row in _rows(ServiceHour, [outlet.pk], period, using=using, service=service).only("date", *MEASURE_FIELDS):
            by_day[row.date].add(row)
    out = []
    for day, t in sorted(by_day.items()):
        f = figures(t)
        out.append({
            "date": day.isoformat(),
            "issued": f["issued"],
            "served": f["served"],
            "no_show": f["no_show"],
            "cancelled": t.cancelled + t.cancelled_by_staff,
            "closed_unserved": f["closed_unserved"],
            "avg_wait_seconds": f["avg_wait_seconds"],
            "p90_wait_seconds": f["p90_wait_seconds"],
            "avg_handle_seconds": f["avg_handle_seconds"],
            "service_level": f["service_level"],
        })
    return out


# --- The hall's report page -------------------------------------------------------------------


def _group_key(day: date, group: str) -> date:
    if group == "week":
        return day - timedelta(days=day.weekday())
    if group == "month":
        return day.replace(day=1)
    return day


def hall_report(outlet: Outlet, period: Period, *, using: str, group: str = "day",
                service: Service | None = None) -> dict:
    """The hall's report for the period (and the same figures for the period before)."""
    ids = [outlet.pk]
    filters = {"service": service} if service else {}
    if service is None:
        rows = list(_rows(HallDay, ids, period, using=using).only("date", *MEASURE_FIELDS))
        before = tally_of(_rows(HallDay, ids, period.before(), using=using).only(*MEASURE_FIELDS))
    else:
        rows = list(_rows(ServiceHour, ids, period, using=using, **filters).only("date", *MEASURE_FIELDS))
        before = tally_of(_rows(ServiceHour, ids, period.before(), using=using, **filters).only(*MEASURE_FIELDS))
    total = tally_of(rows)
    series: dict[date, Tally] = defaultdict(Tally)
    for row in rows:
        series[_group_key(row.date, group)].add(row)

    hours = _rows(ServiceHour, ids, period, using=using, **filters)
    per_service: dict[int, Tally] = defaultdict(Tally)
    for row in hours.only("service_id", *MEASURE_FIELDS):
        per_service[row.service_id].add(row)
    names = {s.pk: s for s in Service.objects.using(using).filter(pk__in=per_service)}
    heat = (
        hours.annotate(weekday=ExtractIsoWeekDay("date")).values("weekday", "hour").annotate(n=Sum("issued"))
        .order_by()
    )
    weekdays = defaultdict(int)
    d = period.start
    while d <= period.end:
        weekdays[d.isoweekday()] += 1
        d += timedelta(days=1)
    by_hour = defaultdict(int)
    for row in heat:
        by_hour[row["hour"]] += row["n"]

    return {
        "hall": {"code": outlet.code, "name": outlet.name, "district": outlet.district},
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "group": group,
        "service": service.code if service else None,
        "totals": figures(total),
        "previous": {"from": period.before().start.isoformat(), "to": period.before().end.isoformat(),
                     **figures(before)},
        "series": [{"period": key.isoformat(), **figures(t)} for key, t in sorted(series.items())],
        "services": sorted(
            ({"code": names[sid].code, "name": names[sid].name_zh, "name_en": names[sid].name_en, **figures(t)}
             for sid, t in per_service.items() if sid in names),
            key=lambda row: -row["issued"],
        ),
        # Tickets taken per day on average, by ISO weekday (1 = Monday) and hour.
        "heatmap": [
            {"weekday": row["weekday"], "hour": row["hour"],
             "issued": round(row["n"] / weekdays[row["weekday"]], 2) if weekdays[row["weekday"]] else 0}
            for row in heat if row["n"]
        ],
        "by_hour": [{"hour": h, "issued": n} for h, n in sorted(by_hour.items())],
        "ratings": _ratings(outlet, period, total, service, using=using),
        "forecast": _forecast_against_actual(outlet, period, service, rows if service is None else None,
                                             using=using),
        "self_service": self_service_rows([outlet.pk], period, using=using),
    }


def _latest_comments(outlet: Outlet, period: Period, service: Service | None, latest: int, *,
                     using: str) -> list[dict]:
    """The latest rating comments on the hall's tickets of the period. The
    hall's tickets of the period come first, by their index, and then their
    ratings: left to itself the planner may walk every rating or every
    ticket of the city instead."""
    sql = (
        "WITH t AS MATERIALIZED (SELECT id, service_id FROM {ticket} "
        "WHERE outlet_id = %s AND business_date BETWEEN %s AND %s{by_service}) "
        "SELECT r.score, r.comment, r.created_at, t.service_id FROM t JOIN {rating} r ON r.ticket_id = t.id "
        "WHERE r.comment <> '' ORDER BY r.created_at DESC LIMIT %s"
    ).format(ticket=connections[using].ops.quote_name(Ticket._meta.db_table),
             rating=connections[using].ops.quote_name(TicketRating._meta.db_table),
             by_service=" AND service_id = %s" if service is not None else "")
    params = [outlet.pk, period.start, period.end, *([service.pk] if service is not None else []), latest]
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    names = dict(Service.objects.using(using).filter(pk__in={row[3] for row in rows}).values_list("pk", "name_zh"))
    return [
        {"score": score, "comment": comment, "service": names.get(service_id, ""),
         "at": timezone.localtime(_aware(created_at)).isoformat()}
        for score, comment, created_at, service_id in rows
    ]


def _aware(moment):
    """A datetime from a raw query: aware on PostgreSQL; on SQLite a UTC string or naive value."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, dt_timezone.utc)


def _ratings(outlet: Outlet, period: Period, total: Tally, service: Service | None, latest: int = 10, *,
             using: str) -> dict:
    return {
        "count": total.ratings,
        "average": None if total.avg_rating is None else round(total.avg_rating, 2),
        "distribution": list(total.rating_counts),
        "comments": _latest_comments(outlet, period, service, latest, using=using),
    }


def _forecast_against_actual(outlet: Outlet, period: Period, service: Service | None, day_rows, *,
                             using: str) -> list[dict]:
    """Per day: arrivals as the night's forecast said, against tickets taken."""
    from queueing.planning.models import ArrivalForecast

    forecast = ArrivalForecast.objects.using(using).filter(outlet=outlet)
    if service is not None:
        forecast = forecast.filter(service=service)
    start, end = _span(period)
    by_day = {
        row["day"]: row["n"]
        for row in forecast.filter(slot_start__gte=start, slot_start__lt=end)
        .annotate(day=TruncDate("slot_start", tzinfo=timezone.get_current_timezone()))
        .values("day").annotate(n=Sum("base_arrivals")).order_by()
    }
    if not by_day:
        return []
    if day_rows is None:
        actual = dict(
            _rows(ServiceHour, [outlet.pk], period, using=using, service=service).values("date").annotate(n=Sum("issued"))
            .values_list("date", "n")
        )
    else:
        actual = {row.date: row.issued for row in day_rows}
    return [
        {"date": day.isoformat(), "forecast": round(by_day.get(day, 0.0), 1), "actual": actual.get(day)}
        for day in sorted(set(by_day) | set(actual))
        if period.start <= day <= period.end
    ]


def self_service_rows(outlet_ids, period: Period, *, using: str) -> list[dict]:
    """Kiosk self-service at these outlets in the period, by action: done,
    refused, failed. The kiosks keep these; REPORTS_SELF_SERVICE_SOURCE
    names the function that counts them (the kiosk app's by default), called
    as `(outlet_ids, start, end, using=alias)`."""
    start, end = _span(period)
    return import_string(settings.REPORTS_SELF_SERVICE_SOURCE)(outlet_ids, start, end, using=using)


def self_service_by_kind(outlets, period: Period, *, using: str) -> dict:
    """Kiosk self-service at `outlets` (a queryset: owned halls and the other
    outlets with kiosks alike) in the period: by action, and by kind of
    outlet."""
    ids_by_kind: dict[str, list[int]] = defaultdict(list)
    for pk, kind in outlets.using(using).filter(kiosks__isnull=False).distinct().values_list("pk", "kind"):
        ids_by_kind[kind].append(pk)
    every = [pk for ids in ids_by_kind.values() for pk in ids]
    by_kind = []
    for kind, label in OutletKind.choices:
        if not ids_by_kind.get(kind):
            continue
        rows = self_service_rows(ids_by_kind[kind], period, using=using)
        by_kind.append({"kind": kind, "label": label, "outlets_with_kiosks": len(ids_by_kind[kind]),
                        "total": sum(r["total"] for r in rows), "ok": sum(r["ok"] for r in rows)})
    return {"actions": self_service_rows(every, period, using=using) if every else [], "by_kind": by_kind}


# --- People and counters --------------------------------------------------------------------------


def _people_figures(row: dict) -> dict:
    worked = row["open_seconds"] - row["paused_seconds"]
    return {
        "served": row["served"],
        "no_show": row["no_show"],
        "avg_handle_seconds": round(row["handle_seconds"] / row["served"], 1) if row["served"] else None,
        "busy_seconds": round(row["busy_seconds"]),
        "paused_seconds": round(row["paused_seconds"]),
        "open_seconds": round(row["open_seconds"]),
        "idle_seconds": round(max(0.0, worked - row["busy_seconds"])),
        "utilisation": round(min(1.0, row["busy_seconds"] / worked), 4) if worked > 0 else None,
        "ratings": row["ratings"],
        "avg_rating": round(row["rating_sum"] / row["ratings"], 2) if row["ratings"] else None,
    }


SUMMED = ("served", "no_show", "handle_seconds", "busy_seconds", "paused_seconds", "open_seconds", "ratings",
          "rating_sum")


def agent_rows(outlet: Outlet, period: Period, *, using: str) -> list[dict]:
    """Per person at the hall over the period (the contract's agents report, and more)."""
    rows = (
        _rows(AgentDay, [outlet.pk], period, using=using).values("user_id")
        .annotate(**{name: Sum(name) for name in SUMMED}, days=Count("date", distinct=True)).order_by()
    )
    users = get_user_model().objects.using(using).in_bulk([r["user_id"] for r in rows])
    out = []
    for row in rows:
        user = users.get(row["user_id"])
        name = (user.get_full_name() or user.first_name or user.get_username()) if user else str(row["user_id"])
        out.append({"agent": name, "username": user.get_username() if user else "", "days": row["days"],
                    **_people_figures(row)})
    return sorted(out, key=lambda r: (-r["served"], r["agent"]))


def counter_rows(outlet: Outlet, period: Period, *, using: str) -> list[dict]:
    rows = (
        _rows(AgentDay, [outlet.pk], period, using=using).values("counter_id")
        .annotate(**{name: Sum(name) for name in SUMMED}).order_by()
    )
    counters = Counter.objects.using(using).in_bulk([r["counter_id"] for r in rows])
    return sorted(
        ({"counter": counters[r["counter_id"]].number, "label": counters[r["counter_id"]].label, **_people_figures(r)}
         for r in rows if r["counter_id"] in counters),
        key=lambda r: r["counter"],
    )


def person_figures(user, period: Period, *, using: str) -> dict:
    """The person's own figures over the period, all halls together."""
    row = AgentDay.objects.using(using).filter(user=user, date__range=(period.start, period.end)).aggregate(
        **{name: Sum(name) for name in SUMMED}
    )
    row = {k: v or 0 for k, v in row.items()}
    return {"from": period.start.isoformat(), "to": period.end.isoformat(), **_people_figures(row)}


# --- The city ---------------------------------------------------------------------------------


def city_report(outlets, period: Period, *, using: str) -> dict:
    """Every hall's figures over the period from its day rollups, their
    districts' and the city's, ranked (a month of the whole city is a few
    thousand rows)."""
    outlets = {o.pk: o for o in outlets}
    per_hall: dict[int, Tally] = defaultdict(Tally)
    rows = _rows(HallDay, list(outlets), period, using=using).values_list("outlet_id", *MEASURE_FIELDS, named=True)
    for row in rows.iterator(chunk_size=2000):
        per_hall[row.outlet_id].add(row)
    per_district: dict[str, Tally] = defaultdict(Tally)
    city = Tally()
    halls = []
    for pk, t in per_hall.items():
        o = outlets[pk]
        per_district[o.district].add(t)
        city.add(t)
        halls.append({"code": o.code, "name": o.name, "district": o.district, **figures(t)})
    halls.sort(key=lambda r: (r["service_level"] is None, -(r["service_level"] or 0), r["code"]))
    for rank, row in enumerate(halls, start=1):
        row["rank"] = rank
    districts = sorted(
        ({"district": name, "halls": sum(1 for o in outlets.values() if o.district == name and o.pk in per_hall),
          **figures(t)} for name, t in per_district.items()),
        key=lambda r: (r["service_level"] is None, -(r["service_level"] or 0), r["district"]),
    )
    for rank, row in enumerate(districts, start=1):
        row["rank"] = rank
    return {"from": period.start.isoformat(), "to": period.end.isoformat(), "city": figures(city),
            "districts": districts, "halls": halls}
