"""Logs: one JSON object a line (LOG_FORMAT=json, the default with DEBUG off)
or readable console lines (the default in DEBUG), from the standard logging
calls of the whole code base and from structlog alike, through structlog's
ProcessorFormatter.

Every line of an HTTP request carries its `request_id`: the request's
X-Request-ID (when it is a plain token of at most 128 characters) or a new
one, returned in the response's X-Request-ID. A WebSocket's lines carry the
id of its handshake for as long as it is open, and a Celery task's lines its
`task_id` and `task` (config/celery.py).

Secrets stay out of them: a kiosk is set up by opening
/kiosk/{code}/?token=<device token> once (the page moves the token into a
cookie and redirects to the address without it), but that first address
still reaches the logs. Every handler masks `token=` values (SecretsFilter),
and serving the app masks them in Daphne's access log too
(`mask_daphne_access_log`, called by config.asgi).
"""

import logging
import re
import uuid

import structlog

REQUEST_ID_HEADER = "X-Request-ID"
_PLAIN_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

# Added to every line, from the logging call's context.
SHARED_PROCESSORS = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def request_id_from(value: str | None) -> str:
    """The caller's id when it is a plain token (nothing to inject into a
    log line), else a new one."""
    if value and _PLAIN_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


def formatter(log_format: str) -> structlog.stdlib.ProcessorFormatter:
    if log_format == "json":
        final = [structlog.processors.format_exc_info, structlog.processors.JSONRenderer(ensure_ascii=False)]
    else:
        final = [structlog.dev.ConsoleRenderer(colors=False)]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=SHARED_PROCESSORS,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
    )


def logging_config(*, log_format: str, level: str) -> dict:
    """The LOGGING setting: every record through one formatter of `log_format`."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": formatter, "log_format": log_format}},
        "filters": {"secrets": {"()": SecretsFilter}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured",
                                 "filters": ["secrets"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django.request": {"level": "ERROR"}},
    }


def configure_structlog() -> None:
    """structlog's own loggers (structlog.get_logger) go through the standard
    logging too, so the same handler and formatter write them."""
    structlog.configure(
        processors=[*SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def bind_request_id(request_id: str) -> None:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)


class RequestIdMiddleware:
    """First in MIDDLEWARE: binds the request id to every log line of the
    request and returns it in X-Request-ID. Not unbound at the end: Django
    logs a failed request's answer after the middleware returns; the next
    request binds afresh."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        bind_request_id(request.request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request.request_id
        return response


class SocketRequestId:
    """ASGI middleware for the WebSockets: the handshake's X-Request-ID (or a
    new id) is bound to every log line of the socket's consumer, which runs
    in this call's task, and put in the scope as `request_id`."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        given = dict(scope.get("headers") or []).get(REQUEST_ID_HEADER.lower().encode(), b"")
        request_id = request_id_from(given.decode("latin-1"))
        bind_request_id(request_id)
        return await self.app({**scope, "request_id": request_id}, receive, send)


# token=, hold_token=, access_token= ... in a query string or a body.
SECRET_PARAMETER = re.compile(r"((?:^|[?&;\s\"'])[A-Za-z_]*token=)[^&;\s\"']+", re.IGNORECASE)
MASK = "***"


def mask_secrets(text: str) -> str:
    """`text` with the value of every `...token=` parameter replaced by ***."""
    return SECRET_PARAMETER.sub(rf"\g<1>{MASK}", text) if "token=" in text.lower() else text


class SecretsFilter(logging.Filter):
    """Masks secrets in a record's message (with its arguments filled in)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad record is the formatter's to report
            return True
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def mask_daphne_access_log() -> None:
    """Daphne writes its access log straight to a stream, not through
    `logging`: mask the request line it writes (once per process)."""
    from daphne.access import AccessLogGenerator

    write_entry = AccessLogGenerator.write_entry
    if getattr(write_entry, "masks_secrets", False):
        return

    def masked_write_entry(self, host, date, request, *args, **kwargs):
        return write_entry(self, host, date, mask_secrets(request), *args, **kwargs)

    masked_write_entry.masks_secrets = True
    AccessLogGenerator.write_entry = masked_write_entry
