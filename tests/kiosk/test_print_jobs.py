"""Network printing from a Celery worker: the kiosk's request queues a print
job and answers at once, the worker prints it once, retries a failing
printer, and the sweep sends lost jobs again and fails those nobody waits
for. The printers are real TCP sockets on loopback (tests/kiosk/printers.py)."""

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client

from halls.models import Outlet
from kiosk.errors import PrinterUnavailable
from kiosk.models import PrintJob, SelfServiceAction
from kiosk.printing import EscPosNetworkPrinter
from kiosk.services import Origin
from kiosk.services.receipts import print_job_create, ticket_receipt
from kiosk.tasks import print_jobs_sweep, receipt_print, self_service_purge
from kiosk.views import COOKIE
from queueing import services as queueing
from tests.queueing.factories import build_floor
from tests.threads import run_in_threads

from .factories import KioskDeviceFactory
from .printers import FakePrinter, HungPrinter, dead_printer_address

TOKEN = "print-job-kiosk-token"
OTHER_TOKEN = "print-job-other-kiosk-token"
START = datetime(2027, 1, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def local_printers_allowed(settings):
    """The test's printers listen on this machine, on any port."""
    settings.KIOSK_PRINTER_NETWORKS = ["127.0.0.0/8"]
    settings.KIOSK_PRINTER_PORTS = list(range(1024, 65536))
    settings.KIOSK_PRINT_ATTEMPTS = 3
    settings.KIOSK_PRINT_PATIENCE_SECONDS = 120


@pytest.fixture
def floor(db):
    return build_floor()


@pytest.fixture
def printer():
    printer = FakePrinter()
    yield printer
    printer.close()


@pytest.fixture
def kiosk(floor, printer):
    return KioskDeviceFactory(outlet=floor.hall, token=TOKEN, printer_address=printer.address)


@pytest.fixture
def ticket(floor):
    return queueing.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")[0]


def kiosk_browser(kiosk, token) -> Client:
    client = Client()
    client.cookies[COOKIE] = token
    return client


@pytest.fixture
def sent(monkeypatch):
    """The tasks sent to the workers (none runs)."""
    tasks = []
    monkeypatch.setattr("kiosk.services.receipts.enqueue", lambda name, *args, **kw: tasks.append((name, *args)))
    return tasks


def queue_print(kiosk, ticket) -> PrintJob:
    """A print job as the kiosk's request leaves it (its task not run)."""
    receipt = ticket_receipt(kiosk=kiosk, ticket_token=ticket.token, track_url=f"http://testserver/t/{ticket.token}/")
    return print_job_create(kiosk=kiosk, receipt=receipt, what=f"ticket:{ticket.token}",
                            origin=Origin.for_kiosk(kiosk.pk))


def print_logs():
    return list(SelfServiceAction.objects.filter(action="receipt_print").values("result", "error_code", "detail"))


# --- The request -------------------------------------------------------------------------


def test_the_print_request_answers_at_once_while_the_printer_never_answers(floor, ticket, sent,
                                                                           django_capture_on_commit_callbacks):
    hung = HungPrinter()
    kiosk = KioskDeviceFactory(outlet=floor.hall, token=TOKEN, printer_address=hung.address)
    client = kiosk_browser(kiosk, TOKEN)

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/kiosk/{floor.hall.code}/receipt/ticket/{ticket.token}/print/")
    took = time.monotonic() - started
    hung.close()

    assert response.status_code == 202
    assert took < EscPosNetworkPrinter.timeout_seconds / 2
    job = PrintJob.objects.get()
    assert response.json() == {"id": job.pk, "state": "queued", "error": None,
                               "status_url": f"/kiosk/{floor.hall.code}/receipt/print/{job.pk}/"}
    assert sent == [("kiosk.tasks.receipt_print", job.pk)]


def test_the_task_is_sent_only_once_the_job_is_committed(kiosk, ticket, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        job = queue_print(kiosk, ticket)

    assert sent == []
    callbacks[0]()
    assert sent == [("kiosk.tasks.receipt_print", job.pk)]


def test_the_job_keeps_the_receipt_as_asked_for(kiosk, ticket, printer, sent):
    job = queue_print(kiosk, ticket)
    name = kiosk.outlet.name
    Outlet.objects.filter(pk=kiosk.outlet_id).update(name="改名后的营业厅")

    receipt_print.apply(args=[job.pk])
    printer.close()

    assert name.encode("gb18030") in printer.received
    assert "改名后的营业厅".encode("gb18030") not in printer.received


# --- The worker -----------------------------------------------------------------------------


def test_the_job_prints_once_when_its_task_runs_twice(kiosk, ticket, printer, sent):
    job = queue_print(kiosk, ticket)

    receipt_print.apply(args=[job.pk])
    receipt_print.apply(args=[job.pk])
    printer.close()

    assert len(printer.receipts) == 1
    job.refresh_from_db()
    assert (job.state, job.attempts, job.error) == ("printed", 1, "")
    assert job.finished_at is not None
    assert print_logs() == [{"result": "ok", "error_code": "",
                             "detail": {"what": job.what, "job": job.pk, "attempts": 1}}]


@pytest.mark.django_db(transaction=True)
def test_a_task_delivered_twice_at_once_prints_one_receipt(on_postgres, kiosk, ticket, printer, sent):
    job = queue_print(kiosk, ticket)

    _, errors = run_in_threads(2, lambda i: receipt_print.apply(args=[job.pk]).get())
    printer.close()

    assert errors == []
    assert len(printer.receipts) == 1
    job.refresh_from_db()
    assert (job.state, job.attempts) == ("printed", 1)


def test_a_failing_printer_ends_failed_with_its_message_after_the_set_attempts(kiosk, ticket, sent, settings):
    settings.KIOSK_PRINT_ATTEMPTS = 4
    kiosk.printer_address = dead_printer_address()
    kiosk.save()
    job = queue_print(kiosk, ticket)

    receipt_print.apply(args=[job.pk])  # its retries run at once, in the test

    job.refresh_from_db()
    assert (job.state, job.attempts, job.error_code) == ("failed", 4, "printer_unavailable")
    assert job.error == PrinterUnavailable.message
    assert "Traceback" not in job.error
    assert print_logs() == [{"result": "refused", "error_code": "printer_unavailable",
                             "detail": {"what": job.what, "job": job.pk, "attempts": 4}}]


def test_a_printer_that_comes_back_between_attempts_prints_the_receipt(kiosk, ticket, printer, sent, monkeypatch):
    job = queue_print(kiosk, ticket)
    real = EscPosNetworkPrinter()
    calls = []

    class PrinterBackOnSecondTry:
        def print(self, receipt, *, address):
            calls.append(address)
            if len(calls) == 1:
                real.print(receipt, address=dead_printer_address())
            real.print(receipt, address=address)

    monkeypatch.setattr("kiosk.services.receipts.network_printer", PrinterBackOnSecondTry)

    receipt_print.apply(args=[job.pk])
    printer.close()

    job.refresh_from_db()
    assert (job.state, job.attempts) == ("printed", 2)
    assert len(printer.receipts) == 1


def test_a_printer_failing_with_an_unexpected_error_shows_no_technical_text(kiosk, ticket, sent, monkeypatch):
    job = queue_print(kiosk, ticket)

    class BrokenPrinter:
        def print(self, receipt, *, address):
            raise RuntimeError("driver exploded at 0x7f00")

    monkeypatch.setattr("kiosk.services.receipts.network_printer", BrokenPrinter)

    receipt_print.apply(args=[job.pk])

    job.refresh_from_db()
    assert job.state == "failed"
    assert job.error == PrinterUnavailable.message
    assert print_logs()[0]["result"] == "failed"


def test_a_job_older_than_the_kiosks_patience_is_failed_not_printed(kiosk, ticket, printer, sent):
    with time_machine.travel(START, tick=False) as clock:
        job = queue_print(kiosk, ticket)
        clock.shift(121)

        receipt_print.apply(args=[job.pk])
    printer.close()

    job.refresh_from_db()
    assert (job.state, job.error_code) == ("failed", "print_timeout")
    assert printer.receipts == []


# --- The kiosk follows its job ----------------------------------------------------------------


def test_the_status_says_failed_with_the_message_the_kiosk_shows(kiosk, ticket, sent):
    kiosk.printer_address = dead_printer_address()
    kiosk.save()
    job = queue_print(kiosk, ticket)
    receipt_print.apply(args=[job.pk])

    response = kiosk_browser(kiosk, TOKEN).get(f"/kiosk/{kiosk.outlet.code}/receipt/print/{job.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "failed"
    assert body["error"] == {"code": "printer_unavailable", "message": PrinterUnavailable.message}
    assert "no-cache" in response["Cache-Control"]


def test_the_status_of_another_kiosks_job_is_404(floor, kiosk, ticket, sent):
    job = queue_print(kiosk, ticket)
    other = KioskDeviceFactory(outlet=floor.hall, token=OTHER_TOKEN)

    response = kiosk_browser(other, OTHER_TOKEN).get(f"/kiosk/{floor.hall.code}/receipt/print/{job.pk}/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_status_of_a_job_asks_for_the_kiosk(kiosk, ticket, sent):
    job = queue_print(kiosk, ticket)

    response = Client().get(f"/kiosk/{kiosk.outlet.code}/receipt/print/{job.pk}/")

    assert response.status_code == 403


# --- The sweep ---------------------------------------------------------------------------------


def test_the_sweep_sends_a_lost_job_again_and_it_prints(kiosk, ticket, printer, celery_eager):
    with time_machine.travel(START, tick=False) as clock:
        job = queue_print(kiosk, ticket)  # its task never ran: lost with the broker
        clock.shift(10)
        assert print_jobs_sweep.apply().get() == 0  # not lost yet: a worker may be taking it
        clock.shift(21)

        resent = print_jobs_sweep.apply().get()
    printer.close()

    assert resent == 1
    job.refresh_from_db()
    assert job.state == "printed"
    assert len(printer.receipts) == 1


def test_the_sweep_fails_a_stale_job_instead_of_printing_it(kiosk, ticket, printer, celery_eager):
    with time_machine.travel(START, tick=False) as clock:
        job = queue_print(kiosk, ticket)
        clock.shift(121)

        resent = print_jobs_sweep.apply().get()
    printer.close()

    assert resent == 0
    job.refresh_from_db()
    assert (job.state, job.error_code) == ("failed", "print_timeout")
    assert job.error.startswith("打印超时") and " / " in job.error
    assert printer.receipts == []
    assert print_logs()[0]["error_code"] == "print_timeout"


def test_the_sweep_fails_a_job_whose_worker_died_while_printing(kiosk, ticket, printer, celery_eager):
    with time_machine.travel(START, tick=False) as clock:
        job = queue_print(kiosk, ticket)
        PrintJob.objects.filter(pk=job.pk).update(state="printing", attempts=1, claimed_at=START)
        clock.shift(31)

        print_jobs_sweep.apply()
    printer.close()

    job.refresh_from_db()
    assert (job.state, job.error_code) == ("failed", "print_interrupted")
    assert printer.receipts == []


def test_the_print_sweep_runs_on_the_beat_schedule():
    schedules = {entry["task"]: entry["schedule"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}

    assert schedules["kiosk.tasks.print_jobs_sweep"] <= 30


def test_print_jobs_older_than_a_day_are_purged(kiosk, ticket, sent):
    with time_machine.travel(START, tick=False) as clock:
        old = queue_print(kiosk, ticket)
        clock.shift(timedelta(hours=23))
        recent = queue_print(kiosk, ticket)
        clock.shift(timedelta(hours=2))

        self_service_purge.apply()

    assert list(PrintJob.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not PrintJob.objects.filter(pk=old.pk).exists()
