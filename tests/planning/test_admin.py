"""Forecast events in the admin: a hall manager enters and edits those of
their own halls; forecasts are read-only."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from halls.models import StaffRole
from queueing.planning.models import ArrivalForecast, ForecastEvent
from tests.halls.factories import UserFactory, member
from tests.planning.factories import DEMO_COUNTERS, build_hall

LAUNCH = date(2026, 11, 27)


@pytest.fixture
def two_halls(db):
    return build_hall("T-A01", DEMO_COUNTERS[:2]), build_hall("T-A02", DEMO_COUNTERS[:2])


@pytest.fixture
def manager(two_halls, client):
    """The manager of the first hall, with the permissions on forecast events."""
    user = UserFactory(username="manager-a01")
    member(user, two_halls[0], StaffRole.MANAGER)
    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="planning", codename__in=[
            "view_forecastevent", "add_forecastevent", "change_forecastevent", "view_arrivalforecast"]))
    client.force_login(user)
    return user


def event(hall, note):
    return ForecastEvent.objects.create(outlet=hall, starts_on=LAUNCH, ends_on=LAUNCH, multiplier=Decimal("1.5"),
                                        note=note)


def test_a_hall_manager_sees_the_forecast_events_of_their_halls_only(two_halls, manager, client):
    event(two_halls[0], "本厅新机发布")
    event(two_halls[1], "别的厅促销")

    page = client.get("/admin/planning/forecastevent/").content.decode()

    assert "本厅新机发布" in page and "别的厅促销" not in page


def test_a_hall_manager_enters_an_event_for_their_hall_and_is_named_as_its_author(two_halls, manager, client):
    response = client.post("/admin/planning/forecastevent/add/", {
        "outlet": two_halls[0].pk, "service": "", "starts_on": "2026-11-27", "ends_on": "2026-11-29",
        "multiplier": "1.30", "note": "周末促销",
    })

    assert response.status_code == 302, response.content.decode()[:2000]
    added = ForecastEvent.objects.get(note="周末促销")
    assert (added.outlet, added.created_by, added.multiplier) == (two_halls[0], manager, Decimal("1.30"))


def test_a_hall_manager_cannot_enter_an_event_for_another_hall(two_halls, manager, client):
    response = client.post("/admin/planning/forecastevent/add/", {
        "outlet": two_halls[1].pk, "starts_on": "2026-11-27", "ends_on": "2026-11-27", "multiplier": "2",
        "note": "越权",
    })

    assert response.status_code == 200  # the form again, with its error
    assert not ForecastEvent.objects.filter(note="越权").exists()


def test_an_event_ends_on_or_after_its_start_and_multiplies_by_more_than_nothing(two_halls):
    from django.db import IntegrityError, transaction

    for starts, ends, multiplier in ((LAUNCH, date(2026, 11, 26), "1.5"), (LAUNCH, LAUNCH, "0")):
        with pytest.raises(IntegrityError), transaction.atomic():
            ForecastEvent.objects.create(outlet=two_halls[0], starts_on=starts, ends_on=ends,
                                         multiplier=Decimal(multiplier), note="错")


def test_forecasts_are_read_only_in_the_admin(two_halls, manager, client):
    from django.contrib.admin.sites import site

    model_admin = site._registry[ArrivalForecast]
    request = client.get("/admin/").wsgi_request
    request.user = manager

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert client.get("/admin/planning/arrivalforecast/").status_code == 200
