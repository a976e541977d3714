"""Admin for kiosks and the self-service records (the local carrier's data
has its own, in kiosk.carrier.admin).

Logs, orders and payments are read-only: they change only through the
services. Hall managers see their halls' kiosks and what those kiosks did;
the customer records are for superusers.
"""

from secrets import token_urlsafe

from django.contrib import admin, messages

from config.phones import mask_phone
from halls.admin import HallScopedAdmin

from .models import (
    CustomerSession,
    KioskDevice,
    Order,
    OtpCode,
    Payment,
    PrintJob,
    SelfServiceAction,
    SmsDialog,
    UsageReminder,
    VasConfirmation,
    format_yuan,
    token_digest,
)
from .services.auth import kiosk_token_rotate


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


class PhoneMaskedMixin:
    @admin.display(description="手机号")
    def phone_masked(self, obj):
        return mask_phone(getattr(obj, "phone", "") or getattr(obj, "msisdn", ""))


# --- Kiosks and what they did -----------------------------------------------------------


@admin.register(KioskDevice)
class KioskDeviceAdmin(HallScopedAdmin):
    """A new kiosk gets a token, shown once; "新令牌" replaces a lost one."""

    list_display = ["name", "outlet", "is_active", "printer_address", "last_seen_at", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "outlet__code", "outlet__name"]
    list_select_related = ["outlet"]
    readonly_fields = ["last_seen_at", "created_at"]
    fields = ["outlet", "name", "is_active", "printer_address", "last_seen_at", "created_at"]
    actions = ["rotate_token"]

    def save_model(self, request, obj, form, change):
        if not change:
            token = token_urlsafe(32)
            obj.token_hash = token_digest(token)
            super().save_model(request, obj, form, change)
            messages.warning(request, f"终端 {obj.name} 的令牌（只显示这一次）/ Device token, shown once: {token}")
            return
        super().save_model(request, obj, form, change)

    @admin.action(description="生成新令牌（旧令牌立即失效）/ New token", permissions=["change"])
    def rotate_token(self, request, queryset):
        for kiosk in queryset:
            token = kiosk_token_rotate(kiosk_id=kiosk.pk)
            messages.warning(request, f"{kiosk}: {token}")


@admin.register(SelfServiceAction)
class SelfServiceActionAdmin(ReadOnlyMixin, PhoneMaskedMixin, HallScopedAdmin):
    outlet_field = "kiosk__outlet"
    list_display = ["at", "channel", "kiosk", "phone_masked", "action", "result", "error_code"]
    list_filter = ["channel", "result", "action"]
    search_fields = ["phone", "action", "error_code"]
    list_select_related = ["kiosk", "kiosk__outlet"]
    date_hierarchy = "at"
    fields = ["at", "channel", "kiosk", "phone_masked", "action", "result", "error_code", "detail"]
    readonly_fields = fields


@admin.register(PrintJob)
class PrintJobAdmin(ReadOnlyMixin, HallScopedAdmin):
    """What the kiosks' network printers were asked to print, and how it ended (kept a day)."""

    outlet_field = "kiosk__outlet"
    list_display = ["created_at", "kiosk", "what", "state", "attempts", "error_code", "finished_at"]
    list_filter = ["state"]
    search_fields = ["what", "kiosk__name", "kiosk__outlet__code"]
    list_select_related = ["kiosk", "kiosk__outlet"]
    date_hierarchy = "created_at"
    fields = ["kiosk", "what", "state", "attempts", "error_code", "error", "created_at", "queued_at", "claimed_at",
              "finished_at", "receipt"]
    readonly_fields = fields


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    can_delete = False
    fields = ["txn_id", "amount_fen", "provider", "is_duplicate", "received_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(ReadOnlyMixin, HallScopedAdmin):
    outlet_field = "kiosk__outlet"
    list_display = ["order_no", "kind", "status", "amount_yuan", "msisdn_masked", "kiosk", "created_at", "paid_at",
                    "fulfilled_at"]
    list_filter = ["kind", "status", ("parked_at", admin.EmptyFieldListFilter)]
    search_fields = ["order_no", "msisdn"]
    list_select_related = ["kiosk", "kiosk__outlet"]
    date_hierarchy = "created_at"
    # Hall managers read orders too: phone numbers are shown masked.
    fields = ["order_no", "kind", "status", "amount_yuan", "msisdn_masked", "customer_phone_masked", "kiosk",
              "failure_reason", "attempts", "parked_at", "detail", "created_at", "paid_at", "fulfilled_at"]
    readonly_fields = fields
    inlines = [PaymentInline]

    @admin.display(description="金额")
    def amount_yuan(self, obj):
        return format_yuan(obj.amount_fen)

    @admin.display(description="号码")
    def msisdn_masked(self, obj):
        return mask_phone(obj.msisdn)

    @admin.display(description="客户手机号")
    def customer_phone_masked(self, obj):
        return mask_phone(obj.customer_phone) if obj.customer_phone else "-"


@admin.register(Payment)
class PaymentAdmin(ReadOnlyMixin, HallScopedAdmin):
    outlet_field = "order__kiosk__outlet"
    list_display = ["txn_id", "order", "amount_fen", "provider", "is_duplicate", "received_at"]
    list_filter = ["provider", "is_duplicate"]
    search_fields = ["txn_id", "order__order_no"]
    list_select_related = ["order"]
    date_hierarchy = "received_at"


@admin.register(OtpCode)
class OtpCodeAdmin(ReadOnlyMixin, SuperuserOnlyMixin, PhoneMaskedMixin, admin.ModelAdmin):
    list_display = ["created_at", "phone_masked", "attempts", "used", "expires_at", "kiosk"]
    list_filter = ["used"]
    fields = ["phone_masked", "created_at", "expires_at", "attempts", "used", "kiosk"]
    readonly_fields = fields


@admin.register(CustomerSession)
class CustomerSessionAdmin(ReadOnlyMixin, SuperuserOnlyMixin, PhoneMaskedMixin, admin.ModelAdmin):
    list_display = ["created_at", "phone_masked", "kiosk", "expires_at", "ended_at"]
    fields = ["phone_masked", "kiosk", "created_at", "expires_at", "ended_at"]
    readonly_fields = fields


@admin.register(VasConfirmation)
class VasConfirmationAdmin(ReadOnlyMixin, SuperuserOnlyMixin, PhoneMaskedMixin, admin.ModelAdmin):
    list_display = ["created_at", "phone_masked", "vas_code", "channel", "expires_at", "confirmed_at"]
    list_filter = ["channel", "vas_code"]
    search_fields = ["msisdn", "vas_code"]


@admin.register(UsageReminder)
class UsageReminderAdmin(ReadOnlyMixin, SuperuserOnlyMixin, PhoneMaskedMixin, admin.ModelAdmin):
    list_display = ["at", "phone_masked", "month", "key", "text"]
    list_filter = ["key", "month"]
    search_fields = ["msisdn"]


@admin.register(SmsDialog)
class SmsDialogAdmin(ReadOnlyMixin, SuperuserOnlyMixin, PhoneMaskedMixin, admin.ModelAdmin):
    list_display = ["phone_masked", "kind", "expires_at"]
