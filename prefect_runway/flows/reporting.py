"""What a run shows its user: task ids in the logs, progress and results artifacts, events.

Nothing here may carry a secret: artifacts and events never hold the API key, and every URL's
query string is removed (Runway's output links are signed; their query string is a credential).

Events, for downstream automations:

- ``runway.generation.succeeded``: payload ``s3_uri``, ``sidecar_uri``, ``credits``, ``task_id``...
- ``runway.generation.failed``: payload ``failure``, ``failure_code``, ``task_id``...

Their resource is ``runway.generation.<generation key>``.
"""

from __future__ import annotations

import re
from typing import Any

from prefect.artifacts import (
    acreate_progress_artifact,
    acreate_table_artifact,
    aupdate_progress_artifact,
)
from prefect.events import emit_event

from prefect_runway.api import Task, TaskStatus
from prefect_runway.api.media import redact_url
from prefect_runway.tasks.generate import GenerationResult

__all__ = [
    "FAILED_EVENT",
    "SUCCEEDED_EVENT",
    "ProgressReporter",
    "cell",
    "create_results_table",
    "emit_generation_event",
    "results_row",
    "scrub",
]

SUCCEEDED_EVENT = "runway.generation.succeeded"
FAILED_EVENT = "runway.generation.failed"


def scrub(text: str | None) -> str | None:
    """``text`` with every URL's query string and fragment removed (signed links are secrets)."""
    if text is None:
        return None
    return re.sub(r"(?:https?|s3)://[^\s'\"<>)\]]+", lambda m: redact_url(m.group(0)), text)


def _percent(task: Task) -> float:
    if task.status is TaskStatus.SUCCEEDED:
        return 100.0
    if task.status is TaskStatus.RUNNING and task.progress is not None:
        return round(min(max(task.progress, 0.0), 1.0) * 100, 1)
    return 0.0


class ProgressReporter:
    """``on_update`` for ``generate``: the task id in the run's logs, and a progress artifact.

    The artifact is created at the first update after submit (the first poll) and updated only
    when the percentage changes. A retried attempt (a new task id) is logged and starts again
    from its own progress.
    """

    def __init__(self, name: str, model: str, run_logger: Any) -> None:
        self.name = name
        self.model = model
        self.logger = run_logger
        self.artifact_id: Any = None
        self.task_id: str | None = None
        self.status: TaskStatus | None = None
        self.percent: float | None = None
        self.updates = 0

    def _description(self, task: Task) -> str:
        return f"{self.name} ({self.model}): Runway task `{task.id}` {task.status.value}"

    async def __call__(self, task: Task) -> None:
        if task.id != self.task_id:
            self.logger.info(
                "%s: Runway task %s (%s) is %s", self.name, task.id, self.model, task.status.value
            )
            self.task_id, self.status = task.id, task.status
        elif task.status is not self.status:
            self.logger.info("%s: Runway task %s is %s", self.name, task.id, task.status.value)
            self.status = task.status
        percent = _percent(task)
        if self.artifact_id is None:
            self.artifact_id = await acreate_progress_artifact(
                percent, description=self._description(task)
            )
        elif percent != self.percent:
            await aupdate_progress_artifact(
                self.artifact_id, percent, description=self._description(task)
            )
            self.updates += 1
        self.percent = percent


def cell(value: Any) -> Any:
    """A table artifact cell: empty for None."""
    return "" if value is None else value


def results_row(
    row: int,
    model: str | None,
    seconds: float | None,
    credits: float | None,
    uri: str | None,
    status: str,
    reason: str | None,
) -> dict[str, Any]:
    """One row of a results table artifact (reason scrubbed of URL query strings)."""
    return {
        "row": row,
        "model": cell(model),
        "seconds": cell(None if seconds is None else round(seconds, 2)),
        "credits": cell(credits),
        "S3 URI": cell(uri),
        "status": status,
        "reason": cell(scrub(reason)),
    }


async def create_results_table(key: str, rows: list[dict[str, Any]], description: str) -> None:
    """The results table artifact: one ``results_row`` per generation."""
    await acreate_table_artifact(key=key, table=rows, description=description)


def emit_generation_event(
    flow: str,
    *,
    succeeded: bool,
    key: str,
    name: str,
    model: str,
    estimated_credits: float | None,
    result: GenerationResult | None = None,
    task_id: str | None = None,
    failure: str | None = None,
    failure_code: str | None = None,
) -> None:
    """Emit ``runway.generation.succeeded`` or ``.failed`` for one generation.

    Args:
        flow: The flow that ran it (``image-to-video``, ``batch``...), in the payload.
        succeeded: Which event.
        key: The generation key: the resource id is ``runway.generation.<key>``.
        name: The output's stem.
        model: The Runway model.
        estimated_credits: The estimate made before submitting.
        result: What ``generate`` returned, when it returned.
        task_id, failure, failure_code: When ``generate`` raised instead.
    """
    reused = bool(result and result.from_sidecar)
    emit_event(
        SUCCEEDED_EVENT if succeeded else FAILED_EVENT,
        resource={
            "prefect.resource.id": f"runway.generation.{key}",
            "prefect.resource.name": name,
            "runway.model": model,
            "runway.reused": "true" if reused else "false",
        },
        payload={
            "flow": flow,
            "key": key,
            "name": name,
            "model": model,
            "task_id": result.task_id if result else task_id,
            "s3_uri": result.output_uri if result else None,
            "sidecar_uri": result.sidecar_uri if result else None,
            "credits": result.total_credits if result else None,
            "estimated_credits": estimated_credits,
            "attempts": result.attempts if result else None,
            "reused": reused,
            "failure": scrub(failure if result is None else result.failure),
            "failure_code": failure_code if result is None else result.failure_code,
        },
    )
