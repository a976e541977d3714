from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import health, metrics_view
from halls.views import home, outlet_finder
from kiosk.metrics import OrdersCollector
from queueing.planning.metrics import ActiveWarningsCollector

admin.site.site_header = "营业厅排队与自助服务 · 管理"
admin.site.site_title = "排队管理"
admin.site.index_title = "网点、业务与窗口"

urlpatterns = [
    path("", home, name="home"),
    path("outlets/", outlet_finder, name="outlet-finder"),
    path("health/live/", health.live, name="health-live"),
    path("health/ready/", health.ready, name="health-ready"),
    path("metrics", metrics_view.metrics, {"collectors": [ActiveWarningsCollector(), OrdersCollector()]},
         name="metrics"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("halls.urls")),
    path("api/v1/", include("queueing.urls")),
    path("api/v1/", include("kiosk.urls")),
    path("api/v1/", include("queueing.planning.urls")),
    path("api/v1/", include("queueing.reports.urls")),
    path("api/v1/", include("queueing.appointments.urls")),
    path("", include("queueing.page_urls")),
    path("", include("kiosk.page_urls")),
    path("", include("queueing.planning.page_urls")),
    path("", include("queueing.reports.page_urls")),
    path("", include("queueing.appointments.page_urls")),
]

# A database away while a request was outside any view answers 503 (config/api.py).
handler500 = "config.api.server_error"
