"""A hall's audit log: what its staff and its admins did, newest first.

A selector over records the product keeps anyway; nothing is written for it:

- `ticket`, `ticket_cancelled`, `ticket_reinstated`: the ticket events with
  an actor (calls, recalls, starts, finishes, no-shows, transfers, tickets
  issued by staff; cancelled by staff; 过号顺延);
- `counter`: the counter events with an actor (opened, paused, resumed, closed);
- `warning_acknowledged`: the warnings' acknowledgement changes;
- `suggestion_applied`: suggestions applied, with who applied them;
- `counter_request`: requests to open a counter, and their answers;
- `notice`: the hall's current notice when a person set it (a hall keeps one
  notice, replaced in place: earlier notices are not recorded anywhere);
- `diversion`: diversions to a nearby hall that a person started (who ended
  one is not recorded);
- `admin`: the admin's change log (Django's LogEntry) for the hall's outlet,
  hours and exceptions, services offered, counters and their services, staff
  memberships and displays. An entry about an object deleted since cannot be
  tied to its hall any more and is not shown.

`hall_audit` returns an `AuditTrail`: a lazy, sliceable sequence that
Django's and DRF's paginators page through, merging the sources by time.
"""

import heapq
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Callable

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db.models import Q, QuerySet

from halls.models import Counter, CounterService, HallService, OpeningException, OpeningHours, Outlet, StaffMembership
from queueing.models import (
    CounterEvent,
    CounterRequest,
    DisplayDevice,
    HallDiversion,
    HallNotice,
    TicketEvent,
    TicketEventKind,
)
from queueing.planning.models import Suggestion, WarningChange, WarningChangeKind

AUDIT_KINDS = {
    "ticket": ("号票操作", "Ticket actions"),
    "ticket_cancelled": ("员工取消号票", "Tickets cancelled by staff"),
    "ticket_reinstated": ("过号顺延", "Missed tickets reinstated"),
    "counter": ("窗口操作", "Counter actions"),
    "warning_acknowledged": ("确认预警", "Warnings acknowledged"),
    "suggestion_applied": ("执行建议", "Suggestions applied"),
    "counter_request": ("开窗请求", "Counter requests"),
    "notice": ("大厅提示", "Hall notices"),
    "diversion": ("分流", "Diversions"),
    "admin": ("后台修改", "Admin changes"),
}

_TICKET_ACTIONS = {
    "issued": ("取号", "issued"), "called": ("叫号", "called"), "recalled": ("重呼", "recalled"),
    "started": ("开始办理", "started"), "finished": ("办结", "finished"), "no_show": ("过号", "no-show"),
    "cancelled": ("取消", "cancelled"), "transferred": ("转移", "transferred"),
    "reinstated": ("过号顺延", "reinstated"),
}
_COUNTER_ACTIONS = {"opened": ("开启", "opened"), "paused": ("暂停", "paused"), "resumed": ("恢复", "resumed"),
                    "closed": ("关闭", "closed")}
_ADMIN_ACTIONS = {ADDITION: ("add", "新增", "added"), CHANGE: ("change", "修改", "changed"),
                  DELETION: ("delete", "删除", "deleted")}

# The hall's objects whose admin changes belong in its log: model -> its hall field.
ADMIN_MODELS = (
    (Outlet, "pk"),
    (OpeningHours, "outlet"),
    (OpeningException, "outlet"),
    (HallService, "outlet"),
    (Counter, "outlet"),
    (CounterService, "counter__outlet"),
    (StaffMembership, "outlet"),
    (DisplayDevice, "outlet"),
)


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    kind: str
    action: str
    label: str
    label_en: str
    actor: str  # username
    actor_name: str
    subject: str
    detail: str
    ref: int  # the record's id, to keep equal times in a stable order

    def as_dict(self) -> dict:
        return {
            "at": self.at, "kind": self.kind, "action": self.action, "label": self.label, "label_en": self.label_en,
            "actor": self.actor, "actor_name": self.actor_name, "subject": self.subject, "detail": self.detail,
        }


def _who(user) -> tuple[str, str]:
    if user is None:
        return "", ""
    return user.get_username(), user.get_full_name() or user.get_username()


def _counter_label(counter) -> str:
    return f"{counter.number}号窗口" if counter is not None else ""


@dataclass(frozen=True)
class _Source:
    kind: str
    rows: Callable[[Outlet], QuerySet]  # the hall's rows that have an actor
    at: str  # time field
    actor: str  # actor field
    entry: Callable[[object], AuditEntry]


def _ticket_entry(kind):
    def entry(event: TicketEvent) -> AuditEntry:
        zh, en = _TICKET_ACTIONS.get(event.kind, (event.kind, event.kind))
        subject = " · ".join(s for s in (_counter_label(event.counter), event.ticket.number) if s)
        detail = ", ".join(f"{k}: {v}" for k, v in sorted((event.detail or {}).items()))
        return AuditEntry(event.at, kind, event.kind, zh, en, *_who(event.actor), subject, detail, event.pk)
    return entry


def _ticket_rows(kinds: tuple[str, ...], exclude: bool = False):
    def rows(outlet):
        events = TicketEvent.objects.filter(outlet=outlet, actor__isnull=False)
        events = events.exclude(kind__in=kinds) if exclude else events.filter(kind__in=kinds)
        return events.select_related("actor", "ticket", "counter")
    return rows


def _counter_entry(event: CounterEvent) -> AuditEntry:
    zh, en = _COUNTER_ACTIONS.get(event.kind, (event.kind, event.kind))
    return AuditEntry(event.at, "counter", event.kind, zh, en, *_who(event.actor), _counter_label(event.counter),
                      event.reason, event.pk)


def _warning_entry(change: WarningChange) -> AuditEntry:
    warning = change.warning
    return AuditEntry(change.at, "warning_acknowledged", "acknowledged", "确认预警", "acknowledged a warning",
                      *_who(change.actor), warning.get_kind_display(), warning.message, change.pk)


def _suggestion_entry(suggestion: Suggestion) -> AuditEntry:
    return AuditEntry(suggestion.applied_at, "suggestion_applied", "applied", "执行建议", "applied a suggestion",
                      *_who(suggestion.applied_by), suggestion.get_kind_display(), suggestion.text, suggestion.pk)


def _request_entry(request: CounterRequest) -> AuditEntry:
    service = request.service.name_zh if request.service else ""
    return AuditEntry(request.created_at, "counter_request", "requested", "请求开窗", "asked for a counter",
                      *_who(request.requested_by), _counter_label(request.counter),
                      " ".join(s for s in (service, request.message) if s), request.pk)


def _answer_entry(request: CounterRequest) -> AuditEntry:
    accepted = request.answer == "accepted"
    return AuditEntry(request.answered_at, "counter_request", request.answer,
                      "接受开窗" if accepted else "婉拒开窗", "accepted" if accepted else "declined",
                      *_who(request.answered_by), _counter_label(request.counter), "", request.pk)


def _notice_entry(notice: HallNotice) -> AuditEntry:
    return AuditEntry(notice.set_at, "notice", "set", "设置大厅提示", "set the hall notice", *_who(notice.set_by),
                      notice.level, notice.message, notice.pk)


def _diversion_entry(diversion: HallDiversion) -> AuditEntry:
    service = diversion.service.name_zh if diversion.service else "全部业务"
    return AuditEntry(diversion.started_at, "diversion", "started", "开始分流", "started a diversion",
                      *_who(diversion.started_by), f"{service} → {diversion.to_outlet.name}", "", diversion.pk)


def _admin_rows(outlet: Outlet) -> QuerySet:
    """The admin's log entries about the hall's objects (as they are now).
    Their kinds by app and model name, not by content type ids a process
    may have cached before the content types were made again."""
    about = Q(pk__in=[])
    for model, field in ADMIN_MODELS:
        ids = model.objects.filter(**{field: outlet.pk}).values_list("pk", flat=True)
        about |= Q(content_type__app_label=model._meta.app_label, content_type__model=model._meta.model_name,
                   object_id__in=[str(pk) for pk in ids])
    return LogEntry.objects.filter(about).select_related("user", "content_type")


def _admin_entry(entry: LogEntry) -> AuditEntry:
    action, zh, en = _ADMIN_ACTIONS.get(entry.action_flag, ("change", "修改", "changed"))
    model = entry.content_type.model_class() if entry.content_type_id else None
    what = str(model._meta.verbose_name) if model is not None else ""
    return AuditEntry(entry.action_time, "admin", action, f"后台{zh}", f"{en} in the admin", *_who(entry.user),
                      f"{what} · {entry.object_repr}" if what else entry.object_repr, entry.get_change_message(),
                      entry.pk)


_SPECIAL_TICKET_KINDS = (TicketEventKind.CANCELLED, TicketEventKind.REINSTATED)

SOURCES = (
    _Source("ticket", _ticket_rows(_SPECIAL_TICKET_KINDS, exclude=True), "at", "actor", _ticket_entry("ticket")),
    _Source("ticket_cancelled", _ticket_rows((TicketEventKind.CANCELLED,)), "at", "actor",
            _ticket_entry("ticket_cancelled")),
    _Source("ticket_reinstated", _ticket_rows((TicketEventKind.REINSTATED,)), "at", "actor",
            _ticket_entry("ticket_reinstated")),
    _Source("counter", lambda o: CounterEvent.objects.filter(outlet=o, actor__isnull=False)
            .select_related("actor", "counter"), "at", "actor", _counter_entry),
    _Source("warning_acknowledged", lambda o: WarningChange.objects.filter(
        warning__outlet=o, kind=WarningChangeKind.ACKNOWLEDGED, actor__isnull=False)
        .select_related("actor", "warning"), "at", "actor", _warning_entry),
    _Source("suggestion_applied", lambda o: Suggestion.objects.filter(
        warning__outlet=o, applied_at__isnull=False, applied_by__isnull=False)
        .select_related("applied_by"), "applied_at", "applied_by", _suggestion_entry),
    _Source("counter_request", lambda o: CounterRequest.objects.filter(outlet=o, requested_by__isnull=False)
            .select_related("requested_by", "counter", "service"), "created_at", "requested_by", _request_entry),
    _Source("counter_request", lambda o: CounterRequest.objects.filter(
        outlet=o, answered_at__isnull=False, answered_by__isnull=False)
        .select_related("answered_by", "counter"), "answered_at", "answered_by", _answer_entry),
    _Source("notice", lambda o: HallNotice.objects.filter(outlet=o, set_by__isnull=False)
            .select_related("set_by"), "set_at", "set_by", _notice_entry),
    _Source("diversion", lambda o: HallDiversion.objects.filter(outlet=o, started_by__isnull=False)
            .select_related("started_by", "service", "to_outlet"), "started_at", "started_by", _diversion_entry),
    _Source("admin", _admin_rows, "action_time", "user", _admin_entry),
)


class AuditTrail:
    """The entries of several sources, newest first, read a page at a time:
    a page from `start` to `stop` reads the newest `stop` rows of each source
    and merges them."""

    def __init__(self, parts: list[tuple[_Source, QuerySet]]):
        self.parts = parts
        self._count = None

    def count(self) -> int:
        if self._count is None:
            self._count = sum(rows.count() for _, rows in self.parts)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index:index + 1][0]
        start, stop = index.start or 0, index.stop if index.stop is not None else self.count()
        if stop <= start:
            return []
        streams = [
            [source.entry(row) for row in rows[:stop]]
            for source, rows in self.parts
        ]
        merged = heapq.merge(*streams, key=lambda e: (e.at, e.ref), reverse=True)
        return list(islice(merged, start, stop))


def hall_audit(*, outlet: Outlet, start: datetime, end: datetime, actor: str = "", kind: str = "") -> AuditTrail:
    """What people did at `outlet` from `start` (inclusive) to `end`
    (exclusive), newest first; only `actor`'s (a username) and only entries
    of `kind` (one of AUDIT_KINDS) when given."""
    parts = []
    for source in SOURCES:
        if kind and source.kind != kind:
            continue
        rows = source.rows(outlet).filter(**{f"{source.at}__gte": start, f"{source.at}__lt": end})
        if actor:
            rows = rows.filter(**{f"{source.actor}__username": actor})
        parts.append((source, rows.order_by(f"-{source.at}", "-pk")))
    return AuditTrail(parts)


def hall_audit_actors(*, outlet: Outlet) -> list[dict]:
    """The people the filter offers: the hall's staff (by username)."""
    memberships = StaffMembership.objects.filter(outlet=outlet).select_related("user").order_by("user__username")
    return [{"username": m.user.get_username(), "name": m.user.get_full_name() or m.user.get_username()}
            for m in memberships]
