"""The staff admin panel. Hall managers see and edit only their own halls;
district managers their district's; superusers everything."""

from django.contrib import admin

from .models import (
    Counter,
    CounterService,
    DistrictAssignment,
    HallService,
    OpeningException,
    OpeningHours,
    Outlet,
    Service,
    StaffMembership,
)
from .selectors import outlets_for_user


class HallScopedAdmin(admin.ModelAdmin):
    """Rows reachable through `outlet_field` are limited to the user's halls."""

    outlet_field = "outlet"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(**{f"{self.outlet_field}__in": outlets_for_user(request.user)})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "outlet" and not request.user.is_superuser:
            kwargs["queryset"] = outlets_for_user(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class OpeningExceptionInline(admin.TabularInline):
    model = OpeningException
    extra = 0


class HallServiceInline(admin.TabularInline):
    model = HallService
    extra = 0
    autocomplete_fields = ["service"]


@admin.register(Outlet)
class OutletAdmin(HallScopedAdmin):
    outlet_field = "pk"
    list_display = ["code", "name", "kind", "district", "has_queue", "is_active"]
    list_filter = ["kind", "district", "has_queue", "is_active"]
    search_fields = ["code", "name", "address"]
    inlines = [OpeningHoursInline, OpeningExceptionInline, HallServiceInline]

    def get_queryset(self, request):
        qs = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return qs
        return qs.filter(pk__in=outlets_for_user(request.user).values("pk"))

    def has_add_permission(self, request):
        return request.user.is_superuser


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "prefix", "target_wait_seconds", "default_handle_seconds"]
    search_fields = ["code", "name_zh", "name_en"]


class CounterServiceInline(admin.TabularInline):
    model = CounterService
    extra = 0
    autocomplete_fields = ["service"]


@admin.register(Counter)
class CounterAdmin(HallScopedAdmin):
    list_display = ["__str__", "outlet", "number", "state", "pause_reason", "signed_in_user"]
    list_filter = ["state"]
    search_fields = ["outlet__code", "outlet__name", "name"]
    list_select_related = ["outlet", "signed_in_user"]
    inlines = [CounterServiceInline]
    readonly_fields = ["state", "pause_reason", "signed_in_user", "state_changed_at"]


@admin.register(StaffMembership)
class StaffMembershipAdmin(HallScopedAdmin):
    list_display = ["user", "outlet", "role"]
    list_filter = ["role"]
    search_fields = ["user__username", "outlet__code", "outlet__name"]
    list_select_related = ["user", "outlet"]
    autocomplete_fields = ["outlet"]


@admin.register(DistrictAssignment)
class DistrictAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "district"]

    def has_module_permission(self, request):
        return request.user.is_superuser
