from django.apps import AppConfig


class HallsConfig(AppConfig):
    name = "halls"
    verbose_name = "网点"

    def ready(self):
        from . import signals  # noqa: F401 - connects the receivers
