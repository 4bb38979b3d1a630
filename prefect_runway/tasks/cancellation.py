"""What a user's cancellation of a flow run does to its Runway tasks: the ``on_cancellation`` hook.

DESIGN.md's DELETE policy says a user's cancellation DELETEs every task the run still waits on
that has not finished (a PENDING or THROTTLED one is likely refunded), and never a SUCCEEDED
one. The flow's own process cannot promise that for a run with many tasks in flight: the
runner's SIGTERM interrupts one wait and may stop the event loop before the others run again
(tasks/wait.py), and a task submitted just before the SIGTERM has no wait yet. So the flows
that wait carry this hook, which the runner (``serve`` or a worker) runs in its own process
once the flow's process has stopped: nothing in the dead process is needed.

What the hook relies on to find the run's tasks:

* **The ledger**, first. Before its first claim in a ledger, a run labels its flow run with the
  ledger's folder and destination block (``tasks/run_ledgers.py``; a plain API call the server
  has committed before the run claims anything). The hook lists each announced ledger's
  entries written since the run was created (one S3 LIST per 1,000 entries, at cancellation
  only) and reads them: every entry with a task id that this run is attached to (its lease,
  written with the task id before any wait starts) or that is ``cancelling`` (a canceller
  stopped between its decision and its DELETE) is a task to cancel.
* **The run's ``wait_for_generation`` task runs** (``runway_waits``), as well: a user's flow
  that calls that task directly has no ledger; its task runs are named ``wait-<task id>``.
  ``generate``'s waits have no task run of their own (they share one per flow run, issue 20,
  ``tasks/wait.py``), so for them **the ledger is the one source**, and a task run's name would
  not have been enough anyway: Prefect 3 sends task-run creations and states to the server as
  events, which reach its records late under load (or never, from a killed process).

**Listing the ledger needs ``s3:ListBucket``** on the destination bucket (besides the
``s3:GetObject`` and ``s3:PutObject`` every run needs). Without it the hook cannot find the
run's tasks: it logs a WARNING naming the permission, and the tasks are left running (a task
left running costs at most its own price; their outputs are recovered, paying nothing, with
the ``runway-recover`` flow and the task ids the run logged at submit). The waits that saw the
cancellation themselves (a run called in-process, or one whose wait was polling when the
runner stopped it) still cancel their own tasks.

The destination block comes from the label (when the run loaded its destination from a saved
block) or from the run's parameters (``destination_block``); the credentials from the run's
parameters (``credentials_block``, default ``runway``). A ledger whose block cannot be loaded
is not read: its waits' tasks are then left running (logged), since deleting without the
ledger could hurt another run.

A flow called in-process has no runner to stop it: its waits read the run's CANCELLING state
and cancel their own tasks (tasks/wait.py).

Only what nobody else waits on is deleted: the hook asks the ledger, as the wait itself would
(``Attachment.may_delete``): another live run attached to the task (a reattached re-run, or the
run that created it) leaves it running, and this run only detaches. A SUCCEEDED task is never
deleted (``cancel_unless_finished`` reads it first). The log says which. Running the hook
again is harmless: an entry it cancelled reads ``cancelled``, a task it deleted reads as
finished.

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
from datetime import datetime, timedelta
from typing import Any, cast

from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun, State
from prefect.flows import Flow
from prefect.logging.loggers import flow_run_logger
from prefect_aws import S3Bucket

from prefect_runway.blocks import RunwayCredentials
from prefect_runway.tasks.ledger import LedgerEntry, SubmissionLedger
from prefect_runway.tasks.run_ledgers import AnnouncedLedger, announced_ledgers
from prefect_runway.tasks.wait import Attachment, WaitRecord, cancel_unless_finished, runway_waits

__all__ = ["block_name_of", "cancel_runway_tasks", "credentials_block_of"]

# Runway answers DELETEs quickly; a bound keeps a 1000-task cancellation polite.
_CONCURRENT_CANCELS = 16
# S3's clock (LastModified) against the Prefect server's (the run's creation): generous, since
# a wider window only reads a few more entries.
_CLOCK_SKEW = timedelta(minutes=15)


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


def _unknown(task_id: str, key: str | None, run: str) -> Attachment:
    return _Unknowable(cast(SubmissionLedger, None), key or "", task_id, run)


class _Destinations:
    """The run's destination blocks, each loaded once; None for one that cannot be loaded."""

    def __init__(self, logger: Any) -> None:
        self._loaded: dict[str, S3Bucket | None] = {}
        self._logger = logger

    async def load(self, name: str) -> S3Bucket | None:
        if name not in self._loaded:
            try:
                self._loaded[name] = cast(S3Bucket, await S3Bucket.aload(name))
            except Exception as error:  # without the ledger, deleting could hurt another run
                self._logger.warning("could not load the destination block %s (%s)", name,
                                     type(error).__name__)  # fmt: skip
                self._loaded[name] = None
        return self._loaded[name]


def _ledger_prefix(ledger: SubmissionLedger, bucket: str) -> str:
    """The S3 prefix of a ledger's entries (``SubmissionLedger`` writes ``<folder>/ledger/``)."""
    base = ledger.location.removeprefix(f"s3://{bucket}").strip("/")
    return f"{base}/ledger/" if base else "ledger/"


async def _entries_of_run(
    ledger: SubmissionLedger, destination: S3Bucket, run: str, since: datetime | None
) -> list[tuple[str, LedgerEntry]]:
    """The attempts of a ledger a cancelled run may still have a task in flight for.

    An entry the run attached to was written (``record_submitted`` or ``attach``) after the run
    was created, so only entries modified since then are read. Plain boto3 paging: the ledger
    has no listing of its own (it never needs one on the generation path).
    """
    bucket = destination.bucket_name
    prefix = _ledger_prefix(ledger, bucket)
    s3 = destination.credentials.get_s3_client()

    def listing() -> list[str]:
        keys: list[str] = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                name = str(item["Key"])[len(prefix) :]
                if "/" in name or not name.endswith(".json"):
                    continue
                if since is None or item["LastModified"] >= since:
                    keys.append(name.removesuffix(".json"))
        return keys

    keys = await asyncio.to_thread(listing)
    slots = asyncio.Semaphore(_CONCURRENT_CANCELS)

    async def read(key: str) -> LedgerEntry | None:
        async with slots:
            return await ledger.read(key)

    entries = await asyncio.gather(*(read(key) for key in keys))
    return [
        (key, entry)
        for key, entry in zip(keys, entries, strict=True)
        if entry is not None
        and entry.task_id is not None
        and (entry.state == "cancelling" or (entry.state == "submitted" and run in entry.leases))
    ]


def _access_denied(error: Exception) -> bool:
    """Whether S3 refused a request for lack of permission (botocore's ``ClientError``)."""
    response = getattr(error, "response", None)
    if not isinstance(response, Mapping):
        return False
    code = str(response.get("Error", {}).get("Code", ""))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in ("AccessDenied", "AllAccessDisabled", "403") or status == 403


async def _in_flight(
    waits: list[WaitRecord], announced: list[AnnouncedLedger], flow_run: FlowRun, logger: Any
) -> dict[str, Attachment | None]:
    """Every task of the run to cancel, with the ledger attachment that decides the DELETE."""
    run = str(flow_run.id)
    parameters = flow_run.parameters
    default_block = block_name_of(parameters, "destination_block")
    destinations = _Destinations(logger)
    # (block, ledger folder) -> ledger, from the labels first, then the waits' names.
    ledgers: dict[tuple[str, str], SubmissionLedger | None] = {}
    for place in announced:
        block = place.block or default_block
        if block is None:
            logger.warning("no destination block known for the ledger %s: its tasks cannot be "
                           "found there", place.location)  # fmt: skip
            continue
        destination = await destinations.load(block)
        ledger = SubmissionLedger(destination, place.folder) if destination else None
        if ledger is not None and ledger.location != place.location:
            logger.warning("the destination block %s no longer holds the ledger %s (now %s): "
                           "its tasks cannot be found there", block, place.location,
                           ledger.location)  # fmt: skip
            ledger = None
        ledgers[(block, place.folder)] = ledger
    for wait in waits:
        if (
            wait.ledger_folder
            and default_block
            and not any(folder == wait.ledger_folder for _, folder in ledgers)
        ):
            destination = await destinations.load(default_block)
            ledgers[(default_block, wait.ledger_folder)] = (
                SubmissionLedger(destination, wait.ledger_folder) if destination else None
            )

    found: dict[str, Attachment | None] = {}
    by_folder: dict[str, SubmissionLedger | None] = {}
    since = flow_run.created - _CLOCK_SKEW if flow_run.created else None
    for (block, folder), ledger in ledgers.items():
        by_folder.setdefault(folder, ledger)
        if ledger is None:
            continue
        destination = await destinations.load(block)
        assert destination is not None  # a ledger is only made from a loaded block
        try:
            entries = await _entries_of_run(ledger, destination, run, since)
        except Exception as error:  # the waits below still tell some
            if _access_denied(error):
                logger.warning(
                    "could not list the ledger %s: the destination's credentials lack "
                    "s3:ListBucket on bucket %s (%s), so this run's Runway tasks recorded "
                    "there were NOT cancelled and are left running. Recover their outputs "
                    "with the runway-recover flow (the task ids are in this run's log, "
                    "'Submitted ... as Runway task ...'), and grant s3:ListBucket so a "
                    "cancellation can cancel them", ledger.location,
                    destination.bucket_name, type(error).__name__,
                )  # fmt: skip
            else:
                logger.warning("could not read the ledger %s (%s)", ledger.location,
                               type(error).__name__)  # fmt: skip
            continue
        for key, entry in entries:
            assert entry.task_id is not None
            found[entry.task_id] = Attachment(
                ledger, key, entry.task_id, run, created_at=entry.created_at
            )
    for wait in waits:
        if wait.task_id in found:
            continue
        if not wait.ledger_folder or not wait.attempt_key or wait.ledger_folder not in by_folder:
            # A wait of no ledger (a plain ``wait_for_generation``), or of a run that named no
            # destination block: decided on Runway's status alone, as before ledgers.
            found[wait.task_id] = None
            continue
        ledger = by_folder[wait.ledger_folder]
        found[wait.task_id] = (
            Attachment(ledger, wait.attempt_key, wait.task_id, run)
            if ledger is not None
            else _unknown(wait.task_id, wait.attempt_key, run)
        )
    return found


async def cancel_runway_tasks(flow: Flow[..., Any], flow_run: FlowRun, state: State) -> None:
    """``on_cancellation`` hook: cancel every Runway task the run had in flight and nobody
    else waits on.

    Finds the run's tasks in the ledgers its labels name (a listing each: the destination's
    credentials need ``s3:ListBucket``) and in its unfinished ``wait_for_generation`` task runs
    (the module docstring says why both), then for each task GETs its status and DELETEs it
    only while PENDING, THROTTLED or RUNNING and when the ledger says no other live run is
    attached. Errors are logged per task.

    Args:
        flow: The flow (unused: the run's labels and parameters say which blocks it used).
        flow_run: The cancelled run.
        state: Its CANCELLING state.
    """
    logger = flow_run_logger(flow_run, flow)
    async with get_client() as prefect:
        waits = await runway_waits(prefect, flow_run.id)
        try:  # the runner's copy was read at the cancellation; labels only ever grow
            labels = (await prefect.read_flow_run(flow_run.id)).labels
        except Exception as error:
            logger.warning("could not read the flow run's labels again (%s)", type(error).__name__)
            labels = flow_run.labels
    tasks = await _in_flight(waits, announced_ledgers(labels), flow_run, logger)
    if not tasks:
        logger.info("cancelled; no Runway task was still waited on")
        return
    block = credentials_block_of(flow_run.parameters)
    credentials = cast(RunwayCredentials, await RunwayCredentials.aload(block))
    slots = asyncio.Semaphore(_CONCURRENT_CANCELS)

    async def cancel(task_id: str) -> bool:
        async with slots:
            return await cancel_unless_finished(client, task_id, tasks[task_id])

    async with credentials.get_client() as client:
        cancelled = await asyncio.gather(*(cancel(task_id) for task_id in sorted(tasks)))
    logger.info(
        "cancelled %d of the %d Runway task(s) still waited on (the others had finished, "
        "were cancelled already, or are waited on by another run: detached)",
        sum(cancelled),
        len(tasks),
    )
