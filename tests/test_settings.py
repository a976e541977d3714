"""Settings come from the environment; production values pass Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
    "ALLOWED_HOSTS": "qms.example.com",
    "DATABASE_URL": "sqlite:////tmp/qms-settings-check.sqlite3",
    "PAYMENT_SANDBOX_SECRET": "a-trial-deployments-own-sandbox-secret",
}
# Set by the test command or the browser tests; each test here says what it wants.
DROP = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "PAYMENT_SANDBOX_SECRET", "PAYMENT_PROVIDER",
        "DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL", "DATABASE_REPLICA_URL")


def run(argv, **env):
    base = {k: v for k, v in os.environ.items() if k not in DROP}
    return subprocess.run(argv, cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120)


def manage(*args, **env):
    return run([sys.executable, "manage.py", *args], **env)


def test_production_settings_pass_the_deployment_checks():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("missing", "error"), [("SECRET_KEY", "qms.E001"), ("ALLOWED_HOSTS", "qms.E002")])
def test_production_refuses_to_start_without_a_secret_key_or_hosts(missing, error):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}

    result = manage("check", **env)

    assert result.returncode != 0
    assert error in result.stderr and missing in result.stderr


def test_production_refuses_the_published_development_secret_key():
    result = manage("check", **{**PRODUCTION, "SECRET_KEY": "dev-only-insecure-key-change-me"})

    assert result.returncode != 0 and "qms.E001" in result.stderr


def test_production_refuses_the_sandbox_payments_with_their_published_secret():
    env = {k: v for k, v in PRODUCTION.items() if k != "PAYMENT_SANDBOX_SECRET"}

    result = manage("check", **env)

    assert result.returncode != 0 and "qms.E003" in result.stderr


def test_debug_is_off_unless_set():
    result = manage("shell", "-c", "from django.conf import settings; print(settings.DEBUG)", **{
        k: v for k, v in PRODUCTION.items() if k != "DEBUG"})

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_the_server_refuses_to_start_with_a_published_secret():
    env = {**PRODUCTION, "SECRET_KEY": "dev-only-insecure-key-change-me"}

    result = run([sys.executable, "-c", "import config.asgi"], **env, DJANGO_SETTINGS_MODULE="config.settings")

    assert result.returncode != 0 and "qms.E001" in result.stderr


def test_a_worker_refuses_to_start_with_the_published_sandbox_secret():
    env = {k: v for k, v in PRODUCTION.items() if k != "PAYMENT_SANDBOX_SECRET"}

    result = run([sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=ERROR"],
                 **env)

    assert result.returncode != 0 and "qms.E003" in (result.stdout + result.stderr)


def test_every_variable_the_settings_read_is_documented_in_the_readme_and_env_example():
    import re

    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]*)"', (ROOT / "config/settings.py").read_text()))
    readme = (ROOT / "README.md").read_text()
    configuration = readme[readme.index("## Configuration"):]
    configuration = configuration[:configuration.index("\n## ", 1)]
    env_example = (ROOT / ".env.example").read_text()

    assert len(read) > 40  # the pattern still finds what settings.py reads
    assert sorted(name for name in read if f"`{name}`" not in configuration) == []
    assert sorted(name for name in read if not re.search(rf"^# {name}=", env_example, re.MULTILINE)) == []


def test_a_server_without_request_threads_is_refused_at_start():
    result = manage("check", **PRODUCTION, HTTP_THREADS="0")

    assert result.returncode != 0
    assert "HTTP_THREADS must be at least 1" in result.stderr


def test_a_replica_url_adds_the_reports_replica_with_the_primarys_backend_and_pool():
    show = ("from django.conf import settings; r = settings.DATABASES['replica']; "
            "print(r['ENGINE'], r['HOST'], r['PORT'], r['NAME'], r['USER'], r['TEST']['MIRROR'], "
            "r['OPTIONS']['pool']['max_size'] == settings.DATABASES['default']['OPTIONS']['pool']['max_size'], "
            "settings.REPORTS_FROM_REPLICA)")

    result = manage("shell", "-c", show, **{**PRODUCTION, "DATABASE_URL": "postgres://qms:secret@db.internal:5432/qms"},
                    DATABASE_REPLICA_URL="postgres://qms_reports:secret@standby.internal:5433/qms")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "django_prometheus.db.backends.postgresql standby.internal 5433 qms qms_reports default True True")


def test_a_replica_that_is_not_postgresql_is_refused_at_start():
    result = manage("check", **{**PRODUCTION, "DATABASE_URL": "postgres://qms:secret@db.internal:5432/qms"},
                    DATABASE_REPLICA_URL="sqlite:////tmp/qms-replica.sqlite3")

    assert result.returncode != 0
    assert "DATABASE_REPLICA_URL must be a PostgreSQL replica" in result.stderr
