"""What the single-generation flows share: parameters, cost control, and what the user sees.

``run_generation`` is one generation's flow-level life around ``tasks.generate``:

```
validate the request (each model's rules)            -> pydantic.ValidationError, nothing spent
identify inputs, price them (Act-Two: probe the clip) -> InputError, nothing spent
already stored, or already submitted? (sidecar, ledger) -> then nothing new is paid: no checks
dry_run?        -> an estimate table artifact, return: no POST
max_credits     -> OverBudget when the estimate is above it
organization    -> InsufficientCredits / DailyLimitWouldBeCrossed (a provider without the
                   endpoint gets a log line)
generate(on_update=progress)  -> the task id logged, a progress artifact
results table artifact, event runway.generation.succeeded | .failed
```

Artifacts and events carry no secret: no API key, no signed URL query string (failure texts are
scrubbed of query strings too).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import math
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from prefect import get_run_logger
from prefect.artifacts import (
    acreate_progress_artifact,
    acreate_table_artifact,
    aupdate_progress_artifact,
)
from prefect.events import emit_event
from prefect_aws import S3Bucket
from pydantic import BaseModel, ConfigDict, Field

from blocks import RunwayCredentials
from flows.batch import DailyLimitWouldBeCrossed
from runway import GenerationRequest, Organization, RunwayClient, Task, TaskStatus, WaitPolicy
from runway.character_performance import REFERENCE_MAX_SECONDS, REFERENCE_MIN_SECONDS
from runway.fields import MAX_SEED
from runway.media import redact_url
from runway.pricing import credits_per_second, estimate_credits
from runway.providers import Capability
from tasks.generate import GenerationFailed, GenerationResult, generate
from tasks.inputs import S3Reader, _check_reference, identify_inputs
from tasks.keys import attempt_key, generation_key
from tasks.ledger import LedgerEntry, SubmissionLedger
from tasks.spec import GenerationSpec, MediaRef, RefKind
from tasks.store import read_sidecar

__all__ = [
    "CostEstimate",
    "CostRefused",
    "CredentialsBlockName",
    "DailyLimitWouldBeCrossed",
    "DestinationBlock",
    "FlowOutcome",
    "InsufficientCredits",
    "KeyPrefix",
    "OutputName",
    "OverBudget",
    "ProgressReporter",
    "RunSettings",
    "Seed",
    "Variant",
    "estimate_spec",
    "run_generation",
]

logger = logging.getLogger("flows.common")

SUCCEEDED_EVENT = "runway.generation.succeeded"
FAILED_EVENT = "runway.generation.failed"

# ---------------------------------------------------------------------------------------------
# Parameters shared by the flows (each flow's model declares them, in the order its form shows)

DestinationBlock = Annotated[
    str,
    Field(
        min_length=1,
        description="Name of the prefect-aws S3Bucket block that receives the output, its "
        "sidecar JSON and the submission ledger.",
    ),
]
KeyPrefix = Annotated[
    str, Field(description="Key prefix under the bucket folder, for example 'campaign/scenes'.")
]
CredentialsBlockName = Annotated[
    str, Field(min_length=1, description="Name of the RunwayCredentials block.")
]
OutputName = Annotated[
    str | None,
    Field(
        min_length=1,
        max_length=200,
        pattern=r"^[\w.\-/]+$",
        description="Stem of the output's S3 key (letters, digits, '_', '-', '.', '/'). Empty: "
        "the generation key, a hash of the request.",
    ),
]
Variant = Annotated[
    str,
    Field(
        description="Change it to ask on purpose for a new (paid) generation of an identical "
        "request; re-runs with the same variant reuse the stored output."
    ),
]
Seed = Annotated[
    int | None,
    Field(
        ge=0,
        le=MAX_SEED,
        description="Seed for a repeatable generation (0 to 4294967295). Empty: random.",
    ),
]
MaxAttempts = Annotated[
    int,
    Field(
        ge=1,
        le=10,
        description="Attempts when Runway fails for a retryable reason (each is a new "
        "generation; such failures are refunded).",
    ),
]
PollInterval = Annotated[
    float,
    Field(gt=0, description="Seconds between polls of the Runway task (Runway asks for >= 5)."),
]
MaxQueueMinutes = Annotated[
    float | None,
    Field(
        gt=0,
        description="Cancel the task if still queued (PENDING/THROTTLED) after this many "
        "minutes; queued tasks are refunded. Empty: wait.",
    ),
]
MaxRunMinutes = Annotated[
    float | None,
    Field(
        gt=0,
        description="Stop waiting once the task has RUN this many minutes. It is not "
        "cancelled (that refunds nothing): recover its output later by its id. Empty: wait.",
    ),
]
DryRun = Annotated[
    bool,
    Field(
        description="Validate and price the request, show the estimate as a table artifact, "
        "and submit nothing."
    ),
]
MaxCredits = Annotated[
    float | None,
    Field(
        ge=0,
        description="Refuse, before anything is submitted, a generation estimated above this "
        "many credits (1 credit = US$0.01). Empty: no budget.",
    ),
]
AllowResubmit = Annotated[
    bool,
    Field(
        description="Resubmit when an earlier submit may have been billed with its task id "
        "lost (AmbiguousSubmission). This may pay twice."
    ),
]


class RunSettings(BaseModel):
    """The flow parameters that are not the request itself (read from a params model)."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    destination_block: str
    prefix: str = ""
    credentials_block: str = "runway"
    max_attempts: int = 3
    poll_interval: float = 5.0
    max_queue_minutes: float | None = None
    max_run_minutes: float | None = None
    dry_run: bool = False
    max_credits: float | None = None
    allow_resubmit: bool = False

    def wait_policy(self) -> WaitPolicy:
        return WaitPolicy(
            poll_interval=self.poll_interval,
            max_queue_seconds=self.max_queue_minutes * 60 if self.max_queue_minutes else None,
            max_run_seconds=self.max_run_minutes * 60 if self.max_run_minutes else None,
        )


# ---------------------------------------------------------------------------------------------
# Cost


class CostEstimate(BaseModel):
    """What a generation is expected to cost, before it is submitted.

    Attributes:
        model: The Runway model.
        credits_per_second: The rate it is billed at.
        seconds: The output's length, when known.
        credits: The estimate, when the length is known (Runway's ``estimatedCost`` agrees).
        at_least: The lowest it can cost (``credits`` when known).
        at_most: The most it can cost (``credits`` when known; Act-Two with an unprobed
            reference: its 30 s maximum).
        basis: How the figure was reached, for people.
    """

    model_config = ConfigDict(frozen=True)

    model: str
    credits_per_second: float
    seconds: float | None
    credits: float | None
    at_least: float
    at_most: float
    basis: str


class CostRefused(RuntimeError):
    """A generation was refused before anything was submitted, for its cost."""


class OverBudget(CostRefused):
    """The estimate is above ``max_credits``."""


class InsufficientCredits(CostRefused):
    """The organization's balance is below the estimate."""


@contextmanager
def _temporary_file(suffix: str) -> Iterator[Path]:
    handle, name = tempfile.mkstemp(suffix=suffix)
    os.close(handle)
    try:
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def _decode_data_uri(uri: str) -> bytes | None:
    header, _, body = uri.partition(",")
    if ";base64" not in header:
        return None
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None


async def _reference_seconds(ref: MediaRef, s3: S3Reader | None) -> float | None:
    """The Act-Two reference clip's length, probed with PyAV; None when it cannot be read here.

    Raises:
        InputError: the clip is unreadable or outside 3-30 s (as ``prepare_inputs`` would).
    """
    kind = ref.ref_kind
    if kind is RefKind.LOCAL:
        return await asyncio.to_thread(_check_reference, ref, Path(ref.value).expanduser())
    if kind is RefKind.S3:
        if s3 is None:
            return None
        with _temporary_file(Path(S3Reader.split(ref.value)[1]).suffix) as path:
            await s3.download(ref.value, path)
            return await asyncio.to_thread(_check_reference, ref, path)
    if kind is RefKind.DATA:
        data = _decode_data_uri(ref.value)
        if data is None:
            return None
        with _temporary_file(".mp4") as path:
            await asyncio.to_thread(path.write_bytes, data)
            return await asyncio.to_thread(_check_reference, ref, path)
    return None  # https and runway:// clips are Runway's to fetch


async def estimate_spec(
    spec: GenerationSpec, request: GenerationRequest, s3: S3Reader | None = None
) -> CostEstimate:
    """Price a generation before submitting it.

    Act-Two is priced over its reference clip, probed when it is a local file, an ``s3://``
    object or a data URI; an https or ``runway://`` clip cannot be measured here, so its
    estimate is a range (3 to 30 s).

    Raises:
        InputError: an Act-Two reference clip that is unreadable or outside 3-30 s.
    """
    rate = credits_per_second(request)
    seconds = request.output_seconds
    if seconds is None and request.model == "act_two":
        reference = next(ref for ref in spec.media() if ref.path[0] == "reference")
        seconds = await _reference_seconds(reference, s3)
        if seconds is None:
            low = estimate_credits(request, output_seconds=REFERENCE_MIN_SECONDS)
            high = estimate_credits(request, output_seconds=REFERENCE_MAX_SECONDS)
            return CostEstimate(
                model=request.model, credits_per_second=rate, seconds=None, credits=None,
                at_least=low, at_most=high,
                basis=f"{rate:g} credits/s over a reference clip that cannot be probed here "
                f"({REFERENCE_MIN_SECONDS:g}-{REFERENCE_MAX_SECONDS:g} s): {low:g} to {high:g}",
            )  # fmt: skip
    credits = estimate_credits(
        request, output_seconds=seconds if request.output_seconds is None else None
    )
    billed = math.ceil((seconds or 0) - 1e-9)
    return CostEstimate(
        model=request.model, credits_per_second=rate, seconds=seconds, credits=credits,
        at_least=credits, at_most=credits,
        basis=f"{rate:g} credits/s x {billed} s",
    )  # fmt: skip


def check_budget(estimate: CostEstimate, max_credits: float | None) -> None:
    """Refuse a generation whose estimate is above ``max_credits``.

    Raises:
        OverBudget: naming the estimate and the budget.
    """
    if max_credits is None or estimate.at_most <= max_credits:
        return
    what = (
        f"estimated at {estimate.credits:g} credits"
        if estimate.credits is not None
        else f"may cost up to {estimate.at_most:g} credits"
    )
    raise OverBudget(
        f"{estimate.model} generation {what} ({estimate.basis}), above max_credits="
        f"{max_credits:g}; nothing was submitted"
    )


async def read_organization(client: RunwayClient, run_logger: Any) -> Organization | None:
    """The organization's balance and limits, or None (with a log line) if the provider has none."""
    if Capability.ORGANIZATION not in client.provider.capabilities:
        run_logger.info(
            "provider %s has no organization endpoint: credit balance and daily limits not "
            "checked", client.provider.name,
        )  # fmt: skip
        return None
    return await client.get_organization()


def organization_problem(
    organization: Organization, estimate: CostEstimate
) -> CostRefused | DailyLimitWouldBeCrossed | None:
    """Why the organization cannot run one more generation now, or None."""
    model = estimate.model
    limit = organization.daily_limit(model)
    used = organization.daily_usage(model)
    if limit is not None and used + 1 > limit:
        return DailyLimitWouldBeCrossed(
            f"{model}: the daily generation limit is reached ({used} of {limit} used in the "
            "rolling 24 h window); nothing was submitted"
        )
    if organization.credit_balance < estimate.at_least:
        return InsufficientCredits(
            f"the organization has {organization.credit_balance} credits; this {model} "
            f"generation is estimated at {estimate.at_least:g} ({estimate.basis}); nothing was "
            "submitted"
        )
    return None


# ---------------------------------------------------------------------------------------------
# What the user sees


def scrub(text: str | None) -> str | None:
    """``text`` with every URL's query string and fragment removed (signed links are secrets)."""
    if text is None:
        return None
    return re.sub(r"(?:https?|s3)://[^\s'\"<>)\]]+", lambda m: redact_url(m.group(0)), text)


def _percent(task: Task) -> float:
    if task.status is TaskStatus.SUCCEEDED:
        return 100.0
    if task.status is TaskStatus.RUNNING and task.progress is not None:
        return round(min(max(task.progress, 0.0), 1.0) * 100, 1)
    return 0.0


class ProgressReporter:
    """``on_update`` for ``generate``: the task id in the run's logs, and a progress artifact.

    The artifact is created at the first update after submit (the first poll) and updated only
    when the percentage changes. A retried attempt (a new task id) is logged and starts again
    from its own progress.
    """

    def __init__(self, name: str, model: str, run_logger: Any) -> None:
        self.name = name
        self.model = model
        self.logger = run_logger
        self.artifact_id: Any = None
        self.task_id: str | None = None
        self.status: TaskStatus | None = None
        self.percent: float | None = None
        self.updates = 0

    def _description(self, task: Task) -> str:
        return f"{self.name} ({self.model}): Runway task `{task.id}` {task.status.value}"

    async def __call__(self, task: Task) -> None:
        if task.id != self.task_id:
            self.logger.info(
                "%s: Runway task %s (%s) is %s", self.name, task.id, self.model, task.status.value
            )
            self.task_id, self.status = task.id, task.status
        elif task.status is not self.status:
            self.logger.info("%s: Runway task %s is %s", self.name, task.id, task.status.value)
            self.status = task.status
        percent = _percent(task)
        if self.artifact_id is None:
            self.artifact_id = await acreate_progress_artifact(
                percent, description=self._description(task)
            )
        elif percent != self.percent:
            await aupdate_progress_artifact(
                self.artifact_id, percent, description=self._description(task)
            )
            self.updates += 1
        self.percent = percent


class FlowOutcome(BaseModel):
    """What a single-generation flow returns.

    Attributes:
        status: ``succeeded`` (output and sidecar in S3) or ``dry_run`` (nothing submitted).
            A failed generation fails the flow run (``GenerationFailed`` with Runway's reason).
        model: The Runway model.
        name: The output's stem in S3.
        key: The generation key.
        estimate: The cost estimate made before submitting.
        output_uri: ``s3://`` URI of the output.
        sidecar_uri: ``s3://`` URI of its sidecar JSON.
        task_id: The Runway task.
        credits: What the generation cost, as Runway reported (all its attempts).
        credits_spent: What this run spent (0 when an earlier run had stored or submitted it).
        action: Dry run: what a real run would do (``submit``, ``already stored``, ...).
        result: The full result of ``generate``.
    """

    status: Literal["succeeded", "dry_run"]
    model: str
    name: str
    key: str
    estimate: CostEstimate
    output_uri: str | None = None
    sidecar_uri: str | None = None
    task_id: str | None = None
    credits: float | None = None
    credits_spent: float = 0.0
    action: str | None = None
    result: GenerationResult | None = None


def _cell(value: Any) -> Any:
    return "" if value is None else value


async def _results_table(
    kind: str, model: str, seconds: float | None, credits: float | None, uri: str | None,
    status: str, reason: str | None,
) -> None:  # fmt: skip
    await acreate_table_artifact(
        key=f"runway-{kind}-results",
        table=[
            {
                "row": 1,
                "model": model,
                "seconds": _cell(None if seconds is None else round(seconds, 2)),
                "credits": _cell(credits),
                "S3 URI": _cell(uri),
                "status": status,
                "reason": _cell(scrub(reason)),
            }
        ],
        description=f"Runway {kind.replace('-', ' ')}: {status}",
    )


def _emit(
    kind: str,
    *,
    succeeded: bool,
    key: str,
    name: str,
    model: str,
    estimate: CostEstimate,
    result: GenerationResult | None = None,
    task_id: str | None = None,
    failure: str | None = None,
    failure_code: str | None = None,
) -> None:
    reused = bool(result and result.from_sidecar)
    emit_event(
        SUCCEEDED_EVENT if succeeded else FAILED_EVENT,
        resource={
            "prefect.resource.id": f"runway.generation.{key}",
            "prefect.resource.name": name,
            "runway.model": model,
            "runway.reused": "true" if reused else "false",
        },
        payload={
            "flow": kind,
            "key": key,
            "name": name,
            "model": model,
            "task_id": result.task_id if result else task_id,
            "s3_uri": result.output_uri if result else None,
            "sidecar_uri": result.sidecar_uri if result else None,
            "credits": result.total_credits if result else None,
            "estimated_credits": estimate.credits,
            "attempts": result.attempts if result else None,
            "reused": reused,
            "failure": scrub(failure if result is None else result.failure),
            "failure_code": failure_code if result is None else result.failure_code,
        },
    )


# ---------------------------------------------------------------------------------------------
# The run


async def _prior(
    destination: S3Bucket, prefix: str, name: str, key: str
) -> tuple[dict[str, Any] | None, LedgerEntry | None]:
    """The stored sidecar and the first attempt's ledger entry, as ``generate`` reads them."""

    def join(*parts: str) -> str:
        return "/".join(p.strip("/") for p in parts if p.strip("/"))

    sidecar = await read_sidecar(destination, join(prefix, f"{name}.json"))
    if sidecar is not None and sidecar.get("key") == key:
        return sidecar, None
    entry = await SubmissionLedger(destination, join(prefix, "_runway")).read(attempt_key(key, 1))
    return None, entry


def _action(
    sidecar: Mapping[str, Any] | None, entry: LedgerEntry | None, allow_resubmit: bool
) -> tuple[str, bool]:
    """What a run would do, and whether it would pay for a new generation."""
    if sidecar is not None:
        return f"already stored at {sidecar.get('output_uri')}: nothing to pay", False
    if entry is not None and entry.task_id is not None:
        return f"reattach to Runway task {entry.task_id}: nothing new to pay", False
    if entry is not None and not allow_resubmit:
        return "stop: an earlier submit may have been billed (AmbiguousSubmission)", False
    return "submit", True


async def run_generation(spec: GenerationSpec, settings: RunSettings, *, kind: str) -> FlowOutcome:
    """One generation from a flow: checks, cost control, ``generate``, artifacts and events.

    Args:
        spec: The generation.
        settings: Blocks, budgets and waiting.
        kind: ``image-to-video`` or ``character-performance`` (artifact keys, event payload).

    Raises:
        pydantic.ValidationError, InputError: a request or input Runway would refuse.
        OverBudget, InsufficientCredits, DailyLimitWouldBeCrossed: refused for its cost.
        GenerationFailed: Runway failed the generation (its reason and code).
        runway.AmbiguousSubmission, runway.RunTimeout: see ``tasks.generate``.
    """
    run_logger = get_run_logger()
    request = spec.validate_request()  # each model's rules, before any file is read
    destination = await S3Bucket.aload(settings.destination_block)
    credentials = await RunwayCredentials.aload(settings.credentials_block)
    async with credentials.get_client() as client:
        client.provider.check(request)
        s3 = S3Reader(destination.credentials.get_s3_client())
        content_ids = await identify_inputs(spec, s3)
        key = generation_key(spec, base_url=client.base_url, content_ids=content_ids)
        name = spec.name or key
        estimate = await estimate_spec(spec, request, s3)
        run_logger.info("%s (%s): estimated %s", name, spec.model, estimate.basis)
        sidecar, entry = await _prior(destination, settings.prefix, name, key)
        action, pays = _action(sidecar, entry, settings.allow_resubmit)
        if settings.dry_run:
            return await _dry_run(kind, client, spec, key, name, estimate, settings, action, pays)
        if pays:
            try:
                check_budget(estimate, settings.max_credits)
                organization = await read_organization(client, run_logger)
                if organization is not None:
                    problem = organization_problem(organization, estimate)
                    if problem is not None:
                        raise problem
            except (CostRefused, DailyLimitWouldBeCrossed) as refusal:
                await _results_table(
                    kind, spec.model, None, None, None, "refused", str(refusal)
                )  # fmt: skip
                raise
        else:
            run_logger.info("%s: %s", name, action)
        reporter = ProgressReporter(name, spec.model, run_logger)
        try:
            result = await generate(
                spec, destination=destination, prefix=settings.prefix, client=client,
                wait_policy=settings.wait_policy(), max_attempts=settings.max_attempts,
                allow_resubmit=settings.allow_resubmit, on_update=reporter,
            )  # fmt: skip
        except Exception as error:
            reason = f"{type(error).__name__}: {error}"
            await _results_table(kind, spec.model, None, None, None, "failed", reason)
            _emit(
                kind, succeeded=False, key=key, name=name, model=spec.model, estimate=estimate,
                task_id=getattr(error, "task_id", None) or reporter.task_id,
                failure=str(error), failure_code=type(error).__name__,
            )  # fmt: skip
            raise
    succeeded = result.status == "succeeded"
    reason: str | None = None
    if not succeeded:
        reason = f"{result.failure_code}: {result.failure}"
    elif result.from_sidecar:
        reason = "already stored by an earlier run: nothing paid"
    await _results_table(
        kind, result.model, result.seconds, result.total_credits, result.output_uri,
        result.status, reason,
    )  # fmt: skip
    _emit(
        kind, succeeded=succeeded, key=key, name=name, model=result.model, estimate=estimate,
        result=result,
    )  # fmt: skip
    spent = 0.0 if result.from_sidecar or not pays else (result.total_credits or 0.0)
    if not succeeded:
        raise GenerationFailed(result)
    run_logger.info(
        "%s: stored %s (%s credits)", name, result.output_uri, _cell(result.total_credits)
    )
    return FlowOutcome(
        status="succeeded", model=result.model, name=name, key=key, estimate=estimate,
        output_uri=result.output_uri, sidecar_uri=result.sidecar_uri, task_id=result.task_id,
        credits=result.total_credits, credits_spent=spent, result=result,
    )  # fmt: skip


async def _dry_run(
    kind: str,
    client: RunwayClient,
    spec: GenerationSpec,
    key: str,
    name: str,
    estimate: CostEstimate,
    settings: RunSettings,
    action: str,
    pays: bool,
) -> FlowOutcome:
    run_logger = get_run_logger()
    balance: Any = ""
    if pays:
        try:
            check_budget(estimate, settings.max_credits)
            organization = await read_organization(client, run_logger)
            if organization is not None:
                balance = organization.credit_balance
                problem = organization_problem(organization, estimate)
                if problem is not None:
                    action = f"refuse: {problem}"
        except OverBudget as refusal:
            action = f"refuse: {refusal}"
    await acreate_table_artifact(
        key=f"runway-{kind}-estimate",
        table=[
            {
                "row": 1,
                "model": spec.model,
                "name": name,
                "output seconds": _cell(
                    None if estimate.seconds is None else round(estimate.seconds, 2)
                ),
                "credits per second": estimate.credits_per_second,
                "estimated credits": _cell(estimate.credits),
                "at most": estimate.at_most,
                "max credits": _cell(settings.max_credits),
                "balance": balance,
                "action": scrub(action),
            }
        ],
        description=f"Dry run of a Runway {kind.replace('-', ' ')}: nothing was submitted",
    )
    run_logger.info("dry run: %s (%s); %s; nothing submitted", name, estimate.basis, action)
    return FlowOutcome(
        status="dry_run", model=spec.model, name=name, key=key, estimate=estimate, action=action
    )
