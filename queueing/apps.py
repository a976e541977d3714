from django.apps import AppConfig


class QueueingConfig(AppConfig):
    name = "queueing"
    verbose_name = "排队叫号"

    def ready(self):
        from . import signals  # noqa: F401 - connects the receivers
        from .services import displays  # noqa: F401 - the floor's display source
