from django.db import migrations, models


class Migration(migrations.Migration):
    """The call-order key is always set, and the waiting tickets' index orders by it."""

    dependencies = [
        ("queueing", "0007_call_order_key"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="ticket", name="ticket_waiting_order"),
        migrations.AlterField(
            model_name="ticket", name="queued_at", field=models.DateTimeField(verbose_name="排队时间"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("status", "waiting")),
                fields=["outlet", "service", "priority_rank", "queued_at"],
                include=("id",),
                name="ticket_waiting_order",
            ),
        ),
    ]
