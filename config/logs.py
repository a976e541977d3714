"""Keeping secrets out of the logs.

A kiosk is set up by opening /kiosk/{code}/?token=<device token> once: the
page moves the token into a cookie and redirects to the address without it,
but that first address still reaches the logs. Every handler of the
application's log masks `token=` values (SecretsFilter, in settings.LOGGING),
and serving the app masks them in Daphne's access log too
(`mask_daphne_access_log`, called by config.asgi).
"""

import logging
import re

# token=, hold_token=, access_token= ... in a query string or a body.
SECRET_PARAMETER = re.compile(r"((?:^|[?&;\s\"'])[A-Za-z_]*token=)[^&;\s\"']+", re.IGNORECASE)
MASK = "***"


def mask_secrets(text: str) -> str:
    """`text` with the value of every `...token=` parameter replaced by ***."""
    return SECRET_PARAMETER.sub(rf"\g<1>{MASK}", text) if "token=" in text.lower() else text


class SecretsFilter(logging.Filter):
    """Masks secrets in a record's message (with its arguments filled in)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad record is the formatter's to report
            return True
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def mask_daphne_access_log() -> None:
    """Daphne writes its access log straight to a stream, not through
    `logging`: mask the request line it writes (once per process)."""
    from daphne.access import AccessLogGenerator

    write_entry = AccessLogGenerator.write_entry
    if getattr(write_entry, "masks_secrets", False):
        return

    def masked_write_entry(self, host, date, request, *args, **kwargs):
        return write_entry(self, host, date, mask_secrets(request), *args, **kwargs)

    masked_write_entry.masks_secrets = True
    AccessLogGenerator.write_entry = masked_write_entry
