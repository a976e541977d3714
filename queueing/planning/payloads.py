"""What the planning page and the staffing API show, as JSON-ready dicts:
one shape for the page's first paint and for the API it then calls."""

from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from config.cache import cached
from halls.models import Outlet, StaffMembership

from .accuracy import CLOSE_ENOUGH_SECONDS, estimate_accuracy
from .models import RosterShift, StaffContract
from .selectors import forecast_accuracy, hall_live_day
from .simulation import Estimate, Prediction, SimulationResult
from .staffing import HallStaffing, hall_staffing

ACCURACY_CACHE_SECONDS = 6 * 3600


def person_name(user) -> str:
    return user.get_full_name() or user.first_name or user.get_username()


def _hhmm(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


# --- The contract's staffing rows --------------------------------------------------------------


def staffing_rows(staffing: HallStaffing) -> list[dict]:
    """GET /api/v1/halls/{code}/staffing/: one row per half hour of opening time."""
    return [
        {
            "slot_start": timezone.localtime(s.start).isoformat(),
            "forecast_arrivals": s.forecast,
            "required_counters": s.required,
            "scheduled_counters": s.scheduled,
        }
        for s in staffing.slots
    ]


# --- The planning page's day ---------------------------------------------------------------------


def plan_day_payload(staffing: HallStaffing) -> dict:
    outlet = staffing.outlet
    names = dict(outlet.hall_services.filter(is_active=True).values_list("service__code", "service__name_zh"))
    shifts = (
        RosterShift.objects.filter(outlet=outlet, date=staffing.day)
        .select_related("user")
        .prefetch_related("services")
        .order_by("starts", "user__username")
    )
    return {
        "hall": {"code": outlet.code, "name": outlet.name},
        "date": staffing.day.isoformat(),
        "model": staffing.model,
        "target_service_level": staffing.target_service_level,
        "shrinkage": staffing.shrinkage,
        "patience_seconds": round(staffing.patience_seconds) if staffing.patience_seconds else None,
        "has_forecast": staffing.has_forecast,
        "counters": staffing.counters,
        "pools": [{"name": p.name, "services": list(p.services)} for p in staffing.pools],
        "services": [
            {"code": code, "name": names.get(code, code), "handle_seconds": round(seconds)}
            for code, seconds in staffing.handle_seconds.items()
        ],
        "slots": [
            {
                "slot_start": _hhmm(s.start),
                "forecast_arrivals": s.forecast,
                "actual_arrivals": s.actual,
                "required_counters": s.required,
                "required_erlang_c": s.required_erlang_c,
                "required_erlang_a": s.required_erlang_a,
                "scheduled_counters": s.scheduled,
                "services": {
                    code: {"forecast": row.forecast, "actual": row.actual, "required": row.required,
                           "scheduled": row.scheduled}
                    for code, row in s.services.items()
                },
            }
            for s in staffing.slots
        ],
        "totals": {
            "forecast_arrivals": round(sum(s.forecast for s in staffing.slots), 1),
            "actual_arrivals": sum(s.actual for s in staffing.slots if s.actual is not None),
            "required_hours": staffing.required_hours,
            "scheduled_hours": staffing.scheduled_hours,
            "short_slots": sum(1 for s in staffing.slots if s.short),
            "over_capacity_slots": len(staffing.over_capacity),
        },
        "shifts": [shift_payload(shift) for shift in shifts],
    }


def shift_payload(shift: RosterShift) -> dict:
    def hhmm(t):
        return None if t is None else t.strftime("%H:%M")

    return {
        "id": shift.pk,
        "user": shift.user_id,
        "name": person_name(shift.user),
        "date": shift.date.isoformat(),
        "starts": hhmm(shift.starts),
        "ends": hhmm(shift.ends),
        "break_starts": hhmm(shift.break_starts),
        "break_ends": hhmm(shift.break_ends),
        "services": sorted(s.code for s in shift.services.all()),
        "source": shift.source,
        "template": shift.template_code,
    }


# --- How good the forecast is -----------------------------------------------------------------------


def accuracy_payload(outlet: Outlet) -> dict:
    """The forecast on the hall's last two weeks against the seasonal naive
    forecast and the floor chance sets; worked out once a day per hall."""
    day = hall_live_day(outlet_id=outlet.pk)

    def compute() -> dict:
        a = forecast_accuracy(outlet.pk)
        if a is None:
            return {"available": False}
        return {
            "available": True,
            "days": a.days,
            "arrivals": a.arrivals,
            "history_days": a.history_days,
            "wape_day": round(a.wape_day, 4),
            "naive_wape_day": round(a.naive_wape_day, 4),
            "wape_slot": round(a.wape_slot, 4),
            "naive_wape_slot": round(a.naive_wape_slot, 4),
            "floor_slot": round(a.floor_slot, 4),
            "beats_naive": a.beats_naive,
            "by_slot": [
                {"slot": s.slot, "arrivals": s.arrivals, "wape": round(s.wape, 4),
                 "naive_wape": round(s.naive_wape, 4), "floor": round(s.floor, 4)}
                for s in a.by_slot
            ],
        }

    return cached(f"planning:accuracy:{outlet.pk}:{day.isoformat()}", compute, ACCURACY_CACHE_SECONDS)


ESTIMATE_DAYS = 7


def estimate_accuracy_payload(outlet: Outlet) -> dict:
    """How honest the wait estimates were over the hall's last ESTIMATE_DAYS
    days (every ticket taken, its estimate then against its real wait), for
    the hall's estimator and the naive one; replayed once a day per hall."""
    day = hall_live_day(outlet_id=outlet.pk)

    def compute() -> dict:
        until = timezone.make_aware(datetime.combine(day, time(0)))
        figures = estimate_accuracy(outlet_id=outlet.pk, since=until - timedelta(days=ESTIMATE_DAYS), until=until)
        return {
            "from": (day - timedelta(days=ESTIMATE_DAYS)).isoformat(),
            "to": (day - timedelta(days=1)).isoformat(),
            "available": bool(figures["new"]["tickets"]),
            "hall": figures["new"],
            "naive": figures["naive"],
            "close_enough_seconds": CLOSE_ENOUGH_SECONDS,
        }

    return cached(f"planning:estimates:{outlet.pk}:{day.isoformat()}", compute, ACCURACY_CACHE_SECONDS)


# --- A week's roster ---------------------------------------------------------------------------------


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def roster_week_payload(outlet: Outlet, week_start: date) -> dict:
    """The week's people (with their contract and skills), shifts, and each
    day's cover against the requirement."""
    week_start = monday_of(week_start)
    days = [week_start + timedelta(days=i) for i in range(7)]
    memberships = (
        StaffMembership.objects.filter(outlet=outlet, user__is_active=True)
        .select_related("user")
        .prefetch_related("skills")
        .order_by("role", "user__username")
    )
    contracts = {c.user_id: c for c in StaffContract.objects.filter(outlet=outlet)}
    shifts = list(
        RosterShift.objects.filter(outlet=outlet, date__range=(days[0], days[-1]))
        .select_related("user")
        .prefetch_related("services")
        .order_by("date", "starts")
    )
    worked: dict[int, float] = {}
    for s in shifts:
        minutes = _minutes(s.starts, s.ends) - (_minutes(s.break_starts, s.break_ends) if s.break_starts else 0)
        worked[s.user_id] = worked.get(s.user_id, 0) + minutes / 60
    people = []
    seen = set()
    for m in memberships:
        contract = contracts.get(m.user_id)
        if contract is None and not any(s.user_id == m.user_id for s in shifts):
            continue
        seen.add(m.user_id)
        people.append({
            "id": m.user_id,
            "name": person_name(m.user),
            "role": m.role,
            "skills": sorted(s.code for s in m.skills.all()),
            "hours_per_week": float(contract.hours_per_week) if contract else None,
            "hours_planned": round(worked.get(m.user_id, 0.0), 1),
        })
    # Someone rostered here who has left the hall's staff still shows, so their shifts can be moved.
    for user in get_user_model().objects.filter(pk__in={s.user_id for s in shifts} - seen):
        people.append({"id": user.pk, "name": person_name(user), "role": None, "skills": [],
                       "hours_per_week": None, "hours_planned": round(worked.get(user.pk, 0.0), 1)})
    cover = []
    for day in days:
        staffing = hall_staffing(outlet=outlet, day=day, with_actual=False)
        cover.append({
            "date": day.isoformat(),
            "open": bool(staffing.slots),
            "has_forecast": staffing.has_forecast,
            "slots": [
                {"slot_start": _hhmm(s.start), "required": s.required, "scheduled": s.scheduled}
                for s in staffing.slots
            ],
            "short_slots": sum(1 for s in staffing.slots if s.short),
        })
    return {
        "hall": {"code": outlet.code, "name": outlet.name},
        "week_start": week_start.isoformat(),
        "days": [d.isoformat() for d in days],
        "people": people,
        "shifts": [shift_payload(s) for s in shifts],
        "cover": cover,
    }


def _minutes(start, end) -> int:
    a = start.hour * 60 + start.minute
    b = end.hour * 60 + end.minute
    return (b or 24 * 60) - a


# --- What-if results ---------------------------------------------------------------------------------


def _estimate(e: Estimate, digits: int = 4) -> dict:
    def r(x):
        return None if x is None else round(x, digits)

    return {"mean": r(e.mean), "low": r(e.low), "high": r(e.high)}


def prediction_payload(p: Prediction) -> dict:
    return {
        "arrivals": round(p.arrivals, 1),
        "service_level": _estimate(p.service_level),
        "average_wait_seconds": _estimate(p.average_wait_seconds, 1),
        "abandonment": _estimate(p.abandonment),
    }


def simulation_payload(result: SimulationResult) -> dict:
    return {
        "day": prediction_payload(result.day),
        "slots": [
            {"slot_start": f"{p.slot // 60:02d}:{p.slot % 60:02d}", **prediction_payload(p)} for p in result.slots
        ],
        "services": {p.service: prediction_payload(p) for p in result.services},
    }
