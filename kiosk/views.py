"""The kiosk pages.

/kiosk/{code}/?token=<device token>   the kiosk's home. The token is checked
    against the hall, kept in a cookie, and the address bar loses it; after
    that /kiosk/{code}/ is enough. One page holds every screen
    (static/kiosk/): each action goes through the self-service API with the
    kiosk's credential, so the kiosk follows the same services and rules as
    the carrier's app.
/kiosk/{code}/receipt/{ticket|order}/{ref}/         the receipt, for the
    browser's 80 mm print stylesheet;
/kiosk/{code}/receipt/{ticket|order}/{ref}/print/   (POST) print it on the
    kiosk's network printer (ESC/POS): 202 with the print job, which a
    Celery worker prints;
/kiosk/{code}/receipt/print/{job id}/   the print job's state, which the
    kiosk follows until it is printed or failed;
/kiosk/{code}/qr.svg?data=                         a QR code (pay screens).
/pay/sandbox/{order_no}/   the sandbox payment provider's pay page, which a
    customer's phone opens from the QR code on a pay screen.
"""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from config.api import DomainError, InvalidInput
from config.ratelimit import client_address
from queueing.selectors import service_summaries
from queueing.services import hall_check_in_key

from . import services
from .models import KioskDevice, PrintJob, PrintJobState
from .qr import qr_svg
from .selectors import kiosk_for_token
from .services.receipts import order_receipt, print_job_create, print_job_get, ticket_receipt

COOKIE = "qms_kiosk"
COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie


def _refused(request, code, reason_zh, reason_en):
    return render(request, "kiosk/refused.html", {"code": code, "reason_zh": reason_zh, "reason_en": reason_en},
                  status=403)


def _not_a_kiosk_here(request, code):
    return _refused(request, code, "此页面仅供本厅已登记的自助终端使用", "This page is for the hall's registered kiosks.")


def _kiosk_of(request, code: str) -> KioskDevice | None:
    token = request.COOKIES.get(COOKIE, "")
    device = kiosk_for_token(token) if token and len(token) <= 200 and token.isprintable() else None
    return device if device is not None and device.outlet.code == code else None


def _origin(request, device: KioskDevice) -> services.Origin:
    return services.Origin.for_kiosk(device.pk, client_address(request))


@never_cache
@require_GET
def kiosk_home(request, code):
    token = request.GET.get("token")
    if token is not None:
        device = kiosk_for_token(token) if len(token) <= 200 and token.isprintable() else None
        if device is None or device.outlet.code != code:
            return _refused(request, code, "终端令牌无效或不属于本厅", "The kiosk token is not valid for this hall.")
        # Keep the token in a cookie and take it out of the address bar.
        response = redirect(request.path)
        response.set_cookie(COOKIE, token, max_age=COOKIE_MAX_AGE, httponly=True, samesite="Strict",
                            secure=request.is_secure(), path=f"/kiosk/{code}/")
        return response
    device = _kiosk_of(request, code)
    if device is None:
        return _not_a_kiosk_here(request, code)
    limits = services.topup_limits()
    hall_services = service_summaries(outlet_id=device.outlet_id)
    context = {
        "hall": device.outlet,
        "device": device,
        "device_token": request.COOKIES[COOKIE],
        "hall_services": hall_services,
        "waiting_total": sum(service["waiting"] for service in hall_services),
        "idle_seconds": settings.KIOSK_IDLE_SECONDS,
        "printer": "network" if device.printer_address else "browser",
        # The kiosk follows a network print as long as the server would print it.
        "print_wait_seconds": settings.KIOSK_PRINT_PATIENCE_SECONDS,
        "topup": limits,
        "data_packs": services.data_packs(),
        # Phone tickets check in here on arrival (queueing.services.presence):
        # the hall's code of the day, for a phone to scan from the screen.
        "check_in": device.outlet.remote_check_in,
        "check_in_url": request.build_absolute_uri(
            reverse("check-in-by-code", kwargs={"key": hall_check_in_key(outlet=device.outlet)})),
        "prefixes": sorted({service["prefix"] for service in hall_services}),
    }
    return render(request, "kiosk/kiosk.html", context)


def _receipt(request, code, kind, ref):
    device = _kiosk_of(request, code)
    if device is None:
        return None, None
    if kind == "ticket":
        track_url = request.build_absolute_uri(reverse("ticket-page", args=[ref]))
        return device, ticket_receipt(kiosk=device, ticket_token=ref, track_url=track_url)
    return device, order_receipt(kiosk=device, order_no=ref)


@never_cache
@require_GET
def receipt_page(request, code, kind, ref):
    try:
        device, receipt = _receipt(request, code, kind, ref)
    except DomainError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
    if device is None:
        return _not_a_kiosk_here(request, code)
    qr = qr_svg(receipt.qr_url) if receipt.qr_url else ""
    return render(request, "kiosk/receipt.html", {"receipt": receipt, "qr": qr})


def _error_json(exc: DomainError):
    return JsonResponse(exc.as_dict(), status=exc.status)


def _unknown_kiosk_json():
    return JsonResponse({"error": {"code": "not_authenticated", "message": "未登记的终端 / Unknown kiosk."}},
                        status=403)


def _print_job_json(code: str, job: PrintJob, *, status: int = 200):
    body = {
        "id": job.pk,
        "state": job.state,
        "status_url": reverse("kiosk-print-job", kwargs={"code": code, "job_id": job.pk}),
        "error": {"code": job.error_code, "message": job.error} if job.state == PrintJobState.FAILED else None,
    }
    return JsonResponse(body, status=status)


@never_cache
@require_POST
def receipt_print_view(request, code, kind, ref):
    """Queue the receipt for the kiosk's network printer: 202 with the print
    job (a worker prints it; the kiosk follows its status_url)."""
    try:
        device, receipt = _receipt(request, code, kind, ref)
        if device is None:
            return _unknown_kiosk_json()
        job = print_job_create(kiosk=device, receipt=receipt, what=f"{kind}:{ref}", origin=_origin(request, device))
    except DomainError as exc:
        return _error_json(exc)
    return _print_job_json(code, job, status=202)


@never_cache
@require_GET
def print_job_status(request, code, job_id):
    device = _kiosk_of(request, code)
    if device is None:
        return _unknown_kiosk_json()
    try:
        job = print_job_get(kiosk=device, job_id=job_id)
    except DomainError as exc:
        return _error_json(exc)
    return _print_job_json(code, job)


@require_GET
def qr_image(request, code):
    if _kiosk_of(request, code) is None:
        return _not_a_kiosk_here(request, code)
    data = request.GET.get("data", "")
    if not data or len(data) > 500 or not data.isprintable():
        return _error_json(InvalidInput(fields={"data": ["1-500 printable characters."]}))
    response = HttpResponse(qr_svg(data), content_type="image/svg+xml")
    patch_cache_control(response, private=True, max_age=3600)
    return response
