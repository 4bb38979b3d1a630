"""Submitting a generation: at most once per attempt key, whatever crashes in between.

The order is what makes it safe (DESIGN.md, "submit"):

1. A task id already recorded for the attempt key (in Prefect's cache, or in the ledger)?
   Reuse it: no POST.
2. An intent recorded with no task id? A previous submit may have been billed and its id lost
   (a crash between the POST and the record, or an ambiguous answer): raise
   ``AmbiguousSubmission``, unless the user explicitly allows a resubmit.
3. Otherwise write the intent durably, POST once, record the task id.

There are no Prefect retries here: the client's failure matrix is the only HTTP retry layer, and
it never repeats a create that may have reached Runway.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import time
from datetime import UTC, datetime
from typing import Any

from prefect import task
from prefect.context import TaskRunContext
from pydantic import BaseModel, ConfigDict

from prefect_runway.api import AmbiguousSubmission, GenerationRequest, RunwayClient
from prefect_runway.api.errors import RunwayAPIError, RunwayConnectionError
from prefect_runway.tasks._crash import crash_point
from prefect_runway.tasks.ledger import LedgerEntry, SubmissionLedger

__all__ = [
    "SubmittedTask",
    "settle_intent",
    "submit_generation",
    "submit_once",
    "unresolved_intent",
]

logger = logging.getLogger(__name__)

# How long a run that finds another run's fresh intent waits for its task id: longer than a
# create normally takes with a few retries. Past it the intent counts as unresolved
# (AmbiguousSubmission): a spurious stop at worst, never a second payment. An intent older
# than this is a crashed or lost submit, and stops at once.
DEFAULT_CLAIM_WAIT_SECONDS = float(os.environ.get("RUNWAY_CLAIM_WAIT_SECONDS", "30"))
_CLAIM_POLL_SECONDS = 1.0


class SubmittedTask(BaseModel):
    """A request Runway accepted.

    Attributes:
        key: The attempt key it was submitted under.
        task_id: Runway's task id.
        model: The Runway model.
        estimated_credits: The most it may charge.
        submitted_at: When Runway accepted it (or when the ledger first recorded it).
        reused: True when an earlier run had already submitted it.
    """

    model_config = ConfigDict(frozen=True)

    key: str
    task_id: str
    model: str
    estimated_credits: float | None = None
    submitted_at: datetime
    reused: bool = False


def _attempt_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    # The cache is a fast path to the ledger, so it is keyed by the ledger's location too: the
    # same request written to another destination consults that destination's ledger.
    ledger: SubmissionLedger = parameters["ledger"]
    digest = hashlib.sha256(ledger.location.encode()).hexdigest()[:12]
    return f"runway-submit-{digest}-{parameters['key']}"


def _flow_run_id() -> str | None:
    from prefect.runtime import flow_run

    run_id = flow_run.get_id()
    return str(run_id) if run_id else None


def unresolved_intent(entry: LedgerEntry, model: str) -> AmbiguousSubmission:
    """The error for an intent recorded with no task id: it may have been billed."""
    return AmbiguousSubmission(
        operation=f"submit {model} (key {entry.key})",
        cause=(
            f"an earlier submit at {entry.intent_at.isoformat()} (flow run "
            f"{entry.flow_run_id}) recorded its intent but never its task id"
        ),
    )


async def _wait_for_task_id(ledger: SubmissionLedger, key: str, patience: float) -> LedgerEntry:
    """The entry another run claimed, once it has a task id or ``patience`` seconds passed."""
    deadline = time.monotonic() + patience
    while True:
        entry = await ledger.read(key)
        if entry is None:  # create-only: it reads as absent only once its create was refused
            raise RuntimeError(
                f"ledger entry {key} was claimed by another run whose create was refused (or "
                "the storage lost it); nothing was created for it: run again to submit"
            )
        if entry.task_id is not None or time.monotonic() >= deadline:
            return entry
        await asyncio.sleep(_CLAIM_POLL_SECONDS)


async def settle_intent(
    ledger: SubmissionLedger, entry: LedgerEntry, claim_wait: float | None = None
) -> LedgerEntry:
    """An intent without a task id, once its run had time to record one.

    A recent intent may be another run's create in flight: wait for its task id, up to
    ``claim_wait`` seconds from when it was written. An older one is returned as it is: a crashed
    or lost submit, for the caller to report as ``AmbiguousSubmission``.
    """
    if claim_wait is None:
        claim_wait = DEFAULT_CLAIM_WAIT_SECONDS
    age = (datetime.now(UTC) - entry.intent_at).total_seconds()
    if entry.task_id is not None or age >= claim_wait:
        return entry
    return await _wait_for_task_id(ledger, entry.key, claim_wait - age)


async def submit_once(
    request: GenerationRequest,
    *,
    key: str,
    client: RunwayClient,
    ledger: SubmissionLedger,
    allow_resubmit: bool = False,
    claim_wait: float | None = None,
) -> SubmittedTask:
    """The submit protocol without Prefect: ledger first, then at most one POST.

    The intent is claimed create-only: when another run claims the same attempt first, this
    one waits up to ``claim_wait`` seconds (default ``DEFAULT_CLAIM_WAIT_SECONDS``, 30, or the
    ``RUNWAY_CLAIM_WAIT_SECONDS`` environment variable) for that run's task id and reattaches.

    Raises:
        AmbiguousSubmission: an earlier submit of this attempt may have been billed with its
            id lost, or this one got no answer after sending.
    """
    if claim_wait is None:
        claim_wait = DEFAULT_CLAIM_WAIT_SECONDS
    entry = await ledger.read(key)
    intent: LedgerEntry | None = None
    if entry is None:
        intent = await ledger.claim_intent(key, model=request.model, flow_run_id=_flow_run_id())
        if intent is None:  # another run claimed it a moment ago: wait for its task id
            entry = await _wait_for_task_id(ledger, key, claim_wait)
    elif entry.task_id is None:
        entry = await settle_intent(ledger, entry, claim_wait)
    if entry is not None and entry.task_id is not None:
        logger.info("%s: already submitted as Runway task %s; reattaching", key, entry.task_id)
        return SubmittedTask(
            key=key,
            task_id=entry.task_id,
            model=entry.model,
            estimated_credits=entry.estimated_credits,
            submitted_at=entry.submitted_at or entry.intent_at,
            reused=True,
        )
    if intent is None:
        if entry is not None and not allow_resubmit:
            raise unresolved_intent(entry, request.model)
        logger.warning("%s: resubmitting over an unresolved intent, as allowed", key)
        intent = await ledger.record_intent(key, model=request.model, flow_run_id=_flow_run_id())
    crash_point("before_post")
    try:
        created = await client.create(request)
    except (RunwayAPIError, RunwayConnectionError):
        # Runway answered that it created nothing (4xx, a 503 that outlasted the retries), or
        # was never reached: the intent must not stop a later run as if it might be billed.
        try:
            await ledger.record_refused(intent)
        except Exception as error:  # Runway's refusal is the news; a later run stops, safely
            logger.warning("%s: could not mark the refused create in the ledger (%s)",
                           key, type(error).__name__)  # fmt: skip
        raise
    crash_point("after_post")
    estimate = created.estimated_cost.credits if created.estimated_cost else None
    # Logged before it is recorded: if the record fails for good, the id is still known.
    logger.info(
        "Submitted %s as Runway task %s (estimated %s credits)",
        request.model,
        created.id,
        estimate if estimate is not None else "?",
    )
    try:
        await ledger.record_submitted(intent, task_id=created.id, estimated_credits=estimate)
    except Exception as error:
        # The task is paid for: go on with it rather than lose it. Its output and sidecar make
        # the ledger record unnecessary; a crash before them stops the next run as ambiguous.
        logger.error(
            "%s: could not record Runway task %s in the ledger (%s); going on with it. If "
            "this run stops before the output is stored, recover it by its id",
            key, created.id, type(error).__name__,
        )  # fmt: skip
    return SubmittedTask(
        key=key,
        task_id=created.id,
        model=request.model,
        estimated_credits=estimate,
        submitted_at=datetime.now(UTC),
    )


@task(
    name="runway-submit",
    task_run_name="submit-{key}",
    cache_key_fn=_attempt_key,
    persist_result=True,
    retries=0,
)
async def submit_generation(
    request: GenerationRequest,
    *,
    key: str,
    client: RunwayClient,
    ledger: SubmissionLedger,
    allow_resubmit: bool = False,
) -> SubmittedTask:
    """Submit one attempt of a generation (a Prefect task, cached by attempt key).

    Called directly from a flow, never from another task: a nested task's cache record is only
    written when its parent commits, so a crash would forget the task id.

    Args:
        request: The validated request, inputs prepared.
        key: The attempt key.
        client: The Runway client.
        ledger: The submission ledger.
        allow_resubmit: Resubmit over an intent with no task id (may pay twice).
    """
    return await submit_once(
        request, key=key, client=client, ledger=ledger, allow_resubmit=allow_resubmit
    )
