"""Generations that start from another's stored output, planned and priced before any POST.

A storyboard's scene made from words is two generations: a still (text-to-image), then the
clip animating it (image-to-video); an upscale is a third, after the clip. The clip's
generation key hashes the still's *content*, so it cannot be keyed, nor looked up in the
ledger, before the still exists. Yet nothing may be spent on a storyboard the budget cannot
finish. So the steps are planned in stages, every stage through the batch's path
(``plan_rows``, the ledger, the budget, ``run_planned``):

1. Before any POST, the steps that need nothing are planned; a step whose input is *already
   stored* (a re-run) is planned for real with it; any other is *provisional*: its name is
   claimed and its request validated and priced with a stand-in for the missing input (the
   price of image-to-video or an upscale does not depend on the picture). The budget and the
   organization's checks count every stage's estimate, provisional ones included.
2. Each stage runs; then the steps waiting on it are planned with the stored outputs and run,
   all under one ``CreditBudget`` (every create reserved before its POST). A step whose input
   failed fails without a POST, naming why.

Example:
    ```python
    staged = await plan_stages(steps, client, destination, folder, results, inputs)
    await refuse_if_unaffordable(client, staged.paid(), max_credits, run_logger)
    await run_stages(staged, client, destination, folder, results, run)
    ```
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from prefect_aws import S3Bucket
from pydantic import ValidationError

from prefect_runway.api import RunwayClient
from prefect_runway.flows.batch import PlannedGeneration, RowResult, plan_rows
from prefect_runway.flows.manifest import ManifestRow
from prefect_runway.tasks.allowed_inputs import InputPolicy
from prefect_runway.tasks.cost import CostEstimate, estimate_spec
from prefect_runway.tasks.locations import InvalidName, OutputLocation, RunNames
from prefect_runway.tasks.plan import Action, GenerationPlan, Step
from prefect_runway.tasks.spec import GenerationSpec, InputError

__all__ = ["StagedPlan", "StepKind", "StepRow", "plan_stages", "run_stages"]

StepKind = Literal["still", "clip", "upscale", "voice", "sound"]

# Stands in for an input that does not exist yet, only to validate and price the request: a
# provisional step is never submitted (it is planned again with the stored output first).
_STAND_IN = {
    "promptImage": "https://stand-in.example.com/still.png",
    "videoUri": "https://stand-in.example.com/clip.mp4",
}

_WHAT: dict[StepKind, str] = {
    "still": "still",
    "clip": "clip",
    "upscale": "upscale",
    "voice": "voice-over",
    "sound": "sound effect",
}


@dataclass(frozen=True)
class StepRow:
    """One generation of a storyboard: what it makes, for which shot, and what it needs.

    Attributes:
        line: Its number among the storyboard's rows (shots' clips are 1..N).
        shot: The shot's number (from 1).
        step: ``still``, ``clip``, ``upscale``, ``voice`` or ``sound``.
        name: Its output's name.
        request: Its request body (without ``field`` when it needs another's output).
        endpoint: Its endpoint.
        needs: The line of the step whose stored output fills ``field``, or None.
        field: The request field ``needs``'s output fills (``promptImage``, ``videoUri``).
    """

    line: int
    shot: int
    step: StepKind
    name: str
    request: dict[str, Any]
    endpoint: str
    needs: int | None = None
    field: str | None = None

    @property
    def what(self) -> str:
        """``shot 2 still``: how messages name it."""
        return f"shot {self.shot} {_WHAT[self.step]}"

    def spec(self, given: str | None = None) -> GenerationSpec:
        """Its spec, with ``given`` (the needed output's URI, or a stand-in) in ``field``."""
        body = dict(self.request)
        if self.field is not None:
            body[self.field] = given or _STAND_IN[self.field]
        return GenerationSpec(request=body, endpoint=self.endpoint, name=self.name)

    def row(self, given: str | None = None) -> ManifestRow:
        return ManifestRow(line=self.line, spec=self.spec(given))


@dataclass(frozen=True)
class _WaitingPlan(GenerationPlan):
    """A provisional plan: priced, named, never carried out (``plan_stages``)."""

    after: str = ""

    def describe(self) -> str:
        return f"submit once its {self.after} is stored (priced now, keyed then)"


@dataclass
class StagedPlan:
    """Every step of a run: those planned now, and those waiting for another's output.

    Attributes:
        steps: Every step, by line.
        ready: Generations planned for real (their inputs exist): they run first.
        waiting: Provisional generations, by line: priced before any POST, planned for real
            once what they need is stored.
    """

    steps: dict[int, StepRow]
    ready: list[PlannedGeneration] = field(default_factory=list)
    waiting: dict[int, PlannedGeneration] = field(default_factory=dict)

    def paid(self) -> list[CostEstimate]:
        """One estimate per generation this run may pay for, across every stage."""
        generations = [*self.ready, *self.waiting.values()]
        return [g.estimate for g in generations if g.pays and g.estimate is not None]

    def every(self) -> list[PlannedGeneration]:
        """Every generation, ready then waiting (the dry run's table)."""
        return [*self.ready, *self.waiting.values()]


def _failed(step: StepRow, reason: str) -> RowResult:
    return RowResult(
        line=step.line, name=step.name, model=str(step.request.get("model")), status="failed",
        reason=reason,
    )  # fmt: skip


def _stored_output(generation: PlannedGeneration | None) -> str | None:
    """The output a generation already has in S3 (a re-run), else None."""
    if generation is None or generation.plan is None:
        return None
    if generation.plan.step.action is not Action.STORED or generation.plan.sidecar is None:
        return None
    uri = generation.plan.sidecar.get("output_uri")
    return uri if isinstance(uri, str) and uri.startswith("s3://") else None


def _depth(step: StepRow, steps: Mapping[int, StepRow]) -> int:
    depth = 0
    while step.needs is not None:
        step = steps[step.needs]
        depth += 1
    return depth


async def plan_stages(
    steps: list[StepRow],
    client: RunwayClient,
    destination: S3Bucket,
    prefix: str,
    results: dict[int, RowResult],
    policy: InputPolicy,
    *,
    max_attempts: int,
    names: RunNames,
    price_caps: Mapping[str, float] | None = None,
) -> StagedPlan:
    """Plan every step before any POST: for real where its inputs exist, else provisionally.

    Steps that cannot run are recorded in ``results`` (with the steps that need them).
    """
    by_line = {step.line: step for step in steps}
    staged = StagedPlan(steps=by_line)
    planned: dict[int, PlannedGeneration] = {}

    async def plan_now(rows: list[ManifestRow], claims: RunNames) -> None:
        generations = await plan_rows(
            rows, client, destination, prefix, results, policy, max_attempts=max_attempts,
            names=claims, price_caps=price_caps,
        )  # fmt: skip
        staged.ready.extend(generations)
        for generation in generations:
            for row in (generation.row, *generation.twins):
                planned[row.line] = generation

    await plan_now([s.row() for s in steps if s.needs is None], names)
    for depth in range(1, 1 + max((_depth(s, by_line) for s in steps), default=0)):
        at_depth = [s for s in steps if s.needs is not None and _depth(s, by_line) == depth]
        known: list[ManifestRow] = []
        for step in at_depth:
            needed = by_line[step.needs or 0]
            if needed.line in results:
                results[step.line] = _failed(
                    step, f"not submitted: its {_WHAT[needed.step]} ({needed.name}) cannot be "
                    f"made: {results[needed.line].reason}",
                )  # fmt: skip
                continue
            stored = _stored_output(planned.get(needed.line))
            if stored is not None:
                known.append(step.row(stored))
                continue
            waiting = await _provisional(step, needed, prefix, names, max_attempts, price_caps)
            if isinstance(waiting, str):
                results[step.line] = _failed(step, waiting)
            else:
                staged.waiting[step.line] = waiting
        if known:
            # Their names were not claimed yet; with the stored input they have real keys.
            await plan_now(known, names)
    return staged


async def _provisional(
    step: StepRow,
    needed: StepRow,
    prefix: str,
    names: RunNames,
    max_attempts: int,
    price_caps: Mapping[str, float] | None,
) -> PlannedGeneration | str:
    """A step whose input is not made yet, validated, named and priced; or why it cannot be."""
    spec = step.spec()
    try:
        request = spec.validate_request()
        estimate = await estimate_spec(spec, request, None, price_caps)
        # One placeholder key per request and input: a twin asks for the same.
        pending = "pending:" + json.dumps([needed.name, step.request], sort_keys=True)
        refusal = names.claim(step.name, pending, where=step.what)
        if refusal is not None:
            return refusal
        location = OutputLocation.of(prefix=prefix, name=step.name, key=pending)
    except (ValidationError, ValueError, InputError, InvalidName) as error:
        return str(error)
    plan = _WaitingPlan(
        spec=spec, key=location.key, location=location, content_ids={}, estimate=estimate,
        step=Step(Action.SUBMIT, 1), max_attempts=max_attempts,
        after=f"{_WHAT[needed.step]} ({needed.name})",
    )  # fmt: skip
    return PlannedGeneration(key=location.key, row=step.row(), spec=spec, plan=plan)


Run = Callable[[list[PlannedGeneration]], Awaitable[None]]


async def run_stages(
    staged: StagedPlan,
    client: RunwayClient,
    destination: S3Bucket,
    prefix: str,
    results: dict[int, RowResult],
    policy: InputPolicy,
    run: Run,
    *,
    max_attempts: int,
    reserved: RunNames,
    price_caps: Mapping[str, float] | None = None,
) -> None:
    """Run the ready generations, then each waiting one once what it needs is stored.

    ``run`` carries out planned generations (``run_planned`` with the run's one budget).
    ``reserved`` holds only the flow's own names: every step's name was claimed when planned.
    """
    await run(staged.ready)
    waiting = dict(staged.waiting)
    while waiting:
        ready = {line: step for line, step in staged.steps.items() if line in waiting}
        ready = {line: s for line, s in ready.items() if (s.needs or 0) in results}
        if not ready:  # pragma: no cover - every waiting step needs a step that ran
            raise RuntimeError(f"steps wait on nothing that ran: {sorted(waiting)}")
        rows: list[ManifestRow] = []
        for line, step in ready.items():
            del waiting[line]
            needed = staged.steps[step.needs or 0]
            made = results[needed.line]
            if made.status == "succeeded" and made.s3_uri:
                rows.append(step.row(made.s3_uri))
            else:
                results[line] = _failed(
                    step, f"not submitted: its {_WHAT[needed.step]} ({needed.name}) was not "
                    f"made: {made.reason or made.status}",
                )  # fmt: skip
        if rows:
            generations = await plan_rows(
                rows, client, destination, prefix, results, policy, max_attempts=max_attempts,
                names=RunNames(reserved=dict(reserved.reserved)), price_caps=price_caps,
            )  # fmt: skip
            await run(generations)
