"""The local carrier's tables move to the carrier app, step 3 of 3: the kiosk
app forgets them. State only: the tables (now carrier_*) belong to the
carrier app since carrier 0001. Related models go first."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("kiosk", "0003_carrier_tables_renamed"),
        ("carrier", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="BillItem"),
                migrations.DeleteModel(name="Bill"),
                migrations.DeleteModel(name="UsageMonth"),
                migrations.DeleteModel(name="PackPurchase"),
                migrations.DeleteModel(name="Subscription"),
                migrations.DeleteModel(name="Redemption"),
                migrations.DeleteModel(name="NumberHold"),
                migrations.DeleteModel(name="Subscriber"),
                migrations.DeleteModel(name="ValueAddedService"),
                migrations.DeleteModel(name="Reward"),
                migrations.DeleteModel(name="PhoneNumber"),
                migrations.DeleteModel(name="Plan"),
            ],
        ),
    ]
