from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import Forbidden, InvalidInput, validated

from .erlang import MAX_AGENTS, TooManyAgents, agents_for_service_level
from .serializers import ErlangCOutSerializer, ErlangCQuerySerializer


def _require_staff(user) -> None:
    """401 without a sign-in, 403 for a signed-in user who is not staff
    (staff: the admin's staff, superusers, anyone with a hall membership)."""
    if not user.is_authenticated:
        # DRF's own exception, so the 401 carries WWW-Authenticate as HTTP requires.
        raise NotAuthenticated("请先登录 / Sign in first.")
    if not (user.is_staff or user.is_superuser or user.memberships.exists()):
        raise Forbidden("仅限员工 / Staff only.")


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
        _require_staff(request.user)
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
