"""Hall managers keep their halls' slot capacities in the admin and read the
bookings; city operations read both."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "厅经理": ["view_appointment"] + [f"{action}_slotcapacity" for action in ("view", "add", "change", "delete")],
    "城市运营": ["view_appointment", "view_slotcapacity"],
}


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.add(*Permission.objects.filter(content_type__app_label="appointments",
                                                             codename__in=codenames))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(*Permission.objects.filter(content_type__app_label="appointments",
                                                                codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0001_initial"),
        ("halls", "0003_floor_management"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
