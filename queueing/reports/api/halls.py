"""A hall's reports (CONTRACT.md: the daily and agents reports) and the
report page's data; a person's own figures. Every table also comes as CSV
and XLSX (`?format=csv|xlsx`).

Who may read what, and the input, are decided on the primary; the figures
are read where replica.reports_db() says. Figures read from a streaming
replica carry `X-Replica-Lag: <seconds>`, and the objects (not the
contract's lists) a `replica_lag_seconds` field, null from the primary."""

from datetime import date, timedelta

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import FileFormatNegotiation, Forbidden, InvalidInput, NotFound, validated
from halls.models import Outlet, Service
from halls.roles import user_reads, user_reads_people
from queueing.days import business_day_live

from ..exports import FORMATS, table_response
from ..replica import lag_header, reports_read
from ..selectors import Period, agent_rows, counter_rows, daily_rows, hall_report, person_figures

MAX_DAYS = 400
HALL = OpenApiParameter("code", str, OpenApiParameter.PATH)
REPLICA_LAG = OpenApiParameter(
    "X-Replica-Lag", int, OpenApiParameter.HEADER, response=[200],
    description="Only on figures read from the streaming replica: about how many seconds they are behind the "
                "primary (docs/deploy.md, \"Reports on a replica\").",
)
LAG_FIELD = ("; `replica_lag_seconds`: about how many seconds behind the primary the figures are when read from "
             "the streaming replica, null when read from the primary")
DAILY_COLUMNS = ("date", "issued", "served", "no_show", "cancelled", "closed_unserved", "avg_wait_seconds",
                 "p90_wait_seconds", "avg_handle_seconds", "service_level")
AGENT_COLUMNS = ("agent", "username", "days", "served", "no_show", "avg_handle_seconds", "busy_seconds",
                 "paused_seconds", "idle_seconds", "open_seconds", "utilisation", "ratings", "avg_rating")
COUNTER_COLUMNS = ("counter", "label", "served", "no_show", "avg_handle_seconds", "busy_seconds", "paused_seconds",
                   "idle_seconds", "open_seconds", "utilisation", "ratings", "avg_rating")
SERVICE_COLUMNS = ("code", "name", "issued", "served", "no_show", "cancelled", "closed_unserved", "avg_wait_seconds",
                   "p90_wait_seconds", "avg_handle_seconds", "service_level", "ratings", "avg_rating")
SERIES_COLUMNS = ("period", "issued", "served", "no_show", "cancelled", "closed_unserved", "avg_wait_seconds",
                  "p90_wait_seconds", "avg_handle_seconds", "service_level", "ratings", "avg_rating")


class RangeQuerySerializer(serializers.Serializer):
    to = serializers.DateField(required=False, help_text="last business day, inclusive (default: today)")
    format = serializers.ChoiceField(choices=FORMATS, required=False, default="json")

    def get_fields(self):
        # `from` is a Python keyword: declared here rather than as an attribute.
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False,
                                               help_text="first business day (default: six days before `to`)")
        return fields


class HallReportQuerySerializer(RangeQuerySerializer):
    group = serializers.ChoiceField(choices=("day", "week", "month"), required=False, default="day")
    service = serializers.CharField(required=False, max_length=30)
    table = serializers.ChoiceField(choices=("series", "services"), required=False, default="series",
                                    help_text="with format=csv|xlsx: which table")


def signed_in(request) -> None:
    if not request.user.is_authenticated:
        raise NotAuthenticated("请先登录 / Sign in first.")


def queue_hall(code: str) -> Outlet:
    outlet = Outlet.objects.filter(code=code, is_active=True, has_queue=True).first()
    if outlet is None:
        raise NotFound("No such hall with a queue.")
    return outlet


def period_of(query: dict, today: date) -> Period:
    end = query.get("to") or today
    start = query.get("from") or end - timedelta(days=6)
    if start > end:
        raise InvalidInput(fields={"from": ["开始日期晚于结束日期 / `from` comes after `to`."]})
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidInput(fields={"from": [f"最多 {MAX_DAYS} 天 / At most {MAX_DAYS} days at a time."]})
    return Period(start, end)


def _filename(outlet: Outlet, name: str, period: Period) -> str:
    return f"{outlet.code}-{name}-{period.start:%Y%m%d}-{period.end:%Y%m%d}"


class HallDailyReportApi(APIView):
    content_negotiation_class = FileFormatNegotiation
    """Per business day: issued, served, no-shows, cancelled, waits, handle time, service level."""

    @extend_schema(parameters=[HALL, RangeQuerySerializer, REPLICA_LAG], responses=OpenApiResponse(description="rows"),
                   summary="A hall's daily report")
    def get(self, request, code):
        signed_in(request)
        outlet = queue_hall(code)
        if not user_reads(request.user, outlet):
            raise Forbidden("您不能查看该营业厅 / You may not see this hall.")
        query = validated(RangeQuerySerializer, request.query_params)
        period = period_of(query, business_day_live(outlet))
        rows, db = reports_read(lambda using: daily_rows(outlet, period, using=using))
        if query["format"] != "json":
            return lag_header(table_response(rows, DAILY_COLUMNS, fmt=query["format"],
                                             filename=_filename(outlet, "daily", period)), db)
        return lag_header(Response(rows), db)


class HallAgentsReportApi(APIView):
    content_negotiation_class = FileFormatNegotiation
    """Per agent (and `?by=counter` per counter): served, handle, busy, paused, idle time, utilisation, ratings."""

    @extend_schema(parameters=[HALL, RangeQuerySerializer, OpenApiParameter("by", str, enum=["agent", "counter"]),
                               REPLICA_LAG],
                   responses=OpenApiResponse(description="rows"), summary="A hall's agents report")
    def get(self, request, code):
        signed_in(request)
        outlet = queue_hall(code)
        if not user_reads_people(request.user, outlet):
            raise Forbidden("仅限本厅经理与城市运营 / The hall's managers and city operations only.")
        query = validated(RangeQuerySerializer, request.query_params)
        period = period_of(query, business_day_live(outlet))
        by_counter = request.query_params.get("by") == "counter"
        rows, db = reports_read(lambda using: (counter_rows if by_counter else agent_rows)(outlet, period, using=using))
        if query["format"] != "json":
            return lag_header(table_response(rows, COUNTER_COLUMNS if by_counter else AGENT_COLUMNS, fmt=query["format"],
                                             filename=_filename(outlet, "counters" if by_counter else "agents", period)),
                              db)
        return lag_header(Response(rows), db)


class HallReportApi(APIView):
    content_negotiation_class = FileFormatNegotiation
    """The report page's data: totals against the period before, series by
    day, week or month, services, arrivals by weekday and hour, ratings,
    forecast against actual, self-service at the hall's kiosks."""

    @extend_schema(parameters=[HALL, HallReportQuerySerializer, REPLICA_LAG],
                   responses=OpenApiResponse(description="report" + LAG_FIELD), summary="A hall's report")
    def get(self, request, code):
        signed_in(request)
        outlet = queue_hall(code)
        if not user_reads(request.user, outlet):
            raise Forbidden("您不能查看该营业厅 / You may not see this hall.")
        query = validated(HallReportQuerySerializer, request.query_params)
        period = period_of(query, business_day_live(outlet))
        service = None
        if query.get("service"):
            service = Service.objects.filter(code=query["service"], hall_services__outlet=outlet).first()
            if service is None:
                raise InvalidInput(fields={"service": ["本厅没有这项业务 / The hall does not offer it."]})
        report, db = reports_read(lambda using: hall_report(outlet, period, using=using, group=query["group"],
                                                             service=service))
        if query["format"] != "json":
            table = query["table"]
            return lag_header(table_response(report[table], SERIES_COLUMNS if table == "series" else SERVICE_COLUMNS,
                                             fmt=query["format"], filename=_filename(outlet, table, period)), db)
        return lag_header(Response({**report, "replica_lag_seconds": db.lag_seconds}), db)


class MyFiguresApi(APIView):
    """The signed-in person's own figures (served, handle, busy, paused, utilisation, ratings)."""

    @extend_schema(parameters=[RangeQuerySerializer, REPLICA_LAG],
                   responses=OpenApiResponse(description="figures" + LAG_FIELD), summary="My figures")
    def get(self, request):
        signed_in(request)
        query = validated(RangeQuerySerializer, request.query_params)
        period = period_of(query, timezone.localdate())
        figures, db = reports_read(lambda using: person_figures(request.user, period, using=using))
        return lag_header(Response({**figures, "replica_lag_seconds": db.lag_seconds}), db)
