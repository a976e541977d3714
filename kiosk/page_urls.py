from django.urls import path, re_path

from . import pay_views, views

RECEIPT = r"^kiosk/(?P<code>[^/]+)/receipt/(?P<kind>ticket|order)/(?P<ref>[A-Za-z0-9_-]{1,64})/"

urlpatterns = [
    path("kiosk/<str:code>/", views.kiosk_home, name="kiosk-home"),
    path("kiosk/<str:code>/qr.svg", views.qr_image, name="kiosk-qr"),
    re_path(RECEIPT + r"$", views.receipt_page, name="kiosk-receipt"),
    re_path(RECEIPT + r"print/$", views.receipt_print_view, name="kiosk-receipt-print"),
    path("kiosk/<str:code>/receipt/print/<int:job_id>/", views.print_job_status, name="kiosk-print-job"),
    path("pay/sandbox/<str:order_no>/", pay_views.sandbox_pay_page, name="pay-sandbox"),
]
