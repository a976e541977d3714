"""Mainland mobile numbers: the one pattern and the one mask every app uses."""

import re

PHONE_RE = re.compile(r"1[3-9][0-9]{9}\Z", re.ASCII)


def is_mobile(phone) -> bool:
    """An 11-digit mainland mobile number, ASCII digits only (`\\d` would also
    take full-width and other scripts' digits)."""
    return isinstance(phone, str) and phone.isascii() and bool(PHONE_RE.match(phone))


def mask_phone(phone: str) -> str:
    """138****1234: how a number is shown to anyone but its owner."""
    return f"{phone[:3]}****{phone[-4:]}" if phone else ""
