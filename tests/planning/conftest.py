"""Fixtures of the planning tests."""

import pytest
import time_machine

from tests.planning.staffing_factories import MONDAY, at


@pytest.fixture
def clock():
    with time_machine.travel(at(MONDAY, 8), tick=False) as traveller:
        yield traveller


@pytest.fixture
def no_shrinkage(settings):
    settings.PLANNING_SHRINKAGE = 0.0
    settings.PLANNING_TARGET_SERVICE_LEVEL = 0.8
    settings.PLANNING_STAFFING_MODEL = "erlang_c"
