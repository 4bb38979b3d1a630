"""Limits on the media themselves (length, pixel size, aspect), which only probing can check.

A URI says nothing about the file behind it; these limits apply once a local file, an ``s3://``
object or a data URI has been probed (PyAV), before anything is sent. Each quotes the SDK
5.24.0 docstring (or the OpenAPI document) it comes from. Media fetched by Runway from an https
URL cannot be checked here: Runway then fails the task with ``ASSET.INVALID``.
"""

from dataclasses import dataclass

__all__ = ["MEDIA_LIMITS", "MediaLimit"]


@dataclass(frozen=True)
class MediaLimit:
    """A limit on the media of one field of some models.

    Attributes:
        models: The models it applies to, on every endpoint where they have ``field``.
        field: The media field's path (wire names, ``[]`` for each item of a list).
        min_seconds: Shortest duration of each clip.
        max_seconds: Longest duration of each clip.
        max_total_seconds: Longest combined duration of all clips of the field.
        min_side: Fewest pixels on each side of each image.
        max_side: Most pixels on each side of each image.
        min_aspect: Lowest width / height.
        max_aspect: Highest width / height.
        source: The sentence the limit comes from.
    """

    models: tuple[str, ...]
    field: str
    source: str
    min_seconds: float | None = None
    max_seconds: float | None = None
    max_total_seconds: float | None = None
    min_side: int | None = None
    max_side: int | None = None
    min_aspect: float | None = None
    max_aspect: float | None = None


_SEEDANCE = ("seedance2", "seedance2_fast", "seedance2_mini")

MEDIA_LIMITS: tuple[MediaLimit, ...] = (
    MediaLimit(
        ("act_two",),
        "reference.uri",
        "The video must be between 3 and 30 seconds in duration.",
        min_seconds=3.0,
        max_seconds=30.0,
    ),
    MediaLimit(
        ("aleph2",),
        "videoUri",
        "runway-api.md 4.5: videoUri 'Must be 30 seconds or shorter'",
        max_seconds=30.0,
    ),
    MediaLimit(
        ("magnific_video_upscaler_creative",),
        "videoUri",
        "OpenAPI: 'Maximum duration is 30 seconds.'",
        max_seconds=30.0,
    ),
    MediaLimit(
        ("magnific_precision_upscaler_v2",),
        "imageUri",
        "OpenAPI: 'Each input dimension must be between 300px and 8000px.'",
        min_side=300,
        max_side=8000,
    ),
    MediaLimit(
        ("h3_max",),
        "promptImage",
        "Each image must be at least 256 pixels on both sides.",
        min_side=256,
    ),
    MediaLimit(
        ("h3_max",),
        "promptImage[].uri",
        "Each image must be at least 256 pixels on both sides.",
        min_side=256,
    ),
    MediaLimit(
        ("grok_imagine_1_5", "grok_imagine_1_5_lite"),
        "promptImage",
        "The output keeps its aspect ratio, which (width / height) must be between 0.4 and 2.5.",
        min_aspect=0.4,
        max_aspect=2.5,
    ),
    MediaLimit(
        (*_SEEDANCE, "hailuo3", "wan3", "wan3_prime"),
        "referenceVideos[].uri",
        "The combined duration across all video references must not exceed 15 seconds.",
        max_total_seconds=15.0,
    ),
    MediaLimit(
        (*_SEEDANCE, "hailuo3", "wan3", "wan3_prime"),
        "referenceAudio[].uri",
        "The total combined duration must not exceed 15 seconds.",
        max_total_seconds=15.0,
    ),
    MediaLimit(
        ("seedance2_5",),
        "referenceVideos[].uri",
        "The combined duration across all video references must not exceed 30 seconds.",
        max_total_seconds=30.0,
    ),
    MediaLimit(
        ("seedance2_5",),
        "referenceAudio[].uri",
        "The total combined duration must not exceed (image-to-video) / be less than "
        "(text-to-video) 30 seconds.",
        max_total_seconds=30.0,
    ),
    MediaLimit(
        ("kling_4",),
        "referenceVideos[].uri",
        "Up to 5 videos ... together at most 30 seconds long.",
        max_total_seconds=30.0,
    ),
    MediaLimit(
        ("grok_imagine_1_5",),
        "referenceAudio[].uri",
        "each clip must be between 3 and 15 seconds.",
        min_seconds=3.0,
        max_seconds=15.0,
    ),
)
"""The hand-checked media limits, one per (models, field)."""
