"""Tickets, their numbering and their append-only event log."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from halls.models import Counter, Outlet, Service


class TicketSequence(models.Model):
    """The last number handed out per hall, prefix and business day.

    Incremented with one atomic upsert inside the issuing transaction, so the
    row lock orders concurrent issuers and a rolled-back issue gives its
    number back (numbers stay consecutive)."""

    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="+")
    prefix = models.CharField(max_length=2)
    business_date = models.DateField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["outlet", "prefix", "business_date"], name="ticket_sequence_unique"),
        ]

    def __str__(self):
        return f"{self.outlet_id} {self.prefix} {self.business_date}: {self.last_number}"


class WaitingLine(models.Model):
    """How many tickets wait in one line: a hall's service and priority class
    on one business day.

    Kept by the services in the same transaction that moves a ticket into or
    out of waiting, so in any snapshot it agrees with the tickets. The
    displays' waiting counts and a new ticket's place in line read it instead
    of counting lines that, on a bad day, are thousands long; they read the
    hall's live business day only, so a day not yet closed by the closing
    task counts for nothing."""

    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    priority_rank = models.PositiveSmallIntegerField()
    business_date = models.DateField()
    waiting = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["outlet", "business_date", "service", "priority_rank"], name="waiting_line_unique_per_day"
            ),
        ]

    def __str__(self):
        return f"{self.outlet_id} {self.business_date} {self.service_id} rank {self.priority_rank}: {self.waiting}"


class TicketStatus(models.TextChoices):
    WAITING = "waiting", "等候中"
    CALLED = "called", "已叫号"
    SERVING = "serving", "办理中"
    DONE = "done", "已完成"
    NO_SHOW = "no_show", "过号"
    CANCELLED = "cancelled", "已取消"


ACTIVE_AT_COUNTER = (TicketStatus.CALLED, TicketStatus.SERVING)
# What the business day's close ends (a customer being served is left to finish).
OPEN_AT_CLOSE = (TicketStatus.WAITING, TicketStatus.CALLED)


class CancelReason(models.TextChoices):
    CUSTOMER = "customer", "顾客取消"
    STAFF = "staff", "工作人员取消"
    DAY_CLOSED = "day_closed", "营业结束"


class Priority(models.TextChoices):
    NORMAL = "normal", "普通"
    VIP = "vip", "VIP"
    CARE = "care", "爱心"


# Lower ranks are called first: vip and care share a class ahead of normal.
PRIORITY_RANK = {Priority.VIP: 0, Priority.CARE: 0, Priority.NORMAL: 1}

# The order in which a counter calls the waiting tickets it may serve, and in
# which every place in line and wait estimate counts them (the counter's work
# profile decides among its services: queueing.services.routing).
CALL_ORDER = ("priority_rank", "queued_at", "id")


class PoolKind(models.TextChoices):
    """Where an agent parks a visit (the customer fills a form, fetches a document)."""

    COUNTER = "counter", "窗口暂存"
    AGENT = "agent", "个人暂存"


class Channel(models.TextChoices):
    KIOSK = "kiosk", "取号机"
    MOBILE = "mobile", "手机"
    STAFF = "staff", "工作人员"
    APPOINTMENT = "appointment", "预约"


class Ticket(models.Model):
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="tickets")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="tickets")
    prefix = models.CharField(max_length=2)
    sequence = models.PositiveIntegerField()
    number = models.CharField("号码", max_length=10)
    business_date = models.DateField("营业日")
    token = models.CharField(max_length=43, unique=True)
    status = models.CharField("状态", max_length=10, choices=TicketStatus.choices, default=TicketStatus.WAITING)
    cancel_reason = models.CharField("取消原因", max_length=12, choices=CancelReason.choices, null=True, blank=True)
    priority = models.CharField("优先级", max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    priority_rank = models.PositiveSmallIntegerField(default=1)
    channel = models.CharField("渠道", max_length=12, choices=Channel.choices)
    phone = models.CharField("手机号", max_length=11, blank=True)
    counter = models.ForeignKey(Counter, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets")
    call_count = models.PositiveSmallIntegerField("呼叫次数", default=0)
    reinstated_count = models.PositiveSmallIntegerField("过号顺延次数", default=0)
    issued_at = models.DateTimeField("取号时间")
    # The moment that orders the ticket in its line (CALL_ORDER): its issue
    # time, unless a rule placed it elsewhere (a reinstated no-show, a late
    # arrival, a booking checked in for its slot). Waits are still counted
    # from `issued_at`.
    queued_at = models.DateTimeField("排队时间")
    # Presence (queueing.presence): a phone ticket waits for its holder to
    # check in at the hall before it can be called; a holder who stepped
    # away is passed over until `away_until`. Neither moves the ticket in
    # its line.
    awaiting_arrival = models.BooleanField("待到店签到", default=False, db_default=False)
    arrived_at = models.DateTimeField("签到时间", null=True, blank=True)
    # The first time a counter passed the ticket over because its holder had
    # not arrived: the grace for a late arrival runs from here.
    passed_over_at = models.DateTimeField("轮到未到", null=True, blank=True)
    away_until = models.DateTimeField("暂离至", null=True, blank=True)
    away_count = models.PositiveSmallIntegerField("暂离次数", default=0, db_default=0)
    first_called_at = models.DateTimeField("首次叫号", null=True, blank=True)
    called_at = models.DateTimeField("叫号时间", null=True, blank=True)
    started_at = models.DateTimeField("开始办理", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    # A parked visit (暂存): waiting, but out of the general line, in a
    # counter's or an agent's pool until called back by hand or, from
    # `pool_due_at`, by the next call at that counter (or the agent's).
    parked = models.BooleanField("暂存", default=False, db_default=False)
    pool_counter = models.ForeignKey(Counter, verbose_name="暂存窗口", on_delete=models.SET_NULL, null=True,
                                     blank=True, related_name="pool")
    pool_agent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="暂存营业员", on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    pool_due_at = models.DateTimeField("暂存返回时间", null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "排队号"
        verbose_name_plural = "排队号"
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["outlet", "business_date", "prefix", "sequence"], name="ticket_number_unique_per_day"
            ),
            models.UniqueConstraint(
                fields=["outlet", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="ticket_idempotency_key_unique",
            ),
            # A counter serves one ticket at a time; two calls can never both land.
            models.UniqueConstraint(
                fields=["counter"],
                condition=Q(status__in=["called", "serving"]),
                name="ticket_one_active_per_counter",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in TicketStatus]), name="ticket_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["called", "serving"]) | Q(counter__isnull=False),
                name="ticket_active_has_counter",
            ),
            # Only a waiting ticket is parked.
            models.CheckConstraint(condition=Q(parked=False) | Q(status="waiting"), name="ticket_parked_is_waiting"),
            # Every cancelled ticket says why, and only a cancelled one.
            models.CheckConstraint(
                condition=Q(status="cancelled", cancel_reason__isnull=False)
                | (~Q(status="cancelled") & Q(cancel_reason__isnull=True)),
                name="ticket_cancel_reason_iff_cancelled",
            ),
        ]
        indexes = [
            # Call-next and queue counts: the waiting tickets of a hall's service in call order.
            # `id` is included (PostgreSQL) so that counting the tickets ahead
            # of one (ticket_position, which breaks ties by id) and the waiting
            # counts are index-only scans, not a visit to every waiting row.
            models.Index(
                fields=["outlet", "service", "priority_rank", "queued_at"],
                include=["id"],
                condition=Q(status="waiting", parked=False),
                name="ticket_waiting_order",
            ),
            # The pools: a counter's or an agent's parked visits, due ones first.
            models.Index(fields=["pool_counter", "pool_due_at"], condition=Q(parked=True), name="ticket_pool_counter"),
            models.Index(fields=["pool_agent", "pool_due_at"], condition=Q(parked=True), name="ticket_pool_agent"),
            models.Index(fields=["outlet", "business_date"], name="ticket_hall_day"),
            # The waiting tickets that may not be callable now (not arrived,
            # or away at some time): few, so that counting those ahead of a
            # ticket (ticket_position) and marking the ones passed over
            # (call-next) read a handful of rows.
            models.Index(
                fields=["outlet", "business_date", "service"],
                condition=Q(status="waiting") & (Q(awaiting_arrival=True) | Q(away_until__isnull=False)),
                name="ticket_waiting_absent",
            ),
            # The closing task: which halls have tickets of a day still open.
            models.Index(
                fields=["business_date", "outlet"],
                condition=Q(status__in=["waiting", "called"]),
                name="ticket_open_by_day",
            ),
            models.Index(fields=["phone", "business_date"], name="ticket_phone_day"),
        ]

    def __str__(self):
        return f"{self.number} ({self.get_status_display()})"


class TicketEventKind(models.TextChoices):
    ISSUED = "issued", "取号"
    CALLED = "called", "叫号"
    RECALLED = "recalled", "重呼"
    STARTED = "started", "开始办理"
    FINISHED = "finished", "办结"
    NO_SHOW = "no_show", "过号"
    CANCELLED = "cancelled", "取消"
    TRANSFERRED = "transferred", "转移"
    REINSTATED = "reinstated", "过号顺延"
    PARKED = "parked", "暂存"
    STEPPED_AWAY = "stepped_away", "暂离"
    CAME_BACK = "came_back", "暂离返回"
    CHECKED_IN = "checked_in", "到店签到"
    PLACED_LATE = "placed_late", "迟到顺延"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("This event log is append-only.")

    def delete(self):
        raise TypeError("This event log is append-only.")


class TicketEvent(models.Model):
    """One change of a ticket: who, at which counter, when, from which state to which.

    Append-only: reports and forecasts are computed from it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="events")
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=TicketEventKind.choices)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    counter = models.ForeignKey(Counter, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()
    detail = models.JSONField(default=dict, blank=True)
    request_key = models.CharField(max_length=100, null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = "排队事件"
        verbose_name_plural = "排队事件"
        ordering = ["at", "id"]
        constraints = [
            # A retried counter action (same Idempotency-Key) is recorded once.
            models.UniqueConstraint(
                fields=["counter", "request_key"],
                condition=Q(request_key__isnull=False),
                name="ticket_event_request_key_unique",
            ),
        ]
        indexes = [models.Index(fields=["outlet", "at"], name="ticket_event_hall_time")]

    def __str__(self):
        return f"{self.ticket_id} {self.kind} {self.at:%H:%M:%S}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("This event log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("This event log is append-only.")


class CounterEventKind(models.TextChoices):
    OPENED = "opened", "开启"
    PAUSED = "paused", "暂停"
    RESUMED = "resumed", "恢复"
    CLOSED = "closed", "关闭"
    # The counter's work profile or its services' order and weights changed
    # (its state did not: from_state == to_state; `reason` holds the profile).
    PROFILE = "profile", "叫号模式"


class CounterEvent(models.Model):
    """One change of a counter's state; staffing reports read open time from it. Append-only."""

    counter = models.ForeignKey(Counter, on_delete=models.PROTECT, related_name="events")
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=CounterEventKind.choices)
    from_state = models.CharField(max_length=10)
    to_state = models.CharField(max_length=10)
    reason = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = "窗口事件"
        verbose_name_plural = "窗口事件"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["outlet", "at"], name="counter_event_hall_time")]

    def __str__(self):
        return f"{self.counter_id} {self.kind} {self.at:%H:%M:%S}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("The counter event log is append-only.")
        super().save(*args, **kwargs)


class DisplayKind(models.TextChoices):
    LOBBY = "lobby", "大厅叫号屏"
    COUNTER = "counter", "窗口屏"


class DisplayDevice(models.Model):
    """A wall display or counter screen of a hall. It registers itself on its
    first heartbeat, which gives it a token for the later ones; the manager
    sees which ones have gone quiet."""

    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="displays")
    device_id = models.CharField(max_length=64)
    kind = models.CharField("类型", max_length=10, choices=DisplayKind.choices)
    counter = models.ForeignKey(Counter, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    name = models.CharField("名称", max_length=60, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    registered_at = models.DateTimeField("注册时间", auto_now_add=True)
    last_seen_at = models.DateTimeField("最近心跳", null=True, blank=True)
    # The SHA-256 of the token its first heartbeat was given: every later
    # heartbeat shows it. Empty for a device registered before tokens (its
    # next heartbeat is given one).
    token_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = "显示屏"
        verbose_name_plural = "显示屏"
        ordering = ["outlet", "kind", "counter__number"]
        constraints = [models.UniqueConstraint(fields=["outlet", "device_id"], name="display_device_unique")]

    def __str__(self):
        return self.name or f"{self.get_kind_display()} {self.device_id[:8]}"


class TicketRating(models.Model):
    """The customer's 1-5 satisfaction with a finished service."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="rating")
    score = models.PositiveSmallIntegerField("评分")
    comment = models.CharField("留言", max_length=500, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "满意度评价"
        verbose_name_plural = "满意度评价"
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="ticket_rating_score_range"),
        ]

    def __str__(self):
        return f"{self.ticket_id}: {self.score}"


class HallNotice(models.Model):
    """The line a hall's wall displays show its customers (the snapshot's and
    the `alert` event's message), e.g. "payments: please use the kiosks". One
    per hall at most; set by staff or by the hall's peak-flow warnings."""

    outlet = models.OneToOneField(Outlet, on_delete=models.CASCADE, related_name="notice")
    level = models.CharField("级别", max_length=10)
    message = models.CharField("内容", max_length=200)
    set_at = models.DateTimeField("时间")
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField("来源", max_length=40, blank=True)

    class Meta:
        verbose_name = "大厅提示"
        verbose_name_plural = "大厅提示"

    def __str__(self):
        return f"{self.outlet_id} {self.level}: {self.message}"


class HallDiversion(models.Model):
    """While active, customers about to take a remote ticket for `service` (or
    any service) at `outlet` are pointed to `to_outlet`, whose wait is shorter."""

    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="diversions")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    to_outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField("开始")
    ended_at = models.DateTimeField("结束", null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "分流到附近营业厅"
        verbose_name_plural = "分流到附近营业厅"
        constraints = [
            models.UniqueConstraint(
                fields=["outlet", "service"], condition=Q(ended_at__isnull=True), name="diversion_one_active",
            ),
        ]

    def __str__(self):
        return f"{self.outlet_id} -> {self.to_outlet_id}"


class CounterRequestAnswer(models.TextChoices):
    ACCEPTED = "accepted", "已接受"
    DECLINED = "declined", "已婉拒"


class CounterRequest(models.Model):
    """A manager asks the hall's agents to open a counter (for a service):
    their consoles show it until one of them answers."""

    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="counter_requests")
    counter = models.ForeignKey(Counter, on_delete=models.CASCADE, related_name="requests")
    service = models.ForeignKey(Service, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    message = models.CharField("说明", max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("时间")
    answer = models.CharField("答复", max_length=10, choices=CounterRequestAnswer.choices, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)

    class Meta:
        verbose_name = "开窗请求"
        verbose_name_plural = "开窗请求"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["counter"], condition=Q(answered_at__isnull=True), name="counter_request_one_open",
            ),
        ]

    def __str__(self):
        return f"{self.counter} {self.answer or 'open'}"


class HandleTime(models.Model):
    """How long a service takes at a hall at an hour of the day, learned from
    the finished tickets of recent weeks (refreshed nightly): what the wait
    estimates use before today's own tickets say more."""

    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    hour = models.PositiveSmallIntegerField()
    mean_seconds = models.FloatField()
    sd_seconds = models.FloatField()
    samples = models.PositiveIntegerField()
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["outlet", "service", "hour"], name="handle_time_unique"),
            models.CheckConstraint(condition=Q(hour__gte=0, hour__lte=23), name="handle_time_hour_range"),
        ]

    def __str__(self):
        return f"{self.outlet_id} {self.service_id} {self.hour}h: {self.mean_seconds:.0f}s"
