"""Shapes of the hall management API (CONTRACT.md)."""

from rest_framework import serializers

from .erlang import MAX_AGENTS, offered_load
from .models import SuggestionKind, WarningKind, WarningLevel


class WarningListQuerySerializer(serializers.Serializer):
    active = serializers.BooleanField(required=False, allow_null=True, default=None,
                                      help_text="true: active warnings only; false: ended ones only")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=500, default=100)


class SuggestionOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=SuggestionKind.choices)
    text = serializers.CharField()


class WarningOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    level = serializers.ChoiceField(choices=WarningLevel.choices)
    kind = serializers.ChoiceField(choices=WarningKind.choices)
    service = serializers.CharField(allow_null=True)
    subject = serializers.CharField()
    started_at = serializers.DateTimeField()
    raised_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    acknowledged_by = serializers.CharField(allow_null=True)
    message = serializers.CharField()
    figure = serializers.FloatField()
    threshold = serializers.FloatField()
    suggestions = SuggestionOutSerializer(many=True)


class SuggestionApplyOutSerializer(serializers.Serializer):
    suggestion = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=SuggestionKind.choices)
    counters = serializers.ListField(child=serializers.DictField(), required=False)
    counter_request = serializers.DictField(required=False)
    display_line = serializers.CharField(required=False)
    diversion = serializers.DictField(required=False)


class FloorServiceSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    waiting = serializers.IntegerField()
    estimated_wait_seconds = serializers.IntegerField()
    estimated_wait_range = serializers.ListField(child=serializers.IntegerField())
    longest_wait_seconds = serializers.IntegerField()
    target_wait_seconds = serializers.IntegerField()
    arrivals_15m = serializers.IntegerField()
    capacity_15m = serializers.FloatField()
    open_counters = serializers.IntegerField()


class FloorCounterSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    label = serializers.CharField()
    state = serializers.CharField()
    pause_reason = serializers.CharField()
    agent = serializers.CharField()
    seconds_in_state = serializers.IntegerField(allow_null=True)
    services = serializers.ListField(child=serializers.CharField())
    current = serializers.DictField(allow_null=True)


class FloorOutSerializer(serializers.Serializer):
    hall = serializers.CharField()
    generated_at = serializers.DateTimeField()
    is_open = serializers.BooleanField()
    services = FloorServiceSerializer(many=True)
    counters = FloorCounterSerializer(many=True)
    quiet_devices = serializers.ListField(child=serializers.DictField())
    warnings = WarningOutSerializer(many=True)

# Beyond these the question is not a hall's (or a city's): refused before any work.
MAX_ARRIVALS_PER_HOUR = 1_000_000
MAX_SECONDS = 86_400


class ErlangCQuerySerializer(serializers.Serializer):
    """The calculator's question. The targets default to the domain's usual
    one: 80 % of customers called within 10 minutes."""

    arrivals_per_hour = serializers.FloatField(
        min_value=0, max_value=MAX_ARRIVALS_PER_HOUR, help_text="Arrivals per hour (>= 0)."
    )
    aht_seconds = serializers.FloatField(
        min_value=0, max_value=MAX_SECONDS, help_text="Average handle time in seconds (> 0)."
    )
    target_wait_seconds = serializers.FloatField(
        min_value=0, max_value=MAX_SECONDS, default=600, help_text="Target wait in seconds (>= 0)."
    )
    target_service_level = serializers.FloatField(
        default=0.8, help_text="Share of customers to call within the target wait, strictly between 0 and 1."
    )

    def validate_aht_seconds(self, value):
        if value <= 0:
            raise serializers.ValidationError("办理时长必须大于 0 / The handle time must be more than 0 seconds.")
        return value

    def validate_target_service_level(self, value):
        if not 0 < value < 1:
            raise serializers.ValidationError(
                "服务水平须在 0 与 1 之间 / The service level must be strictly between 0 and 1 (0.8 is 80 %)."
            )
        return value

    def validate(self, attrs):
        load = offered_load(attrs["arrivals_per_hour"], attrs["aht_seconds"])
        if load >= MAX_AGENTS:
            message = (
                f"负荷过大 / The load ({load:,.0f} Erlangs) needs more than {MAX_AGENTS:,} counters, "
                "the calculator's limit."
            )
            raise serializers.ValidationError({"arrivals_per_hour": [message], "aht_seconds": [message]})
        return attrs


class ErlangCOutSerializer(serializers.Serializer):
    """Ratios in 0..1 and the load with 4 decimals; the wait in seconds with 2."""

    agents = serializers.IntegerField()
    load_erlangs = serializers.FloatField()
    probability_of_waiting = serializers.FloatField()
    service_level = serializers.FloatField()
    average_wait_seconds = serializers.FloatField()
    occupancy = serializers.FloatField()


# --- Staffing, rosters and what-ifs ------------------------------------------------------------


class StaffingQuerySerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="the business day (default: the hall's live day)")


class StaffingRowSerializer(serializers.Serializer):
    slot_start = serializers.DateTimeField()
    forecast_arrivals = serializers.FloatField()
    required_counters = serializers.IntegerField()
    scheduled_counters = serializers.IntegerField()


class RosterWeekQuerySerializer(serializers.Serializer):
    week = serializers.DateField(required=False, help_text="any day of the week (default: this week)")


class RosterPlanSerializer(serializers.Serializer):
    week = serializers.DateField(help_text="any day of the week to plan (Monday to Sunday)")


class RosterShiftInSerializer(serializers.Serializer):
    user = serializers.IntegerField()
    date = serializers.DateField()
    starts = serializers.TimeField(format="%H:%M")
    ends = serializers.TimeField(format="%H:%M", help_text="00:00 is midnight")
    break_starts = serializers.TimeField(required=False, allow_null=True, default=None)
    break_ends = serializers.TimeField(required=False, allow_null=True, default=None)
    services = serializers.ListField(child=serializers.CharField(max_length=30), required=False, default=list,
                                     max_length=20)

    def validate(self, data):
        for name in ("starts", "ends", "break_starts", "break_ends"):
            t = data.get(name)
            if t is not None and (t.minute % 30 or t.second):
                raise serializers.ValidationError({name: ["整点或半点 / On the hour or the half hour."]})
        if (data.get("break_starts") is None) != (data.get("break_ends") is None):
            raise serializers.ValidationError({"break_ends": ["休息需要开始和结束 / A break needs a start and an end."]})
        return data


class RosterShiftPatchSerializer(RosterShiftInSerializer):
    user = None
    date = serializers.DateField(required=False)
    services = serializers.ListField(child=serializers.CharField(max_length=30), required=False, max_length=20)


WHAT_IF_KINDS = ("add", "move", "remove")


class WhatIfSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=WHAT_IF_KINDS)
    count = serializers.IntegerField(min_value=1, max_value=20, default=1)
    services = serializers.ListField(child=serializers.CharField(max_length=30), required=False, default=list,
                                     max_length=20, help_text="add: what the added counters serve")
    service = serializers.CharField(required=False, max_length=30, help_text="remove: the service whose counters close")
    from_service = serializers.CharField(required=False, max_length=30)
    to_service = serializers.CharField(required=False, max_length=30)
    start = serializers.TimeField(required=False, allow_null=True, default=None)
    end = serializers.TimeField(required=False, allow_null=True, default=None)

    def validate(self, data):
        needed = {"add": ("services",), "move": ("from_service", "to_service"), "remove": ("service",)}[data["kind"]]
        missing = {name: ["必填 / Required."] for name in needed if not data.get(name)}
        if missing:
            raise serializers.ValidationError(missing)
        if data["kind"] == "add" and data.get("start") is None:
            raise serializers.ValidationError({"start": ["必填 / Required."]})
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            raise serializers.ValidationError({"end": ["结束须晚于开始 / The end must come after the start."]})
        return data


class SimulateSerializer(serializers.Serializer):
    date = serializers.DateField(required=False)
    days = serializers.IntegerField(min_value=5, max_value=200, default=40,
                                    help_text="simulated days (more: narrower intervals, slower)")
    changes = WhatIfSerializer(many=True, required=False, default=list, max_length=10)
