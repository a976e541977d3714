"""The API's error shape, shared by every app.

Every error a client sees is `{"error": {"code", "message", "fields"?}}`.
Services raise `DomainError` subclasses (each app's `errors.py`); the DRF
exception handler and `ApiErrorMiddleware` (for anything outside DRF under
/api/) render them.
"""

import logging
import threading
import traceback

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.shortcuts import render
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings

logger = logging.getLogger("api")


_input_serializers = threading.local()

IDEMPOTENCY_KEY_MAX_LENGTH = 100
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
    description="Retries with the same key return the first result instead of acting twice.",
)


def idempotency_key(request) -> str | None:
    """The request's `Idempotency-Key` header, stripped; None without one.

    Raises InvalidInput for an empty, over-long or unprintable key: a retry
    must be able to send exactly the same key again."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX_LENGTH or not key.isprintable():
        raise InvalidInput(fields={"Idempotency-Key": [f"Use 1-{IDEMPOTENCY_KEY_MAX_LENGTH} printable characters."]})
    return key


def validated(serializer_class, data, **kwargs) -> dict:
    """`data` validated by a new `serializer_class(data=data, **kwargs)`, or
    DRF's ValidationError (rendered as `validation_error`)."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def validated_input(serializer_class, data) -> dict:
    """`data` validated by `serializer_class` (one that needs no context):
    its validated data, or DRF's ValidationError with the same fields and
    messages as `is_valid(raise_exception=True)`.

    Building a serializer copies its declared fields, which costs several
    times the validation of a small body; on the hottest requests each thread
    keeps one serializer of the class and runs only the validation."""
    cache = _input_serializers.__dict__
    serializer = cache.get(serializer_class)
    if serializer is None:
        serializer = cache[serializer_class] = serializer_class()
    return serializer.run_validation(data)


class DomainError(Exception):
    """A rule of the domain refused the request. Subclasses set the class attributes."""

    code = "domain_error"
    message = "The request cannot be carried out."
    status = status.HTTP_409_CONFLICT

    def __init__(self, message=None, *, code=None, fields=None, status=None):
        self.message = message or self.message
        self.code = code or self.code
        self.fields = fields
        if status is not None:
            self.status = status
        super().__init__(self.message)

    def as_dict(self):
        body = {"code": self.code, "message": str(self.message)}
        if self.fields:
            body["fields"] = self.fields
        return {"error": body}


class NotFound(DomainError):
    code = "not_found"
    message = "Not found."
    status = 404


class Forbidden(DomainError):
    code = "permission_denied"
    message = "You may not do this."
    status = 403


class InvalidInput(DomainError):
    code = "validation_error"
    message = "The request has invalid fields."
    status = 400


class RateLimited(DomainError):
    code = "rate_limited"
    message = "Too many requests; please try again later."
    status = 429


def _flatten(detail):
    """DRF's nested error detail as {field: [messages]} with plain strings."""
    if isinstance(detail, dict):
        return {key: _messages(value) for key, value in detail.items()}
    return {"non_field_errors": _messages(detail)}


def _messages(value):
    if isinstance(value, dict):
        return _flatten(value)
    if isinstance(value, (list, tuple)):
        out = []
        for item in value:
            if isinstance(item, (dict, list)):
                out.append(_messages(item))
            else:
                out.append(_text(item))
        return out
    return [_text(value)]


def _text(value) -> str:
    """A message as text that can be encoded: DRF's messages echo the input
    ('"\\ud800" is not a valid choice'), and JSON lets a client send a lone
    surrogate, which the UTF-8 response could not carry."""
    return str(value).encode("utf-8", "backslashreplace").decode("utf-8")


_DRF_CODES = {
    drf_exceptions.NotAuthenticated: ("not_authenticated", 401),
    drf_exceptions.AuthenticationFailed: ("authentication_failed", 401),
    drf_exceptions.PermissionDenied: ("permission_denied", 403),
    drf_exceptions.NotFound: ("not_found", 404),
    drf_exceptions.MethodNotAllowed: ("method_not_allowed", 405),
    drf_exceptions.NotAcceptable: ("not_acceptable", 406),
    drf_exceptions.UnsupportedMediaType: ("unsupported_media_type", 415),
    drf_exceptions.Throttled: ("rate_limited", 429),
    drf_exceptions.ParseError: ("malformed_request", 400),
}


DATABASE_UNAVAILABLE = "database_unavailable"
DATABASE_UNAVAILABLE_MESSAGE = "The service is briefly unavailable; please try again in a few seconds."


def is_database_unavailable(exc) -> bool:
    """Whether `exc` says the database could not be reached or the connection
    was lost (server restarting, network cut, no pooled connection in time):
    nothing was written, and the same request can simply be sent again."""
    return isinstance(exc, (OperationalError, InterfaceError))


def _retry_after() -> dict:
    from django.conf import settings

    return {"Retry-After": str(settings.DB_UNAVAILABLE_RETRY_AFTER_SECONDS)}


def _log_database_unavailable(exc, where) -> None:
    logger.warning("Database unavailable at %s: %s", where, str(exc).strip().splitlines()[0] if str(exc) else
                   exc.__class__.__name__)


def database_unavailable_json() -> JsonResponse:
    response = JsonResponse({"error": {"code": DATABASE_UNAVAILABLE, "message": DATABASE_UNAVAILABLE_MESSAGE}},
                            status=503)
    for header, value in _retry_after().items():
        response[header] = value
    return response


def database_unavailable_page(request):
    """The friendly page a person sees while the database is away."""
    response = render(request, "503.html", status=503)
    for header, value in _retry_after().items():
        response[header] = value
    return response


def server_error(request):
    """handler500: a database that went away while a request was outside any
    view (a middleware, a context processor) still answers 503, not 500."""
    import sys

    from django.views.defaults import server_error as default_server_error

    if is_database_unavailable(sys.exc_info()[1]):
        if request.path.startswith("/api/"):
            return database_unavailable_json()
        return database_unavailable_page(request)
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"error": {"code": "internal_error", "message": "Something went wrong on our side; please try again."}},
            status=500,
        )
    return default_server_error(request)


def error_response(code, message, status_code, fields=None, headers=None):
    body = {"code": code, "message": _text(message)}
    if fields:
        body["fields"] = fields
    return Response({"error": body}, status=status_code, headers=headers)


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every error in the contract's shape, never a bare 500."""
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, Http404):
        return error_response("not_found", "Not found.", 404)
    if isinstance(exc, PermissionDenied):
        return error_response("permission_denied", "You may not do this.", 403)
    if isinstance(exc, SuspiciousOperation):
        # Django answers these 400 outside DRF (too many form fields, a body over
        # DATA_UPLOAD_MAX_MEMORY_SIZE); inside DRF they reach this handler instead.
        logging.getLogger(f"django.security.{exc.__class__.__name__}").error(str(exc))
        if isinstance(exc, RequestDataTooBig):
            return error_response("payload_too_large", "The request body is too large.", 413)
        return error_response("malformed_request", "The request could not be read.", 400)
    if isinstance(exc, RecursionError) and _raised_by_parser(exc):
        # json gives up on a body nested deeper than the recursion limit with a
        # RecursionError, which DRF's JSONParser (catching ValueError) lets through.
        return error_response("malformed_request", "JSON parse error - nested too deeply.", 400)
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return error_response("validation_error", "The request has invalid fields.", 400, fields)
    if isinstance(exc, drf_exceptions.ValidationError):
        return error_response("validation_error", "The request has invalid fields.", 400, _flatten(exc.detail))
    if isinstance(exc, drf_exceptions.APIException):
        code, status_code = "error", exc.status_code
        for cls, (known_code, known_status) in _DRF_CODES.items():
            if isinstance(exc, cls):
                code, status_code = known_code, known_status
                break
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return error_response(code, detail, status_code, headers=headers)
    if is_database_unavailable(exc):
        # The transaction rolled back with the connection: answer so that the
        # client retries, and the pool drops the dead connection on return.
        _log_database_unavailable(exc, context.get("view").__class__.__name__ if context else "?")
        return error_response(DATABASE_UNAVAILABLE, DATABASE_UNAVAILABLE_MESSAGE, 503, headers=_retry_after())
    logger.exception("Unhandled error in %s", context.get("view").__class__.__name__ if context else "?")
    return error_response("internal_error", "Something went wrong on our side; please try again.", 500)


def _raised_by_parser(exc) -> bool:
    return any(
        frame.f_globals.get("__name__") == "rest_framework.parsers" for frame, _ in traceback.walk_tb(exc.__traceback__)
    )


def _has_nul(request) -> bool:
    """Whether the path, a query parameter or a header holds a NUL character.

    PostgreSQL text cannot hold NUL: a lookup by such a value (a hall code or a
    ticket token from the path, a token from the Authorization header) fails in
    the database driver instead of finding nothing."""
    if "\x00" in request.path:
        return True
    if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
        return True
    headers = (value for key, value in request.META.items() if key.startswith("HTTP_"))
    return any(isinstance(value, str) and "\x00" in value for value in headers)


class ApiErrorMiddleware:
    """Errors under /api/ that happen outside DRF views (unknown URL, a crash in
    middleware) still answer in the contract's JSON shape; while the database
    is unreachable, API requests answer 503 `database_unavailable` and pages a
    friendly 503 page, both with Retry-After."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            try:
                unreadable = _has_nul(request)
            except SuspiciousOperation:  # more query parameters than DATA_UPLOAD_MAX_NUMBER_FIELDS
                unreadable = True
            if unreadable:
                return JsonResponse(
                    {"error": {"code": "malformed_request", "message": "The request could not be read."}}, status=400
                )
        response = self.get_response(request)
        if request.path.startswith("/api/") and response.status_code == 404 and not _is_json(response):
            return JsonResponse({"error": {"code": "not_found", "message": "Not found."}}, status=404)
        return response

    def process_exception(self, request, exception):
        if is_database_unavailable(exception):
            _log_database_unavailable(exception, request.path)
            if request.path.startswith("/api/"):
                return database_unavailable_json()
            return database_unavailable_page(request)
        if not request.path.startswith("/api/"):
            return None
        if isinstance(exception, DomainError):
            return JsonResponse(exception.as_dict(), status=exception.status)
        if isinstance(exception, Http404):
            return JsonResponse({"error": {"code": "not_found", "message": "Not found."}}, status=404)
        logger.exception("Unhandled error at %s", request.path)
        return JsonResponse(
            {"error": {"code": "internal_error", "message": "Something went wrong on our side; please try again."}},
            status=500,
        )


def _is_json(response):
    return response.get("Content-Type", "").startswith("application/json")


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        # A page that is not a number, or past the end, is DRF's NotFound: answered
        # in the contract's shape, with a code that tells it from a missing resource.
        try:
            return super().paginate_queryset(queryset, request, view)
        except drf_exceptions.NotFound:
            raise DomainError("That page does not exist.", code="invalid_page", status=404) from None


class _NoFormatOverride:
    """DRF's settings, except that no query parameter picks the renderer."""

    URL_FORMAT_OVERRIDE = None

    def __getattr__(self, name):
        return getattr(api_settings, name)


class FileFormatNegotiation(DefaultContentNegotiation):
    """For views whose `?format=` names a file to download (csv, xlsx) that
    the view writes itself: the parameter does not pick a renderer (which
    would answer 404 for a format no renderer has). Elsewhere, such as the
    OpenAPI schema's `?format=json`, it still does."""

    settings = _NoFormatOverride()
