"""The role policy (halls.roles): agents, hall managers, city operations,
without seed_demo. Groups and permissions come from the migrations; a
user's role groups and staff status follow their memberships."""

import pytest
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from halls.models import DistrictAssignment, StaffMembership, StaffRole
from halls.roles import (
    AGENT_GROUP,
    CITY_OPERATIONS_GROUP,
    HALL_MANAGER_GROUP,
    ROLE_PERMISSIONS,
    counter_access,
    user_can_act_on,
    user_manages,
    user_reads,
    users_attachable_by,
)
from tests.halls.factories import OutletFactory, UserFactory, add_counter, member


def group_names(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def city_operations_user(username="ops"):
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=CITY_OPERATIONS_GROUP))
    return user


@pytest.fixture
def halls_a_b(db):
    return OutletFactory(code="HALL-A"), OutletFactory(code="HALL-B", district="二七区")


# --- The groups ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", [AGENT_GROUP, HALL_MANAGER_GROUP, CITY_OPERATIONS_GROUP])
def test_each_role_group_exists_after_migrating_with_its_permissions(name):
    group = Group.objects.get(name=name)

    granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}

    expected = {f"{app}.{code}" for app, codes in ROLE_PERMISSIONS[name].items() for code in codes}
    assert granted == expected


@pytest.mark.django_db
def test_city_operations_may_only_view():
    codenames = Group.objects.get(name=CITY_OPERATIONS_GROUP).permissions.values_list("codename", flat=True)

    assert codenames and all(code.startswith("view_") for code in codenames)


# --- Groups follow memberships ----------------------------------------------------------


def test_a_manager_membership_gives_the_manager_group_and_the_admin(halls_a_b):
    hall_a, _ = halls_a_b
    user = UserFactory()

    member(user, hall_a, StaffRole.MANAGER)

    user.refresh_from_db()
    assert group_names(user) == {HALL_MANAGER_GROUP}
    assert user.is_staff


def test_an_agent_membership_gives_the_agent_group_and_no_admin(halls_a_b):
    hall_a, _ = halls_a_b
    user = UserFactory(is_staff=True)

    member(user, hall_a, StaffRole.AGENT)

    user.refresh_from_db()
    assert group_names(user) == {AGENT_GROUP}
    assert not user.is_staff


def test_losing_the_last_manager_membership_takes_the_admin_away(halls_a_b):
    hall_a, _ = halls_a_b
    user = UserFactory()
    membership = member(user, hall_a, StaffRole.MANAGER)

    membership.delete()

    user.refresh_from_db()
    assert group_names(user) == set() and not user.is_staff


def test_a_district_assignment_makes_a_manager(halls_a_b):
    user = UserFactory()

    DistrictAssignment.objects.create(user=user, district="二七区")

    user.refresh_from_db()
    assert HALL_MANAGER_GROUP in group_names(user) and user.is_staff


# --- A role is per hall ---------------------------------------------------------------------


def test_a_manager_of_one_hall_who_is_an_agent_at_another_manages_the_first_only(halls_a_b):
    hall_a, hall_b = halls_a_b
    user = UserFactory()
    member(user, hall_a, StaffRole.MANAGER)
    member(user, hall_b, StaffRole.AGENT)

    assert user_manages(user, hall_a) and not user_manages(user, hall_b)
    assert user_can_act_on(user, hall_a) and user_can_act_on(user, hall_b)


def test_the_admin_shows_a_manager_only_the_halls_they_manage(client, halls_a_b):
    hall_a, hall_b = halls_a_b
    user = UserFactory()
    member(user, hall_a, StaffRole.MANAGER)
    member(user, hall_b, StaffRole.AGENT)
    client.force_login(user)

    page = client.get("/admin/halls/outlet/").content.decode()

    assert "HALL-A" in page and "HALL-B" not in page
    assert client.get(f"/admin/halls/outlet/{hall_b.pk}/change/").status_code == 302  # "does not exist"


def test_city_operations_read_every_hall_and_work_no_counter(halls_a_b):
    hall_a, hall_b = halls_a_b
    ops = city_operations_user()
    counter = add_counter(hall_a, 1, [])

    assert user_reads(ops, hall_a) and user_reads(ops, hall_b)
    assert not user_can_act_on(ops, hall_a) and not user_manages(ops, hall_a)
    assert counter_access(ops, counter.pk) is False


def test_city_operations_see_every_hall_in_the_admin_and_may_change_none(client, halls_a_b):
    hall_a, hall_b = halls_a_b
    client.force_login(city_operations_user())

    listing = client.get("/admin/halls/outlet/").content.decode()
    change = client.post(f"/admin/halls/outlet/{hall_a.pk}/change/", {"name": "改名"})

    assert "HALL-A" in listing and "HALL-B" in listing
    assert change.status_code == 403
    hall_a.refresh_from_db()
    assert hall_a.name != "改名"


def test_city_operations_cannot_call_a_ticket(halls_a_b):
    hall_a, _ = halls_a_b
    counter = add_counter(hall_a, 1, [])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=city_operations_user()).key}")

    response = api.post(f"/api/v1/counters/{counter.pk}/call-next/")

    assert response.status_code == 403


# --- What a manager may do to staff ---------------------------------------------------------


def test_the_membership_form_offers_only_users_the_manager_may_attach(client, halls_a_b):
    hall_a, hall_b = halls_a_b
    manager = UserFactory(username="manager-a")
    member(manager, hall_a, StaffRole.MANAGER)
    UserFactory(username="newcomer")
    own_agent = UserFactory(username="own-agent")
    member(own_agent, hall_a)
    elsewhere = UserFactory(username="elsewhere")
    member(elsewhere, hall_b)
    UserFactory(username="root", is_superuser=True)
    city_operations_user("ops")

    offered = set(users_attachable_by(manager).values_list("username", flat=True))

    assert offered == {"manager-a", "newcomer", "own-agent"}
    client.force_login(manager)
    form = client.get("/admin/halls/staffmembership/add/").content.decode()
    assert "newcomer" in form and "elsewhere" not in form and "root" not in form


def test_a_hall_manager_may_attach_an_agent_to_their_hall(client, halls_a_b):
    hall_a, _ = halls_a_b
    manager = UserFactory(username="manager-a")
    member(manager, hall_a, StaffRole.MANAGER)
    newcomer = UserFactory(username="newcomer")
    client.force_login(manager)

    response = client.post("/admin/halls/staffmembership/add/",
                           {"user": newcomer.pk, "outlet": hall_a.pk, "role": StaffRole.AGENT})

    assert response.status_code == 302
    assert StaffMembership.objects.filter(user=newcomer, outlet=hall_a, role=StaffRole.AGENT).exists()


def test_a_hall_manager_may_not_make_a_manager(client, halls_a_b):
    hall_a, _ = halls_a_b
    manager = UserFactory(username="manager-a")
    member(manager, hall_a, StaffRole.MANAGER)
    newcomer = UserFactory(username="newcomer")
    client.force_login(manager)

    response = client.post("/admin/halls/staffmembership/add/",
                           {"user": newcomer.pk, "outlet": hall_a.pk, "role": StaffRole.MANAGER})

    assert response.status_code == 200  # the form again, with its error
    assert not StaffMembership.objects.filter(user=newcomer).exists()


def test_a_hall_manager_may_not_attach_someone_to_another_hall(client, halls_a_b):
    hall_a, hall_b = halls_a_b
    manager = UserFactory(username="manager-a")
    member(manager, hall_a, StaffRole.MANAGER)
    newcomer = UserFactory(username="newcomer")
    client.force_login(manager)

    client.post("/admin/halls/staffmembership/add/", {"user": newcomer.pk, "outlet": hall_b.pk, "role": "agent"})

    assert not StaffMembership.objects.filter(user=newcomer).exists()


def test_a_hall_manager_may_not_remove_a_fellow_manager(client, halls_a_b):
    hall_a, _ = halls_a_b
    manager = UserFactory(username="manager-a")
    member(manager, hall_a, StaffRole.MANAGER)
    fellow = member(UserFactory(username="fellow"), hall_a, StaffRole.MANAGER)
    client.force_login(manager)

    response = client.post(f"/admin/halls/staffmembership/{fellow.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert StaffMembership.objects.filter(pk=fellow.pk).exists()
