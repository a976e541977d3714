"""The staff admin panel, scoped by role (halls.roles): a hall manager sees and
edits only the halls they manage (a district manager their district's), city
operations see every hall and change nothing, superusers do everything."""

from django import forms
from django.contrib import admin

from .models import (
    Counter,
    CounterService,
    DistrictAssignment,
    HallQueue,
    HallService,
    OpeningException,
    OpeningHours,
    Outlet,
    Service,
    StaffMembership,
)
from .roles import (
    is_city_operations,
    membership_editable_by,
    outlets_managed_by,
    roles_assignable_by,
    sees_every_hall,
    users_attachable_by,
)


class HallScopedAdmin(admin.ModelAdmin):
    """Rows reachable through `outlet_field` are limited to the halls the user
    manages; superusers and city operations see every hall (what city
    operations may change is what their group's permissions allow: nothing)."""

    outlet_field = "outlet"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if sees_every_hall(request.user):
            return qs
        return qs.filter(**{f"{self.outlet_field}__in": outlets_managed_by(request.user)})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "outlet" and not request.user.is_superuser:
            kwargs["queryset"] = outlets_managed_by(request.user)
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
    fields = ["service", "prefix", "queue", "daily_cap", "target_wait_seconds", "is_active", "sort_order"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "queue":
            # The hall's own shared queues (the model refuses another hall's).
            outlet_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            kwargs["queryset"] = HallQueue.objects.filter(outlet_id=outlet_id) if outlet_id else HallQueue.objects.none()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class HallQueueInline(admin.TabularInline):
    """Shared queues (合并队列): services that join one share its prefix, its
    numbers and one call order."""

    model = HallQueue
    extra = 0


@admin.register(Outlet)
class OutletAdmin(HallScopedAdmin):
    outlet_field = "pk"
    list_display = ["code", "name", "kind", "district", "has_queue", "is_active", "transfer_placement"]
    list_filter = ["kind", "district", "has_queue", "is_active"]
    search_fields = ["code", "name", "address"]
    inlines = [OpeningHoursInline, OpeningExceptionInline, HallQueueInline, HallServiceInline]

    def get_queryset(self, request):
        qs = admin.ModelAdmin.get_queryset(self, request)
        if sees_every_hall(request.user):
            return qs
        return qs.filter(pk__in=outlets_managed_by(request.user).values("pk"))

    def has_add_permission(self, request):
        return request.user.is_superuser


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "prefix", "target_wait_seconds", "default_handle_seconds"]
    search_fields = ["code", "name_zh", "name_en"]


class CounterServiceInline(admin.TabularInline):
    """The counter's services: their order is the strict profile's, their
    weights the weighted profile's."""

    model = CounterService
    extra = 0
    autocomplete_fields = ["service"]
    fields = ["service", "position", "weight"]


@admin.register(Counter)
class CounterAdmin(HallScopedAdmin):
    list_display = ["__str__", "outlet", "number", "state", "profile", "pause_reason", "signed_in_user"]
    list_filter = ["state"]
    search_fields = ["outlet__code", "outlet__name", "name"]
    list_select_related = ["outlet", "signed_in_user"]
    inlines = [CounterServiceInline]
    readonly_fields = ["state", "pause_reason", "signed_in_user", "state_changed_at"]


class StaffMembershipForm(forms.ModelForm):
    """Who may be attached to which hall in which role is the role policy's:
    a hall manager attaches agents to the halls they manage."""

    class Meta:
        model = StaffMembership
        fields = ["user", "outlet", "role", "skills", "phone", "profile"]

    def __init__(self, *args, acting_user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.acting_user = acting_user
        if acting_user is not None and not acting_user.is_superuser:
            self.fields["user"].queryset = users_attachable_by(acting_user)
            allowed = set(roles_assignable_by(acting_user))
            self.fields["role"].choices = [c for c in self.fields["role"].choices if c[0] in allowed]

    def clean(self):
        data = super().clean()
        outlet, role = data.get("outlet"), data.get("role")
        acting = self.acting_user
        if acting is not None and not acting.is_superuser and outlet is not None and role:
            if role not in roles_assignable_by(acting, outlet):
                self.add_error("role", "您不能在该网点授予此角色 / You may not give this role at that hall.")
        return data


@admin.register(StaffMembership)
class StaffMembershipAdmin(HallScopedAdmin):
    form = StaffMembershipForm
    list_display = ["user", "outlet", "role", "skill_list"]
    list_filter = ["role"]
    filter_horizontal = ["skills"]
    search_fields = ["user__username", "outlet__code", "outlet__name"]
    list_select_related = ["user", "outlet"]
    autocomplete_fields = ["outlet"]

    @admin.display(description="可办业务 / Skills")
    def skill_list(self, obj):
        return "、".join(s.name_zh for s in obj.skills.all()) or "—"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("skills")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class ActingForm(form):
            def __init__(self, *args, **inner):
                super().__init__(*args, acting_user=request.user, **inner)

        return ActingForm

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or membership_editable_by(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or membership_editable_by(request.user, obj))


@admin.register(DistrictAssignment)
class DistrictAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "district"]

    def has_module_permission(self, request):
        return request.user.is_superuser or is_city_operations(request.user)
