"""The hall management API (CONTRACT.md): peak-flow warnings, their
acknowledgement and suggestions, the manager's floor, and the Erlang C
calculator."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import Forbidden, InvalidInput, NotFound, validated
from halls.models import Outlet
from halls.roles import user_manages

from .. import services
from ..erlang import MAX_AGENTS, TooManyAgents, agents_for_service_level
from ..events import warning_payload
from ..floor import floor_payload, hall_floor
from ..models import PeakWarning, Suggestion
from ..payloads import estimate_accuracy_payload
from ..serializers import (
    ErlangCOutSerializer,
    ErlangCQuerySerializer,
    FloorOutSerializer,
    SuggestionApplyOutSerializer,
    WarningListQuerySerializer,
    WarningOutSerializer,
)
from .common import readable_hall, require_staff, signed_in


def _warnings(outlet: Outlet, *, active: bool | None):
    warnings = (PeakWarning.objects.filter(outlet=outlet).select_related("service", "acknowledged_by")
                .prefetch_related("suggestions").order_by("-started_at", "-id"))
    if active is True:
        warnings = warnings.filter(ended_at__isnull=True)
    elif active is False:
        warnings = warnings.filter(ended_at__isnull=False)
    return warnings


class HallWarningListApi(APIView):
    """A hall's peak-flow warnings, newest first: staff of the hall and city operations."""

    @extend_schema(parameters=[WarningListQuerySerializer], responses=WarningOutSerializer(many=True),
                   summary="A hall's peak-flow warnings")
    def get(self, request, code):
        outlet = readable_hall(request, code)
        query = validated(WarningListQuerySerializer, request.query_params)
        warnings = _warnings(outlet, active=query.get("active"))[:query["limit"]]
        return Response([warning_payload(w) for w in warnings])


class WarningAcknowledgeApi(APIView):
    """The hall's manager has seen the warning."""

    @extend_schema(request=None, responses=WarningOutSerializer, summary="Acknowledge a warning")
    def post(self, request, warning_id):
        signed_in(request)
        warning = PeakWarning.objects.select_related("outlet").filter(pk=warning_id).first()
        if warning is None:
            raise NotFound("No such warning.")
        if not user_manages(request.user, warning.outlet):
            raise Forbidden("只有本厅经理可以确认预警 / Only the hall's managers acknowledge its warnings.")
        services.warning_acknowledge(warning_id=warning.pk, actor=request.user)
        warning = _warnings(warning.outlet, active=None).get(pk=warning.pk)
        return Response(warning_payload(warning))


class SuggestionApplyApi(APIView):
    """Do what a suggestion says: 200 with what changed, 409 when it is no
    longer possible."""

    @extend_schema(request=None, responses={200: SuggestionApplyOutSerializer}, summary="Apply a suggestion")
    def post(self, request, suggestion_id):
        signed_in(request)
        suggestion = Suggestion.objects.select_related("warning__outlet").filter(pk=suggestion_id).first()
        if suggestion is None:
            raise NotFound("No such suggestion.")
        if not user_manages(request.user, suggestion.warning.outlet):
            raise Forbidden("只有本厅经理可以执行建议 / Only the hall's managers apply its suggestions.")
        changed = services.suggestion_apply(suggestion_id=suggestion.pk, actor=request.user)
        return Response(changed)


class HallFloorApi(APIView):
    """The hall's floor now, as its manager's page shows it."""

    @extend_schema(responses=FloorOutSerializer, summary="A hall's live floor",
                   parameters=[OpenApiParameter("code", str, OpenApiParameter.PATH)])
    def get(self, request, code):
        outlet = readable_hall(request, code)
        floor = hall_floor(outlet=outlet)
        warnings = _warnings(outlet, active=True)
        return Response({**floor_payload(floor), "warnings": [warning_payload(w) for w in warnings]})


class HallEstimateAccuracyApi(APIView):
    """How honest the hall's wait estimates were over its last seven days,
    against the naive estimate (position / counters x mean handle time)."""

    @extend_schema(responses=OpenApiResponse(description="mean absolute error and share within two minutes"),
                   summary="A hall's wait-estimate accuracy",
                   parameters=[OpenApiParameter("code", str, OpenApiParameter.PATH)])
    def get(self, request, code):
        outlet = readable_hall(request, code)
        return Response(estimate_accuracy_payload(outlet))


class PlanningErlangCApi(APIView):
    """The Erlang C calculator: the fewest counters that meet a service-level
    target for a steady arrival rate (queueing.planning.erlang)."""

    permission_classes = []

    @extend_schema(
        parameters=[ErlangCQuerySerializer],
        responses={
            200: ErlangCOutSerializer,
            400: OpenApiResponse(description="validation_error: impossible input, or more than "
                                             f"{MAX_AGENTS:,} counters needed"),
            401: OpenApiResponse(description="not_authenticated"),
            403: OpenApiResponse(description="permission_denied: not staff"),
        },
        summary="Erlang C: counters needed for a target service level",
    )
    def get(self, request):
        require_staff(request.user)
        query = validated(ErlangCQuerySerializer, request.query_params)
        try:
            result = agents_for_service_level(
                query["arrivals_per_hour"], query["aht_seconds"],
                query["target_wait_seconds"], query["target_service_level"],
            )
        except TooManyAgents as exc:
            raise InvalidInput(fields={"target_service_level": [str(exc)]}) from None
        return Response(ErlangCOutSerializer({
            "agents": result.agents,
            "load_erlangs": round(result.load_erlangs, 4),
            "probability_of_waiting": round(result.probability_of_waiting, 4),
            "service_level": round(result.service_level, 4),
            "average_wait_seconds": round(result.average_wait_seconds, 2),
            "occupancy": round(result.occupancy, 4),
        }).data)
