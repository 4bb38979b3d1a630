"""Waiting for a Runway task inside a flow run, cancelling it only on a real user cancellation.

The DELETE policy (DESIGN.md) needs to know *why* a wait ends early. Prefect tells it this way
(pinned by tests/prefect_behaviour/test_cancellation_visibility.py):

* A user cancellation of a run started by ``serve`` or a worker sets the run CANCELLING; the
  runner then sends SIGTERM and the flow's code is interrupted (``CancelledError``). Read in the
  interruption handler, the run's own state is CANCELLING.
* A plain SIGTERM (a worker shut down, a pod evicted) interrupts the same way, but the run's
  state still reads RUNNING. A crash gives no handler at all.
* A flow called in-process is never interrupted; it sees CANCELLING only by reading its state.

So the wait reads the flow run's state on each poll (shared by every wait of the run, at most
every couple of seconds) and again when interrupted, and DELETEs the Runway task only when the
state is CANCELLING, and only if the task has not SUCCEEDED (a DELETE would destroy the output).

A run waits on many tasks at once (a batch), but the runner's SIGTERM reaches only one of its
waits (Prefect raises ``TerminationSignal`` in whichever is running, and the event loop may stop
before any other wait runs again). So once the runner has stopped the process, the flows'
``on_cancellation`` hook (``tasks/cancellation.py``, run by the runner itself) finds the tasks
the run still waited on in the ledger (every wait holds a lease there) and cancels them. The
interrupted wait still cancels its own task at once when it can.

``generate``'s waits share one Prefect task run per flow run (``SharedWaits``, issue 20: a task
run costs the server about 70 ms of CPU): ``runway-wait (first <task id>)``, started by the
first wait and ended by the last one in flight (one per set of ``prefect.tags`` the callers
run under: the task run carries them). Each wait stays its own coroutine with its own
outcome and DELETE decision, and runs in its caller's context (inside the shared task run); a
SIGTERM raised in any of them, or in the shared task run, stops every wait (each decides about
its own task) before it reaches their callers. Waiting for those decisions is bounded as every
clean-up here is (``tasks/_uninterrupted.py``): once whoever waits is cancelled again, they get
``CLEAN_UP_GRACE_SECONDS`` more, then are cancelled (a WARNING). The public
``wait_for_generation`` task keeps one task run per call, named ``wait-<Runway task id>``, which
the hook also reads (``runway_tasks_waited_on``).

Cancellation deletes only what nobody else waits on (DESIGN.md, issue 16 item 2). Each run that
waits on an attempt's task is *attached* to it in the ledger: a lease renewed while it polls,
which lapses if the run stops. A cancelled run detaches; it DELETEs only when no other live run
is attached (a lease not expired, held by a run the Prefect API does not show as finished),
and the same conditional write that says so marks the entry ``cancelling``, so a run attaching
at that moment either lands first (the canceller then only detaches) or sees the cancellation.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

import anyio
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterId,
    TaskRunFilter,
    TaskRunFilterName,
    TaskRunFilterState,
    TaskRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.sorting import TaskRunSort
from prefect.exceptions import ObjectNotFound, TerminationSignal
from prefect.settings import PREFECT_API_KEY, PREFECT_API_URL

from prefect_runway.api import (
    NOT_FOUND_WINDOW_SECONDS,
    QueueTimeout,
    RunwayAPIError,
    RunwayClient,
    Task,
    TaskNotFound,
    WaitCancelled,
    WaitPolicy,
    wait_for_task,
)
from prefect_runway.tasks._crash import crash_point
from prefect_runway.tasks._uninterrupted import uninterrupted
from prefect_runway.tasks.ledger import DEFAULT_LEASE_SECONDS, SubmissionLedger
from prefect_runway.tasks.shared_runs import SharedCalls, SharedTaskRun, hold_calls

__all__ = [
    "Attachment",
    "FlowRunCancellation",
    "SharedWaits",
    "WaitRecord",
    "cancel_unless_finished",
    "prefect_run_alive",
    "runway_tasks_waited_on",
    "runway_waits",
    "wait_for_generation",
    "wait_in_shared_run",
    "wait_with_cancellation",
]

#: A wait's task run is named ``wait-<task id> (attempt <key> in <ledger folder>)``: the name
#: tells the ``on_cancellation`` hook, from the Prefect API alone, which ledger entry to ask.
#: (Not tags: every tag of a task run costs a concurrency-slot round trip to the API.)
_WAIT_NAME = re.compile(r"^wait-(?P<task>\S+)(?: \(attempt (?P<key>\S+) in (?P<folder>.+)\))?$")
_GONE_STATES = (
    StateType.COMPLETED,
    StateType.FAILED,
    StateType.CANCELLED,
    StateType.CRASHED,
    StateType.CANCELLING,
)

logger = logging.getLogger(__name__)


class Cancellation(Protocol):
    """Whether the run was cancelled by a user (``FlowRunCancellation`` reads Prefect's API)."""

    async def is_cancelling(self, *, fresh: bool = False) -> bool: ...


class FlowRunCancellation:
    """Whether the current flow run was cancelled by a user (its state is CANCELLING).

    One instance per flow run, shared by all its waits, so a thousand concurrent generations
    cost one state read per ``min_interval``, not a thousand. Held only while a wait holds it:
    a process running many flow runs keeps none of those that ended.
    """

    _by_run: weakref.WeakValueDictionary[UUID, FlowRunCancellation] = weakref.WeakValueDictionary()

    def __init__(self, flow_run_id: UUID | None, min_interval: float = 2.0) -> None:
        self.flow_run_id = flow_run_id
        self.min_interval = min_interval
        self._checked_at = float("-inf")
        self._cancelling = False
        self._lock = asyncio.Lock()

    @classmethod
    def current(cls) -> FlowRunCancellation:
        from prefect.runtime import flow_run

        run_id = flow_run.get_id()
        if not run_id:
            return cls(None)
        key = UUID(str(run_id))
        found = cls._by_run.get(key)
        if found is None:
            found = cls._by_run[key] = cls(key)
        return found

    async def is_cancelling(self, *, fresh: bool = False) -> bool:
        """True once the run's state is CANCELLING (or CANCELLED). Errors read as False."""
        if self.flow_run_id is None or self._cancelling:
            return self._cancelling
        # Every poll of every wait asks: answer a recent reading without taking the lock.
        if not fresh and time.monotonic() - self._checked_at < self.min_interval:
            return self._cancelling
        async with self._lock:
            if not fresh and time.monotonic() - self._checked_at < self.min_interval:
                return self._cancelling
            try:
                async with _own_client() if fresh else get_client() as prefect:
                    run = await prefect.read_flow_run(self.flow_run_id)
            except Exception as error:  # a transient API error must never cancel paid work
                logger.warning("could not read the flow run's state (%s); not cancelling", error)
                return False
            self._checked_at = time.monotonic()
            state = run.state.type if run.state else None
            self._cancelling = state in (StateType.CANCELLING, StateType.CANCELLED)
            return self._cancelling


async def prefect_run_alive(run: str) -> bool:
    """Whether a run attached to a task may still wait on it, as the Prefect API tells.

    A run that is not a flow run (a script's process) or that cannot be read now is taken as
    alive: its lease, which lapses unless renewed, decides. A finished, crashed or cancelling
    flow run waits on nothing.
    """
    try:
        run_id = UUID(run)
    except ValueError:
        return True
    try:
        async with _own_client() as prefect:
            flow_run = await prefect.read_flow_run(run_id)
    except ObjectNotFound:
        return False
    except Exception as error:  # unknown is not dead: the lease decides
        logger.info("could not read flow run %s (%s); its lease decides", run,
                    type(error).__name__)  # fmt: skip
        return True
    return not (flow_run.state and flow_run.state.type in _GONE_STATES)


@dataclass
class Attachment:
    """A run's attachment to an attempt's task in the ledger: renewed while it waits.

    Attributes:
        ledger: The ledger of the attempt.
        key: The attempt key.
        task_id: The Runway task.
        run: The attached run (a flow run id, or a process's name).
        lease_seconds: How long the lease holds without renewal.
        alive: Tells whether another attached run still lives (``prefect_run_alive``).
    """

    ledger: SubmissionLedger
    key: str
    task_id: str
    run: str
    lease_seconds: float = DEFAULT_LEASE_SECONDS
    alive: Callable[[str], Awaitable[bool]] | None = prefect_run_alive
    #: When Runway accepted the create (the ledger's record), if known: a 404 soon after it
    #: means "not visible yet", not "gone" (``cancel_unless_finished``).
    created_at: datetime | None = None
    decided_delete: bool = False
    # When the ledger will next rewrite our lease (half of it gone), by the ledger's clock.
    _renew_at: datetime | None = field(default=None, init=False, repr=False)

    def run_name(self) -> str:
        """The wait's task run name (``wait-<task id> (attempt <key> in <folder>)``)."""
        return f"{WAIT_RUN_PREFIX}{self.task_id} (attempt {self.key} in {self.ledger.folder})"

    async def renew(self) -> None:
        """Renew the lease (a write only once half of it is gone). Errors are logged only.

        Called before every poll. The ledger rewrites a lease only once half of it is gone and
        reads nothing until then (``SubmissionLedger.attach``'s ``renewal``), so until that
        moment the answer is known here: no ledger call, no entry parsed, per poll (BENCHMARKS.md
        7.3: 2,000 waits poll 400 times a second).
        """
        if self._renew_at is not None and self.ledger.clock() < self._renew_at:
            return
        self._renew_at = None
        try:
            entry = await self.ledger.attach(
                self.key,
                task_id=self.task_id,
                run=self.run,
                lease_seconds=self.lease_seconds,
                renewal=True,
            )
        except Exception as error:
            logger.warning("could not renew the attachment to Runway task %s (%s)",
                           self.task_id, type(error).__name__)  # fmt: skip
            return
        held = entry.leases.get(self.run) if entry is not None else None
        # A ``cancelling`` entry is rewritten by the next renewal (revived once its canceller
        # is evidently gone), so it is asked again at every poll, as any other answer but a
        # lease of ours.
        if held is not None and entry is not None and entry.state != "cancelling":
            self._renew_at = held - timedelta(seconds=self.lease_seconds / 2)

    async def detach(self) -> None:
        try:
            await self.ledger.detach(self.key, run=self.run)
        except Exception as error:  # the lease lapses on its own
            logger.warning("could not detach from Runway task %s (%s)", self.task_id,
                           type(error).__name__)  # fmt: skip

    async def may_delete(self) -> bool:
        """Detach; True when nobody else waits on the task, which is then marked cancelling.

        An error reading or writing the ledger answers False: a task left running costs at
        most its own price, a DELETE under another run's wait makes that run pay again.
        """
        try:
            entry = await self.ledger.read(self.key)
            dead: set[str] = set()
            if entry is not None and self.alive is not None:
                others = entry.live_leases(self.ledger.clock()).keys() - {self.run}
                for other in sorted(others):
                    if not await self.alive(other):
                        dead.add(other)
            decision = await self.ledger.decide_cancel(
                self.key, task_id=self.task_id, run=self.run, dead=frozenset(dead)
            )
        except Exception as error:
            logger.warning("run cancelled; could not read who else waits on Runway task %s "
                           "(%s): left running", self.task_id, type(error).__name__)  # fmt: skip
            return False
        if decision.others:
            logger.info(
                "run cancelled; detached from Runway task %s, left running: run(s) %s still "
                "wait on it", self.task_id, ", ".join(decision.others),
            )  # fmt: skip
        elif not decision.delete:
            state = decision.entry.state if decision.entry else "not in the ledger"
            logger.info("run cancelled; detached from Runway task %s (%s)", self.task_id, state)
        self.decided_delete = decision.delete
        return decision.delete

    async def kept(self) -> None:
        """The DELETE ``may_delete`` allowed was not sent (a queue timeout's task started
        meanwhile), and the wait goes on: the entry back to ``submitted``, this run attached
        again, as before the decision."""
        self.decided_delete = False
        await self.deleted(False)
        self._renew_at = None
        await self.renew()

    async def deleted(self, deleted: bool) -> None:
        try:
            await self.ledger.record_cancelled(self.key, task_id=self.task_id, deleted=deleted)
        except Exception as error:  # a re-run finds the task gone and the entry cancelling
            logger.warning("could not record the cancellation of Runway task %s (%s)",
                           self.task_id, type(error).__name__)  # fmt: skip


def _own_client() -> PrefectClient:
    """A Prefect client of our own, for reads while the run is being torn down.

    ``get_client()`` inside a run hands out the engine's client, which the teardown after a
    SIGTERM may already have closed ("cannot be started again after closing").
    """
    url = PREFECT_API_URL.value()
    if not url:
        return get_client()
    return PrefectClient(url, api_key=PREFECT_API_KEY.value())


async def wait_with_cancellation(
    client: RunwayClient,
    task_id: str,
    policy: WaitPolicy,
    *,
    cancellation: Cancellation,
    on_update: Callable[[Task], Awaitable[None]] | None = None,
    attachment: Attachment | None = None,
    created_at: datetime | None = None,
    log_succeeded: bool = True,
    now: Callable[[], datetime] | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> Task:
    """``wait_for_task`` plus the cancellation handling described in the module docstring.

    ``log_succeeded`` as ``wait_for_task``'s; ``now`` and ``sleep`` replace the wall clock and
    the pause between polls (tests).
    """
    clock: dict[str, Any] = {}
    if now is not None:
        clock["now"] = now
    if sleep is not None:
        clock["sleep"] = sleep

    async def polled_update(task: Task) -> None:
        crash_point("mid_poll")
        if on_update is not None:
            await on_update(task)

    try:
        return await wait_for_task(
            client,
            task_id,
            policy,
            on_update=polled_update,
            should_cancel=cancellation.is_cancelling,
            may_delete=attachment.may_delete if attachment else None,
            on_poll=attachment.renew if attachment else None,
            created_at=created_at,
            log_succeeded=log_succeeded,
            kept=attachment.kept if attachment else None,
            **clock,
        )
    except (WaitCancelled, QueueTimeout) as ended:
        if attachment is not None and attachment.decided_delete:
            await attachment.deleted(ended.deleted)
        raise
    except (asyncio.CancelledError, KeyboardInterrupt, TerminationSignal):
        # Interrupted: by the runner after a user's cancellation, or by a plain SIGTERM (which
        # Prefect raises as TerminationSignal in whichever wait happens to be running). Only
        # the run's state tells them apart; shield the check and the DELETE from the
        # cancellation that is tearing the run down, a second one included.
        async def decide() -> None:
            if await cancellation.is_cancelling(fresh=True):
                await cancel_unless_finished(client, task_id, attachment)
            else:
                logger.warning(
                    "interrupted while waiting for Runway task %s without a cancellation; "
                    "the task was left running: recover it by its id",
                    task_id,
                )

        with anyio.CancelScope(shield=True):
            await uninterrupted(decide())
        raise


async def cancel_unless_finished(
    client: RunwayClient, task_id: str, attachment: Attachment | None = None
) -> bool:
    """DELETE a Runway task that is still PENDING, THROTTLED or RUNNING; leave a finished one.

    A DELETE of a SUCCEEDED task would destroy its output, so the status is read first. With
    an ``attachment``, the ledger decides first: another live run waiting on the task leaves it
    running (this run only detaches). Errors are logged, never raised: a cancellation goes on
    with the other tasks.

    A task created moments ago may answer 404 before it is visible (a proxy's
    ``task_not_exist``; ``NOT_FOUND_WINDOW_SECONDS``): when the attachment knows the create
    time and the 404 comes within that window, the status is read again a few times
    (``_VISIBLE_RETRY_DELAYS``, 15 s in all) before the task counts as gone, or a user's
    cancel right after a create would leave it running, paid.

    Returns:
        Whether this call cancelled the task.
    """
    try:
        task = await _read_once_visible(client, task_id, attachment)
    except TaskNotFound:
        # Gone. An entry already ``cancelling`` is this cancellation's own DELETE, sent by a
        # wait whose process stopped before it could record it: record it now, so a re-run
        # pays for the cancelled attempt instead of waiting out the vanish window (DESIGN.md).
        # Any other entry is left as it is: a task deleted elsewhere is not ours to explain.
        logger.info("run cancelled; Runway task %s is gone already", task_id)
        if attachment is not None:
            await attachment.deleted(True)
        return False
    except Exception as error:
        logger.warning("run cancelled; could not read Runway task %s (%s)", task_id, error)
        return False
    if task.is_terminal:
        logger.info("run cancelled; Runway task %s is %s, left as is", task_id, task.status.value)
        if attachment is not None:
            await attachment.detach()
        return False
    if attachment is not None:
        if not await attachment.may_delete():
            return False
        try:  # read again right before the DELETE: the decision took a few round trips
            task = await client.get_task(task_id)
        except Exception as error:
            # The entry stays ``cancelling`` (below): back to ``submitted`` it would hold no
            # lease of this run, and the next cancellation would not find the task.
            logger.warning("run cancelled; could not read Runway task %s (%s)", task_id, error)
            return False
        if task.is_terminal:
            logger.info("run cancelled; Runway task %s is now %s, left as is", task_id,
                        task.status.value)  # fmt: skip
            await attachment.deleted(False)
            return False
    try:
        deleted = await client.delete_task(task_id)
    except Exception as error:
        logger.warning("run cancelled; could not cancel Runway task %s (%s)", task_id, error)
        # Only a refusal (4xx) proves the DELETE did nothing. A lost answer, a 5xx or a client
        # closed under it may have cancelled the task: the entry stays ``cancelling``, so the
        # next cancellation (the hook, or a second cancel) finishes the DELETE or records the
        # task gone as ours, and a re-run takes the entry back only after ``revive_after``
        # (then finds the task alive or gone).
        if attachment is not None and _refused(error):
            await attachment.deleted(False)
        return False
    if attachment is not None:
        await attachment.deleted(True)
    if deleted:
        logger.info("run cancelled; cancelled the %s Runway task %s", task.status.value, task_id)
    return deleted


#: Pauses between the reads of a task that answers 404 within its visibility window, when a
#: cancellation must know whether to DELETE it: "a few seconds" is what CometAPI documents for
#: a fresh task's ``task_not_exist``. Within the clean-up grace (60 s).
_VISIBLE_RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0)


async def _read_once_visible(
    client: RunwayClient, task_id: str, attachment: Attachment | None
) -> Task:
    """``client.get_task``, read again while a 404 may mean "not visible yet".

    Raises:
        TaskNotFound: It still answers 404, or answered it past its visibility window.
    """
    delays = iter(_VISIBLE_RETRY_DELAYS)
    while True:
        try:
            return await client.get_task(task_id)
        except TaskNotFound:
            if attachment is None or attachment.created_at is None:
                raise
            age = (attachment.ledger.clock() - attachment.created_at).total_seconds()
            delay = next(delays, None)
            if delay is None or age > NOT_FOUND_WINDOW_SECONDS:
                raise
            logger.info("run cancelled; Runway task %s is not visible yet (404 %.0f s after its "
                        "create); reading it again", task_id, age)  # fmt: skip
            await asyncio.sleep(delay)


def _refused(error: Exception) -> bool:
    """Whether Runway answered a request with a client error: it was not carried out."""
    return isinstance(error, RunwayAPIError) and 400 <= error.status_code < 500


WAIT_RUN_PREFIX = "wait-"
# A wait that COMPLETED saw its task finish; one that FAILED gave it up on purpose (a run
# timeout leaves the task running for `recover`, DESIGN.md). Any other state may be in flight.
_UNFINISHED_WAITS = [
    StateType.SCHEDULED,
    StateType.PENDING,
    StateType.RUNNING,
    StateType.PAUSED,
    StateType.CANCELLING,
    StateType.CANCELLED,
    StateType.CRASHED,
]


@dataclass(frozen=True)
class WaitRecord:
    """An unfinished wait of a flow run, as the Prefect API records it.

    Attributes:
        task_id: The Runway task it waited on.
        ledger_folder: Its ledger's folder (relative to the destination's bucket folder).
        attempt_key: The attempt's key in that ledger.
    """

    task_id: str
    ledger_folder: str | None = None
    attempt_key: str | None = None


async def runway_waits(
    prefect: PrefectClient, flow_run_id: UUID, *, page_size: int = 200
) -> list[WaitRecord]:
    """The unfinished waits of a flow run, with the ledger entry each one was attached to.

    Example:
        ```python
        async with get_client() as prefect:
            waits = await runway_waits(prefect, flow_run.id)
        ```
    """
    found: dict[str, WaitRecord] = {}
    offset = 0
    while True:
        runs = await prefect.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
            task_run_filter=TaskRunFilter(
                name=TaskRunFilterName(like_=WAIT_RUN_PREFIX),
                state=TaskRunFilterState(type=TaskRunFilterStateType(any_=_UNFINISHED_WAITS)),
            ),
            sort=TaskRunSort.ID_DESC,
            limit=page_size,
            offset=offset,
        )
        for run in runs:
            named = _WAIT_NAME.match(run.name)
            if named is None or run.flow_run_id != flow_run_id:
                continue
            task_id = named["task"]
            if task_id not in found or found[task_id].attempt_key is None:
                found[task_id] = WaitRecord(task_id, named["folder"], named["key"])
        if len(runs) < page_size:
            return [found[task_id] for task_id in sorted(found)]
        offset += page_size


async def runway_tasks_waited_on(
    prefect: PrefectClient, flow_run_id: UUID, *, page_size: int = 200
) -> list[str]:
    """The Runway task ids whose wait in a flow run never finished, read from the Prefect API.

    Works from any process (the runner's hook, a script), after the flow's own process is gone:
    each wait is a task run named ``wait-<task id>``.

    Args:
        prefect: A Prefect client.
        flow_run_id: The flow run whose waits to read.
        page_size: Task runs read per request.

    Example:
        ```python
        async with get_client() as prefect:
            task_ids = await runway_tasks_waited_on(prefect, flow_run.id)
        ```
    """
    return [wait.task_id for wait in await runway_waits(prefect, flow_run_id, page_size=page_size)]


def _wait_run_name() -> str:
    from prefect.runtime import task_run

    parameters = task_run.parameters
    attachment = parameters.get("attachment")
    if isinstance(attachment, Attachment):
        return attachment.run_name()
    return f"{WAIT_RUN_PREFIX}{parameters['task_id']}"


@task(
    name="runway-wait",
    task_run_name=_wait_run_name,
    cache_policy=NO_CACHE,
    retries=0,
)
async def wait_for_generation(
    client: RunwayClient,
    task_id: str,
    policy: WaitPolicy,
    on_update: Callable[[Task], Awaitable[None]] | None = None,
    attachment: Attachment | None = None,
    created_at: datetime | None = None,
) -> Task:
    """Wait for a Runway task to finish (a Prefect task, never cached).

    Its task run is named ``wait-<task id> (attempt <key> in <ledger folder>)``: the name lets
    the ``on_cancellation`` hook find the ledger entry once this process is gone.

    Args:
        client: The Runway client.
        task_id: The task.
        policy: Intervals, budgets and the 404 window.
        on_update: Awaited when the status or the progress changes.
        attachment: This run's attachment to the task in the ledger (renewed while waiting;
            decides whether a cancellation may DELETE).
        created_at: The task's create time from the ledger (the 404 window counts from it).

    Returns:
        The terminal task: SUCCEEDED, FAILED or CANCELLED.

    Raises:
        runway.QueueTimeout: still queued after ``policy.max_queue_seconds``; cancelled.
        runway.RunTimeout: still running after ``policy.max_run_seconds``; NOT cancelled.
        runway.TaskVanished: the task answers 404.
        runway.WaitCancelled: the user cancelled the run; the task was cancelled unless done.
    """
    return await _waiting(client, task_id, policy, on_update, attachment, created_at)()


def _waiting(
    client: RunwayClient,
    task_id: str,
    policy: WaitPolicy,
    on_update: Callable[[Task], Awaitable[None]] | None,
    attachment: Attachment | None,
    created_at: datetime | None,
    cancellation: Cancellation | None = None,
    log_succeeded: bool = True,
) -> Callable[[], Awaitable[Task]]:
    """The wait of ``wait_for_generation`` and ``wait_in_shared_run``, ready to start.

    ``cancellation`` defaults to the current flow run's, read now (in the caller's context).
    """
    watching = cancellation or FlowRunCancellation.current()
    return lambda: wait_with_cancellation(
        client,
        task_id,
        policy,
        cancellation=watching,
        on_update=on_update,
        attachment=attachment,
        created_at=created_at,
        log_succeeded=log_succeeded,
    )


# ---------------------------------------------------------------------------------------------
# One ``runway-wait`` task run per flow run (issue 20)

#: The shared task run's name: ``runway-wait (first <task id>)``. Not ``wait-...``: the
#: ``on_cancellation`` hook reads the waits of ``generate`` from the ledger, and only
#: ``wait_for_generation``'s runs by name (``runway_waits``).
SHARED_WAIT_RUN_NAME = "runway-wait (first {task_id})"
#: The asyncio task that calls the shared task run: ``<this> (first <task id>)`` (tests wait for
#: it to end).
SHARED_RUNNER_NAME = "runway-shared-wait"


def _shared_run_name() -> str:
    from prefect.runtime import task_run

    return SHARED_WAIT_RUN_NAME.format(task_id=task_run.parameters["first_task_id"])


@task(name="runway-wait", task_run_name=_shared_run_name, cache_policy=NO_CACHE, retries=0)
async def _watch_waits(watch: SharedCalls, first_task_id: str) -> int:
    """The shared task run: it lives while any of the flow run's waits is in flight.

    Returns:
        How many waits it held.
    """
    return await hold_calls(watch)


class SharedWaits(SharedTaskRun):
    """The waits of one flow run, watched by one ``runway-wait`` task run while any is in flight.

    Each Prefect task run costs the server about 70 ms of CPU (three state changes, BENCHMARKS.md
    7.2), so ``generate``'s waits share one (``tasks/shared_runs.py``): the first wait starts
    it, the last one in flight ends it (or the batch that holds it, ``shared_task_runs_held``),
    and a later wait starts a new one. Callers under other Prefect tags share another task run
    (it carries the tags of the caller that starts it). Each wait stays its own coroutine with
    all it does alone (``wait_with_cancellation``): its lease, its budgets, its 404 window, its
    own DELETE decision, its caller's context variables; its caller gets exactly its outcome.
    A caller cancelled cancels its own wait only and returns once it has decided (and, the last
    one, once the task run has ended); a SIGTERM or a cancellation of the task run stops them
    all, each deciding about its own task (one already deciding is left to it), and then
    reaches every caller. None of these waits for a decision forever: cancelled again, the
    waiting side gives the decisions ``CLEAN_UP_GRACE_SECONDS`` (``uninterrupted``), then
    cancels them again and logs a WARNING. A task run that cannot start gives its waiting
    callers the reason (an API error, the SIGTERM, a cancellation). The ``on_cancellation`` hook
    finds these waits' tasks in the ledger (``tasks/cancellation.py``), not by the task run's
    name.

    Example:
        ```python
        task = await SharedWaits.current().wait(
            task_id, lambda: wait_with_cancellation(client, task_id, policy, cancellation=c)
        )
        ```
    """

    runner_name = SHARED_RUNNER_NAME
    call_name = "runway-wait"

    async def _task_run(self, shared: SharedCalls) -> int:
        return await _watch_waits(shared, shared.first)

    def _not_begun(self, first: str) -> None:
        logger.warning(
            "cancelled before its wait began: no DELETE decision about Runway task %s here; the "
            "flow's on_cancellation hook finds it in the ledger, or it runs on (recover it by "
            "its id)", first,
        )  # fmt: skip

    async def wait(self, task_id: str, waiting: Callable[[], Awaitable[Task]]) -> Task:
        """Run ``waiting()`` (a wait for ``task_id``) under the shared task run.

        Returns:
            What ``waiting()`` returns.

        Raises:
            What ``waiting()`` raises; ``TerminationSignal`` (or ``CancelledError``) once every
            wait has decided, when the shared task run was stopped.
        """
        return await self.run(task_id, waiting)


async def wait_in_shared_run(
    client: RunwayClient,
    task_id: str,
    policy: WaitPolicy,
    *,
    on_update: Callable[[Task], Awaitable[None]] | None = None,
    attachment: Attachment | None = None,
    created_at: datetime | None = None,
    cancellation: Cancellation | None = None,
    log_succeeded: bool = True,
) -> Task:
    """``wait_for_generation`` without a task run of its own: under the flow run's shared one.

    Same arguments, outcome and exceptions as ``wait_for_generation`` (``log_succeeded`` as
    ``wait_for_task``'s); the wait is watched by
    the flow run's one ``runway-wait`` task run (``SharedWaits``). Without an ``attachment`` in
    the ledger, a cancellation hook cannot find the task once the process is gone: pass one.

    Example:
        ```python
        task = await wait_in_shared_run(client, task_id, WaitPolicy(), attachment=attachment)
        ```
    """
    waiting = _waiting(
        client, task_id, policy, on_update, attachment, created_at, cancellation, log_succeeded
    )
    return await SharedWaits.current().wait(task_id, waiting)
