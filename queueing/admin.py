from django.contrib import admin
from django.utils import timezone

from halls.admin import CounterAdmin as HallCounterAdmin
from halls.admin import HallScopedAdmin
from halls.models import Counter

from . import refresh
from .models import CounterEvent, DisplayDevice, Ticket, TicketEvent, TicketRating
from .services.displays import display_is_online, display_offline_after

admin.site.unregister(Counter)


@admin.register(Counter)
class CounterAdmin(HallCounterAdmin):
    """A counter's profile, services, order and weights decide who it calls:
    once saved, the next call follows them, and the hall's places and waits
    are played again for its displays and its customers' pages."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        counter = form.instance
        refresh.refresh_hall_on_commit(counter.outlet_id, counter.outlet.code, counts=True, positions=True)


class ReadOnlyAdmin(HallScopedAdmin):
    """Tickets and their logs change only through the queue's services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ["at", "kind", "from_status", "to_status", "service", "counter", "actor", "detail"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ["number", "outlet", "service", "status", "priority", "channel", "issued_at", "counter"]
    list_filter = ["status", "priority", "channel", "business_date"]
    search_fields = ["number", "outlet__code"]
    list_select_related = ["outlet", "service", "counter"]
    date_hierarchy = "issued_at"
    exclude = ["token", "idempotency_key"]
    inlines = [TicketEventInline]


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "ticket", "kind", "from_status", "to_status", "counter", "actor"]
    list_filter = ["kind"]
    list_select_related = ["ticket", "counter", "actor"]
    date_hierarchy = "at"


@admin.register(CounterEvent)
class CounterEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "counter", "kind", "from_state", "to_state", "reason", "actor"]
    list_filter = ["kind"]
    list_select_related = ["counter", "actor"]
    date_hierarchy = "at"


class DisplayOnlineFilter(admin.SimpleListFilter):
    title = "在线 / Online"
    parameter_name = "online"

    def lookups(self, request, model_admin):
        return [("yes", "在线 / Online"), ("no", "离线 / Offline")]

    def queryset(self, request, queryset):
        since = timezone.now() - display_offline_after()
        if self.value() == "yes":
            return queryset.filter(last_seen_at__gte=since)
        if self.value() == "no":
            return queryset.exclude(last_seen_at__gte=since)
        return queryset


@admin.register(DisplayDevice)
class DisplayDeviceAdmin(HallScopedAdmin):
    """Displays register themselves with their first heartbeat; the manager
    names them and sees which have gone quiet."""

    list_display = ["__str__", "outlet", "kind", "counter", "online", "last_seen_at", "registered_at"]
    list_filter = [DisplayOnlineFilter, "kind", ("outlet", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["outlet", "counter"]
    search_fields = ["name", "device_id", "outlet__code", "outlet__name"]
    fields = ["outlet", "device_id", "kind", "counter", "name", "user_agent", "registered_at", "last_seen_at"]
    readonly_fields = ["outlet", "device_id", "kind", "counter", "user_agent", "registered_at", "last_seen_at"]

    @admin.display(boolean=True, description="在线 / Online")
    def online(self, obj):
        return display_is_online(obj)

    def has_add_permission(self, request):
        return False


@admin.register(TicketRating)
class TicketRatingAdmin(ReadOnlyAdmin):
    """Customers' ratings of finished services; they change only through the ticket page."""

    outlet_field = "ticket__outlet"
    list_display = ["created_at", "ticket_number", "hall", "service", "score", "comment"]
    list_filter = ["score", ("ticket__outlet", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["ticket__outlet", "ticket__service"]
    search_fields = ["ticket__number", "ticket__outlet__code", "comment"]
    date_hierarchy = "created_at"
    fields = ["ticket_number", "hall", "service", "counter", "score", "comment", "created_at"]
    readonly_fields = fields

    @admin.display(description="号码 / Number", ordering="ticket__number")
    def ticket_number(self, obj):
        return obj.ticket.number

    @admin.display(description="营业厅 / Hall", ordering="ticket__outlet__code")
    def hall(self, obj):
        return obj.ticket.outlet

    @admin.display(description="业务 / Service")
    def service(self, obj):
        return obj.ticket.service.name_zh

    @admin.display(description="窗口 / Counter")
    def counter(self, obj):
        return obj.ticket.counter.label if obj.ticket.counter_id else "-"
