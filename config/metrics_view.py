"""/metrics for Prometheus: django-prometheus's request and database metrics,
the product's own (config.metrics), and the gauges the apps read from the
database at scrape time (config.urls passes them: open peak-flow warnings by
level, self-service orders in flight).

Not public. Answered to a request straight from an address in
METRICS_ALLOWED_IPS (by default loopback and private networks) that came
through no proxy (no X-Forwarded-For: behind the reverse proxy every request
would come from a private address), or to any request with
`Authorization: Bearer <METRICS_TOKEN>` when that is set. Anything else: 404,
as if there were nothing here.
"""

import hmac
import ipaddress
import logging

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from config.metrics import forget_dead_processes, multiprocess_dir

logger = logging.getLogger(__name__)


def allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = request.META.get("HTTP_AUTHORIZATION", "")
        if given.startswith("Bearer ") and hmac.compare_digest(given[7:].strip().encode(), token.encode()):
            return True
    if "HTTP_X_FORWARDED_FOR" in request.META:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", "").split("%")[0])
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net) for net in settings.METRICS_ALLOWED_IPS)


class _ThisProcess:
    """This process's own metrics (prometheus_client's default registry)."""

    def collect(self):
        return REGISTRY.collect()


class _Tolerant:
    """A collector reading the database; with the database away its gauges are
    left out and the rest still answers (readiness reports the database)."""

    def __init__(self, collector):
        self.collector = collector

    def collect(self):
        try:
            return list(self.collector.collect())
        except DatabaseError:
            logger.warning("Metrics: %s could not read the database", type(self.collector).__name__, exc_info=True)
            return []


def metrics(request, collectors=()):
    if not allowed(request):
        raise Http404
    registry = CollectorRegistry()
    if multiprocess_dir():
        forget_dead_processes()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    for collector in collectors:
        registry.register(_Tolerant(collector))
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
