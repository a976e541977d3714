"""Liveness and readiness, for the load balancer and the orchestrator.

/health/live/   the process answers: no database, no Redis. A failure means
                restart the process.
/health/ready/  the process can serve: the database, the Redis cache and the
                channel layer's Redis servers answer (503 when one does not:
                take this process out of rotation), and whether any Celery
                worker answers a ping within HEALTH_CELERY_TIMEOUT_SECONDS. No
                worker is "degraded", still 200: the web servers can take
                tickets without one (texts and fulfilment wait in their
                outboxes), so losing the workers must not take every web
                server out of rotation too. Alert on it instead.

Both answer JSON with check names, states and short reasons only: no host
names, no addresses, nothing personal. django-health-check runs the checks,
at once, each within its own time limit.
"""

import asyncio
import dataclasses
import datetime

from asgiref.sync import async_to_sync
from django.conf import settings
from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers
from health_check.base import HealthCheck, HealthCheckResult
from health_check.checks import Cache, Database
from health_check.contrib.celery import Ping
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceReturnedUnexpectedResult, ServiceWarning

OK, DEGRADED, UNAVAILABLE = "ok", "degraded", "unavailable"


def live(request):
    """The process answers."""
    response = JsonResponse({"status": OK})
    add_never_cache_headers(response)
    return response


def _host_url(host) -> str:
    return host if isinstance(host, str) else host.get("address", "")


def channel_layer_urls() -> list[str]:
    """The Redis servers of the default channel layer (none for the in-process layer)."""
    layer = settings.CHANNEL_LAYERS.get("default", {})
    return [_host_url(host) for host in layer.get("CONFIG", {}).get("hosts", [])]


@dataclasses.dataclass
class ChannelLayerShard(Redis):
    """One Redis server of the channel layer answers PING."""

    timeout: datetime.timedelta = dataclasses.field(default=datetime.timedelta(seconds=2), repr=False)


@dataclasses.dataclass
class CeleryWorkers(Ping):
    """At least one worker answers a ping. Any failure is a warning, never
    unavailable: the web process serves without workers."""

    async def get_result(self, executor=None) -> HealthCheckResult:
        result = await super().get_result(executor)
        if result.error is not None and not isinstance(result.error, ServiceWarning):
            result.error = ServiceWarning(result.error.message)
        return result

    def run(self):
        try:
            answers = self.app.control.ping(timeout=self.timeout.total_seconds(), limit=1)
        except Exception as exc:  # noqa: BLE001 - the broker away, or a broker that cannot broadcast
            raise ServiceWarning(f"workers cannot be asked ({type(exc).__name__})") from exc
        if not answers:
            raise ServiceWarning(f"no worker answered within {self.timeout.total_seconds():g} s")


def ready_checks() -> list[tuple[str, HealthCheck]]:
    """(name, check) for every dependency of a web process."""
    from redis.asyncio import Redis as RedisClient

    from config.celery import app

    timeout = datetime.timedelta(seconds=settings.HEALTH_CHECK_TIMEOUT_SECONDS)
    checks = [
        ("database", Database()),
        ("cache", Cache(timeout=timeout)),
    ]
    for index, url in enumerate(channel_layer_urls()):
        checks.append((
            "channel_layer" if index == 0 else f"channel_layer_{index}",
            ChannelLayerShard(client_factory=lambda url=url: RedisClient.from_url(
                url, socket_connect_timeout=timeout.total_seconds(), socket_timeout=timeout.total_seconds()),
                timeout=timeout),
        ))
    checks.append((
        "celery", CeleryWorkers(app=app, timeout=datetime.timedelta(seconds=settings.HEALTH_CELERY_TIMEOUT_SECONDS)),
    ))
    return checks


def _state(result: HealthCheckResult, *, required: bool) -> dict:
    error = result.error
    if error is None:
        state = {"status": OK}
    elif isinstance(error, ServiceWarning):
        state = {"status": DEGRADED, "detail": error.message}
    else:
        # A fixed reason, never the library's or the server's message (which
        # may name hosts or carry a URL).
        detail = ("timed out" if str(error.message).startswith("Timed out")
                  else "unexpected answer" if isinstance(error, ServiceReturnedUnexpectedResult)
                  else "not answering")
        state = {"status": UNAVAILABLE if required else DEGRADED, "detail": detail}
    state["seconds"] = round(result.time_taken, 3)
    return state


async def _run_all(checks):
    return await asyncio.gather(*(check.get_result() for check in checks))


def ready(request):
    """503 when the database (or, unless HEALTH_REDIS_REQUIRED is off, Redis)
    does not answer; 200 "degraded" when only the workers do not; else 200 "ok"."""
    names, checks = zip(*ready_checks(), strict=True)
    results = async_to_sync(_run_all)(checks)
    states = {
        name: _state(result, required=name == "database" or settings.HEALTH_REDIS_REQUIRED)
        for name, result in zip(names, results, strict=True)
    }
    kinds = {state["status"] for state in states.values()}
    overall = UNAVAILABLE if UNAVAILABLE in kinds else DEGRADED if DEGRADED in kinds else OK
    response = JsonResponse({"status": overall, "checks": states}, status=503 if overall == UNAVAILABLE else 200)
    add_never_cache_headers(response)
    return response
