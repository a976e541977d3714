"""Admin for the local carrier's data, for superusers only: it stands in for
the carrier's own systems, and customers' accounts are not the halls' to read.
Redemptions are read-only: points move only through the gateway."""

from django.contrib import admin
from django.utils.html import format_html

from .models import (
    BalanceCredit,
    Bill,
    BillItem,
    NumberHold,
    PackPurchase,
    PhoneNumber,
    Plan,
    Redemption,
    Reward,
    Subscriber,
    Subscription,
    UsageMonth,
    ValueAddedService,
)


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SuperuserOnlyMixin:
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


@admin.register(Plan)
class PlanAdmin(SuperuserOnlyMixin, admin.ModelAdmin):
    list_display = ["code", "name", "monthly_fee_fen", "data_kb", "wlan_minutes"]
    search_fields = ["code", "name"]


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0
    fields = ["vas", "since", "cancelled_at"]


@admin.register(Subscriber)
class SubscriberAdmin(SuperuserOnlyMixin, admin.ModelAdmin):
    list_display = ["msisdn", "name", "plan", "balance_fen", "points", "status"]
    list_filter = ["status", "plan"]
    search_fields = ["msisdn", "name"]
    list_select_related = ["plan"]
    inlines = [SubscriptionInline]


class BillItemInline(admin.TabularInline):
    model = BillItem
    extra = 0


@admin.register(Bill)
class BillAdmin(SuperuserOnlyMixin, admin.ModelAdmin):
    list_display = ["subscriber", "month", "total_fen"]
    search_fields = ["subscriber__msisdn"]
    list_filter = ["month"]
    list_select_related = ["subscriber"]
    inlines = [BillItemInline]


@admin.register(BalanceCredit)
class BalanceCreditAdmin(ReadOnlyMixin, SuperuserOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "subscriber", "reference", "amount_fen"]
    search_fields = ["subscriber__msisdn", "reference"]
    list_select_related = ["subscriber"]


@admin.register(UsageMonth)
class UsageMonthAdmin(SuperuserOnlyMixin, admin.ModelAdmin):
    list_display = ["subscriber", "month", "plan_data_used_kb", "overage_kb", "wlan_minutes_used", "first_data_at"]
    search_fields = ["subscriber__msisdn"]
    list_filter = ["month"]
    list_select_related = ["subscriber"]


@admin.register(PackPurchase)
class PackPurchaseAdmin(SuperuserOnlyMixin, admin.ModelAdmin):
    list_display = ["subscriber", "month", "code", "source", "data_kb", "used_kb", "price_fen", "created_at"]
    search_fields = ["subscriber__msisdn", "code"]
    list_filter = ["month", "source", "code"]
    list_select_related = ["subscriber"]


@admin.register(ValueAddedService)
class ValueAddedServiceAdmin(SuperuserOnlyMixin, admin.ModelAdmin):
    list_display = ["code", "name", "monthly_fee_fen", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Reward)
class RewardAdmin(SuperuserOnlyMixin, admin.ModelAdmin):
    list_display = ["code", "name", "kind", "points", "stock", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyMixin, SuperuserOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "subscriber", "reward", "quantity", "points_spent"]
    list_select_related = ["subscriber", "reward"]
    search_fields = ["subscriber__msisdn"]
    exclude = ["idempotency_key"]


class NumberHoldInline(admin.StackedInline):
    model = NumberHold
    extra = 0
    can_delete = False
    fields = ["holder", "created_at", "expires_at", "order_no"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PhoneNumber)
class PhoneNumberAdmin(SuperuserOnlyMixin, admin.ModelAdmin):
    list_display = ["msisdn", "tier", "deposit_fen", "min_monthly_fen", "status", "pattern_tags"]
    list_filter = ["status", "tier"]
    search_fields = ["msisdn"]
    readonly_fields = ["patterns", "sold_at", "sold_for"]
    inlines = [NumberHoldInline]

    @admin.display(description="号型")
    def pattern_tags(self, obj):
        return format_html("{}", " ".join(tag for tag in obj.patterns.split(",") if tag))
