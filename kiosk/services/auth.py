"""Who the customer is: a six-digit code texted to their phone, then a session.

Rules: a code lives five minutes and allows five tries, after which it is
dead; a new code at most once a minute per phone; codes are limited per
phone and kiosk (or client address) together, and per kiosk (or client
address). Only an HMAC of a code and a
SHA-256 of a session token are stored.
"""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from config.api import InvalidInput
from config.phones import is_mobile
from config.ratelimit import rate_limit_hit
from sms.services import sms_queue

from ..errors import OtpExpired, OtpInvalid, OtpTooSoon
from ..models import CustomerSession, KioskDevice, OtpCode, token_digest
from .actions import Origin, action_log

OTP_DIGITS = 6
OTP_LIFETIME = timedelta(minutes=5)
OTP_MAX_ATTEMPTS = 5
OTP_RESEND_AFTER = timedelta(minutes=1)


def require_mobile(phone, field: str = "phone") -> str:
    if not is_mobile(phone):
        raise InvalidInput(fields={field: ["请输入11位手机号 / Enter an 11-digit mainland mobile number."]})
    return phone


def _code_hash(phone: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"otp:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def otp_request(*, phone: str, origin: Origin, now: datetime | None = None) -> OtpCode:
    """Text a new code to `phone` (any mainland mobile: buying a new number
    needs no account). The new code replaces any earlier one.

    Raises InvalidInput, OtpTooSoon (429, within a minute of the last code),
    RateLimited (429, too many for the phone, the kiosk or the address)."""
    require_mobile(phone)
    now = now or timezone.now()
    with action_log(origin, "otp_request", phone=phone):
        latest = OtpCode.objects.filter(phone=phone).order_by("-created_at", "-id").first()
        if latest is not None and now - latest.created_at < OTP_RESEND_AFTER:
            raise OtpTooSoon()
        if origin.kiosk_id is not None:
            scope, key, limit = "otp-kiosk", str(origin.kiosk_id), settings.OTP_KIOSK_LIMIT
        else:
            scope, key, limit = "otp-client", origin.client or "unknown", settings.OTP_CLIENT_LIMIT
        # Per phone and per place asking: a flood for someone's number from
        # one kiosk or address stops there, and never locks the owner out of
        # asking from their own phone or another kiosk.
        rate_limit_hit(
            scope="otp-phone", key=f"{phone}:{scope}:{key}", limit=settings.OTP_PHONE_LIMIT,
            window_seconds=settings.OTP_PHONE_WINDOW_SECONDS,
            message="该号码获取验证码过于频繁，请稍后再试 / Too many codes for this number; try again later.",
        )
        rate_limit_hit(
            scope=scope, key=key, limit=limit, window_seconds=settings.OTP_SOURCE_WINDOW_SECONDS,
            message="获取验证码过于频繁，请稍后再试 / Too many codes from here; try again later.",
        )
        code = f"{secrets.randbelow(10 ** OTP_DIGITS):0{OTP_DIGITS}d}"
        with transaction.atomic():
            OtpCode.objects.filter(phone=phone, used=False).update(used=True)
            otp = OtpCode.objects.create(
                phone=phone, code_hash=_code_hash(phone, code), created_at=now, expires_at=now + OTP_LIFETIME,
                kiosk_id=origin.kiosk_id,
            )
            sms_queue(
                to=phone,
                text=f"【中国移动】您的验证码是{code}，5分钟内有效，请勿告诉他人。如非本人操作请忽略。",
                purpose="otp",
                expires_at=otp.expires_at,
            )
    return otp


def otp_verify(*, phone: str, code: str, origin: Origin, now: datetime | None = None) -> tuple[CustomerSession, str]:
    """Check a code against the phone's latest one; on success, open a session.
    Returns (session, token): the token is shown once and stored only hashed.

    Raises OtpInvalid (a wrong code, or none asked for), OtpExpired (past five
    minutes, five tries used, or already used)."""
    require_mobile(phone)
    now = now or timezone.now()
    with action_log(origin, "otp_verify", phone=phone):
        otp = OtpCode.objects.filter(phone=phone).order_by("-created_at", "-id").first()
        if otp is None:
            raise OtpInvalid()
        if otp.used or otp.expires_at <= now:
            raise OtpExpired()
        # Count the try before comparing, in one conditional statement that
        # commits on its own: five tries, however many arrive at once, and a
        # wrong try stays counted.
        tried = OtpCode.objects.filter(pk=otp.pk, used=False, attempts__lt=OTP_MAX_ATTEMPTS).update(
            attempts=F("attempts") + 1
        )
        if not tried:
            raise OtpExpired()
        code = code if isinstance(code, str) else ""
        if not hmac.compare_digest(otp.code_hash, _code_hash(phone, code)):
            raise OtpInvalid()
        token = secrets.token_urlsafe(32)
        with transaction.atomic():
            # One session per code, even when the right code arrives twice at once.
            if not OtpCode.objects.filter(pk=otp.pk, used=False).update(used=True):
                raise OtpExpired()
            session = CustomerSession.objects.create(
                token_hash=token_digest(token), phone=phone, created_at=now,
                expires_at=now + timedelta(seconds=settings.CUSTOMER_SESSION_SECONDS), kiosk_id=origin.kiosk_id,
            )
    return session, token


def customer_session_end(*, session: CustomerSession, origin: Origin, now: datetime | None = None) -> None:
    """Sign the customer out (a kiosk's idle timeout or "done")."""
    with action_log(origin, "session_end", phone=session.phone):
        CustomerSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(ended_at=now or timezone.now())


# --- Kiosk devices ---------------------------------------------------------------------


def kiosk_register(*, outlet, name: str, token: str | None = None) -> tuple[KioskDevice, str]:
    """Register a kiosk of `outlet`. Returns (device, token): the token is
    shown once, only its hash is kept."""
    token = token or secrets.token_urlsafe(32)
    with transaction.atomic():
        device = KioskDevice.objects.create(outlet=outlet, name=name, token_hash=token_digest(token))
    return device, token


def kiosk_token_rotate(*, kiosk_id: int) -> str:
    """Give a kiosk a new token; the old one stops working at once."""
    token = secrets.token_urlsafe(32)
    KioskDevice.objects.filter(pk=kiosk_id).update(token_hash=token_digest(token))
    return token


def credentials_purge(*, now: datetime | None = None, keep: timedelta = timedelta(days=1)) -> int:
    """Delete one-time codes and sessions that ended more than `keep` ago."""
    cutoff = (now or timezone.now()) - keep
    codes, _ = OtpCode.objects.filter(expires_at__lt=cutoff).delete()
    sessions, _ = CustomerSession.objects.filter(expires_at__lt=cutoff).delete()
    return codes + sessions
