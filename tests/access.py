"""Who is asking, and whom an endpoint is for: the vocabulary of the
permission matrix (tests/test_permissions_matrix.py).

Every caller belongs to hall A (its "own" hall) when it belongs to a hall at
all; each hall-scoped endpoint is asked for hall A and for hall B. An
audience says, for a caller and the hall asked about (own: True, other:
False, or None when the endpoint names no hall), whether the caller is let
in. A row of the matrix names its audience; the expected outcome follows.
"""

import secrets
from dataclasses import dataclass, field
from datetime import time, timedelta

from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.authtoken.models import Token

from halls.models import StaffRole
from halls.roles import CITY_OPERATIONS_GROUP
from kiosk.models import CustomerSession, Order, PrintJob, token_digest
from queueing import services as queue
from queueing.models import CounterRequest, DisplayKind, HallDiversion, HallNotice
from queueing.planning.models import PeakWarning, RosterShift, Suggestion
from tests.halls.factories import UserFactory, member
from tests.kiosk.factories import KioskDeviceFactory, PhoneNumberFactory, SubscriberFactory
from tests.queueing.factories import build_floor

# --- Callers ---------------------------------------------------------------------------

ANONYMOUS = "anonymous"
HOLDER = "holder"  # holds a ticket of hall A: its token, nothing else
CUSTOMER = "customer"  # Authorization: Customer <one-time-code session>, signed in at a kiosk of hall A
KIOSK = "kiosk"  # Authorization: Kiosk <device token> of a kiosk of hall A
DISPLAY = "display"  # a registered wall display of hall A: it signs nothing, it names its device id
AGENT = "agent"  # agent membership of hall A
MANAGER = "manager"  # manager membership of hall A
CITY_OPS = "city_ops"  # the city operations group
SUPERUSER = "superuser"

CALLERS = (ANONYMOUS, HOLDER, CUSTOMER, KIOSK, DISPLAY, AGENT, MANAGER, CITY_OPS, SUPERUSER)
USERS = (AGENT, MANAGER, CITY_OPS, SUPERUSER)

# --- Audiences: (caller, own) -> let in? -----------------------------------------------


def _staff_of_hall(caller, own):
    return caller == SUPERUSER or (caller in (AGENT, MANAGER) and own is not False)


def _manager_of_hall(caller, own):
    return caller == SUPERUSER or (caller == MANAGER and own is not False)


AUDIENCES = {
    # Public: anyone at all.
    "anyone": lambda caller, own: True,
    # Whoever presents the ticket's token (everyone else names a token they do not hold).
    "holder": lambda caller, own: caller == HOLDER,
    "customer": lambda caller, own: caller == CUSTOMER,
    "kiosk": lambda caller, own: caller == KIOSK,
    "kiosk_of_hall": lambda caller, own: caller == KIOSK and own is not False,
    "kiosk_or_customer": lambda caller, own: caller in (KIOSK, CUSTOMER),
    # Any signed-in staff user, whatever their halls.
    "staff": lambda caller, own: caller in USERS,
    # Someone who works a hall's counters: agents, managers, superusers (not city operations).
    "worker": lambda caller, own: caller in (AGENT, MANAGER, SUPERUSER),
    # halls.roles.user_can_act_on: the hall's agents and managers, superusers.
    "staff_of_hall": _staff_of_hall,
    # Issuing a mobile ticket: anyone who signs nothing (rate-limited), or the hall's staff;
    # a signed-in user is judged by their role, a kiosk takes kiosk tickets only.
    "unsigned_or_staff_of_hall": lambda caller, own: caller in (ANONYMOUS, HOLDER, CUSTOMER, DISPLAY)
    or _staff_of_hall(caller, own),
    # Issuing a kiosk ticket: the hall's staff, or a kiosk of the hall.
    "staff_or_kiosk_of_hall": lambda caller, own: _staff_of_hall(caller, own) or (caller == KIOSK and own is not False),
    # halls.roles.user_reads: the hall's staff and city operations.
    "reader_of_hall": lambda caller, own: _staff_of_hall(caller, own) or caller == CITY_OPS,
    # halls.roles.user_manages: the hall's managers, superusers.
    "manager_of_hall": _manager_of_hall,
    # halls.roles.user_reads_people: the hall's managers and city operations.
    "manager_or_city_ops_of_hall": lambda caller, own: _manager_of_hall(caller, own) or caller == CITY_OPS,
    # Someone who manages any hall (/manage/).
    "manager": lambda caller, own: caller in (MANAGER, SUPERUSER),
    # The city overview and reports: city operations, superusers, managers (their halls).
    "city_view": lambda caller, own: caller in (MANAGER, CITY_OPS, SUPERUSER),
    # Django admin's door (is_staff): managers, city operations, superusers.
    "admin_staff": lambda caller, own: caller in (MANAGER, CITY_OPS, SUPERUSER),
    # An object of a hall in the admin: its managers, city operations (read only), superusers.
    "admin_of_hall": lambda caller, own: _manager_of_hall(caller, own) or caller == CITY_OPS,
    "city_ops": lambda caller, own: caller in (CITY_OPS, SUPERUSER),
    "superuser": lambda caller, own: caller == SUPERUSER,
    # Nobody who signs in: a signed callback (payment provider, SMS gateway), or DEBUG only.
    "nobody": lambda caller, own: False,
}

# Refusals, as a row may answer them.
SIGN_IN = "sign_in"  # a redirect to a sign-in page (pages)
REDIRECT = "redirect"  # any redirect (the admin's "no such object, perhaps deleted")
API_REFUSED = frozenset({401, 403})


# --- The world: halls A and B, and one of each thing ------------------------------------


@dataclass
class HallObjects:
    floor: object
    ticket: object
    warning: PeakWarning
    suggestion: Suggestion
    counter_request: CounterRequest
    shift: RosterShift
    kiosk: object
    kiosk_token: str
    order: Order
    print_job: PrintJob
    display_id: str

    @property
    def code(self) -> str:
        return self.floor.hall.code


@dataclass
class World:
    a: HallObjects
    b: HallObjects
    users: dict
    tokens: dict
    customer_token: str
    subscriber: object
    msisdn: str
    extra: dict = field(default_factory=dict)

    def hall(self, own: bool | None) -> HallObjects:
        return self.b if own is False else self.a

    def params(self, caller: str, own: bool | None) -> dict:
        """Path parameters for `caller` asking about its own hall (or the other)."""
        h = self.hall(own)
        return {
            "code": h.code,
            "counter_id": h.floor.counter1.pk,
            "number": h.ticket.number,
            "warning_id": h.warning.pk,
            "suggestion_id": h.suggestion.pk,
            "request_id": h.counter_request.pk,
            "shift_id": h.shift.pk,
            "counter_number": h.floor.counter1.number,
            "outlet_pk": h.floor.hall.pk,
            "counter_pk": h.floor.counter1.pk,
            # The ticket's token is its holder's credential: anyone else names one they do not hold.
            "token": h.ticket.token if caller == HOLDER else "not-a-ticket-token-0000",
            "ticket_token": h.ticket.token,
            "order_no": h.order.order_no,
            "print_job_id": h.print_job.pk,
            "msisdn": self.msisdn,
            "vas_code": "VAS-MATRIX",
            "confirmation_id": "no-such-confirmation",
            "booking": "NOBOOK",
            "hall_key": "not-a-hall-key",
        }


def _hall_objects(code: str, now) -> HallObjects:
    floor = build_floor(code=code)
    ticket, _ = queue.ticket_issue(outlet=floor.hall, service_code="payment", channel="kiosk")
    warning = PeakWarning.objects.create(
        outlet=floor.hall, kind="wait", service=floor.payment, subject=f"service:{floor.payment.pk}",
        level="warning", peak_level="warning", figure=900, threshold=600, message="缴费等候较长", started_at=now,
    )
    suggestion = Suggestion.objects.create(warning=warning, kind="end_pause", text="结束暂停", created_at=now,
                                           params={"counter": floor.counter2.pk})
    counter_request = CounterRequest.objects.create(outlet=floor.hall, counter=floor.counter3, created_at=now,
                                                    service=floor.enquiry)
    shift = RosterShift.objects.create(outlet=floor.hall, user=floor.agent2, date=timezone.localdate(),
                                       starts=time(9), ends=time(17))
    kiosk_token = f"matrix-kiosk-{code}"
    kiosk = KioskDeviceFactory(outlet=floor.hall, token=kiosk_token)
    order = Order.objects.create(order_no=f"M{secrets.token_hex(6).upper()}", kind="topup", amount_fen=5000,
                                 msisdn="13800138000", kiosk=kiosk, requester=f"kiosk:{kiosk.pk}", created_at=now)
    print_job = PrintJob.objects.create(kiosk=kiosk, what=f"ticket:{ticket.token}", receipt={}, created_at=now,
                                        queued_at=now)
    display_id = f"display-{code.lower()}-0001"
    queue.display_heartbeat(outlet=floor.hall, device_id=display_id, kind=DisplayKind.LOBBY)
    HallNotice.objects.create(outlet=floor.hall, level="notice", message="请使用自助终端", set_at=now)
    HallDiversion.objects.create(outlet=floor.hall, service=floor.payment, to_outlet=floor.hall, started_at=now,
                                 ended_at=now + timedelta(minutes=1))
    return HallObjects(floor, ticket, warning, suggestion, counter_request, shift, kiosk, kiosk_token, order,
                       print_job, display_id)


def build_world() -> World:
    """Halls A (PM-A) and B (PM-B), each with counters, services, a waiting
    ticket, a warning with a suggestion, a counter request, a shift, a kiosk
    with an order and a print job, and a display; the callers' users, tokens
    and sessions."""
    now = timezone.now()
    a = _hall_objects("PM-A", now)
    b = _hall_objects("PM-B", now)
    manager = UserFactory(username="matrix-manager")
    member(manager, a.floor.hall, StaffRole.MANAGER)
    ops = UserFactory(username="matrix-ops", is_staff=True)
    ops.groups.add(Group.objects.get(name=CITY_OPERATIONS_GROUP))
    root = UserFactory(username="matrix-root", is_staff=True, is_superuser=True)
    users = {AGENT: a.floor.agent, MANAGER: manager, CITY_OPS: ops, SUPERUSER: root}
    for user in users.values():
        user.refresh_from_db()
    tokens = {caller: Token.objects.get_or_create(user=user)[0].key for caller, user in users.items()}
    subscriber = SubscriberFactory()
    customer_token = secrets.token_urlsafe(32)
    CustomerSession.objects.create(token_hash=token_digest(customer_token), phone=subscriber.msisdn, created_at=now,
                                   expires_at=now + timedelta(hours=2), kiosk=a.kiosk)
    msisdn = PhoneNumberFactory().msisdn
    return World(a, b, users, tokens, customer_token, subscriber, msisdn)


def api_headers(world: World, caller: str) -> dict:
    """What `caller` sends with an API request."""
    if caller in USERS:
        return {"HTTP_AUTHORIZATION": f"Token {world.tokens[caller]}"}
    if caller == KIOSK:
        return {"HTTP_AUTHORIZATION": f"Kiosk {world.a.kiosk_token}"}
    if caller == CUSTOMER:
        return {"HTTP_AUTHORIZATION": f"Customer {world.customer_token}"}
    return {}


def expected_allowed(audience: str, caller: str, own: bool | None) -> bool:
    return AUDIENCES[audience](caller, own)


def describe(status: int, location: str = "") -> str:
    return f"{status} -> {location}" if location else str(status)
