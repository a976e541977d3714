"""Network receipt printers for the tests: real TCP sockets on loopback.

The tests that print to them allow loopback printers on any port
(KIOSK_PRINTER_NETWORKS, KIOSK_PRINTER_PORTS); the server checks the
address before it connects, as it does for a hall's printer."""

import socket
import threading


class FakePrinter:
    """A printer that takes each connection and keeps what it receives: one
    receipt per connection."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.1)
        self.port = self.server.getsockname()[1]
        self.receipts: list[bytes] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def received(self) -> bytes:
        return b"".join(self.receipts)

    def _serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                if self._stop.is_set():  # nothing left waiting to be taken
                    return
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                data = b""
                while chunk := conn.recv(65536):
                    data += chunk
            self.receipts.append(data)

    def close(self):
        """Stop taking connections, once those already made are read."""
        self._stop.set()
        self.thread.join(timeout=5)
        self.server.close()


class HungPrinter:
    """A printer that never answers: it accepted one connection, which it
    never reads, and takes no other; its queue is full, so a new connection
    waits until the one connecting gives up (as with a printer that is
    switched off, or jammed, on the hall's network)."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(0)
        self.port = self.server.getsockname()[1]
        self.held = socket.create_connection(("127.0.0.1", self.port), timeout=2)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def close(self):
        self.held.close()
        self.server.close()


def dead_printer_address() -> str:
    """A loopback address where nothing listens: connecting is refused at once."""
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    return f"127.0.0.1:{port}"

