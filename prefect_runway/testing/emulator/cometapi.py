"""CometAPI mode: the proxy's task-details shapes and its ``task_not_exist`` answer.

CometAPI (reference/cometapi.md) serves Runway's official-format routes under ``/runwayml/v1``.
Creates answer a bare ``{"id": ...}``; ``GET /runwayml/v1/tasks/{id}`` is documented in two
shapes that contradict each other, so the emulator serves either (``cometapi_task_shape``):

* ``bare`` (doc version B): Runway's task object, with the documented status set ``PENDING``,
  ``RUNNING``, ``SUCCEEDED``, ``FAILED`` (Runway's ``THROTTLED`` shows as ``PENDING``);
* ``wrapped`` (doc version A, a new-api style gateway envelope)::

    {"code": "success", "message": "",
     "data": {"task_id", "action": "IMAGE_TO_VIDEO" | "CHARACTER_PERFORMANCE",
              "status": "QUEUED" | "IN_PROGRESS" | "SUCCESS" | "FAILURE",
              "fail_reason", "submit_time", "start_time", "finish_time",  # Unix s, 0 = not yet
              "progress": "40%", "result_url" (SUCCESS only),
              "data": {<Runway's task object, THROTTLED and all>}}}

* ``alternate``: wrapped on a task's 1st, 3rd, 5th... successful GET, bare on the others.

UNCONFIRMED upstream: the wrapper's status values beyond ``QUEUED`` (taken from new-api's task
model), the ``progress`` strings beyond ``"0%"``, ``result_url`` being the first output, and the
``task_not_exist`` answer's HTTP status and body (new-api's: 400
``{"code": "task_not_exist", "message": "task_not_exist", "data": null}``). The emulator answers
``task_not_exist`` for ``cometapi_not_exist_seconds`` after a create and for any id it does not
know, as new-api does for an unknown task.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect_runway.testing.emulator.state import TERMINAL, EmulatorState, Task

__all__ = ["ACTIONS", "BARE_STATUS", "WRAPPER_STATUS", "not_exist_body", "task_details"]

#: Runway's status -> the bare shape's documented status.
BARE_STATUS = {
    "PENDING": "PENDING",
    "THROTTLED": "PENDING",
    "RUNNING": "RUNNING",
    "SUCCEEDED": "SUCCEEDED",
    "FAILED": "FAILED",
}

#: Runway's status -> the wrapper's (new-api's) status.
WRAPPER_STATUS = {
    "PENDING": "QUEUED",
    "THROTTLED": "QUEUED",
    "RUNNING": "IN_PROGRESS",
    "SUCCEEDED": "SUCCESS",
    "FAILED": "FAILURE",
}

#: The emulator's endpoint names -> the wrapper's ``action`` (other endpoints: the name in
#: capitals, UNCONFIRMED).
ACTIONS = {
    "image_to_video": "IMAGE_TO_VIDEO",
    "character_performance": "CHARACTER_PERFORMANCE",
}


def not_exist_body() -> dict[str, Any]:
    """The body of the ``task_not_exist`` answer (HTTP 400)."""
    return {"code": "task_not_exist", "message": "task_not_exist", "data": None}


def _unix(task: Task, mono: float | None) -> int:
    """Whole Unix seconds of a moment on the task's monotonic clock (0 when there is none)."""
    if mono is None:
        return 0
    return int(task.created_wall + (mono - task.created_mono))


def _wrapped(task: Task, runway: dict[str, Any], now: float) -> dict[str, Any]:
    status: str = runway["status"]
    started = task.run_start is not None and now >= task.run_start
    if status == "RUNNING":
        # Whole percent, rounded down (a hair of tolerance for 0.29 * 100 = 28.999...).
        progress = f"{int(runway.get('progress', 0.0) * 100 + 1e-6)}%"
    elif status in TERMINAL:
        progress = "100%"
    else:
        progress = "0%"
    wrapper: dict[str, Any] = {
        "task_id": task.id,
        "action": ACTIONS.get(task.endpoint, task.endpoint.upper()),
        "status": WRAPPER_STATUS.get(status, status),
        "fail_reason": runway.get("failure") or "",
        "submit_time": _unix(task, task.created_mono),
        "start_time": _unix(task, task.run_start if started else None),
        "finish_time": _unix(task, task.run_end if status in TERMINAL else None),
        "progress": progress,
    }
    if status == "SUCCEEDED":
        wrapper["result_url"] = runway["output"][0]
    wrapper["data"] = runway
    return {"code": "success", "message": "", "data": wrapper}


def task_details(
    state: EmulatorState, task: Task, output_urls: Callable[[Task], list[str]]
) -> dict[str, Any]:
    """The body of ``GET /runwayml/v1/tasks/{id}`` in the configured shape."""
    runway = state.task_json(task, output_urls)
    shape = state.config.cometapi_task_shape
    if shape == "alternate":
        shape = "wrapped" if task.details_served % 2 == 0 else "bare"
    task.details_served += 1
    if shape == "wrapped":
        return _wrapped(task, runway, state.clock())
    return {**runway, "status": BARE_STATUS.get(runway["status"], runway["status"])}
