from django.apps import AppConfig


class KioskConfig(AppConfig):
    name = "kiosk"
    verbose_name = "自助服务"

    def ready(self):
        from . import devices, schema  # noqa: F401 - the floor's kiosk source; the schema's authentication
