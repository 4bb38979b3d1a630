"""Cross-field rules the SDK's types cannot express, checked before anything is sent.

Each rule quotes the SDK 5.24.0 docstring it comes from; the generator
(``scripts/catalogue/hand.py``) says which models obey which rule. The emulator implements the
same rules on its own (``prefect_runway.testing.emulator.rules``), so a rule wrong on either
side fails a test instead of being agreed on silently.

Every rule raises ``ValueError`` naming the field, the value and what is allowed; pydantic
turns it into a ``ValidationError``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel

__all__ = ["RULES"]

Rule = Callable[[BaseModel], None]

_PRORES_PROFILES = ("422", "4444", "422 Proxy", "422 LT", "422 HQ", "4444 XQ")
_HDR_PRORES_PROFILES = ("422", "422 HQ", "4444")
# Which outputFormat values take a proresProfile, per model.
_PRORES_FORMATS: dict[str, tuple[str, ...]] = {
    "gen4.5": ("prores", "hdr_prores"),
    "aleph2": ("prores",),
    "ruby": ("hdr_prores",),
}
KLING_SHOTS_SECONDS = (3, 15)


def _positions(frames: Sequence[Any]) -> list[str | None]:
    return [getattr(frame, "position", None) for frame in frames]


def keyframes(request: BaseModel) -> None:
    """A first frame and optionally a last one: "This model does not support generating with
    only a last frame"; "A last frame requires a first frame"."""
    frames = getattr(request, "prompt_image", None)
    if not isinstance(frames, list | tuple):
        return
    positions = _positions(frames)
    if "first" not in positions:
        raise ValueError(
            f"promptImage positions {positions}: this model needs a first frame; it "
            "does not generate from only a last frame"
        )
    if len(positions) != len(set(positions)):
        raise ValueError(
            f"promptImage positions {positions}: give at most one 'first' and one 'last'"
        )


def keyframes_or_references(request: BaseModel) -> None:
    """ "Use position first/last for keyframe mode, or omit position for reference images.
    The two modes cannot be mixed." """
    frames = getattr(request, "prompt_image", None)
    if not isinstance(frames, list | tuple):
        return
    positions = _positions(frames)
    given = [position for position in positions if position is not None]
    if given and len(given) != len(positions):
        raise ValueError(
            f"promptImage positions {positions}: give every image a position (keyframe mode) "
            "or none (reference images); the two modes cannot be mixed"
        )
    if len(given) != len(set(given)):
        raise ValueError(f"promptImage positions {positions}: each position at most once")


def prores_profile(request: BaseModel) -> None:
    """ "proresProfile: Only valid when `outputFormat` is `prores` or `hdr_prores`" (gen4.5;
    aleph2: `prores` only; ruby: `hdr_prores` only); `hdr_prores` takes 422, 422 HQ, 4444."""
    profile = getattr(request, "prores_profile", None)
    if profile is None:
        return
    output_format = getattr(request, "output_format", None)
    allowed = _PRORES_FORMATS[str(getattr(request, "model", ""))]
    if output_format not in allowed:
        named = " or ".join(repr(f) for f in allowed)
        raise ValueError(
            f"proresProfile {profile!r} is only allowed with outputFormat {named}, "
            f"not {output_format!r}"
        )
    if output_format == "hdr_prores" and profile not in _HDR_PRORES_PROFILES:
        raise ValueError(
            f"proresProfile {profile!r} is not available with outputFormat 'hdr_prores'; "
            f"use one of {list(_HDR_PRORES_PROFILES)}"
        )


def kling_shots(request: BaseModel) -> None:
    """ "Total duration across all segments must be between 3 and 15 seconds. `promptText` is
    still required when `shotType` is "intelligence"." """
    settings = getattr(request, "provider_settings", None)
    if settings is None:
        return
    shots = getattr(settings, "multi_prompt", None) or []
    if shots:
        total = sum(shot.duration for shot in shots)
        low, high = KLING_SHOTS_SECONDS
        if not low <= total <= high:
            raise ValueError(
                f"providerSettings.multiPrompt lasts {total} s in all; the segments must add "
                f"up to {low} to {high} seconds"
            )
    if getattr(settings, "shot_type", None) == "intelligence" and not getattr(
        request, "prompt_text", None
    ):
        raise ValueError(
            "providerSettings.shotType 'intelligence' needs promptText; give a prompt or use "
            "shotType 'customize' with multiPrompt"
        )


def seedance_draft(request: BaseModel) -> None:
    """ "Draft mode only supports `mp4`." """
    output_format = getattr(request, "output_format", None)
    if getattr(request, "draft", None) and output_format not in (None, "mp4"):
        raise ValueError(
            f"outputFormat {output_format!r} is not available with draft=True; drafts are mp4"
        )


def seedance_mode(request: BaseModel) -> None:
    """ "`extend` continues the input video, requires `promptText`, and matches the input
    aspect ratio, so `ratio` may not be provided. `edit` modifies the input video in place,
    requires `promptText`, requires `duration: "auto"`, and does not accept `ratio`." """
    mode = getattr(request, "mode", None)
    if mode not in ("extend", "edit"):
        return
    if not getattr(request, "prompt_text", None):
        raise ValueError(f"mode {mode!r} needs promptText")
    ratio = getattr(request, "ratio", None)
    if ratio is not None:
        raise ValueError(f"mode {mode!r} keeps the input's framing; leave ratio out, not {ratio!r}")
    duration = getattr(request, "duration", None)
    if mode == "edit" and duration != "auto":
        raise ValueError(f"mode 'edit' needs duration 'auto', not {duration!r}")


def keyframe_ranges(request: BaseModel) -> None:
    """ "All keyframes must either set a range or none may." (aleph2)"""
    frames = getattr(request, "keyframes", None) or []
    with_range = [getattr(frame, "range", None) is not None for frame in frames]
    if any(with_range) and not all(with_range):
        raise ValueError(
            f"keyframes: {sum(with_range)} of {len(frames)} set a range; set a range on every "
            "keyframe or on none"
        )


def adaptive_ratio(request: BaseModel) -> None:
    """ "Use adaptive only when image or video references are provided; text-only requests
    require a concrete ratio." (hailuo3 text-to-video)"""
    has_references = bool(getattr(request, "references", None)) or bool(
        getattr(request, "reference_videos", None)
    )
    ratio = getattr(request, "ratio", None)
    if has_references:
        return
    if ratio == "adaptive":
        raise ValueError(
            "ratio 'adaptive' needs image or video references; a text-only request needs a "
            "concrete ratio such as '16:9'"
        )
    if ratio is None:
        raise ValueError("a text-only request needs a concrete ratio such as '16:9'")


def keyframe_auto_ratio(request: BaseModel) -> None:
    """ "Keyframe image-to-video requests must use `auto_480p`, `auto_720p`, or `auto_1080p`
    because their aspect ratio follows the first frame." (wan3)"""
    frames = getattr(request, "prompt_image", None)
    if not isinstance(frames, list | tuple) or not any(_positions(frames)):
        return
    ratio = getattr(request, "ratio", None)
    if ratio is not None and not str(ratio).startswith("auto_"):
        raise ValueError(
            f"ratio {ratio!r}: keyframe requests follow the first frame's aspect; use "
            "'auto_480p', 'auto_720p' or 'auto_1080p'"
        )


def unique_tags(request: BaseModel) -> None:
    """ "No two images may share the same tag." """
    images = getattr(request, "reference_images", None) or []
    tags = [getattr(image, "tag", None) for image in images]
    named = [tag for tag in tags if tag is not None]
    duplicates = sorted({tag for tag in named if named.count(tag) > 1})
    if duplicates:
        raise ValueError(f"referenceImages: the tags {duplicates} are used more than once")


def ideogram_edit(request: BaseModel) -> None:
    """``very_low`` "requires reference images and is not available with `preciseEdit`";
    preciseEdit "Requires at least one reference image"; ratio is "Not available with
    `maskUri` or `preciseEdit`"."""
    references = getattr(request, "reference_images", None) or []
    precise = bool(getattr(request, "precise_edit", None))
    if getattr(request, "quality", None) == "very_low":
        if not references:
            raise ValueError("quality 'very_low' needs referenceImages")
        if precise:
            raise ValueError("quality 'very_low' is not available with preciseEdit")
    if precise and not references:
        raise ValueError("preciseEdit needs at least one reference image")
    ratio = getattr(request, "ratio", None)
    if ratio not in (None, "auto") and (precise or getattr(request, "mask_uri", None)):
        raise ValueError(
            f"ratio {ratio!r} is not available with maskUri or preciseEdit, which keep the "
            "first reference image's size"
        )


def bria_edit_ratio(request: BaseModel) -> None:
    """ "Choosing a size requires at least 2 reference images." """
    ratio = getattr(request, "ratio", None)
    references = getattr(request, "reference_images", None) or []
    if ratio not in (None, "auto") and len(references) < 2:
        raise ValueError(
            f"ratio {ratio!r} needs at least 2 reference images ({len(references)} given); "
            "leave it out or use 'auto' to keep the first image's framing"
        )


RULES: dict[str, Rule] = {
    "keyframes": keyframes,
    "keyframes_or_references": keyframes_or_references,
    "prores_profile": prores_profile,
    "kling_shots": kling_shots,
    "seedance_draft": seedance_draft,
    "seedance_mode": seedance_mode,
    "keyframe_ranges": keyframe_ranges,
    "adaptive_ratio": adaptive_ratio,
    "keyframe_auto_ratio": keyframe_auto_ratio,
    "unique_tags": unique_tags,
    "ideogram_edit": ideogram_edit,
    "bria_edit_ratio": bria_edit_ratio,
}
"""Every rule by the name the generated models refer to."""
