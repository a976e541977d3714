"""Ready-made halls for queue tests: two services, counters and an agent."""

from dataclasses import dataclass
from datetime import time

from halls.models import Counter, OpeningHours, Outlet, Service
from tests.halls.factories import OutletFactory, ServiceFactory, UserFactory, add_counter, member, offer


@dataclass
class Floor:
    hall: Outlet
    payment: Service
    enquiry: Service
    counter1: Counter  # payment, then enquiry
    counter2: Counter  # payment only
    counter3: Counter  # enquiry only
    agent: object
    agent2: object


def build_floor(*, hours: tuple[time, time] | None = None, **hall_kwargs) -> Floor:
    """A hall open 24 hours every day, or every day from hours[0] to hours[1]."""
    if hours is not None:
        hall_kwargs["always_open"] = False
    hall = OutletFactory(**hall_kwargs)
    if hours is not None:
        OpeningHours.objects.bulk_create(
            [OpeningHours(outlet=hall, weekday=day, opens=hours[0], closes=hours[1]) for day in range(7)]
        )
    payment = ServiceFactory(code="payment", name_zh="缴费充值", name_en="Payment", prefix="A",
                             default_handle_seconds=120)
    enquiry = ServiceFactory(code="enquiry", name_zh="综合咨询", name_en="Enquiries", prefix="H",
                             default_handle_seconds=300)
    offer(hall, payment)
    offer(hall, enquiry)
    counter1 = add_counter(hall, 1, [payment, enquiry])
    counter2 = add_counter(hall, 2, [payment])
    counter3 = add_counter(hall, 3, [enquiry])
    agent = UserFactory(username=f"agent-{hall.code}")
    agent2 = UserFactory(username=f"agent2-{hall.code}")
    member(agent, hall)
    member(agent2, hall)
    return Floor(hall, payment, enquiry, counter1, counter2, counter3, agent, agent2)
