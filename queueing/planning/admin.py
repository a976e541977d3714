"""Planning in the admin, scoped like the halls' setup (a hall manager sees
the halls they manage, halls.admin.HallScopedAdmin):
- the halls' warnings, read-only (they change by evaluation, acknowledgement
  and suggestions only);
- forecast events (a manager enters them) and arrival forecasts (read-only:
  only the forecast writes them);
- rosters: contracts, availability, leave, shift templates and shifts.
  Shifts edited here are checked against the roster's rules and become the
  manager's (kept when the week is planned again)."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model

from halls.admin import HallScopedAdmin
from halls.models import Outlet
from halls.roles import outlets_managed_by

from .models import (
    ArrivalForecast,
    ForecastEvent,
    Leave,
    PeakWarning,
    RosterShift,
    RosterShiftSource,
    ShiftTemplate,
    StaffAvailability,
    StaffContract,
    Suggestion,
    WarningChange,
)
from .services.rosters import roster_shift_violations


class WarningChangeInline(admin.TabularInline):
    model = WarningChange
    extra = 0
    can_delete = False
    fields = ["at", "kind", "level", "figure", "actor"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class SuggestionInline(admin.TabularInline):
    model = Suggestion
    extra = 0
    can_delete = False
    fields = ["kind", "text", "created_at", "applied_at", "applied_by", "withdrawn_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PeakWarning)
class PeakWarningAdmin(HallScopedAdmin):
    list_display = ["started_at", "outlet", "kind", "service", "level", "peak_level", "acknowledged_at", "ended_at"]
    list_filter = ["kind", "level", "peak_level"]
    search_fields = ["outlet__code", "outlet__name", "message"]
    list_select_related = ["outlet", "service"]
    date_hierarchy = "started_at"
    inlines = [WarningChangeInline, SuggestionInline]
    readonly_fields = [f.name for f in PeakWarning._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HallStaffAdmin(HallScopedAdmin):
    """A manager picks people among the staff of the halls they manage."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user" and not request.user.is_superuser:
            kwargs["queryset"] = get_user_model().objects.filter(
                memberships__outlet__in=outlets_managed_by(request.user)
            ).distinct()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(StaffContract)
class StaffContractAdmin(HallStaffAdmin):
    list_display = ["user", "outlet", "hours_per_week", "min_shift_hours", "max_shift_hours", "days_per_week"]
    search_fields = ["user__username", "outlet__code", "outlet__name"]
    list_select_related = ["user", "outlet"]
    autocomplete_fields = ["outlet"]


@admin.register(StaffAvailability)
class StaffAvailabilityAdmin(HallStaffAdmin):
    list_display = ["user", "outlet", "weekday", "starts", "ends"]
    list_filter = ["weekday"]
    search_fields = ["user__username", "outlet__code"]
    list_select_related = ["user", "outlet"]
    autocomplete_fields = ["outlet"]


@admin.register(Leave)
class LeaveAdmin(HallStaffAdmin):
    list_display = ["user", "outlet", "first_day", "last_day", "reason"]
    search_fields = ["user__username", "outlet__code"]
    date_hierarchy = "first_day"
    list_select_related = ["user", "outlet"]
    autocomplete_fields = ["outlet"]


@admin.register(ShiftTemplate)
class ShiftTemplateAdmin(HallScopedAdmin):
    list_display = ["code", "name", "outlet", "starts", "ends", "break_minutes", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "outlet__code"]
    list_select_related = ["outlet"]
    autocomplete_fields = ["outlet"]


class RosterShiftForm(forms.ModelForm):
    class Meta:
        model = RosterShift
        fields = ["outlet", "user", "date", "starts", "ends", "break_starts", "break_ends", "services"]

    def clean(self):
        data = super().clean()
        required = ("outlet", "user", "date", "starts", "ends")
        if self.errors or any(data.get(name) is None for name in required):
            return data
        # The admin saves inside a transaction: the hall's row lock orders this
        # check and its write against a planned week and other edits.
        Outlet.objects.select_for_update(no_key=True).get(pk=data["outlet"].pk)
        violations = roster_shift_violations(
            outlet=data["outlet"], user=data["user"], day=data["date"], starts=data["starts"], ends=data["ends"],
            break_starts=data.get("break_starts"), break_ends=data.get("break_ends"),
            services=[s.code for s in data.get("services") or ()],
            instance=self.instance if self.instance.pk else None,
        )
        for violation in violations:
            self.add_error(None, f"{violation.code}: {violation.message}")
        return data


@admin.register(RosterShift)
class RosterShiftAdmin(HallStaffAdmin):
    form = RosterShiftForm
    list_display = ["date", "user", "outlet", "starts", "ends", "break_starts", "break_ends", "source"]
    list_filter = ["source"]
    search_fields = ["user__username", "outlet__code"]
    date_hierarchy = "date"
    list_select_related = ["user", "outlet"]
    autocomplete_fields = ["outlet"]
    filter_horizontal = ["services"]

    def save_model(self, request, obj, form, change):
        obj.source = RosterShiftSource.MANAGER
        obj.template_code = ""
        if obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


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
