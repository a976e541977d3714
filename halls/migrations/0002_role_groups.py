"""The role groups (agents, hall managers, city operations) and the admin
permissions of each, so that the roles mean something on any database, not
only one seeded with the demo. Frozen here as they were when written; a later
change of a role's permissions is a migration of its own."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "营业员": {},
    "厅经理": {
        "halls": [
            "view_outlet", "change_outlet",
            "view_openinghours", "change_openinghours", "add_openinghours", "delete_openinghours",
            "view_openingexception", "change_openingexception", "add_openingexception", "delete_openingexception",
            "view_hallservice", "change_hallservice",
            "view_counter", "change_counter",
            "view_counterservice", "change_counterservice", "add_counterservice", "delete_counterservice",
            "view_staffmembership", "change_staffmembership", "add_staffmembership", "delete_staffmembership",
            "view_service",
        ],
        "queueing": [
            "view_ticket", "view_ticketevent", "view_counterevent", "view_ticketrating",
            "view_displaydevice", "change_displaydevice",
        ],
        "kiosk": ["view_kioskdevice", "change_kioskdevice", "view_selfserviceaction", "view_order", "view_payment"],
    },
    "城市运营": {
        "halls": [
            "view_outlet", "view_openinghours", "view_openingexception", "view_service", "view_hallservice",
            "view_counter", "view_counterservice", "view_staffmembership", "view_districtassignment",
        ],
        "queueing": ["view_ticket", "view_ticketevent", "view_counterevent", "view_ticketrating",
                     "view_displaydevice"],
        "kiosk": ["view_kioskdevice", "view_selfserviceaction", "view_order"],
    },
}


def create_role_groups(apps, schema_editor):
    # Permissions are normally created after all migrations have run; the
    # groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, by_app in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for app_label, codenames in by_app.items():
            found = list(Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
            missing = set(codenames) - {p.codename for p in found}
            if missing:
                raise LookupError(f"Permissions missing for the {name} group: {sorted(missing)}")
            wanted += found
        group.permissions.set(wanted)


def remove_role_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("halls", "0001_initial"),
        ("queueing", "0004_waiting_lines"),
        ("kiosk", "0002_kiosk_printer_address"),
    ]

    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
