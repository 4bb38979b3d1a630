"""``POST /v1/character_performance`` requests: Act-Two, now a name in the catalogue.

A character (an image or a video with a visible face) performs what a reference video of a
person shows. The reference must last 3 to 30 seconds; a URI cannot be measured here, so the
Prefect tasks probe local files before submitting (``MEDIA_LIMITS`` in the catalogue).

Example:
    >>> request = ActTwoCharacterPerformance(
    ...     character=CharacterImage(uri="https://example.com/face.png"),
    ...     reference=ReferenceVideo(uri="https://example.com/performance.mp4"),
    ...     expression_intensity=4,
    ... )
    >>> request.to_api()["expressionIntensity"]
    4
"""

from typing import Annotated, Literal, get_args

from pydantic import Field

from prefect_runway.api.catalogue import (
    ActTwoCharacterPerformance,
    CharacterImage,
    CharacterVideo,
    ReferenceVideo,
)

__all__ = [
    "ACT_TWO_RATIOS",
    "REFERENCE_MAX_SECONDS",
    "REFERENCE_MIN_SECONDS",
    "ActTwoCharacterPerformance",
    "ActTwoRatio",
    "Character",
    "CharacterImage",
    "CharacterPerformanceRequest",
    "CharacterVideo",
    "ReferenceVideo",
]

REFERENCE_MIN_SECONDS = 3.0
REFERENCE_MAX_SECONDS = 30.0

ActTwoRatio = Literal["1280:720", "720:1280", "960:960", "1104:832", "832:1104", "1584:672"]
ACT_TWO_RATIOS: tuple[str, ...] = get_args(ActTwoRatio)

Character = Annotated[CharacterImage | CharacterVideo, Field(discriminator="type")]
"""A still or a moving character."""

CharacterPerformanceRequest = ActTwoCharacterPerformance
"""Any character-performance request (only ``act_two``)."""
