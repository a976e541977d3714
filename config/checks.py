"""Checks that refuse to start a production process (DEBUG off) with the
published defaults anybody could use: a default SECRET_KEY, no host names,
or the sandbox payment provider with its default secret (anybody could
sign a "paid" callback).

They are Django system checks (`manage.py check` and every management
command run them), and the servers run them too as they start: Daphne when
it loads config.asgi, Celery workers and beat on start-up (config.celery).
"""

from django.conf import settings
from django.core import checks
from django.core.management.base import SystemCheckError

TAG = "qms_safety"

# Secret keys published with the project (its development key, the key the
# test command sets) or by Django's project template.
PUBLISHED_SECRET_KEYS = {
    "dev-only-insecure-key-change-me",
    "test-only-secret-key-not-for-any-deployment-0123456789",
}
SANDBOX_PROVIDER = "kiosk.payments.SandboxProvider"
DEFAULT_SANDBOX_SECRET = "sandbox-secret"


@checks.register(TAG, checks.Tags.security)
def production_secrets_check(app_configs=None, **kwargs):
    if settings.DEBUG:
        return []
    errors = []
    key = settings.SECRET_KEY or ""
    if key in PUBLISHED_SECRET_KEYS or key.startswith("django-insecure-") or not key:
        errors.append(checks.Error(
            "SECRET_KEY is a published default while DEBUG is off.",
            hint="Set SECRET_KEY to a long random value of your own, e.g. "
                 "python -c 'import secrets; print(secrets.token_urlsafe(50))'.",
            id="qms.E001",
        ))
    if not settings.ALLOWED_HOSTS:
        errors.append(checks.Error(
            "ALLOWED_HOSTS is empty while DEBUG is off.",
            hint="Set ALLOWED_HOSTS to the host names this site answers to, e.g. qms.example.com.",
            id="qms.E002",
        ))
    if settings.PAYMENT_PROVIDER == SANDBOX_PROVIDER and settings.PAYMENT_SANDBOX_SECRET == DEFAULT_SANDBOX_SECRET:
        errors.append(checks.Error(
            "The sandbox payment provider is on with its published secret while DEBUG is off: anybody "
            "could sign a payment callback.",
            hint="Configure a real PAYMENT_PROVIDER, or set PAYMENT_SANDBOX_SECRET to a secret of your own "
                 "for a trial deployment.",
            id="qms.E003",
        ))
    return errors


def refuse_unsafe_start() -> None:
    """Raise SystemCheckError (the process does not start) on any error above."""
    errors = [e for e in checks.run_checks(tags=[TAG]) if e.is_serious()]
    if errors:
        raise SystemCheckError(
            "This process refuses to start:\n" + "\n".join(f"{e.id}: {e.msg} HINT: {e.hint}" for e in errors)
        )
