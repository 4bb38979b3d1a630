"""``POST /v1/character_performance`` requests: Act-Two (runway-api.md §4.2).

A character (an image or a video with a visible face) performs what a reference video of a
person shows. The reference must last 3 to 30 seconds; a URI cannot be measured here, so the
Prefect tasks probe local files before submitting.

Example:
    >>> request = ActTwoCharacterPerformance(
    ...     character=CharacterImage(uri="https://example.com/face.png"),
    ...     reference=ReferenceVideo(uri="https://example.com/performance.mp4"),
    ...     expression_intensity=4,
    ... )
    >>> request.to_api()["expressionIntensity"]
    4
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from prefect_runway.api.fields import ContentModeration, GenerationRequestBase, Seed
from prefect_runway.api.media import ImageUri, VideoUri

__all__ = [
    "ACT_TWO_RATIOS",
    "REFERENCE_MAX_SECONDS",
    "REFERENCE_MIN_SECONDS",
    "ActTwoCharacterPerformance",
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


class _Media(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class CharacterImage(_Media):
    """A still character: it performs in its original static environment."""

    type: Literal["image"] = "image"
    uri: ImageUri


class CharacterVideo(_Media):
    """A moving character: it performs in its animated environment, keeping some of its motion."""

    type: Literal["video"] = "video"
    uri: VideoUri


class ReferenceVideo(_Media):
    """A video of a person performing, 3 to 30 seconds long."""

    type: Literal["video"] = "video"
    uri: VideoUri


Character = Annotated[CharacterImage | CharacterVideo, Field(discriminator="type")]


class ActTwoCharacterPerformance(GenerationRequestBase):
    """Act-Two: drive a character with a performance clip.

    The output lasts as long as the reference clip; that length is only known once the clip has
    been probed, so ``output_seconds`` is None here.
    """

    endpoint: ClassVar[str] = "character_performance"

    model: Literal["act_two"] = "act_two"
    character: Character
    reference: ReferenceVideo
    body_control: bool | None = None
    expression_intensity: Annotated[int, Field(ge=1, le=5, strict=True)] = 3
    ratio: ActTwoRatio | None = None
    seed: Seed | None = None
    content_moderation: ContentModeration | None = None


CharacterPerformanceRequest = Annotated[ActTwoCharacterPerformance, Field(discriminator="model")]
"""Any character-performance request (only ``act_two`` today)."""
