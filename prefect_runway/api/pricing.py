"""What a generation is estimated to cost, in credits, before it is submitted (runway-api.md §12).

Published rates, per second of output (1 credit = US$0.01):

| model | credits per second |
|---|---|
| ``gen4_turbo`` | 5 |
| ``gen4.5`` | 12, plus 5 for ``prores`` / ``png_sequence``, plus 20 for 10-bit and deeper
  formats (40 when the output is larger than 4 megapixels) |
| ``veo3.1`` | 20 without audio, 40 with (audio is on by default) |
| ``veo3.1_fast`` | 10 without audio, 15 with |
| ``act_two`` | 5, over the reference clip's length |

Fractional seconds (an Act-Two reference clip of 4.2 s) are billed as whole started seconds, as
the emulator does; Runway's own rounding is UNCONFIRMED. The API reports the authoritative
figures (``estimatedCost`` at create, ``cost.credits`` when done); this module exists so that a
budget can be checked before anything is sent.

Example:
    >>> from runway import Gen4TurboImageToVideo
    >>> estimate_credits(
    ...     Gen4TurboImageToVideo(prompt_image="https://example.com/a.png", ratio="960:960",
    ...                           duration=5)
    ... )
    25.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from prefect_runway.api.fields import GenerationRequestBase
from prefect_runway.api.generation import parse_generation_request

__all__ = ["credits_per_second", "estimate_credits"]

_BASE_RATES: dict[str, float] = {"gen4_turbo": 5.0, "gen4.5": 12.0, "act_two": 5.0}
_AUDIO_RATES: dict[str, tuple[float, float]] = {
    "veo3.1": (20.0, 40.0),
    "veo3.1_fast": (10.0, 15.0),
}
"""Veo rates: (without audio, with audio)."""

_PLAIN_FORMATS = frozenset({"mp4"})
_EIGHT_BIT_FORMATS = frozenset({"prores", "png_sequence"})
_EIGHT_BIT_SURCHARGE = 5.0
_DEEP_SURCHARGE = 20.0
_DEEP_LARGE_SURCHARGE = 40.0
_LARGE_PIXELS = 4_000_000


def _pixels(ratio: str | None) -> int:
    """Pixels of an output ``ratio`` such as ``"1280:720"`` (0 when not a pixel size)."""
    if not ratio:
        return 0
    width, _, height = ratio.partition(":")
    return int(width) * int(height) if width.isdigit() and height.isdigit() else 0


def credits_per_second(request: GenerationRequestBase) -> float:
    """The rate ``request`` is billed at, in credits per second of output.

    Raises:
        ValueError: no published rate for the request's model.
    """
    model = request.model
    if model in _AUDIO_RATES:
        without, with_audio = _AUDIO_RATES[model]
        return with_audio if getattr(request, "audio", True) else without
    if model not in _BASE_RATES:
        known = sorted([*_BASE_RATES, *_AUDIO_RATES])
        raise ValueError(f"no published credit rate for model {model!r}; priced models: {known}")
    rate = _BASE_RATES[model]
    output_format = getattr(request, "output_format", None)
    if output_format is None or output_format in _PLAIN_FORMATS:
        return rate
    if output_format in _EIGHT_BIT_FORMATS:
        return rate + _EIGHT_BIT_SURCHARGE
    large = _pixels(getattr(request, "ratio", None)) > _LARGE_PIXELS
    return rate + (_DEEP_LARGE_SURCHARGE if large else _DEEP_SURCHARGE)


def estimate_credits(
    request: GenerationRequestBase | Mapping[str, Any], *, output_seconds: float | None = None
) -> float:
    """Credits ``request`` is estimated to cost: its rate times its output's length.

    Args:
        request: A typed request, or its body as a mapping (validated first).
        output_seconds: The output's length when the request does not fix it: for Act-Two,
            the reference clip's length (probe it). A request with a ``duration`` needs none;
            a different value is refused as a mistake.

    Returns:
        The estimate in credits (equal to what the emulator charges).

    Raises:
        ValueError: the output's length is unknown (Act-Two without ``output_seconds``),
            ``output_seconds`` contradicts the request's duration or is not positive, or the
            model has no published rate.
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
    typed: GenerationRequestBase
    if isinstance(request, GenerationRequestBase):
        typed = request
    else:
        typed = parse_generation_request(request)
    fixed = typed.output_seconds
    if output_seconds is not None:
        if not math.isfinite(output_seconds) or output_seconds <= 0:
            raise ValueError(f"output_seconds must be a positive number, not {output_seconds!r}")
        if fixed is not None and not math.isclose(fixed, output_seconds):
            raise ValueError(
                f"{typed.model} requests {fixed:g} s of video; output_seconds={output_seconds:g} "
                "contradicts it (leave it out for requests with a duration)"
            )
    seconds = fixed if fixed is not None else output_seconds
    if seconds is None:
        what = (
            "the reference clip's length (probe it and pass output_seconds)"
            if typed.model == "act_two"
            else "the output's length (pass output_seconds)"
        )
        raise ValueError(f"cannot price this {typed.model} request without {what}")
    # Whole started seconds; the epsilon keeps a probed 5.0000001 s from costing 6 s.
    whole_seconds = math.ceil(seconds - 1e-9)
    return float(credits_per_second(typed) * whole_seconds)
