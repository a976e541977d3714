from django.urls import path

from . import api

urlpatterns = [
    path("auth/otp/", api.OtpRequestApi.as_view(), name="otp-request"),
    path("auth/otp/verify/", api.OtpVerifyApi.as_view(), name="otp-verify"),
    path("auth/logout/", api.SessionEndApi.as_view(), name="customer-logout"),
    path("dev/sms-outbox/", api.DevSmsOutboxApi.as_view(), name="dev-sms-outbox"),
    path("me/", api.MeApi.as_view(), name="me"),
    path("me/bills/", api.MeBillsApi.as_view(), name="me-bills"),
    path("me/usage/", api.MeUsageApi.as_view(), name="me-usage"),
    path("me/vas/", api.MeVasApi.as_view(), name="me-vas"),
    path("me/vas/confirmations/<str:confirmation_id>/", api.MeVasConfirmApi.as_view(), name="me-vas-confirm"),
    path("me/vas/<str:code>/cancel/", api.MeVasCancelApi.as_view(), name="me-vas-cancel"),
    path("me/data-packs/", api.MeDataPackApi.as_view(), name="me-data-packs"),
    path("me/redemptions/", api.MeRedemptionApi.as_view(), name="me-redemptions"),
    path("vas/", api.VasCatalogueApi.as_view(), name="vas-catalogue"),
    path("data-packs/", api.DataPackListApi.as_view(), name="data-packs"),
    path("rewards/", api.RewardListApi.as_view(), name="rewards"),
    path("numbers/", api.NumberListApi.as_view(), name="numbers"),
    path("numbers/<str:msisdn>/hold/", api.NumberHoldApi.as_view(), name="number-hold"),
    path("numbers/<str:msisdn>/release/", api.NumberReleaseApi.as_view(), name="number-release"),
    path("numbers/<str:msisdn>/purchase/", api.NumberPurchaseApi.as_view(), name="number-purchase"),
    path("topups/", api.TopupCreateApi.as_view(), name="topups"),
    path("topups/account/", api.TopupAccountApi.as_view(), name="topup-account"),
    path("orders/<str:order_no>/", api.OrderDetailApi.as_view(), name="order-detail"),
    path("payments/sandbox/callback/", api.SandboxCallbackApi.as_view(), name="payment-sandbox-callback"),
    path("payments/sandbox/<str:order_no>/pay/", api.SandboxPayApi.as_view(), name="payment-sandbox-pay"),
    path("sms/inbound/", api.SmsInboundApi.as_view(), name="sms-inbound"),
    path("kiosk/", api.KioskMeApi.as_view(), name="kiosk-me"),
]
