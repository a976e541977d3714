"""The kiosk page's server side: who may open it, receipts, printing (the
print jobs' own rules: test_print_jobs.py)."""

import pytest
from django.test import Client

from kiosk.models import KioskDevice, PrintJob, SelfServiceAction
from kiosk.printing import Receipt, escpos_bytes
from kiosk.views import COOKIE
from queueing import services as queueing
from queueing.models import Ticket
from tests.halls.factories import OutletFactory
from tests.queueing.factories import build_floor

from .factories import KioskDeviceFactory
from .printers import FakePrinter, dead_printer_address

TOKEN = "kiosk-page-token"


@pytest.fixture
def floor(db):
    return build_floor()


@pytest.fixture
def kiosk(floor):
    return KioskDeviceFactory(outlet=floor.hall, token=TOKEN)


@pytest.fixture
def browser(kiosk):
    """A kiosk browser that has opened its page once with the token."""
    client = Client()
    client.get(f"/kiosk/{kiosk.outlet.code}/?token={TOKEN}")
    return client


@pytest.fixture
def ticket(floor):
    return queueing.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")[0]


def test_the_token_link_keeps_the_token_in_a_cookie_and_leaves_the_address_bar(kiosk):
    client = Client()
    response = client.get(f"/kiosk/{kiosk.outlet.code}/?token={TOKEN}")

    assert response.status_code == 302
    assert response.url == f"/kiosk/{kiosk.outlet.code}/"
    assert response.cookies[COOKIE].value == TOKEN
    assert response.cookies[COOKIE]["httponly"]


def test_after_the_first_visit_the_kiosk_home_opens_without_the_token(browser, kiosk):
    response = browser.get(f"/kiosk/{kiosk.outlet.code}/")

    assert response.status_code == 200
    assert kiosk.outlet.name in response.content.decode()
    assert 'data-screen="take"' in response.content.decode()


def test_the_home_lists_the_halls_services_with_their_waiting_counts(browser, kiosk, ticket):
    page = browser.get(f"/kiosk/{kiosk.outlet.code}/").content.decode()

    assert 'data-service="payment"' in page
    assert 'data-service="enquiry"' in page
    assert '<span data-waiting>1</span>' in page


def test_a_wrong_token_is_refused_with_a_page_that_says_why(kiosk):
    response = Client().get(f"/kiosk/{kiosk.outlet.code}/?token=not-the-token")

    assert response.status_code == 403
    assert "自助终端未登记" in response.content.decode()


def test_a_kiosk_token_opens_only_its_own_hall(kiosk):
    other = OutletFactory()

    response = Client().get(f"/kiosk/{other.code}/?token={TOKEN}")

    assert response.status_code == 403


def test_without_the_token_or_its_cookie_the_page_is_refused(kiosk):
    assert Client().get(f"/kiosk/{kiosk.outlet.code}/").status_code == 403


def test_a_disabled_kiosk_is_refused_even_with_its_cookie(browser, kiosk):
    kiosk.is_active = False
    kiosk.save()

    assert browser.get(f"/kiosk/{kiosk.outlet.code}/").status_code == 403


def test_the_ticket_receipt_shows_hall_number_service_people_ahead_and_a_qr_code(browser, kiosk, ticket):
    response = browser.get(f"/kiosk/{kiosk.outlet.code}/receipt/ticket/{ticket.token}/")
    page = response.content.decode()

    assert response.status_code == 200
    assert kiosk.outlet.name in page
    assert ticket.number in page
    assert "缴费充值" in page
    assert "0 人" in page
    assert "<svg" in page


def test_a_ticket_of_another_hall_has_no_receipt_here(browser, kiosk):
    other_floor = build_floor()
    other = queueing.ticket_issue(outlet=other_floor.hall, service_code="payment", channel="kiosk")[0]

    response = browser.get(f"/kiosk/{kiosk.outlet.code}/receipt/ticket/{other.token}/")

    assert response.status_code == 404


@pytest.fixture
def local_printers_allowed(settings):
    """The test's printers listen on this machine, on any port."""
    settings.KIOSK_PRINTER_NETWORKS = ["127.0.0.0/8"]
    settings.KIOSK_PRINTER_PORTS = list(range(1024, 65536))


@pytest.fixture
def print_now(celery_eager, django_capture_on_commit_callbacks):
    """POST a print request; its task runs after commit, as the worker would."""

    def post(client, url):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url)

    return post


def test_printing_on_the_network_printer_sends_the_receipt_as_escpos(browser, kiosk, ticket, local_printers_allowed,
                                                                      print_now):
    printer = FakePrinter()
    kiosk.printer_address = printer.address
    kiosk.save()

    response = print_now(browser, f"/kiosk/{kiosk.outlet.code}/receipt/ticket/{ticket.token}/print/")
    printer.close()

    assert response.status_code == 202
    assert ticket.number.encode("gb18030") in printer.received
    assert printer.received.startswith(b"\x1b@")
    status = browser.get(response.json()["status_url"]).json()
    assert (status["state"], status["error"]) == ("printed", None)


def test_a_printer_that_does_not_answer_fails_the_print_and_the_ticket_stays(browser, kiosk, ticket,
                                                                             local_printers_allowed, print_now):
    kiosk.printer_address = dead_printer_address()
    kiosk.save()

    response = print_now(browser, f"/kiosk/{kiosk.outlet.code}/receipt/ticket/{ticket.token}/print/")

    assert response.status_code == 202
    status = browser.get(response.json()["status_url"]).json()
    assert status["state"] == "failed"
    assert status["error"]["code"] == "printer_unavailable"
    assert Ticket.objects.filter(pk=ticket.pk, status="waiting").exists()


def test_a_printer_address_outside_the_printer_networks_is_never_connected_to(browser, kiosk, ticket, settings,
                                                                              print_now):
    printer = FakePrinter()
    settings.KIOSK_PRINTER_NETWORKS = ["10.0.0.0/8"]
    settings.KIOSK_PRINTER_PORTS = [printer.port]
    KioskDevice.objects.filter(pk=kiosk.pk).update(printer_address=printer.address)

    print_now(browser, f"/kiosk/{kiosk.outlet.code}/receipt/ticket/{ticket.token}/print/")
    printer.close()

    assert PrintJob.objects.get().state == "failed"
    assert printer.receipts == []


def test_a_printer_port_outside_the_printer_ports_is_never_connected_to(browser, kiosk, ticket, settings, print_now):
    printer = FakePrinter()
    settings.KIOSK_PRINTER_NETWORKS = ["127.0.0.0/8"]
    settings.KIOSK_PRINTER_PORTS = [9100]
    KioskDevice.objects.filter(pk=kiosk.pk).update(printer_address=printer.address)

    print_now(browser, f"/kiosk/{kiosk.outlet.code}/receipt/ticket/{ticket.token}/print/")
    printer.close()

    assert PrintJob.objects.get().state == "failed"
    assert printer.receipts == []


def test_a_kiosk_without_a_printer_address_is_told_at_once_and_no_job_is_made(browser, kiosk, ticket):
    response = browser.post(f"/kiosk/{kiosk.outlet.code}/receipt/ticket/{ticket.token}/print/")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "printer_unavailable"
    assert not PrintJob.objects.exists()


def test_a_ticket_of_another_hall_is_not_printed_here(browser, kiosk, local_printers_allowed):
    kiosk.printer_address = dead_printer_address()
    kiosk.save()
    other = queueing.ticket_issue(outlet=build_floor().hall, service_code="payment", channel="kiosk")[0]

    response = browser.post(f"/kiosk/{kiosk.outlet.code}/receipt/ticket/{other.token}/print/")

    assert response.status_code == 404
    assert not PrintJob.objects.exists()


def test_control_characters_in_receipt_text_never_reach_the_printer():
    receipt = Receipt(title="营业厅\x1d\x56\x00", headline="A001", lines=(("名称", "x\x1bE\x01y\x10\x14"),))

    data = escpos_bytes(receipt)

    assert b"xEy" in data
    assert b"\x1bE\x01y" not in data
    assert b"\x1dV\x00" not in data
    assert data.endswith(b"\x1dV\x42\x03")  # the product's own commands stay


def test_each_print_attempt_is_in_the_self_service_log_with_its_kiosk(browser, kiosk, ticket):
    browser.post(f"/kiosk/{kiosk.outlet.code}/receipt/ticket/{ticket.token}/print/")

    action = SelfServiceAction.objects.get(action="receipt_print")
    assert action.kiosk == kiosk
    assert action.result == "refused"


def test_the_escpos_receipt_prints_the_qr_code_of_the_ticket_page():
    receipt = Receipt(title="营业厅", headline="A001", qr_url="https://qms.example/t/abc/")

    data = escpos_bytes(receipt)

    assert b"\x1d(k" in data
    assert b"https://qms.example/t/abc/" in data
    assert data.endswith(b"\x1dV\x42\x03")


def test_a_qr_code_is_drawn_for_the_kiosk(browser, kiosk):
    response = browser.get(f"/kiosk/{kiosk.outlet.code}/qr.svg", {"data": "http://127.0.0.1/pay/sandbox/X1/"})

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")


def test_a_qr_code_of_nothing_is_a_clear_400(browser, kiosk):
    response = browser.get(f"/kiosk/{kiosk.outlet.code}/qr.svg", {"data": ""})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
