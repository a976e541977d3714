"""CI's switch (QMS_FAIL_ON_SKIP=1) turns a test that skips itself into a failure."""

import pytest

SKIPPING = """
import pytest

def test_that_needs_a_browser():
    pytest.skip("Chromium is not installed")
"""


@pytest.fixture
def skipping_suite(pytester):
    pytester.makepyfile(SKIPPING)
    return pytester


def test_a_skip_fails_when_ci_asks_every_test_to_run(skipping_suite, monkeypatch):
    monkeypatch.setenv("QMS_FAIL_ON_SKIP", "1")

    result = skipping_suite.runpytest("-p", "tests.strict_skips", "-p", "no:django", "-p", "no:asyncio")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*QMS_FAIL_ON_SKIP=1*Chromium is not installed*"])


def test_a_skip_stays_a_skip_on_a_developers_machine(skipping_suite, monkeypatch):
    monkeypatch.delenv("QMS_FAIL_ON_SKIP", raising=False)

    result = skipping_suite.runpytest("-p", "tests.strict_skips", "-p", "no:django", "-p", "no:asyncio")

    result.assert_outcomes(skipped=1)
