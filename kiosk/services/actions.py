"""The self-service action log: every action, with kiosk, customer and result."""

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, transaction

from config.api import DomainError
from config.phones import mask_phones

from ..models import ActionResult, SelfServiceAction, SelfServiceChannel

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Origin:
    """Where a self-service request comes from: the channel, the kiosk (if
    any) and the client address. Used for the log and the rate limits."""

    channel: str = SelfServiceChannel.API
    kiosk_id: int | None = None
    client: str = ""

    @classmethod
    def for_kiosk(cls, kiosk_id: int, client: str = "") -> "Origin":
        return cls(channel=SelfServiceChannel.KIOSK, kiosk_id=kiosk_id, client=client)


SYSTEM = Origin(channel=SelfServiceChannel.SYSTEM)
SMS_HALL = Origin(channel=SelfServiceChannel.SMS, client="10086")


@dataclass
class ActionEntry:
    """Filled in by the action while it runs; written when it ends."""

    phone: str = ""
    kiosk_id: int | None = None
    detail: dict = field(default_factory=dict)


@contextmanager
def action_log(origin: Origin, action: str, *, phone: str = "", detail: dict | None = None) -> Iterator[ActionEntry]:
    """Record `action` when the block ends: ok, refused (a DomainError, with
    its code) or failed (anything else). The error propagates unchanged.

    Wrap the whole action, outside its atomic blocks, so that the record of a
    refusal survives the rollback of what was refused."""
    entry = ActionEntry(phone=phone, kiosk_id=origin.kiosk_id, detail=dict(detail or {}))
    try:
        yield entry
    except DomainError as exc:
        _write(origin, action, entry, ActionResult.REFUSED, exc.code)
        raise
    except Exception as exc:
        _write(origin, action, entry, ActionResult.FAILED, type(exc).__name__)
        raise
    else:
        _write(origin, action, entry, ActionResult.OK, "")


def action_record(origin: Origin, action: str, *, result: str, error_code: str = "", phone: str = "",
                  detail: dict | None = None) -> None:
    """Record an action whose end is known only later, away from the request
    that asked for it (a print job a worker finished): what `action_log`
    writes when its block ends."""
    _write(origin, action, ActionEntry(phone=phone, kiosk_id=origin.kiosk_id, detail=dict(detail or {})), result,
           error_code)


def _write(origin: Origin, action: str, entry: ActionEntry, result: str, error_code: str) -> None:
    if transaction.get_connection().needs_rollback:
        # Inside a transaction that already failed nothing can be written; the
        # caller's rollback is what happened.
        logger.warning("Self-service action %s (%s) not logged: transaction rolled back", action, result)
        return
    try:
        # Phone numbers in the detail (a customer holder, a contact phone) are
        # shown masked; the record's own phone column stays whole for lookups.
        detail = json.loads(mask_phones(json.dumps(entry.detail, cls=DjangoJSONEncoder, ensure_ascii=False)))
        with transaction.atomic():
            SelfServiceAction.objects.create(
                channel=origin.channel,
                kiosk_id=entry.kiosk_id,
                phone=entry.phone if entry.phone and len(entry.phone) <= 11 else "",
                action=action,
                result=result,
                error_code=error_code[:50],
                detail=detail,
            )
    except (DatabaseError, TypeError, ValueError):
        # The log must never turn a done action into an error.
        logger.exception("Could not log self-service action %s", action)
