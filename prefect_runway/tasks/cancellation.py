"""What a user's cancellation of a flow run does to its Runway tasks: the ``on_cancellation`` hook.

DESIGN.md's DELETE policy says a user's cancellation DELETEs every task the run still waits on
that has not finished (a PENDING or THROTTLED one is likely refunded), and never a SUCCEEDED
one. The flow's own process cannot promise that for a run with many tasks in flight: the
runner's SIGTERM interrupts one wait and may stop the event loop before the others run again
(tasks/wait.py). So the flows that wait carry this hook, which the runner (``serve`` or a
worker) runs in its own process once the flow's process has stopped, and which finds the
unfinished waits through the Prefect API: nothing in the dead process is needed.

A flow called in-process has no runner to stop it: its waits read the run's CANCELLING state
and cancel their own tasks (tasks/wait.py).

Example:
    ```python
    from prefect import flow

    from prefect_runway.tasks.cancellation import cancel_runway_tasks


    @flow(on_cancellation=[cancel_runway_tasks])
    async def my_pipeline() -> None: ...
    ```
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, cast

from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun, State
from prefect.flows import Flow
from prefect.logging.loggers import flow_run_logger

from prefect_runway.blocks import RunwayCredentials
from prefect_runway.tasks.wait import cancel_unless_finished, runway_tasks_waited_on

__all__ = ["cancel_runway_tasks", "credentials_block_of"]

# Runway answers DELETEs quickly; a bound keeps a 1000-task cancellation polite.
_CONCURRENT_CANCELS = 16


def credentials_block_of(parameters: Mapping[str, Any]) -> str:
    """The RunwayCredentials block a run used, from its parameters.

    The flows take it as ``credentials_block``, at the top level (batch) or inside their one
    params model (``params.credentials_block``); absent, it is the flows' default, ``runway``.
    """
    for scope in (parameters, parameters.get("params")):
        if isinstance(scope, Mapping) and isinstance(scope.get("credentials_block"), str):
            return cast(str, scope["credentials_block"])
    return "runway"


async def cancel_runway_tasks(flow: Flow[..., Any], flow_run: FlowRun, state: State) -> None:
    """``on_cancellation`` hook: cancel every Runway task the run waited on and that is not done.

    Reads the run's unfinished waits from the Prefect API, then for each task GETs its status
    and DELETEs it only while PENDING, THROTTLED or RUNNING. Errors are logged per task.

    Args:
        flow: The flow (unused: the run's parameters say which credentials it used).
        flow_run: The cancelled run.
        state: Its CANCELLING state.
    """
    logger = flow_run_logger(flow_run, flow)
    async with get_client() as prefect:
        task_ids = await runway_tasks_waited_on(prefect, flow_run.id)
    if not task_ids:
        logger.info("cancelled; no Runway task was still waited on")
        return
    block = credentials_block_of(flow_run.parameters)
    credentials = cast(RunwayCredentials, await RunwayCredentials.aload(block))
    slots = asyncio.Semaphore(_CONCURRENT_CANCELS)

    async def cancel(task_id: str) -> bool:
        async with slots:
            return await cancel_unless_finished(client, task_id)

    async with credentials.get_client() as client:
        cancelled = await asyncio.gather(*(cancel(task_id) for task_id in task_ids))
    logger.info(
        "cancelled %d of the %d Runway task(s) still waited on (the others had finished or "
        "were cancelled already)",
        sum(cancelled),
        len(task_ids),
    )
