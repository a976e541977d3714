"""Hall managers and city operations read the halls' peak-flow warnings in the admin."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {"厅经理": ["view_peakwarning"], "城市运营": ["view_peakwarning"]}


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
            group.permissions.add(*Permission.objects.filter(content_type__app_label="planning", codename__in=codenames))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(*Permission.objects.filter(content_type__app_label="planning",
                                                                codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("planning", "0002_warnings"),
        ("halls", "0003_floor_management"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
