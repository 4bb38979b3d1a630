import pytest

from prefect_runway.api import (
    FailureClass,
    Task,
    TaskStatus,
    classify_failure_code,
    is_retryable_failure,
)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (None, FailureClass.RETRYABLE),
        ("", FailureClass.RETRYABLE),
        ("INTERNAL", FailureClass.RETRYABLE),
        ("INTERNAL.BAD_OUTPUT.CODE01", FailureClass.RETRYABLE),
        ("INPUT_PREPROCESSING.INTERNAL", FailureClass.RETRYABLE),
        ("THIRD_PARTY.UNAVAILABLE", FailureClass.RETRYABLE),
        ("SAFETY.INPUT.TEXT", FailureClass.CONTENT),
        ("SAFETY.INPUT.IMAGE", FailureClass.CONTENT),
        ("SAFETY.OUTPUT.VIDEO", FailureClass.CONTENT),
        ("INPUT_PREPROCESSING.SAFETY.TEXT", FailureClass.CONTENT),
        ("ASSET.INVALID", FailureClass.INVALID_INPUT),
        ("SOMETHING.NEW", FailureClass.UNKNOWN),
        ("INTERNALISH", FailureClass.UNKNOWN),
    ],
)
def test_failure_codes(code: str | None, expected: FailureClass) -> None:
    assert classify_failure_code(code) is expected
    assert is_retryable_failure(code) is (expected is FailureClass.RETRYABLE)


def test_task_error_carries_reason_code_and_credits() -> None:
    task = Task.model_validate(
        {
            "id": "t1",
            "status": "FAILED",
            "failure": "Your input was flagged.",
            "failureCode": "SAFETY.INPUT.IMAGE",
            "cost": {"credits": 50},
        }
    )
    error = task.to_error()
    assert not error.retryable
    assert error.credits == 50
    assert str(error) == "Runway task t1 FAILED [SAFETY.INPUT.IMAGE]: Your input was flagged."


def test_cancelled_by_someone_else_is_not_retried() -> None:
    task = Task.model_validate({"id": "t2", "status": "CANCELLED", "cost": {"credits": 0}})
    assert task.status is TaskStatus.CANCELLED and task.is_terminal
    assert not task.to_error().retryable


def test_retryable_failure() -> None:
    task = Task.model_validate(
        {"id": "t3", "status": "FAILED", "failure": "oops", "cost": {"credits": 0}}
    )
    assert task.to_error().retryable
