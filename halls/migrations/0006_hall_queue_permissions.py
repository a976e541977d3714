"""Hall managers keep their halls' shared queues in the admin; city
operations read them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "厅经理": [f"{action}_hallqueue" for action in ("view", "add", "change", "delete")],
    "城市运营": ["view_hallqueue"],
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
            group.permissions.add(*Permission.objects.filter(content_type__app_label="halls", codename__in=codenames))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(*Permission.objects.filter(content_type__app_label="halls",
                                                                codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("halls", "0005_routing_profiles_shared_queues"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
