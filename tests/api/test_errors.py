"""Errors are readable, picklable (Prefect pickles them into states) and carry no secret."""

import pickle

import pytest

from prefect_runway.api import (
    AmbiguousSubmission,
    BadRequest,
    DailyLimitReached,
    OutputLinkRejected,
    RunwayConnectionError,
    TaskFailed,
)


def test_bad_request_lists_runway_issues() -> None:
    error = BadRequest(
        status_code=400,
        operation="create image_to_video (gen4_turbo)",
        error="Validation of body failed",
        issues=[{"code": "invalid_value", "path": ["ratio"], "message": "Invalid option"}],
    )
    text = str(error)
    assert "HTTP 400: Validation of body failed" in text
    assert "ratio: Invalid option" in text
    assert not error.retryable


def test_daily_limit_names_model_limit_and_usage() -> None:
    error = DailyLimitReached(
        status_code=429,
        operation="create",
        error="Your daily task limit has been reached.",
        model="gen4_turbo",
        daily_limit=50,
        daily_usage=50,
    )
    assert "model gen4_turbo: daily limit 50, used today 50" in str(error)


def test_errors_survive_pickling() -> None:
    errors = [
        BadRequest(status_code=400, operation="op", error="e", issues=[{"path": ["x"]}]),
        AmbiguousSubmission(operation="create", cause="ReadTimeout"),
        TaskFailed(
            task_id="t",
            status="FAILED",
            failure="f",
            failure_code="INTERNAL",
            retryable=True,
            credits=0,
        ),
        RunwayConnectionError(operation="get", cause="refused"),
        OutputLinkRejected(status_code=403, url="https://cdn.example.com/o.mp4"),
        DailyLimitReached(status_code=429, operation="c", model="gen4.5", daily_limit=1),
    ]
    for error in errors:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert str(copy) == str(error)
        assert copy.__dict__ == error.__dict__


def test_httpx_request_logs_lose_their_query_string(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    import httpx

    import prefect_runway.api  # noqa: F401  (importing runway installs the filter)

    with caplog.at_level(logging.INFO, logger="httpx"):
        logging.getLogger("httpx").info(
            'HTTP Request: %s %s "%s %d %s"',
            "GET",
            httpx.URL("https://cdn.example.com/o.mp4?_jwt=SIGNED"),
            "HTTP/1.1",
            200,
            "OK",
        )
    assert caplog.records and "SIGNED" not in caplog.records[-1].getMessage()
    assert "https://cdn.example.com/o.mp4" in caplog.records[-1].getMessage()
