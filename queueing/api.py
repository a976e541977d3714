from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import IDEMPOTENCY_HEADER, Forbidden, NotFound, idempotency_key, validated, validated_input
from config.auth import request_device
from config.ratelimit import client_address, rate_limit_hit
from halls.models import Counter, Outlet
from halls.roles import counter_access, user_can_act_on, user_manages
from halls.selectors import hall_with_setup

from . import services
from .events import hall_snapshot
from .models import CounterRequest, Ticket
from .selectors import counter_current_ticket, counter_pool, counter_profile_view, hall_missed_tickets, ticket_progress
from .serializers import (
    CounterActionOutSerializer,
    CounterCallChosenInSerializer,
    CounterParkInSerializer,
    CounterPauseInSerializer,
    CounterProfileInSerializer,
    CounterProfileOutSerializer,
    CounterRequestAnswerInSerializer,
    CounterRequestOutSerializer,
    CounterTransferInSerializer,
    DisplayDeviceOutSerializer,
    DisplayHeartbeatInSerializer,
    DisplayHeartbeatOutSerializer,
    HallTicketCheckInInSerializer,
    MissedTicketSerializer,
    PoolTicketOutSerializer,
    QueueSnapshotSerializer,
    TicketCheckInInSerializer,
    TicketIssueInSerializer,
    TicketOutSerializer,
    TicketRatingInSerializer,
    TicketRatingOutSerializer,
    TicketStepAwayInSerializer,
)


def _get_hall(code: str, *, with_setup: bool = False) -> Outlet:
    """The active outlet `code`, or 404. `with_setup`: with its hours and
    offered services (cached), as issuing needs them."""
    if with_setup:
        outlet = hall_with_setup(code=code)
    else:
        outlet = Outlet.objects.filter(code=code, is_active=True).first()
    if outlet is None:
        raise NotFound("No such outlet.")
    return outlet


def _ticket_data(ticket: Ticket, request, serializer=TicketOutSerializer, *, just_issued: bool = False) -> dict:
    context = {"request": request, "progress": {ticket.pk: ticket_progress(ticket, just_issued=just_issued)}}
    return serializer(ticket, context=context).data


class HallQueueApi(APIView):
    permission_classes = []

    @extend_schema(responses=QueueSnapshotSerializer, summary="Live queue snapshot of a hall")
    def get(self, request, code):
        outlet = _get_hall(code)
        return Response(hall_snapshot(outlet))


class TicketIssueApi(APIView):
    """Staff may use any channel and priority; a kiosk (`Authorization: Kiosk
    <device token>`) issues kiosk tickets, normal or care, at its own hall
    only; without auth only a mobile ticket with a phone number and normal
    priority, rate-limited per client address (queueing.services.issuing)."""

    permission_classes = []

    @extend_schema(
        request=TicketIssueInSerializer,
        responses={201: TicketOutSerializer, 200: TicketOutSerializer},
        parameters=[IDEMPOTENCY_HEADER],
        summary="Take a number",
    )
    def post(self, request, code):
        outlet = _get_hall(code, with_setup=True)
        fields = validated_input(TicketIssueInSerializer, request.data)
        key = idempotency_key(request)
        services.ticket_issue_allowed(
            outlet=outlet, user=request.user, device=request_device(request), client=client_address(request),
            channel=fields["channel"], priority=fields["priority"], phone=fields.get("phone", ""),
        )
        ticket, created = services.ticket_issue(
            outlet=outlet,
            service_code=fields["service"],
            channel=fields["channel"],
            phone=fields.get("phone", ""),
            priority=fields["priority"],
            idempotency_key=key,
            actor=request.user,
        )
        return Response(_ticket_data(ticket, request, just_issued=created), status=status.HTTP_201_CREATED)


class TicketDetailApi(APIView):
    permission_classes = []
    authentication_classes = []

    @extend_schema(responses=TicketOutSerializer, summary="Follow a ticket (holder of its token)")
    def get(self, request, token):
        ticket = Ticket.objects.select_related("outlet", "service", "counter").filter(token=token).first()
        if ticket is None:
            raise NotFound("No such ticket.")
        return Response(_ticket_data(ticket, request))


class TicketCancelApi(APIView):
    permission_classes = []
    authentication_classes = []

    @extend_schema(request=None, responses=TicketOutSerializer, summary="Leave the queue")
    def post(self, request, token):
        if not Ticket.objects.filter(token=token).exists():
            raise NotFound("No such ticket.")
        ticket = services.ticket_cancel(token=token)
        return Response(_ticket_data(ticket, request))


class TicketStepAwayApi(APIView):
    """暂离: the holder steps away for a few minutes; the ticket keeps its place
    and is passed over until then (queueing.services.presence)."""

    permission_classes = []
    authentication_classes = []

    @extend_schema(request=TicketStepAwayInSerializer, responses=TicketOutSerializer,
                   summary="Step away for a few minutes, keeping the place (holder of the token)")
    def post(self, request, token):
        fields = validated(TicketStepAwayInSerializer, request.data)
        ticket = services.ticket_step_away(token=token, minutes=fields["minutes"])
        return Response(_ticket_data(ticket, request))


class TicketComeBackApi(APIView):
    permission_classes = []
    authentication_classes = []

    @extend_schema(request=None, responses=TicketOutSerializer,
                   summary="Back before the step-away's time is up (holder of the token)")
    def post(self, request, token):
        ticket = services.ticket_come_back(token=token)
        return Response(_ticket_data(ticket, request))


class TicketCheckInApi(APIView):
    """The holder of a phone ticket says they have arrived: with the hall's
    check-in code (scanned in the hall) or the phone's location. A ticket
    that needs no check-in is answered as it is."""

    permission_classes = []
    authentication_classes = []

    @extend_schema(request=TicketCheckInInSerializer, responses=TicketOutSerializer,
                   summary="Check in on arrival (holder of the token)")
    def post(self, request, token):
        fields = validated(TicketCheckInInSerializer, request.data)
        if fields.get("hall_key"):
            ticket = services.ticket_check_in_by_hall_key(token=token, hall_key=fields["hall_key"])
        else:
            ticket = services.ticket_check_in_by_location(token=token, lat=fields["lat"], lng=fields["lng"])
        return Response(_ticket_data(ticket, request))


class HallTicketCheckInApi(APIView):
    """A kiosk of the hall (or its staff) checks in a phone ticket whose
    holder has arrived: its QR code, or its number and the phone's last four
    digits."""

    permission_classes = []

    @extend_schema(request=HallTicketCheckInInSerializer, responses=TicketOutSerializer,
                   summary="Check in a ticket at the hall (kiosk or staff)")
    def post(self, request, code):
        outlet = _get_hall(code)
        device = request_device(request)
        if device is not None:
            if device.outlet_id != outlet.pk:
                raise Forbidden("该终端不属于此营业厅 / This kiosk belongs to another hall.")
            how, actor = services.CheckInHow.KIOSK, None
        elif request.user.is_authenticated:
            if not user_can_act_on(request.user, outlet):
                raise Forbidden("您不属于该营业厅 / You are not staff of this hall.")
            how, actor = services.CheckInHow.STAFF, request.user
        else:
            raise NotAuthenticated("请在取号机上签到 / Check in at the hall's kiosk.")
        fields = validated(HallTicketCheckInInSerializer, request.data)
        ticket = services.ticket_check_in_at_hall(
            outlet=outlet, token=fields.get("token"), number=fields.get("number"),
            phone_last4=fields.get("phone_last4"), how=how, actor=actor,
        )
        ticket = Ticket.objects.select_related("outlet", "service", "counter").get(pk=ticket.pk)
        return Response(_ticket_data(ticket, request))


class HallTicketCancelApi(APIView):
    """Staff of the hall take a waiting ticket of today out of the queue, by
    its number (the customer told them they are leaving)."""

    @extend_schema(request=None, responses=TicketOutSerializer, summary="Cancel a waiting ticket (staff)")
    def post(self, request, code, number):
        outlet = _staff_hall(request, code, queue_only=False)
        try:
            ticket = services.ticket_cancel_by_staff(outlet=outlet, number=number, actor=request.user)
        except Ticket.DoesNotExist:
            raise NotFound("今天没有这个号码 / No such number today.") from None
        return Response(_ticket_data(ticket, request))


class HallMissedTicketsApi(APIView):
    """Today's latest no-shows of the hall, for the consoles' 过号顺延 list."""

    @extend_schema(responses=MissedTicketSerializer(many=True), summary="Today's latest no-shows (staff)")
    def get(self, request, code):
        outlet = _staff_hall(request, code, queue_only=False)
        return Response(MissedTicketSerializer(hall_missed_tickets(outlet), many=True).data)


class HallTicketReinstateApi(APIView):
    """过号顺延: staff of the hall put today's no-show back in its line (the
    customer came back and showed their number)."""

    @extend_schema(request=None, responses=TicketOutSerializer, summary="Reinstate a no-show (过号顺延)")
    def post(self, request, code, number):
        outlet = _staff_hall(request, code, queue_only=False)
        try:
            ticket = services.ticket_reinstate(outlet=outlet, number=number, actor=request.user)
        except Ticket.DoesNotExist:
            raise NotFound("今天没有这个号码 / No such number today.") from None
        return Response(_ticket_data(ticket, request))


class CounterApiBase(APIView):
    """Counter actions: staff of the counter's hall only."""

    def authorize_counter(self, request, counter_id) -> None:
        """Refuses (401, 403, 404) unless the user may work the counter."""
        if not request.user.is_authenticated:
            # DRF's own exception, so the 401 carries WWW-Authenticate as HTTP requires.
            raise NotAuthenticated("请先登录 / Sign in first.")
        access = counter_access(request.user, counter_id)
        if access is None:
            raise NotFound("No such counter.")
        if not access:
            raise Forbidden("您不属于该营业厅 / You are not staff of this hall.")

    def handle_exception(self, exc):
        if isinstance(exc, Counter.DoesNotExist):  # deleted since its access was checked
            exc = NotFound("No such counter.")
        return super().handle_exception(exc)

    def respond(self, request, counter_id, ticket=None):
        counter = Counter.objects.select_related("outlet", "signed_in_user").get(pk=counter_id)
        current = counter_current_ticket(counter)
        context = {"request": request, "progress": {}}
        for t in (current, ticket):
            if t is not None:
                context["progress"][t.pk] = ticket_progress(t)
        body = CounterActionOutSerializer(
            {"counter": counter, "current_ticket": current, "ticket": ticket}, context=context
        ).data
        return Response(body)


class CounterOpenApi(CounterApiBase):
    @extend_schema(request=None, responses=CounterActionOutSerializer, summary="Open the counter and sign in to it")
    def post(self, request, counter_id):
        self.authorize_counter(request, counter_id)
        services.counter_open(counter_id=counter_id, user=request.user)
        return self.respond(request, counter_id)


class CounterCloseApi(CounterApiBase):
    @extend_schema(request=None, responses=CounterActionOutSerializer, summary="Close the counter")
    def post(self, request, counter_id):
        self.authorize_counter(request, counter_id)
        services.counter_close(counter_id=counter_id, actor=request.user)
        return self.respond(request, counter_id)


class CounterPauseApi(CounterApiBase):
    @extend_schema(request=CounterPauseInSerializer, responses=CounterActionOutSerializer, summary="Pause the counter")
    def post(self, request, counter_id):
        self.authorize_counter(request, counter_id)
        fields = validated(CounterPauseInSerializer, request.data)
        services.counter_pause(counter_id=counter_id, actor=request.user, reason=fields["reason"])
        return self.respond(request, counter_id)


class CounterResumeApi(CounterApiBase):
    @extend_schema(request=None, responses=CounterActionOutSerializer, summary="Resume the counter")
    def post(self, request, counter_id):
        self.authorize_counter(request, counter_id)
        services.counter_resume(counter_id=counter_id, actor=request.user)
        return self.respond(request, counter_id)


class CounterCallNextApi(CounterApiBase):
    @extend_schema(
        request=None,
        parameters=[IDEMPOTENCY_HEADER],
        responses={200: TicketOutSerializer, 204: OpenApiResponse(description="Nothing waits for this counter")},
        summary="Call the next ticket",
    )
    def post(self, request, counter_id):
        self.authorize_counter(request, counter_id)
        ticket = services.ticket_call_next(
            counter_id=counter_id, actor=request.user, request_key=idempotency_key(request)
        )
        if ticket is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(_ticket_data(ticket, request))


class CounterCallChosenApi(CounterApiBase):
    @extend_schema(request=CounterCallChosenInSerializer, parameters=[IDEMPOTENCY_HEADER],
                   responses=TicketOutSerializer, summary="Call a chosen waiting ticket out of its turn (with a reason)")
    def post(self, request, counter_id):
        self.authorize_counter(request, counter_id)
        fields = validated(CounterCallChosenInSerializer, request.data)
        try:
            ticket = services.ticket_call_chosen(
                counter_id=counter_id, number=fields["number"], reason=fields["reason"], actor=request.user,
                request_key=idempotency_key(request),
            )
        except Ticket.DoesNotExist:
            raise NotFound("今天没有这个号码 / No such number today.") from None
        return Response(_ticket_data(ticket, request))


class CounterRecallApi(CounterApiBase):
    @extend_schema(request=None, parameters=[IDEMPOTENCY_HEADER], responses=CounterActionOutSerializer,
                   summary="Call the current ticket again")
    def post(self, request, counter_id):
        self.authorize_counter(request, counter_id)
        ticket = services.ticket_recall(counter_id=counter_id, actor=request.user,
                                        request_key=idempotency_key(request))
        return self.respond(request, counter_id, ticket)


class CounterStartApi(CounterApiBase):
    @extend_schema(request=None, parameters=[IDEMPOTENCY_HEADER], responses=CounterActionOutSerializer,
                   summary="Start serving the current ticket")
    def post(self, request, counter_id):
        self.authorize_counter(request, counter_id)
        ticket = services.ticket_start(counter_id=counter_id, actor=request.user,
                                       request_key=idempotency_key(request))
        return self.respond(request, counter_id, ticket)


class CounterFinishApi(CounterApiBase):
    @extend_schema(request=None, parameters=[IDEMPOTENCY_HEADER], responses=CounterActionOutSerializer,
                   summary="Finish the current ticket")
    def post(self, request, counter_id):
        self.authorize_counter(request, counter_id)
        ticket = services.ticket_finish(counter_id=counter_id, actor=request.user,
                                        request_key=idempotency_key(request))
        return self.respond(request, counter_id, ticket)


class CounterNoShowApi(CounterApiBase):
    @extend_schema(request=None, parameters=[IDEMPOTENCY_HEADER], responses=CounterActionOutSerializer,
                   summary="Mark the current ticket as a no-show")
    def post(self, request, counter_id):
        self.authorize_counter(request, counter_id)
        ticket = services.ticket_no_show(counter_id=counter_id, actor=request.user,
                                         request_key=idempotency_key(request))
        return self.respond(request, counter_id, ticket)


class CounterTransferApi(CounterApiBase):
    @extend_schema(request=CounterTransferInSerializer, parameters=[IDEMPOTENCY_HEADER],
                   responses=CounterActionOutSerializer, summary="Send the current ticket to another service's queue")
    def post(self, request, counter_id):
        self.authorize_counter(request, counter_id)
        fields = validated(CounterTransferInSerializer, request.data)
        ticket = services.ticket_transfer(counter_id=counter_id, actor=request.user, service_code=fields["service"],
                                          request_key=idempotency_key(request))
        return self.respond(request, counter_id, ticket)


class CounterParkApi(CounterApiBase):
    """Park the current visit in the counter's pool or the agent's own
    (暂存): it waits aside, out of the line, until called back by hand or,
    after `minutes`, by the counter's next call."""

    @extend_schema(request=CounterParkInSerializer, parameters=[IDEMPOTENCY_HEADER],
                   responses=CounterActionOutSerializer, summary="Park the current ticket in a pool")
    def post(self, request, counter_id):
        self.authorize_counter(request, counter_id)
        fields = validated(CounterParkInSerializer, request.data)
        ticket = services.ticket_park(counter_id=counter_id, actor=request.user, to=fields["to"],
                                      minutes=fields.get("minutes"), request_key=idempotency_key(request))
        return self.respond(request, counter_id, ticket)


class CounterPoolApi(CounterApiBase):
    @extend_schema(responses=PoolTicketOutSerializer(many=True),
                   summary="The visits parked with the counter or its agent")
    def get(self, request, counter_id):
        self.authorize_counter(request, counter_id)
        counter = Counter.objects.select_related("outlet").get(pk=counter_id)
        context = {"now": timezone.now()}
        return Response(PoolTicketOutSerializer(counter_pool(counter), many=True, context=context).data)


class CounterPoolCallApi(CounterApiBase):
    @extend_schema(request=None, parameters=[IDEMPOTENCY_HEADER], responses=TicketOutSerializer,
                   summary="Call back a parked visit")
    def post(self, request, counter_id, number):
        self.authorize_counter(request, counter_id)
        ticket = services.ticket_call_from_pool(counter_id=counter_id, number=number, actor=request.user,
                                                request_key=idempotency_key(request))
        return Response(_ticket_data(ticket, request))


class CounterProfileApi(CounterApiBase):
    """How the counter chooses among its services (its work profile): staff
    of the hall read it; its managers change it, live (the next call uses it)."""

    def _body(self, counter_id):
        counter = Counter.objects.select_related("outlet").get(pk=counter_id)
        return {"counter": counter.pk, "number": counter.number, **counter_profile_view(counter)}

    @extend_schema(responses=CounterProfileOutSerializer, summary="A counter's work profile")
    def get(self, request, counter_id):
        self.authorize_counter(request, counter_id)
        return Response(CounterProfileOutSerializer(self._body(counter_id)).data)

    @extend_schema(request=CounterProfileInSerializer, responses=CounterProfileOutSerializer,
                   summary="Change a counter's work profile (managers of the hall)")
    def put(self, request, counter_id):
        self.authorize_counter(request, counter_id)
        outlet = Outlet.objects.get(counters__pk=counter_id)
        if not user_manages(request.user, outlet):
            raise Forbidden("只有厅经理可以修改叫号模式 / Only the hall's managers change a counter's profile.")
        fields = validated(CounterProfileInSerializer, request.data)
        services.counter_profile_set(counter_id=counter_id, profile=fields["profile"],
                                     services=fields.get("services"), actor=request.user)
        return Response(CounterProfileOutSerializer(self._body(counter_id)).data)


class CounterDetailApi(CounterApiBase):
    @extend_schema(responses=CounterActionOutSerializer, summary="A counter and its current ticket")
    def get(self, request, counter_id):
        self.authorize_counter(request, counter_id)
        return self.respond(request, counter_id)


def _staff_hall(request, code: str, *, queue_only: bool = False) -> Outlet:
    """The hall `code` for a request by its staff: 401 unsigned, 404 no such
    hall (with a queue, when `queue_only`), 403 not staff of it."""
    if not request.user.is_authenticated:
        # DRF's own exception, so the 401 carries WWW-Authenticate as HTTP requires.
        raise NotAuthenticated("请先登录 / Sign in first.")
    outlet = _get_queue_hall(code) if queue_only else _get_hall(code)
    if not user_can_act_on(request.user, outlet):
        raise Forbidden("您不属于该营业厅 / You are not staff of this hall.")
    return outlet


def _get_queue_hall(code: str) -> Outlet:
    outlet = Outlet.objects.filter(code=code, is_active=True, has_queue=True).first()
    if outlet is None:
        raise NotFound("No such hall with a queue.")
    return outlet


class DisplayHeartbeatApi(APIView):
    """A wall display or counter screen says it is alive (every 30 s); the first
    heartbeat registers it and answers with the device's token, which every
    later heartbeat sends (`device_token`; 403 display_token_invalid
    without it). Displays do not sign in, so no session (and no CSRF) either;
    limited per client address."""

    permission_classes = []
    authentication_classes = []

    @extend_schema(
        request=DisplayHeartbeatInSerializer, responses=DisplayHeartbeatOutSerializer,
        summary="Display heartbeat (registers the device on the first one)",
    )
    def post(self, request, code):
        rate_limit_hit(
            scope="display-heartbeat",
            key=client_address(request),
            limit=settings.DISPLAY_HEARTBEAT_LIMIT,
            window_seconds=settings.DISPLAY_HEARTBEAT_WINDOW_SECONDS,
        )
        outlet = _get_queue_hall(code)
        data = DisplayHeartbeatInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        device, token = services.display_heartbeat(
            outlet=outlet,
            device_id=fields["device_id"],
            kind=fields["kind"],
            counter_number=fields.get("counter"),
            name=fields.get("name", ""),
            user_agent=request.headers.get("User-Agent", ""),
            device_token=fields.get("device_token", ""),
        )
        answer = {"device_id": device.device_id, "online": True, **({"device_token": token} if token else {})}
        return Response(DisplayHeartbeatOutSerializer(answer).data)


class DisplayListApi(generics.GenericAPIView):
    """The hall's displays and whether each is online: staff of the hall only."""

    serializer_class = DisplayDeviceOutSerializer

    @extend_schema(responses=DisplayDeviceOutSerializer(many=True), summary="A hall's displays, online or not")
    def get(self, request, code):
        outlet = _staff_hall(request, code, queue_only=True)
        page = self.paginate_queryset(services.display_list(outlet=outlet))
        context = {"request": request, "now": timezone.now()}
        return self.get_paginated_response(DisplayDeviceOutSerializer(page, many=True, context=context).data)


class TicketRatingApi(APIView):
    """The holder rates a finished ticket, once: 1-5 and an optional comment."""

    permission_classes = []
    authentication_classes = []

    @extend_schema(
        request=TicketRatingInSerializer, responses={201: TicketRatingOutSerializer},
        summary="Rate the service of a finished ticket (holder of its token)",
    )
    def post(self, request, token):
        data = TicketRatingInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rating = services.ticket_rate(token=token, **data.validated_data)
        return Response(TicketRatingOutSerializer(rating).data, status=status.HTTP_201_CREATED)


class HallCounterRequestListApi(APIView):
    """The hall's requests to open a counter that nobody has answered yet
    (staff of the hall: their consoles show them)."""

    @extend_schema(responses=CounterRequestOutSerializer(many=True), summary="Open requests to open a counter")
    def get(self, request, code):
        outlet = _staff_hall(request, code, queue_only=True)
        requests = (
            CounterRequest.objects.filter(outlet=outlet, answered_at__isnull=True)
            .select_related("counter", "service", "requested_by")
            .order_by("created_at")
        )
        return Response(CounterRequestOutSerializer(requests, many=True).data)


class CounterRequestAnswerApi(APIView):
    """An agent of the hall answers a request: accepting opens the counter
    with them signed in; 409 when a colleague answered first."""

    @extend_schema(request=CounterRequestAnswerInSerializer, responses=CounterRequestOutSerializer,
                   summary="Answer a request to open a counter")
    def post(self, request, request_id):
        if not request.user.is_authenticated:
            raise NotAuthenticated("请先登录 / Sign in first.")
        asked = CounterRequest.objects.select_related("outlet").filter(pk=request_id).first()
        if asked is None:
            raise NotFound("No such request.")
        if not user_can_act_on(request.user, asked.outlet):
            raise Forbidden("您不属于该营业厅 / You are not staff of this hall.")
        fields = validated(CounterRequestAnswerInSerializer, request.data)
        answered = services.counter_request_answer(request_id=asked.pk, agent=request.user, accept=fields["accept"])
        answered = CounterRequest.objects.select_related("counter", "service", "requested_by", "answered_by").get(
            pk=answered.pk)
        return Response(CounterRequestOutSerializer(answered).data)
