import pytest
from pydantic import ValidationError

from prefect_runway.api import CreatedTask, Task, TaskStatus


def test_every_status_parses() -> None:
    shapes = {
        "PENDING": {"estimatedCost": {"credits": 50}},
        "THROTTLED": {"estimatedCost": {"credits": 50}},
        "RUNNING": {"progress": 0.4, "estimatedCost": {"credits": 50}},
        "SUCCEEDED": {"output": ["https://cdn.example.com/o.mp4?_jwt=x"], "cost": {"credits": 50}},
        "FAILED": {"failure": "bad", "failureCode": "INTERNAL", "cost": {"credits": 0}},
        "CANCELLED": {"cost": {"credits": 0}},
    }
    for status, extra in shapes.items():
        task = Task.model_validate(
            {"id": "abc", "status": status, "createdAt": "2026-11-22T10:00:00.000Z", **extra}
        )
        assert task.status is TaskStatus(status)
        assert task.is_terminal is (status in ("SUCCEEDED", "FAILED", "CANCELLED"))
        assert task.credits == (0 if status in ("FAILED", "CANCELLED") else 50)


def test_unknown_fields_are_kept() -> None:
    task = Task.model_validate({"id": "a", "status": "RUNNING", "progress": 0.5, "newThing": [1]})
    assert task.model_extra == {"newThing": [1]}
    assert task.progress == 0.5


def test_unknown_status_is_an_error() -> None:
    with pytest.raises(ValidationError, match="status"):
        Task.model_validate({"id": "a", "status": "EXPLODED"})


def test_repr_hides_signed_query_strings() -> None:
    task = Task.model_validate(
        {"id": "a", "status": "SUCCEEDED", "output": ["https://cdn.example.com/o.mp4?_jwt=SIGNED"]}
    )
    assert "SIGNED" not in repr(task) and "SIGNED" not in str(task)
    assert task.output == ["https://cdn.example.com/o.mp4?_jwt=SIGNED"]


def test_created_task_without_estimate() -> None:
    created = CreatedTask.model_validate({"id": "x"})
    assert created.estimated_cost is None
