"""The server side of the cross-field rules the SDK's types cannot express.

The client checks the same rules before sending (``prefect_runway.api.catalogue.rules``); this
is the emulator's own reading of the same SDK 5.24.0 sentences, on the raw JSON body, so a rule
wrong on either side shows up as a failing test. Each returns the issues it finds, in Runway's
shape, after the body passed its field checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect_runway.testing.emulator.validation import Issue

__all__ = ["RULES"]

Rule = Callable[[dict[str, Any]], list[Issue]]

_PRORES_FORMATS = {
    "gen4.5": ("prores", "hdr_prores"),
    "aleph2": ("prores",),
    "ruby": ("hdr_prores",),
}
_HDR_PRORES_PROFILES = ("422", "422 HQ", "4444")


def _custom(path: tuple[str | int, ...], message: str) -> list[Issue]:
    return [Issue("custom", path, message)]


def _frames(body: dict[str, Any]) -> list[dict[str, Any]] | None:
    frames = body.get("promptImage")
    return frames if isinstance(frames, list) else None


def keyframes(body: dict[str, Any]) -> list[Issue]:
    frames = _frames(body)
    if frames is None:
        return []
    positions = [frame.get("position") for frame in frames]
    if "first" not in positions:
        return _custom(
            ("promptImage",), "This model does not support generating with only a last frame."
        )
    if len(set(positions)) != len(positions):
        return _custom(("promptImage",), "Each position may appear at most once.")
    return []


def keyframes_or_references(body: dict[str, Any]) -> list[Issue]:
    frames = _frames(body)
    if frames is None:
        return []
    with_position = [frame["position"] for frame in frames if "position" in frame]
    if with_position and len(with_position) != len(frames):
        return _custom(
            ("promptImage",),
            "Keyframes (with a position) and reference images (without) cannot be mixed.",
        )
    if len(set(with_position)) != len(with_position):
        return _custom(("promptImage",), "Each position may appear at most once.")
    return []


def prores_profile(body: dict[str, Any]) -> list[Issue]:
    if "proresProfile" not in body:
        return []
    output_format = body.get("outputFormat")
    allowed = _PRORES_FORMATS[body["model"]]
    if output_format not in allowed:
        return _custom(
            ("proresProfile",),
            f"proresProfile is only valid when outputFormat is {' or '.join(allowed)}.",
        )
    if output_format == "hdr_prores" and body["proresProfile"] not in _HDR_PRORES_PROFILES:
        return _custom(
            ("proresProfile",), "hdr_prores only supports the 422, 422 HQ and 4444 profiles."
        )
    return []


def kling_shots(body: dict[str, Any]) -> list[Issue]:
    settings = body.get("providerSettings") or {}
    shots = settings.get("multiPrompt") or []
    issues: list[Issue] = []
    if shots and not 3 <= sum(shot["duration"] for shot in shots) <= 15:
        issues += _custom(
            ("providerSettings", "multiPrompt"),
            "Total duration across all segments must be between 3 and 15 seconds.",
        )
    if settings.get("shotType") == "intelligence" and not body.get("promptText"):
        issues += _custom(("promptText",), "promptText is required when shotType is intelligence.")
    return issues


def seedance_draft(body: dict[str, Any]) -> list[Issue]:
    if body.get("draft") is True and body.get("outputFormat", "mp4") != "mp4":
        return _custom(("outputFormat",), "Draft mode only supports mp4.")
    return []


def seedance_mode(body: dict[str, Any]) -> list[Issue]:
    mode = body.get("mode", "reference")
    if mode == "reference":
        return []
    issues: list[Issue] = []
    if not body.get("promptText"):
        issues += _custom(("promptText",), f"promptText is required in {mode} mode.")
    if "ratio" in body:
        issues += _custom(("ratio",), f"ratio may not be provided in {mode} mode.")
    if mode == "edit" and body.get("duration") != "auto":
        issues += _custom(("duration",), 'edit mode requires duration "auto".')
    return issues


def keyframe_ranges(body: dict[str, Any]) -> list[Issue]:
    frames = body.get("keyframes") or []
    ranged = sum(1 for frame in frames if "range" in frame)
    if 0 < ranged < len(frames):
        return _custom(("keyframes",), "All keyframes must either set a range or none may.")
    return []


def adaptive_ratio(body: dict[str, Any]) -> list[Issue]:
    if body.get("references") or body.get("referenceVideos"):
        return []
    if body.get("ratio", "adaptive") == "adaptive":
        return _custom(("ratio",), "Text-only requests require a concrete ratio.")
    return []


def keyframe_auto_ratio(body: dict[str, Any]) -> list[Issue]:
    frames = _frames(body)
    if not frames or not any("position" in frame for frame in frames):
        return []
    ratio = body.get("ratio")
    if ratio is not None and not str(ratio).startswith("auto_"):
        return _custom(
            ("ratio",), "Keyframe requests must use auto_480p, auto_720p, or auto_1080p."
        )
    return []


def unique_tags(body: dict[str, Any]) -> list[Issue]:
    tags = [image["tag"] for image in body.get("referenceImages") or [] if "tag" in image]
    if len(tags) != len(set(tags)):
        return _custom(("referenceImages",), "No two images may share the same tag.")
    return []


def ideogram_edit(body: dict[str, Any]) -> list[Issue]:
    references = body.get("referenceImages") or []
    precise = body.get("preciseEdit") is True
    issues: list[Issue] = []
    if body.get("quality") == "very_low" and (not references or precise):
        issues += _custom(
            ("quality",),
            "very_low requires reference images and is not available with preciseEdit.",
        )
    if precise and not references:
        issues += _custom(("preciseEdit",), "preciseEdit requires at least one reference image.")
    if body.get("ratio", "auto") != "auto" and (precise or "maskUri" in body):
        issues += _custom(("ratio",), "ratio is not available with maskUri or preciseEdit.")
    return issues


def bria_edit_ratio(body: dict[str, Any]) -> list[Issue]:
    if body.get("ratio", "auto") != "auto" and len(body.get("referenceImages") or []) < 2:
        return _custom(("ratio",), "Choosing a size requires at least 2 reference images.")
    return []


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
"""Every rule by the name catalogue.json uses."""
