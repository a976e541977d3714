"""Shapes of the hall management API (CONTRACT.md)."""

from rest_framework import serializers

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
