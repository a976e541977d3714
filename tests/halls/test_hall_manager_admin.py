"""The hall manager role (厅经理) in the admin: what the hall's kiosks,
displays and customers' ratings are, for their own halls only. The role's
group and permissions come from the migrations, the group from the membership."""

import pytest
from django.contrib.auth.models import Group

from halls.models import StaffRole
from halls.roles import CITY_OPERATIONS_GROUP
from kiosk.models import KioskDevice
from kiosk.services import Origin, topup_create
from queueing import services
from queueing.models import DisplayDevice
from tests.halls.factories import UserFactory, member
from tests.kiosk.factories import KioskDeviceFactory, SubscriberFactory
from tests.queueing.factories import build_floor


def hall_manager_of(outlet, username="mgr"):
    """A user made manager of `outlet` by a membership, and nothing else."""
    manager = UserFactory(username=username)
    member(manager, outlet, StaffRole.MANAGER)
    return manager


@pytest.fixture
def two_halls(db):
    return build_floor(code="OWN-1"), build_floor(code="OTHER-1")


@pytest.fixture
def manager_client(client, two_halls):
    own, _ = two_halls
    client.force_login(hall_manager_of(own.hall))
    return client


def served(floor):
    """A ticket taken, called, served and finished at counter 1."""
    ticket = services.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")[0]
    services.counter_open(counter_id=floor.counter1.pk, user=floor.agent)
    services.ticket_call_next(counter_id=floor.counter1.pk, actor=floor.agent)
    services.ticket_start(counter_id=floor.counter1.pk, actor=floor.agent)
    services.ticket_finish(counter_id=floor.counter1.pk, actor=floor.agent)
    return ticket


def test_a_hall_manager_sees_their_halls_kiosks_and_not_other_halls(manager_client, two_halls):
    own, other = two_halls
    KioskDeviceFactory(outlet=own.hall, name="本厅一号终端")
    KioskDeviceFactory(outlet=other.hall, name="别厅一号终端")

    response = manager_client.get("/admin/kiosk/kioskdevice/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "本厅一号终端" in html and "别厅一号终端" not in html


def test_a_hall_manager_can_rename_their_halls_kiosk_but_not_open_another_halls(manager_client, two_halls):
    own, other = two_halls
    mine = KioskDeviceFactory(outlet=own.hall)
    theirs = KioskDeviceFactory(outlet=other.hall)

    response = manager_client.post(f"/admin/kiosk/kioskdevice/{mine.pk}/change/",
                                   {"outlet": own.hall.pk, "name": "大厅入口终端", "is_active": "on"})

    assert response.status_code == 302
    assert KioskDevice.objects.get(pk=mine.pk).name == "大厅入口终端"
    assert manager_client.get(f"/admin/kiosk/kioskdevice/{theirs.pk}/change/").status_code == 302  # "does not exist"


def test_a_hall_manager_cannot_add_a_kiosk(manager_client):
    assert manager_client.get("/admin/kiosk/kioskdevice/add/").status_code == 403


def test_city_operations_who_may_only_view_kiosks_cannot_give_one_a_new_token(client, two_halls):
    own, _ = two_halls
    kiosk = KioskDeviceFactory(outlet=own.hall)
    before = kiosk.token_hash
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.groups.add(Group.objects.get(name=CITY_OPERATIONS_GROUP))
    client.force_login(viewer)

    client.post("/admin/kiosk/kioskdevice/", {"action": "rotate_token", "_selected_action": [kiosk.pk]})

    assert KioskDevice.objects.get(pk=kiosk.pk).token_hash == before


def test_a_hall_manager_sees_their_halls_ratings_and_not_other_halls(manager_client, two_halls):
    own, other = two_halls
    services.ticket_rate(token=served(own).token, score=5, comment="本厅的评价")
    services.ticket_rate(token=served(other).token, score=1, comment="别厅的评价")

    response = manager_client.get("/admin/queueing/ticketrating/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "本厅的评价" in html and "别厅的评价" not in html


def test_a_hall_manager_sees_their_halls_displays_and_not_other_halls(manager_client, two_halls):
    own, other = two_halls
    DisplayDevice.objects.create(outlet=own.hall, device_id="own-lobby", kind="lobby", name="本厅大屏")
    DisplayDevice.objects.create(outlet=other.hall, device_id="other-lobby", kind="lobby", name="别厅大屏")

    response = manager_client.get("/admin/queueing/displaydevice/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "本厅大屏" in html and "别厅大屏" not in html


def test_a_hall_manager_sees_their_halls_kiosk_orders_with_the_number_masked(manager_client, two_halls):
    own, other = two_halls
    subscriber = SubscriberFactory(msisdn="13912345678")
    for hall, requester in ((own.hall, "kiosk:own"), (other.hall, "kiosk:other")):
        device = KioskDeviceFactory(outlet=hall)
        topup_create(msisdn=subscriber.msisdn, amount_fen=5_000, requester=requester,
                     origin=Origin.for_kiosk(device.pk))
    mine = KioskDevice.objects.get(outlet=own.hall).orders.get()

    listing = manager_client.get("/admin/kiosk/order/")
    detail = manager_client.get(f"/admin/kiosk/order/{mine.pk}/change/")

    assert listing.status_code == 200
    assert list(listing.context["cl"].queryset) == [mine]
    assert detail.status_code == 200
    assert "139****5678" in detail.content.decode() and "13912345678" not in detail.content.decode()
