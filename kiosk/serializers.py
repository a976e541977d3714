"""Input and output shapes of the self-service API (CONTRACT.md)."""

from rest_framework import serializers

from config.phones import is_mobile, mask_phone

from .carrier.models import NumberTier, RewardKind
from .carrier.rules import OVERAGE_FEN_PER_MB
from .models import OrderKind, OrderStatus

PHONE_MESSAGE = "请输入11位手机号 / Enter an 11-digit mainland mobile number."


class PhoneField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 11)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value and not is_mobile(value):
            raise serializers.ValidationError(PHONE_MESSAGE)
        return value


# --- Input ------------------------------------------------------------------------


class OtpRequestInSerializer(serializers.Serializer):
    phone = PhoneField()


class OtpVerifyInSerializer(serializers.Serializer):
    phone = PhoneField()
    code = serializers.CharField(max_length=12, trim_whitespace=True)


class OutboxQuerySerializer(serializers.Serializer):
    phone = PhoneField(required=False, allow_blank=True)


class BillsQuerySerializer(serializers.Serializer):
    months = serializers.IntegerField(min_value=1, max_value=12, default=6)


class CodeInSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20)


class RedemptionInSerializer(serializers.Serializer):
    reward = serializers.CharField(max_length=20)
    quantity = serializers.IntegerField(min_value=1, max_value=99, default=1)


class NumberSearchQuerySerializer(serializers.Serializer):
    prefix = serializers.CharField(required=False, allow_blank=True, max_length=11)
    pattern = serializers.CharField(required=False, allow_blank=True, max_length=60)
    tier = serializers.CharField(required=False, allow_blank=True, max_length=10)
    ends_with = serializers.CharField(required=False, allow_blank=True, max_length=11)
    contains = serializers.CharField(required=False, allow_blank=True, max_length=11)


class NumberPurchaseInSerializer(serializers.Serializer):
    hold_token = serializers.CharField(max_length=64)
    contact_phone = PhoneField(required=False, allow_blank=True)


class TopupInSerializer(serializers.Serializer):
    msisdn = PhoneField()
    amount_fen = serializers.IntegerField()


class TopupAccountQuerySerializer(serializers.Serializer):
    msisdn = PhoneField()


# `from` is a Python keyword: the field is declared by name.
SmsInboundInSerializer = type(
    "SmsInboundInSerializer",
    (serializers.Serializer,),
    {
        "from": PhoneField(),
        "to": serializers.CharField(max_length=20, required=False, allow_blank=True, default="10086"),
        "text": serializers.CharField(max_length=500, allow_blank=True, trim_whitespace=False),
    },
)


# --- Output -----------------------------------------------------------------------


class OtpSentSerializer(serializers.Serializer):
    phone_masked = serializers.CharField()
    expires_in_seconds = serializers.IntegerField()
    resend_after_seconds = serializers.IntegerField()


class SessionOutSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


class SmsOutboxItemSerializer(serializers.Serializer):
    to = serializers.CharField()
    text = serializers.CharField()
    sent_at = serializers.SerializerMethodField()

    def get_sent_at(self, message) -> str:
        return serializers.DateTimeField().to_representation(message.sent_at or message.created_at)


class SmsOutboxSerializer(serializers.Serializer):
    results = SmsOutboxItemSerializer(many=True)


class PlanOutSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    monthly_fee_fen = serializers.IntegerField()
    data_kb = serializers.IntegerField()
    wlan_minutes = serializers.IntegerField()


class AccountOutSerializer(serializers.Serializer):
    phone = serializers.CharField(source="msisdn")
    name_masked = serializers.CharField()
    balance_fen = serializers.IntegerField()
    plan = PlanOutSerializer(allow_null=True)
    points = serializers.IntegerField()


class BillItemOutSerializer(serializers.Serializer):
    name = serializers.CharField()
    amount_fen = serializers.IntegerField()


class BillOutSerializer(serializers.Serializer):
    month = serializers.CharField()
    total_fen = serializers.IntegerField()
    items = BillItemOutSerializer(many=True)


class AllowanceOutSerializer(serializers.Serializer):
    source = serializers.CharField(help_text='"plan", or the pack or reward code (G10, DATA100M)')
    name = serializers.CharField()
    total_kb = serializers.IntegerField()
    used_kb = serializers.IntegerField()
    left_kb = serializers.IntegerField()
    percent_left = serializers.IntegerField(help_text="Whole percent left, rounded down")


class UsageOutSerializer(serializers.Serializer):
    month = serializers.CharField()
    data = AllowanceOutSerializer(many=True)
    overage_kb = serializers.IntegerField(help_text="Data beyond every allowance")
    overage_fen = serializers.IntegerField(help_text="What the overage costs, each MB begun at the rate")
    overage_fen_per_mb = serializers.SerializerMethodField()
    wlan_minutes_total = serializers.IntegerField()
    wlan_minutes_used = serializers.IntegerField()
    wlan_minutes_left = serializers.IntegerField()

    def get_overage_fen_per_mb(self, usage) -> int:
        return OVERAGE_FEN_PER_MB


class VasOutSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    monthly_fee_fen = serializers.IntegerField()
    since = serializers.DateTimeField(allow_null=True)


class VasCatalogueOutSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    monthly_fee_fen = serializers.IntegerField()


class VasConfirmationOutSerializer(serializers.Serializer):
    confirmation_id = serializers.UUIDField(source="pk")
    code = serializers.CharField(source="vas_code")
    expires_at = serializers.DateTimeField()


class DataPackOutSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    price_fen = serializers.IntegerField()
    data_kb = serializers.IntegerField()
    overage_fen_per_mb = serializers.SerializerMethodField(help_text="Beyond the pack: 1 yuan per MB")

    def get_overage_fen_per_mb(self, pack) -> int:
        return OVERAGE_FEN_PER_MB


class DataPackPurchaseOutSerializer(serializers.Serializer):
    code = serializers.CharField()
    price_fen = serializers.IntegerField()
    data_kb = serializers.IntegerField()
    month = serializers.CharField()
    balance_fen = serializers.IntegerField()


class RewardOutSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=RewardKind.choices)
    points = serializers.IntegerField()
    stock = serializers.IntegerField()


class RedemptionOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reward = serializers.CharField()
    reward_name = serializers.CharField()
    quantity = serializers.IntegerField()
    points_spent = serializers.IntegerField()
    points_left = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class NumberOutSerializer(serializers.Serializer):
    msisdn = serializers.CharField()
    tier = serializers.ChoiceField(choices=NumberTier.choices)
    tier_name = serializers.SerializerMethodField()
    deposit_fen = serializers.IntegerField()
    min_monthly_fen = serializers.IntegerField()
    patterns = serializers.ListField(child=serializers.CharField())

    def get_tier_name(self, number) -> str:
        return NumberTier(number.tier).label


class HoldOutSerializer(serializers.Serializer):
    msisdn = serializers.CharField()
    hold_token = serializers.CharField()
    expires_at = serializers.DateTimeField()


class OrderOutSerializer(serializers.Serializer):
    order_no = serializers.CharField()
    kind = serializers.ChoiceField(choices=OrderKind.choices)
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    amount_fen = serializers.IntegerField()
    msisdn_masked = serializers.SerializerMethodField()
    pay_url = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)
    fulfilled_at = serializers.DateTimeField(allow_null=True)

    def get_msisdn_masked(self, order) -> str:
        return mask_phone(order.msisdn)

    def get_pay_url(self, order) -> str:
        url = order.detail.get("pay_url", "")
        request = self.context.get("request")
        if url.startswith("/") and request is not None:
            return request.build_absolute_uri(url)
        return url


class TopupOrderOutSerializer(OrderOutSerializer):
    name_masked = serializers.SerializerMethodField()

    def get_name_masked(self, order) -> str:
        return self.context.get("name_masked", "")


class TopupAccountOutSerializer(serializers.Serializer):
    msisdn = serializers.CharField()
    name_masked = serializers.CharField()
    min_fen = serializers.IntegerField()
    max_fen = serializers.IntegerField()
    presets_fen = serializers.ListField(child=serializers.IntegerField())


class SmsReplySerializer(serializers.Serializer):
    reply = serializers.CharField()


class KioskOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    hall = serializers.CharField(source="outlet.code")
    hall_name = serializers.CharField(source="outlet.name")
