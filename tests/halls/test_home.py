"""The home page (`/`): the entry points of the system."""

import pytest

from tests.halls.factories import OutletFactory, add_counter
from tests.queueing.factories import build_floor


@pytest.fixture
def demo_hall(db):
    """The demo's first hall with a queue and counters, as seed_demo names it."""
    return build_floor(code="ZZ-H001")


def links(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_the_home_page_links_the_admin_the_api_docs_the_mobile_page_and_the_console(client, demo_hall):
    html = links(client.get("/"))

    for path in ('href="/admin/"', 'href="/api/docs/"', 'href="/m/"', 'href="/console/"'):
        assert path in html


def test_the_home_page_links_the_managers_the_city_and_the_outlet_finder(client, demo_hall):
    html = links(client.get("/"))

    assert all(path in html for path in ('href="/manage/"', 'href="/city/"', 'href="/outlets/"'))


def test_the_home_page_links_the_demo_halls_wall_display_and_a_counter_screen(client, demo_hall):
    OutletFactory(code="AA-0001", has_queue=True)  # earlier by code, but not the demo hall
    add_counter(demo_hall.hall, 9, [demo_hall.payment])

    html = links(client.get("/"))

    assert 'href="/display/ZZ-H001/"' in html
    assert 'href="/display/ZZ-H001/counter/1/"' in html


def test_with_debug_on_the_home_page_links_the_demo_kiosk_with_its_token(client, demo_hall, settings):
    settings.DEBUG = True
    settings.DEMO_KIOSK_TOKEN = "token-of-the-demo-kiosk"

    html = links(client.get("/"))

    assert 'href="/kiosk/ZZ-H001/?token=token-of-the-demo-kiosk"' in html


def test_with_debug_off_the_home_page_never_shows_the_kiosk_token(client, demo_hall, settings):
    settings.DEBUG = False
    settings.DEMO_KIOSK_TOKEN = "token-of-the-demo-kiosk"

    html = links(client.get("/"))

    assert "token-of-the-demo-kiosk" not in html
    assert "/kiosk/{code}/" in html


def test_the_home_page_works_before_any_hall_exists(client, db):
    html = links(client.get("/"))

    assert "seed_demo" in html and 'href="/admin/"' in html
