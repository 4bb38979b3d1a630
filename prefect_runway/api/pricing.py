"""What a generation is estimated to cost, in credits, before it is submitted.

Published rates (1 credit = US$0.01; ``reference/runway-api.md`` section 12 and the pricing
sentences of the SDK 5.24.0 docstrings):

| model | rate |
|---|---|
| ``gen4_turbo`` | 5 per second |
| ``gen4.5`` | 12 per second, plus 5 for ``prores`` / ``png_sequence``, plus 20 for 10-bit and
  deeper formats (40 when the output is larger than 4 megapixels) |
| ``veo3.1`` | 20 per second without audio, 40 with (audio is on by default) |
| ``veo3.1_fast`` | 10 per second without audio, 15 with |
| ``seedance2`` | 36 per second; ``auto`` (or no ``duration``) at its 15 s maximum |
| ``act_two`` | 5 per second of the reference clip |
| ``ruby`` (video_to_hdr) | 20 per second of the source, 40 when it is larger than 4 megapixels |
| ``gen4_image`` | 5 per image at 720p, 8 at 1080p |
| ``gen4_image_turbo`` | 2 per image |
| ``gemini_2.5_flash`` | 5 per image |
| ``muse_image`` | 1 per image |
| ``ideogram_4_0`` | 4 / 7 / 11 per image (low / medium / high) |
| ``ideogram_4_5`` | 1 / 4 / 8 / 25 per image (very_low / low / medium / high) |
| ``bria_fibo_1_5`` | 5 per image at 1 MP, 10 at 4 MP |

Every other model has no published price: its estimate is :class:`PriceUnknown`, a value of
its own (never 0), so that a budget is never passed by something that could not be priced.
Where a price depends on something unknown before paying (``auto`` durations, an omitted
quality), the estimate is the most it can cost, as Runway's own ``estimatedCost`` is ("the
maximum credits this task may charge"). Fractional seconds (an Act-Two clip of 4.2 s) are
billed as whole started seconds, as the emulator does; Runway's own rounding is UNCONFIRMED.

Example:
    >>> from prefect_runway.api import Gen4TurboImageToVideo
    >>> estimate_credits(
    ...     Gen4TurboImageToVideo(prompt_image="https://example.com/a.png", ratio="960:960",
    ...                           duration=5)
    ... )
    25.0
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from prefect_runway.api.errors import PrefectRunwayError
from prefect_runway.api.fields import GenerationRequestBase
from prefect_runway.api.generation import parse_generation_request

__all__ = [
    "PRICE_UNKNOWN",
    "CreditEstimate",
    "PriceUnknown",
    "PriceUnknownError",
    "credits_per_second",
    "estimate",
    "estimate_credits",
]

PRICE_UNKNOWN = "price unknown"
"""How an estimate without a published price reads."""

_PER_SECOND: dict[str, float] = {"gen4_turbo": 5.0, "gen4.5": 12.0, "act_two": 5.0}
_AUDIO_RATES: dict[str, tuple[float, float]] = {
    "veo3.1": (20.0, 40.0),
    "veo3.1_fast": (10.0, 15.0),
}
"""Veo rates: (without audio, with audio)."""
_SEEDANCE2 = 36.0
# "`auto` is billed at the variant maximum up front"; seedance2's durations are 4-15 s.
_SEEDANCE2_MIN_SECONDS = 4
_SEEDANCE2_MAX_SECONDS = 15
_RUBY_RATES = (20.0, 40.0)

_EIGHT_BIT_FORMATS = frozenset({"prores", "png_sequence"})
_EIGHT_BIT_SURCHARGE = 5.0
_DEEP_SURCHARGE = 20.0
_DEEP_LARGE_SURCHARGE = 40.0
_LARGE_PIXELS = 4_000_000

_PER_IMAGE: dict[str, float] = {"gen4_image_turbo": 2.0, "gemini_2.5_flash": 5.0, "muse_image": 1.0}
_IDEOGRAM_4_0 = {"low": 4.0, "medium": 7.0, "high": 11.0}
_IDEOGRAM_4_5 = {"very_low": 1.0, "low": 4.0, "medium": 8.0, "high": 25.0}


class PriceUnknownError(PrefectRunwayError, ValueError):
    """A request was asked for its price in credits and none is published for it."""


@dataclass(frozen=True)
class CreditEstimate:
    """What a generation may cost, in credits.

    Attributes:
        model: The model.
        endpoint: The endpoint.
        credits: The most it may cost (Runway's ``estimatedCost`` is a maximum too).
        at_least: The least it may cost (equal to ``credits`` when the price is exact).
        basis: How the figure was reached, for people.
    """

    model: str
    endpoint: str
    credits: float
    at_least: float
    basis: str

    def __str__(self) -> str:
        if self.at_least == self.credits:
            return f"{self.credits:g} credits ({self.basis})"
        return f"{self.at_least:g} to {self.credits:g} credits ({self.basis})"


@dataclass(frozen=True)
class PriceUnknown:
    """No published price: the generation's cost is learnt only from Runway's answer.

    A distinct value, never 0: a run under ``max_credits`` must refuse it unless the run gives
    a price cap for the model.
    """

    model: str
    endpoint: str
    reason: str

    def __str__(self) -> str:
        return f"{PRICE_UNKNOWN} ({self.reason})"


def _pixels(ratio: object) -> int:
    """Pixels of an output ``ratio`` such as ``"1280:720"`` (0 when not a pixel size)."""
    if not isinstance(ratio, str):
        return 0
    width, _, height = ratio.partition(":")
    return int(width) * int(height) if width.isdigit() and height.isdigit() else 0


def _short_side(ratio: object) -> int:
    if not isinstance(ratio, str):
        return 0
    width, _, height = ratio.partition(":")
    return min(int(width), int(height)) if width.isdigit() and height.isdigit() else 0


def credits_per_second(request: GenerationRequestBase) -> float:
    """The rate ``request`` is billed at, in credits per second of output.

    Raises:
        PriceUnknownError: no published per-second rate for the request's model.
    """
    model = request.model
    if model in _AUDIO_RATES:
        without, with_audio = _AUDIO_RATES[model]
        return with_audio if getattr(request, "audio", True) else without
    if model == "seedance2":
        return _SEEDANCE2
    if model not in _PER_SECOND:
        known = sorted([*_PER_SECOND, *_AUDIO_RATES, "seedance2"])
        raise PriceUnknownError(
            f"no published credit rate for model {model!r}; priced per second: {known}"
        )
    rate = _PER_SECOND[model]
    output_format = getattr(request, "output_format", None)
    if output_format is None or output_format == "mp4":
        return rate
    if output_format in _EIGHT_BIT_FORMATS:
        return rate + _EIGHT_BIT_SURCHARGE
    large = _pixels(getattr(request, "ratio", None)) > _LARGE_PIXELS
    return rate + (_DEEP_LARGE_SURCHARGE if large else _DEEP_SURCHARGE)


def _whole(seconds: float) -> int:
    # Whole started seconds; the epsilon keeps a probed 5.0000001 s from costing 6 s.
    return math.ceil(seconds - 1e-9)


def _per_image(request: GenerationRequestBase) -> tuple[float, float, str] | None:
    """``(most, least, basis)`` per image, or None when the model has no published price."""
    model = request.model
    if model in _PER_IMAGE:
        rate = _PER_IMAGE[model]
        unit = "credit" if rate == 1 else "credits"
        return rate, rate, f"{rate:g} {unit} per image"
    if model == "gen4_image":
        ratio = getattr(request, "ratio", None)
        rate = 5.0 if _short_side(ratio) <= 720 else 8.0
        return (
            rate,
            rate,
            f"{rate:g} credits per image at {ratio} ({'720p' if rate == 5 else '1080p'})",
        )
    if model == "bria_fibo_1_5":
        ratio = getattr(request, "ratio", None)
        rate = 10.0 if _pixels(ratio) > 2_000_000 else 5.0
        return rate, rate, f"{rate:g} credits per image at {ratio}"
    if model == "ideogram_4_0":
        quality = getattr(request, "quality", None)
        if quality is None:
            return 11.0, 4.0, "4 to 11 credits per image (quality not given)"
        rate = _IDEOGRAM_4_0[quality]
        return rate, rate, f"{rate:g} credits per image at quality {quality}"
    if model == "ideogram_4_5":
        quality = getattr(request, "quality", None)
        if quality is None:
            # "Defaults to medium (8 credits per image) when generating from reference images
            # and high (25 credits) otherwise, including preciseEdit."
            references = bool(getattr(request, "reference_images", None))
            precise = bool(getattr(request, "precise_edit", None))
            quality = "medium" if references and not precise else "high"
        rate = _IDEOGRAM_4_5[quality]
        return rate, rate, f"{rate:g} credits per image at quality {quality}"
    return None


def estimate(
    request: GenerationRequestBase | Mapping[str, Any],
    *,
    output_seconds: float | None = None,
    source_pixels: int | None = None,
) -> CreditEstimate | PriceUnknown:
    """What ``request`` may cost, or :class:`PriceUnknown` when no price is published.

    Args:
        request: A typed request, or its body as a mapping (validated first).
        output_seconds: The output's length when the request does not fix it: Act-Two's
            reference clip, the source video of ``ruby`` (probe them). A request with a
            ``duration`` needs none; a different value is refused as a mistake.
        source_pixels: ``ruby``: the source's width x height, when probed (the rate doubles
            above 4 megapixels; without it the estimate is the higher rate).

    Raises:
        ValueError: the output's length is needed and unknown, or ``output_seconds``
            contradicts the request's duration or is not positive.
        pydantic.ValidationError: a mapping that is not a valid request.

    Example:
        >>> print(estimate({"model": "wan3", "promptText": "A fox", "ratio": "1280:720"}))
        price unknown (no published price for wan3 on text_to_video)
    """
    typed = (
        request if isinstance(request, GenerationRequestBase) else parse_generation_request(request)
    )
    model = typed.model
    endpoint = str(getattr(typed, "endpoint", ""))
    fixed = typed.output_seconds
    if output_seconds is not None:
        if not math.isfinite(output_seconds) or output_seconds <= 0:
            raise ValueError(f"output_seconds must be a positive number, not {output_seconds!r}")
        if fixed is not None and not math.isclose(fixed, output_seconds):
            raise ValueError(
                f"{model} requests {fixed:g} s of video; output_seconds={output_seconds:g} "
                "contradicts it (leave it out for requests with a duration)"
            )
    count = int(getattr(typed, "output_count", None) or 1)

    image = _per_image(typed)
    if image is not None:
        most, least, basis = image
        suffix = f" x {count} images" if count != 1 else ""
        return CreditEstimate(model, endpoint, most * count, least * count, basis + suffix)

    if model == "ruby":
        if output_seconds is None:
            raise ValueError(
                "cannot price this ruby request without the source video's length (probe it "
                "and pass output_seconds)"
            )
        low, high = _RUBY_RATES
        source_seconds = _whole(output_seconds)
        if source_pixels is not None:
            rate = high if source_pixels > _LARGE_PIXELS else low
            credits = rate * source_seconds
            basis = f"{rate:g} credits/s x {source_seconds} s"
            return CreditEstimate(model, endpoint, credits, credits, basis)
        return CreditEstimate(
            model,
            endpoint,
            high * source_seconds,
            low * source_seconds,
            f"{low:g} credits/s x {source_seconds} s, {high:g} if the source is above 4 megapixels",
        )

    try:
        rate = credits_per_second(typed)
    except PriceUnknownError:
        return PriceUnknown(model, endpoint, f"no published price for {model} on {endpoint}")

    seconds: float | None = fixed if fixed is not None else output_seconds
    if seconds is None and model == "seedance2":
        most = float(rate * _SEEDANCE2_MAX_SECONDS)
        if getattr(typed, "duration", None) == "auto":
            basis = f"{rate:g} credits/s x {_SEEDANCE2_MAX_SECONDS} s (billed at its maximum)"
            return CreditEstimate(model, endpoint, most, most, basis)
        # No duration: Runway's default is unpublished, somewhere in the 4-15 s range.
        least = float(rate * _SEEDANCE2_MIN_SECONDS)
        basis = (
            f"{rate:g} credits/s x {_SEEDANCE2_MIN_SECONDS}-{_SEEDANCE2_MAX_SECONDS} s "
            "(no duration given; Runway's default is unpublished)"
        )
        return CreditEstimate(model, endpoint, most, least, basis)
    if seconds is None:
        what = (
            "the reference clip's length (probe it and pass output_seconds)"
            if model == "act_two"
            else "the output's length (pass output_seconds)"
        )
        raise ValueError(f"cannot price this {model} request without {what}")
    whole = _whole(seconds)
    credits = float(rate * whole)
    return CreditEstimate(model, endpoint, credits, credits, f"{rate:g} credits/s x {whole} s")


def estimate_credits(
    request: GenerationRequestBase | Mapping[str, Any], *, output_seconds: float | None = None
) -> float:
    """Credits ``request`` is estimated to cost (the most it may cost).

    Args:
        request: A typed request, or its body as a mapping (validated first).
        output_seconds: The output's length when the request does not fix it: for Act-Two,
            the reference clip's length (probe it). A request with a ``duration`` needs none;
            a different value is refused as a mistake.

    Returns:
        The estimate in credits (equal to what the emulator charges).

    Raises:
        ValueError: the output's length is unknown (Act-Two without ``output_seconds``),
            ``output_seconds`` contradicts the request's duration or is not positive.
        PriceUnknownError: no price is published for the model (a ``ValueError`` too).
        pydantic.ValidationError: a mapping that is not a valid request.

    Example:
        >>> estimate_credits(
        ...     {"model": "act_two",
        ...      "character": {"type": "image", "uri": "https://example.com/face.png"},
        ...      "reference": {"type": "video", "uri": "https://example.com/take.mp4"}},
        ...     output_seconds=4.2,
        ... )
        25.0
    """
    result = estimate(request, output_seconds=output_seconds)
    if isinstance(result, PriceUnknown):
        raise PriceUnknownError(f"{result}; its cost is known only once Runway answers")
    return result.credits
