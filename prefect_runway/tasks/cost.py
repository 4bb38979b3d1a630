"""Cost control before anything is paid: estimates, budgets, the organization's balance and limits.

Every refusal here happens before a POST, so a refused run spends nothing:

- ``OverBudget``: the estimate is above the user's ``max_credits``, or a generation has no
  published price and the run gave no ``price_caps`` for its model (it cannot be held to a
  budget);
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
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from prefect_runway.api import GenerationRequest, Organization, RunwayClient
from prefect_runway.api.character_performance import REFERENCE_MAX_SECONDS, REFERENCE_MIN_SECONDS
from prefect_runway.api.errors import PrefectRunwayError
from prefect_runway.api.pricing import (
    PRICE_UNKNOWN,
    PriceUnknown,
    PriceUnknownError,
    credits_per_second,
    estimate,
    estimate_credits,
)
from prefect_runway.api.probe import MediaFacts
from prefect_runway.api.providers import Capability
from prefect_runway.tasks.inputs import S3Reader, probe_input
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
    "price_caps_of",
    "read_organization",
]


class CostEstimate(BaseModel):
    """What a generation is expected to cost, before it is submitted.

    Attributes:
        model: The Runway model.
        credits_per_second: The rate it is billed at, for models billed by the second.
        seconds: The output's length, when known.
        credits: The estimate, when exact (Runway's ``estimatedCost`` agrees).
        at_least: The lowest it can cost (``credits`` when known; 0 when unknown).
        at_most: The most it can cost (``credits`` when known; Act-Two with an unprobed
            reference: its 30 s maximum). For a price that is unknown: the run's price cap for
            the model, else infinity, so that no sum of estimates ever fits a budget with it.
        basis: How the figure was reached, for people.
        endpoint: The endpoint.
        unknown: No price is published for the request: what it costs is learnt only from
            Runway's answer.
        cap: The run's price cap for the model (``price_caps``), when the price is unknown.
    """

    model_config = ConfigDict(frozen=True)

    model: str
    credits_per_second: float | None
    seconds: float | None
    credits: float | None
    at_least: float
    at_most: float
    basis: str
    endpoint: str = ""
    unknown: bool = False
    cap: float | None = None

    @property
    def priced(self) -> bool:
        """Whether a budget can count it: a known price, or an unknown one under a cap."""
        return not self.unknown or self.cap is not None

    def shown(self) -> str:
        """The estimate for people: ``25 credits``, ``4 to 11 credits``, ``price unknown``."""
        if self.unknown:
            capped = f", capped at {self.cap:g} by price_caps" if self.cap is not None else ""
            return f"{PRICE_UNKNOWN}{capped}"
        if self.credits is not None:
            return f"{self.credits:g} credits"
        return f"{self.at_least:g} to {self.at_most:g} credits"


def price_caps_of(price_caps: Mapping[str, float] | None) -> dict[str, float]:
    """``price_caps`` checked: model name -> credits per generation, each finite and >= 0.

    Raises:
        ValueError: naming the model and the value.

    Example:
        >>> price_caps_of({"wan3": 120})
        {'wan3': 120.0}
    """
    checked: dict[str, float] = {}
    for model, cap in (price_caps or {}).items():
        value = float(cap)
        if not math.isfinite(value) or value < 0:
            raise ValueError(
                f"price_caps[{model!r}] = {cap!r}: give the most credits you accept per "
                "generation, a number >= 0"
            )
        checked[str(model)] = value
    return checked


def _unknown(
    request: GenerationRequest, reason: str, price_caps: Mapping[str, float] | None
) -> CostEstimate:
    cap = price_caps_of(price_caps).get(request.model)
    endpoint = str(request.endpoint)
    if cap is None:
        return CostEstimate(
            model=request.model, endpoint=endpoint, credits_per_second=None, seconds=None,
            credits=None, at_least=0.0, at_most=math.inf, unknown=True,
            basis=f"{PRICE_UNKNOWN} ({reason})",
        )  # fmt: skip
    return CostEstimate(
        model=request.model, endpoint=endpoint, credits_per_second=None, seconds=None,
        credits=None, at_least=0.0, at_most=cap, unknown=True, cap=cap,
        basis=f"{PRICE_UNKNOWN} ({reason}); at most {cap:g} credits, the run's price cap",
    )  # fmt: skip


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


async def _probe(ref: MediaRef, s3: S3Reader | None, model: str) -> MediaFacts | None:
    """What a media input holds (PyAV), or None when it cannot be read here.

    Raises:
        InputError: the input is unreadable, or outside the model's media limits.
    """
    kind = ref.ref_kind
    if kind is RefKind.LOCAL:
        return await asyncio.to_thread(probe_input, ref, Path(ref.value).expanduser(), model)
    if kind is RefKind.S3:
        if s3 is None:
            return None
        with _temporary_file(Path(S3Reader.split(ref.value)[1]).suffix) as path:
            await s3.download(ref.value, path)
            return await asyncio.to_thread(probe_input, ref, path, model)
    if kind is RefKind.DATA:
        data = _decode_data_uri(ref.value)
        if data is None:
            return None
        with _temporary_file(".media") as path:
            await asyncio.to_thread(path.write_bytes, data)
            return await asyncio.to_thread(probe_input, ref, path, model)
    return None  # https and runway:// media are Runway's to fetch


def _source(spec: GenerationSpec, pattern: str) -> MediaRef | None:
    return next((ref for ref in spec.media() if ref.pattern == pattern), None)


async def estimate_spec(
    spec: GenerationSpec,
    request: GenerationRequest,
    s3: S3Reader | None = None,
    price_caps: Mapping[str, float] | None = None,
) -> CostEstimate:
    """Price a generation before submitting it (``prefect_runway.api.pricing``).

    Act-Two is priced over its reference clip and ``ruby`` over its source video, probed when
    a local file, an ``s3://`` object or a data URI; an https or ``runway://`` clip cannot be
    measured here, so Act-Two's estimate is a range (3 to 30 s) and ruby's is unknown (its
    source has no documented maximum length). A model without a published price is
    ``unknown``: its ``at_most`` is the run's cap for it in ``price_caps``, else infinity.

    Raises:
        InputError: a clip that is unreadable or outside the model's media limits.
    """
    output_seconds: float | None = None
    source_pixels: int | None = None
    if request.model in ("act_two", "ruby"):
        pattern = "reference.uri" if request.model == "act_two" else "videoUri"
        source = _source(spec, pattern)
        facts = await _probe(source, s3, request.model) if source is not None else None
        if facts is not None:
            output_seconds = facts.seconds
            if facts.width is not None and facts.height is not None:
                source_pixels = facts.width * facts.height
        if output_seconds is None and request.model == "act_two":
            low = estimate_credits(request, output_seconds=REFERENCE_MIN_SECONDS)
            high = estimate_credits(request, output_seconds=REFERENCE_MAX_SECONDS)
            per_second = credits_per_second(request)
            return CostEstimate(
                model=request.model, endpoint=str(request.endpoint), credits_per_second=per_second,
                seconds=None, credits=None, at_least=low, at_most=high,
                basis=f"{per_second:g} credits/s over a reference clip that cannot be probed here "
                f"({REFERENCE_MIN_SECONDS:g}-{REFERENCE_MAX_SECONDS:g} s): {low:g} to {high:g}",
            )  # fmt: skip
        if output_seconds is None:
            return _unknown(
                request, "the source video cannot be probed here, and its length sets the "
                "price", price_caps,
            )  # fmt: skip
    try:
        priced = estimate(
            request,
            output_seconds=output_seconds if request.output_seconds is None else None,
            source_pixels=source_pixels,
        )
    except ValueError as error:  # the length the price needs is unknown before paying
        return _unknown(request, str(error), price_caps)
    if isinstance(priced, PriceUnknown):
        return _unknown(request, priced.reason, price_caps)
    try:
        rate: float | None = credits_per_second(request)
    except PriceUnknownError:
        rate = None  # priced per image
    seconds = request.output_seconds if request.output_seconds is not None else output_seconds
    exact = priced.at_least == priced.credits
    return CostEstimate(
        model=request.model, endpoint=priced.endpoint, credits_per_second=rate, seconds=seconds,
        credits=priced.credits if exact else None, at_least=priced.at_least,
        at_most=priced.credits, basis=priced.basis,
    )  # fmt: skip


def check_budget(
    estimates: Iterable[CostEstimate],
    max_credits: float | None,
    price_caps: Mapping[str, float] | None = None,
) -> None:
    """Refuse generations whose estimate, summed, is above ``max_credits``.

    A generation of unknown price is refused under a budget unless ``price_caps`` (or its
    estimate) caps its model: a budget is never passed by something that could not be priced.

    Args:
        estimates: One per generation that would be paid for.
        max_credits: The budget; None for no budget.
        price_caps: Credits per generation the run accepts, by model, for unknown prices.

    Raises:
        OverBudget: naming the estimate and the budget.

    Example:
        >>> check_budget([], max_credits=0)  # nothing to pay: within any budget
    """
    caps = price_caps_of(price_caps)
    estimates = [
        estimate.model_copy(update={"cap": caps[estimate.model], "at_most": caps[estimate.model]})
        if estimate.unknown and estimate.cap is None and estimate.model in caps
        else estimate
        for estimate in estimates
    ]
    if max_credits is None:
        return
    unpriced = sorted({estimate.model for estimate in estimates if not estimate.priced})
    if unpriced:
        example = ", ".join(f"{model!r}: N" for model in unpriced)
        raise OverBudget(
            f"{len([e for e in estimates if not e.priced])} generation(s) of {', '.join(unpriced)} "
            f"have no published price, so max_credits={max_credits:g} cannot be held: give "
            f"price_caps={{{example}}} (the most credits you accept per generation) to allow "
            "them; nothing was submitted"
        )
    most = sum(estimate.at_most for estimate in estimates)
    if most <= max_credits:
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
