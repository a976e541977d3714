"""Assertions on the API's error shape, which every client relies on (CONTRACT.md):
`{"error": {"code": "snake_case_code", "message": "human text", "fields": {...}}}`."""

import re

SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def assert_api_error(response, status: int, code: str | None = None) -> dict:
    """`response` answers `status` in the contract's error shape; returns the error object."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert list(body) == ["error"], body
    error = body["error"]
    assert set(error) <= {"code", "message", "fields"}, error
    assert SNAKE_CASE.match(error["code"]), error
    assert isinstance(error["message"], str) and error["message"].strip(), error
    if "fields" in error:
        assert isinstance(error["fields"], dict) and error["fields"], error
    if code is not None:
        assert error["code"] == code, error
    return error


def assert_client_error(response) -> dict:
    """Some 4xx (never a 500) in the contract's error shape."""
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:500])
    return assert_api_error(response, response.status_code)
