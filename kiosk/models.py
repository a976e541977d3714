"""Kiosk devices and the self-service records: one-time codes and customer
sessions, network print jobs, orders and payments, second confirmations,
usage reminders, SMS-hall dialogs and the self-service action log.

They name a subscriber by phone number (msisdn), never by a row of the
carrier's, so they work with any carrier plugged in behind
`kiosk.carrier.gateway.CarrierGateway`; the local carrier's own tables are in
`kiosk.carrier.models`.

Money is integer fen, data integer KB (1 MB = 1024 KB).
"""

import hashlib
import uuid

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from config.auth import HallDevice, VerifiedCustomer
from config.phones import mask_phone
from halls.models import Outlet

from .printing import printer_address_error


def token_digest(token: str) -> str:
    """What is stored of a secret token (device, session): its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def format_yuan(fen: int) -> str:
    """Integer fen as shown to people: 5000 -> "¥50.00" (no floats on the way)."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}¥{fen // 100}.{fen % 100:02d}"


# --- Kiosks -----------------------------------------------------------------------


class KioskDevice(HallDevice, models.Model):
    """A self-service terminal of a hall. It signs its requests with
    `Authorization: Kiosk <device token>`; only the token's SHA-256 is kept."""

    outlet = models.ForeignKey(Outlet, verbose_name="网点", on_delete=models.CASCADE, related_name="kiosks")
    name = models.CharField("名称", max_length=50)
    token_hash = models.CharField("令牌摘要", max_length=64, editable=False)
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    last_seen_at = models.DateTimeField("最近在线", null=True, blank=True)
    printer_address = models.CharField(
        "小票打印机地址", max_length=100, blank=True,
        validators=[RegexValidator(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$", "填写 host:port，例如 10.0.0.8:9100 / Use host:port.")],
        help_text="网络打印机 host:port（ESC/POS，通常端口 9100）；留空则由终端浏览器打印 / "
        "A network ESC/POS printer as host:port; blank prints from the kiosk's browser.",
    )

    class Meta:
        verbose_name = "自助终端"
        verbose_name_plural = "自助终端"
        ordering = ["outlet", "name"]
        constraints = [
            models.UniqueConstraint(fields=["token_hash"], name="kiosk_token_unique"),
            models.UniqueConstraint(fields=["outlet", "name"], name="kiosk_name_unique_per_outlet"),
        ]

    # The tickets a kiosk takes for customers (config.auth.HallDevice).
    ticket_channel = "kiosk"

    def clean(self):
        super().clean()
        error = printer_address_error(self.printer_address) if self.printer_address else None
        if error:
            raise ValidationError({"printer_address": error})

    def __str__(self):
        return f"{self.name} @ {self.outlet.code}"


# --- Customers: one-time codes and sessions --------------------------------------------


class OtpCode(models.Model):
    """A six-digit code texted to a phone. Only an HMAC of it is kept."""

    phone = models.CharField("手机号", max_length=11)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField("发送时间")
    expires_at = models.DateTimeField("失效时间")
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    used = models.BooleanField("已使用", default=False)
    kiosk = models.ForeignKey(KioskDevice, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = "验证码"
        verbose_name_plural = "验证码"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["phone", "-created_at"], name="otp_phone_latest")]
        constraints = [models.CheckConstraint(condition=Q(attempts__gte=0), name="otp_attempts_not_negative")]

    def __str__(self):
        return f"{mask_phone(self.phone)} {self.created_at:%Y-%m-%d %H:%M}"


class CustomerSession(VerifiedCustomer, models.Model):
    """A customer who proved their phone with a code: `Authorization: Customer <token>`."""

    token_hash = models.CharField(max_length=64)
    phone = models.CharField("手机号", max_length=11, db_index=True)
    created_at = models.DateTimeField("登录时间")
    expires_at = models.DateTimeField("失效时间")
    ended_at = models.DateTimeField("退出时间", null=True, blank=True)
    kiosk = models.ForeignKey(
        KioskDevice, verbose_name="自助终端", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "客户会话"
        verbose_name_plural = "客户会话"
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["token_hash"], name="customer_session_token_unique")]

    def __str__(self):
        return f"{mask_phone(self.phone)} {self.created_at:%Y-%m-%d %H:%M}"


# --- The action log ------------------------------------------------------------------


class SelfServiceChannel(models.TextChoices):
    KIOSK = "kiosk", "自助终端"
    API = "api", "网上/掌上营业厅"
    SMS = "sms", "短信营业厅"
    SYSTEM = "system", "系统"


class ActionResult(models.TextChoices):
    OK = "ok", "成功"
    REFUSED = "refused", "被拒绝"
    FAILED = "failed", "失败"


class SelfServiceAction(models.Model):
    """One self-service action: who (kiosk, customer), what, and how it ended."""

    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    channel = models.CharField("渠道", max_length=10, choices=SelfServiceChannel.choices)
    kiosk = models.ForeignKey(
        KioskDevice, verbose_name="自助终端", on_delete=models.SET_NULL, null=True, blank=True, related_name="actions"
    )
    phone = models.CharField("手机号", max_length=11, blank=True)
    action = models.CharField("操作", max_length=30, db_index=True)
    result = models.CharField("结果", max_length=10, choices=ActionResult.choices)
    error_code = models.CharField("错误码", max_length=50, blank=True)
    detail = models.JSONField("详情", default=dict, blank=True)

    class Meta:
        verbose_name = "自助服务记录"
        verbose_name_plural = "自助服务记录"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["phone", "-at"], name="action_phone_latest"),
            models.Index(fields=["kiosk", "-at"], name="action_kiosk_latest"),
        ]

    def __str__(self):
        return f"{self.action} {mask_phone(self.phone)} {self.result}"


# --- Network printing ----------------------------------------------------------------


class PrintJobState(models.TextChoices):
    QUEUED = "queued", "排队中"
    PRINTING = "printing", "打印中"
    PRINTED = "printed", "已打印"
    FAILED = "failed", "失败"


class PrintJob(models.Model):
    """A receipt to print on a kiosk's network printer. The kiosk's request
    writes it with the receipt as it stood then (`receipt`, the
    kiosk.printing.Receipt as JSON) and a worker prints it: queued ->
    printing -> printed, or back to queued for another attempt after a
    printer failure, or failed (attempts used up, or nobody waits any more).
    `error` is what the kiosk shows, in both languages."""

    kiosk = models.ForeignKey(KioskDevice, verbose_name="自助终端", on_delete=models.CASCADE, related_name="print_jobs")
    # ticket:<token> or order:<order no>
    what = models.CharField("内容", max_length=80)
    receipt = models.JSONField("凭条")
    state = models.CharField("状态", max_length=10, choices=PrintJobState.choices, default=PrintJobState.QUEUED)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    error_code = models.CharField("错误码", max_length=50, blank=True)
    error = models.CharField("错误信息", max_length=300, blank=True)
    created_at = models.DateTimeField("创建时间", db_index=True)
    # When it was last sent to the workers (created, retried, re-sent by the
    # sweep): a queued job not taken long after is one whose task was lost.
    queued_at = models.DateTimeField("排队时间")
    # When a worker took it (queued -> printing).
    claimed_at = models.DateTimeField("开始打印时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "打印任务"
        verbose_name_plural = "打印任务"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=[s.value for s in PrintJobState]), name="print_job_state_valid"
            ),
        ]
        indexes = [models.Index(fields=["state", "queued_at"], name="print_job_state_queued")]

    def __str__(self):
        return f"{self.what} {self.get_state_display()}"


# --- Orders and payments ---------------------------------------------------------------


class OrderKind(models.TextChoices):
    TOPUP = "topup", "缴费充值"
    NUMBER = "number", "选号入网"


class OrderStatus(models.TextChoices):
    CREATED = "created", "待支付"
    PAID = "paid", "已支付"
    FULFILLED = "fulfilled", "已完成"
    FAILED = "failed", "失败"
    REFUNDED = "refunded", "已退款"
    # A number order not paid while its number was held: the number went back to stock.
    EXPIRED = "expired", "已过期"


class Order(models.Model):
    """Something a customer pays for: a top-up, or a new number. Paid orders
    are fulfilled once (the balance credited, the number sold and activated)."""

    order_no = models.CharField("订单号", max_length=24)
    kind = models.CharField("类型", max_length=10, choices=OrderKind.choices)
    status = models.CharField("状态", max_length=10, choices=OrderStatus.choices, default=OrderStatus.CREATED)
    amount_fen = models.PositiveIntegerField("金额(分)")
    msisdn = models.CharField("号码", max_length=11)
    kiosk = models.ForeignKey(
        KioskDevice, verbose_name="自助终端", on_delete=models.SET_NULL, null=True, blank=True, related_name="orders"
    )
    customer_phone = models.CharField("客户手机号", max_length=11, blank=True)
    # Who asked (kiosk:<id>, customer:<phone>, client:<address>): Idempotency-Keys are theirs.
    requester = models.CharField(max_length=60)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    detail = models.JSONField("详情", default=dict, blank=True)
    failure_reason = models.CharField("失败原因", max_length=200, blank=True)
    created_at = models.DateTimeField("下单时间")
    paid_at = models.DateTimeField("支付时间", null=True, blank=True)
    fulfilled_at = models.DateTimeField("完成时间", null=True, blank=True)
    # Fulfilment's claim on a paid order (services.orders.order_fulfil): taken in
    # a short transaction before the carrier is called outside any, and checked
    # when the result is recorded. A claim older than the claim timeout is a
    # worker's that died, and may be taken over.
    fulfil_claim = models.CharField(max_length=32, blank=True)
    fulfil_claimed_at = models.DateTimeField("履约开始时间", null=True, blank=True)
    # Fulfilments that raised and refunds that failed, counted; at
    # ORDER_MAX_ATTEMPTS the order is parked: no sweep retries it, an error
    # is logged, and the staff settle it by hand.
    attempts = models.PositiveSmallIntegerField("失败次数", default=0)
    parked_at = models.DateTimeField("转人工处理时间", null=True, blank=True)

    class Meta:
        verbose_name = "订单"
        verbose_name_plural = "订单"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["order_no"], name="order_no_unique"),
            models.UniqueConstraint(
                fields=["requester", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="order_idempotency_key_unique",
            ),
            # A number is sold once: at most one fulfilled number order per number.
            models.UniqueConstraint(
                fields=["msisdn"], condition=Q(kind="number", status="fulfilled"), name="order_number_sold_once"
            ),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="order_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in OrderStatus]), name="order_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["created", "expired"]) | Q(paid_at__isnull=False),
                name="order_paid_has_paid_at",
            ),
        ]
        indexes = [models.Index(fields=["status", "paid_at"], name="order_status_paid")]

    def __str__(self):
        return f"{self.order_no} {self.get_kind_display()} {self.get_status_display()}"


class Payment(models.Model):
    """A payment notice from the provider, once per transaction id."""

    order = models.ForeignKey(Order, verbose_name="订单", on_delete=models.PROTECT, related_name="payments")
    txn_id = models.CharField("交易号", max_length=64)
    amount_fen = models.PositiveIntegerField("金额(分)")
    provider = models.CharField("支付渠道", max_length=30)
    raw = models.TextField("原始通知", blank=True)
    # A second payment for an order that was already paid: kept for refunding by hand.
    is_duplicate = models.BooleanField("重复支付", default=False)
    received_at = models.DateTimeField("到账时间")

    class Meta:
        verbose_name = "支付记录"
        verbose_name_plural = "支付记录"
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["txn_id"], name="payment_txn_unique")]

    def __str__(self):
        return f"{self.txn_id} {self.amount_fen}"


# --- Second confirmations, reminders, SMS-hall dialogs ------------------------------------


class VasConfirmation(models.Model):
    """A value-added service a customer asked for. Nothing is subscribed until
    they confirm it a second time (二次确认) before `expires_at`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    msisdn = models.CharField("手机号", max_length=11)
    vas_code = models.CharField("业务代码", max_length=20)
    channel = models.CharField("渠道", max_length=10, choices=SelfServiceChannel.choices)
    kiosk = models.ForeignKey(KioskDevice, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField("申请时间")
    expires_at = models.DateTimeField("确认截止")
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)

    class Meta:
        verbose_name = "增值业务二次确认"
        verbose_name_plural = "增值业务二次确认"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{mask_phone(self.msisdn)} {self.vas_code}"


class UsageReminder(models.Model):
    """A data-usage reminder (流量提醒) given, once per number, month and threshold.
    `text` is empty when a more urgent reminder went out instead."""

    msisdn = models.CharField("手机号", max_length=11)
    month = models.CharField("月份", max_length=7)
    key = models.CharField("提醒", max_length=30)
    text = models.CharField("内容", max_length=500, blank=True)
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "流量提醒"
        verbose_name_plural = "流量提醒"
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(fields=["msisdn", "month", "key"], name="usage_reminder_once_per_month")
        ]

    def __str__(self):
        return f"{mask_phone(self.msisdn)} {self.month} {self.key}"


class SmsDialogKind(models.TextChoices):
    MENU = "menu", "10086菜单"
    VAS_MENU = "vas_menu", "0000退订菜单"
    PACK_CONFIRM = "pack_confirm", "流量包确认"


class SmsDialog(models.Model):
    """What the SMS hall last asked a phone, so that a short reply ("2", "Y")
    means something. One per phone; a new question replaces the old."""

    phone = models.CharField("手机号", max_length=11)
    kind = models.CharField("类型", max_length=20, choices=SmsDialogKind.choices)
    payload = models.JSONField(default=dict, blank=True)
    expires_at = models.DateTimeField("有效期至")

    class Meta:
        verbose_name = "短信营业厅会话"
        verbose_name_plural = "短信营业厅会话"
        constraints = [models.UniqueConstraint(fields=["phone"], name="sms_dialog_one_per_phone")]

    def __str__(self):
        return f"{mask_phone(self.phone)} {self.kind}"
