from django.urls import reverse
from rest_framework import serializers

from config.phones import is_mobile, mask_phone
from queueing.serializers import TicketOutSerializer

from .selectors import check_in_window


class SlotsQuerySerializer(serializers.Serializer):
    service = serializers.CharField(max_length=30)
    date = serializers.DateField()


class SlotOutSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    capacity = serializers.IntegerField()
    booked = serializers.IntegerField()
    free = serializers.IntegerField()


class SlotsOutSerializer(serializers.Serializer):
    hall = serializers.CharField()
    service = serializers.CharField()
    date = serializers.DateField()
    slots = SlotOutSerializer(many=True)


class AppointmentBookInSerializer(serializers.Serializer):
    service = serializers.CharField(max_length=30)
    starts_at = serializers.DateTimeField(help_text="the slot's start, as the slots list gives it")


class AppointmentMoveInSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField(help_text="the new slot's start (same hall and service)")


class CheckInInSerializer(serializers.Serializer):
    code = serializers.CharField(required=False, max_length=8, min_length=4)
    phone = serializers.CharField(required=False, max_length=11)

    def validate_phone(self, value):
        if not is_mobile(value):
            raise serializers.ValidationError("请输入正确的 11 位手机号 / Enter an 11-digit mobile number.")
        return value

    def validate_code(self, value):
        value = value.strip().upper()
        if not value.isalnum() or not value.isascii():
            raise serializers.ValidationError("预约码由字母和数字组成 / A booking code is letters and digits.")
        return value

    def validate(self, attrs):
        if bool(attrs.get("code")) == bool(attrs.get("phone")):
            raise serializers.ValidationError(
                {"code": ["请输入预约码或手机号（二选一） / Give the booking code or the phone, one of them."]}
            )
        return attrs


class AppointmentOutSerializer(serializers.Serializer):
    """A booking as its holder sees it."""

    code = serializers.CharField()
    hall = serializers.CharField(source="outlet.code")
    hall_name = serializers.CharField(source="outlet.name")
    service = serializers.CharField(source="service.code")
    service_name = serializers.CharField(source="service.name_zh")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    check_in_opens_at = serializers.SerializerMethodField()
    check_in_closes_at = serializers.SerializerMethodField()
    status = serializers.CharField()
    phone_masked = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    checked_in_at = serializers.DateTimeField(allow_null=True)
    ticket_number = serializers.SerializerMethodField()
    track_url = serializers.SerializerMethodField()

    def get_check_in_opens_at(self, appointment) -> str:
        return serializers.DateTimeField().to_representation(check_in_window(appointment.starts_at)[0])

    def get_check_in_closes_at(self, appointment) -> str:
        return serializers.DateTimeField().to_representation(check_in_window(appointment.starts_at)[1])

    def get_phone_masked(self, appointment) -> str:
        return mask_phone(appointment.phone)

    def get_ticket_number(self, appointment) -> str | None:
        return appointment.ticket.number if appointment.ticket_id else None

    def get_track_url(self, appointment) -> str | None:
        if not appointment.ticket_id:
            return None
        return reverse("ticket-page", kwargs={"token": appointment.ticket.token})


class CheckInOutSerializer(serializers.Serializer):
    appointment = AppointmentOutSerializer()
    ticket = TicketOutSerializer()
    late = serializers.BooleanField(help_text="checked in after its window: a walk-in ticket")


class DaysQuerySerializer(serializers.Serializer):
    to = serializers.DateField(required=False, help_text="last day, inclusive (default: today)")

    def get_fields(self):
        # `from` is a Python keyword: declared here rather than as an attribute.
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False, help_text="first day (default: six days before `to`)")
        return fields


class AppointmentDayOutSerializer(serializers.Serializer):
    date = serializers.DateField()
    booked = serializers.IntegerField(help_text="bookings for the day, cancelled ones aside")
    checked_in = serializers.IntegerField(help_text="checked in within their window")
    late = serializers.IntegerField(help_text="checked in after their window (walk-ins)")
    no_show = serializers.IntegerField()
    cancelled = serializers.IntegerField()
