"""The local carrier's tables move to the carrier app (kiosk.carrier), step 1
of 3: the tables are renamed kiosk_* -> carrier_*, rows and all. Step 2
(carrier 0001) makes the carrier app own them; step 3 (kiosk 0004) drops them
from the kiosk's state. Nothing else changes in the database: columns,
indexes, constraints and the foreign keys between the tables stay as they are.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("kiosk", "0002_kiosk_printer_address"),
    ]

    operations = [
        migrations.AlterModelTable(name="plan", table="carrier_plan"),
        migrations.AlterModelTable(name="subscriber", table="carrier_subscriber"),
        migrations.AlterModelTable(name="bill", table="carrier_bill"),
        migrations.AlterModelTable(name="billitem", table="carrier_billitem"),
        migrations.AlterModelTable(name="usagemonth", table="carrier_usagemonth"),
        migrations.AlterModelTable(name="packpurchase", table="carrier_packpurchase"),
        migrations.AlterModelTable(name="valueaddedservice", table="carrier_valueaddedservice"),
        migrations.AlterModelTable(name="subscription", table="carrier_subscription"),
        migrations.AlterModelTable(name="reward", table="carrier_reward"),
        migrations.AlterModelTable(name="redemption", table="carrier_redemption"),
        migrations.AlterModelTable(name="phonenumber", table="carrier_phonenumber"),
        migrations.AlterModelTable(name="numberhold", table="carrier_numberhold"),
    ]
