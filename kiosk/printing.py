"""Receipt printers of the kiosks.

A receipt is plain data (`Receipt`): a title, the big line (a ticket number
or an amount), labelled lines, a QR code's URL and a footer. Two ways print it:

- A kiosk without a printer address prints from the browser: the kiosk page
  renders the receipt into its 80 mm print stylesheet and calls
  `window.print()` (a kiosk browser runs with silent printing).
- A kiosk with a printer address (`host:port` on its device record, usually
  port 9100) has the server send ESC/POS to that printer over TCP, through the
  backend named by the `KIOSK_NETWORK_PRINTER` setting (`EscPosNetworkPrinter`
  by default). A carrier with other printers plugs in its own class.

A failed print raises `PrinterUnavailable`; what the receipt is for (the ticket,
the order) was saved before, and the customer can print again.
"""

import functools
import socket
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string

from .errors import PrinterUnavailable

PAPER_COLUMNS = 48  # characters per line of 80 mm paper in the printer's font A


@dataclass(frozen=True)
class Receipt:
    title: str
    headline: str
    headline_label: str = ""
    lines: tuple[tuple[str, str], ...] = ()
    qr_url: str = ""
    qr_caption: str = ""
    footer: tuple[str, ...] = field(default_factory=tuple)


class ReceiptPrinter(ABC):
    @abstractmethod
    def print(self, receipt: Receipt, *, address: str) -> None:
        """Print `receipt` on the printer at `address`; PrinterUnavailable when it cannot."""


# --- ESC/POS ----------------------------------------------------------------------------

ESC, GS = b"\x1b", b"\x1d"
INIT = ESC + b"@"
CHINESE_ON = b"\x1c&"  # FS &: two-byte (GB18030) characters
ALIGN_LEFT, ALIGN_CENTRE = ESC + b"a\x00", ESC + b"a\x01"
BOLD_ON, BOLD_OFF = ESC + b"E\x01", ESC + b"E\x00"
CUT = GS + b"V\x42\x03"  # feed three lines, then a partial cut


def _size(width: int, height: int) -> bytes:
    return GS + b"!" + bytes([((width - 1) << 4) | (height - 1)])


def _text(value: str) -> bytes:
    return value.encode("gb18030", errors="replace")


def _display_width(value: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in value)


def _qr(data: str) -> bytes:
    """GS ( k: model 2, module size 6, error correction M, store and print."""
    payload = data.encode("ascii", errors="replace")

    def command(fn: int, body: bytes) -> bytes:
        size = len(body) + 2
        return GS + b"(k" + bytes([size % 256, size // 256, 49, fn]) + body

    return b"".join([
        GS + b"(k\x04\x00\x31\x41\x32\x00",  # model 2
        command(67, b"\x06"),  # module size
        command(69, b"\x31"),  # error correction M
        command(80, b"\x30" + payload),  # store
        command(81, b"\x30"),  # print
    ])


def escpos_bytes(receipt: Receipt) -> bytes:
    """The receipt as ESC/POS for an 80 mm printer with Chinese fonts."""
    out = [INIT, CHINESE_ON, ALIGN_CENTRE, BOLD_ON, _size(1, 2), _text(receipt.title), b"\n", _size(1, 1), BOLD_OFF]
    if receipt.headline_label:
        out += [_text(receipt.headline_label), b"\n"]
    out += [BOLD_ON, _size(3, 3), _text(receipt.headline), b"\n", _size(1, 1), BOLD_OFF, ALIGN_LEFT]
    out.append(_text("-" * PAPER_COLUMNS) + b"\n")
    for label, value in receipt.lines:
        gap = max(1, PAPER_COLUMNS - _display_width(label) - _display_width(value))
        out.append(_text(label + " " * gap + value) + b"\n")
    out.append(_text("-" * PAPER_COLUMNS) + b"\n")
    if receipt.qr_url:
        out += [ALIGN_CENTRE, _qr(receipt.qr_url), b"\n"]
        if receipt.qr_caption:
            out += [_text(receipt.qr_caption), b"\n"]
    out.append(ALIGN_CENTRE)
    for line in receipt.footer:
        out += [_text(line), b"\n"]
    out.append(CUT)
    return b"".join(out)


def parse_address(address: str) -> tuple[str, int]:
    host, sep, port = address.strip().rpartition(":")
    if not sep:
        return address.strip(), 9100
    if not port.isdigit() or not 0 < int(port) < 65536 or not host:
        raise ValueError(f"not host:port: {address!r}")
    return host.strip("[]"), int(port)


class EscPosNetworkPrinter(ReceiptPrinter):
    """A receipt printer on the hall's network that takes raw ESC/POS on a TCP
    port (9100 on most)."""

    timeout_seconds = 5

    def print(self, receipt: Receipt, *, address: str) -> None:
        try:
            host, port = parse_address(address)
            with socket.create_connection((host, port), timeout=self.timeout_seconds) as conn:
                conn.sendall(escpos_bytes(receipt))
        except (OSError, ValueError) as exc:
            raise PrinterUnavailable() from exc


@functools.cache
def _load(path: str) -> ReceiptPrinter:
    return import_string(path)()


def network_printer() -> ReceiptPrinter:
    return _load(settings.KIOSK_NETWORK_PRINTER)
