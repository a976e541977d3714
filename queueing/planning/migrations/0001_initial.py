from django.db import migrations


class Migration(migrations.Migration):
    """The planning app's first state: nothing yet."""

    initial = True

    dependencies = [
        ("halls", "0002_role_groups"),
        ("queueing", "0005_business_day"),
    ]

    operations = []
