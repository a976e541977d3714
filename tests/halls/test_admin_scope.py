"""The staff admin panel: a hall manager sees and edits only their own halls."""

import pytest
from django.contrib.auth.models import Permission

from halls.models import StaffRole
from tests.halls.factories import OutletFactory, UserFactory, add_counter, member


@pytest.fixture
def manager_client(client, db):
    own, other = OutletFactory(code="OWN-1"), OutletFactory(code="OTHER-1")
    manager = UserFactory(username="mgr", is_staff=True)
    manager.user_permissions.set(Permission.objects.filter(
        content_type__app_label="halls", codename__in=["view_outlet", "change_outlet", "view_counter",
                                                        "change_counter"]))
    member(manager, own, StaffRole.MANAGER)
    add_counter(own, 1, [])
    add_counter(other, 7, [])
    client.force_login(manager)
    return client, own, other


def test_a_hall_manager_sees_only_their_halls_in_the_admin(manager_client):
    client, own, other = manager_client

    page = client.get("/admin/halls/outlet/").content.decode()

    assert "OWN-1" in page and "OTHER-1" not in page


def test_a_hall_manager_cannot_open_another_halls_page_in_the_admin(manager_client):
    client, own, other = manager_client

    response = client.get(f"/admin/halls/outlet/{other.pk}/change/")

    assert response.status_code == 302  # the admin's "does not exist" redirect
    assert client.get(f"/admin/halls/outlet/{own.pk}/change/").status_code == 200


def test_a_hall_manager_sees_only_their_halls_counters(manager_client):
    client, own, other = manager_client

    page = client.get("/admin/halls/counter/").content.decode()

    assert "OWN-1" in page and "OTHER-1" not in page
