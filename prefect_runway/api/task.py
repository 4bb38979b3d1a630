"""Runway tasks as ``GET /v1/tasks/{id}`` reports them (runway-api.md §5.1).

Unknown fields are kept, not refused: Runway adds fields without a new API version.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from prefect_runway.api.errors import TaskFailed
from prefect_runway.api.failures import FailureClass, classify_failure_code
from prefect_runway.api.media import redact_url

__all__ = ["CreatedTask", "Credits", "Task", "TaskStatus"]


class TaskStatus(StrEnum):
    """A task's status; the last three are terminal."""

    PENDING = "PENDING"
    THROTTLED = "THROTTLED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_terminal(self) -> bool:
        return self in (TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.CANCELLED)

    @property
    def is_queued(self) -> bool:
        """Waiting for a slot: not yet running, so cancelling it is likely refunded."""
        return self in (TaskStatus.PENDING, TaskStatus.THROTTLED)


class _Lenient(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=True
    )


class Credits(_Lenient):
    """An amount of credits (1 credit = US$0.01)."""

    credits: float


class CreatedTask(_Lenient):
    """What a create answers: the task id and the most it may charge."""

    id: str
    estimated_cost: Credits | None = None


class Task(_Lenient):
    """A task's state.

    Attributes:
        id: Runway's task id.
        status: Where the task is.
        progress: 0 to 1 while RUNNING.
        output: Signed output URLs once SUCCEEDED; they expire within 24-48 hours, and their
            query string is a secret (``repr`` hides it).
        failure: Runway's reason when FAILED.
        failure_code: Runway's machine-readable code when FAILED, if any.
        cost: Final cost when terminal; ``estimated_cost`` before.
    """

    id: str
    status: TaskStatus
    created_at: datetime | None = None
    progress: float | None = None
    output: list[str] = Field(default_factory=list)
    failure: str | None = None
    failure_code: str | None = None
    cost: Credits | None = None
    estimated_cost: Credits | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status.is_terminal

    @property
    def credits(self) -> float | None:
        """The final cost if terminal, else the estimate, else None."""
        if self.cost is not None:
            return self.cost.credits
        return self.estimated_cost.credits if self.estimated_cost is not None else None

    @property
    def failure_class(self) -> FailureClass | None:
        if self.status is not TaskStatus.FAILED:
            return None
        return classify_failure_code(self.failure_code)

    def to_error(self) -> TaskFailed:
        """The error for a FAILED or CANCELLED task."""
        failed = self.status is TaskStatus.FAILED
        return TaskFailed(
            task_id=self.id,
            status=self.status.value,
            failure=self.failure,
            failure_code=self.failure_code,
            # A task cancelled by someone else is not retried: they meant it.
            retryable=failed and self.failure_class is FailureClass.RETRYABLE,
            credits=self.cost.credits if self.cost is not None else None,
        )

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            if name == "output":
                yield name, [redact_url(url) for url in self.output]
            else:
                yield name, value
