from django.apps import AppConfig


class KioskConfig(AppConfig):
    name = "kiosk"
    verbose_name = "自助服务"

    def ready(self):
        from . import schema  # noqa: F401 - registers the schema's authentication extensions
