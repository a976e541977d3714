"""SMS backends: where a queued text actually goes. Chosen by SMS_BACKEND.

- outbox (default): the outbox table is the delivery; nothing leaves the system.
- console: also writes each text to the log (the phone masked).
- http: POSTs {"to", "text"} to SMS_GATEWAY_URL with SMS_GATEWAY_TOKEN.
"""

import json
import logging
import urllib.error
import urllib.request

from django.conf import settings
from django.utils.module_loading import import_string

from config.phones import mask_phone

logger = logging.getLogger(__name__)


class SmsDeliveryError(Exception):
    """The backend could not deliver; the task retries."""


class OutboxBackend:
    name = "outbox"

    def send(self, *, to: str, text: str) -> None:
        return None


class ConsoleBackend:
    name = "console"

    def send(self, *, to: str, text: str) -> None:
        logger.info("SMS to %s: %s", mask_phone(to), text)


class HttpGatewayBackend:
    name = "http"

    def __init__(self, url=None, token=None, timeout=None):
        self.url = url or settings.SMS_GATEWAY_URL
        self.token = token or settings.SMS_GATEWAY_TOKEN
        self.timeout = timeout or settings.SMS_GATEWAY_TIMEOUT

    def send(self, *, to: str, text: str) -> None:
        if not self.url:
            raise SmsDeliveryError("SMS_GATEWAY_URL is not configured.")
        body = json.dumps({"to": to, "text": text}).encode()
        request = urllib.request.Request(
            self.url, data=body, method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - configured URL
                if response.status >= 300:
                    raise SmsDeliveryError(f"Gateway answered {response.status}")
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SmsDeliveryError(str(exc)) from exc


BACKENDS = {"outbox": OutboxBackend, "console": ConsoleBackend, "http": HttpGatewayBackend}


def get_backend():
    name = settings.SMS_BACKEND
    cls = BACKENDS.get(name) or import_string(name)
    return cls()
