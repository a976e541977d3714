"""The hall manager sets slot capacities for their halls (the admin scopes
them to the halls they manage) and reads the bookings."""

from django.contrib import admin

from config.phones import mask_phone
from halls.admin import HallScopedAdmin
from queueing.admin import ReadOnlyAdmin

from .models import Appointment, SlotCapacity


@admin.register(SlotCapacity)
class SlotCapacityAdmin(HallScopedAdmin):
    list_display = ["outlet", "service", "weekday", "starts", "ends", "slot_minutes", "per_slot"]
    list_filter = ["service", "weekday"]
    list_editable = ["slot_minutes", "per_slot"]
    search_fields = ["outlet__code", "outlet__name"]
    list_select_related = ["outlet", "service"]
    autocomplete_fields = ["service"]


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdmin):
    """Bookings change only through their services (book, cancel, move, check in)."""

    list_display = ["code", "outlet", "service", "starts_at", "status", "phone_masked", "channel", "ticket"]
    list_filter = ["status", "channel", "service"]
    search_fields = ["code", "outlet__code"]
    list_select_related = ["outlet", "service", "ticket"]
    date_hierarchy = "starts_at"
    exclude = ["phone", "idempotency_key"]

    @admin.display(description="手机号")
    def phone_masked(self, obj):
        return mask_phone(obj.phone)
