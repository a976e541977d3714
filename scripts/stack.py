"""Run the whole stack in the foreground: Daphne and a Celery worker with its
beat schedule, on an embedded Redis unless REDIS_URL is set.

scripts/run prepares the database and execs this; it can also be run on its
own with the venv's Python. Environment: HOST (127.0.0.1), PORT (8000),
REDIS_URL (unset: an embedded Redis for this run), DEMO_PASSWORD.

Ctrl-C or SIGTERM stops Daphne and the worker, then the Redis, and exits 0.
When any of them dies on its own, the rest are stopped and the exit code is 1.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config import embedded_redis  # noqa: E402

VAR_DIR = ROOT / "var"
FIRST_HALL = "ZZ-H001"  # the first owned hall of the demo city, by code
READY_TIMEOUT = 90.0
# Celery finishes the tasks in hand on SIGTERM (warm shutdown); past this it is killed.
STOP_TIMEOUT = 20.0

# Reentrant: the signal handler prints from the main thread, maybe while it prints.
_output_lock = threading.RLock()


def emit(text: str) -> None:
    with _output_lock:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()


class Child:
    """A process of the stack whose output is relayed line by line, prefixed with its name."""

    def __init__(self, name: str, argv: list[str], env: dict, ready_marker: bytes | None = None):
        self.name = name
        self.ready = threading.Event()
        self._ready_marker = ready_marker
        if ready_marker is None:
            self.ready.set()
        self.process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            preexec_fn=embedded_redis.child_setup,
        )
        self._relay = threading.Thread(target=self._relay_output, name=f"relay-{name}", daemon=True)
        self._relay.start()

    def _relay_output(self) -> None:
        prefix = f"{self.name:<6} | ".encode()
        for line in iter(self.process.stdout.readline, b""):
            if self._ready_marker and self._ready_marker in line:
                self.ready.set()
            with _output_lock:
                sys.stdout.buffer.write(prefix + line)
                sys.stdout.buffer.flush()

    def running(self) -> bool:
        return self.process.poll() is None

    def terminate(self) -> None:
        if self.running():
            self.process.terminate()

    def wait_or_kill(self, deadline: float, hurry) -> None:
        """Wait for the child to end until `deadline` or until hurry() is true, then kill it."""
        while self.running() and time.monotonic() < deadline and not hurry():
            time.sleep(0.1)
        if self.running():
            emit(f"{self.name} did not stop in time: killing it.")
            try:
                # The whole group: Celery's pool processes with their parent.
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()
        self._relay.join(timeout=2)


def port_in_use(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # the server is up, even if this page is not happy
    except (OSError, ValueError):
        return False


def without_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    userinfo, at, hostpart = rest.rpartition("@")
    return f"{scheme}{sep}***@{hostpart}" if at and ":" in userinfo else url


def banner(base: str, redis_url: str, embedded: bool) -> str:
    password = os.environ.get("DEMO_PASSWORD") or "demo-pass-2012"
    kiosk_token = os.environ.get("DEMO_KIOSK_TOKEN") or "demo-kiosk-token"
    rule = "=" * 72
    where = "embedded, stops with the stack" if embedded else "from REDIS_URL"
    return "\n".join(
        [
            "",
            rule,
            "  营业厅排队与自助服务 is running. Ctrl-C stops everything.",
            "",
            f"  Home              {base}/",
            f"  Admin             {base}/admin/",
            f"  API docs          {base}/api/docs/",
            f"  Live queue (JSON) {base}/api/v1/halls/{FIRST_HALL}/queue/",
            f"  Wall display      {base}/display/{FIRST_HALL}/",
            f"  Agent console     {base}/console/",
            f"  Kiosk             {base}/kiosk/{FIRST_HALL}/?token={kiosk_token}",
            f"  Phone: take a number  {base}/m/",
            f"  Sandbox texts     {base}/api/v1/dev/sms-outbox/?phone=13800138000  (sign-in codes; DEBUG only)",
            "",
            f"  Demo sign-ins, password: {password}",
            "    demo_admin                 superuser, every hall",
            f"    demo_manager               manager of {FIRST_HALL}",
            f"    demo_agent1, demo_agent2   agents of {FIRST_HALL}",
            "",
            f"  Redis             {without_password(redis_url)} ({where})",
            rule,
            "",
        ]
    )


def main() -> int:
    signals_received = []

    def on_signal(signum, frame):
        signals_received.append(signum)
        if len(signals_received) > 1:
            emit("Stopping now, without waiting.")

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    host = os.environ.get("HOST") or "127.0.0.1"
    port = int(os.environ.get("PORT") or 8000)
    browse_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    base = f"http://[{browse_host}]:{port}" if ":" in browse_host else f"http://{browse_host}:{port}"
    if port_in_use(browse_host, port):
        emit(f"Port {port} is already in use: stop what runs there or set PORT.")
        return 1

    VAR_DIR.mkdir(exist_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    redis_process = None
    if not env.get("REDIS_URL"):
        try:
            redis_process, env["REDIS_URL"] = embedded_redis.start()
        except embedded_redis.EmbeddedRedisError as exc:
            emit(f"Could not start the embedded Redis: {exc}")
            return 1
        emit(f"Embedded Redis at {env['REDIS_URL']}")

    python = sys.executable
    children = []
    exit_code = 0
    try:
        children.append(
            Child("web", [python, "-m", "daphne", "-b", host, "-p", str(port), "config.asgi:application"], env)
        )
        children.append(
            Child(
                "worker",
                [python, "-m", "celery", "-A", "config", "worker", "--beat", "--loglevel=info",
                 "--schedule", str(VAR_DIR / "celerybeat-schedule")],
                env,
                ready_marker=b" ready.",  # "celery@host ready.": connected, consuming
            )
        )
        # The addresses are printed once Daphne answers and the worker is
        # consuming, so that they come after the start-up noise.
        deadline = time.monotonic() + READY_TIMEOUT
        announced = False
        while not signals_received:
            dead = [child for child in children if not child.running()]
            if dead:
                for child in dead:
                    emit(f"{child.name} exited with code {child.process.returncode}: stopping the rest.")
                exit_code = 1
                break
            if redis_process is not None and redis_process.poll() is not None:
                emit(f"The embedded Redis exited with code {redis_process.returncode}: stopping the rest.")
                exit_code = 1
                break
            if not announced:
                if all(child.ready.is_set() for child in children) and answers(f"{base}/"):
                    announced = True
                    emit(banner(base, env["REDIS_URL"], embedded=redis_process is not None))
                elif time.monotonic() > deadline:
                    waiting = [c.name for c in children if not c.ready.is_set()] or ["web"]
                    emit(f"Not ready within {READY_TIMEOUT:.0f} s ({', '.join(waiting)}): stopping.")
                    exit_code = 1
                    break
            time.sleep(0.25)
    finally:
        emit("Stopping Daphne and the Celery worker...")
        for child in children:
            child.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        for child in children:
            child.wait_or_kill(deadline, hurry=lambda: len(signals_received) > 1)
        if redis_process is not None:
            emit("Stopping the embedded Redis...")
            embedded_redis.stop(redis_process)
        emit("Stopped." if exit_code == 0 else "Stopped after a failure.")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
