"""Forecast events and arrival forecasts in the staff admin, scoped by role
like every hall's records (halls.admin.HallScopedAdmin): a hall manager
enters and edits the events of the halls they manage, and reads their
forecasts; forecasts themselves are only ever written by the forecast."""

from django.contrib import admin

from halls.admin import HallScopedAdmin

from .models import ArrivalForecast, ForecastEvent


@admin.register(ForecastEvent)
class ForecastEventAdmin(HallScopedAdmin):
    list_display = ["note", "outlet", "service", "starts_on", "ends_on", "multiplier", "created_by"]
    list_filter = ["starts_on"]
    search_fields = ["note", "outlet__code", "outlet__name"]
    list_select_related = ["outlet", "service", "created_by"]
    autocomplete_fields = ["outlet"]
    fields = ["outlet", "service", "starts_on", "ends_on", "multiplier", "note", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]
    date_hierarchy = "starts_on"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ArrivalForecast)
class ArrivalForecastAdmin(HallScopedAdmin):
    list_display = ["slot_start", "outlet", "service", "arrivals", "base_arrivals", "made_at"]
    list_filter = ["service"]
    search_fields = ["outlet__code", "outlet__name"]
    list_select_related = ["outlet", "service"]
    date_hierarchy = "slot_start"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
