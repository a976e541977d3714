from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The project's own configuration: its system checks (config.checks)."""

    name = "config"
    verbose_name = "配置"

    def ready(self):
        from . import checks  # noqa: F401 - registers the checks
