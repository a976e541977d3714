"""The carrier's outlet network: outlets, their hours, services, counters and staff."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q


class OutletKind(models.TextChoices):
    OWNED_HALL = "owned_hall", "自办营业厅"
    FRANCHISE_STORE = "franchise_store", "指定专营店"
    AGENT_STORE = "agent_store", "特约代理店"
    AUTHORIZED_POINT = "authorized_point", "授权销售点"


outlet_code_validator = RegexValidator(r"^[A-Z0-9-]{2,20}$", "Use 2-20 capital letters, digits or dashes.")


class TransferPlacement(models.TextChoices):
    """Where a transferred ticket (一票到底: same number, another service)
    stands in its new line."""

    FRONT = "front", "排在新队列普通号之前"
    KEEP = "keep", "按原取号时间排队"
    BACK = "back", "排到新队列末尾"


class Outlet(models.Model):
    """A place where the carrier meets customers. Owned halls run the queue."""

    code = models.CharField("编码", max_length=20, unique=True, validators=[outlet_code_validator])
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=20, choices=OutletKind.choices, db_index=True)
    district = models.CharField("区县", max_length=40, db_index=True)
    address = models.CharField("地址", max_length=200, blank=True)
    lat = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    has_queue = models.BooleanField("排队叫号", default=False, db_index=True)
    is_active = models.BooleanField("营业中", default=True)
    pause_limit_minutes = models.PositiveSmallIntegerField(
        "暂停上限(分钟)", default=20,
        help_text="窗口暂停超过此时长即预警 / A counter paused longer than this raises a warning.",
    )
    transfer_placement = models.CharField(
        "转移排位", max_length=5, choices=TransferPlacement.choices, default=TransferPlacement.KEEP,
        help_text="转到另一业务的号码在新队列中的位置 / Where a ticket transferred to another service "
                  "stands in its new line: ahead of its normal tickets, by its issue time, or last.",
    )
    remote_check_in = models.BooleanField(
        "手机取号需到店签到", default=True, db_default=True,
        help_text="手机取的号到店签到后才叫号 / Tickets taken by phone are called only after their holder "
                  "checks in at the hall.",
    )

    class Meta:
        verbose_name = "网点"
        verbose_name_plural = "网点"
        ordering = ["code"]
        indexes = [models.Index(fields=["kind", "district"])]

    def __str__(self):
        return f"{self.name} ({self.code})"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "周一"
    TUESDAY = 1, "周二"
    WEDNESDAY = 2, "周三"
    THURSDAY = 3, "周四"
    FRIDAY = 4, "周五"
    SATURDAY = 5, "周六"
    SUNDAY = 6, "周日"


class OpeningHours(models.Model):
    """Regular hours for one weekday. `closes` at or before `opens` runs past
    midnight; `opens == closes` (00:00-00:00) is open all day."""

    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField("星期", choices=Weekday.choices)
    opens = models.TimeField("开门")
    closes = models.TimeField("关门")

    class Meta:
        verbose_name = "营业时间"
        verbose_name_plural = "营业时间"
        ordering = ["outlet", "weekday", "opens"]
        constraints = [
            models.UniqueConstraint(fields=["outlet", "weekday", "opens"], name="opening_hours_unique_start"),
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="opening_hours_weekday_range"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class OpeningException(models.Model):
    """A dated change to the regular hours: a holiday closure or special opening."""

    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="opening_exceptions")
    date = models.DateField("日期")
    is_closed = models.BooleanField("全天休息", default=False)
    opens = models.TimeField("开门", null=True, blank=True)
    closes = models.TimeField("关门", null=True, blank=True)
    note = models.CharField("说明", max_length=100, blank=True)

    class Meta:
        verbose_name = "特殊营业日"
        verbose_name_plural = "特殊营业日"
        ordering = ["outlet", "date"]
        constraints = [
            models.UniqueConstraint(fields=["outlet", "date"], name="opening_exception_unique_date"),
            models.CheckConstraint(
                condition=Q(is_closed=True) | Q(opens__isnull=False, closes__isnull=False),
                name="opening_exception_hours_or_closed",
            ),
        ]

    def __str__(self):
        return f"{self.date} {'休息' if self.is_closed else f'{self.opens:%H:%M}-{self.closes:%H:%M}'}"


prefix_validator = RegexValidator(r"^[A-Z]{1,2}$", "A ticket prefix is one or two capital letters.")


class Service(models.Model):
    """A kind of business (业务) customers queue for."""

    code = models.SlugField("编码", max_length=30, unique=True)
    name_zh = models.CharField("名称", max_length=50)
    name_en = models.CharField("英文名称", max_length=80)
    prefix = models.CharField("默认号码前缀", max_length=2, validators=[prefix_validator])
    target_wait_seconds = models.PositiveIntegerField("目标等候(秒)", default=600)
    default_handle_seconds = models.PositiveIntegerField("默认办理时长(秒)", default=300)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "业务"
        verbose_name_plural = "业务"
        ordering = ["sort_order", "code"]

    def __str__(self):
        return f"{self.name_zh} ({self.code})"


class HallQueue(models.Model):
    """A line several of a hall's services share (合并队列): one number
    sequence (its prefix) and one call order. Customers still pick the
    service; the counters serving any of its services call the whole line,
    by the time each ticket joined it."""

    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="queues")
    name = models.CharField("名称", max_length=50)
    prefix = models.CharField("号码前缀", max_length=2, validators=[prefix_validator])

    class Meta:
        verbose_name = "合并队列"
        verbose_name_plural = "合并队列"
        ordering = ["outlet", "prefix"]
        constraints = [models.UniqueConstraint(fields=["outlet", "prefix"], name="hall_queue_unique_prefix")]

    def __str__(self):
        return f"{self.name} [{self.prefix}]"


class HallService(models.Model):
    """A service a hall offers, with the prefix its tickets carry there.

    A service that joins one of the hall's shared queues carries the queue's
    prefix and draws its numbers from the queue's sequence (so its daily cap
    counts the queue's numbers)."""

    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="hall_services")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="hall_services")
    prefix = models.CharField("号码前缀", max_length=2, validators=[prefix_validator])
    queue = models.ForeignKey(
        HallQueue, verbose_name="合并队列", on_delete=models.PROTECT, null=True, blank=True, related_name="services",
        help_text="与同队列的业务共用号码与叫号顺序 / Shares numbers and call order with the queue's other services.",
    )
    daily_cap = models.PositiveIntegerField("每日限号", null=True, blank=True)
    target_wait_seconds = models.PositiveIntegerField(
        "目标等候(秒)", null=True, blank=True,
        help_text="本厅该业务的目标等候；留空则用业务的默认值 / This hall's target wait; blank: the service's.",
    )
    is_active = models.BooleanField("开放取号", default=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)
    no_show_after_seconds = models.PositiveIntegerField(
        "无应答自动过号(秒)", null=True, blank=True,
        help_text="叫号后多久未开始办理即自动重呼一次，再过同样时间记为过号；空=全局默认，0=不自动过号",
    )

    class Meta:
        verbose_name = "网点业务"
        verbose_name_plural = "网点业务"
        ordering = ["outlet", "sort_order", "service__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["outlet", "service"], name="hall_service_unique"),
            # Numbers are unique per hall, prefix and day: two services sharing a
            # prefix share one number sequence, which only the services of
            # one shared queue may (clean() keeps their prefix the queue's).
            models.UniqueConstraint(fields=["outlet", "prefix"], condition=Q(queue__isnull=True),
                                    name="hall_service_unique_prefix"),
        ]

    def __str__(self):
        return f"{self.outlet.code} {self.service.name_zh} [{self.prefix}]"

    def clean(self):
        if self.queue_id is not None:
            if self.queue.outlet_id != self.outlet_id:
                raise ValidationError({"queue": "合并队列属于另一营业厅 / That queue belongs to another hall."})
            self.prefix = self.queue.prefix
            return
        if self.outlet_id and HallQueue.objects.filter(outlet_id=self.outlet_id, prefix=self.prefix).exists():
            raise ValidationError({"prefix": "该前缀属于本厅的合并队列 / A shared queue of this hall uses this prefix; "
                                             "join the queue instead."})

    @property
    def target_wait(self) -> int:
        """The target wait in seconds at this hall (peak-flow warnings, service level)."""
        return self.target_wait_seconds or self.service.target_wait_seconds


class CounterState(models.TextChoices):
    CLOSED = "closed", "关闭"
    OPEN = "open", "服务中"
    PAUSED = "paused", "暂停"


class PauseReason(models.TextChoices):
    BREAK = "break", "休息"
    MEETING = "meeting", "会议"
    BACK_OFFICE = "back_office", "后台业务"
    OTHER = "other", "其他"


class RoutingProfile(models.TextChoices):
    """How a counter chooses among its services (工作模式). Within a service,
    vip and care come before normal, then the longest waiting."""

    # Across the counter's services: vip and care first, then the longest waiting.
    FIFO = "fifo", "先到先叫"
    # The counter's services in their order (CounterService.position): the
    # first one's line is emptied before the second is called; equal
    # positions share a turn, by waiting time. The order beats priority:
    # a vip of the second service waits for the first service's line.
    STRICT = "strict", "按业务顺序"
    # vip and care first; then the largest waited time x the service's weight.
    WEIGHTED = "weighted", "按权重"


class Counter(models.Model):
    """A service window (窗口) and who is signed in to it."""

    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="counters")
    number = models.PositiveSmallIntegerField("窗口号")
    name = models.CharField("名称", max_length=50, blank=True)
    services = models.ManyToManyField(Service, through="CounterService", related_name="counters")
    state = models.CharField("状态", max_length=10, choices=CounterState.choices, default=CounterState.CLOSED)
    profile = models.CharField(
        "叫号模式", max_length=10, choices=RoutingProfile.choices, default=RoutingProfile.FIFO,
        help_text="登录的营业员有个人模式时以其为准 / An agent signed in with a profile of their own uses theirs.",
    )
    pause_reason = models.CharField("暂停原因", max_length=20, choices=PauseReason.choices, blank=True)
    signed_in_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="当前营业员",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="signed_in_counters",
    )
    state_changed_at = models.DateTimeField("状态变更时间", null=True, blank=True)

    class Meta:
        verbose_name = "窗口"
        verbose_name_plural = "窗口"
        ordering = ["outlet", "number"]
        constraints = [
            models.UniqueConstraint(fields=["outlet", "number"], name="counter_unique_number"),
            # One agent, one counter: the console and the wall display name one place.
            models.UniqueConstraint(
                fields=["signed_in_user"],
                condition=Q(signed_in_user__isnull=False),
                name="counter_one_per_agent",
            ),
            models.CheckConstraint(
                condition=Q(state="closed", signed_in_user__isnull=True) | ~Q(state="closed"),
                name="counter_closed_has_nobody",
            ),
        ]

    def __str__(self):
        return self.name or f"{self.number}号窗口"

    @property
    def label(self):
        return self.name or f"{self.number}号窗口"


MAX_SERVICE_WEIGHT = 100


class CounterService(models.Model):
    """The ordered list of services a counter serves: the order is the
    `strict` profile's, the weight the `weighted` profile's."""

    counter = models.ForeignKey(Counter, on_delete=models.CASCADE, related_name="counter_services")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField("顺序", default=0)
    weight = models.PositiveSmallIntegerField(
        "权重", default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_SERVICE_WEIGHT)],
        help_text="按权重模式：等候时间 x 权重最大者先叫 / Weighted profile: the largest waited time x weight "
                  "is called first.",
    )

    class Meta:
        verbose_name = "窗口业务"
        verbose_name_plural = "窗口业务"
        ordering = ["counter", "position"]
        constraints = [
            models.UniqueConstraint(fields=["counter", "service"], name="counter_service_unique"),
            models.CheckConstraint(condition=Q(weight__gte=1, weight__lte=MAX_SERVICE_WEIGHT),
                                   name="counter_service_weight_range"),
        ]

    def __str__(self):
        return f"{self.counter} · {self.service.name_zh}"


class StaffRole(models.TextChoices):
    AGENT = "agent", "营业员"
    MANAGER = "manager", "厅经理"


class StaffMembership(models.Model):
    """A staff member belongs to a hall with a role."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField("角色", max_length=10, choices=StaffRole.choices, default=StaffRole.AGENT)
    skills = models.ManyToManyField(
        Service, verbose_name="可办业务", blank=True, related_name="+",
        help_text="此人在本厅可办理的业务 / The services this person may serve at this hall.",
    )
    phone = models.CharField(
        "手机号", max_length=11, blank=True, validators=[RegexValidator(r"^1[3-9][0-9]{9}$", "11位手机号 / 11 digits.")],
        help_text="严重预警短信发至此号（厅经理）/ Critical warnings are texted here (managers).",
    )
    profile = models.CharField(
        "个人叫号模式", max_length=10, choices=RoutingProfile.choices, blank=True,
        help_text="随此人到其登录的窗口；留空则用窗口的模式 / Follows this person to the counter they sign in "
                  "to; blank: the counter's own.",
    )

    class Meta:
        verbose_name = "网点人员"
        verbose_name_plural = "网点人员"
        constraints = [models.UniqueConstraint(fields=["user", "outlet"], name="membership_unique")]

    def __str__(self):
        return f"{self.user} @ {self.outlet.code} ({self.get_role_display()})"


class DistrictAssignment(models.Model):
    """A district manager sees every outlet of their district."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="districts")
    district = models.CharField("区县", max_length=40)

    class Meta:
        verbose_name = "区县经理"
        verbose_name_plural = "区县经理"
        constraints = [models.UniqueConstraint(fields=["user", "district"], name="district_assignment_unique")]

    def __str__(self):
        return f"{self.user} · {self.district}"
