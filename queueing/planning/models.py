"""Planning's records: peak-flow warnings and their suggestions; arrival
forecasts, the dated events a manager expects to change them, and which
business days of ticket history were generated; rosters.

Rosters: what the weekly roster solver (queueing.planning.roster) reads about
a hall's staff (contracts, weekly availability, leave, the hall's shift
templates) and the shifts it writes. Times are the hall's local time on the
half-hour grid; an end of 00:00 is midnight at the end of the day. Which
services a person serves (their skills) belongs to their hall membership."""

from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from halls.models import Outlet, Service, Weekday

# --- Peak-flow warnings (客流高峰预警) -------------------------------------------------------


class WarningLevel(models.TextChoices):
    NOTICE = "notice", "提示"
    WARNING = "warning", "预警"
    CRITICAL = "critical", "严重"


LEVEL_RANK = {WarningLevel.NOTICE: 1, WarningLevel.WARNING: 2, WarningLevel.CRITICAL: 3}


class WarningKind(models.TextChoices):
    WAIT = "wait", "预计等候超标"
    ARRIVALS = "arrivals", "到达超过接待能力"
    LONGEST_WAIT = "longest_wait", "最长等候超标"
    DEVICE_SILENT = "device_silent", "设备离线"
    LONG_PAUSE = "long_pause", "窗口暂停过久"
    PREDICTED = "predicted", "预计即将超标"


class PeakWarning(models.Model):
    """One warning about a hall's floor, from when its figure first passed a
    threshold until it fell back (below 0.8 x the threshold of its level).

    `subject` names what it is about: a service ("service:3"), a counter
    ("counter:12") or a display ("display:5")."""

    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="peak_warnings")
    kind = models.CharField("类型", max_length=20, choices=WarningKind.choices)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    subject = models.CharField(max_length=40)
    level = models.CharField("级别", max_length=10, choices=WarningLevel.choices)
    peak_level = models.CharField("最高级别", max_length=10, choices=WarningLevel.choices)
    figure = models.FloatField("指标")
    threshold = models.FloatField("阈值")
    message = models.CharField("说明", max_length=300)
    started_at = models.DateTimeField("开始")
    raised_at = models.DateTimeField("升级于", null=True, blank=True)
    acknowledged_at = models.DateTimeField("确认于", null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField("结束", null=True, blank=True)

    class Meta:
        verbose_name = "客流预警"
        verbose_name_plural = "客流预警"
        ordering = ["-started_at"]
        constraints = [
            # One active warning per hall, kind, service and subject: evaluations
            # running at once update it instead of starting a second.
            models.UniqueConstraint(
                fields=["outlet", "kind", "subject"], condition=Q(ended_at__isnull=True),
                name="peak_warning_one_active",
            ),
        ]
        indexes = [models.Index(fields=["outlet", "started_at"], name="peak_warning_hall_time")]

    def __str__(self):
        return f"{self.outlet_id} {self.kind} {self.level}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class WarningChangeKind(models.TextChoices):
    STARTED = "started", "开始"
    RAISED = "raised", "升级"
    LOWERED = "lowered", "降级"
    ACKNOWLEDGED = "acknowledged", "确认"
    ENDED = "ended", "结束"


class WarningChange(models.Model):
    """What happened to a warning, when, by whom (append-only)."""

    warning = models.ForeignKey(PeakWarning, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=20, choices=WarningChangeKind.choices)
    level = models.CharField(max_length=10, choices=WarningLevel.choices)
    figure = models.FloatField()
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.warning_id} {self.kind} {self.level}"


class SuggestionKind(models.TextChoices):
    ADD_SERVICE = "add_service", "窗口加办业务"
    END_PAUSE = "end_pause", "结束暂停"
    OPEN_COUNTER = "open_counter", "请求开窗"
    USE_KIOSKS = "use_kiosks", "引导自助办理"
    NEARBY_HALL = "nearby_hall", "引导至附近营业厅"


class Suggestion(models.Model):
    """A concrete step that would ease a warning, which a manager applies with one tap."""

    warning = models.ForeignKey(PeakWarning, on_delete=models.CASCADE, related_name="suggestions")
    kind = models.CharField(max_length=20, choices=SuggestionKind.choices)
    text = models.CharField(max_length=300)
    params = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.JSONField(default=dict, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.warning_id} {self.kind}"

    @property
    def is_open(self) -> bool:
        return self.applied_at is None and self.withdrawn_at is None


# --- Forecasts -------------------------------------------------------------------------------


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


# --- Rosters ---------------------------------------------------------------------------------

MIDNIGHT = time(0)


def _ends_after_start(prefix: str, start: str, end: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{end}__gt": F(start)}) | Q(**{end: MIDNIGHT}), name=f"{prefix}_{end}_after_{start}"
    )


class StaffContract(models.Model):
    """How much a person works at a hall: at most `hours_per_week` worked
    hours (breaks excluded) on at most `days_per_week` days, shifts of
    `min_shift_hours` to `max_shift_hours`, at most `max_consecutive_days`
    in a row."""

    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="staff_contracts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_contracts")
    hours_per_week = models.DecimalField("每周工时(小时)", max_digits=4, decimal_places=1, default=40)
    min_shift_hours = models.DecimalField("最短班次(小时)", max_digits=3, decimal_places=1, default=4)
    max_shift_hours = models.DecimalField("最长班次(小时)", max_digits=3, decimal_places=1, default=8)
    days_per_week = models.PositiveSmallIntegerField("每周最多上班天数", default=5)
    max_consecutive_days = models.PositiveSmallIntegerField("最多连续上班天数", default=6)

    class Meta:
        verbose_name = "用工合同"
        verbose_name_plural = "用工合同"
        ordering = ["outlet", "user"]
        constraints = [
            models.UniqueConstraint(fields=["outlet", "user"], name="staff_contract_unique"),
            models.CheckConstraint(condition=Q(hours_per_week__gt=0, hours_per_week__lte=84),
                                   name="staff_contract_hours_range"),
            models.CheckConstraint(
                condition=Q(min_shift_hours__gt=0, max_shift_hours__gte=F("min_shift_hours"), max_shift_hours__lte=16),
                name="staff_contract_shift_range",
            ),
            models.CheckConstraint(condition=Q(days_per_week__gte=1, days_per_week__lte=7),
                                   name="staff_contract_days_range"),
            models.CheckConstraint(condition=Q(max_consecutive_days__gte=1, max_consecutive_days__lte=14),
                                   name="staff_contract_consecutive_range"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.outlet.code}: {self.hours_per_week} h/周"


class StaffAvailability(models.Model):
    """A window of the weekly pattern in which the person may work at the
    hall. A person with no windows at all may work whenever the hall is open;
    with some, only inside them (a weekday without one is a day off)."""

    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="staff_availability")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability")
    weekday = models.PositiveSmallIntegerField("星期", choices=Weekday.choices)
    starts = models.TimeField("起")
    ends = models.TimeField("止", help_text="00:00 为午夜 / 00:00 is midnight")

    class Meta:
        verbose_name = "可上班时段"
        verbose_name_plural = "可上班时段"
        ordering = ["outlet", "user", "weekday", "starts"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="staff_availability_weekday"),
            _ends_after_start("staff_availability", "starts", "ends"),
        ]

    def __str__(self):
        return f"{self.user} {self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"


class Leave(models.Model):
    """Whole days off, from `first_day` to `last_day` inclusive."""

    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="staff_leave")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="leave")
    first_day = models.DateField("开始日期")
    last_day = models.DateField("结束日期")
    reason = models.CharField("事由", max_length=100, blank=True)

    class Meta:
        verbose_name = "休假"
        verbose_name_plural = "休假"
        ordering = ["outlet", "first_day"]
        constraints = [
            models.CheckConstraint(condition=Q(last_day__gte=F("first_day")), name="leave_last_day_after_first"),
        ]
        indexes = [models.Index(fields=["user", "first_day"])]

    def __str__(self):
        return f"{self.user} {self.first_day}~{self.last_day}"


class ShiftTemplate(models.Model):
    """A shift the hall's rosters use. The break of `break_minutes` lies
    within [break_earliest, break_latest_end] (empty: anywhere inside the
    shift, never in its first or last half hour)."""

    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="shift_templates")
    code = models.SlugField("代码", max_length=20)
    name = models.CharField("名称", max_length=50, blank=True)
    starts = models.TimeField("上班")
    ends = models.TimeField("下班", help_text="00:00 为午夜 / 00:00 is midnight")
    break_minutes = models.PositiveSmallIntegerField(
        "休息(分钟)", default=0, choices=[(0, "无"), (30, "30 分钟"), (60, "60 分钟"), (90, "90 分钟")]
    )
    break_earliest = models.TimeField("休息最早开始", null=True, blank=True)
    break_latest_end = models.TimeField("休息最晚结束", null=True, blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "班次模板"
        verbose_name_plural = "班次模板"
        ordering = ["outlet", "starts", "code"]
        constraints = [
            models.UniqueConstraint(fields=["outlet", "code"], name="shift_template_unique_code"),
            _ends_after_start("shift_template", "starts", "ends"),
            models.CheckConstraint(condition=Q(break_minutes__in=[0, 30, 60, 90]), name="shift_template_break"),
        ]

    def __str__(self):
        return f"{self.code} {self.starts:%H:%M}-{self.ends:%H:%M}"


class RosterShiftSource(models.TextChoices):
    SOLVER = "solver", "自动排班"
    MANAGER = "manager", "经理调整"


class RosterShift(models.Model):
    """One person's shift on one day: at most one a day, wherever they work.
    `source`: made by the solver (replaced when the week is planned again) or
    by a manager (kept). `services`: what the person serves on it."""

    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="roster_shifts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="roster_shifts")
    date = models.DateField("日期")
    starts = models.TimeField("上班")
    ends = models.TimeField("下班", help_text="00:00 为午夜 / 00:00 is midnight")
    break_starts = models.TimeField("休息开始", null=True, blank=True)
    break_ends = models.TimeField("休息结束", null=True, blank=True)
    services = models.ManyToManyField(Service, blank=True, related_name="roster_shifts", verbose_name="业务")
    template_code = models.CharField("班次", max_length=20, blank=True)
    source = models.CharField("来源", max_length=10, choices=RosterShiftSource.choices, default=RosterShiftSource.MANAGER)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "排班"
        verbose_name_plural = "排班"
        ordering = ["outlet", "date", "starts", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "date"], name="roster_shift_one_a_day"),
            _ends_after_start("roster_shift", "starts", "ends"),
            models.CheckConstraint(
                condition=Q(break_starts__isnull=True, break_ends__isnull=True)
                | Q(break_starts__gt=F("starts"), break_ends__gt=F("break_starts"), break_ends__lt=F("ends"))
                | Q(break_starts__gt=F("starts"), break_ends__gt=F("break_starts"), ends=MIDNIGHT),
                name="roster_shift_break_inside",
            ),
        ]
        indexes = [models.Index(fields=["outlet", "date"])]

    def __str__(self):
        return f"{self.user} {self.date} {self.starts:%H:%M}-{self.ends:%H:%M}"
