from django.apps import AppConfig


class CarrierConfig(AppConfig):
    name = "kiosk.carrier"
    label = "carrier"
    verbose_name = "运营商后台（本地）"
