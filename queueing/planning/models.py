"""Planning's records: peak-flow warnings and their suggestions, forecasts,
rosters."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from halls.models import Outlet, Service

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
