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
}


def manage(*args, **env):
    drop = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE")  # the last: set by browser tests
    base = {k: v for k, v in os.environ.items() if k not in drop}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env},
                          capture_output=True, text=True, timeout=120)


def test_production_settings_pass_the_deployment_checks():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_a_secret_key_or_hosts(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}

    result = manage("check", **env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and missing in result.stderr


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
