"""Staffing, rosters and what-ifs (CONTRACT.md, hall management): a hall's
counters required against planned per half hour, its forecast's accuracy,
its week's roster and a manager's edits, the what-if simulation, and each
agent's own shifts."""

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import DomainError, Forbidden, InvalidInput, NotFound, validated
from config.ratelimit import rate_limit_hit
from halls.models import StaffMembership
from halls.roles import user_manages

from .. import services, simulation
from ..models import RosterShift
from ..payloads import (
    accuracy_payload,
    monday_of,
    plan_day_payload,
    roster_week_payload,
    shift_payload,
    simulation_payload,
    staffing_rows,
)
from ..selectors import hall_live_day
from ..serializers import (
    RosterPlanSerializer,
    RosterShiftInSerializer,
    RosterShiftPatchSerializer,
    RosterWeekQuerySerializer,
    SimulateSerializer,
    StaffingQuerySerializer,
    StaffingRowSerializer,
)
from ..staffing import hall_staffing, simulated_day
from .common import managed_hall, readable_hall, signed_in

HALL = OpenApiParameter("code", str, OpenApiParameter.PATH)
# Days ahead a plan may be read or made for (the forecast covers two weeks).
DAYS_AHEAD = 35
DAYS_BACK = 400
SIMULATIONS_PER_MINUTE = 12


class NothingToSimulate(DomainError):
    code = "nothing_to_simulate"
    message = "该日营业厅不营业或尚无客流预测 / The hall is closed that day, or nothing is forecast for it yet."
    status = 409


def _day(outlet, query) -> date:
    live = hall_live_day(outlet_id=outlet.pk)
    day = query.get("date") or live
    if not live - timedelta(days=DAYS_BACK) <= day <= live + timedelta(days=DAYS_AHEAD):
        raise InvalidInput(fields={"date": [f"{DAYS_BACK} 天前至 {DAYS_AHEAD} 天后之间 / Within {DAYS_BACK} days "
                                            f"back and {DAYS_AHEAD} days ahead."]})
    return day


class HallStaffingApi(APIView):
    """Counters required against planned, one row per half hour the hall is open."""

    @extend_schema(parameters=[HALL, StaffingQuerySerializer], responses=StaffingRowSerializer(many=True),
                   summary="A hall's staffing for a day")
    def get(self, request, code):
        outlet = readable_hall(request, code)
        day = _day(outlet, validated(StaffingQuerySerializer, request.query_params))
        return Response(staffing_rows(hall_staffing(outlet=outlet, day=day, with_actual=False)))


class HallPlanDayApi(APIView):
    """The planning page's day: forecast against actual arrivals, counters
    required (Erlang C and Erlang A) against planned, per service, and the
    day's shifts."""

    @extend_schema(parameters=[HALL, StaffingQuerySerializer], responses=OpenApiResponse(description="the day"),
                   summary="A hall's planned day")
    def get(self, request, code):
        outlet = readable_hall(request, code)
        day = _day(outlet, validated(StaffingQuerySerializer, request.query_params))
        return Response(plan_day_payload(hall_staffing(outlet=outlet, day=day)))


class HallForecastAccuracyApi(APIView):
    """How the forecast did on the hall's last two weeks, against the
    seasonal naive forecast and the floor that chance sets."""

    @extend_schema(parameters=[HALL], responses=OpenApiResponse(description="WAPE figures"),
                   summary="A hall's forecast accuracy")
    def get(self, request, code):
        return Response(accuracy_payload(readable_hall(request, code)))


class HallRosterWeekApi(APIView):
    """The week's roster: people, shifts, and each day's cover against the requirement."""

    @extend_schema(parameters=[HALL, RosterWeekQuerySerializer], responses=OpenApiResponse(description="the week"),
                   summary="A hall's roster for a week")
    def get(self, request, code):
        outlet = readable_hall(request, code)
        query = validated(RosterWeekQuerySerializer, request.query_params)
        week = _day(outlet, {"date": query.get("week")})
        return Response(roster_week_payload(outlet, week))


class HallRosterPlanApi(APIView):
    """Plan the week against the forecast (OR-Tools CP-SAT, a few seconds).
    The manager's own shifts and shifts already started are kept; the
    solver's earlier shifts of the week are replaced."""

    @extend_schema(parameters=[HALL], request=RosterPlanSerializer,
                   responses={200: OpenApiResponse(description="the planned week and what is left short"),
                              409: OpenApiResponse(description="no_forecast, roster_changed")},
                   summary="Plan a hall's week")
    def post(self, request, code):
        outlet = managed_hall(request, code)
        data = validated(RosterPlanSerializer, request.data)
        week = monday_of(_day(outlet, {"date": data["week"]}))
        rate_limit_hit(scope="roster-plan", key=str(request.user.pk), limit=SIMULATIONS_PER_MINUTE, window_seconds=60)
        generated = services.roster_plan_week(outlet=outlet, week_start=week, created_by=request.user)
        roster = generated.roster
        return Response({
            "status": roster.status,
            "short": [
                {"date": c.day.isoformat(), "slot_start": c.start.strftime("%H:%M"), "service": c.service,
                 "required": c.required, "scheduled": c.scheduled}
                for c in roster.short_slots
            ],
            "week": roster_week_payload(outlet, week),
        })


def _user_at(outlet, user_id: int):
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not StaffMembership.objects.filter(outlet=outlet, user=user).exists():
        raise InvalidInput(fields={"user": ["不是本厅员工 / Not on this hall's staff."]})
    return user


def _known_services(outlet, codes) -> list[str]:
    codes = list(dict.fromkeys(codes))
    offered = set(outlet.hall_services.filter(is_active=True).values_list("service__code", flat=True))
    unknown = [c for c in codes if c not in offered]
    if unknown:
        raise InvalidInput(fields={"services": [f"本厅没有这些业务 / Not offered here: {', '.join(unknown)}"]})
    return codes


class HallRosterShiftsApi(APIView):
    """A manager adds a shift by hand (kept when the week is planned again)."""

    @extend_schema(parameters=[HALL], request=RosterShiftInSerializer,
                   responses={201: OpenApiResponse(description="the shift"),
                              409: OpenApiResponse(description="roster_rule_broken: which rules, and why")},
                   summary="Add a shift")
    def post(self, request, code):
        outlet = managed_hall(request, code)
        data = validated(RosterShiftInSerializer, request.data)
        _day(outlet, data)
        shift = services.roster_shift_create(
            outlet=outlet, user=_user_at(outlet, data["user"]), day=data["date"], starts=data["starts"],
            ends=data["ends"], break_starts=data["break_starts"], break_ends=data["break_ends"],
            services=_known_services(outlet, data["services"]), created_by=request.user,
        )
        return Response(shift_payload(shift), status=status.HTTP_201_CREATED)


class RosterShiftApi(APIView):
    """A manager changes or removes a shift of their hall."""

    def _shift(self, request, shift_id) -> RosterShift:
        signed_in(request)
        shift = RosterShift.objects.select_related("outlet", "user").filter(pk=shift_id).first()
        if shift is None:
            raise NotFound("No such shift.")
        if not user_manages(request.user, shift.outlet):
            raise Forbidden("只有本厅经理可以修改排班 / Only the hall's managers change its roster.")
        return shift

    @extend_schema(request=RosterShiftPatchSerializer,
                   responses={200: OpenApiResponse(description="the shift"),
                              409: OpenApiResponse(description="roster_rule_broken")},
                   summary="Change a shift")
    def patch(self, request, shift_id):
        shift = self._shift(request, shift_id)
        data = validated(RosterShiftPatchSerializer, request.data)
        if "date" in data:
            _day(shift.outlet, data)
        updated = services.roster_shift_update(
            shift=shift, starts=data["starts"], ends=data["ends"], break_starts=data["break_starts"],
            break_ends=data["break_ends"], day=data.get("date"), edited_by=request.user,
            services=_known_services(shift.outlet, data["services"]) if "services" in data else None,
        )
        return Response(shift_payload(RosterShift.objects.select_related("user").get(pk=updated.pk)))

    @extend_schema(request=None, responses={204: None}, summary="Remove a shift")
    def delete(self, request, shift_id):
        services.roster_shift_delete(shift=self._shift(request, shift_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _what_if(change: dict) -> simulation.WhatIf:
    start, end = change.get("start"), change.get("end")
    if change["kind"] == "add":
        return simulation.AddCounters(change["count"], tuple(change["services"]), start, end)
    if change["kind"] == "move":
        return simulation.MoveCounters(change["from_service"], change["to_service"], change["count"], start, end)
    return simulation.RemoveCounters(change["count"], change["service"], start, end)


class HallSimulateApi(APIView):
    """Simulate the hall's day as planned, and with the manager's changes
    ("two more people after 17:00", "move one from enterprise to payments"):
    service level, waits and people who leave per half hour, with 95 %
    intervals over the simulated days. Both meet the same customers."""

    @extend_schema(parameters=[HALL], request=SimulateSerializer,
                   responses={200: OpenApiResponse(description="the plan, and the plan with the changes"),
                              409: OpenApiResponse(description="nothing_to_simulate: closed, or no forecast")},
                   summary="What-if simulation of a hall's day")
    def post(self, request, code):
        outlet = readable_hall(request, code)
        data = validated(SimulateSerializer, request.data)
        day = _day(outlet, data)
        for change in data["changes"]:
            codes = [*change.get("services", []), *(change.get(k) for k in ("service", "from_service", "to_service"))]
            _known_services(outlet, [c for c in codes if c])
        rate_limit_hit(scope="simulate", key=str(request.user.pk), limit=SIMULATIONS_PER_MINUTE, window_seconds=60)
        sim = simulated_day(hall_staffing(outlet=outlet, day=day, with_actual=False))
        if sim is None:
            raise NothingToSimulate()
        changes = [_what_if(c) for c in data["changes"]]
        baseline = simulation.simulate(sim.day, days=data["days"], seed=day.toordinal())
        out = {"date": day.isoformat(), "days": data["days"], "plan": sim.plan, "people": sim.people,
               "baseline": simulation_payload(baseline), "what_if": None}
        if changes:
            out["what_if"] = simulation_payload(
                simulation.simulate(sim.day, days=data["days"], seed=day.toordinal(), changes=changes)
            )
        return Response(out)


class MyShiftsApi(APIView):
    """The signed-in person's shifts from today, two weeks ahead, at every hall."""

    @extend_schema(responses=OpenApiResponse(description="shifts"), summary="My shifts")
    def get(self, request):
        signed_in(request)
        today = timezone.localdate()
        shifts = (
            RosterShift.objects.filter(user=request.user, date__range=(today, today + timedelta(days=13)))
            .select_related("user", "outlet")
            .prefetch_related("services")
            .order_by("date", "starts")
        )
        return Response([
            {**shift_payload(s), "hall": s.outlet.code, "hall_name": s.outlet.name, "is_today": s.date == today}
            for s in shifts
        ])
