"""The appointments API: a hall's free slots (anyone), booking and one's own
bookings (a customer signed in with a one-time code, `Authorization:
Customer <token>`), check-in (a kiosk of the hall, `Authorization: Kiosk
<device token>`, or its staff) and the hall's daily figures (its staff).

A customer sees and changes only their own bookings: another's code is 404.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from config.api import IDEMPOTENCY_HEADER, Forbidden, InvalidInput, NotFound, idempotency_key, validated
from config.auth import request_customer_phone, request_device
from halls.models import Outlet
from halls.roles import user_can_act_on, user_reads
from halls.selectors import hall_offered_service, hall_with_setup
from queueing.selectors import ticket_progress
from queueing.views.customer import HALL_CODE_RE

from . import services
from .models import Appointment, AppointmentChannel
from .selectors import bookable_days, customer_appointments, hall_appointment_days, hall_slots
from .serializers import (
    AppointmentBookInSerializer,
    AppointmentDayOutSerializer,
    AppointmentMoveInSerializer,
    AppointmentOutSerializer,
    CheckInInSerializer,
    CheckInOutSerializer,
    DaysQuerySerializer,
    SlotsOutSerializer,
    SlotsQuerySerializer,
)

HALL = OpenApiParameter("code", str, OpenApiParameter.PATH, description="hall code")
BOOKING = OpenApiParameter("booking", str, OpenApiParameter.PATH, description="booking code")
MAX_REPORT_DAYS = 400


def _hall(code: str) -> Outlet:
    # Hall codes are capitals, digits and dashes: anything else finds nothing
    # without asking the cache or the database.
    outlet = hall_with_setup(code=code) if HALL_CODE_RE.fullmatch(code) else None
    if outlet is None or not outlet.has_queue:
        raise NotFound("No such hall with a queue.")
    return outlet


class IsCustomer(BasePermission):
    message = "请先验证手机号 / Verify your phone number first."

    def has_permission(self, request, view):
        return request_customer_phone(request) is not None


class CustomerApi(APIView):
    """A customer who proved their phone (settings.CUSTOMER_AUTHENTICATION)."""

    authentication_classes = [import_string(settings.CUSTOMER_AUTHENTICATION)]
    permission_classes = [IsCustomer]

    def phone(self, request) -> str:
        return request_customer_phone(request)


class HallSlotsApi(APIView):
    authentication_classes = []
    permission_classes = []

    @extend_schema(parameters=[HALL, SlotsQuerySerializer], responses=SlotsOutSerializer,
                   summary="A hall's upcoming slots of a service on a day, with how many are free")
    def get(self, request, code):
        outlet = _hall(code)
        query = validated(SlotsQuerySerializer, request.query_params)
        offered = hall_offered_service(outlet, query["service"])
        if offered is None:
            raise InvalidInput(fields={"service": [f"Unknown service: {query['service']}"]})
        day = query["date"]
        if day not in bookable_days():
            slots = []
        else:
            slots = hall_slots(outlet=outlet, service=offered.service, day=day)
        body = {"hall": outlet.code, "service": offered.service.code, "date": day, "slots": slots}
        return Response(SlotsOutSerializer(body).data)


class AppointmentBookApi(CustomerApi):
    @extend_schema(
        parameters=[HALL, IDEMPOTENCY_HEADER], request=AppointmentBookInSerializer,
        responses={201: AppointmentOutSerializer, 200: AppointmentOutSerializer},
        summary="Book a slot (409 slot_full, appointment_limit_reached, already_booked)",
    )
    def post(self, request, code):
        outlet = _hall(code)
        fields = validated(AppointmentBookInSerializer, request.data)
        appointment, created = services.appointment_book(
            outlet=outlet, service_code=fields["service"], phone=self.phone(request),
            starts_at=fields["starts_at"], channel=AppointmentChannel.MOBILE,
            idempotency_key=idempotency_key(request),
        )
        return Response(AppointmentOutSerializer(appointment).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class MyAppointmentsApi(CustomerApi, generics.ListAPIView):
    serializer_class = AppointmentOutSerializer

    def get_queryset(self):
        return customer_appointments(phone=self.phone(self.request))

    @extend_schema(summary="My bookings, the latest slot first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _own(request, booking: str) -> Appointment:
    appointment = customer_appointments(phone=request_customer_phone(request)).filter(
        code=booking.strip().upper()).first()
    if appointment is None:
        raise NotFound("没有这个预约 / No such booking.")
    return appointment


class MyAppointmentDetailApi(CustomerApi):
    @extend_schema(parameters=[BOOKING], responses=AppointmentOutSerializer, summary="One of my bookings")
    def get(self, request, booking):
        return Response(AppointmentOutSerializer(_own(request, booking)).data)


class AppointmentCancelApi(CustomerApi):
    @extend_schema(parameters=[BOOKING], request=None, responses=AppointmentOutSerializer,
                   summary="Cancel my booking; its slot is free again (409 appointment_not_active)")
    def post(self, request, booking):
        services.appointment_cancel(code=booking, phone=self.phone(request))
        return Response(AppointmentOutSerializer(_own(request, booking)).data)


class AppointmentMoveApi(CustomerApi):
    @extend_schema(parameters=[BOOKING], request=AppointmentMoveInSerializer, responses=AppointmentOutSerializer,
                   summary="Move my booking to another slot of the same hall and service (409 slot_full)")
    def post(self, request, booking):
        fields = validated(AppointmentMoveInSerializer, request.data)
        services.appointment_move(code=booking, phone=self.phone(request), starts_at=fields["starts_at"])
        return Response(AppointmentOutSerializer(_own(request, booking)).data)


class AppointmentCheckInApi(APIView):
    """A kiosk of the hall (or its staff) checks a booking in by its code or
    the customer's phone: 201 with the new ticket, 200 with the ticket of a
    booking checked in before."""

    authentication_classes = api_settings.DEFAULT_AUTHENTICATION_CLASSES
    permission_classes = []

    @extend_schema(parameters=[HALL], request=CheckInInSerializer,
                   responses={201: CheckInOutSerializer, 200: CheckInOutSerializer},
                   summary="Check a booking in at the hall's kiosk: its ticket (409 not_in_window)")
    def post(self, request, code):
        outlet = _hall(code)
        device = request_device(request)
        if device is not None:
            if device.outlet_id != outlet.pk:
                raise Forbidden("该取号机不属于此营业厅 / This kiosk belongs to another hall.")
        elif not request.user.is_authenticated:
            raise NotAuthenticated("请在本厅取号机签到 / Check in at a kiosk of the hall.")
        elif not user_can_act_on(request.user, outlet):
            raise Forbidden("您不属于该营业厅 / You are not staff of this hall.")
        fields = validated(CheckInInSerializer, request.data)
        appointment, ticket, created = services.appointment_check_in(
            outlet=outlet, code=fields.get("code"), phone=fields.get("phone"),
        )
        ticket = type(ticket).objects.select_related("outlet", "service", "counter").get(pk=ticket.pk)
        context = {"request": request, "progress": {ticket.pk: ticket_progress(ticket)}}
        body = CheckInOutSerializer(
            {"appointment": appointment, "ticket": ticket, "late": appointment.status == "late"}, context=context
        ).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class HallAppointmentDaysApi(APIView):
    """Per day: bookings, checked in, late, no-shows, cancelled (staff who read the hall's reports)."""

    @extend_schema(parameters=[HALL, DaysQuerySerializer], responses=AppointmentDayOutSerializer(many=True),
                   summary="A hall's bookings per day: booked, checked in, late, no-show, cancelled")
    def get(self, request, code):
        if not request.user.is_authenticated:
            raise NotAuthenticated("请先登录 / Sign in first.")
        outlet = _hall(code)
        if not user_reads(request.user, outlet):
            raise Forbidden("您不能查看该营业厅 / You may not see this hall.")
        query = validated(DaysQuerySerializer, request.query_params)
        end = query.get("to") or timezone.localdate()
        start = query.get("from") or end - timedelta(days=6)
        if start > end or (end - start).days >= MAX_REPORT_DAYS:
            raise InvalidInput(fields={"from": [
                f"开始日期须不晚于结束日期，最多 {MAX_REPORT_DAYS} 天 / `from` must not come after `to`; "
                f"at most {MAX_REPORT_DAYS} days."]})
        rows = hall_appointment_days(outlet=outlet, start=start, end=end)
        return Response(AppointmentDayOutSerializer(rows, many=True).data)
