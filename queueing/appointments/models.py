"""Appointments (预约): the slots a hall offers per service, the bookings and
how many bookings hold each slot."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from config.phones import mask_phone
from halls.models import Outlet, Service, Weekday
from queueing.models import Ticket


class SlotCapacity(models.Model):
    """What the hall's manager sets: on `weekday`, from `starts` to `ends`, a
    service is booked in slots of `slot_minutes`, each taking `per_slot`
    bookings. Slots are offered only where the hall is open on the day (its
    opening hours and dated exceptions)."""

    outlet = models.ForeignKey(Outlet, verbose_name="营业厅", on_delete=models.CASCADE,
                               related_name="slot_capacities")
    service = models.ForeignKey(Service, verbose_name="业务", on_delete=models.CASCADE, related_name="+")
    weekday = models.PositiveSmallIntegerField("星期", choices=Weekday.choices)
    starts = models.TimeField("开始")
    ends = models.TimeField("结束")
    slot_minutes = models.PositiveSmallIntegerField("每时段分钟数", default=30)
    per_slot = models.PositiveSmallIntegerField("每时段可约人数", default=2)

    class Meta:
        verbose_name = "预约时段容量"
        verbose_name_plural = "预约时段容量"
        ordering = ["outlet", "service", "weekday", "starts"]
        constraints = [
            models.UniqueConstraint(fields=["outlet", "service", "weekday", "starts"],
                                    name="slot_capacity_unique_start"),
            models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="slot_capacity_ends_after_starts"),
            models.CheckConstraint(condition=Q(slot_minutes__gte=5, slot_minutes__lte=240),
                                   name="slot_capacity_minutes_range"),
            models.CheckConstraint(condition=Q(per_slot__gte=1), name="slot_capacity_per_slot_positive"),
        ]

    def __str__(self):
        return (f"{self.outlet_id} {self.service_id} {self.get_weekday_display()} "
                f"{self.starts:%H:%M}-{self.ends:%H:%M} x{self.per_slot}/{self.slot_minutes}min")

    def clean(self):
        if self.starts is not None and self.ends is not None and self.ends <= self.starts:
            raise ValidationError({"ends": "结束时间须晚于开始时间 / The end must be after the start."})
        if not (self.outlet_id and self.service_id and self.starts and self.ends and self.weekday is not None):
            return
        overlapping = SlotCapacity.objects.filter(
            outlet_id=self.outlet_id, service_id=self.service_id, weekday=self.weekday,
            starts__lt=self.ends, ends__gt=self.starts,
        ).exclude(pk=self.pk)
        if overlapping.exists():
            raise ValidationError("与同一天已有的时段重叠 / It overlaps another range of the same day.")


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "已预约"
    CHECKED_IN = "checked_in", "已签到"
    # Checked in after its window: served as a walk-in.
    LATE = "late", "迟到"
    NO_SHOW = "no_show", "未到"
    CANCELLED = "cancelled", "已取消"


# The bookings that hold their slot (SlotLoad counts them).
HOLDS_SLOT = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)
WITH_TICKET = (AppointmentStatus.CHECKED_IN, AppointmentStatus.LATE)


class AppointmentChannel(models.TextChoices):
    MOBILE = "mobile", "手机"
    SMS = "sms", "短信"


class Appointment(models.Model):
    """A customer's booking of one slot. `code` is what they show or type at
    the kiosk; the ticket is issued at check-in, once."""

    outlet = models.ForeignKey(Outlet, verbose_name="营业厅", on_delete=models.PROTECT, related_name="appointments")
    service = models.ForeignKey(Service, verbose_name="业务", on_delete=models.PROTECT, related_name="+")
    phone = models.CharField("手机号", max_length=11)
    code = models.CharField("预约码", max_length=8, unique=True)
    starts_at = models.DateTimeField("时段开始")
    ends_at = models.DateTimeField("时段结束")
    status = models.CharField("状态", max_length=12, choices=AppointmentStatus.choices,
                              default=AppointmentStatus.BOOKED)
    channel = models.CharField("渠道", max_length=10, choices=AppointmentChannel.choices)
    ticket = models.OneToOneField(Ticket, verbose_name="排队号", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="appointment")
    created_at = models.DateTimeField("预约时间")
    # When the current slot was chosen (booked or moved): reminders are for
    # slots chosen long enough before them.
    slot_chosen_at = models.DateTimeField("选定时段时间")
    moved_count = models.PositiveSmallIntegerField("改约次数", default=0)
    checked_in_at = models.DateTimeField("签到时间", null=True, blank=True)
    cancelled_at = models.DateTimeField("取消时间", null=True, blank=True)
    no_show_at = models.DateTimeField("记为未到时间", null=True, blank=True)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)

    class Meta:
        verbose_name = "预约"
        verbose_name_plural = "预约"
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=[s.value for s in AppointmentStatus]),
                                   name="appointment_status_valid"),
            # A ticket exactly when checked in (in its window or late).
            models.CheckConstraint(
                condition=Q(status__in=["checked_in", "late"], ticket__isnull=False)
                | (~Q(status__in=["checked_in", "late"]) & Q(ticket__isnull=True)),
                name="appointment_ticket_iff_checked_in",
            ),
            # One phone books a slot of a service once.
            models.UniqueConstraint(fields=["phone", "outlet", "service", "starts_at"],
                                    condition=Q(status="booked"), name="appointment_one_per_phone_slot"),
            models.UniqueConstraint(fields=["phone", "idempotency_key"], condition=Q(idempotency_key__isnull=False),
                                    name="appointment_idempotency_key_unique"),
        ]
        indexes = [
            models.Index(fields=["outlet", "starts_at"], name="appointment_hall_time"),
            models.Index(fields=["phone", "status"], name="appointment_phone_status"),
            # The reminder and no-show tasks: booked ones by their slot.
            models.Index(fields=["starts_at"], condition=Q(status="booked"), name="appointment_booked_by_time"),
        ]

    def __str__(self):
        return f"{self.code} {mask_phone(self.phone)} {self.starts_at:%Y-%m-%d %H:%M}"


class SlotLoad(models.Model):
    """How many bookings hold one slot of a hall's service (booked or checked
    in). Kept by the booking services in the same transaction that books,
    cancels, moves or releases, with one conditional upsert that never takes
    it past the slot's capacity, however many people book at once."""

    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    booked = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["outlet", "service", "starts_at"], name="slot_load_unique"),
            models.CheckConstraint(condition=Q(booked__gte=0), name="slot_load_not_negative"),
        ]

    def __str__(self):
        return f"{self.outlet_id} {self.service_id} {self.starts_at:%Y-%m-%d %H:%M}: {self.booked}"
