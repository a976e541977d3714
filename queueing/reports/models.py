"""Reports' records: rollups of the queue's tickets, kept current from the
tickets and the event log (services/rollups.py) so that no report reads
tickets one by one.

- `ServiceHour`: a hall's service in one hour of one business day (the hour
  a ticket was taken): what came, what happened to it, waits and handle
  times, ratings.
- `HallDay`: the same for the hall's whole business day (what the daily
  report and the city's reports read: a month of the city is a few thousand
  rows).
- `AgentDay`: one person at one counter of a hall on one business day:
  served, handle, busy, paused and signed-in time, ratings.

Waits (issue to first call) are kept as a histogram of WAIT_BUCKET_SECONDS
buckets as well as their sum, so that a p90 over any span is exact to the
bucket: bucket 0 holds waits of 0 s, bucket k > 0 waits in
(10(k-1), 10k] seconds; waits past the last bucket count in it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from halls.models import Counter, Outlet, Service

WAIT_BUCKET_SECONDS = 10
WAIT_BUCKETS = 1081  # 0 s and up to 3 hours in 10-second buckets; longer waits count in the last


class Measures(models.Model):
    """What every rollup counts. Tickets are counted on the business day
    they were taken; `served` is `done`."""

    issued = models.PositiveIntegerField("取号", default=0)
    served = models.PositiveIntegerField("办结", default=0)
    no_show = models.PositiveIntegerField("过号", default=0)
    cancelled = models.PositiveIntegerField("顾客取消", default=0)
    cancelled_by_staff = models.PositiveIntegerField("工作人员取消", default=0)
    closed_unserved = models.PositiveIntegerField("营业结束未办", default=0)
    transferred = models.PositiveIntegerField("转移", default=0)
    called = models.PositiveIntegerField("被叫号", default=0)
    called_in_time = models.PositiveIntegerField("目标内叫号", default=0)
    # Cancelled (by anyone) or closed unserved after waiting longer than the target.
    left_after_target = models.PositiveIntegerField("超时离开", default=0)
    wait_seconds = models.FloatField("等候合计(秒)", default=0)  # of the called tickets
    waits = models.JSONField("等候分布", default=list)  # WAIT_BUCKET_SECONDS buckets, trailing zeros dropped
    handled = models.PositiveIntegerField("有办理时长", default=0)
    handle_seconds = models.FloatField("办理合计(秒)", default=0)
    ratings = models.PositiveIntegerField("评价数", default=0)
    rating_sum = models.PositiveIntegerField("评分合计", default=0)
    rating_counts = models.JSONField("评分分布", default=list)  # [count of 1, ..., count of 5]
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class ServiceHour(Measures):
    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    date = models.DateField("营业日")
    hour = models.PositiveSmallIntegerField("时")

    class Meta:
        verbose_name = "业务小时汇总"
        verbose_name_plural = "业务小时汇总"
        constraints = [
            models.UniqueConstraint(fields=["outlet", "date", "service", "hour"], name="service_hour_unique"),
            models.CheckConstraint(condition=Q(hour__gte=0, hour__lte=23), name="service_hour_hour_range"),
        ]
        indexes = [models.Index(fields=["date", "outlet"], name="service_hour_day_hall")]


class HallDay(Measures):
    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="+")
    date = models.DateField("营业日")

    class Meta:
        verbose_name = "营业厅日汇总"
        verbose_name_plural = "营业厅日汇总"
        constraints = [models.UniqueConstraint(fields=["outlet", "date"], name="hall_day_unique")]
        indexes = [models.Index(fields=["date", "outlet"], name="hall_day_day_hall")]


class AgentDay(models.Model):
    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    counter = models.ForeignKey(Counter, on_delete=models.CASCADE, related_name="+")
    date = models.DateField("营业日")
    served = models.PositiveIntegerField("办结", default=0)
    no_show = models.PositiveIntegerField("过号", default=0)
    handle_seconds = models.FloatField("办理合计(秒)", default=0)
    # With a customer: from the (last) call to the finish, or to the no-show.
    busy_seconds = models.FloatField("忙碌(秒)", default=0)
    paused_seconds = models.FloatField("暂停(秒)", default=0)
    # Signed in at the counter: from opening it to closing it (pauses included).
    open_seconds = models.FloatField("在岗(秒)", default=0)
    ratings = models.PositiveIntegerField("评价数", default=0)
    rating_sum = models.PositiveIntegerField("评分合计", default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "营业员日汇总"
        verbose_name_plural = "营业员日汇总"
        constraints = [
            models.UniqueConstraint(fields=["outlet", "date", "user", "counter"], name="agent_day_unique"),
        ]
        indexes = [models.Index(fields=["user", "date"], name="agent_day_user_day")]


class DailySummary(models.Model):
    """A hall manager's summary of one business day, sent once (the row is
    taken under a lock before the mail goes, so two runs send it once)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    date = models.DateField("营业日")
    halls = models.PositiveSmallIntegerField("营业厅数", default=0)
    sent_at = models.DateTimeField("发送于", null=True, blank=True)

    class Meta:
        verbose_name = "每日简报"
        verbose_name_plural = "每日简报"
        constraints = [models.UniqueConstraint(fields=["user", "date"], name="daily_summary_once")]

    def __str__(self):
        return f"{self.user} {self.date}"
