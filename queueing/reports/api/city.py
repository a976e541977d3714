"""The city's live overview (CONTRACT.md): every owned hall with a queue,
now; city operations and superusers see every hall, hall managers theirs."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import Forbidden
from halls.roles import outlets_managed_by, sees_every_hall

from ..city import city_overview_kept, overview_halls
from .halls import signed_in


def overview_scope(user):
    """The halls `user` sees on the overview; Forbidden for anyone who manages none."""
    if sees_every_hall(user):
        return overview_halls()
    halls = overview_halls(outlets_managed_by(user))
    if not halls.exists():
        raise Forbidden("仅限城市运营与厅经理 / City operations and hall managers only.")
    return halls


class CityOverviewApi(APIView):
    """One row per owned hall with a queue: line, waits, counters, warning level, today's figures."""

    @extend_schema(responses=OpenApiResponse(description="rows: {code, name, district, lat, lng, is_open, waiting, "
                                                         "longest_wait_seconds, estimated_wait_seconds, "
                                                         "open_counters, counters, warning_level, warnings, "
                                                         "business_date, issued_today, served_today, "
                                                         "service_level_today}"),
                   summary="The city's live overview")
    def get(self, request):
        signed_in(request)
        return Response(city_overview_kept(overview_scope(request.user))["halls"])
