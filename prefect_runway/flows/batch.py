"""The batch flow: every row of a manifest generated once, bounded per model, nothing lost.

* Malformed rows are reported with their line number; the others go on.
* Identical rows (same generation key) are generated once and share the output. Two different
  rows with one ``name`` (compared without case) would land on one key: the later one is
  refused by name before any POST, and reported.
* Submit ahead: at most ``concurrency_per_model`` generations of a model run at once, and up
  to ``queue_ahead`` more (by default as many, one wave) are submitted beyond them and wait in
  Runway's own queue (THROTTLED), so Runway starts the next one the moment a slot frees instead
  of after our next poll, store and POST. Credits are taken at create: every queued one is
  reserved against ``max_credits`` before its POST and counted against the daily limits before
  the batch, as the running ones are. A user's cancellation or a queue timeout DELETEs the
  queued tasks (likely refunded, not guaranteed by Runway); the queue timeout does not count
  the time a task waits behind our own tasks (``api/waiting.py``, ``OwnQueue``).
* A Prefect global concurrency limit named ``runway-<model>`` (when one exists as the batch
  starts) bounds the generations of a model across runs, workers and machines. It counts what
  is *submitted*, queued included: each generation holds a slot from before its POST until it
  is stored, so create it as the tier's concurrency plus the queue you want kept (for example
  20 + 4). A run asks the server for one slot at a time and hands a slot from one generation
  to the next with no Prefect call (``flows/global_slots.py``): the Prefect API calls per slot
  change do not grow with the generations waiting.
* Before any POST: every row is validated, planned and priced once (``tasks/plan.py``, over
  every attempt the ledger holds); ``dry_run`` shows the plans as a table artifact and stops;
  ``max_credits`` refuses a batch whose attempts to pay now are estimated above it; the
  organization's balance and per-model daily limits refuse a batch that cannot be paid for.
  Rows already stored or in flight cost nothing now; every attempt paid later (a retry, a row
  whose earlier attempt failed) is reserved against ``max_credits`` before its POST, so the
  budget holds for the whole run.
* A failed generation is reported with Runway's reason; successes are kept. A results manifest
  (JSONL, one line per manifest row) is written to S3 beside the outputs, a results table and a
  progress artifact show the run, and each generation emits ``runway.generation.succeeded`` or
  ``.failed``.

Example:
    ```python
    from prefect_runway.flows.batch import batch

    report = await batch("s3://inbox/2026-11-22.jsonl", destination_block="renders")
    ```
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import defaultdict
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, cast

import anyio
from botocore.exceptions import ClientError
from prefect import flow, get_run_logger
from prefect.artifacts import (
    acreate_progress_artifact,
    acreate_table_artifact,
    aupdate_progress_artifact,
)
from prefect.client.orchestration import get_client
from prefect.exceptions import ObjectNotFound
from prefect.states import Completed
from prefect_aws import S3Bucket
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from prefect_runway.api import (
    AmbiguousSubmission,
    RunTimeout,
    RunwayClient,
    WaitCancelled,
    WaitPolicy,
)
from prefect_runway.api.errors import PrefectRunwayError
from prefect_runway.api.pricing import PRICE_UNKNOWN
from prefect_runway.api.waiting import OwnQueue, own_queue
from prefect_runway.flows._common import estimate_row, refuse_if_unaffordable
from prefect_runway.flows.global_slots import GlobalLimitUnavailable, GlobalSlots
from prefect_runway.flows.manifest import MAX_MANIFEST_BYTES, ManifestRow, parse_manifest
from prefect_runway.flows.parameters import (
    NOT_SET,
    ConcurrencyPerModel,
    CredentialsBlockName,
    DestinationBlock,
    DryRun,
    KeyPrefix,
    Manifest,
    MaxAttempts,
    MaxCredits,
    MaxQueueMinutes,
    MaxRunMinutes,
    PollInterval,
    PriceCaps,
    QueueAhead,
    Strict,
    described,
)
from prefect_runway.flows.reporting import (
    create_results_table,
    emit_generation_event,
    results_row,
    scrub,
)
from prefect_runway.flows.user_errors import (
    ParameterError,
    ends_cleanly,
    load_credentials,
    load_destination,
)
from prefect_runway.tasks._retry import retry_storage
from prefect_runway.tasks._uninterrupted import uninterrupted
from prefect_runway.tasks.allowed_inputs import InputNotAllowed, InputPolicy, open_checked
from prefect_runway.tasks.cancellation import cancel_runway_tasks
from prefect_runway.tasks.cost import (
    CostEstimate,
    DailyLimitWouldBeCrossed,
    RefusedBeforeSubmit,
)
from prefect_runway.tasks.generate import GenerationResult, generate
from prefect_runway.tasks.inputs import InputError, S3Reader, identify_inputs
from prefect_runway.tasks.keys import generation_key
from prefect_runway.tasks.locations import (
    InvalidName,
    NameTaken,
    OutputLocation,
    RunNames,
    check_prefix,
)
from prefect_runway.tasks.plan import (
    Action,
    CreditBudget,
    GenerationPlan,
    list_for_plans,
    plan_generation,
)
from prefect_runway.tasks.run_ledgers import announcing_early
from prefect_runway.tasks.s3io import s3_client
from prefect_runway.tasks.shared_runs import shared_task_runs_held
from prefect_runway.tasks.spec import GenerationSpec

__all__ = [
    "BatchIncomplete",
    "BatchProgress",
    "BatchReport",
    "DailyLimitWouldBeCrossed",
    "PlannedGeneration",
    "RowResult",
    "batch",
    "finish_batch",
    "models_with_global_limits",
    "plan_rows",
    "price_planned",
    "run_planned",
]

logger = logging.getLogger(__name__)

# Sidecar and ledger reads before the run: a few at once, not one per row at once.
_PLANNING_CONCURRENCY = 16


class RowResult(BaseModel):
    """What became of one manifest row.

    ``status`` is ``succeeded``, ``failed``, ``malformed``, ``waiting`` (detached: submitted,
    not finished yet), ``ambiguous`` (the create may have been billed with its task id unknown:
    ``AmbiguousSubmission``) or, in a dry run, ``dry_run``.
    """

    model_config = ConfigDict(frozen=True)

    line: int
    name: str | None = None
    model: str | None = None
    status: str
    s3_uri: str | None = None
    credits: float | None = None
    estimated_credits: float | None = None
    price_unknown: bool = False
    seconds: float | None = None
    reason: str | None = None
    action: str | None = None
    reused: bool = False
    duplicate_of: int | None = None
    credits_spent: float = 0.0


class BatchReport(BaseModel):
    """Counts and per-row results of a batch.

    ``credits`` is what Runway reported for the generations of this batch, counted once per
    generation (an output an earlier run stored or submitted counts its original cost);
    ``credits_spent`` leaves those out: it is what this run paid. ``estimated_credits`` is the
    estimate, at most, of the generations this run had to pay for whose price is known or
    capped; ``unknown_price`` counts those of no published price and no cap (never counted as
    0 credits: their cost is learnt from Runway's answer). ``failed`` counts the
    ambiguous rows too; ``ambiguous`` and ``ambiguous_names`` name them (a re-run stops on them
    until it is allowed to resubmit).
    """

    rows: int
    succeeded: int
    failed: int
    malformed: int
    duplicates: int
    credits: float
    waiting: int = 0
    ambiguous: int = 0
    ambiguous_names: list[str] = Field(default_factory=list)
    credits_spent: float = 0.0
    estimated_credits: float = 0.0
    unknown_price: int = 0
    dry_run: bool = False
    results: list[RowResult]
    results_manifest_uri: str | None = None

    def incomplete_message(self, *, shown: int = 3) -> str | None:
        """One line counting the rows not stored, with the first reasons; None if all were.

        Example:
            ``"2 of 10 rows not stored: 1 failed, 1 malformed. line 3: ...; line 7 (harbour):
            SAFETY.INPUT.TEXT: ..."``
        """
        missing = [r for r in self.results if r.status in ("failed", "ambiguous", "malformed")]
        if not missing:
            return None
        counts = f"{self.failed} failed, {self.malformed} malformed"
        reasons = "; ".join(
            f"line {r.line}{f' ({r.name})' if r.name else ''}: {r.status}: {r.reason}"
            for r in missing[:shown]
        )
        more = f"; and {len(missing) - shown} more" if len(missing) > shown else ""
        return " ".join(
            f"{len(missing)} of {self.rows} rows not stored: {counts}. {reasons}{more}".split()
        )

    @classmethod
    def tally(cls, results: list[RowResult], **extra: Any) -> BatchReport:
        """The report of ``results`` (one per manifest row, in order): every count derived."""
        first_ambiguous = [r for r in results if r.status == "ambiguous" and r.duplicate_of is None]
        return cls(
            rows=len(results),
            succeeded=sum(r.status == "succeeded" for r in results),
            failed=sum(r.status in ("failed", "ambiguous") for r in results),
            malformed=sum(r.status == "malformed" for r in results),
            waiting=sum(r.status == "waiting" for r in results),
            duplicates=sum(r.duplicate_of is not None for r in results),
            credits=sum(r.credits or 0.0 for r in results),
            credits_spent=sum(r.credits_spent for r in results),
            ambiguous=len(first_ambiguous),
            ambiguous_names=[r.name or f"line {r.line}" for r in first_ambiguous],
            results=results,
            **extra,
        )


class BatchIncomplete(PrefectRunwayError, RuntimeError):
    """A ``strict`` batch had rows that were not stored (malformed or failed).

    The rows that could be stored are stored. Attributes:
        report: The batch's report, every row with its status and reason.
    """

    def __init__(self, message: str, report: BatchReport | None = None) -> None:
        super().__init__(message)
        self.report = report

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.report))


@dataclass
class PlannedGeneration:
    """A distinct generation of the batch: its first row, its twins and its plan.

    Attributes:
        key: The generation key.
        row: The first row asking for it.
        spec: Its spec.
        plan: Its plan (``tasks/plan.py``): where it lands, what earlier runs left, its price.
        twins: Later rows asking for the very same generation (they share its output).
    """

    key: str
    row: ManifestRow
    spec: GenerationSpec
    plan: GenerationPlan | None = None
    twins: list[ManifestRow] = field(default_factory=list)
    content_ids: dict[tuple[str | int, ...], str] | None = None

    @property
    def estimate(self) -> CostEstimate | None:
        return self.plan.estimate if self.plan is not None else None

    @property
    def pays(self) -> bool:
        return self.plan is not None and self.plan.pays


async def read_manifest(
    manifest: str,
    destination: S3Bucket,
    policy: InputPolicy | None = None,
    field: str = "manifest",
) -> bytes:
    """A manifest's bytes, read only where inputs may be read, and at most 64 MB.

    Args:
        manifest: A local path (inside the allowed roots) or an ``s3://`` URI (in an allowed
            bucket), read with the destination block's credentials.
        destination: Its S3 credentials read ``s3://`` manifests.
        policy: Where it may be read from; by default this machine's with the destination.
        field: The parameter that named it, for messages.

    Raises:
        ParameterError: the manifest is not there (the message says where it was looked for).
        InputError: outside what may be read, not a regular file, or over 64 MB.
    """
    policy = policy or InputPolicy.for_run(destination_bucket=destination.bucket_name)
    limit = MAX_MANIFEST_BYTES
    if manifest[:5].lower() == "s3://":
        bucket, key = policy.s3_object(field, manifest)
        s3 = destination.credentials.get_s3_client()
        try:
            head = await asyncio.to_thread(s3.head_object, Bucket=bucket, Key=key)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            raise ParameterError(
                field,
                f"{field} {manifest!r}: cannot read it with the credentials of the "
                f"destination block (S3 answered {code or 'an error'}: no such bucket or key, "
                "or access denied).",
            ) from None
        if int(head.get("ContentLength", 0)) > limit:
            raise InputError(
                field, f"it is {head['ContentLength']} bytes; at most {limit} are read",
                value=manifest,
            )  # fmt: skip
        response = await asyncio.to_thread(
            s3.get_object, Bucket=bucket, Key=key, Range=f"bytes=0-{limit}"
        )
        body: bytes = await asyncio.to_thread(response["Body"].read)
        return body[: limit + 1]
    try:
        path = policy.local_file(field, manifest)
    except InputNotAllowed:
        raise
    except InputError as error:
        if "no such file" not in str(error) and not Path(manifest).expanduser().is_dir():
            raise
        where = Path(manifest).expanduser().resolve()
        raise ParameterError(
            field,
            f"{field} {manifest!r}: cannot read {where} on {socket.gethostname()}, the machine "
            "that runs the flow (no such file). Give an s3:// URI, or a path on that machine.",
        ) from None

    def read() -> bytes:
        file, _ = open_checked(path, field, manifest, limit, what="a manifest may be")
        with file:
            return file.read(limit + 1)

    return await asyncio.to_thread(read)


def manifest_kind(manifest: str, field: str = "manifest") -> str:
    """``jsonl`` or ``csv``, from the manifest's extension.

    Raises:
        ParameterError: another extension.
    """
    suffix = Path(manifest.split("?", 1)[0]).suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise ParameterError(field, f"{field} {manifest!r}: use a .jsonl, .ndjson or .csv file")


def _failed(row: ManifestRow, reason: str) -> RowResult:
    spec = row.spec
    return RowResult(
        line=row.line, name=spec.name if spec else None, model=spec.model if spec else None,
        status="failed", reason=reason,
    )  # fmt: skip


def _row_result(
    row: ManifestRow,
    generation: PlannedGeneration,
    result: GenerationResult,
    duplicate_of: int | None,
) -> RowResult:
    estimate = generation.estimate
    paid_here = result.credits_spent > 0 or (generation.pays and not result.from_sidecar)
    return RowResult(
        line=row.line,
        name=row.spec.name if row.spec else None,
        model=result.model,
        status=result.status,
        s3_uri=result.output_uri,
        credits=None if duplicate_of else result.total_credits,
        credits_spent=0.0 if duplicate_of else result.credits_spent,
        estimated_credits=None if duplicate_of or estimate is None else estimate.credits,
        seconds=round(result.seconds, 2),
        reason=(f"{result.failure_code}: {result.failure}" if result.status == "failed" else None),
        reused=not paid_here,
        duplicate_of=duplicate_of,
    )


async def plan_rows(
    rows: list[ManifestRow],
    client: RunwayClient,
    destination: S3Bucket,
    prefix: str,
    results: dict[int, RowResult],
    policy: InputPolicy | None = None,
    *,
    max_attempts: int = 3,
    names: RunNames | None = None,
    price_caps: Mapping[str, float] | None = None,
) -> list[PlannedGeneration]:
    """Validate, identify, deduplicate and plan the rows; record the ones that cannot run.

    Each row's inputs are checked where ``policy`` allows them to be read (by default this
    machine's, with the destination bucket); a refused row is recorded and the others go on.
    Each distinct generation is planned once (``tasks/plan.py``); the plan is what the price
    checks read and what ``generate`` carries out. Names are claimed in row order: a later row
    of another generation on a name already used is refused by name, before any POST.
    ``price_caps`` (by model) prices the models without a published price; a row's own
    ``price_cap`` overrides it for that row.
    """
    check_prefix(prefix)
    names = names or RunNames()
    reader = S3Reader(s3_client(destination))
    policy = policy or InputPolicy.for_run(destination_bucket=destination.bucket_name)
    by_key: dict[str, PlannedGeneration] = {}
    for row in rows:
        if row.spec is None:
            results[row.line] = RowResult(line=row.line, status="malformed", reason=row.error)
            continue
        try:
            client.provider.check(row.spec.validate_request())
            ids = await identify_inputs(row.spec, reader, policy=policy)
        except (InputError, ValidationError, ValueError) as error:
            results[row.line] = _failed(row, str(error))
            continue
        key = generation_key(row.spec, base_url=client.base_url, content_ids=ids)
        refusal = names.claim(row.spec.name or key, key, where=f"line {row.line}")
        if refusal is not None:
            results[row.line] = _failed(row, refusal)
            continue
        if key in by_key:
            by_key[key].twins.append(row)
        else:
            by_key[key] = PlannedGeneration(key=key, row=row, spec=row.spec, content_ids=ids)

    gate = asyncio.Semaphore(_PLANNING_CONCURRENCY)
    # One LIST per folder instead of a GET per sidecar, name and ledger entry (issue 20).
    locations: list[OutputLocation] = []
    for generation in by_key.values():
        try:
            locations.append(
                OutputLocation.of(prefix=prefix, name=generation.spec.name, key=generation.key)
            )
        except InvalidName:
            pass  # its plan refuses it by name below
    listing = await list_for_plans(destination, locations)

    async def plan(generation: PlannedGeneration) -> None:
        async with gate:
            try:
                caps = dict(price_caps or {})
                if generation.row.price_cap is not None:
                    caps[generation.spec.model] = generation.row.price_cap
                generation.plan = await plan_generation(
                    generation.spec, destination=destination, prefix=prefix, client=client,
                    s3=reader, max_attempts=max_attempts,
                    content_ids=generation.content_ids, price_caps=caps, listing=listing,
                )  # fmt: skip
            except (InputError, InvalidName) as error:
                for row in (generation.row, *generation.twins):
                    results[row.line] = _failed(row, str(error))
                return
            if generation.plan.step.action is Action.NAME_TAKEN:
                for row in (generation.row, *generation.twins):
                    results[row.line] = _failed(row, f"NameTaken: {generation.plan.problem}")

    await asyncio.gather(*(plan(g) for g in by_key.values()))
    return [
        g
        for g in by_key.values()
        if g.plan is not None and g.plan.step.action is not Action.NAME_TAKEN
    ]


class BatchProgress:
    """A progress artifact: the share of the batch's generations that have finished.

    The artifact moves once per whole percent at most, at most once per ``every`` seconds,
    and the last update always shows every generation. Updates go one at a time (so they
    arrive in order), and the generations that finish while one is on its way, or within
    ``every`` seconds of the last, are shown together by the next (a timer shows them if no
    other generation finishes meanwhile): a large batch, a batch of short generations, or a
    re-run that finds everything stored, does not send one round trip to the server per
    percent (issue 20: 80 updates in a 15 s batch of 200 cost the flow process and the
    server more than a log line per generation).
    """

    def __init__(self, total: int, key: str = "runway-batch-progress", every: float = 2.0) -> None:
        self.key = key
        self.total = max(total, 1)
        self.every = every
        self.done = 0
        self.shown = 0
        self.artifact_id: Any = None
        self.lock = asyncio.Lock()
        self._next = 0.0  # the loop's clock: no update before this, but the last
        self._later: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.artifact_id = await acreate_progress_artifact(
            0.0, key=self.key, description=self._description(0)
        )

    def _description(self, done: int) -> str:
        return f"{done} of {self.total} Runway generations finished"

    def _whole_percent(self, done: int) -> int:
        return 100 * done // self.total

    def _worth_showing(self, done: int) -> bool:
        """A new whole percent, or the end; never what the artifact shows already."""
        if done == self.shown:
            return False
        return done == self.total or self._whole_percent(done) != self._whole_percent(self.shown)

    async def one_finished(self) -> None:
        self.done += 1
        if not self._worth_showing(self.done):
            return
        loop = asyncio.get_running_loop()
        if self.done < self.total and loop.time() < self._next:
            if self._later is None or self._later.done():
                self._later = loop.create_task(self._show_later(self._next - loop.time()))
            return
        await self._show()

    async def _show_later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            await self._show()
        except Exception as error:  # the next update, or the last, shows it
            logger.debug("could not update the progress artifact (%s)", type(error).__name__)

    async def _show(self) -> None:
        async with self.lock:
            # Asked again: the update this call waited behind may have shown this percent.
            done = self.done
            if not self._worth_showing(done):
                return
            await aupdate_progress_artifact(
                self.artifact_id,
                float(self._whole_percent(done)),
                description=self._description(done),
            )
            self.shown = done
            self._next = asyncio.get_running_loop().time() + self.every
            if done == self.total and self._later is not None:
                if self._later is not asyncio.current_task():
                    self._later.cancel()  # nothing is left for it to show


@flow(name="runway-batch", on_cancellation=[cancel_runway_tasks])
@ends_cleanly
async def batch(
    manifest: Manifest,
    destination_block: DestinationBlock = "renders",
    prefix: KeyPrefix = "batch",
    credentials_block: CredentialsBlockName = "runway",
    concurrency_per_model: ConcurrencyPerModel = 4,
    queue_ahead: QueueAhead = NOT_SET,
    max_attempts: MaxAttempts = 3,
    poll_interval: PollInterval = 5.0,
    max_queue_minutes: MaxQueueMinutes = NOT_SET,
    max_run_minutes: MaxRunMinutes = NOT_SET,
    dry_run: DryRun = False,
    max_credits: MaxCredits = NOT_SET,
    price_caps: PriceCaps = NOT_SET,
    detach: Annotated[
        bool,
        described(
            "Detach",
            "Submit and end without waiting: rows not finished at their first look are "
            "reported 'waiting' (task ids in the ledger) and the sweep flow stores them later.",
        ),
    ] = False,
    strict: Strict = False,
) -> BatchReport:
    """Generate every row of a manifest into S3, once each; report every row.

    A batch goes on past a malformed row or a failed generation. Its run then ends Completed,
    with a state message that counts the rows not stored (for example "2 of 10 rows not
    stored: 1 failed, 1 malformed"); with ``strict`` on it ends Failed with that message
    (``BatchIncomplete``, which carries the report), so an automation can react to it.

    Raises:
        OverBudget, InsufficientCredits, DailyLimitWouldBeCrossed: before any POST.
        BatchIncomplete: ``strict`` is on and a row was malformed, failed or ambiguous.
    """
    run_logger = get_run_logger()
    policy = WaitPolicy(
        poll_interval=poll_interval,
        max_queue_seconds=max_queue_minutes * 60 if max_queue_minutes else None,
        max_run_seconds=max_run_minutes * 60 if max_run_minutes else None,
    )
    destination = await load_destination(destination_block)
    results: dict[int, RowResult] = {}
    async with announcing_early(destination, prefix, now=not dry_run):
        credentials = await load_credentials(credentials_block)
        inputs = InputPolicy.for_blocks(destination, credentials)
        kind = manifest_kind(manifest)
        rows = parse_manifest(await read_manifest(manifest, destination, inputs), kind=kind)
        async with credentials.get_client() as client:
            generations = await plan_rows(
                rows, client, destination, prefix, results, inputs, max_attempts=max_attempts,
                price_caps=price_caps,
            )  # fmt: skip
            paid = [g.estimate for g in generations if g.pays and g.estimate]
            estimated, unknown = known_and_unknown(paid)
            if dry_run:
                return await price_planned(
                    rows, generations, results, client, max_credits, estimated, run_logger
                )
            await refuse_if_unaffordable(client, paid, max_credits, run_logger)
            run_logger.info(
                "batch: %d generations to run, %d new, estimated at most %s",
                len(generations), len(paid), credits_text(estimated, unknown),
            )  # fmt: skip
            await run_planned(generations, results, client, destination, prefix, policy,
                       concurrency_per_model, max_attempts, detach=detach,
                       input_policy=inputs, budget=CreditBudget(max_credits),
                       queue_ahead=queue_ahead)  # fmt: skip
    ordered = [results[row.line] for row in rows]
    report = BatchReport.tally(ordered, estimated_credits=estimated, unknown_price=unknown)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    results_key = "/".join(p for p in (prefix.strip("/"), f"_results/batch-{stamp}.jsonl") if p)
    lines = "".join(r.model_dump_json() + "\n" for r in ordered).encode()
    full_key = await retry_storage(
        lambda: destination.awrite_path(results_key, lines), what=results_key
    )
    report = report.model_copy(
        update={"results_manifest_uri": f"s3://{destination.bucket_name}/{full_key}"}
    )
    await create_results_table(
        "runway-batch-results",
        [
            results_row(r.line, r.model, r.seconds, r.credits, r.s3_uri, r.status, r.reason)
            for r in ordered
        ],
        f"Batch of {report.rows} rows: {report.succeeded} stored, {report.failed} failed, "
        f"{report.malformed} malformed; {report.credits:g} credits",
    )
    run_logger.info(
        "batch: %d rows, %d stored, %d failed, %d malformed, %d duplicates, %g credits",
        report.rows, report.succeeded, report.failed, report.malformed, report.duplicates,
        report.credits,
    )  # fmt: skip
    if report.ambiguous:
        run_logger.warning(
            "batch: %d generation(s) may have been billed with their task id unknown "
            "(AmbiguousSubmission; a re-run stops on them until allowed to resubmit): %s",
            report.ambiguous, ", ".join(report.ambiguous_names),
        )  # fmt: skip
    return finish_batch(report, strict)


def finish_batch(report: BatchReport, strict: bool) -> BatchReport:
    """The batch's end: Completed with a message counting the rows not stored, or Failed.

    Raises:
        BatchIncomplete: ``strict`` is on and a row was not stored (malformed or failed).
    """
    message = report.incomplete_message()
    if message is None:
        return report
    if strict:
        raise BatchIncomplete(message, report)
    # A returned state ends the run as it is: Completed, its message saying what was not
    # stored, its result the report (which a script calling the flow receives).
    completed: Any = Completed(message=message, data=report)
    return cast(BatchReport, completed)


async def price_planned(
    rows: list[ManifestRow],
    generations: list[PlannedGeneration],
    results: dict[int, RowResult],
    client: RunwayClient,
    max_credits: float | None,
    estimated: float,
    run_logger: Any,
    *,
    flow_label: str = "batch",
) -> BatchReport:
    """A dry run: the estimate table artifact and a report of ``dry_run`` rows; no POST.

    ``estimated`` is the known (or capped) part; generations of unknown price are counted
    apart ("N credits + K generations of unknown price"), never as 0.
    """
    paid = [g.estimate for g in generations if g.pays and g.estimate]
    estimated, unknown = known_and_unknown(paid)
    refusal: str | None = None
    balance: int | None = None
    try:
        balance = await refuse_if_unaffordable(client, paid, max_credits, run_logger)
    except RefusedBeforeSubmit as error:
        refusal = f"refuse: {error}"
    table = []
    for generation in generations:
        plan, estimate = generation.plan, generation.estimate
        assert plan is not None and estimate is not None  # set for every planned generation
        action = refusal if refusal and plan.pays else plan.describe()
        table.append(estimate_row(generation.row.line, plan.name, estimate, action, balance,
                                  max_credits, plan))  # fmt: skip
        for row in (generation.row, *generation.twins):
            results[row.line] = RowResult(
                line=row.line, name=row.spec.name if row.spec else None, model=estimate.model,
                status="dry_run", action=action,
                estimated_credits=estimate.credits if row is generation.row else None,
                price_unknown=estimate.unknown and row is generation.row,
                duplicate_of=None if row is generation.row else generation.row.line,
            )  # fmt: skip
    total = credits_text(estimated, unknown)
    await acreate_table_artifact(
        key=f"runway-{flow_label}-estimate",
        table=table,
        description=f"Dry run of a {flow_label} of {len(rows)} rows: at most {total} for "
        f"{len(paid)} new generations; nothing was submitted",
    )
    run_logger.info("dry run: %d new generations, at most %s; nothing submitted",
                    len(paid), total)  # fmt: skip
    ordered = [results[row.line] for row in rows]
    return BatchReport.tally(
        ordered, estimated_credits=estimated, unknown_price=unknown, dry_run=True
    )


def known_and_unknown(estimates: list[CostEstimate]) -> tuple[float, int]:
    """The most the priced (or capped) estimates add up to, and how many have no price."""
    known = sum(estimate.at_most for estimate in estimates if estimate.priced)
    return known, sum(1 for estimate in estimates if not estimate.priced)


def credits_text(known: float, unknown: int) -> str:
    """``"120 credits"``, or ``"120 credits + 2 generations of unknown price"``."""
    text = f"{known:g} credits"
    if unknown:
        text += f" + {unknown} generation{'s' if unknown != 1 else ''} of {PRICE_UNKNOWN}"
    return text


async def models_with_global_limits(models: list[str]) -> set[str]:
    """The models whose ``runway-<model>`` global concurrency limit exists, read once.

    Asking for a slot of a limit that does not exist still costs one Prefect API round trip
    per generation, and Prefect's client serializes acquisitions of a limit name in a process:
    with no limit configured, a batch of 200 spent a median of seconds per generation waiting
    for nothing (BENCHMARKS.md, figure 1). So the batch looks the limits up when it starts
    and holds slots only of those that exist; a limit created later applies to later runs.
    When the lookup itself fails, the model keeps the per-generation acquisition.

    Example:
        ```python
        limited = await models_with_global_limits(["gen4_turbo", "act_two"])
        ```
    """
    found: set[str] = set()
    async with get_client() as prefect:
        for model in sorted(set(models)):
            try:
                await prefect.read_global_concurrency_limit_by_name(f"runway-{model}")
            except ObjectNotFound:
                continue
            except Exception as error:  # unknown: keep the safe per-generation acquisition
                logger.warning("could not read the global concurrency limit runway-%s (%s); "
                               "acquiring its slots per generation", model, error)  # fmt: skip
            found.add(model)
    return found


async def run_planned(
    generations: list[PlannedGeneration],
    results: dict[int, RowResult],
    client: RunwayClient,
    destination: S3Bucket,
    prefix: str,
    policy: WaitPolicy,
    per_model: int,
    max_attempts: int,
    *,
    flow_label: str = "batch",
    detach: bool = False,
    input_policy: InputPolicy | None = None,
    budget: CreditBudget | None = None,
    queue_ahead: int | None = 0,
) -> None:
    """Generate the planned generations, bounded per model; fill ``results`` for every row.

    Each generation carries out its plan; ``budget`` (``max_credits``) is shared by all of them:
    every paid attempt is reserved against it before its POST. At most ``per_model`` of a model
    run at once and ``queue_ahead`` more (``None``: ``per_model``, one wave) are submitted to
    wait in Runway's queue (so at most ``per_model + queue_ahead`` of a model are submitted and
    unfinished); a slot of the
    ``runway-<model>`` global concurrency limit, where it exists, is held by each of those.
    With ``detach``, a generation not finished at its first look is left ``waiting``. Inputs
    are read where ``input_policy`` allows (by default this machine's, with the destination).
    """
    if queue_ahead is None:
        queue_ahead = per_model
    if per_model < 1 or queue_ahead < 0:
        raise ValueError(
            f"concurrency per model must be 1 or more (got {per_model}) and queue_ahead 0 or "
            f"more (got {queue_ahead})"
        )
    budget = budget or CreditBudget(max_credits=None)
    submitted = per_model + queue_ahead
    limits: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(submitted))
    # Our own unfinished tasks per model, so a queue timeout does not count the time a task
    # waits behind them in Runway's queue.
    queues: dict[str, OwnQueue] = defaultdict(lambda: OwnQueue(concurrency=per_model))
    progress = BatchProgress(len(generations), key=f"runway-{flow_label}-progress")
    await progress.start()
    limited = await models_with_global_limits([g.spec.model for g in generations])
    # One per limit for the whole run: one acquisition in flight, slots handed on locally.
    slots = {model: GlobalSlots(f"runway-{model}") for model in sorted(limited)}
    cancelled: list[WaitCancelled] = []  # a wait saw the user's cancellation confirmed

    async def run(generation: PlannedGeneration) -> None:
        spec, row = generation.spec, generation.row
        name = generation.plan.name if generation.plan else spec.name or generation.key
        estimated = generation.estimate.credits if generation.estimate else None
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(limits[spec.model])
            refused: str | None = None
            if spec.model in slots and not cancelled:
                # Across runs and machines: the operator created this limit. Held from before
                # the POST until stored, so it bounds what is submitted, queued included.
                try:
                    await stack.enter_async_context(slots[spec.model].slot())
                except GlobalLimitUnavailable as error:
                    refused = f"{error}; nothing was paid"
            if cancelled:
                # The user cancelled the run (a wait saw it confirmed): a row that was waiting
                # for a slot is not submitted (it would be paid and deleted at once).
                refused = "the run was cancelled before this row was submitted; nothing was paid"
            if refused is not None:
                for each in (row, *generation.twins):
                    results[each.line] = _failed(each, refused).model_copy(
                        update={"duplicate_of": None if each is row else row.line}
                    )
                await progress.one_finished()
                return
            stack.enter_context(own_queue(queues[spec.model]))
            try:
                result = await generate(
                    spec, destination=destination, prefix=prefix, client=client,
                    wait_policy=policy, max_attempts=max_attempts, detach=detach,
                    input_policy=input_policy,
                    plan=generation.plan, budget=budget,
                )  # fmt: skip
            except Exception as error:
                if isinstance(error, WaitCancelled):
                    cancelled.append(error)
                # One row's trouble (a refused create, S3 down for a moment, an ambiguous
                # submit) ends that row only: the others go on, and a re-run picks it up.
                reason = scrub(f"{type(error).__name__}: {error}") or ""
                status = "ambiguous" if isinstance(error, AmbiguousSubmission) else "failed"
                if not isinstance(error, (AmbiguousSubmission, RunTimeout, InputError, NameTaken)):
                    logger.warning("%s: %s", name, reason)
                for each in (row, *generation.twins):
                    results[each.line] = _failed(each, reason).model_copy(
                        update={"duplicate_of": None if each is row else row.line,
                                "status": status}
                    )  # fmt: skip
                emit_generation_event(
                    flow_label, succeeded=False, key=generation.key, name=name, model=spec.model,
                    estimated_credits=estimated, task_id=getattr(error, "task_id", None),
                    failure=reason, failure_code=type(error).__name__,
                )  # fmt: skip
                await progress.one_finished()
                return
        results[row.line] = _row_result(row, generation, result, None)
        for twin in generation.twins:
            results[twin.line] = _row_result(twin, generation, result, row.line)
        await progress.one_finished()
        if result.status == "waiting":  # submitted, not finished: its event comes when stored
            return
        emit_generation_event(
            flow_label, succeeded=result.status == "succeeded", key=generation.key, name=name,
            model=spec.model, estimated_credits=estimated, result=result,
        )  # fmt: skip

    async with AsyncExitStack() as held:
        for each in slots.values():
            await held.enter_async_context(each)
        # One runway-submit and one runway-wait task run for all the rows, however their
        # submits and waits are spaced in time (issue 20: a task run each cost more than the
        # create itself); ended once every row has.
        await held.enter_async_context(shared_task_runs_held())
        await _run_rows([asyncio.ensure_future(run(generation)) for generation in generations])
    # Every row has ended and every slot is given back (GlobalSlots.aclose, never cancelled).


async def _run_rows(rows: list[asyncio.Future[None]]) -> None:
    """Wait for every row; on a cancellation or SIGTERM, let each row end its own way."""
    # Shielded: a cancellation of this run would otherwise reach every row through the
    # gather, and a second one (the teardown's) would cut short the clean-up of the first.
    # Each row is cancelled here exactly once instead.
    every_row = asyncio.gather(*rows)
    every_row.add_done_callback(_retrieve)
    try:
        await asyncio.shield(every_row)
    except BaseException:
        # Cancelled, or SIGTERM (raised in whichever row was running): every other row must
        # still decide about its own Runway task (a user's cancellation DELETEs the ones in
        # flight, queued ones included) while the Runway and Prefect clients are open, before
        # the flow tears down.
        for pending in rows:
            pending.cancel()
        with anyio.CancelScope(shield=True):
            await uninterrupted(asyncio.gather(*rows, return_exceptions=True))
        raise


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark the outcome seen: the rows' own results are what the batch reports."""
    if not future.cancelled():
        future.exception()
