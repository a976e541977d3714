"""Receipt printers of the kiosks.

A receipt is plain data (`Receipt`): a title, the big line (a ticket number
or an amount), labelled lines, a QR code's URL and a footer. Two ways print it:

- A kiosk without a printer address prints from the browser: the kiosk page
  renders the receipt into its 80 mm print stylesheet and calls
  `window.print()` (a kiosk browser runs with silent printing).
- A kiosk with a printer address (`host:port` on its device record, usually
  port 9100, on the networks and ports the settings KIOSK_PRINTER_NETWORKS and
  KIOSK_PRINTER_PORTS allow) has the server send ESC/POS to that printer over TCP, through the
  backend named by the `KIOSK_NETWORK_PRINTER` setting (`EscPosNetworkPrinter`
  by default). A carrier with other printers plugs in its own class.

The server never prints from a request: the kiosk's request queues a print
job (kiosk.services.receipts.print_job_create, with the receipt as JSON) and
a Celery worker prints it (print_job_run). A failed print raises
`PrinterUnavailable`; what the receipt is for (the ticket, the order) was
saved before, and the customer can print again.
"""

import functools
import ipaddress
import logging
import socket
import unicodedata
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string

from .errors import PrinterUnavailable

logger = logging.getLogger(__name__)

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

    def as_json(self) -> dict:
        """The receipt as JSON-safe data (a print job keeps it so)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Receipt":
        return cls(
            title=data["title"],
            headline=data["headline"],
            headline_label=data.get("headline_label", ""),
            lines=tuple((label, value) for label, value in data.get("lines", ())),
            qr_url=data.get("qr_url", ""),
            qr_caption=data.get("qr_caption", ""),
            footer=tuple(data.get("footer", ())),
        )


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


def printable(value: str) -> str:
    """`value` without control characters: receipt text comes partly from
    people (a hall's name, a service's name, an order's details), and a
    control character in it would be a printer command (ESC, GS: cut, open
    the cash drawer, change the printer's settings). Only the commands this
    module writes reach the printer."""
    return "".join(ch for ch in value if unicodedata.category(ch)[0] != "C")


def _text(value: str) -> bytes:
    return printable(value).encode("gb18030", errors="replace")


def _display_width(value: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in value)


def _qr(data: str) -> bytes:
    """GS ( k: model 2, module size 6, error correction M, store and print."""
    payload = printable(data).encode("ascii", errors="replace")

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


def printer_address_error(address: str) -> str | None:
    """Why a printer address may not be used, or None. A printer is on the
    hall's own network (KIOSK_PRINTER_NETWORKS, by default the private
    ranges) and listens on a printer port (KIOSK_PRINTER_PORTS, 9100): the
    server connects to it, so any other address would let a kiosk's settings
    reach the server's other neighbours. A host name is checked when it is
    resolved, at each print."""
    try:
        host, port = parse_address(address)
    except ValueError:
        return "填写 host:port，例如 10.0.0.8:9100 / Use host:port."
    if port not in settings.KIOSK_PRINTER_PORTS:
        ports = ", ".join(str(p) for p in settings.KIOSK_PRINTER_PORTS)
        return f"打印机端口须为 {ports} / The printer port must be one of {ports}."
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if not _in_printer_networks(ip):
        return "打印机须在营业厅内网 / The printer must be on the hall's network (KIOSK_PRINTER_NETWORKS)."
    return None


def _in_printer_networks(ip) -> bool:
    return any(ip in ipaddress.ip_network(net, strict=False) for net in settings.KIOSK_PRINTER_NETWORKS)


def printer_target(address: str) -> tuple[str, int]:
    """The IP address and port to connect to for `address`, checked against
    the printer networks and ports after the name is resolved (the address
    connected to is the one checked). Raises ValueError."""
    error = printer_address_error(address)
    if error:
        raise ValueError(error)
    host, port = parse_address(address)
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        ip = ipaddress.ip_address(sockaddr[0])
        if _in_printer_networks(ip):
            return str(ip), port
    raise ValueError(f"{host} is not on the printer networks")


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
            host, port = printer_target(address)
        except (OSError, ValueError) as exc:
            logger.warning("Printer address %r refused: %s", address, exc)
            raise PrinterUnavailable() from exc
        try:
            with socket.create_connection((host, port), timeout=self.timeout_seconds) as conn:
                conn.sendall(escpos_bytes(receipt))
        except OSError as exc:
            raise PrinterUnavailable() from exc


@functools.cache
def _load(path: str) -> ReceiptPrinter:
    return import_string(path)()


def network_printer() -> ReceiptPrinter:
    return _load(settings.KIOSK_NETWORK_PRINTER)
