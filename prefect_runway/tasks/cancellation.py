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

Only what nobody else waits on is deleted: each wait's task run is tagged with its ledger entry,
and the hook asks the ledger, as the wait itself would (``Attachment.may_delete``): another live
run attached to the task (a reattached re-run, or the run that created it) leaves it running,
and this run only detaches. The log says which.

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
import logging
from collections.abc import Mapping
from typing import Any, cast

from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun, State
from prefect.flows import Flow
from prefect.logging.loggers import flow_run_logger
from prefect_aws import S3Bucket

from prefect_runway.blocks import RunwayCredentials
from prefect_runway.tasks.ledger import SubmissionLedger
from prefect_runway.tasks.wait import Attachment, WaitRecord, cancel_unless_finished, runway_waits

__all__ = ["block_name_of", "cancel_runway_tasks", "credentials_block_of"]

# Runway answers DELETEs quickly; a bound keeps a 1000-task cancellation polite.
_CONCURRENT_CANCELS = 16


def block_name_of(parameters: Mapping[str, Any], field: str) -> str | None:
    """A block name a run used, from its parameters: at the top level (batch) or inside the
    flows' one params model (``params.<field>``)."""
    for scope in (parameters, parameters.get("params")):
        if isinstance(scope, Mapping) and isinstance(scope.get(field), str):
            return cast(str, scope[field])
    return None


def credentials_block_of(parameters: Mapping[str, Any]) -> str:
    """The RunwayCredentials block a run used, from its parameters.

    The flows take it as ``credentials_block``, at the top level (batch) or inside their one
    params model (``params.credentials_block``); absent, it is the flows' default, ``runway``.
    """
    return block_name_of(parameters, "credentials_block") or "runway"


async def _attachments(
    waits: list[WaitRecord], parameters: Mapping[str, Any], run: str, logger: Any
) -> dict[str, Attachment]:
    """The ledger attachment of each wait, where its tags and the run's blocks tell it."""
    destination_name = block_name_of(parameters, "destination_block")
    if destination_name is None or not any(w.ledger_folder and w.attempt_key for w in waits):
        return {}
    try:
        destination = cast(S3Bucket, await S3Bucket.aload(destination_name))
    except Exception as error:  # without the ledger, deleting could hurt another run: don't
        logger.warning("could not load the destination block %s (%s)", destination_name,
                       type(error).__name__)  # fmt: skip
        return {w.task_id: _unknown(w, run) for w in waits}
    found: dict[str, Attachment] = {}
    for wait in waits:
        if wait.ledger_folder and wait.attempt_key:
            ledger = SubmissionLedger(destination, wait.ledger_folder)
            found[wait.task_id] = Attachment(ledger, wait.attempt_key, wait.task_id, run)
    return found


class _Unknowable(Attachment):
    """A wait whose ledger cannot be read: never deleted (another run may wait on it)."""

    async def may_delete(self) -> bool:
        logger = logging.getLogger(__name__)
        logger.warning("run cancelled; Runway task %s left running: its ledger cannot be "
                       "read to know who else waits on it", self.task_id)  # fmt: skip
        return False

    async def detach(self) -> None:
        return None

    async def deleted(self, deleted: bool) -> None:
        return None


def _unknown(wait: WaitRecord, run: str) -> Attachment:
    return _Unknowable(cast(SubmissionLedger, None), wait.attempt_key or "", wait.task_id, run)


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
        waits = await runway_waits(prefect, flow_run.id)
    task_ids = [wait.task_id for wait in waits]
    if not task_ids:
        logger.info("cancelled; no Runway task was still waited on")
        return
    block = credentials_block_of(flow_run.parameters)
    credentials = cast(RunwayCredentials, await RunwayCredentials.aload(block))
    attachments = await _attachments(waits, flow_run.parameters, str(flow_run.id), logger)
    slots = asyncio.Semaphore(_CONCURRENT_CANCELS)

    async def cancel(task_id: str) -> bool:
        async with slots:
            return await cancel_unless_finished(client, task_id, attachments.get(task_id))

    async with credentials.get_client() as client:
        cancelled = await asyncio.gather(*(cancel(task_id) for task_id in task_ids))
    logger.info(
        "cancelled %d of the %d Runway task(s) still waited on (the others had finished, "
        "were cancelled already, or are waited on by another run: detached)",
        sum(cancelled),
        len(task_ids),
    )
