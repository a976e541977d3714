from django.apps import AppConfig


class PlanningConfig(AppConfig):
    """Peak-flow warnings, forecasts, staffing, rosters and what-if simulation
    for hall managers (动态班务管理, 客流高峰预警). Depends on the queue; the
    queue never depends on it."""

    name = "queueing.planning"
    label = "planning"
    verbose_name = "客流与班务"

    def ready(self):
        from . import signals  # noqa: F401 - evaluates warnings as lines change
