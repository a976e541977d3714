"""The admin: every self-service model listed; logs, orders and payments read-only; hall scope."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from halls.models import StaffRole
from kiosk.models import Order, SelfServiceAction
from kiosk.services import Origin, topup_create
from tests.halls.factories import UserFactory, member

from .factories import KioskDeviceFactory, PhoneNumberFactory, RewardFactory

MODELS = ["kiosk.kioskdevice", "kiosk.selfserviceaction", "kiosk.order", "kiosk.payment", "kiosk.otpcode",
          "kiosk.customersession", "kiosk.vasconfirmation", "kiosk.usagereminder", "kiosk.smsdialog",
          "carrier.plan", "carrier.subscriber", "carrier.bill", "carrier.usagemonth", "carrier.packpurchase",
          "carrier.balancecredit", "carrier.valueaddedservice", "carrier.reward", "carrier.redemption",
          "carrier.phonenumber"]


@pytest.fixture
def superuser_client(client, db):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests-1")
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", MODELS)
def test_every_self_service_model_has_an_admin_list(superuser_client, subscriber, kiosk, model):
    PhoneNumberFactory()
    RewardFactory()
    topup_create(msisdn=subscriber.msisdn, amount_fen=5_000, requester="kiosk:1", origin=Origin.for_kiosk(kiosk.pk))

    app_label, model_name = model.split(".")

    response = superuser_client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))

    assert response.status_code == 200


def test_an_action_shows_in_the_admin_with_kiosk_and_masked_customer(superuser_client, subscriber, kiosk):
    topup_create(msisdn=subscriber.msisdn, amount_fen=5_000, requester="kiosk:1", origin=Origin.for_kiosk(kiosk.pk),
                 customer_phone="13900000000")
    action = SelfServiceAction.objects.get(action="topup_create")

    page = superuser_client.get(reverse("admin:kiosk_selfserviceaction_change", args=[action.pk])).content.decode()

    assert kiosk.name in page and "139****0000" in page


def test_orders_cannot_be_changed_in_the_admin(superuser_client, subscriber):
    order, _ = topup_create(msisdn=subscriber.msisdn, amount_fen=5_000, requester="x", origin=Origin())

    response = superuser_client.post(reverse("admin:kiosk_order_change", args=[order.pk]), {"status": "fulfilled"})

    assert response.status_code == 403
    assert Order.objects.get().status == "created"


def test_a_new_kiosk_gets_a_token_shown_once(superuser_client, hall):
    response = superuser_client.post(reverse("admin:kiosk_kioskdevice_add"),
                                     {"outlet": hall.pk, "name": "2号自助终端", "is_active": "on"}, follow=True)

    assert "shown once" in response.content.decode()


def test_a_hall_manager_sees_only_their_halls_kiosk_actions(client, subscriber, kiosk):
    other = KioskDeviceFactory(token="elsewhere")
    for device in (kiosk, other):
        topup_create(msisdn=subscriber.msisdn, amount_fen=5_000, requester=f"kiosk:{device.pk}",
                     origin=Origin.for_kiosk(device.pk))
    manager = UserFactory(username="manager", is_staff=True)
    member(manager, kiosk.outlet, StaffRole.MANAGER)
    manager.user_permissions.add(*Permission.objects.filter(codename="view_selfserviceaction"))
    client.force_login(manager)

    response = client.get(reverse("admin:kiosk_selfserviceaction_changelist"))

    assert response.status_code == 200
    assert list(response.context["cl"].queryset.values_list("kiosk", flat=True).distinct()) == [kiosk.pk]


def test_a_kiosks_receipt_printer_is_set_in_the_admin(superuser_client, kiosk):
    response = superuser_client.post(
        reverse("admin:kiosk_kioskdevice_change", args=[kiosk.pk]),
        {"outlet": kiosk.outlet_id, "name": kiosk.name, "is_active": "on", "printer_address": "10.20.0.8:9100"},
    )

    assert response.status_code == 302
    kiosk.refresh_from_db()
    assert kiosk.printer_address == "10.20.0.8:9100"


def test_a_printer_address_that_is_not_host_and_port_is_refused(superuser_client, kiosk):
    response = superuser_client.post(
        reverse("admin:kiosk_kioskdevice_change", args=[kiosk.pk]),
        {"outlet": kiosk.outlet_id, "name": kiosk.name, "is_active": "on", "printer_address": "http://printer/"},
    )

    assert response.status_code == 200
    assert "host:port" in response.content.decode()
    kiosk.refresh_from_db()
    assert kiosk.printer_address == ""


@pytest.mark.parametrize("address", ["8.8.8.8:9100", "10.20.0.8:22", "127.0.0.1:6379", "169.254.169.254:9100"])
def test_a_printer_address_outside_the_printer_networks_and_ports_is_refused(superuser_client, kiosk, address):
    response = superuser_client.post(
        reverse("admin:kiosk_kioskdevice_change", args=[kiosk.pk]),
        {"outlet": kiosk.outlet_id, "name": kiosk.name, "is_active": "on", "printer_address": address},
    )

    assert response.status_code == 200
    kiosk.refresh_from_db()
    assert kiosk.printer_address == ""
