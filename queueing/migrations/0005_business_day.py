"""The queue's business day: a cancelled ticket says why, and the kept
waiting counts are per business day (so a day not yet closed counts for
nothing on the next)."""

from django.db import migrations, models


def cancelled_by_customers(apps, schema_editor):
    """Until now only the ticket's holder could cancel it."""
    Ticket = apps.get_model("queueing", "Ticket")
    Ticket.objects.filter(status="cancelled", cancel_reason__isnull=True).update(cancel_reason="customer")


def count_waiting_tickets_per_day(apps, schema_editor):
    Ticket = apps.get_model("queueing", "Ticket")
    WaitingLine = apps.get_model("queueing", "WaitingLine")
    WaitingLine.objects.all().delete()
    lines = (
        Ticket.objects.filter(status="waiting")
        .values("outlet_id", "service_id", "priority_rank", "business_date")
        .annotate(n=models.Count("id"))
        .order_by()
    )
    WaitingLine.objects.bulk_create(
        [WaitingLine(outlet_id=line["outlet_id"], service_id=line["service_id"], priority_rank=line["priority_rank"],
                     business_date=line["business_date"], waiting=line["n"]) for line in lines],
        batch_size=1000,
    )


def count_waiting_tickets(apps, schema_editor):
    """Back: one row per hall, service and priority class, whatever the day."""
    Ticket = apps.get_model("queueing", "Ticket")
    WaitingLine = apps.get_model("queueing", "WaitingLine")
    WaitingLine.objects.all().delete()
    lines = (
        Ticket.objects.filter(status="waiting")
        .values("outlet_id", "service_id", "priority_rank")
        .annotate(n=models.Count("id"))
        .order_by()
    )
    WaitingLine.objects.bulk_create(
        [WaitingLine(outlet_id=line["outlet_id"], service_id=line["service_id"], priority_rank=line["priority_rank"],
                     business_date="2000-01-01", waiting=line["n"]) for line in lines],
        batch_size=1000,
    )


class Migration(migrations.Migration):

    dependencies = [
        ("halls", "0002_role_groups"),
        ("queueing", "0004_waiting_lines"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="cancel_reason",
            field=models.CharField(
                blank=True, null=True, max_length=12, verbose_name="取消原因",
                choices=[("customer", "顾客取消"), ("staff", "工作人员取消"), ("day_closed", "营业结束")],
            ),
        ),
        migrations.RunPython(cancelled_by_customers, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="ticket",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("cancel_reason__isnull", False), ("status", "cancelled")),
                    models.Q(models.Q(("status", "cancelled"), _negated=True), ("cancel_reason__isnull", True)),
                    _connector="OR",
                ),
                name="ticket_cancel_reason_iff_cancelled",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("status__in", ["waiting", "called"])),
                fields=["business_date", "outlet"],
                name="ticket_open_by_day",
            ),
        ),
        migrations.RemoveConstraint(model_name="waitingline", name="waiting_line_unique"),
        migrations.AddField(
            model_name="waitingline", name="business_date", field=models.DateField(null=True),
        ),
        migrations.RunPython(count_waiting_tickets_per_day, count_waiting_tickets),
        migrations.AlterField(model_name="waitingline", name="business_date", field=models.DateField()),
        migrations.AddConstraint(
            model_name="waitingline",
            constraint=models.UniqueConstraint(
                fields=("outlet", "business_date", "service", "priority_rank"), name="waiting_line_unique_per_day"
            ),
        ),
    ]
