"""What a task of the catalogue's models makes and what it costs, as the emulator decides.

The emulator's own reading of the SDK 5.24.0 docstrings (it shares no code with the client's
``prefect_runway.api.catalogue.outputs`` or ``prefect_runway.api.pricing``):

* video endpoints make an MP4; ``outputFormat`` ``prores``, ``hdr_prores``,
  ``hdr_pq_12bit_master`` or ``mov`` makes a QuickTime .mov (real ProRes), the frame sequences
  a .zip of PNG frames (the emulator writes PNG where Runway writes EXR or 16-bit PNG);
* image endpoints make PNG unless ``outputFormat`` says ``jpeg`` or ``webp``
  (``recraft_v4_1_flash`` defaults to WebP, ``recraft_v4_1_vector`` draws an SVG), one per
  ``outputCount``;
* audio endpoints make what ``outputFormat``/``format`` asks (WAV, MP3, FLAC, Ogg Opus), MP3
  otherwise, one per ``numVariants``.

Credits use the published rates (``reference/runway-api.md`` section 12 and the docstrings'
pricing sentences); models without a published rate are charged a nominal amount (video 10
credits a second, images 5 each, audio 2 credits a second) so that budgets and balances move.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "AUDIO_ENDPOINTS",
    "IMAGE_ENDPOINTS",
    "VIDEO_ENDPOINTS",
    "OutputPlan",
    "catalogue_credits",
    "plan_output",
]

VIDEO_ENDPOINTS = frozenset(
    {
        "image_to_video",
        "text_to_video",
        "video_to_video",
        "character_performance",
        "video_upscale",
        "video_to_hdr",
    }
)
IMAGE_ENDPOINTS = frozenset({"text_to_image", "image_upscale"})
AUDIO_ENDPOINTS = frozenset(
    {
        "sound_effect",
        "text_to_speech",
        "speech_to_speech",
        "video_to_audio",
        "voice_dubbing",
        "voice_isolation",
    }
)

Kind = Literal["video", "image", "audio", "archive"]

_MOV = frozenset({"prores", "hdr_prores", "hdr_pq_12bit_master", "mov"})
_ZIP = frozenset(
    {
        "png_sequence",
        "hdr_png_sequence",
        "hdr_exr_sequence",
        "hdr_exr_acescg_sequence_1_3",
        "hdr_exr_acescg_sequence_2_0",
    }
)
_IMAGE_TYPES = {
    "png": ("png", "image/png"),
    "jpeg": ("jpg", "image/jpeg"),
    "webp": ("webp", "image/webp"),
    "svg": ("svg", "image/svg+xml"),
}
_AUDIO_TYPES = {
    "mp3": ("mp3", "audio/mpeg"),
    "wav": ("wav", "audio/wav"),
    "flac": ("flac", "audio/flac"),
    "ogg_opus": ("ogg", "audio/ogg"),
}


@dataclass(frozen=True)
class OutputPlan:
    """The outputs one task makes.

    Attributes:
        kind: ``video``, ``image``, ``audio`` or ``archive`` (a .zip of PNG frames).
        extension: File extension of each output.
        content_type: Its Content-Type.
        count: How many outputs.
        format: The codec/container choice (``mp4``, ``mov``, ``png``, ``mp3``...).
    """

    kind: Kind
    extension: str
    content_type: str
    count: int
    format: str


def plan_output(endpoint: str, model: str, body: dict[str, Any]) -> OutputPlan:
    """What a validated create body of ``model`` on ``endpoint`` makes."""
    if endpoint in VIDEO_ENDPOINTS:
        default = "hdr10" if endpoint == "video_to_hdr" else "mp4"
        output_format = str(body.get("outputFormat") or default)
        if output_format in _MOV:
            return OutputPlan("video", "mov", "video/quicktime", 1, "mov")
        if output_format in _ZIP:
            return OutputPlan("archive", "zip", "application/zip", 1, "zip")
        return OutputPlan("video", "mp4", "video/mp4", 1, "mp4")
    if endpoint in IMAGE_ENDPOINTS:
        count = int(body.get("outputCount") or 1)
        if model == "recraft_v4_1_vector":
            chosen = "svg"
        else:
            chosen = str(
                body.get("outputFormat") or ("webp" if model == "recraft_v4_1_flash" else "png")
            )
        extension, content_type = _IMAGE_TYPES.get(chosen, _IMAGE_TYPES["png"])
        return OutputPlan("image", extension, content_type, count, chosen)
    if endpoint in AUDIO_ENDPOINTS:
        count = int(body.get("numVariants") or 1)
        chosen = str(body.get("outputFormat") or body.get("format") or "mp3")
        extension, content_type = _AUDIO_TYPES.get(chosen, _AUDIO_TYPES["mp3"])
        return OutputPlan("audio", extension, content_type, count, chosen)
    raise ValueError(f"the emulator makes nothing for {endpoint!r}")


def _pixels(ratio: Any) -> int:
    parts = str(ratio).split(":")
    if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
        return int(parts[0]) * int(parts[1])
    return 0


def _short_side(ratio: Any) -> int:
    parts = str(ratio).split(":")
    if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
        return min(int(parts[0]), int(parts[1]))
    return 0


def catalogue_credits(
    endpoint: str,
    model: str,
    body: dict[str, Any],
    *,
    seconds: float,
    count: int,
    source_pixels: int | None = None,
) -> int:
    """Credits a task costs (its ``estimatedCost``): published rates, nominal ones otherwise.

    Args:
        endpoint: The endpoint.
        model: The model.
        body: The create body (validated).
        seconds: The output's length (video, audio) or the billed length (``auto`` at its
            maximum).
        count: How many images or variants.
        source_pixels: Width x height of the input video, when read (``ruby``).
    """
    whole = math.ceil(seconds - 1e-9)
    output_format = str(body.get("outputFormat") or "mp4")
    if model in ("gen4_turbo", "gen4.5", "act_two", "veo3.1", "veo3.1_fast"):
        if model.startswith("veo"):
            with_audio = body.get("audio", True) is not False
            rate = {"veo3.1": (20, 40), "veo3.1_fast": (10, 15)}[model][with_audio]
        else:
            rate = {"gen4_turbo": 5, "gen4.5": 12, "act_two": 5}[model]
        if output_format in ("prores", "png_sequence"):
            rate += 5
        elif output_format != "mp4":
            rate += 40 if _pixels(body.get("ratio")) > 4_000_000 else 20
        return rate * whole
    if model == "seedance2":
        return 36 * whole
    if model == "ruby":
        return (40 if (source_pixels or 0) > 4_000_000 else 20) * whole
    per_image = {"gen4_image_turbo": 2, "gemini_2.5_flash": 5, "muse_image": 1}
    if model in per_image:
        return per_image[model] * count
    if model == "gen4_image":
        return (5 if _short_side(body.get("ratio")) <= 720 else 8) * count
    if model == "bria_fibo_1_5":
        return (10 if _pixels(body.get("ratio")) > 2_000_000 else 5) * count
    if model == "ideogram_4_0":
        # Quality left out: charged as high (the most it can cost; the default is unpublished).
        return {"low": 4, "medium": 7, "high": 11}[str(body.get("quality", "high"))] * count
    if model == "ideogram_4_5":
        quality = body.get("quality")
        if quality is None:
            has_references = bool(body.get("referenceImages"))
            quality = "medium" if has_references and not body.get("preciseEdit") else "high"
        return {"very_low": 1, "low": 4, "medium": 8, "high": 25}[str(quality)] * count
    if endpoint in VIDEO_ENDPOINTS:
        return 10 * whole
    if endpoint in IMAGE_ENDPOINTS:
        return 5 * count
    return 2 * max(1, whole) * count
