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


# An 11-digit mobile number standing alone (not part of a longer number, such as an order number).
PHONE_IN_TEXT = re.compile(r"(?<![0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])", re.ASCII)


def mask_phones(text: str) -> str:
    """`text` with every mobile number in it masked, 138****1234."""
    return PHONE_IN_TEXT.sub(r"\1****\2", text)
