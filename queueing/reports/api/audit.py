"""A hall's audit log: what its staff and admins did, for its managers and
city operations (queueing.reports.audit)."""

from datetime import datetime, time, timedelta

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from config.api import Forbidden, Pagination, validated
from halls.models import Outlet
from halls.roles import user_reads_people

from ..audit import AUDIT_KINDS, hall_audit
from .halls import HALL, period_of, queue_hall, signed_in


class AuditQuerySerializer(serializers.Serializer):
    to = serializers.DateField(required=False, help_text="last day, inclusive (default: today)")
    actor = serializers.CharField(required=False, max_length=150, help_text="a username")
    kind = serializers.ChoiceField(choices=sorted(AUDIT_KINDS), required=False)

    def get_fields(self):
        # `from` is a Python keyword: declared here rather than as an attribute.
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False, help_text="first day (default: six days before `to`)")
        return fields


class AuditEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    action = serializers.CharField()
    label = serializers.CharField()
    label_en = serializers.CharField()
    actor = serializers.CharField()
    actor_name = serializers.CharField()
    subject = serializers.CharField()
    detail = serializers.CharField()


def audit_readable_hall(user, code: str) -> Outlet:
    """The hall `code` for its managers and city operations; 404 unknown, 403 anyone else."""
    outlet = queue_hall(code)
    if not user_reads_people(user, outlet):
        raise Forbidden("仅限本厅经理与城市运营 / The hall's managers and city operations only.")
    return outlet


def audit_window(query: dict) -> tuple[datetime, datetime]:
    """The query's days as [start, end) in the site's time zone."""
    period = period_of(query, timezone.localdate())
    zone = timezone.get_current_timezone()
    start = datetime.combine(period.start, time.min, tzinfo=zone)
    end = datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


class HallAuditApi(APIView):
    """What the hall's staff and admins did, newest first, paginated."""

    pagination_class = Pagination

    @extend_schema(
        parameters=[HALL, AuditQuerySerializer, OpenApiParameter("page", int), OpenApiParameter("page_size", int)],
        responses={200: AuditEntrySerializer(many=True),
                   403: OpenApiResponse(description="permission_denied: not a manager of the hall or city operations"),
                   404: OpenApiResponse(description="not_found: no such hall with a queue")},
        summary="A hall's audit log",
    )
    def get(self, request, code):
        signed_in(request)
        outlet = audit_readable_hall(request.user, code)
        query = validated(AuditQuerySerializer, request.query_params)
        start, end = audit_window(query)
        trail = hall_audit(outlet=outlet, start=start, end=end, actor=query.get("actor", ""),
                           kind=query.get("kind", ""))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(trail, request, view=self)
        return paginator.get_paginated_response(AuditEntrySerializer([e.as_dict() for e in page], many=True).data)
