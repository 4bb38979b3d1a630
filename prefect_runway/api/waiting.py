"""Waiting for a task to finish, with the DELETE policy of DESIGN.md.

* Poll no faster than the policy's interval, with jitter; log each status change once (the
  SUCCEEDED one only if the caller does not report the success itself: ``log_succeeded``).
* Separate budgets for queued time (PENDING, THROTTLED) and running time.
* A task we created answering 404 (CometAPI: ``task_not_exist``) is "not visible yet" for a
  *time* window after its create (``not_found_window``, at least 120 s), measured from the
  create time the caller recorded, whatever the poll interval; past it, a few 404s in a row
  mean it vanished (deleted or cancelled by someone): ``TaskVanished``, and the caller pays
  for nothing new on its own.
* Tolerate a few consecutive transient poll errors.
* On a confirmed user cancellation or a queue timeout: read the task again, and DELETE it only if
  it has not succeeded (deleting a SUCCEEDED task deletes its outputs).
* The queue budget counts only the time a task waits for someone else: while it is queued
  behind our own tasks (an ``OwnQueue`` is set, as a batch that submits ahead sets it, and
  ``concurrency`` of our tasks of its model run, or were created before it and are
  unfinished), its queue clock stands still. Runway queues tasks beyond the tier's concurrency
  (THROTTLED) in about the order they were submitted, so those tasks wait for ours.
* On a running timeout: never DELETE (cancelling a RUNNING task refunds nothing and can lose paid
  work); raise with the task id, so the output can be recovered later.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
import random
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

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
    "NOT_FOUND_WINDOW_SECONDS",
    "OwnQueue",
    "QueueTimeout",
    "RunTimeout",
    "TaskVanished",
    "WaitCancelled",
    "WaitPolicy",
    "own_queue",
    "wait_for_task",
]

logger = logging.getLogger(__name__)

#: How long after its create a task answering 404 still counts as "not visible yet". Runway
#: documents no bound on how soon a created task can be read; a proxy (CometAPI) was seen
#: answering ``task_not_exist`` for 20 s. Counting polls instead made the window depend on the
#: poll interval (issue 16, item 3): 3 polls at 1 s paid a second attempt for a live task.
NOT_FOUND_WINDOW_SECONDS = 120.0


def _utcnow() -> datetime:
    return datetime.now(UTC)


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
        not_found_window: Seconds after the task's create during which a 404 means "not
            visible yet" (``NOT_FOUND_WINDOW_SECONDS``, 120). Keep it at least that: past it,
            a 404 stops the generation.
        not_found_tolerance: 404s in a row, past the window, before the task counts as
            vanished (a single 404 of a task seen before may be a blip).
        poll_error_tolerance: Failed polls in a row (after the client's own retries) accepted.
    """

    poll_interval: float = 5.0
    jitter: float = 0.2
    max_queue_seconds: float | None = None
    max_run_seconds: float | None = None
    not_found_window: float = NOT_FOUND_WINDOW_SECONDS
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


@dataclass
class OwnQueue:
    """Our own unfinished tasks of one model: when each was created, which ones run.

    A batch that submits ahead keeps more tasks submitted than Runway runs at once; the ones
    beyond the tier's concurrency wait THROTTLED behind ours. The queue budget
    (``WaitPolicy.max_queue_seconds``) is for waiting on Runway, not on ourselves: a queued task
    counts as *behind our own* while ``concurrency`` or more of our other tasks are RUNNING
    (every slot is ours), or ``concurrency`` or more of ours created before it are unfinished
    (Runway starts queued tasks in about the order they were submitted). Its queue clock
    stands still meanwhile. The waits register themselves (``wait_for_task`` reads
    ``own_queue``); one object per model and flow run.

    Attributes:
        concurrency: How many of our tasks of the model Runway runs at once (the batch's
            ``concurrency_per_model``).

    Example:
        ```python
        with own_queue(OwnQueue(concurrency=4)):
            task = await wait_for_task(client, task_id, policy)
        ```
    """

    concurrency: int
    _created: dict[str, float] = field(default_factory=dict, repr=False)
    _running: set[str] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be 1 or more; got {self.concurrency!r}")

    def joined(self, task_id: str, created: float) -> None:
        """``task_id``, created at ``created`` (a timestamp), is submitted and unfinished."""
        self._created.setdefault(task_id, created)

    def seen(self, task_id: str, status: TaskStatus) -> None:
        """A poll read ``status`` for ``task_id``."""
        if status is TaskStatus.RUNNING:
            self._running.add(task_id)
        else:
            self._running.discard(task_id)

    def left(self, task_id: str) -> None:
        """``task_id`` is no longer ours to wait for (finished, deleted, or given up)."""
        self._created.pop(task_id, None)
        self._running.discard(task_id)

    def behind_own(self, task_id: str) -> bool:
        """Whether ``task_id`` waits for our own tasks (see the class)."""
        if len(self._running - {task_id}) >= self.concurrency:
            return True
        mine = self._created.get(task_id)
        if mine is None:
            return False
        earlier = sum(1 for other, at in self._created.items() if other != task_id and at <= mine)
        return earlier >= self.concurrency

    def __len__(self) -> int:
        return len(self._created)


_OWN_QUEUE: contextvars.ContextVar[OwnQueue | None] = contextvars.ContextVar(
    "prefect_runway_own_queue", default=None
)


@contextmanager
def own_queue(queue: OwnQueue | None) -> Iterator[OwnQueue | None]:
    """Let the waits started inside (in this task and the ones it starts) use ``queue``.

    A context variable, not a parameter: the wait runs inside a Prefect task whose inputs
    are recorded, and this is bookkeeping of the flow run, not an input.
    """
    token = _OWN_QUEUE.set(queue)
    try:
        yield queue
    finally:
        _OWN_QUEUE.reset(token)


class WaitEnded(RunwayError):
    """Base of the ways a wait ends without a terminal task."""

    def __init__(self, message: str, *, task_id: str, last_status: str | None) -> None:
        self.task_id = task_id
        self.last_status = last_status
        super().__init__(message)


class QueueTimeout(WaitEnded):
    """The task stayed queued longer than allowed; it was cancelled (likely refunded)."""

    def __init__(
        self,
        *,
        task_id: str,
        seconds: float,
        deleted: bool,
        detached: bool = False,
        left_queue: bool = False,
    ) -> None:
        self.seconds = seconds
        self.deleted = deleted
        self.detached = detached
        self.left_queue = left_queue
        if deleted:
            what = "cancelled it (queued tasks are usually refunded, not guaranteed)"
        elif detached:
            what = "another run waits on it, so it was left queued for that run (detached)"
        elif left_queue:
            # Not deleted, and not known gone: it may run on, paid, and its output is nobody's
            # unless the caller waits for it again.
            what = (
                "it left the queue (or answered 404) while its DELETE was decided, so it was "
                "not deleted: it may run on, paid; wait for it again or recover its output by "
                "its id"
            )
        else:
            what = "it was already gone"
        super().__init__(
            f"Runway task {task_id} was still queued after {seconds:.0f} s; {what}",
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
    """The task answered 404 past the window after its create: deleted or cancelled elsewhere.

    Nothing new was paid for it: a new attempt needs the user's say (``allow_resubmit``).
    """

    def __init__(
        self, *, task_id: str, last_status: str | None, not_found: int, since_create: float
    ) -> None:
        self.not_found = not_found
        self.since_create = since_create
        super().__init__(
            f"Runway task {task_id} answered 404 {since_create:.0f} s after its create "
            f"({not_found} times in a row past the window; last seen "
            f"{last_status or 'never'}): it was deleted or cancelled elsewhere. No new attempt "
            "was paid for; run again with allow_resubmit to pay for one",
            task_id=task_id,
            last_status=last_status,
        )


class WaitCancelled(WaitEnded):
    """The user cancelled the run; the task was cancelled unless it had already finished."""

    def __init__(
        self, *, task_id: str, last_status: str | None, deleted: bool, detached: bool = False
    ) -> None:
        self.deleted = deleted
        self.detached = detached
        if deleted:
            what = "cancelled the Runway task"
        elif detached:
            what = "another run still waits on the task, so it was left running (detached)"
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
    may_delete: Callable[[], Awaitable[bool]] | None = None,
    on_poll: Callable[[], Awaitable[None]] | None = None,
    created_at: datetime | None = None,
    log_succeeded: bool = True,
    kept: Callable[[], Awaitable[None]] | None = None,
    now: Callable[[], datetime] = _utcnow,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Task:
    """Poll ``task_id`` until it is SUCCEEDED, FAILED or CANCELLED.

    Args:
        client: The Runway client.
        task_id: The task to wait for.
        policy: Intervals and budgets.
        on_update: Awaited when the status or the progress changes.
        should_cancel: Awaited before each poll; True means the user cancelled the run, and
            the task is cancelled as the DELETE policy says.
        may_delete: Awaited before a cancellation's DELETE: False leaves the task running
            (another run waits on it).
        on_poll: Awaited before each poll (to renew an attachment).
        kept: Awaited when a queue timeout's DELETE that ``may_delete`` allowed is not sent,
            the task having left the queue meanwhile: the wait then goes on (it is paid and
            will end). Without it, such a wait ends with ``QueueTimeout`` (not deleted,
            ``left_queue``: the task may run on, paid, for the caller to wait for again).
        created_at: When the task was created (the ledger's record): the 404 window counts
            from it, and the first poll comes one interval after it. None: the 404 window
            counts from the start of this wait, and the first poll is at once.
        log_succeeded: Log the SUCCEEDED status line. False when the caller reports the
            success itself (``generate``'s "stored" line names the task and where its output
            went; a line costs the flow process about 0.7 ms of CPU, issue 20). Every other
            status change is logged either way.
        now: The wall clock (tests pass a fake one).
        sleep: How to wait between polls (tests pass a fake one).

    Returns:
        The terminal task (FAILED and CANCELLED are returned, not raised).

    Raises:
        QueueTimeout, RunTimeout, TaskVanished, WaitCancelled: see each.

    Example:
        ```python
        created = await client.create(request)
        task = await wait_for_task(client, created.id, WaitPolicy(poll_interval=5))
        ```
    """
    policy = policy or WaitPolicy()
    queue = _OWN_QUEUE.get()
    if queue is not None:
        queue.joined(task_id, (created_at or now()).timestamp())
    try:
        return await _poll_until_terminal(
            client, task_id, policy, queue, on_update=on_update, should_cancel=should_cancel,
            may_delete=may_delete, on_poll=on_poll, created_at=created_at,
            log_succeeded=log_succeeded, kept=kept, now=now, sleep=sleep,
        )  # fmt: skip
    finally:
        if queue is not None:
            queue.left(task_id)


async def _poll_until_terminal(
    client: RunwayClient,
    task_id: str,
    policy: WaitPolicy,
    queue: OwnQueue | None,
    *,
    on_update: Callable[[Task], Awaitable[None]] | None,
    should_cancel: Callable[[], Awaitable[bool]] | None,
    may_delete: Callable[[], Awaitable[bool]] | None,
    on_poll: Callable[[], Awaitable[None]] | None,
    created_at: datetime | None,
    log_succeeded: bool,
    kept: Callable[[], Awaitable[None]] | None,
    now: Callable[[], datetime],
    sleep: Callable[[float], Awaitable[None]],
) -> Task:
    def clock() -> float:
        return now().timestamp()

    # Queued time counted against the budget: only while the task is not behind our own.
    queued_seconds = 0.0
    queue_mark = clock()
    behind = queue is not None and queue.behind_own(task_id)
    running_since: float | None = None
    created = created_at or now()
    last: Task | None = None
    not_found = poll_errors = 0
    # A task created less than an interval ago has not finished: the first poll comes one
    # interval after its create, not at once (a GET and a status line fewer per generation,
    # issue 20). A task created longer ago (a reattach) is polled at once; a create time
    # ahead of this clock (another machine's) waits one interval at most.
    delay = 0.0
    if created_at is not None:
        interval = policy.next_delay()
        delay = min(interval, max(0.0, interval - (now() - created_at).total_seconds()))
    while True:
        if delay > 0:
            await sleep(delay)
        delay = policy.next_delay()
        if should_cancel is not None and await should_cancel():
            raise await _cancel(client, task_id, last, may_delete)
        if on_poll is not None:
            await on_poll()
        try:
            task = await client.get_task(task_id)
        except TaskNotFound:
            since_create = (now() - created).total_seconds()
            if since_create < policy.not_found_window:
                # Not visible yet, or a blip: a time window, whatever the poll interval.
                not_found = 0
                logger.info("task %s: not visible yet (404 %.0f s after its create); waiting",
                            task_id, since_create)  # fmt: skip
                continue
            not_found += 1
            if not_found >= policy.not_found_tolerance:
                raise TaskVanished(
                    task_id=task_id,
                    last_status=last.status.value if last else None,
                    not_found=not_found,
                    since_create=since_create,
                ) from None
            continue
        except (RunwayConnectionError, RunwayServerError) as error:
            poll_errors += 1
            if poll_errors > policy.poll_error_tolerance:
                raise
            logger.warning("task %s: poll failed (%s); still waiting", task_id, error)
            continue
        not_found = poll_errors = 0
        if queue is not None:
            queue.seen(task_id, task.status)
        if last is None or task.status is not last.status:
            if log_succeeded or task.status is not TaskStatus.SUCCEEDED:
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
        elapsed = clock()
        # The interval since the last poll counts as queued time unless the task was behind
        # our own tasks at its start (a slot of ours freeing since then starts the clock).
        if not behind:
            queued_seconds += elapsed - queue_mark
        queue_mark = elapsed
        behind = queue is not None and queue.behind_own(task_id)
        if task.status.is_queued and policy.max_queue_seconds is not None:
            if queued_seconds > policy.max_queue_seconds:
                fresh = await _fresh_status(client, task_id)
                if fresh is not None and fresh.status.is_queued:
                    seconds = queued_seconds
                    if may_delete is not None:
                        if not await may_delete():
                            raise QueueTimeout(
                                task_id=task_id, seconds=seconds, deleted=False, detached=True
                            )
                        fresh = await _fresh_status(client, task_id)  # right before the DELETE
                        if fresh is None or not fresh.status.is_queued:
                            if kept is None:
                                raise QueueTimeout(
                                    task_id=task_id, seconds=seconds, deleted=False,
                                    left_queue=True,
                                )  # fmt: skip
                            # It started during the decision, or answered 404 (not known gone):
                            # not deleted, and not abandoned either (paid, its output would
                            # reach nobody): waited for, the next readings decide.
                            await kept()
                            continue
                    deleted = await client.delete_task(task_id)
                    raise QueueTimeout(task_id=task_id, seconds=seconds, deleted=deleted)
                # It started since the last poll (the next poll sees it and starts the run
                # clock), or answered 404, which leaves it queued and paid if it is there: the
                # polls' 404 window tells a blip from a task gone.
        if running_since is not None and policy.max_run_seconds is not None:
            if elapsed - running_since > policy.max_run_seconds:
                raise RunTimeout(
                    task_id=task_id, seconds=elapsed - running_since, last_status=task.status.value
                )


async def _fresh_status(client: RunwayClient, task_id: str) -> Task | None:
    try:
        return await client.get_task(task_id)
    except TaskNotFound:
        return None


async def _cancel(
    client: RunwayClient,
    task_id: str,
    last: Task | None,
    may_delete: Callable[[], Awaitable[bool]] | None = None,
) -> WaitCancelled:
    task = await _fresh_status(client, task_id)
    if task is None or task.is_terminal:
        status = task.status.value if task else (last.status.value if last else None)
        logger.info("task %s: run cancelled; task is %s, not deleted", task_id, status)
        return WaitCancelled(task_id=task_id, last_status=status, deleted=False)
    if may_delete is not None:
        if not await may_delete():
            logger.info("task %s: run cancelled; another run waits on the task: detached, not "
                        "deleted", task_id)  # fmt: skip
            return WaitCancelled(
                task_id=task_id, last_status=task.status.value, deleted=False, detached=True
            )
        # The decision took a few round trips: read the task again right before the DELETE, so
        # one that finished meanwhile is kept (a DELETE would destroy its paid output).
        task = await _fresh_status(client, task_id)
        if task is None or task.is_terminal:
            status = task.status.value if task else None
            logger.info("task %s: run cancelled; task is now %s, not deleted", task_id, status)
            return WaitCancelled(task_id=task_id, last_status=status, deleted=False)
    deleted = await client.delete_task(task_id)
    logger.info("task %s: run cancelled; deleted the %s task", task_id, task.status.value)
    return WaitCancelled(task_id=task_id, last_status=task.status.value, deleted=deleted)
