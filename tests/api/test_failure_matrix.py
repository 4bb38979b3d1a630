"""The failure matrix as a table: each row of DESIGN.md's matrix, per operation."""

import httpx
import pytest

from prefect_runway.api.failure_matrix import (
    Action,
    Operation,
    RetryPolicy,
    judge_exception,
    judge_status,
    parse_retry_after,
)

C, P, D, G = Operation.CREATE, Operation.POLL, Operation.DELETE, Operation.DOWNLOAD

NOT_SENT = [
    httpx.ConnectError("x"),
    httpx.ConnectTimeout("x"),
    httpx.PoolTimeout("x"),
    httpx.WriteError("x"),
    httpx.WriteTimeout("x"),
]
AFTER_SENDING = [httpx.ReadTimeout("x"), httpx.ReadError("x"), httpx.RemoteProtocolError("x")]


@pytest.mark.parametrize("error", NOT_SENT)
def test_errors_before_sending_are_retried_everywhere(error: httpx.TransportError) -> None:
    for operation in Operation:
        assert judge_exception(operation, error) is Action.RETRY


@pytest.mark.parametrize("error", AFTER_SENDING)
def test_errors_after_sending_make_a_create_ambiguous(error: httpx.TransportError) -> None:
    assert judge_exception(C, error) is Action.AMBIGUOUS
    for operation in (P, D, G, Operation.UPLOAD, Operation.READ):
        assert judge_exception(operation, error) is Action.RETRY


@pytest.mark.parametrize(
    ("status", "create", "poll", "delete", "download"),
    [
        (200, None, None, None, None),
        (204, None, None, None, None),
        (400, Action.FAIL, Action.FAIL, Action.FAIL, Action.REFRESH_LINKS),
        (401, Action.FAIL, Action.FAIL, Action.FAIL, Action.REFRESH_LINKS),
        (403, Action.FAIL, Action.FAIL, Action.FAIL, Action.REFRESH_LINKS),
        (404, Action.FAIL, Action.NOT_FOUND, Action.NOT_FOUND, Action.REFRESH_LINKS),
        (408, Action.RETRY, Action.RETRY, Action.RETRY, Action.RETRY),
        (422, Action.FAIL, Action.FAIL, Action.FAIL, Action.REFRESH_LINKS),
        (429, Action.CHECK_QUOTA, Action.RETRY, Action.RETRY, Action.RETRY),
        (500, Action.AMBIGUOUS, Action.RETRY, Action.RETRY, Action.RETRY),
        (502, Action.AMBIGUOUS, Action.RETRY, Action.RETRY, Action.RETRY),
        (503, Action.RETRY, Action.RETRY, Action.RETRY, Action.RETRY),
        (504, Action.AMBIGUOUS, Action.RETRY, Action.RETRY, Action.RETRY),
    ],
)
def test_status_rows(
    status: int, create: Action, poll: Action, delete: Action, download: Action
) -> None:
    assert judge_status(C, status) is create
    assert judge_status(P, status) is poll
    assert judge_status(D, status) is delete
    assert judge_status(G, status) is download


def test_429_on_uploads_is_retried() -> None:
    assert judge_status(Operation.UPLOAD, 429) is Action.RETRY


def test_retry_after_parsing() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("garbage") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("-5") == 0.0


def test_backoff_grows_is_capped_and_honours_retry_after() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=4.0, max_retry_after=10.0)
    for _ in range(50):
        assert 0.5 <= policy.delay(1) <= 1.0
        assert 1.0 <= policy.delay(2) <= 2.0
        assert 2.0 <= policy.delay(6) <= 4.0
    assert policy.delay(1, retry_after=3.0) == 3.0
    assert policy.delay(1, retry_after=100.0) == 10.0
