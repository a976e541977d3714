"""Browser tests: a real Daphne server on the test database, driven by
Debian's Chromium through Playwright.

The server is a separate process sharing the test database and the Redis
channel layer with the test, so tests use `transactional_db` (what they write
must be committed for the server to see it) and need REDIS_URL (scripts/test
starts an embedded Redis when none is configured)."""

import copy
import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from playwright.sync_api import expect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
]

ROOT = Path(__file__).resolve().parents[2]
# The machine running the suite may be busy: assertions wait up to 10 s for
# what a person would see at once.
expect.set_options(timeout=10_000)
SCREENSHOTS = ROOT / "docs" / "screenshots"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    auth = db.get("USER") or "postgres"
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


def _wait_for(url: str, deadline_seconds: float = 30) -> None:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not answer")


class LiveServer:
    """A Daphne process serving the project on the test database."""

    def __init__(self):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def env(self) -> dict:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=_database_url(),
            DEBUG="true",
            SECRET_KEY=settings.SECRET_KEY,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            REDIS_URL=settings.REDIS_URL,
            REDIS_PREFIX=settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
            LOG_LEVEL="WARNING",
        )
        return env

    @property
    def log_path(self) -> Path:
        """The server's log (what it wrote to stderr), kept for a failing test to read."""
        return ROOT / "var" / f"live-server-{self.port}.log"

    def start(self):
        # A file, not a pipe nobody reads: a server logging a lot (Redis away)
        # would fill the pipe and stop.
        self.log_path.parent.mkdir(exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "config.asgi:application"],
                cwd=ROOT, env=self.env(), stdout=subprocess.DEVNULL, stderr=log,
            )
        try:
            _wait_for(self.url + "/api/v1/halls/?page_size=1")
        except RuntimeError:
            self.stop()
            raise

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def restart(self):
        """Stop and start again on the same port (a server restart, as a display sees it)."""
        self.stop()
        self.start()


@pytest.fixture(scope="session")
def daphne_server(django_db_setup, django_db_blocker):
    if not settings.REDIS_URL:
        pytest.skip("Browser tests need REDIS_URL (scripts/test starts an embedded Redis).")
    server = LiveServer()
    with django_db_blocker.unblock():
        server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (scripts/test installs it with apt-get).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, transactional_db, daphne_server):
    """new_page(width, height, **context_options) -> a page on the live server."""
    contexts = []

    def make(width=1280, height=800, **options):
        context = browser.new_context(viewport={"width": width, "height": height}, base_url=daphne_server.url,
                                      locale="zh-CN", **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot():
    """screenshot(page, name): keep a picture of a page in docs/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))

    return take


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch):
    """Playwright's sync API keeps an event loop running on the main thread,
    which makes Django take the test's ORM calls for async code; they are not."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _share_the_servers_cache(_fresh_cache, settings, daphne_server):
    """Events sent from a test carry a seq counted in the cache, and tests reach
    into the server's rate-limit windows: both sides must use the server's keys
    (the suite's own fixture gives each test private ones)."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
    settings.CACHES = caches


def act(fn, *args, **kwargs):
    """Run a service (or a broadcast) in a worker thread and return its result.

    Playwright's sync API keeps an event loop in the test's thread, and the
    services' broadcasts (async_to_sync) refuse to run beside one."""

    def call():
        try:
            return fn(*args, **kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()
