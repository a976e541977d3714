"""The SMS outbox: every text the system sends, whatever the backend."""

from django.db import models
from django.db.models import Q


class SmsStatus(models.TextChoices):
    QUEUED = "queued", "待发送"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"
    # Past the hourly budget (SMS_HOURLY_BUDGET): kept, never sent.
    SKIPPED = "skipped", "超出预算未发送"


class SmsMessage(models.Model):
    to = models.CharField("手机号", max_length=11, db_index=True)
    text = models.CharField("内容", max_length=500)
    purpose = models.CharField("用途", max_length=30)
    status = models.CharField("状态", max_length=10, choices=SmsStatus.choices, default=SmsStatus.QUEUED)
    backend = models.CharField("通道", max_length=30, blank=True)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    last_error = models.CharField("错误", max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=100, null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    # A text that is worthless after a while (a one-time code): never sent
    # later than this, and its digits blanked once it has passed.
    expires_at = models.DateTimeField("有效期至", null=True, blank=True)
    # When the outbox sweep last handed this queued text to a worker again.
    swept_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "短信"
        verbose_name_plural = "短信发件箱"
        ordering = ["-created_at", "-id"]
        constraints = [
            # A text that must go once (e.g. "almost your turn" for a ticket) has a key.
            models.UniqueConstraint(
                fields=["dedupe_key"], condition=Q(dedupe_key__isnull=False), name="sms_dedupe_key_unique"
            ),
        ]
        indexes = [
            # The sweep's two questions: texts still queued, codes past their life.
            models.Index(fields=["created_at"], condition=Q(status="queued"), name="sms_queued"),
            models.Index(fields=["expires_at"], condition=Q(expires_at__isnull=False), name="sms_expiring"),
        ]

    def __str__(self):
        return f"{self.to[:3]}****{self.to[-4:]} {self.purpose} ({self.status})"
