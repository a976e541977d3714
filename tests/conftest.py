import copy
import uuid

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from config.cache import process_forget_all
from tests.live import GroupListener
from tests.queueing.factories import build_floor

pytest_plugins = ["tests.strict_skips", "pytester"]


def _replica_for_the_run() -> None:
    """The reports' `replica` database in every run: without
    DATABASE_REPLICA_URL, a test mirror of the test database (as the
    settings make a configured one), so the tests of the replica need no
    second server. The reports read it only in the tests that turn
    REPORTS_FROM_REPLICA on (tests/reports/test_replica.py); Django's test
    cases refuse it to every test that does not ask for it."""
    if "replica" in django_settings.DATABASES:
        return
    replica = copy.deepcopy(django_settings.DATABASES["default"])
    replica["TEST"] = {"MIRROR": "default"}
    django_settings.DATABASES["replica"] = replica
    connections.configure_settings(None)  # the new alias gets Django's defaults too


_replica_for_the_run()


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Each test sees an empty cache (rate-limit windows, hall event sequences,
    cached handle times) without flushing a Redis that others may share."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = caches
    process_forget_all()  # ids may be reused from one test to the next
    # With DATABASE_URL set DEBUG defaults off, which turns on the HTTPS
    # redirect meant for deployments; the test client speaks plain HTTP.
    settings.SECURE_SSL_REDIRECT = False
    # Hashing passwords properly is slow by design; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Counts and places in line go out from the request that changed them, so
    # a test sees them as soon as the change commits (tests of the coalescing
    # refresh turn it on).
    settings.QUEUE_LIVE_REFRESH_MS = 0
    settings.QUEUE_COUNTS_REFRESH_MS = 0
    # The reports read the primary, unless a test of the replica says otherwise.
    settings.REPORTS_FROM_REPLICA = False


@pytest.fixture
def listen():
    """listen(*groups) -> a GroupListener on the real channel layer (tests/live.py)."""
    listeners = []

    def start(*groups):
        listener = GroupListener(*groups)
        listeners.append(listener)
        return listener

    yield start
    for listener in listeners:
        listener.close()


@pytest.fixture
def celery_eager():
    """Celery's eager mode for one test: a task queued (by `.delay` or by name)
    runs at once, in the test, and its errors propagate."""
    from config.celery import app

    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def floor(db):
    return build_floor()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def staff_api(floor):
    """An API client signed in as the floor's first agent."""
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=floor.agent)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("Needs PostgreSQL: row locks and SKIP LOCKED are what is under test.")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Browser tests run last. Playwright's synchronous API keeps an event
    loop running on the main thread for as long as the browser is open, and
    async tests (consumers, the channel layer) cannot start their own loop
    while it runs."""
    browser = [item for item in items if "tests/browser/" in item.nodeid]
    others = [item for item in items if "tests/browser/" not in item.nodeid]
    items[:] = others + browser

