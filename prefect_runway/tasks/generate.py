"""``generate``: one generation's whole life, from request to output and sidecar in S3.

```
plan (tasks/plan.py, once): key, where it lands, what S3 and the ledger hold, its price
stored (sidecar + object)? --------------------------------------------> done: no GET, no POST
sidecar without its object? -------------------------------------------> restore from the task
for each step (tasks/plan.py next_step, after every outcome):
    submit attempt n:  claim the name and the attempt (conditional writes), reserve the price
                       in the run's budget, prepare inputs, POST once, record the task id
    reattach:          attach to the attempt's task (a lease in the ledger)
    wait --> SUCCEEDED: store outputs, sidecar last, done
             FAILED, retryable: the next step (a new, paid attempt, priced like the first)
             FAILED otherwise, CANCELLED, queue timeout: failed result with Runway's reason
             404 past the window after its create (vanished): stop and say so, pay nothing
```

``generate`` is a plain async function, not a task, on purpose: its steps are Prefect tasks
called directly from the flow, so each commits its record as soon as it returns. Inside a task
they would commit only with the parent, and a crash would forget the submitted task id.

The loop itself (``execute_plan``) knows nothing of Prefect: its steps come from a
``GenerationSteps``, so the model-based tests drive the very same decisions over an in-memory
S3 and a fake Runway (tests/reliability/test_ledger_model.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, TypeVar, cast

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import opaque
from prefect_aws import S3Bucket
from pydantic import BaseModel, ConfigDict

from prefect_runway.api import (
    GenerationRequest,
    QueueTimeout,
    RunwayClient,
    Task,
    TaskNotFound,
    TaskStatus,
    TaskVanished,
    WaitPolicy,
    parse_generation_request,
)
from prefect_runway.api.catalogue import OutputKind, output_kind
from prefect_runway.api.errors import PrefectRunwayError, RunwayAPIError, RunwayConnectionError
from prefect_runway.api.media import redact_url
from prefect_runway.blocks import RunwayCredentials
from prefect_runway.tasks._crash import crash_point
from prefect_runway.tasks.allowed_inputs import InputPolicy
from prefect_runway.tasks.cost import OverBudget
from prefect_runway.tasks.inputs import S3Reader, needs_preparation, prepare_inputs
from prefect_runway.tasks.ledger import LedgerEntry, NameHolder, SubmissionLedger
from prefect_runway.tasks.locations import NameTaken, OutputLocation
from prefect_runway.tasks.plan import (
    Action,
    CreditBudget,
    GenerationPlan,
    Reservation,
    Step,
    name_is_replaceable,
    next_step,
    plan_generation,
    sidecar_reader,
)
from prefect_runway.tasks.run_ledgers import announce_ledger
from prefect_runway.tasks.run_logs import send_package_logs_to_runs
from prefect_runway.tasks.spec import GenerationSpec, InputError
from prefect_runway.tasks.store import (
    StoredObject,
    read_sidecar,
    resolve_key,
    store_output,
    write_sidecar,
)
from prefect_runway.tasks.submit import (
    SubmitNotStarted,
    SubmittedTask,
    current_run,
    submit_in_shared_run,
    unresolved_intent,
)
from prefect_runway.tasks.wait import Attachment, prefect_run_alive, wait_in_shared_run

__all__ = [
    "GenerationFailed",
    "GenerationResult",
    "GenerationSteps",
    "execute_plan",
    "generate",
    "store_task",
]

logger = logging.getLogger(__name__)

SIDECAR_VERSION = 1
#: Steps one call takes at most: attempts, reattachments, claims lost to other runs.
_MAX_STEPS = 200
#: Pause before deciding again while another run's cancellation is on its way.
_SETTLE_SECONDS = 1.0


class GenerationResult(BaseModel):
    """What became of one generation.

    Attributes:
        key: The generation key.
        name: The output's stem in S3.
        status: ``succeeded`` (output and sidecar in S3), ``failed``, or ``waiting`` (detached:
            submitted and not finished yet; its task id is in the ledger).
        model: The Runway model.
        task_id: The Runway task of the last attempt.
        attempts: Attempts made (each a paid submission, or a reattachment to one).
        output_uri: ``s3://`` URI of the output, when stored.
        sidecar_uri: ``s3://`` URI of the sidecar JSON, when stored.
        sha256: The stored output's sha256.
        size: The stored output's size in bytes.
        content_type: The stored output's Content-Type.
        credits: What Runway charged for the successful attempt (``cost.credits``).
        total_credits: What all attempts cost, as far as Runway reported.
        credits_spent: What the attempts *this call created* cost (0 when it only reattached
            to, or found, work another run paid for).
        failure: Runway's reason, for a failed generation.
        failure_code: Runway's code, or ours: ``TASK_VANISHED``, ``OUTPUT_MISSING``,
            ``OVER_BUDGET``, ``QUEUE_TIMEOUT``, ``ATTEMPTS_EXHAUSTED``.
        from_sidecar: True when an earlier run had already stored it (nothing was requested).
        seconds: Wall time of this call.
    """

    model_config = ConfigDict(frozen=True)

    key: str
    name: str
    status: Literal["succeeded", "failed", "waiting"]
    model: str
    task_id: str | None = None
    attempts: int = 0
    output_uri: str | None = None
    sidecar_uri: str | None = None
    sha256: str | None = None
    size: int | None = None
    content_type: str | None = None
    credits: float | None = None
    total_credits: float | None = None
    credits_spent: float = 0.0
    failure: str | None = None
    failure_code: str | None = None
    from_sidecar: bool = False
    seconds: float = 0.0

    def raise_for_status(self) -> GenerationResult:
        """Raise ``GenerationFailed`` if the generation failed; return self otherwise."""
        if self.status == "failed":
            raise GenerationFailed(self)
        return self


class GenerationFailed(PrefectRunwayError):
    """A generation ended without an output (content refused, cancelled, attempts used up)."""

    def __init__(self, result: GenerationResult) -> None:
        self.result = result
        code = f" [{result.failure_code}]" if result.failure_code else ""
        super().__init__(
            f"generation {result.name} ({result.model}) failed after {result.attempts} "
            f"attempt(s){code}: {result.failure or 'no reason given'}"
        )


def _redacted_request(body: Mapping[str, Any]) -> Any:
    """The request as the sidecar keeps it: no data-URI bodies, no signed query strings."""

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, str) and value.startswith(("data:", "https://", "http://")):
            return redact_url(value)
        return value

    return clean(dict(body))


def _s3_uri(bucket: S3Bucket, key: str) -> str:
    return f"s3://{bucket.bucket_name}/{resolve_key(bucket, key)}"


# ---------------------------------------------------------------------------------------------
# The steps, as Prefect tasks

_V = TypeVar("_V")


def _whole(value: _V) -> _V:
    """``value`` as a task's argument that Prefect's engine passes on without walking into it.

    The engine walks every argument of a task run through ``visit_collection`` twice (the
    run's inputs sent to the server, then the resolution of futures and states in them): into
    every field of a block, its credentials, a request, a ledger entry. None of these
    arguments can hold a future or a state (the steps are awaited, never submitted), so
    ``opaque`` skips the walk and changes nothing else: the task receives the value itself
    (issue 20: a few hundred microseconds of the flow's CPU per task run).
    """
    return cast(_V, opaque(value))


def _retry_unless_refused(task: Any, task_run: Any, state: Any) -> bool:
    """Retry a failed preparation unless its input was refused: reading it again cannot help."""
    return not isinstance(state.data, InputError)


@task(
    name="runway-prepare-inputs", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2,
    retry_condition_fn=_retry_unless_refused,
)  # fmt: skip
async def prepare_generation_inputs(
    spec: GenerationSpec,
    client: RunwayClient,
    content_ids: dict[tuple[str | int, ...], str],
    s3: S3Reader | None,
    ledger: SubmissionLedger,
    policy: InputPolicy | None = None,
) -> dict[tuple[str | int, ...], str]:
    """Local and S3 inputs as data URIs or uploads (a Prefect task; uploads are idempotent)."""
    prepared = await prepare_inputs(
        spec, client, content_ids=content_ids, s3=s3, ledger=ledger, policy=policy
    )
    return prepared.uris


@task(name="runway-store", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
async def store_generation(
    client: RunwayClient,
    task_id: str,
    output_url: str,
    index: int,
    destination: S3Bucket,
    key_without_extension: str,
    extra_args: Mapping[str, Any] | None,
    expected: OutputKind | None = None,
) -> StoredObject:
    """Stream one output into S3 (a Prefect task); an expired link is refreshed once."""

    async def fresh_link() -> str:
        return (await client.get_task(task_id)).output[index]

    stream = client.output_stream(output_url, refresh=fresh_link)
    # ``_store`` logs the generation's one "stored" line, with this object's size and sha256.
    return await store_output(
        stream, destination, key_without_extension, extra_args=extra_args, expected=expected,
        log_stored=False,
    )  # fmt: skip


class GenerationSteps(Protocol):
    """What executing a plan needs from the world: Prefect tasks in ``generate``, fakes in the
    model-based tests."""

    async def prepare(self, plan: GenerationPlan) -> GenerationRequest:
        """The request with its inputs prepared (done once per call, reused by retries)."""
        ...

    async def submit(
        self,
        request: GenerationRequest,
        *,
        key: str,
        over: LedgerEntry | None,
        before_post: Callable[[LedgerEntry], Awaitable[None]],
    ) -> SubmittedTask:
        """Claim the attempt and POST at most once (``tasks/submit.py``); ``before_post`` runs
        once the claim is won (it holds the output name) and may refuse by raising."""
        ...

    async def wait(
        self, task_id: str, *, attachment: Attachment, created_at: datetime | None
    ) -> Task:
        """Wait for the task to end (raises the ``WaitEnded`` family)."""
        ...

    async def get_task(self, task_id: str) -> Task: ...

    async def store(
        self, task: Task, plan: GenerationPlan, attempt: int, total_credits: float
    ) -> GenerationResult:
        """Stream the outputs of a SUCCEEDED task into S3, sidecar last."""
        ...

    async def stored(self, plan: GenerationPlan) -> GenerationResult | None:
        """The result if the output is stored now (another run stored it meanwhile)."""
        ...


class _PrefectSteps:
    """The steps of ``generate``: Prefect tasks against Runway and the S3Bucket."""

    def __init__(
        self,
        *,
        client: RunwayClient,
        destination: S3Bucket,
        ledger: SubmissionLedger,
        s3: S3Reader,
        policy: WaitPolicy,
        allow_resubmit: bool,
        extra_args: Mapping[str, Any] | None,
        on_update: Callable[[Task], Awaitable[None]] | None,
        run: str,
        started: float,
        input_policy: InputPolicy | None = None,
    ) -> None:
        self.client, self.destination, self.ledger, self.s3 = client, destination, ledger, s3
        self.policy, self.allow_resubmit, self.extra_args = policy, allow_resubmit, extra_args
        self.on_update, self.run, self.started = on_update, run, started
        self.input_policy = input_policy

    async def prepare(self, plan: GenerationPlan) -> GenerationRequest:
        spec = plan.spec
        if needs_preparation(spec):
            uris = await prepare_generation_inputs(
                _whole(spec), _whole(self.client), _whole(plan.content_ids), _whole(self.s3),
                _whole(self.ledger), _whole(self.input_policy),
            )  # fmt: skip
        else:
            # Only URIs, nothing to read or retry: no task run for the server to record.
            prepared = await prepare_inputs(
                spec, self.client, content_ids=plan.content_ids, policy=self.input_policy
            )
            uris = prepared.uris
        return parse_generation_request(spec.with_media(uris), endpoint=spec.endpoint)

    async def submit(
        self,
        request: GenerationRequest,
        *,
        key: str,
        over: LedgerEntry | None,
        before_post: Callable[[LedgerEntry], Awaitable[None]],
    ) -> SubmittedTask:
        # Under the flow run's one ``runway-submit`` task run, not one per attempt (issue 20):
        # the ledger, not the task run, is what makes the submit safe and findable.
        return await submit_in_shared_run(
            request, key=key, client=self.client, ledger=self.ledger,
            allow_resubmit=self.allow_resubmit, run=self.run, over=over, before_post=before_post,
        )  # fmt: skip

    async def wait(
        self, task_id: str, *, attachment: Attachment, created_at: datetime | None
    ) -> Task:
        # Under the flow run's one ``runway-wait`` task run, not one per generation (issue
        # 20): the hook finds the task through ``attachment``'s ledger entry. No SUCCEEDED
        # line: the "stored" line that follows says it (``_Execution.wait``).
        return await wait_in_shared_run(
            self.client, task_id, self.policy, on_update=self.on_update,
            attachment=attachment, created_at=created_at, log_succeeded=False,
        )  # fmt: skip

    async def get_task(self, task_id: str) -> Task:
        return await self.client.get_task(task_id)

    async def store(
        self, task: Task, plan: GenerationPlan, attempt: int, total_credits: float
    ) -> GenerationResult:
        return await _store(
            plan, attempt, task, self.client, self.destination, self.extra_args,
            total_credits, self.started,
        )  # fmt: skip

    async def stored(self, plan: GenerationPlan) -> GenerationResult | None:
        # The plan's sidecar, when it holds this generation, was read (and its output found
        # by a HEAD) by this call's plan: a re-run of a done generation reads it once (issue
        # 20). Without one (a task that vanished while we waited), another run may have
        # stored it since: read.
        sidecar = plan.sidecar
        if sidecar is None or sidecar.get("key") != plan.key:
            sidecar = await read_sidecar(self.destination, plan.location.sidecar_key)
        if sidecar is None or sidecar.get("key") != plan.key:
            return None
        uri = _s3_uri(self.destination, plan.location.sidecar_key)
        return _from_sidecar(sidecar, plan.name, uri, self.started)


# ---------------------------------------------------------------------------------------------
# generate


async def generate(
    spec: GenerationSpec | Mapping[str, Any],
    *,
    destination: S3Bucket,
    prefix: str = "",
    credentials: RunwayCredentials | None = None,
    client: RunwayClient | None = None,
    wait_policy: WaitPolicy | None = None,
    max_attempts: int = 3,
    allow_resubmit: bool = False,
    extra_args: Mapping[str, Any] | None = None,
    on_update: Callable[[Task], Awaitable[None]] | None = None,
    detach: bool = False,
    input_policy: InputPolicy | None = None,
    plan: GenerationPlan | None = None,
    budget: CreditBudget | None = None,
) -> GenerationResult:
    """Run one generation to its end: output and sidecar in S3, or a failed result.

    Call it from a flow (sync flows: through ``asyncio.run`` or an async flow). Re-running with
    the same arguments costs nothing once the output and its sidecar are in S3, and reattaches
    to the same Runway task if an earlier run was interrupted after submitting. Runs of the
    same generation at once, on any machine, pay once: the ledger in the destination bucket
    is claimed with conditional writes.

    Args:
        spec: The generation (a ``GenerationSpec`` or its fields as a mapping).
        destination: The prefect-aws ``S3Bucket`` for outputs, sidecars and the ledger.
        prefix: Key prefix under the bucket's folder.
        credentials: Runway credentials (or pass ``client``).
        client: A Runway client to share between generations.
        wait_policy: Poll interval, queue/run budgets and the 404 window (default: 5 s polls,
            no budgets, 120 s).
        max_attempts: Attempts for retryable failures (each is a new paid generation).
        allow_resubmit: Pay again over an attempt whose earlier submit may have been billed
            with its id lost (``AmbiguousSubmission``), or whose task vanished; this may pay
            twice.
        extra_args: boto3 ExtraArgs for the output (SSE, StorageClass, Metadata...).
        on_update: Awaited with the task when its status or progress changes.
        detach: Do not wait: submit (or reattach), read the task once, and return ``waiting``
            unless it has finished. Calling again later stores it (the sweep flow
            does), with no new create.
        input_policy: Where local and ``s3://`` inputs may be read from. By default the
            worker's ``RUNWAY_INPUT_ROOTS`` and ``RUNWAY_INPUT_BUCKETS``, the ``input_roots``
            and ``input_buckets`` of ``credentials``, the destination bucket, and, in a script
            run (not a deployment's), the working directory
            (``prefect_runway.tasks.allowed_inputs``).
        plan: The plan a flow already made for its checks (``plan_generation``); made here
            otherwise. A plan is for one call: it is a snapshot.
        budget: The run's credit budget (shared by a batch's generations): every paid
            attempt is reserved against it before its POST. A model without a published
            price is refused under its ``max_credits`` unless its ``price_caps`` caps it.

    Returns:
        The result; a failed generation is returned, not raised (``raise_for_status()``).

    Raises:
        pydantic.ValidationError, InputError, InvalidName, NameTaken: bad request, input
            (``InputNotAllowed``: outside the allowed folders and buckets) or name; nothing
            spent.
        runway.AmbiguousSubmission: see ``allow_resubmit``.
        runway.RunTimeout: the task ran too long; it was left running, its id is in the ledger.
        SubmitNotStarted: the flow run's ``runway-submit`` task run could not start (a Prefect
            API error, its cause); nothing was sent.

    Example:
        ```python
        from prefect import flow
        from prefect_aws import S3Bucket
        from prefect_runway import RunwayCredentials, generate

        @flow
        async def scene() -> str:
            result = await generate(
                {"request": {"model": "gen4_turbo", "promptImage": "stills/harbour.png",
                             "ratio": "1280:720", "duration": 5}, "name": "harbour"},
                destination=await S3Bucket.aload("renders"),
                credentials=await RunwayCredentials.aload("runway"),
            )
            return result.raise_for_status().output_uri
        ```
    """
    send_package_logs_to_runs()  # task ids, "reattaching", "already stored" in the run's logs
    started = time.monotonic()
    spec = spec if isinstance(spec, GenerationSpec) else GenerationSpec.model_validate(spec)
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    spec.validate_request()  # every rule that needs no file: before anything is read or sent
    policy = input_policy or InputPolicy.for_blocks(destination, credentials)
    if client is None:
        if credentials is None:
            raise ValueError("generate needs credentials or a client")
        async with credentials.get_client() as own_client:
            return await _generate(
                spec, own_client, destination, prefix, wait_policy, max_attempts,
                allow_resubmit, extra_args, on_update, started, detach, policy, plan, budget,
            )  # fmt: skip
    return await _generate(
        spec, client, destination, prefix, wait_policy, max_attempts,
        allow_resubmit, extra_args, on_update, started, detach, policy, plan, budget,
    )  # fmt: skip


async def _generate(
    spec: GenerationSpec,
    client: RunwayClient,
    destination: S3Bucket,
    prefix: str,
    wait_policy: WaitPolicy | None,
    max_attempts: int,
    allow_resubmit: bool,
    extra_args: Mapping[str, Any] | None,
    on_update: Callable[[Task], Awaitable[None]] | None,
    started: float,
    detach: bool,
    input_policy: InputPolicy,
    plan: GenerationPlan | None,
    budget: CreditBudget | None,
) -> GenerationResult:
    s3 = S3Reader(destination.credentials.get_s3_client())
    budget = budget or CreditBudget(max_credits=None)
    if plan is None:
        plan = await plan_generation(
            spec, destination=destination, prefix=prefix, client=client, s3=s3,
            max_attempts=max_attempts, allow_resubmit=allow_resubmit, input_policy=input_policy,
            estimate=budget.max_credits is not None, price_caps=budget.price_caps,
        )  # fmt: skip
    ledger = SubmissionLedger(destination, plan.location.ledger_folder)
    run = current_run()
    # Before any claim: the cancellation hook finds this run's tasks in this ledger by it.
    await announce_ledger(destination, ledger.folder, ledger.location, run)
    steps = _PrefectSteps(
        client=client, destination=destination, ledger=ledger, s3=s3,
        policy=wait_policy or WaitPolicy(), allow_resubmit=allow_resubmit,
        extra_args=extra_args, on_update=on_update, run=run, started=started,
        input_policy=input_policy,
    )  # fmt: skip

    async def replaceable(holder: NameHolder) -> bool:
        reader = sidecar_reader(destination, plan.location)
        return await name_is_replaceable(ledger, reader, holder)

    return await execute_plan(
        plan, steps, ledger=ledger, budget=budget, run=run, detach=detach, started=started,
        replaceable=replaceable, alive=prefect_run_alive,
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The loop


async def execute_plan(
    plan: GenerationPlan,
    steps: GenerationSteps,
    *,
    ledger: SubmissionLedger,
    budget: CreditBudget,
    run: str,
    replaceable: Callable[[NameHolder], Awaitable[bool]],
    detach: bool = False,
    started: float | None = None,
    alive: Callable[[str], Awaitable[bool]] | None = None,
    claim_wait: float | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> GenerationResult:
    """Carry out a plan, deciding after every outcome with ``next_step`` on a fresh ledger read.

    Prefect-free: ``steps`` does the I/O. Nothing is paid except in ``steps.submit`` after the
    attempt was claimed, the name held and the price reserved in ``budget``.

    Args:
        plan: The plan (``plan_generation``).
        steps: Prepare, submit, wait, store.
        ledger: The ledger of the plan's location.
        budget: The run's budget.
        run: Who attaches to the tasks waited on.
        replaceable: Whether the generation holding the plan's name has let go of it.
        detach: Return ``waiting`` instead of waiting for an unfinished task.
        started: ``time.monotonic()`` at the call's start.
        alive: Whether another attached run still lives (for cancellations).
        claim_wait: Seconds another run's fresh claim counts as in flight.
        sleep: How to pause (tests pass a fake clock's).
    """
    started = time.monotonic() if started is None else started
    execution = _Execution(plan, steps, ledger, budget, run, replaceable, started, alive)
    execution.sleep = sleep
    return await execution.run(detach=detach, claim_wait=claim_wait)


class _Execution:
    """The state of one ``execute_plan`` call (a class to keep the loop readable)."""

    def __init__(
        self,
        plan: GenerationPlan,
        steps: GenerationSteps,
        ledger: SubmissionLedger,
        budget: CreditBudget,
        run: str,
        replaceable: Callable[[NameHolder], Awaitable[bool]],
        started: float,
        alive: Callable[[str], Awaitable[bool]] | None,
    ) -> None:
        self.plan, self.steps, self.ledger, self.budget = plan, steps, ledger, budget
        self.run_id, self.replaceable, self.started, self.alive = run, replaceable, started, alive
        self.spent = 0.0
        self.credits: dict[int, float] = {
            attempt: entry.credits
            for attempt, entry in enumerate(plan.entries, start=1)
            if entry is not None and entry.credits is not None
        }
        self.request: GenerationRequest | None = None
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self.task_id: str | None = None

    # --- results ------------------------------------------------------------------------------

    @property
    def total_credits(self) -> float:
        return sum(self.credits.values())

    def failed(
        self, attempt: int, failure: str, code: str, task_id: str | None = None
    ) -> GenerationResult:
        plan = self.plan
        logger.error("%s: %s", plan.name, failure)
        return GenerationResult(
            key=plan.key, name=plan.name, status="failed", model=plan.spec.model,
            task_id=task_id or self.task_id, attempts=attempt, failure=failure,
            failure_code=code, total_credits=self.total_credits, credits_spent=self.spent,
            seconds=time.monotonic() - self.started,
        )  # fmt: skip

    def finished(self, result: GenerationResult) -> GenerationResult:
        return result.model_copy(
            update={"credits_spent": self.spent, "seconds": time.monotonic() - self.started}
        )

    # --- the loop -----------------------------------------------------------------------------

    async def run(self, *, detach: bool, claim_wait: float | None) -> GenerationResult:
        plan = self.plan
        step = plan.step
        for _ in range(_MAX_STEPS):
            outcome = await self.take(step, detach=detach)
            if isinstance(outcome, GenerationResult):
                return self.finished(outcome)
            entries = await self.ledger.read_attempts(plan.key, until=100)
            step = next_step(
                entries, max_attempts=plan.max_attempts, allow_resubmit=plan.allow_resubmit,
                now=self.ledger.clock(), claim_wait=claim_wait,
            )  # fmt: skip
            if step.action is Action.SUBMIT and step.attempt > outcome.attempt:
                logger.warning("%s: retrying as attempt %d", plan.name, step.attempt)
        raise RuntimeError(f"{plan.name}: no end after {_MAX_STEPS} steps")  # pragma: no cover

    async def take(self, step: Step, *, detach: bool) -> GenerationResult | Step:
        """Do one step: a result ends the call, a step (the one just taken) asks to decide
        again on a fresh read of the ledger."""
        plan, entry = self.plan, step.entry
        match step.action:
            case Action.STORED:
                assert plan.sidecar is not None
                logger.info("%s: already stored (%s); nothing to do", plan.name,
                            plan.sidecar.get("output_uri"))  # fmt: skip
                stored = await self.steps.stored(plan)
                if stored is not None:
                    return stored
                raise RuntimeError(f"{plan.name}: the stored sidecar disappeared; run again")
            case Action.RESTORE:
                return await self.restore(step)
            case Action.NAME_TAKEN:
                raise NameTaken(plan.problem or f"name {plan.name!r} is taken")
            case Action.AMBIGUOUS:
                assert entry is not None
                raise unresolved_intent(entry, plan.spec.model)
            case Action.VANISHED:
                assert entry is not None
                return self.failed(
                    step.attempt,
                    f"Runway task {entry.task_id} vanished (it answered 404 past the window "
                    "after its create: deleted or cancelled elsewhere); no new attempt was "
                    "paid for. Run again with allow_resubmit to pay for one",
                    "TASK_VANISHED", entry.task_id,
                )  # fmt: skip
            case Action.FAILED:
                assert entry is not None
                return self.failed(
                    step.attempt, entry.failure or f"attempt {step.attempt} failed",
                    entry.failure_code or "FAILED", entry.task_id,
                )  # fmt: skip
            case Action.EXHAUSTED:
                return self.failed(
                    step.attempt,
                    f"no output after {plan.max_attempts} attempts (each failed for a "
                    "retryable reason)",
                    "ATTEMPTS_EXHAUSTED", entry.task_id if entry else None,
                )  # fmt: skip
            case Action.SUBMIT | Action.WAIT_FOR_CLAIM:
                return await self.submit_and_wait(step, detach=detach)
            case Action.REATTACH:
                return await self.reattach_and_wait(step, detach=detach)
        raise AssertionError(step)  # pragma: no cover

    async def hold_name(self, _intent: LedgerEntry | None = None) -> None:
        """Claim (renew) the output name: after the attempt's intent, before its POST.

        A conditional write each time: a takeover by another generation, decided before our
        intent existed, then fails on the record's ETag (``SubmissionLedger.claim_name``).
        """
        plan = self.plan
        location = plan.location
        holder = await self.ledger.claim_name(
            location.normalised_name, name=location.name, key=plan.key,
            replaceable=self.replaceable,
        )  # fmt: skip
        if holder.key != plan.key:
            raise NameTaken(
                f"name {location.name!r} belongs to another generation ({holder.key}) that is "
                "in flight or stored; storing this one there would lose it. Choose another "
                "name; nothing was sent"
            )

    async def submit_and_wait(self, step: Step, *, detach: bool) -> GenerationResult | Step:
        plan = self.plan
        key = plan.location.attempt_key(step.attempt)
        reservation: Reservation | None = None
        if plan.estimate is not None:
            try:
                reservation = self.budget.reserve(
                    plan.estimate.at_most, f"{plan.name} (attempt {step.attempt})"
                )
            except OverBudget as refusal:
                return self.failed(step.attempt, str(refusal), "OVER_BUDGET")
        try:
            if self.request is None:
                self.request = await self.steps.prepare(plan)
            submitted = await self.steps.submit(
                self.request, key=key, over=step.entry if step.resubmit else None,
                before_post=self.hold_name,
            )  # fmt: skip
        except (RunwayAPIError, RunwayConnectionError, NameTaken, SubmitNotStarted):
            if reservation is not None:  # refused, or never sent: nothing was created
                self.budget.release(reservation)
            raise
        except BaseException:
            if reservation is not None:  # may have been billed: count it
                self.budget.settle(reservation, None)
            raise
        if submitted.reused and reservation is not None:
            self.budget.release(reservation)
            reservation = None
        self.task_id = submitted.task_id
        entry = submitted.entry or await self.ledger.read(key)
        if submitted.reused:
            attached = await self.ledger.attach(key, task_id=submitted.task_id, run=self.run_id)
            if attached is None or attached.state == "cancelling":
                return await self.settle_down(step)  # a user's cancellation is on its way
            entry = attached
        created_at = entry.created_at if entry is not None else submitted.submitted_at
        mine = None if submitted.reused else submitted.estimated_credits
        return await self.wait(
            step, key, submitted.task_id, created_at, reservation, detach,
            mine=not submitted.reused, estimated=mine,
        )  # fmt: skip

    async def settle_down(self, step: Step) -> Step:
        """Another run's DELETE is on its way (``cancelling``): let it land, then decide again
        (a cancelled attempt is claimed again: the user's cancellation allowed that)."""
        await self.sleep(_SETTLE_SECONDS)
        return step

    async def reattach_and_wait(self, step: Step, *, detach: bool) -> GenerationResult | Step:
        entry = step.entry
        assert entry is not None and entry.task_id is not None
        key = self.plan.location.attempt_key(step.attempt)
        logger.info("%s: attempt %d is Runway task %s; reattaching", self.plan.name,
                    step.attempt, entry.task_id)  # fmt: skip
        attached = await self.ledger.attach(key, task_id=entry.task_id, run=self.run_id)
        if attached is None or attached.state == "cancelling":
            return await self.settle_down(step)  # cancelled or replaced meanwhile
        self.task_id = entry.task_id
        return await self.wait(step, key, entry.task_id, attached.created_at, None, detach)

    async def wait(
        self,
        step: Step,
        key: str,
        task_id: str,
        created_at: datetime | None,
        reservation: Reservation | None,
        detach: bool,
        *,
        mine: bool = False,
        estimated: float | None = None,
    ) -> GenerationResult | Step:
        """Wait for the attempt's task and act on how it ended. ``mine``: this call created
        it, so what it costs is this call's spending (``estimated`` until Runway says)."""
        plan = self.plan

        def settle(charged: float | None) -> None:
            if reservation is not None:
                self.budget.settle(reservation, charged)
            if mine:
                fallback = reservation.credits if reservation is not None else estimated
                self.spent += charged if charged is not None else (fallback or 0.0)

        attachment = Attachment(
            self.ledger, key, task_id, self.run_id, alive=self.alive, created_at=created_at
        )
        if detach and not await self.is_finished(task_id):
            logger.info("%s: Runway task %s is not finished; detached", plan.name, task_id)
            await attachment.detach()
            return GenerationResult(
                key=plan.key, name=plan.name, status="waiting", model=plan.spec.model,
                task_id=task_id, attempts=step.attempt, total_credits=self.total_credits or None,
            )  # fmt: skip
        try:
            task = await self.steps.wait(task_id, attachment=attachment, created_at=created_at)
        except TaskVanished as vanished:
            settle(None)
            await self.ledger.record_outcome(key, task_id=task_id, state="vanished",
                                             run=self.run_id)  # fmt: skip
            stored = await self.steps.stored(plan)
            if stored is not None:
                return stored
            return self.failed(step.attempt, str(vanished), "TASK_VANISHED", task_id)
        except QueueTimeout as timeout:
            # Deleted while queued: the ledger says cancelled, and a re-run may claim the
            # attempt again. Detached, another run's wait goes on. Counted at its estimate
            # either way: Runway guarantees no refund for a DELETE of a queued task, and a
            # deleted task cannot be read for its cost, so the budget gives nothing back.
            settle(None)
            await attachment.detach()
            return self.failed(step.attempt, str(timeout), "QUEUE_TIMEOUT", task_id)
        except BaseException:
            # A run timeout (the task left running for recover), a cancellation (the wait
            # decided about the DELETE with the ledger), a crash: nothing more to say here.
            settle(None)
            raise
        credits = task.credits if task.is_terminal else None
        if credits is not None:
            self.credits[step.attempt] = credits
        settle(credits)
        if task.status is TaskStatus.SUCCEEDED:
            try:
                await self.ledger.record_outcome(
                    key, task_id=task_id, state="succeeded", run=self.run_id, credits=credits
                )
                return await self.steps.store(task, plan, step.attempt, self.total_credits)
            except BaseException:
                # The wait leaves the SUCCEEDED line to the "stored" line, which will not come:
                # the run's logs still say the task succeeded (and was paid) before the error.
                logger.info("task %s: %s", task_id, task.status.value)
                raise
        error = task.to_error()
        await self.ledger.record_outcome(
            key, task_id=task_id, state="failed", run=self.run_id, credits=credits,
            failure_code=error.failure_code or task.status.value, failure=error.failure,
            retryable=error.retryable,
        )  # fmt: skip
        if not error.retryable:
            return self.failed(
                step.attempt, error.failure or str(error),
                error.failure_code or task.status.value, task_id,
            )  # fmt: skip
        logger.warning("%s: %s", plan.name, error)
        return step

    async def is_finished(self, task_id: str) -> bool:
        """Whether the task has ended (a vanished one counts: the wait handles it)."""
        try:
            return (await self.steps.get_task(task_id)).is_terminal
        except TaskNotFound:
            return True

    async def restore(self, step: Step) -> GenerationResult:
        """Store again the output a sidecar vouches for but S3 no longer holds: from its task's
        fresh links, paying nothing; report it when the task cannot give it."""
        plan = self.plan
        sidecar = plan.sidecar or {}
        task_id = sidecar.get("task_id")
        logger.warning("%s: %s; restoring it from Runway task %s", plan.name, plan.problem,
                       task_id)  # fmt: skip
        why = f"{plan.problem}, and Runway task {task_id}"
        if not task_id:
            return self.failed(step.attempt, f"{plan.problem}; no task id to restore it from",
                               "OUTPUT_MISSING")  # fmt: skip
        try:
            task = await self.steps.get_task(str(task_id))
        except TaskNotFound:
            return self.failed(
                step.attempt, f"{why} can no longer be read (404): nothing was paid; a new "
                "generation needs a new variant", "OUTPUT_MISSING", str(task_id),
            )  # fmt: skip
        if task.status is not TaskStatus.SUCCEEDED:
            return self.failed(step.attempt, f"{why} is {task.status.value}", "OUTPUT_MISSING",
                               str(task_id))  # fmt: skip
        self.credits[step.attempt] = task.credits or 0.0
        total = float(sidecar.get("total_credits") or self.total_credits)
        return await self.steps.store(task, plan, step.attempt, total)


# ---------------------------------------------------------------------------------------------
# Storing


async def store_task(
    task: Task,
    *,
    client: RunwayClient,
    destination: S3Bucket,
    stem: str,
    extra_args: Mapping[str, Any] | None,
    fields: Mapping[str, Any],
    location: OutputLocation | None = None,
    expected: OutputKind | None = None,
) -> tuple[dict[str, Any], StoredObject]:
    """Stream every output of a SUCCEEDED task into S3, then write its sidecar, last.

    Args:
        task: The SUCCEEDED task.
        client: The Runway client (for fresh links).
        destination: The S3Bucket.
        stem: Key of the outputs and sidecar without extension, under the bucket folder.
        extra_args: boto3 ExtraArgs, for the outputs and the sidecar.
        fields: What the caller knows besides the task (key, model, request...).
        location: The generation's keys (``tasks/locations.py``); ``stem`` is its stem.
        expected: What the request produces (``output_kind``), for links of no known type.

    Returns:
        The sidecar as written, and the stored sidecar object.
    """
    stored: list[StoredObject] = []
    for index, url in enumerate(task.output):
        object_stem = location.output_stem(index) if location else (
            stem if index == 0 else f"{stem}-{index}"
        )  # fmt: skip
        output = await store_generation(
            _whole(client), task.id, url, index, _whole(destination), object_stem,
            _whole(extra_args), _whole(expected),
        )  # fmt: skip
        stored.append(output)
    crash_point("before_sidecar")
    primary = stored[0] if stored else None
    sidecar: dict[str, Any] = {
        "version": SIDECAR_VERSION,
        "task_id": task.id,
        "provider": client.provider.name,
        "base_url": client.base_url,
        "credits": task.cost.credits if task.cost is not None else None,
        "created_at": task.created_at.isoformat() if task.created_at else None,
        "stored_at": datetime.now(UTC).isoformat(),
        "outputs": [o.model_dump() for o in stored],
        "output_uri": primary.uri if primary else None,
        "sha256": primary.sha256 if primary else None,
        "size": primary.size if primary else None,
        "content_type": primary.content_type if primary else None,
        **fields,
    }
    # The sidecar gets the outputs' ExtraArgs too: a bucket that requires SSE refuses it otherwise.
    written = await write_sidecar(destination, f"{stem}.json", sidecar, extra_args=extra_args)
    return sidecar, written


async def _store(
    plan: GenerationPlan,
    attempt: int,
    task: Task,
    client: RunwayClient,
    destination: S3Bucket,
    extra_args: Mapping[str, Any] | None,
    total: float,
    started: float,
) -> GenerationResult:
    spec = plan.spec
    request = spec.validate_request()
    credits = task.cost.credits if task.cost is not None else None
    sidecar, written = await store_task(
        task,
        client=client,
        destination=destination,
        stem=plan.location.stem,
        extra_args=extra_args,
        location=plan.location,
        expected=output_kind(request),
        fields={
            "key": plan.key,
            "name": plan.name,
            "attempt": attempt,
            "model": spec.model,
            "endpoint": request.endpoint,
            "request": _redacted_request(spec.request),
            "seed": request.to_api().get("seed"),
            "inputs": {".".join(map(str, path)): cid for path, cid in plan.content_ids.items()},
            "total_credits": total,
        },
    )
    more = len(sidecar["outputs"]) - 1
    # Also the generation's SUCCEEDED line: the wait leaves it out (issue 20: a line costs
    # the flow process about 0.7 ms of CPU), so this one names the task.
    logger.info(
        "%s: stored %s: %s bytes, sha256 %s (Runway task %s SUCCEEDED, %s credits)%s",
        plan.name,
        sidecar["output_uri"],
        sidecar["size"],
        sidecar["sha256"],
        task.id,
        credits,
        f"; and {more} more output(s), in the sidecar {written.uri}" if more > 0 else "",
    )
    return GenerationResult(
        key=plan.key, name=plan.name, status="succeeded", model=spec.model, task_id=task.id,
        attempts=attempt, output_uri=sidecar["output_uri"], sidecar_uri=written.uri,
        sha256=sidecar["sha256"], size=sidecar["size"], content_type=sidecar["content_type"],
        credits=credits, total_credits=total, seconds=time.monotonic() - started,
    )  # fmt: skip


def _from_sidecar(
    sidecar: Mapping[str, Any], name: str, sidecar_uri: str, started: float
) -> GenerationResult:
    return GenerationResult(
        key=sidecar["key"], name=name, status="succeeded", model=sidecar["model"],
        task_id=sidecar.get("task_id"), attempts=sidecar.get("attempt", 1),
        output_uri=sidecar.get("output_uri"), sidecar_uri=sidecar_uri,
        sha256=sidecar.get("sha256"), size=sidecar.get("size"),
        content_type=sidecar.get("content_type"), credits=sidecar.get("credits"),
        total_credits=sidecar.get("total_credits"), from_sidecar=True,
        seconds=time.monotonic() - started,
    )  # fmt: skip
