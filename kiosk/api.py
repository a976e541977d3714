"""The self-service API (CONTRACT.md): kiosks, the mobile hall, the SMS hall.

Views parse, call one service, and render. Customers sign in with a code
(`Authorization: Customer <token>`), kiosks with their device token
(`Authorization: Kiosk <token>`); a customer session opened at a kiosk
records that kiosk in the action log.
"""

import hmac

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import IDEMPOTENCY_HEADER, Forbidden, NotFound, idempotency_key
from config.phones import is_mobile, mask_phone
from config.ratelimit import client_address

from . import services
from .auth import CustomerAuthentication, KioskAuthentication, request_customer, request_kiosk
from .models import SelfServiceChannel
from .selectors import sms_outbox
from .serializers import (
    AccountOutSerializer,
    BillOutSerializer,
    BillsQuerySerializer,
    CodeInSerializer,
    DataPackOutSerializer,
    DataPackPurchaseOutSerializer,
    HoldOutSerializer,
    KioskOutSerializer,
    NumberOutSerializer,
    NumberPurchaseInSerializer,
    NumberSearchQuerySerializer,
    OrderOutSerializer,
    OtpRequestInSerializer,
    OtpSentSerializer,
    OtpVerifyInSerializer,
    OutboxQuerySerializer,
    RedemptionInSerializer,
    RedemptionOutSerializer,
    RewardOutSerializer,
    SessionOutSerializer,
    SmsInboundInSerializer,
    SmsOutboxSerializer,
    SmsReplySerializer,
    TopupAccountOutSerializer,
    TopupAccountQuerySerializer,
    TopupInSerializer,
    TopupOrderOutSerializer,
    UsageOutSerializer,
    VasCatalogueOutSerializer,
    VasConfirmationOutSerializer,
    VasOutSerializer,
)
from .services.auth import OTP_LIFETIME, OTP_RESEND_AFTER


def request_origin(request) -> services.Origin:
    """The channel and kiosk a request comes from, for the log and the limits."""
    client = client_address(request)
    kiosk = request_kiosk(request)
    if kiosk is not None:
        return services.Origin.for_kiosk(kiosk.pk, client)
    session = request_customer(request)
    if session is not None and session.kiosk_id is not None:
        return services.Origin.for_kiosk(session.kiosk_id, client)
    return services.Origin(channel=SelfServiceChannel.API, client=client)


def requester(request) -> str:
    """Whose Idempotency-Keys and number holds these are."""
    kiosk = request_kiosk(request)
    if kiosk is not None:
        return services.holder_for_kiosk(kiosk.pk)
    session = request_customer(request)
    if session is not None:
        return services.holder_for_customer(session.phone)
    return f"client:{client_address(request)}"


def _valid(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class IsCustomer(BasePermission):
    message = "请先验证手机号 / Verify your phone number first."

    def has_permission(self, request, view):
        return request_customer(request) is not None


class KioskOrCustomer(BasePermission):
    message = "请在自助终端操作或先验证手机号 / Use a kiosk or verify your phone number first."

    def has_permission(self, request, view):
        return request_kiosk(request) is not None or request_customer(request) is not None


class SelfServiceApi(APIView):
    """Anyone; a kiosk or customer credential, when sent, is checked and recorded."""

    authentication_classes = [CustomerAuthentication, KioskAuthentication]
    permission_classes = []


class CustomerApi(SelfServiceApi):
    permission_classes = [IsCustomer]

    def phone(self, request) -> str:
        return request_customer(request).phone


class PublicListApi(APIView):
    authentication_classes = []
    permission_classes = []


# --- Customer sign-in ---------------------------------------------------------------


class OtpRequestApi(SelfServiceApi):
    @extend_schema(
        request=OtpRequestInSerializer, responses={202: OtpSentSerializer},
        summary="Text a six-digit sign-in code (429 within a minute of the last one)",
    )
    def post(self, request):
        phone = _valid(OtpRequestInSerializer, request.data)["phone"]
        services.otp_request(phone=phone, origin=request_origin(request))
        body = {
            "phone_masked": mask_phone(phone),
            "expires_in_seconds": int(OTP_LIFETIME.total_seconds()),
            "resend_after_seconds": int(OTP_RESEND_AFTER.total_seconds()),
        }
        return Response(OtpSentSerializer(body).data, status=status.HTTP_202_ACCEPTED)


class OtpVerifyApi(SelfServiceApi):
    @extend_schema(
        request=OtpVerifyInSerializer, responses={200: SessionOutSerializer},
        summary="Trade the code for a customer token (400 otp_invalid / otp_expired)",
    )
    def post(self, request):
        fields = _valid(OtpVerifyInSerializer, request.data)
        session, token = services.otp_verify(phone=fields["phone"], code=fields["code"], origin=request_origin(request))
        return Response(SessionOutSerializer({"token": token, "expires_at": session.expires_at}).data)


class SessionEndApi(CustomerApi):
    @extend_schema(request=None, responses={204: None}, summary="Sign the customer out")
    def post(self, request):
        services.customer_session_end(session=request_customer(request), origin=request_origin(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class DevSmsOutboxApi(APIView):
    """Development only (DEBUG): read the texts the system sent."""

    authentication_classes = []
    permission_classes = []

    @extend_schema(parameters=[OutboxQuerySerializer], responses=SmsOutboxSerializer,
                   summary="The SMS outbox, newest first (DEBUG only)")
    def get(self, request):
        if not settings.DEBUG:
            raise NotFound()
        phone = _valid(OutboxQuerySerializer, request.query_params).get("phone", "")
        return Response(SmsOutboxSerializer({"results": sms_outbox(phone=phone)}).data)


# --- The customer's account ------------------------------------------------------------


class MeApi(CustomerApi):
    @extend_schema(responses=AccountOutSerializer, summary="The customer's account")
    def get(self, request):
        account = services.account_overview(phone=self.phone(request), origin=request_origin(request))
        return Response(AccountOutSerializer(account).data)


class MeBillsApi(CustomerApi):
    @extend_schema(parameters=[BillsQuerySerializer], responses=BillOutSerializer(many=True),
                   summary="Bills of the last months (default six), newest first")
    def get(self, request):
        months = _valid(BillsQuerySerializer, request.query_params)["months"]
        bills = services.bills_list(phone=self.phone(request), months=months, origin=request_origin(request))
        return Response(BillOutSerializer(bills, many=True).data)


class MeUsageApi(CustomerApi):
    @extend_schema(responses=UsageOutSerializer, summary="This month's data per plan and pack, and WLAN time")
    def get(self, request):
        usage = services.usage_get(phone=self.phone(request), origin=request_origin(request))
        return Response(UsageOutSerializer(usage).data)


class MeVasApi(CustomerApi):
    @extend_schema(responses=VasOutSerializer(many=True), summary='The "0000" list: subscribed value-added services')
    def get(self, request):
        services_list = services.vas_list(phone=self.phone(request), origin=request_origin(request))
        return Response(VasOutSerializer(services_list, many=True).data)

    @extend_schema(request=CodeInSerializer, responses={202: VasConfirmationOutSerializer},
                   summary="Ask for a service: nothing is subscribed until the second confirmation")
    def post(self, request):
        code = _valid(CodeInSerializer, request.data)["code"]
        confirmation = services.vas_request(phone=self.phone(request), code=code, origin=request_origin(request))
        return Response(VasConfirmationOutSerializer(confirmation).data, status=status.HTTP_202_ACCEPTED)


class MeVasCancelApi(CustomerApi):
    @extend_schema(request=None, responses=VasOutSerializer(many=True),
                   summary="Cancel a value-added service at once; answers the list without it")
    def post(self, request, code):
        phone, origin = self.phone(request), request_origin(request)
        services.vas_cancel(phone=phone, code=code, origin=origin)
        return Response(VasOutSerializer(services.vas_list(phone=phone, origin=origin), many=True).data)


class MeVasConfirmApi(CustomerApi):
    @extend_schema(
        request=None,
        responses={201: VasOutSerializer, 200: VasOutSerializer, 410: OpenApiResponse(description="Expired")},
        summary="The second confirmation (二次确认): subscribes now; 410 when too late",
    )
    def post(self, request, confirmation_id):
        service, created = services.vas_confirm(
            phone=self.phone(request), confirmation_id=confirmation_id, origin=request_origin(request)
        )
        return Response(VasOutSerializer(service).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class VasCatalogueApi(PublicListApi):
    @extend_schema(responses=VasCatalogueOutSerializer(many=True), summary="Value-added services one can order")
    def get(self, request):
        return Response(VasCatalogueOutSerializer(services.vas_catalogue(), many=True).data)


class DataPackListApi(PublicListApi):
    @extend_schema(responses=DataPackOutSerializer(many=True), summary="Data packs G5 to G50")
    def get(self, request):
        return Response(DataPackOutSerializer(services.data_packs(), many=True).data)


class MeDataPackApi(CustomerApi):
    @extend_schema(request=CodeInSerializer, parameters=[IDEMPOTENCY_HEADER],
                   responses={201: DataPackPurchaseOutSerializer},
                   summary="Buy a data pack for this month, paid from the balance; Idempotency-Key honoured")
    def post(self, request):
        code = _valid(CodeInSerializer, request.data)["code"]
        purchase = services.data_pack_buy(
            phone=self.phone(request), code=code, idempotency_key=idempotency_key(request),
            origin=request_origin(request),
        )
        return Response(DataPackPurchaseOutSerializer(purchase).data, status=status.HTTP_201_CREATED)


# --- Points ---------------------------------------------------------------------------


class RewardListApi(PublicListApi):
    @extend_schema(responses=RewardOutSerializer(many=True), summary="The points catalogue with stock")
    def get(self, request):
        return Response(RewardOutSerializer(services.rewards_list(), many=True).data)


class MeRedemptionApi(CustomerApi, generics.GenericAPIView):
    serializer_class = RedemptionInSerializer  # what OPTIONS describes for POST

    @extend_schema(responses=RedemptionOutSerializer(many=True), summary="Past redemptions, newest first")
    def get(self, request):
        history = services.redemption_history(phone=self.phone(request), origin=request_origin(request))
        page = self.paginate_queryset(history)
        return self.get_paginated_response(RedemptionOutSerializer(page, many=True).data)

    @extend_schema(
        request=RedemptionInSerializer, parameters=[IDEMPOTENCY_HEADER], responses={201: RedemptionOutSerializer},
        summary="Redeem points (409 insufficient_points / out_of_stock)",
    )
    def post(self, request):
        fields = _valid(RedemptionInSerializer, request.data)
        redemption = services.points_redeem(
            phone=self.phone(request), reward_code=fields["reward"], quantity=fields["quantity"],
            idempotency_key=idempotency_key(request), origin=request_origin(request),
        )
        return Response(RedemptionOutSerializer(redemption).data, status=status.HTTP_201_CREATED)


# --- Numbers ---------------------------------------------------------------------------


class NumberListApi(PublicListApi, generics.GenericAPIView):
    @extend_schema(
        parameters=[NumberSearchQuerySerializer], responses=NumberOutSerializer(many=True),
        summary="Numbers free to choose: prefix, pattern (aabb, abab, abcd, tail3, tail4, no4, *888, *520*), tier",
    )
    def get(self, request):
        search = services.number_search_parse(**_valid(NumberSearchQuerySerializer, request.query_params))
        page = self.paginate_queryset(services.number_search(search=search))
        return self.get_paginated_response(NumberOutSerializer(page, many=True).data)


def _msisdn(value: str) -> str:
    if not is_mobile(value):
        raise NotFound("没有这个号码 / No such number in stock.")
    return value


class NumberHoldApi(SelfServiceApi):
    permission_classes = [KioskOrCustomer]

    @extend_schema(request=None, responses={201: HoldOutSerializer},
                   summary="Hold a number for 15 minutes (409 number_unavailable)")
    def post(self, request, msisdn):
        hold = services.number_hold(msisdn=_msisdn(msisdn), holder=requester(request), origin=request_origin(request))
        return Response(HoldOutSerializer(hold).data, status=status.HTTP_201_CREATED)


class NumberReleaseApi(SelfServiceApi):
    permission_classes = [KioskOrCustomer]

    @extend_schema(request=None, responses={204: None}, summary="Give a held number back")
    def post(self, request, msisdn):
        services.number_release(msisdn=_msisdn(msisdn), holder=requester(request), origin=request_origin(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class NumberPurchaseApi(SelfServiceApi):
    permission_classes = [KioskOrCustomer]

    @extend_schema(request=NumberPurchaseInSerializer, responses={201: OrderOutSerializer},
                   summary="Buy a held number: an order to pay (409 when the hold is not yours or has ended)")
    def post(self, request, msisdn):
        fields = _valid(NumberPurchaseInSerializer, request.data)
        order = services.number_purchase(
            msisdn=_msisdn(msisdn), holder=requester(request), hold_token=fields["hold_token"],
            contact_phone=fields.get("contact_phone", ""), origin=request_origin(request),
        )
        return Response(OrderOutSerializer(order, context={"request": request}).data, status=status.HTTP_201_CREATED)


# --- Top-up, orders, payments ------------------------------------------------------------


class TopupAccountApi(SelfServiceApi):
    @extend_schema(parameters=[TopupAccountQuerySerializer], responses=TopupAccountOutSerializer,
                   summary="Confirm whose number it is (masked name) and the amounts allowed")
    def get(self, request):
        msisdn = _valid(TopupAccountQuerySerializer, request.query_params)["msisdn"]
        account = services.topup_account(msisdn=msisdn, origin=request_origin(request))
        limits = services.topup_limits()
        body = {"msisdn": msisdn, "name_masked": account.name_masked, "min_fen": limits["min_fen"],
                "max_fen": limits["max_fen"], "presets_fen": list(limits["presets_fen"])}
        return Response(TopupAccountOutSerializer(body).data)


class TopupCreateApi(SelfServiceApi):
    @extend_schema(request=TopupInSerializer, parameters=[IDEMPOTENCY_HEADER], responses={201: TopupOrderOutSerializer},
                   summary="Top up any number: an order to pay")
    def post(self, request):
        fields = _valid(TopupInSerializer, request.data)
        session = request_customer(request)
        order, account = services.topup_create(
            msisdn=fields["msisdn"], amount_fen=fields["amount_fen"], requester=requester(request),
            idempotency_key=idempotency_key(request), origin=request_origin(request),
            customer_phone=session.phone if session else "",
        )
        context = {"request": request, "name_masked": account.name_masked}
        return Response(TopupOrderOutSerializer(order, context=context).data, status=status.HTTP_201_CREATED)


class OrderDetailApi(PublicListApi):
    @extend_schema(responses=OrderOutSerializer, summary="An order (anyone with its number)")
    def get(self, request, order_no):
        order = services.order_get(order_no=order_no)
        return Response(OrderOutSerializer(order, context={"request": request}).data)


class SandboxCallbackApi(APIView):
    """The sandbox provider's callback: signed, read from the raw body."""

    authentication_classes = []
    permission_classes = []

    @extend_schema(
        request={"application/json": {"type": "object", "properties": {
            "order_no": {"type": "string"}, "amount_fen": {"type": "integer"}, "txn_id": {"type": "string"}}}},
        parameters=[OpenApiParameter("X-Sandbox-Signature", str, OpenApiParameter.HEADER, required=True)],
        responses={200: OrderOutSerializer, 403: OpenApiResponse(description="Bad signature")},
        summary="Payment callback (sandbox provider)",
    )
    def post(self, request):
        # request.body, not request.data: the signature covers the exact bytes sent.
        order = services.payment_callback(raw_body=request.body, headers=request.headers)
        return Response(OrderOutSerializer(order, context={"request": request}).data)


class SandboxPayApi(APIView):
    """The sandbox pay page's button (DEBUG only): pays the order as the sandbox would."""

    authentication_classes = []
    permission_classes = []

    @extend_schema(request=None, responses=OrderOutSerializer, summary="Pay an order in the sandbox (DEBUG only)")
    def post(self, request, order_no):
        if not settings.DEBUG or settings.PAYMENT_PROVIDER != "kiosk.payments.SandboxProvider":
            raise NotFound()
        order = services.sandbox_pay(order_no=order_no)
        return Response(OrderOutSerializer(order, context={"request": request}).data)


# --- The SMS hall, the kiosk itself ---------------------------------------------------------


class SmsInboundApi(APIView):
    """Texts to 10086, from the SMS gateway (header X-Gateway-Token)."""

    authentication_classes = []
    permission_classes = []

    @extend_schema(
        request=SmsInboundInSerializer,
        parameters=[OpenApiParameter("X-Gateway-Token", str, OpenApiParameter.HEADER, required=True)],
        responses={200: SmsReplySerializer}, summary="An inbound text to the SMS hall; the reply is texted back",
    )
    def post(self, request):
        expected = settings.SMS_INBOUND_TOKEN
        given = request.headers.get("X-Gateway-Token", "")
        allowed = hmac.compare_digest(given.encode(), expected.encode()) if expected else settings.DEBUG
        if not allowed:
            raise Forbidden("Unknown SMS gateway.")
        fields = _valid(SmsInboundInSerializer, request.data)
        reply = services.sms_inbound_handle(sender=fields["from"], to=fields.get("to", "10086"), text=fields["text"])
        return Response(SmsReplySerializer({"reply": reply}).data)


class KioskMeApi(APIView):
    authentication_classes = [KioskAuthentication]
    permission_classes = []

    @extend_schema(responses=KioskOutSerializer, summary="The kiosk signing the request, and its hall")
    def get(self, request):
        kiosk = request_kiosk(request)
        if kiosk is None:
            raise NotAuthenticated("Authorization: Kiosk <device token>")
        return Response(KioskOutSerializer(kiosk).data)
