import re

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.phones import is_mobile, mask_phone
from halls.models import MAX_SERVICE_WEIGHT, PauseReason, RoutingProfile

from .models import CancelReason, Channel, DisplayKind, PoolKind, Priority, Ticket, TicketStatus
from .services import display_is_online


def _datetime_out(value) -> str | None:
    """What DRF's DateTimeField gives: ISO 8601 in the current time zone, "Z" for UTC."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class TicketIssueInSerializer(serializers.Serializer):
    service = serializers.CharField(max_length=30)
    channel = serializers.ChoiceField(choices=Channel.choices)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=11)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)

    def validate_phone(self, value):
        if value and not is_mobile(value):
            raise serializers.ValidationError("请输入11位手机号 / Enter an 11-digit mainland mobile number.")
        return value


class TicketOutSerializer(serializers.ModelSerializer):
    """A ticket as its holder or staff see it. `position` and
    `estimated_wait_seconds` come from the view's context (ticket_progress).
    `first_called_at` ends the waiting time; `called_at` is the latest call
    (a recall, or a call after a transfer)."""

    service = serializers.CharField(source="service.code")
    service_name = serializers.CharField(source="service.name_zh")
    hall = serializers.CharField(source="outlet.code")
    hall_name = serializers.CharField(source="outlet.name")
    status = serializers.SerializerMethodField()
    cancel_reason = serializers.SerializerMethodField()
    counter = serializers.SerializerMethodField()
    position = serializers.SerializerMethodField()
    estimated_wait_seconds = serializers.SerializerMethodField()
    estimated_wait_range = serializers.SerializerMethodField()
    phone_masked = serializers.SerializerMethodField()
    track_url = serializers.SerializerMethodField()
    check_in_required = serializers.SerializerMethodField()
    away_until = serializers.SerializerMethodField()
    step_away_left = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id", "token", "number", "service", "service_name", "hall", "hall_name", "status", "cancel_reason",
            "priority",
            "channel", "position", "estimated_wait_seconds", "estimated_wait_range", "counter", "call_count",
            "parked", "phone_masked",
            "issued_at", "first_called_at", "called_at", "started_at", "finished_at", "track_url",
            "check_in_required", "away_until", "step_away_left",
        ]

    def to_representation(self, ticket):
        # Built directly, for speed: a ticket is the answer to every number
        # taken, and building the declared fields (which describe this shape in
        # the API schema) cost more per answer than everything else DRF does.
        # A test holds this to what the declared fields produce.
        progress = self._progress(ticket)
        values = {
            "id": ticket.id,
            "token": ticket.token,
            "number": ticket.number,
            "service": ticket.service.code,
            "service_name": ticket.service.name_zh,
            "hall": ticket.outlet.code,
            "hall_name": ticket.outlet.name,
            "status": self.get_status(ticket),
            "cancel_reason": self.get_cancel_reason(ticket),
            "priority": str(ticket.priority),
            "channel": str(ticket.channel),
            "position": progress.get("position"),
            "estimated_wait_seconds": progress.get("estimated_wait_seconds"),
            "estimated_wait_range": progress.get("estimated_wait_range"),
            "counter": self.get_counter(ticket),
            "call_count": ticket.call_count,
            "parked": ticket.parked,
            "phone_masked": mask_phone(ticket.phone),
            "issued_at": _datetime_out(ticket.issued_at),
            "first_called_at": _datetime_out(ticket.first_called_at),
            "called_at": _datetime_out(ticket.called_at),
            "started_at": _datetime_out(ticket.started_at),
            "finished_at": _datetime_out(ticket.finished_at),
            "check_in_required": self.get_check_in_required(ticket),
            "away_until": progress.get("away_until"),
            "step_away_left": progress.get("step_away_left", 0),
        }
        if "track_url" in self.Meta.fields:
            values["track_url"] = self.get_track_url(ticket)
        return {name: values[name] for name in self.Meta.fields}

    def _progress(self, ticket):
        return self.context.get("progress", {}).get(ticket.pk, {})

    @extend_schema_field(serializers.ChoiceField(choices=TicketStatus.choices))
    def get_status(self, ticket) -> str:
        """As the holder sees it now: a ticket of a day that is over is cancelled."""
        return str(self._progress(ticket).get("status", ticket.status))

    @extend_schema_field(serializers.ChoiceField(choices=CancelReason.choices, allow_null=True))
    def get_cancel_reason(self, ticket) -> str | None:
        """Why a cancelled ticket was cancelled: customer, staff or day_closed."""
        progress = self._progress(ticket)
        reason = progress["cancel_reason"] if "cancel_reason" in progress else ticket.cancel_reason
        return str(reason) if reason else None

    def get_position(self, ticket) -> int | None:
        return self._progress(ticket).get("position")

    def get_estimated_wait_seconds(self, ticket) -> int | None:
        return self._progress(ticket).get("estimated_wait_seconds")

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2,
                                               allow_null=True))
    def get_estimated_wait_range(self, ticket) -> list[int] | None:
        """[low, high] seconds: about 80 % of waits fall in it."""
        return self._progress(ticket).get("estimated_wait_range")

    def get_check_in_required(self, ticket) -> bool:
        """A phone ticket called only after its holder checks in at the hall."""
        return bool(self._progress(ticket).get("check_in_required", False))

    def get_away_until(self, ticket) -> str | None:
        """While the holder has stepped away (暂离): until when (ISO 8601); else null."""
        return self._progress(ticket).get("away_until")

    def get_step_away_left(self, ticket) -> int:
        """How many more times the holder may step away."""
        return self._progress(ticket).get("step_away_left", 0)

    def get_counter(self, ticket) -> int | None:
        return ticket.counter.number if ticket.counter_id else None

    def get_phone_masked(self, ticket) -> str:
        return mask_phone(ticket.phone)

    def get_track_url(self, ticket) -> str:
        path = f"/t/{ticket.token}/"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class PublicTicketSerializer(TicketOutSerializer):
    """What a public page may show: no token, no phone."""

    class Meta(TicketOutSerializer.Meta):
        fields = [f for f in TicketOutSerializer.Meta.fields if f not in ("token", "phone_masked", "track_url")]


class CounterStateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    name = serializers.CharField()
    label = serializers.CharField()
    hall = serializers.CharField(source="outlet.code")
    state = serializers.CharField()
    pause_reason = serializers.CharField()
    state_changed_at = serializers.DateTimeField(allow_null=True)
    signed_in_user = serializers.SerializerMethodField()

    def get_signed_in_user(self, counter) -> str | None:
        return counter.signed_in_user.get_username() if counter.signed_in_user_id else None


class CounterPauseInSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=PauseReason.choices, default=PauseReason.BREAK)


class CounterTransferInSerializer(serializers.Serializer):
    service = serializers.CharField(max_length=30)


class MissedTicketSerializer(serializers.Serializer):
    number = serializers.CharField()
    service = serializers.CharField()
    service_name = serializers.CharField()
    counter = serializers.IntegerField(allow_null=True)
    missed_at = serializers.CharField(allow_null=True)
    reinstated_count = serializers.IntegerField()
    reinstatable = serializers.BooleanField()


class CounterCallChosenInSerializer(serializers.Serializer):
    number = serializers.RegexField(r"^\s*[A-Za-z]{1,2}\d{1,6}\s*$", max_length=12,
                                    error_messages={"invalid": "号码格式不对 / Not a ticket number, e.g. A012."})
    reason = serializers.CharField(max_length=200, allow_blank=False, trim_whitespace=True)
class CounterServiceInSerializer(serializers.Serializer):
    service = serializers.CharField(max_length=30)
    position = serializers.IntegerField(min_value=0, max_value=32767, required=False)
    weight = serializers.IntegerField(min_value=1, max_value=MAX_SERVICE_WEIGHT, required=False)


class CounterProfileInSerializer(serializers.Serializer):
    profile = serializers.ChoiceField(choices=RoutingProfile.choices)
    services = CounterServiceInSerializer(many=True, required=False, allow_empty=False, max_length=50)


class CounterServiceOutSerializer(serializers.Serializer):
    service = serializers.CharField()
    name = serializers.CharField()
    position = serializers.IntegerField()
    weight = serializers.IntegerField()


class CounterProfileOutSerializer(serializers.Serializer):
    """How the counter calls: its own profile, its agent's (which wins), the
    one in force, and its services in order with their weights."""

    counter = serializers.IntegerField()
    number = serializers.IntegerField()
    profile = serializers.ChoiceField(choices=RoutingProfile.choices)
    agent_profile = serializers.ChoiceField(choices=RoutingProfile.choices, allow_null=True)
    effective = serializers.ChoiceField(choices=RoutingProfile.choices)
    services = CounterServiceOutSerializer(many=True)


class CounterParkInSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(min_value=1, max_value=480, required=False, allow_null=True)
    to = serializers.ChoiceField(choices=PoolKind.choices, default=PoolKind.COUNTER)


class PoolTicketOutSerializer(serializers.Serializer):
    """A visit parked in a pool, as the counter's console lists it."""

    number = serializers.CharField()
    service = serializers.CharField(source="service.code")
    service_name = serializers.CharField(source="service.name_zh")
    pool = serializers.SerializerMethodField()
    due_at = serializers.DateTimeField(source="pool_due_at", allow_null=True)
    due = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ChoiceField(choices=PoolKind.choices))
    def get_pool(self, ticket) -> str:
        return PoolKind.AGENT.value if ticket.pool_agent_id else PoolKind.COUNTER.value

    def get_due(self, ticket) -> bool:
        """Its return time has come: the next call at the counter takes it."""
        return ticket.pool_due_at is not None and ticket.pool_due_at <= self.context["now"]


class CounterActionOutSerializer(serializers.Serializer):
    counter = CounterStateSerializer()
    current_ticket = TicketOutSerializer(allow_null=True)
    ticket = TicketOutSerializer(allow_null=True)


class QueueServiceSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    prefix = serializers.CharField()
    waiting = serializers.IntegerField()
    estimated_wait_seconds = serializers.IntegerField()
    estimated_wait_range = serializers.ListField(
        child=serializers.IntegerField(), min_length=2, max_length=2,
        help_text="[low, high] seconds: about 80 % of waits fall in it.",
    )


class NowServingSerializer(serializers.Serializer):
    number = serializers.CharField()
    counter = serializers.IntegerField()
    counter_name = serializers.CharField()
    service = serializers.CharField()
    called_at = serializers.DateTimeField()


class AlertSerializer(serializers.Serializer):
    level = serializers.CharField()
    message = serializers.CharField()


class QueueSnapshotSerializer(serializers.Serializer):
    hall = serializers.CharField()
    seq = serializers.IntegerField()
    generated_at = serializers.DateTimeField()
    services = QueueServiceSerializer(many=True)
    now_serving = NowServingSerializer(many=True)
    alert = AlertSerializer(allow_null=True)


class DisplayHeartbeatInSerializer(serializers.Serializer):
    device_id = serializers.RegexField(
        r"^[A-Za-z0-9_-]{8,64}$", max_length=64,
        error_messages={"invalid": "Use 8-64 letters, digits, dashes or underscores (a UUID)."},
    )
    kind = serializers.ChoiceField(choices=DisplayKind.choices)
    counter = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=32767)
    name = serializers.CharField(required=False, allow_blank=True, max_length=60)
    # Given by the device's first heartbeat; required on every later one.
    device_token = serializers.CharField(required=False, allow_blank=True, max_length=100, trim_whitespace=True)


class DisplayHeartbeatOutSerializer(serializers.Serializer):
    device_id = serializers.CharField()
    online = serializers.BooleanField()
    # Only in the answer to the heartbeat that registered the device: keep it.
    device_token = serializers.CharField(required=False)


class DisplayDeviceOutSerializer(serializers.Serializer):
    """A display as the hall's staff see it, `online` as of the context's `now`."""

    device_id = serializers.CharField()
    kind = serializers.CharField()
    counter = serializers.SerializerMethodField()
    name = serializers.CharField()
    last_seen_at = serializers.DateTimeField(allow_null=True)
    online = serializers.SerializerMethodField()

    def get_counter(self, device) -> int | None:
        return device.counter.number if device.counter_id else None

    def get_online(self, device) -> bool:
        return display_is_online(device, now=self.context.get("now"))


class TicketRatingInSerializer(serializers.Serializer):
    score = serializers.IntegerField(
        min_value=1, max_value=5,
        error_messages={
            "min_value": "请选择 1-5 分 / Choose a score from 1 to 5.",
            "max_value": "请选择 1-5 分 / Choose a score from 1 to 5.",
        },
    )
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class TicketRatingOutSerializer(serializers.Serializer):
    score = serializers.IntegerField()
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()


class CounterRequestOutSerializer(serializers.Serializer):
    """A manager's request to open a counter, as the hall's consoles show it."""

    id = serializers.IntegerField()
    counter = serializers.IntegerField(source="counter.number")
    counter_id = serializers.IntegerField()
    counter_name = serializers.CharField(source="counter.label")
    service = serializers.CharField(source="service.code", allow_null=True, default=None)
    service_name = serializers.CharField(source="service.name_zh", allow_null=True, default=None)
    message = serializers.CharField()
    requested_by = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    answer = serializers.CharField()
    answered_by = serializers.SerializerMethodField()
    answered_at = serializers.DateTimeField(allow_null=True)

    def get_requested_by(self, request) -> str | None:
        user = request.requested_by
        return (user.get_full_name() or user.get_username()) if user else None

    def get_answered_by(self, request) -> str | None:
        user = request.answered_by
        return (user.get_full_name() or user.get_username()) if user else None


class CounterRequestAnswerInSerializer(serializers.Serializer):
    accept = serializers.BooleanField()


class TicketStepAwayInSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(min_value=1, max_value=240)


class TicketCheckInInSerializer(serializers.Serializer):
    """The holder checks in with the hall's check-in code (`hall_key`, from
    the QR code in the hall), or with the phone's location (`lat`, `lng`)."""

    hall_key = serializers.CharField(required=False, max_length=500)
    lat = serializers.FloatField(required=False, min_value=-90, max_value=90)
    lng = serializers.FloatField(required=False, min_value=-180, max_value=180)

    def validate(self, attrs):
        if attrs.get("hall_key"):
            return attrs
        if attrs.get("lat") is None or attrs.get("lng") is None:
            raise serializers.ValidationError(
                "请扫描营业厅的签到码，或提供位置 / Send the hall's check-in code (hall_key), or lat and lng.")
        return attrs


# A ticket page link as its QR code holds it (or its token alone).
_TICKET_LINK_RE = re.compile(r"(?:^|/t/)([A-Za-z0-9_-]{16,64})/?(?:[?#].*)?$", re.ASCII)


class HallTicketCheckInInSerializer(serializers.Serializer):
    """At the hall's kiosk: the ticket's QR code (the ticket page's link, or
    its token), or its number and the last four digits of its phone."""

    token = serializers.CharField(required=False, max_length=300)
    number = serializers.RegexField(r"^[A-Za-z]{1,2}[0-9]{1,5}$", required=False, max_length=10)
    phone_last4 = serializers.RegexField(r"^[0-9]{4}$", required=False,
                                         error_messages={"invalid": "请输入手机号后四位 / Enter the last four digits."})

    def validate_token(self, value):
        match = _TICKET_LINK_RE.search(value.strip())
        if match is None:
            raise serializers.ValidationError("这不是排队号的二维码 / This is not a queue ticket's code.")
        return match.group(1)

    def validate(self, attrs):
        if attrs.get("token"):
            return attrs
        if not attrs.get("number") or not attrs.get("phone_last4"):
            raise serializers.ValidationError(
                "请扫描号码二维码，或输入号码和手机后四位 / Scan the ticket's code, or enter its number and the "
                "phone's last four digits.")
        return attrs
