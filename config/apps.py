from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The project's own configuration: its system checks (config.checks), structlog (config.logs)."""

    name = "config"
    verbose_name = "配置"

    def ready(self):
        from . import checks  # noqa: F401 - registers the checks
        from .logs import configure_structlog

        configure_structlog()
