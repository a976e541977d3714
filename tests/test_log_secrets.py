"""Secrets stay out of the logs: a kiosk's first visit carries its device
token in the address (/kiosk/{code}/?token=...), and that address must not
reach Daphne's access log or the application's log as it is."""

import io
import logging

from daphne.access import AccessLogGenerator

import config.asgi  # noqa: F401 - serving the app is what masks Daphne's access log
from config.logs import SecretsFilter

TOKEN = "kiosk-secret-token-123"


def test_daphne_access_log_masks_a_token_in_the_address():
    stream = io.StringIO()

    AccessLogGenerator(stream)("http", "complete", {
        "client": "10.0.0.1:5000", "method": "GET", "path": f"/kiosk/H001/?lang=zh&token={TOKEN}", "status": 302,
        "size": 0,
    })

    line = stream.getvalue()
    assert TOKEN not in line
    assert "/kiosk/H001/?lang=zh&token=" in line


def test_the_application_log_masks_a_token_in_a_logged_address():
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Forbidden: %s", (
        f"/kiosk/H001/?token={TOKEN}",), None)

    SecretsFilter().filter(record)

    assert TOKEN not in record.getMessage()


def test_every_log_handler_masks_secrets(settings):
    handlers = settings.LOGGING["handlers"]

    assert all("secrets" in handler.get("filters", []) for handler in handlers.values())
