from django.db import migrations, models
from django.db.models import F


def queued_at_from_issue(apps, schema_editor):
    Ticket = apps.get_model("queueing", "Ticket")
    Ticket.objects.filter(queued_at__isnull=True).update(queued_at=F("issued_at"))


class Migration(migrations.Migration):
    """Tickets get the key that orders their line (`queued_at`), their issue
    time until a rule places them elsewhere; existing tickets keep their order."""

    dependencies = [
        ("queueing", "0006_floor_management"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket", name="queued_at", field=models.DateTimeField(null=True, verbose_name="排队时间"),
        ),
        migrations.RunPython(queued_at_from_issue, migrations.RunPython.noop),
    ]
