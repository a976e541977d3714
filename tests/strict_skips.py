"""A pytest plugin: with QMS_FAIL_ON_SKIP=1 (CI sets it), a test that skips
itself fails. A missing browser, or a database other than the one CI
promises, must not let a run pass with tests it should have run left out."""

import os

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("QMS_FAIL_ON_SKIP") == "1" and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"Skipped, and QMS_FAIL_ON_SKIP=1 wants every selected test to run: {reason}"
