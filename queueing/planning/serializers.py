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
