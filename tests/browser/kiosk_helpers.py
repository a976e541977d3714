"""Shared steps of the kiosk's browser tests."""

import time

from playwright.sync_api import expect

from kiosk.models import PrintJob, PrintJobState
from kiosk.tasks import receipt_print
from tests.browser.conftest import act
from tests.kiosk.conftest import last_code
from tests.kiosk.factories import KioskDeviceFactory
from tests.queueing.factories import build_floor

KIOSK_TOKEN = "kiosk-browser-token"
PORTRAIT = (1080, 1920)
LANDSCAPE = (1920, 1080)
LOADED = "window.qmsKiosk && window.qmsKiosk.loaded"


def open_kiosk(new_page, hall=None, *, width=PORTRAIT[0], height=PORTRAIT[1], token=KIOSK_TOKEN, **device):
    """A kiosk device of `hall` (a fresh open hall by default) and its page on the home screen."""
    hall = hall or build_floor().hall
    kiosk = KioskDeviceFactory(outlet=hall, token=token, **device)
    page = new_page(width, height)
    page.goto(f"/kiosk/{hall.code}/?token={token}")
    page.wait_for_function(LOADED)
    return page, kiosk


def screen(page, name):
    return page.locator(f'[data-screen="{name}"]')


def current_screen(page) -> str:
    return page.evaluate("window.qmsKiosk.state.screen")


def press_digits(page, host: str, digits: str):
    """Tap `digits` on the number pad under the field `host`."""
    pad = page.locator(f'[data-numpad-host="{host}"]')
    for digit in digits:
        pad.locator(f'[data-key="{digit}"]').click()


def sign_in(page, phone: str):
    """On the sign-in screen: the phone, the code texted to it; ends on the screen that asked."""
    login = screen(page, "login")
    expect(login).to_be_visible()
    press_digits(page, "login-phone", phone)
    login.locator("[data-login-send]").click()
    expect(login.locator('[data-login-step="code"]')).to_be_visible()
    press_digits(page, "login-code", last_code(phone))  # six digits: it confirms by itself
    expect(login).to_be_hidden()


def wait_until(condition, timeout=10.0):
    """Wait for something the server does (in the database) after the page acted."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not hold in time")
        time.sleep(0.1)


def allow_local_printers(settings):
    """The test's printers (tests/kiosk/printers.py) listen on this machine.
    The printer's address is checked where it is printed to: in the worker,
    which is this process (run_print_jobs)."""
    settings.KIOSK_PRINTER_NETWORKS = ["127.0.0.0/8"]
    settings.KIOSK_PRINTER_PORTS = list(range(1024, 65536))


def run_print_jobs(count: int = 1):
    """The Celery worker's part of network printing: once the kiosk has asked
    for `count` prints, run the print task of each queued job here, retries
    and all."""
    queued = PrintJob.objects.filter(state=PrintJobState.QUEUED)
    wait_until(lambda: queued.count() >= count)
    for job_id in queued.values_list("pk", flat=True):
        act(receipt_print.apply, args=[job_id])
