from rest_framework import serializers

from .models import Counter, Outlet, OutletKind


class OutletListQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=OutletKind.choices, required=False)
    district = serializers.CharField(required=False, max_length=40)
    has_queue = serializers.BooleanField(required=False, allow_null=True, default=None)
    q = serializers.CharField(required=False, max_length=100)


class OutletSerializer(serializers.ModelSerializer):
    lat = serializers.FloatField(allow_null=True)
    lng = serializers.FloatField(allow_null=True)

    class Meta:
        model = Outlet
        fields = ["code", "name", "kind", "district", "address", "lat", "lng", "has_queue"]


class HallServiceOutSerializer(serializers.Serializer):
    code = serializers.CharField(source="service.code")
    name = serializers.CharField(source="service.name_zh")
    name_en = serializers.CharField(source="service.name_en")
    prefix = serializers.CharField()


class CounterOutSerializer(serializers.ModelSerializer):
    services = serializers.SerializerMethodField()
    label = serializers.CharField(read_only=True)

    class Meta:
        model = Counter
        fields = ["id", "number", "name", "label", "services", "state", "pause_reason"]

    def get_services(self, counter) -> list[str]:
        return [cs.service.code for cs in counter.counter_services.all()]


class OutletDetailSerializer(OutletSerializer):
    services = HallServiceOutSerializer(source="hall_services", many=True)
    counters = CounterOutSerializer(many=True)
    is_open_now = serializers.BooleanField()

    class Meta(OutletSerializer.Meta):
        fields = OutletSerializer.Meta.fields + ["services", "counters", "is_open_now"]


class AuthTokenInSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class AuthTokenOutSerializer(serializers.Serializer):
    token = serializers.CharField()
