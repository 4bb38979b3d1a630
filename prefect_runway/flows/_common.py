"""What the single-generation flows share: parameters, cost control, and what the user sees.

``run_generation`` is one generation's flow-level life around ``prefect_runway.tasks.generate``:

```
validate the request (each model's rules)            -> pydantic.ValidationError, nothing spent
plan it, once (tasks/plan.py): inputs identified, priced (Act-Two: probe the clip), the
  sidecar, its object and the ledger read over every attempt -> InputError, InvalidName
the plan pays nothing now (stored, in flight)? -> no checks; a later attempt is still priced
dry_run?        -> an estimate table artifact, return: no POST
max_credits     -> OverBudget when the attempt this run pays is above it
organization    -> InsufficientCredits / DailyLimitWouldBeCrossed (a provider without the
                   endpoint gets a log line)
generate(plan, budget, on_update=progress) -> every paid attempt reserved against max_credits
                   before its POST; the task id logged, a progress artifact
results table artifact, event runway.generation.succeeded | .failed
```

Artifacts and events carry no secret: no API key, no signed URL query string (failure texts are
scrubbed of query strings too).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

from prefect import get_run_logger
from prefect.artifacts import acreate_table_artifact
from pydantic import BaseModel, ConfigDict

from prefect_runway.api import RunwayClient, WaitPolicy
from prefect_runway.api.pricing import PRICE_UNKNOWN
from prefect_runway.flows.parameters import (
    AllowResubmit,
    CredentialsBlockName,
    DestinationBlock,
    DryRun,
    KeyPrefix,
    MaxAttempts,
    MaxCredits,
    MaxQueueMinutes,
    MaxRunMinutes,
    OutputName,
    PollInterval,
    Seed,
    Variant,
)
from prefect_runway.flows.reporting import (
    ProgressReporter,
    cell,
    create_results_table,
    emit_generation_event,
    results_row,
    scrub,
)
from prefect_runway.flows.thumbnails import image_preview_artifact
from prefect_runway.flows.user_errors import load_credentials, load_destination
from prefect_runway.tasks.allowed_inputs import InputPolicy
from prefect_runway.tasks.cost import (
    CostEstimate,
    RefusedBeforeSubmit,
    check_budget,
    organization_problem,
    read_organization,
)
from prefect_runway.tasks.generate import GenerationFailed, GenerationResult, generate
from prefect_runway.tasks.inputs import S3Reader
from prefect_runway.tasks.locations import check_prefix
from prefect_runway.tasks.plan import Action, CreditBudget, GenerationPlan, plan_generation
from prefect_runway.tasks.spec import GenerationSpec

__all__ = [
    "AllowResubmit",
    "CredentialsBlockName",
    "DestinationBlock",
    "DryRun",
    "FlowOutcome",
    "KeyPrefix",
    "MaxAttempts",
    "MaxCredits",
    "MaxQueueMinutes",
    "MaxRunMinutes",
    "OutputName",
    "PollInterval",
    "RunSettings",
    "Seed",
    "Variant",
    "credits_cell",
    "estimate_row",
    "refuse_if_unaffordable",
    "run_generation",
]

# The parameters every flow shares are declared once, in ``prefect_runway.flows.parameters``
# (re-exported here for the flows that import them from this module).


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
    price_caps: dict[str, float] | None = None

    def wait_policy(self) -> WaitPolicy:
        return WaitPolicy(
            poll_interval=self.poll_interval,
            max_queue_seconds=self.max_queue_minutes * 60 if self.max_queue_minutes else None,
            max_run_seconds=self.max_run_minutes * 60 if self.max_run_minutes else None,
        )


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


# ---------------------------------------------------------------------------------------------
# The run


async def refuse_if_unaffordable(
    client: RunwayClient,
    estimates: list[CostEstimate],
    max_credits: float | None,
    run_logger: Any,
    price_caps: Mapping[str, float] | None = None,
) -> int | None:
    """Check the budget, then the organization's balance and daily limits, for paid generations.

    A generation without a published price is refused under ``max_credits`` unless
    ``price_caps`` (or its plan) caps its model.

    Returns:
        The organization's credit balance, or None when the provider cannot tell it.

    Raises:
        OverBudget, InsufficientCredits, DailyLimitWouldBeCrossed: before anything is submitted.
    """
    check_budget(estimates, max_credits, price_caps)
    organization = await read_organization(client, run_logger)
    if organization is None:
        return None
    problem = organization_problem(organization, estimates) if estimates else None
    if problem is not None:
        raise problem
    return organization.credit_balance


async def run_generation(spec: GenerationSpec, settings: RunSettings, *, kind: str) -> FlowOutcome:
    """One generation from a flow: checks, cost control, ``generate``, artifacts and events.

    The generation is planned once (``tasks/plan.py``): the dry run, the budget and the
    organization's checks read the same plan that ``generate`` then carries out.

    Args:
        spec: The generation.
        settings: Blocks, budgets and waiting.
        kind: ``image-to-video`` or ``character-performance`` (artifact keys, event payload).

    Raises:
        pydantic.ValidationError, InputError, InvalidName, NameTaken: a request, input or
            name that cannot be sent.
        OverBudget, InsufficientCredits, DailyLimitWouldBeCrossed: refused for its cost.
        GenerationFailed: Runway failed the generation (its reason and code).
        runway.AmbiguousSubmission, runway.RunTimeout: see ``prefect_runway.tasks.generate``.
    """
    run_logger = get_run_logger()
    request = spec.validate_request()  # each model's rules, before any file is read
    wait_policy = settings.wait_policy()  # poll interval and budgets, before anything is paid
    check_prefix(settings.prefix)
    destination = await load_destination(settings.destination_block)
    credentials = await load_credentials(settings.credentials_block)
    policy = InputPolicy.for_blocks(destination, credentials)
    results_key = f"runway-{kind}-results"
    async with credentials.get_client() as client:
        client.provider.check(request)
        s3 = S3Reader(destination.credentials.get_s3_client())
        plan = await plan_generation(
            spec, destination=destination, prefix=settings.prefix, client=client, s3=s3,
            max_attempts=settings.max_attempts, allow_resubmit=settings.allow_resubmit,
            input_policy=policy, price_caps=settings.price_caps,
        )  # fmt: skip
        estimate = plan.estimate
        assert estimate is not None  # plan_generation prices by default
        key, name = plan.key, plan.name
        run_logger.info("%s (%s): estimated %s", name, spec.model, estimate.basis)
        if settings.dry_run:
            return await _dry_run(kind, client, spec, plan, settings)
        if plan.pays:
            try:
                await refuse_if_unaffordable(
                    client, [estimate], settings.max_credits, run_logger, settings.price_caps
                )
            except RefusedBeforeSubmit as refusal:
                row = results_row(1, spec.model, None, None, None, "refused", str(refusal))
                await create_results_table(results_key, [row], f"Runway {kind}: refused")
                raise
        else:
            run_logger.info("%s: %s", name, plan.describe())
        reporter = ProgressReporter(name, spec.model, run_logger)
        try:
            result = await generate(
                spec, destination=destination, prefix=settings.prefix, client=client,
                wait_policy=wait_policy, max_attempts=settings.max_attempts,
                allow_resubmit=settings.allow_resubmit, on_update=reporter, input_policy=policy,
                plan=plan,
                budget=CreditBudget(settings.max_credits, dict(settings.price_caps or {})),
            )  # fmt: skip
        except Exception as error:
            why = f"{type(error).__name__}: {error}"
            row = results_row(1, spec.model, None, None, None, "failed", why)
            await create_results_table(results_key, [row], f"Runway {kind}: failed")
            emit_generation_event(
                kind, succeeded=False, key=key, name=name, model=spec.model,
                estimated_credits=estimate.credits,
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
    row = results_row(
        1, result.model, result.seconds, result.total_credits, result.output_uri, result.status,
        reason,
    )  # fmt: skip
    await create_results_table(results_key, [row], f"Runway {kind}: {result.status}")
    emit_generation_event(
        kind, succeeded=succeeded, key=key, name=name, model=result.model,
        estimated_credits=estimate.credits, result=result,
    )  # fmt: skip
    if not succeeded:
        raise GenerationFailed(result)
    run_logger.info("%s: stored %s (%s credits)", name, result.output_uri, result.total_credits)
    # An image output is shown in the run as a thumbnail (as the storyboard shows its clips).
    await image_preview_artifact(destination, result, prefix=settings.prefix, kind=kind)
    return FlowOutcome(
        status="succeeded", model=result.model, name=name, key=key, estimate=estimate,
        output_uri=result.output_uri, sidecar_uri=result.sidecar_uri, task_id=result.task_id,
        credits=result.total_credits, credits_spent=result.credits_spent, result=result,
    )  # fmt: skip


def credits_cell(credits: float) -> float | str:
    """Credits for a table: an unknown, uncapped price reads "price unknown", never a number."""
    return credits if math.isfinite(credits) else PRICE_UNKNOWN


def estimate_row(
    row: int, name: str, estimate: CostEstimate, action: str, balance: int | None,
    max_credits: float | None, plan: GenerationPlan | None = None,
) -> dict[str, Any]:  # fmt: skip
    """One row of a dry run's estimate table artifact.

    ``pays now`` is what this run pays as it starts (an attempt it submits); ``at most`` what it
    may pay at worst, every attempt it may still create charged in full (Runway refunds
    retryable failures, as its ``cost.credits`` then says).
    """
    return {
        "row": row,
        "model": estimate.model,
        "name": name,
        "output seconds": cell(None if estimate.seconds is None else round(estimate.seconds, 2)),
        "credits per second": cell(estimate.credits_per_second),
        "estimated credits": cell(estimate.credits) if not estimate.unknown else estimate.shown(),
        "pays now": credits_cell(plan.price if plan is not None else estimate.at_most),
        "at most": credits_cell(plan.at_most if plan is not None else estimate.at_most),
        "max credits": cell(max_credits),
        "balance": cell(balance),
        "action": scrub(action),
    }


async def _dry_run(
    kind: str,
    client: RunwayClient,
    spec: GenerationSpec,
    plan: GenerationPlan,
    settings: RunSettings,
) -> FlowOutcome:
    run_logger = get_run_logger()
    estimate = plan.estimate
    assert estimate is not None
    action, balance = plan.describe(), None
    if plan.pays:
        try:
            balance = await refuse_if_unaffordable(
                client, [estimate], settings.max_credits, run_logger, settings.price_caps
            )
        except RefusedBeforeSubmit as refusal:
            action = f"refuse: {refusal}"
    elif plan.step.action is Action.NAME_TAKEN:
        action = plan.describe()
    await acreate_table_artifact(
        key=f"runway-{kind}-estimate",
        table=[estimate_row(1, plan.name, estimate, action, balance, settings.max_credits, plan)],
        description=f"Dry run of a Runway {kind.replace('-', ' ')}: nothing was submitted",
    )
    run_logger.info("dry run: %s (%s); %s; nothing submitted", plan.name, estimate.basis, action)
    return FlowOutcome(
        status="dry_run", model=spec.model, name=plan.name, key=plan.key, estimate=estimate,
        action=action,
    )  # fmt: skip
