"""What issuing one ticket over HTTP costs the database: a fixed number of
queries, whatever the hall's line (the hot path of every kiosk)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from halls.models import OpeningHours
from queueing.models import Ticket

pytestmark = pytest.mark.django_db

# The agent's membership; the number, the ticket, its line's kept count, its
# event; the answer's place in line (its wait is the one the refresher kept);
# after commit the refresh plays the line forward: the front of the line and
# the tickets at the counters. The token, the hall with its hours and
# services, the routing and the handle times are remembered or cached once
# the first ticket has looked them up. Savepoints of the test's own
# transaction are not counted.
ISSUE_QUERIES = 8


@pytest.fixture
def open_all_day(floor):
    OpeningHours.objects.filter(outlet=floor.hall).delete()
    OpeningHours.objects.bulk_create(
        [OpeningHours(outlet=floor.hall, weekday=d, opens="00:00", closes="00:00") for d in range(7)]
    )


def test_issuing_a_ticket_takes_a_fixed_number_of_queries(floor, open_all_day, django_capture_on_commit_callbacks):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=floor.agent).key}")
    url = f"/api/v1/halls/{floor.hall.code}/tickets/"
    body = {"service": "payment", "channel": "kiosk"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, body, format="json")  # fills the caches

    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, body, format="json")

    assert response.status_code == 201
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == ISSUE_QUERIES, "\n".join(statements)
    assert Ticket.objects.filter(outlet=floor.hall).count() == 2
