"""Waiting for a task to finish, with the DELETE policy of DESIGN.md.

* Poll no faster than the policy's interval, with jitter; log each status change once.
* Separate budgets for queued time (PENDING, THROTTLED) and running time.
* Tolerate a few 404s in a row (a task just created may not be readable yet) and a few
  consecutive transient poll errors.
* On a confirmed user cancellation or a queue timeout: read the task again, and DELETE it only if
  it has not succeeded (deleting a SUCCEEDED task deletes its outputs).
* On a running timeout: never DELETE (cancelling a RUNNING task refunds nothing and can lose paid
  work); raise with the task id, so the output can be recovered later.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from prefect_runway.api.client import RunwayClient
from prefect_runway.api.errors import (
    RunwayConnectionError,
    RunwayError,
    RunwayServerError,
    TaskNotFound,
)
from prefect_runway.api.task import Task, TaskStatus

__all__ = [
    "MAX_POLL_INTERVAL",
    "QueueTimeout",
    "RunTimeout",
    "TaskVanished",
    "WaitCancelled",
    "WaitPolicy",
    "wait_for_task",
]

logger = logging.getLogger(__name__)


MAX_POLL_INTERVAL = 3600.0
"""The longest wait between polls: an hour (output links expire 24-48 h after success)."""


def _check_seconds(name: str, value: float | None, *, upper: float | None = None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number of seconds; got {value!r}")
    if not math.isfinite(value) or value <= 0 or (upper is not None and value > upper):
        bound = f" and at most {upper:g}" if upper is not None else " (None for no limit)"
        raise ValueError(f"{name} must be a finite number of seconds above 0{bound}; got {value!r}")


@dataclass(frozen=True)
class WaitPolicy:
    """How to wait for one task.

    Attributes:
        poll_interval: Seconds between polls, above 0 and at most an hour. Runway asks for 5 s
            or more; lower it only for the emulator.
        jitter: Each interval is stretched or shrunk by up to this fraction, at random.
        max_queue_seconds: Budget for PENDING and THROTTLED time, None for no limit.
        max_run_seconds: Budget for RUNNING time, None for no limit.
        not_found_tolerance: 404s in a row accepted before the task counts as vanished.
        poll_error_tolerance: Failed polls in a row (after the client's own retries) accepted.
    """

    poll_interval: float = 5.0
    jitter: float = 0.2
    max_queue_seconds: float | None = None
    max_run_seconds: float | None = None
    not_found_tolerance: int = 3
    poll_error_tolerance: int = 3

    def __post_init__(self) -> None:
        # A poll interval of 1e308 would pay for the task and then sleep for ever; NaN or 0
        # would poll without pause. Refused here, before anything is sent.
        _check_seconds("poll_interval", self.poll_interval, upper=MAX_POLL_INTERVAL)
        _check_seconds("max_queue_seconds", self.max_queue_seconds)
        _check_seconds("max_run_seconds", self.max_run_seconds)
        if not 0 <= self.jitter < 1:
            raise ValueError(f"jitter must be from 0 to below 1; got {self.jitter!r}")
        if self.not_found_tolerance < 0 or self.poll_error_tolerance < 0:
            raise ValueError("not_found_tolerance and poll_error_tolerance must be 0 or more")

    def next_delay(self) -> float:
        return self.poll_interval * (1 + self.jitter * (2 * random.random() - 1))


class WaitEnded(RunwayError):
    """Base of the ways a wait ends without a terminal task."""

    def __init__(self, message: str, *, task_id: str, last_status: str | None) -> None:
        self.task_id = task_id
        self.last_status = last_status
        super().__init__(message)


class QueueTimeout(WaitEnded):
    """The task stayed queued longer than allowed; it was cancelled (likely refunded)."""

    def __init__(self, *, task_id: str, seconds: float, deleted: bool) -> None:
        self.seconds = seconds
        self.deleted = deleted
        what = "cancelled it" if deleted else "it was already gone"
        super().__init__(
            f"Runway task {task_id} was still queued after {seconds:.0f} s; {what} "
            "(queued tasks are usually refunded)",
            task_id=task_id,
            last_status="THROTTLED",
        )


class RunTimeout(WaitEnded):
    """The task ran longer than allowed. It was NOT cancelled: recover its output later."""

    def __init__(self, *, task_id: str, seconds: float, last_status: str) -> None:
        self.seconds = seconds
        super().__init__(
            f"Runway task {task_id} was still {last_status} after {seconds:.0f} s of running. "
            "It was not cancelled (a running task is not refunded, and its output may still "
            f"arrive): recover it later by its id {task_id}",
            task_id=task_id,
            last_status=last_status,
        )


class TaskVanished(WaitEnded):
    """The task answered 404 repeatedly: deleted, cancelled elsewhere, or never readable."""

    def __init__(self, *, task_id: str, last_status: str | None, not_found: int) -> None:
        super().__init__(
            f"Runway task {task_id} answered 404 {not_found} times in a row "
            f"(last seen {last_status or 'never'})",
            task_id=task_id,
            last_status=last_status,
        )


class WaitCancelled(WaitEnded):
    """The user cancelled the run; the task was cancelled unless it had already finished."""

    def __init__(self, *, task_id: str, last_status: str | None, deleted: bool) -> None:
        self.deleted = deleted
        if deleted:
            what = "cancelled the Runway task"
        elif last_status == "SUCCEEDED":
            what = "the task had already SUCCEEDED and was kept: recover its output by its id"
        else:
            what = f"the task was already {last_status or 'gone'}"
        super().__init__(
            f"run cancelled while waiting for {task_id}: {what}",
            task_id=task_id,
            last_status=last_status,
        )


async def wait_for_task(
    client: RunwayClient,
    task_id: str,
    policy: WaitPolicy | None = None,
    *,
    on_update: Callable[[Task], Awaitable[None]] | None = None,
    should_cancel: Callable[[], Awaitable[bool]] | None = None,
) -> Task:
    """Poll ``task_id`` until it is SUCCEEDED, FAILED or CANCELLED.

    Args:
        client: The Runway client.
        task_id: The task to wait for.
        policy: Intervals and budgets.
        on_update: Awaited when the status or the progress changes.
        should_cancel: Awaited before each poll; True means the user cancelled the run, and
            the task is cancelled as the DELETE policy says.

    Returns:
        The terminal task (FAILED and CANCELLED are returned, not raised).

    Raises:
        QueueTimeout, RunTimeout, TaskVanished, WaitCancelled: see each.
    """
    policy = policy or WaitPolicy()
    clock = time.monotonic
    queued_since = clock()
    running_since: float | None = None
    last: Task | None = None
    not_found = poll_errors = 0
    first = True
    while True:
        if not first:
            await asyncio.sleep(policy.next_delay())
        first = False
        if should_cancel is not None and await should_cancel():
            raise await _cancel(client, task_id, last)
        try:
            task = await client.get_task(task_id)
        except TaskNotFound:
            not_found += 1
            if not_found > policy.not_found_tolerance:
                raise TaskVanished(
                    task_id=task_id,
                    last_status=last.status.value if last else None,
                    not_found=not_found,
                ) from None
            continue
        except (RunwayConnectionError, RunwayServerError) as error:
            poll_errors += 1
            if poll_errors > policy.poll_error_tolerance:
                raise
            logger.warning("task %s: poll failed (%s); still waiting", task_id, error)
            continue
        not_found = poll_errors = 0
        if last is None or task.status is not last.status:
            logger.info("task %s: %s", task_id, task.status.value)
            if task.status is TaskStatus.RUNNING and running_since is None:
                running_since = clock()
        if on_update is not None and (
            last is None or task.status is not last.status or task.progress != last.progress
        ):
            await on_update(task)
        last = task
        if task.is_terminal:
            return task
        now = clock()
        if task.status.is_queued and policy.max_queue_seconds is not None:
            if now - queued_since > policy.max_queue_seconds:
                fresh = await _fresh_status(client, task_id)
                if fresh is None or fresh.status.is_queued:
                    deleted = await client.delete_task(task_id) if fresh is not None else False
                    raise QueueTimeout(task_id=task_id, seconds=now - queued_since, deleted=deleted)
                # It started since the last poll: the next poll sees it and starts the run clock.
        if running_since is not None and policy.max_run_seconds is not None:
            if now - running_since > policy.max_run_seconds:
                raise RunTimeout(
                    task_id=task_id, seconds=now - running_since, last_status=task.status.value
                )


async def _fresh_status(client: RunwayClient, task_id: str) -> Task | None:
    try:
        return await client.get_task(task_id)
    except TaskNotFound:
        return None


async def _cancel(client: RunwayClient, task_id: str, last: Task | None) -> WaitCancelled:
    task = await _fresh_status(client, task_id)
    if task is None or task.is_terminal:
        status = task.status.value if task else (last.status.value if last else None)
        logger.info("task %s: run cancelled; task is %s, not deleted", task_id, status)
        return WaitCancelled(task_id=task_id, last_status=status, deleted=False)
    deleted = await client.delete_task(task_id)
    logger.info("task %s: run cancelled; deleted the %s task", task_id, task.status.value)
    return WaitCancelled(task_id=task_id, last_status=task.status.value, deleted=deleted)
