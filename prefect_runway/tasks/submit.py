"""Submitting an attempt: at most one POST per claim of its ledger entry, whatever crashes.

The order is what makes it safe (DESIGN.md, "submit"):

1. Claim the attempt in the ledger, create-only or on the entry's ETag (``SubmissionLedger.claim``):
   of runs arriving at once exactly one wins. A loser reattaches to the winner's task id, or
   waits a moment for it while the winner's create is in flight.
2. An intent with no task id that is older than that? A previous submit may have been billed
   and its id lost (a crash between the POST and the record, or an ambiguous answer): raise
   ``AmbiguousSubmission``, unless the user explicitly allows a resubmit.
3. The winner POSTs once, then records the task id (a conditional write on its own claim).
   A create Runway provably refused marks the entry ``refused``: the next claim is again a
   conditional write, so runs arriving then still pay once (issue 16, item 1). So does a
   submit stopped (a SIGTERM, a cancellation) between its claim and its POST: nothing was
   sent, and a re-run must not stop on it as ambiguous (RELIABILITY.md item 28).

There are no Prefect retries here: the client's failure matrix is the only HTTP retry layer, and
it never repeats a create that may have reached Runway. Nor is there a Prefect cache in front:
an attempt cancelled by a user is claimed again, and a cached task id would reattach to the
cancelled task. The ledger is the one source of truth.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, ConfigDict

from prefect_runway.api import AmbiguousSubmission, GenerationRequest, RunwayClient
from prefect_runway.api.errors import PrefectRunwayError, RunwayAPIError, RunwayConnectionError
from prefect_runway.tasks._crash import crash_point
from prefect_runway.tasks._uninterrupted import uninterrupted
from prefect_runway.tasks.ledger import Claim, LedgerConflict, LedgerEntry, SubmissionLedger
from prefect_runway.tasks.shared_runs import SharedCalls, SharedTaskRun, hold_calls

__all__ = [
    "DEFAULT_CLAIM_WAIT_SECONDS",
    "SharedSubmits",
    "SubmitNotStarted",
    "SubmittedTask",
    "current_run",
    "submit_generation",
    "submit_in_shared_run",
    "submit_once",
    "unresolved_intent",
]

logger = logging.getLogger(__name__)

# How long a run that finds another run's fresh intent waits for its task id (the
# RUNWAY_CLAIM_WAIT_SECONDS environment variable): longer than a create normally takes with a
# few retries. Past it the intent counts as unresolved (AmbiguousSubmission): a spurious stop
# at worst, never a second payment.
DEFAULT_CLAIM_WAIT_SECONDS = float(os.environ.get("RUNWAY_CLAIM_WAIT_SECONDS", "30"))
_CLAIM_POLL_SECONDS = 1.0
# A process that is no flow run (a script calling generate directly) still needs a name for
# its attachments: one per process.
_PROCESS_RUN = f"process-{uuid.uuid4().hex[:12]}"


class SubmitNotStarted(PrefectRunwayError, RuntimeError):
    """The submit never began: the flow run's shared ``runway-submit`` task run could not start
    (the Prefect API's error is its ``__cause__``). Nothing was claimed or sent."""


class SubmittedTask(BaseModel):
    """A request Runway accepted.

    Attributes:
        key: The attempt key it was submitted under.
        task_id: Runway's task id.
        model: The Runway model.
        estimated_credits: The most it may charge.
        submitted_at: When Runway accepted it (or when the ledger first recorded it).
        reused: True when another run (or an earlier one) had submitted it: nothing was paid.
        entry: The ledger entry as this call left it.
    """

    model_config = ConfigDict(frozen=True)

    key: str
    task_id: str
    model: str
    estimated_credits: float | None = None
    submitted_at: datetime
    reused: bool = False
    entry: LedgerEntry | None = None


def current_run() -> str:
    """The id attachments are made under: the flow run's, else this process's."""
    from prefect.runtime import flow_run

    run_id = flow_run.get_id()
    return str(run_id) if run_id else _PROCESS_RUN


def unresolved_intent(entry: LedgerEntry, model: str) -> AmbiguousSubmission:
    """The error for an intent recorded with no task id: it may have been billed."""
    return AmbiguousSubmission(
        operation=f"submit {model} (key {entry.key})",
        cause=(
            f"an earlier submit at {entry.intent_at.isoformat()} (flow run "
            f"{entry.flow_run_id}) recorded its intent but never its task id"
        ),
    )


def _reattached(entry: LedgerEntry) -> SubmittedTask:
    assert entry.task_id is not None
    return SubmittedTask(
        key=entry.key,
        task_id=entry.task_id,
        model=entry.model,
        estimated_credits=entry.estimated_credits,
        submitted_at=entry.submitted_at or entry.intent_at,
        reused=True,
        entry=entry,
    )


async def _settled(
    ledger: SubmissionLedger,
    entry: LedgerEntry,
    claim_wait: float,
    sleep: Callable[[float], Awaitable[None]],
) -> LedgerEntry | None:
    """Another run's intent, once it has a task id, was refused, or ``claim_wait`` passed
    since it was written. None when the entry is gone."""
    while entry.state == "intent":
        age = (ledger.clock() - entry.intent_at).total_seconds()
        if age >= claim_wait:
            return entry
        await sleep(min(_CLAIM_POLL_SECONDS, claim_wait - age))
        fresh = await ledger.read(entry.key)
        if fresh is None:
            return None
        entry = fresh
    return entry


async def submit_once(
    request: GenerationRequest,
    *,
    key: str,
    client: RunwayClient,
    ledger: SubmissionLedger,
    allow_resubmit: bool = False,
    claim_wait: float | None = None,
    run: str | None = None,
    over: LedgerEntry | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    before_post: Callable[[LedgerEntry], Awaitable[None]] | None = None,
) -> SubmittedTask:
    """The submit protocol without Prefect: claim in the ledger, then at most one POST.

    Args:
        request: The validated request, inputs prepared.
        key: The attempt key.
        client: The Runway client.
        ledger: The ledger.
        allow_resubmit: Resubmit over an intent with no task id, or a vanished task (may pay
            twice).
        claim_wait: Seconds to wait for another run's claim to get its task id (default
            ``DEFAULT_CLAIM_WAIT_SECONDS``).
        run: Who attaches to the task (default: the flow run, else this process).
        over: The unresolved entry the user allowed a resubmit over (the plan found it).
        sleep: How to wait for another run's claim (tests pass a fake clock's).
        before_post: Awaited with our intent once the claim is won, before the POST; if it
            raises, the intent is marked refused (nothing was sent) and the error goes on.

    Raises:
        AmbiguousSubmission: an earlier submit of this attempt may have been billed with its
            id lost, or this one got no answer after sending.
        RunwayAPIError: Runway refused the create (nothing was created).
    """
    wait = DEFAULT_CLAIM_WAIT_SECONDS if claim_wait is None else claim_wait
    run = run or current_run()
    for _ in range(8):  # a claim refused again by another run's refused create: try again
        if over is not None and allow_resubmit:
            claim = await _claimed(ledger, ledger.resubmit(over, model=request.model, run=run))
            over = None
            if claim.won:
                logger.warning("%s: resubmitting over an unresolved attempt, as allowed", key)
        else:
            claim = await _claimed(ledger, ledger.claim(key, model=request.model, run=run))
        if claim.won:
            if before_post is not None:
                try:
                    await before_post(claim.entry)
                except BaseException:
                    # Refused, or stopped (a SIGTERM, a cancellation): nothing was sent.
                    await _not_sent(ledger, claim.entry)
                    raise
            return await _post(request, claim.entry, client, ledger, run)
        entry: LedgerEntry | None = claim.entry
        if entry is not None and entry.state == "intent":
            entry = await _settled(ledger, entry, wait, sleep)
        if entry is None or entry.state in ("refused", "cancelled"):
            continue  # the other run's create was refused (or cancelled): claim again
        if entry.task_id is not None:
            logger.info("%s: already submitted as Runway task %s; reattaching", key,
                        entry.task_id)  # fmt: skip
            return _reattached(entry)
        if allow_resubmit:
            over = entry
            continue
        raise unresolved_intent(entry, request.model)
    raise LedgerConflict(f"ledger entry {key}: claimed and refused too often in a row")


async def _claimed(ledger: SubmissionLedger, claiming: Awaitable[Claim]) -> Claim:
    """The claim's write to its end, whatever stops the caller meanwhile.

    A claim's S3 write runs on in its thread when its caller is stopped (a SIGTERM stopping a
    flow run's shared ``runway-submit`` task run cancels every submit in it): a claim dropped
    there leaves an intent with no task id, which stops every re-run as ambiguous although
    nothing was sent. So it ends first (within the clean-up grace), and a claim won by a
    caller stopped meanwhile is marked as never sent before the stop goes on.
    """
    work = asyncio.ensure_future(claiming)
    try:
        return await uninterrupted(work)
    except BaseException:
        with contextlib.suppress(BaseException):  # the stop, not the claim's end, is the news
            claim = await uninterrupted(work)
            if claim.won:
                await _not_sent(ledger, claim.entry)
        raise


async def _not_sent(ledger: SubmissionLedger, intent: LedgerEntry) -> None:
    """Mark our intent whose create was never sent (refused before it, or the submit stopped
    before it): a later run claims the attempt again rather than stop on it as ambiguous."""
    with contextlib.suppress(asyncio.CancelledError):  # cancelled again: the grace is over
        await uninterrupted(_refused(ledger, intent))


async def _refused(ledger: SubmissionLedger, intent: LedgerEntry) -> None:
    try:
        await ledger.record_refused(intent)
    except Exception as error:  # the refusal is the news; a later run stops, safely
        logger.warning("%s: could not mark the refused create in the ledger (%s)",
                       intent.key, type(error).__name__)  # fmt: skip


async def _post(
    request: GenerationRequest,
    intent: LedgerEntry,
    client: RunwayClient,
    ledger: SubmissionLedger,
    run: str,
) -> SubmittedTask:
    crash_point("before_post")

    async def create_and_record() -> SubmittedTask:
        key = intent.key
        try:
            created = await client.create(request)
        except (RunwayAPIError, RunwayConnectionError):
            # Runway answered that it created nothing (4xx, a 503 that outlasted the retries), or
            # was never reached: the intent must not stop a later run as if it might be billed.
            await _refused(ledger, intent)
            raise
        crash_point("after_post")
        estimate = created.estimated_cost.credits if created.estimated_cost else None
        # Logged before it is recorded: if the record fails for good, the id is still known.
        # It names the attempt: the submits of a flow run share one task run (issue 20), whose
        # name tells only the first, so a line without its key says nothing of whose it is.
        logger.info(
            "Submitted %s (attempt %s) as Runway task %s (estimated %s credits)",
            request.model,
            key,
            created.id,
            estimate if estimate is not None else "?",
        )
        entry: LedgerEntry | None = None
        try:
            entry = await ledger.record_submitted(
                intent, task_id=created.id, estimated_credits=estimate, run=run
            )
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
            submitted_at=entry.submitted_at if entry and entry.submitted_at else ledger.clock(),
            entry=entry,
        )

    # A POST once sent may be billed: a cancellation arriving before its answer (a user's
    # cancel of a batch reaching a row mid-create) must not drop the task id, or nobody can
    # DELETE the task (the on_cancellation hook finds it by the id in the ledger) and every
    # re-run stops on it as ambiguous. So the create and its record end first (within the
    # clean-up grace), then the cancellation goes on.
    try:
        return await uninterrupted(create_and_record())
    except asyncio.CancelledError:
        logger.warning("%s: cancelled while its create was in flight; a task it created is in "
                       "the ledger for the cancellation to find", intent.key)  # fmt: skip
        raise


@task(
    name="runway-submit",
    task_run_name="submit-{key}",
    cache_policy=NO_CACHE,
    retries=0,
)
async def submit_generation(
    request: GenerationRequest,
    *,
    key: str,
    client: RunwayClient,
    ledger: SubmissionLedger,
    allow_resubmit: bool = False,
    run: str | None = None,
    over: LedgerEntry | None = None,
    before_post: Callable[[LedgerEntry], Awaitable[None]] | None = None,
) -> SubmittedTask:
    """Submit one attempt of a generation (a Prefect task; the ledger makes it idempotent).

    Args:
        request: The validated request, inputs prepared.
        key: The attempt key.
        client: The Runway client.
        ledger: The submission ledger.
        allow_resubmit: Resubmit over an intent with no task id (may pay twice).
        run: Who attaches to the task.
        over: The unresolved entry a resubmit goes over.
        before_post: Awaited once the claim is won, before the POST (may refuse).
    """
    return await submit_once(
        request, key=key, client=client, ledger=ledger, allow_resubmit=allow_resubmit,
        run=run, over=over, before_post=before_post,
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# One ``runway-submit`` task run per flow run (issue 20)

#: The shared task run's name: ``runway-submit (first <attempt key>)``.
SHARED_SUBMIT_RUN_NAME = "runway-submit (first {key})"


def _shared_run_name() -> str:
    from prefect.runtime import task_run

    return SHARED_SUBMIT_RUN_NAME.format(key=task_run.parameters["first_key"])


@task(name="runway-submit", task_run_name=_shared_run_name, cache_policy=NO_CACHE, retries=0)
async def _hold_submits(shared: SharedCalls, first_key: str) -> int:
    """The shared task run: it lives while any of the flow run's submits is in flight.

    Returns:
        How many submits it held.
    """
    return await hold_calls(shared)


class SharedSubmits(SharedTaskRun):
    """The submits of one flow run, held by one ``runway-submit`` task run while any is in flight.

    A task run per submit cost the flow process about 3 ms of CPU and the server about 17 ms
    (BENCHMARKS.md 7.11), as much as a generation's whole create and ledger writes, for a step
    that has no Prefect retries (the client's failure matrix is the only HTTP retry layer) and
    no cache (the ledger is the one source of truth). So ``generate``'s submits share one, as
    its waits do (``tasks/shared_runs.py``); a batch or a storyboard holds it from its first
    row to its last. Each submit stays its own coroutine (``submit_once``): its claim, its
    POST, its ledger record, its logs (they land in the shared task run). A caller cancelled
    while its create is in flight gets its cancellation once the create and its record have
    ended (``submit_once``); a SIGTERM in the shared task run or in any submit stops every
    submit the same way, then reaches every caller.

    Example:
        ```python
        submitted = await SharedSubmits.current().run(key, lambda: submit_once(...))
        ```
    """

    runner_name = "runway-shared-submit"
    call_name = "runway-submit"

    async def _task_run(self, shared: SharedCalls) -> int:
        return await _hold_submits(shared, shared.first)

    def _not_begun(self, first: str) -> None:
        logger.debug("%s: cancelled before its submit began; nothing was sent", first)


async def submit_in_shared_run(
    request: GenerationRequest,
    *,
    key: str,
    client: RunwayClient,
    ledger: SubmissionLedger,
    allow_resubmit: bool = False,
    run: str | None = None,
    over: LedgerEntry | None = None,
    before_post: Callable[[LedgerEntry], Awaitable[None]] | None = None,
) -> SubmittedTask:
    """``submit_generation`` without a task run of its own: under the flow run's shared one.

    Same arguments, outcome and exceptions as ``submit_generation``; the submit runs in the
    flow run's one ``runway-submit`` task run (``SharedSubmits``).

    Raises:
        SubmitNotStarted: That task run could not start (a Prefect API error): nothing was
            claimed or sent.

    Example:
        ```python
        submitted = await submit_in_shared_run(request, key=key, client=client, ledger=ledger)
        ```
    """
    run = run or current_run()  # read in the caller's context, as the task run's body did
    began = False

    def submitting() -> Awaitable[SubmittedTask]:
        nonlocal began
        began = True
        return submit_once(
            request, key=key, client=client, ledger=ledger, allow_resubmit=allow_resubmit,
            run=run, over=over, before_post=before_post,
        )  # fmt: skip

    try:
        return await SharedSubmits.current().run(key, submitting)
    except Exception as error:
        if began:
            raise  # the submit's own outcome
        # Said as such: a row's failure must not read as a submit that may have been billed
        # (its budget reservation is given back), and the next row starts a new task run.
        raise SubmitNotStarted(
            f"{key}: the runway-submit task run could not start ({type(error).__name__}: "
            f"{error}); nothing was sent"
        ) from error
