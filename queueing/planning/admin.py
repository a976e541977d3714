"""Planning in the admin: the halls' warnings, read-only (they change by
evaluation, acknowledgement and suggestions only), for the halls one manages."""

from django.contrib import admin

from halls.admin import HallScopedAdmin

from .models import PeakWarning, Suggestion, WarningChange


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
