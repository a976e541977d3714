"""Every operation of the published API, called with generated input as
each kind of caller (the hall's manager, who may do what its agents do and
more; a kiosk; a signed-in customer): never a 5xx, and every answer (its status, content type,
headers and body) is one the published schema describes."""

import secrets
from datetime import timedelta

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from halls.models import StaffRole
from kiosk.models import CustomerSession, token_digest
from tests.halls.factories import UserFactory, member
from tests.kiosk.factories import KioskDeviceFactory, SubscriberFactory

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
CALLERS = ["manager", "kiosk", "customer"]


@pytest.fixture
def same_connection(db):
    """The calls run in this thread, on the test's own connection and
    transaction (as Django's test client does): the end of a call must not
    give the connection back."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _customer_token(phone: str) -> str:
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    CustomerSession.objects.create(token_hash=token_digest(token), phone=phone, created_at=now,
                                   expires_at=now + timedelta(minutes=30))
    return token


@pytest.fixture(params=CALLERS)
def caller(request, same_connection, floor, settings):
    """The Authorization header of one kind of caller of the floor's hall."""
    settings.SECURE_SSL_REDIRECT = False
    kind = request.param
    if kind == "manager":
        manager = UserFactory(username=f"manager-{floor.hall.code}")
        member(manager, floor.hall, role=StaffRole.MANAGER)
        return {"Authorization": f"Token {Token.objects.create(user=manager).key}"}
    if kind == "kiosk":
        KioskDeviceFactory(outlet=floor.hall, token="fuzz-kiosk-token")
        return {"Authorization": "Kiosk fuzz-kiosk-token"}
    person = SubscriberFactory(msisdn="13800138000")
    return {"Authorization": f"Customer {_customer_token(person.msisdn)}"}


@schema.parametrize()
@hypothesis_settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_api_never_fails_and_keeps_to_its_schema(case, caller):
    response = case.call(headers=caller)
    case.validate_response(response, checks=CHECKS)
