"""The local carrier's tables (`kiosk.carrier.local.LocalCarrier`), standing
in for the carrier's own systems: plans, subscribers, bills, usage,
value-added services, points and rewards, the number stock. Only
LocalCarrier (and the demo data) touches them; the self-service flows read
and change them through the gateway.

Money is integer fen, data integer KB (1 MB = 1024 KB).
"""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from config.phones import mask_phone


class Plan(models.Model):
    code = models.CharField("代码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=50)
    monthly_fee_fen = models.PositiveIntegerField("月费(分)")
    data_kb = models.PositiveBigIntegerField("套餐流量(KB)", default=0)
    wlan_minutes = models.PositiveIntegerField("WLAN时长(分钟)", default=0)

    class Meta:
        verbose_name = "资费套餐"
        verbose_name_plural = "资费套餐"
        ordering = ["monthly_fee_fen", "code"]

    def __str__(self):
        return self.name


class SubscriberStatus(models.TextChoices):
    ACTIVE = "active", "正常"
    SUSPENDED = "suspended", "停机"
    CLOSED = "closed", "销户"


class Subscriber(models.Model):
    msisdn = models.CharField("手机号", max_length=11)
    name = models.CharField("机主姓名", max_length=40, blank=True)
    plan = models.ForeignKey(Plan, verbose_name="套餐", on_delete=models.PROTECT, null=True, blank=True)
    balance_fen = models.BigIntegerField("余额(分)", default=0)
    points = models.IntegerField("积分", default=0)
    status = models.CharField("状态", max_length=10, choices=SubscriberStatus.choices, default=SubscriberStatus.ACTIVE)
    created_at = models.DateTimeField("入网时间", default=timezone.now)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        ordering = ["msisdn"]
        constraints = [
            models.UniqueConstraint(fields=["msisdn"], name="subscriber_msisdn_unique"),
            # Prepaid: spending (packs) never takes the balance below zero.
            models.CheckConstraint(condition=Q(balance_fen__gte=0), name="subscriber_balance_not_negative"),
            models.CheckConstraint(condition=Q(points__gte=0), name="subscriber_points_not_negative"),
        ]

    def __str__(self):
        return mask_phone(self.msisdn)


class Bill(models.Model):
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="bills")
    month = models.CharField("月份", max_length=7)
    total_fen = models.IntegerField("合计(分)")

    class Meta:
        verbose_name = "月账单"
        verbose_name_plural = "月账单"
        ordering = ["subscriber", "-month"]
        constraints = [models.UniqueConstraint(fields=["subscriber", "month"], name="bill_unique_month")]

    def __str__(self):
        return f"{self.subscriber} {self.month}"


class BillItem(models.Model):
    bill = models.ForeignKey(Bill, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField("项目", max_length=40)
    amount_fen = models.IntegerField("金额(分)")

    class Meta:
        verbose_name = "账单明细"
        verbose_name_plural = "账单明细"
        ordering = ["bill", "position"]
        constraints = [models.UniqueConstraint(fields=["bill", "name"], name="bill_item_unique_name")]

    def __str__(self):
        return self.name


class BalanceCredit(models.Model):
    """Money put on a balance from outside (a paid top-up), once per reference:
    the order number the credit is for, so that a retried credit changes nothing."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="credits")
    reference = models.CharField("业务单号", max_length=40)
    amount_fen = models.PositiveIntegerField("金额(分)")
    created_at = models.DateTimeField("到账时间")

    class Meta:
        verbose_name = "充值入账"
        verbose_name_plural = "充值入账"
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["reference"], name="balance_credit_reference_unique")]

    def __str__(self):
        return f"{self.subscriber} {self.reference}"


class UsageMonth(models.Model):
    """A subscriber's use in a month: data from the plan, data beyond every
    allowance (charged at the overage rate), WLAN minutes."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="usage_months")
    month = models.CharField("月份", max_length=7)
    plan_data_used_kb = models.PositiveBigIntegerField("套餐内已用(KB)", default=0)
    overage_kb = models.PositiveBigIntegerField("超出流量(KB)", default=0)
    wlan_minutes_used = models.PositiveIntegerField("WLAN已用(分钟)", default=0)
    first_data_at = models.DateTimeField("首次上网", null=True, blank=True)

    class Meta:
        verbose_name = "月用量"
        verbose_name_plural = "月用量"
        ordering = ["subscriber", "-month"]
        constraints = [models.UniqueConstraint(fields=["subscriber", "month"], name="usage_unique_month")]

    def __str__(self):
        return f"{self.subscriber} {self.month}"


class PackSource(models.TextChoices):
    PACK = "pack", "流量包"
    REWARD = "reward", "积分兑换"


class PackPurchase(models.Model):
    """Extra data for one month: a bought pack (G5-G50) or data redeemed with points."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="packs")
    month = models.CharField("月份", max_length=7)
    code = models.CharField("代码", max_length=20)
    name = models.CharField("名称", max_length=50)
    source = models.CharField("来源", max_length=10, choices=PackSource.choices, default=PackSource.PACK)
    data_kb = models.PositiveBigIntegerField("流量(KB)")
    used_kb = models.PositiveBigIntegerField("已用(KB)", default=0)
    price_fen = models.PositiveIntegerField("价格(分)", default=0)
    created_at = models.DateTimeField("订购时间", default=timezone.now)
    # The buyer's Idempotency-Key: a retried purchase buys nothing more.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)

    class Meta:
        verbose_name = "流量包"
        verbose_name_plural = "流量包"
        ordering = ["subscriber", "month", "created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(used_kb__lte=F("data_kb")), name="pack_used_within_data"),
            models.UniqueConstraint(
                fields=["subscriber", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="pack_idempotency_key_unique",
            ),
        ]
        indexes = [models.Index(fields=["subscriber", "month"], name="pack_subscriber_month")]

    def __str__(self):
        return f"{self.subscriber} {self.month} {self.code}"


class ValueAddedService(models.Model):
    code = models.CharField("代码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=50)
    monthly_fee_fen = models.PositiveIntegerField("月费(分)")
    is_active = models.BooleanField("可订购", default=True)

    class Meta:
        verbose_name = "增值业务"
        verbose_name_plural = "增值业务"
        ordering = ["code"]

    def __str__(self):
        return self.name


class Subscription(models.Model):
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="subscriptions")
    vas = models.ForeignKey(ValueAddedService, verbose_name="增值业务", on_delete=models.PROTECT, related_name="+")
    since = models.DateTimeField("订购时间")
    cancelled_at = models.DateTimeField("退订时间", null=True, blank=True)

    class Meta:
        verbose_name = "增值业务订购"
        verbose_name_plural = "增值业务订购"
        ordering = ["subscriber", "since"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "vas"], condition=Q(cancelled_at__isnull=True), name="subscription_one_active"
            )
        ]

    def __str__(self):
        return f"{self.subscriber} {self.vas}"


class RewardKind(models.TextChoices):
    BILL_CREDIT = "bill_credit", "话费"
    DATA = "data", "流量"
    GIFT = "gift", "礼品"


class Reward(models.Model):
    code = models.CharField("代码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=50)
    kind = models.CharField("类型", max_length=12, choices=RewardKind.choices)
    points = models.PositiveIntegerField("所需积分")
    stock = models.IntegerField("库存")
    credit_fen = models.PositiveIntegerField("话费(分)", default=0)
    data_kb = models.PositiveBigIntegerField("流量(KB)", default=0)
    is_active = models.BooleanField("上架", default=True)

    class Meta:
        verbose_name = "积分礼品"
        verbose_name_plural = "积分礼品"
        ordering = ["kind", "points", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="reward_stock_not_negative"),
            models.CheckConstraint(condition=Q(points__gt=0), name="reward_points_positive"),
        ]

    def __str__(self):
        return self.name


class Redemption(models.Model):
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="redemptions")
    reward = models.ForeignKey(Reward, verbose_name="礼品", on_delete=models.PROTECT, related_name="redemptions")
    quantity = models.PositiveSmallIntegerField("数量")
    points_spent = models.PositiveIntegerField("消耗积分")
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    created_at = models.DateTimeField("兑换时间")

    class Meta:
        verbose_name = "积分兑换"
        verbose_name_plural = "积分兑换"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="redemption_idempotency_key_unique",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="redemption_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.subscriber} {self.reward} x{self.quantity}"


class NumberTier(models.TextChoices):
    NORMAL = "normal", "普通号"
    SILVER = "silver", "银号"
    GOLD = "gold", "金号"
    DIAMOND = "diamond", "钻石号"


class NumberStatus(models.TextChoices):
    AVAILABLE = "available", "可选"
    HELD = "held", "预占"
    SOLD = "sold", "已售"


class PhoneNumber(models.Model):
    """A number in stock. `patterns` holds its pattern tags between commas
    (",aabb,tail3,"), worked out when the number is stocked, so that a pattern
    search is a plain LIKE that every database runs the same way."""

    msisdn = models.CharField("号码", max_length=11)
    tier = models.CharField("等级", max_length=10, choices=NumberTier.choices, default=NumberTier.NORMAL)
    deposit_fen = models.PositiveIntegerField("预存/押金(分)", default=0)
    min_monthly_fen = models.PositiveIntegerField("月最低消费(分)", default=0)
    patterns = models.CharField("号型", max_length=100, blank=True, default=",")
    status = models.CharField("状态", max_length=10, choices=NumberStatus.choices, default=NumberStatus.AVAILABLE)
    sold_at = models.DateTimeField("售出时间", null=True, blank=True)
    # The order the number was sold to: activating it again for that order changes nothing.
    sold_for = models.CharField("售出订单号", max_length=24, blank=True)

    class Meta:
        verbose_name = "号码库存"
        verbose_name_plural = "号码库存"
        ordering = ["msisdn"]
        constraints = [
            models.UniqueConstraint(fields=["msisdn"], name="phone_number_unique"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in NumberStatus]), name="phone_number_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "tier", "msisdn"], name="number_stock_browse")]

    def __str__(self):
        return self.msisdn


class NumberHold(models.Model):
    """A number set aside for one holder (a kiosk or a customer) until
    `expires_at`. At most one per number (the one-to-one): an expired hold is
    taken over, never doubled."""

    number = models.OneToOneField(PhoneNumber, verbose_name="号码", on_delete=models.CASCADE, related_name="hold")
    holder = models.CharField("预占方", max_length=60)
    token = models.CharField(max_length=43)
    created_at = models.DateTimeField("预占时间")
    expires_at = models.DateTimeField("到期时间", db_index=True)
    order_no = models.CharField("订单号", max_length=24, blank=True)

    class Meta:
        verbose_name = "号码预占"
        verbose_name_plural = "号码预占"
        ordering = ["expires_at"]
        constraints = [models.UniqueConstraint(fields=["token"], name="number_hold_token_unique")]

    def __str__(self):
        return f"{self.number} → {self.holder}"
