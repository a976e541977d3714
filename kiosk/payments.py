"""Payment providers: where an order is paid, and how the provider tells us.

The provider is chosen by the `PAYMENT_PROVIDER` setting (a dotted path). The
default `SandboxProvider` takes no money: its pay page (a QR code on the
kiosk) confirms by calling back, signed with `PAYMENT_SANDBOX_SECRET`.
"""

import functools
import hashlib
import hmac
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

from config.api import InvalidInput

from .errors import BadSignature


@dataclass(frozen=True)
class PaymentNotice:
    """A verified "this order was paid" from the provider."""

    order_no: str
    amount_fen: int
    txn_id: str
    raw: str


class PaymentProvider(ABC):
    name = "provider"

    @abstractmethod
    def create_payment(self, order) -> str:
        """Start paying for `order`; returns the URL the customer pays at (shown as a QR code)."""

    @abstractmethod
    def verify_callback(self, raw_body: bytes, headers) -> PaymentNotice:
        """Check a callback's signature and read it. Raises BadSignature (403)
        or InvalidInput (400)."""

    @abstractmethod
    def refund(self, order) -> None:
        """Give the money of a paid order back (it could not be fulfilled).
        Once per order, however often asked (a retry after a lost answer, the
        refund sweep): the order number is the refund's reference."""


class SandboxProvider(PaymentProvider):
    """Pays nothing. Callbacks: body `{"order_no", "amount_fen", "txn_id"}`,
    header `X-Sandbox-Signature` = hex HMAC-SHA256 of the raw body."""

    name = "sandbox"
    signature_header = "X-Sandbox-Signature"

    @staticmethod
    def sign(raw_body: bytes) -> str:
        return hmac.new(settings.PAYMENT_SANDBOX_SECRET.encode(), raw_body, hashlib.sha256).hexdigest()

    def create_payment(self, order) -> str:
        return f"/pay/sandbox/{order.order_no}/"

    def verify_callback(self, raw_body: bytes, headers) -> PaymentNotice:
        signature = headers.get(self.signature_header, "")
        if not signature or not hmac.compare_digest(signature.strip().lower().encode(), self.sign(raw_body).encode()):
            raise BadSignature()
        try:
            body = json.loads(raw_body)
        except (ValueError, RecursionError):
            raise InvalidInput(fields={"body": ["Not valid JSON."]}) from None
        if not isinstance(body, dict):
            raise InvalidInput(fields={"body": ["Expected an object."]})
        fields = {}
        order_no, amount, txn_id = body.get("order_no"), body.get("amount_fen"), body.get("txn_id")
        if not isinstance(order_no, str) or not 1 <= len(order_no) <= 24 or not (order_no.isascii() and order_no.isalnum()):
            fields["order_no"] = ["Required: the order number."]
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            fields["amount_fen"] = ["Required: a positive whole number of fen."]
        if not isinstance(txn_id, str) or not 1 <= len(txn_id) <= 64 or not txn_id.isprintable():
            fields["txn_id"] = ["Required: 1-64 printable characters."]
        if fields:
            raise InvalidInput(fields=fields)
        return PaymentNotice(order_no=order_no, amount_fen=amount, txn_id=txn_id, raw=raw_body.decode("utf-8", "replace"))

    def refund(self, order) -> None:
        return None


@functools.cache
def _load(path: str) -> PaymentProvider:
    return import_string(path)()


def get_payment_provider() -> PaymentProvider:
    return _load(settings.PAYMENT_PROVIDER)
