"""The hall managers' morning summary: yesterday's figures of each hall they
manage and what went wrong, mailed once a day (Django's email backend: the
console unless EMAIL_URL names a server)."""

import logging
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from halls.models import StaffRole
from halls.roles import outlets_managed_by

from ..models import DailySummary
from ..summary import hall_day_summary

log = logging.getLogger(__name__)


def daily_summary_recipients() -> QuerySet:
    """Active hall managers (of a hall or a district) with an email address."""
    return (
        get_user_model().objects.filter(is_active=True).exclude(email="")
        .filter(Q(memberships__role=StaffRole.MANAGER) | Q(districts__isnull=False))
        .distinct().order_by("pk")
    )


def _message(user, day: date, summaries) -> EmailMultiAlternatives:
    site = settings.SITE_URL.rstrip("/")
    context = {
        "user": user,
        "day": day,
        "halls": [{"summary": s,
                   "reports_url": f"{site}{reverse('manage-reports', kwargs={'code': s.hall.code})}?from={day}&to={day}"}
                  for s in summaries],
        "problems": sum(len(s.problems) for s in summaries),
        "target": settings.PLANNING_TARGET_SERVICE_LEVEL,
    }
    subject = (f"【营业厅日报】{day:%m月%d日} "
               + ("一切正常" if not context["problems"] else f"{context['problems']} 项需关注")
               + f" / Daily summary {day:%Y-%m-%d}")
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("reports/email/daily_summary.txt", context),
        to=[user.email],
    )
    message.attach_alternative(render_to_string("reports/email/daily_summary.html", context), "text/html")
    return message


def daily_summary_send(*, user, day: date) -> bool:
    """Mail `user` the summary of business day `day` of the halls they
    manage, unless it went already; True when it went now. A failed send
    keeps nothing, so the next run tries again."""
    halls = list(outlets_managed_by(user).filter(is_active=True, has_queue=True).order_by("code"))
    if not user.email or not halls:
        return False
    with transaction.atomic():
        record, _ = DailySummary.objects.select_for_update().get_or_create(user=user, date=day)
        if record.sent_at is not None:
            return False
        # The primary, not the replica: this service writes, and a summary
        # goes once, so it reads what the primary holds now.
        _message(user, day, [hall_day_summary(hall, day, using=DEFAULT_DB_ALIAS) for hall in halls]).send()
        record.sent_at = timezone.now()
        record.halls = len(halls)
        record.save(update_fields=["sent_at", "halls"])
    log.info("Daily summary of %s sent to user %s (%d halls).", day, user.pk, len(halls))
    return True
