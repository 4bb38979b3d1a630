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
waits (Prefect raises ``TerminationSignal`` in whichever is running, and the event loop stops
after it). So every wait registers its task with the run's ``FlowRunCancellation``, and the
interrupted wait that reads CANCELLING cancels every task of the run still in flight.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from uuid import UUID

import anyio
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.objects import StateType
from prefect.exceptions import TerminationSignal
from prefect.settings import PREFECT_API_KEY, PREFECT_API_URL

from runway import RunwayClient, Task, WaitPolicy, wait_for_task
from tasks._crash import crash_point

__all__ = ["FlowRunCancellation", "wait_for_generation", "wait_with_cancellation"]

logger = logging.getLogger("tasks.wait")


class FlowRunCancellation:
    """Whether the current flow run was cancelled by a user (its state is CANCELLING).

    One instance per flow run, shared by all its waits, so a thousand concurrent generations
    cost one state read per ``min_interval``, not a thousand.
    """

    _by_run: dict[UUID, FlowRunCancellation] = {}

    def __init__(self, flow_run_id: UUID | None, min_interval: float = 2.0) -> None:
        self.flow_run_id = flow_run_id
        self.min_interval = min_interval
        self._checked_at = float("-inf")
        self._cancelling = False
        self._lock = asyncio.Lock()
        self._in_flight: dict[str, RunwayClient] = {}

    def track(self, task_id: str, client: RunwayClient) -> None:
        """Count ``task_id`` as waited on by this run, until ``untrack``."""
        self._in_flight[task_id] = client

    def untrack(self, task_id: str) -> None:
        self._in_flight.pop(task_id, None)

    async def cancel_in_flight(self) -> None:
        """Cancel every task this run still waits on (none that SUCCEEDED), all at once."""
        waiting, self._in_flight = self._in_flight, {}
        await asyncio.gather(
            *(_cancel_unless_succeeded(client, task_id) for task_id, client in waiting.items()),
            return_exceptions=True,
        )

    @classmethod
    def current(cls) -> FlowRunCancellation:
        from prefect.runtime import flow_run

        run_id = flow_run.get_id()
        if not run_id:
            return cls(None)
        key = UUID(str(run_id))
        if key not in cls._by_run:
            cls._by_run[key] = cls(key)
        return cls._by_run[key]

    async def is_cancelling(self, *, fresh: bool = False) -> bool:
        """True once the run's state is CANCELLING (or CANCELLED). Errors read as False."""
        if self.flow_run_id is None or self._cancelling:
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
    cancellation: FlowRunCancellation,
    on_update: Callable[[Task], Awaitable[None]] | None = None,
) -> Task:
    """``wait_for_task`` plus the cancellation handling described in the module docstring."""

    async def polled_update(task: Task) -> None:
        crash_point("mid_poll")
        if on_update is not None:
            await on_update(task)

    cancellation.track(task_id, client)
    try:
        return await wait_for_task(
            client,
            task_id,
            policy,
            on_update=polled_update,
            should_cancel=cancellation.is_cancelling,
        )
    except (asyncio.CancelledError, KeyboardInterrupt, TerminationSignal):
        # Interrupted: by the runner after a user's cancellation, or by a plain SIGTERM (which
        # Prefect raises as TerminationSignal in whichever wait happens to be running). Only
        # the run's state tells them apart; shield the check and the DELETE from the
        # cancellation that is tearing the run down.
        with anyio.CancelScope(shield=True):
            if await cancellation.is_cancelling(fresh=True):
                # This wait's own task, and those of the run's other waits, which the
                # interruption may never reach.
                cancellation.track(task_id, client)
                await cancellation.cancel_in_flight()
            else:
                logger.warning(
                    "interrupted while waiting for Runway task %s without a cancellation; "
                    "the task was left running: recover it by its id",
                    task_id,
                )
        raise
    finally:
        cancellation.untrack(task_id)


async def _cancel_unless_succeeded(client: RunwayClient, task_id: str) -> None:
    try:
        task = await client.get_task(task_id)
    except Exception as error:
        logger.warning("run cancelled; could not read Runway task %s (%s)", task_id, error)
        return
    if task.is_terminal:
        logger.info("run cancelled; Runway task %s is %s, left as is", task_id, task.status.value)
        return
    await client.delete_task(task_id)
    logger.info("run cancelled; cancelled the %s Runway task %s", task.status.value, task_id)


@task(name="runway-wait", task_run_name="wait-{task_id}", cache_policy=NO_CACHE, retries=0)
async def wait_for_generation(
    client: RunwayClient,
    task_id: str,
    policy: WaitPolicy,
    on_update: Callable[[Task], Awaitable[None]] | None = None,
) -> Task:
    """Wait for a Runway task to finish (a Prefect task, never cached).

    Returns:
        The terminal task: SUCCEEDED, FAILED or CANCELLED.

    Raises:
        runway.QueueTimeout: still queued after ``policy.max_queue_seconds``; cancelled.
        runway.RunTimeout: still running after ``policy.max_run_seconds``; NOT cancelled.
        runway.TaskVanished: the task answers 404.
        runway.WaitCancelled: the user cancelled the run; the task was cancelled unless done.
    """
    return await wait_with_cancellation(
        client,
        task_id,
        policy,
        cancellation=FlowRunCancellation.current(),
        on_update=on_update,
    )
