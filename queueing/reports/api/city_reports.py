"""The city's reports for any period: every district and hall ranked by
service level, with the city's totals; hall managers see their halls. Read
where replica.reports_db() says (halls.py)."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import FileFormatNegotiation, Forbidden, validated
from halls.models import Outlet
from halls.roles import outlets_managed_by, sees_every_hall

from ..exports import table_response
from ..replica import lag_header, reports_read
from ..selectors import city_report, self_service_by_kind
from .halls import LAG_FIELD, REPLICA_LAG, RangeQuerySerializer, period_of, signed_in

HALL_COLUMNS = ("rank", "code", "name", "district", "issued", "served", "no_show", "cancelled", "closed_unserved",
                "avg_wait_seconds", "p90_wait_seconds", "avg_handle_seconds", "service_level", "ratings",
                "avg_rating")
DISTRICT_COLUMNS = ("rank", "district", "halls", "issued", "served", "no_show", "cancelled", "closed_unserved",
                    "avg_wait_seconds", "p90_wait_seconds", "avg_handle_seconds", "service_level", "ratings",
                    "avg_rating")


class CityReportQuerySerializer(RangeQuerySerializer):
    district = serializers.CharField(required=False, max_length=40)
    table = serializers.ChoiceField(choices=("halls", "districts"), required=False, default="halls",
                                    help_text="with format=csv|xlsx: which table")


class CityReportApi(APIView):
    content_negotiation_class = FileFormatNegotiation
    """Districts and halls over a period, ranked; the city's totals."""

    @extend_schema(parameters=[CityReportQuerySerializer, REPLICA_LAG],
                   responses=OpenApiResponse(description="report" + LAG_FIELD), summary="The city's report")
    def get(self, request):
        signed_in(request)
        user = request.user
        outlets = Outlet.objects.all() if sees_every_hall(user) else outlets_managed_by(user)
        if not sees_every_hall(user) and not outlets.filter(has_queue=True).exists():
            raise Forbidden("仅限城市运营与厅经理 / City operations and hall managers only.")
        query = validated(CityReportQuerySerializer, request.query_params)
        if query.get("district"):
            outlets = outlets.filter(district=query["district"])
        period = period_of(query, timezone.localdate())
        # Which halls: decided on the primary, as who may read them is; their figures where the reports read.
        halls = list(outlets.filter(has_queue=True).only("pk", "code", "name", "district"))
        fmt = query["format"]

        def read(using):
            report = city_report(halls, period, using=using)
            if fmt == "json":
                # Every outlet with kiosks, franchise and agent stores included.
                report["self_service"] = self_service_by_kind(outlets, period, using=using)
            return report

        report, db = reports_read(read)
        if fmt != "json":
            table = query["table"]
            return lag_header(table_response(report[table], HALL_COLUMNS if table == "halls" else DISTRICT_COLUMNS,
                                             fmt=fmt, filename=f"city-{table}-{period.start:%Y%m%d}-{period.end:%Y%m%d}"),
                              db)
        return lag_header(Response({**report, "replica_lag_seconds": db.lag_seconds}), db)
