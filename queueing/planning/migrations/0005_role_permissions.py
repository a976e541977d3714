"""Hall managers read the halls' peak-flow warnings and keep their staff's
contracts, availability, leave, shift templates and roster shifts in the
admin, and enter the events they expect to change a forecast (a promotion,
a handset launch) beside the forecasts they read; city operations read them
all."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROSTER_MODELS = ("staffcontract", "staffavailability", "leave", "shifttemplate", "rostershift")
KEPT_BY_MANAGERS = (*ROSTER_MODELS, "forecastevent")
GRANTS = {
    "厅经理": ["view_peakwarning", "view_arrivalforecast"]
    + [f"{action}_{model}" for model in KEPT_BY_MANAGERS for action in ("view", "add", "change", "delete")],
    "城市运营": ["view_peakwarning", "view_arrivalforecast"] + [f"view_{model}" for model in KEPT_BY_MANAGERS],
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
        ("planning", "0004_forecasts"),
        ("halls", "0003_floor_management"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
