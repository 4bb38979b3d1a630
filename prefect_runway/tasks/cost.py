"""Cost control before anything is paid: estimates, budgets, the organization's balance and limits.

Every refusal here happens before a POST, so a refused run spends nothing:

- ``OverBudget``: the estimate is above the user's ``max_credits``;
- ``InsufficientCredits``: the organization's balance is below the estimate;
- ``DailyLimitWouldBeCrossed``: the generations needed exceed what a model's rolling 24 h
  limit has left.

A provider without the organization endpoint (CometAPI) gets a log line, not a failure.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import math
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from prefect_runway.api import GenerationRequest, Organization, RunwayClient
from prefect_runway.api.character_performance import REFERENCE_MAX_SECONDS, REFERENCE_MIN_SECONDS
from prefect_runway.api.errors import PrefectRunwayError
from prefect_runway.api.pricing import credits_per_second, estimate_credits
from prefect_runway.api.providers import Capability
from prefect_runway.tasks.inputs import S3Reader, check_reference
from prefect_runway.tasks.spec import GenerationSpec, MediaRef, RefKind

__all__ = [
    "CostEstimate",
    "DailyLimitWouldBeCrossed",
    "InsufficientCredits",
    "OverBudget",
    "RefusedBeforeSubmit",
    "check_budget",
    "estimate_spec",
    "organization_problem",
    "read_organization",
]


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


class RefusedBeforeSubmit(PrefectRunwayError, RuntimeError):
    """A run was refused before anything was submitted: nothing was spent."""


class OverBudget(RefusedBeforeSubmit):
    """The estimate is above ``max_credits``."""


class InsufficientCredits(RefusedBeforeSubmit):
    """The organization's balance is below the estimate."""


class DailyLimitWouldBeCrossed(RefusedBeforeSubmit):
    """The run needs more generations of a model than its daily limit has left."""


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
        return await asyncio.to_thread(check_reference, ref, Path(ref.value).expanduser())
    if kind is RefKind.S3:
        if s3 is None:
            return None
        with _temporary_file(Path(S3Reader.split(ref.value)[1]).suffix) as path:
            await s3.download(ref.value, path)
            return await asyncio.to_thread(check_reference, ref, path)
    if kind is RefKind.DATA:
        data = _decode_data_uri(ref.value)
        if data is None:
            return None
        with _temporary_file(".mp4") as path:
            await asyncio.to_thread(path.write_bytes, data)
            return await asyncio.to_thread(check_reference, ref, path)
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


def check_budget(estimates: Iterable[CostEstimate], max_credits: float | None) -> None:
    """Refuse generations whose estimate, summed, is above ``max_credits``.

    Args:
        estimates: One per generation that would be paid for.
        max_credits: The budget; None for no budget.

    Raises:
        OverBudget: naming the estimate and the budget.

    Example:
        >>> check_budget([], max_credits=0)  # nothing to pay: within any budget
    """
    estimates = list(estimates)
    most = sum(estimate.at_most for estimate in estimates)
    if max_credits is None or most <= max_credits:
        return
    if len(estimates) == 1:
        only = estimates[0]
        what = (
            f"{only.model} generation estimated at {only.credits:g} credits ({only.basis})"
            if only.credits is not None
            else f"{only.model} generation may cost up to {most:g} credits ({only.basis})"
        )
    else:
        what = f"{len(estimates)} generations may cost up to {most:g} credits"
    raise OverBudget(f"{what}, above max_credits={max_credits:g}; nothing was submitted")


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
    organization: Organization, estimates: Iterable[CostEstimate]
) -> RefusedBeforeSubmit | None:
    """Why the organization cannot run these new generations now, or None.

    Args:
        organization: Its balance and per-model daily limits, as just read.
        estimates: One per generation that would be paid for (not those already stored or
            submitted by an earlier run).
    """
    estimates = list(estimates)
    needed = Counter(estimate.model for estimate in estimates)
    crossed = []
    for model, count in sorted(needed.items()):
        limit = organization.daily_limit(model)
        used = organization.daily_usage(model)
        if limit is not None and used + count > limit:
            crossed.append(f"{model}: {count} new generation(s) needed, {used} of {limit} used")
    if crossed:
        return DailyLimitWouldBeCrossed(
            "the daily generation limit (a rolling 24 h window) would be crossed, so nothing "
            "was submitted: " + "; ".join(crossed)
        )
    least = sum(estimate.at_least for estimate in estimates)
    if organization.credit_balance < least:
        what = (
            f"this {estimates[0].model} generation is estimated at {least:g} credits "
            f"({estimates[0].basis})"
            if len(estimates) == 1
            else f"these {len(estimates)} generations are estimated at {least:g} credits at least"
        )
        return InsufficientCredits(
            f"the organization has {organization.credit_balance} credits; {what}; nothing was "
            "submitted"
        )
    return None
