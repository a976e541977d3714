"""Planning's records: arrival forecasts, the dated events a manager expects
to change them, and which business days of ticket history were generated."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from halls.models import Outlet, Service


class ForecastEvent(models.Model):
    """A dated event the hall manager expects to change arrivals: a
    promotion, a handset launch, road works outside the door.

    Its multiplier scales the forecast of each of its days, for one service
    or (without one) all; several events on a day multiply. When a later
    forecast is fitted, history of those days is read as if divided by it,
    so a past promotion does not inflate the ordinary days after it."""

    outlet = models.ForeignKey(Outlet, verbose_name="网点", on_delete=models.CASCADE, related_name="forecast_events")
    service = models.ForeignKey(
        Service, verbose_name="业务", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        help_text="留空：全部业务 / Empty: every service",
    )
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期", help_text="含当天 / Inclusive")
    multiplier = models.DecimalField(
        "客流倍数", max_digits=4, decimal_places=2,
        help_text="1.50 = 客流增加50%；0.50 = 减少一半 / 1.50: half as many again; 0.50: half as many",
    )
    note = models.CharField("说明", max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="录入人", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = "客流事件"
        verbose_name_plural = "客流事件"
        ordering = ["-starts_on", "outlet"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="forecast_event_dates_in_order"),
            models.CheckConstraint(
                condition=Q(multiplier__gt=0, multiplier__lte=20), name="forecast_event_multiplier_range"
            ),
        ]
        indexes = [models.Index(fields=["outlet", "starts_on"], name="forecast_event_hall_start")]

    def __str__(self):
        return f"{self.note} ({self.starts_on}–{self.ends_on}, ×{self.multiplier})"


class ArrivalForecast(models.Model):
    """Expected arrivals (tickets taken) of one service in one half-hour slot
    of a hall, for each slot the hall is open.

    Made nightly for the days ahead (`base_arrivals` and `arrivals` alike)
    and replaced by the next night's; through the day `arrivals` of the
    slots still to come follow the day's actual level (intraday
    re-forecast), `base_arrivals` keeps the night's figure. Rows of past
    days stay: what was expected, beside what came."""

    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    slot_start = models.DateTimeField("时段开始")
    arrivals = models.FloatField("预计取号")
    base_arrivals = models.FloatField("夜间预测")
    made_at = models.DateTimeField("预测时间")

    class Meta:
        verbose_name = "客流预测"
        verbose_name_plural = "客流预测"
        ordering = ["outlet", "slot_start", "service"]
        constraints = [
            models.UniqueConstraint(fields=["outlet", "service", "slot_start"], name="arrival_forecast_unique_slot"),
        ]
        indexes = [models.Index(fields=["outlet", "slot_start"], name="arrival_forecast_hall_slot")]

    def __str__(self):
        return f"{self.outlet_id} {self.service_id} {self.slot_start:%Y-%m-%d %H:%M}: {self.arrivals:.1f}"


class HistoryDay(models.Model):
    """A hall's business day whose tickets were generated (planning.history)
    rather than taken. Also the key that makes generating a day happen once,
    however many runs ask for it at the same time."""

    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="+")
    business_date = models.DateField("营业日")
    seed = models.BigIntegerField()
    tickets = models.PositiveIntegerField()
    generated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "生成的历史营业日"
        verbose_name_plural = "生成的历史营业日"
        ordering = ["outlet", "business_date"]
        constraints = [
            models.UniqueConstraint(fields=["outlet", "business_date"], name="history_day_unique"),
        ]

    def __str__(self):
        return f"{self.outlet_id} {self.business_date}: {self.tickets}"
