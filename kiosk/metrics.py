"""Self-service orders for Prometheus, read at scrape time (config.metrics_view).

Only the orders in flight: awaiting payment (created) or fulfilment (paid),
read through the (status, paid_at) index. Finished orders (fulfilled, failed,
refunded) grow without end: counting them at every scrape would read the
whole table."""

from datetime import timedelta

from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from config.cache import process_memo

from .models import Order, OrderStatus

# A paid order not fulfilled after this long is stuck (the fulfilment sweep runs every 10 s).
STUCK_AFTER = timedelta(minutes=5)
READ_EVERY_SECONDS = 10
IN_FLIGHT = (OrderStatus.CREATED, OrderStatus.PAID)


def _in_flight() -> dict:
    by_state = dict(Order.objects.filter(status__in=IN_FLIGHT).values_list("status")
                    .annotate(n=Count("id")).order_by())
    stuck = Order.objects.filter(status=OrderStatus.PAID, paid_at__lt=timezone.now() - STUCK_AFTER).count()
    return {"by_state": by_state, "stuck": stuck}


class OrdersCollector:
    """Every process reports the same values: aggregate with max(), not sum()."""

    def collect(self):
        figures = process_memo("metrics:orders-in-flight", _in_flight, READ_EVERY_SECONDS)
        gauge = GaugeMetricFamily("qms_orders_in_flight",
                                  "Self-service orders awaiting payment (created) or fulfilment (paid).",
                                  labels=["state"])
        for state in IN_FLIGHT:
            gauge.add_metric([state.value], figures["by_state"].get(state.value, 0))
        yield gauge
        yield GaugeMetricFamily("qms_orders_paid_unfulfilled_stuck",
                                f"Orders paid over {STUCK_AFTER.seconds // 60} minutes ago and not fulfilled.",
                                value=figures["stuck"])
