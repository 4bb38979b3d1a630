"""``POST /v1/image_to_video`` requests, one model class per Runway model (runway-api.md §4.1).

Each class knows its model's ratio set, duration rule, prompt rule and extra fields, so a request
that Runway would refuse with a 400 is refused here, before any credit can be spent.

Example:
    >>> request = Gen4TurboImageToVideo(
    ...     prompt_image="https://example.com/bunny.jpg",
    ...     ratio="1280:720",
    ...     prompt_text="The bunny eats a carrot",
    ... )
    >>> request.to_api()["promptImage"]
    'https://example.com/bunny.jpg'
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator
from pydantic.alias_generators import to_camel

from prefect_runway.api.fields import ContentModeration, GenerationRequestBase, PromptText, Seed
from prefect_runway.api.media import ImageUri

__all__ = [
    "GEN4_RATIOS",
    "VEO_RATIOS",
    "FirstFrame",
    "Gen4TurboImageToVideo",
    "Gen45ImageToVideo",
    "ImageToVideoRequest",
    "Keyframe",
    "Veo31FastImageToVideo",
    "Veo31ImageToVideo",
]

Gen4Ratio = Literal["1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672"]
VeoRatio = Literal["1280:720", "720:1280", "1080:1920", "1920:1080"]
GEN4_RATIOS: tuple[str, ...] = get_args(Gen4Ratio)
VEO_RATIOS: tuple[str, ...] = get_args(VeoRatio)

Gen45OutputFormat = Literal[
    "mp4",
    "prores",
    "png_sequence",
    "hdr10",
    "hlg",
    "sdr_rec709_10bit",
    "hdr_pq_12bit_master",
    "hdr_prores",
    "hdr_png_sequence",
    "hdr_exr_sequence",
    "hdr_exr_acescg_sequence_1_3",
    "hdr_exr_acescg_sequence_2_0",
]
ProresProfile = Literal["422", "4444", "422 Proxy", "422 LT", "422 HQ", "4444 XQ"]


class _Frame(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class FirstFrame(_Frame):
    """An image used as the first frame (the only position gen4 models take)."""

    uri: ImageUri
    position: Literal["first"] = "first"


class Keyframe(_Frame):
    """An image used as the first or the last frame (Veo 3.1)."""

    uri: ImageUri
    position: Literal["first", "last"]


def _single_or_list(value: object) -> str:
    return "frames" if isinstance(value, list) else "uri"


# A callable discriminator reports the errors of the one branch that applies, instead of
# "not a valid list" beside every error about a URI string.
FirstFrameImage = Annotated[
    Annotated[ImageUri, Tag("uri")]
    | Annotated[list[FirstFrame], Field(min_length=1, max_length=1), Tag("frames")],
    Discriminator(_single_or_list),
]
"""An image URI, or a list holding one first frame."""

KeyframeImages = Annotated[
    Annotated[ImageUri, Tag("uri")]
    | Annotated[list[Keyframe], Field(min_length=1, max_length=2), Tag("frames")],
    Discriminator(_single_or_list),
]
"""An image URI, or a first frame and optionally a last frame."""


class _ImageToVideo(GenerationRequestBase):
    endpoint: ClassVar[str] = "image_to_video"


class Gen4TurboImageToVideo(_ImageToVideo):
    """Gen-4 Turbo: an image and an optional prompt; 2 to 10 seconds.

    ``duration`` is optional in Runway's API and its default there is undocumented, so this
    model defaults it to 10 and always sends it: the length, and so the price, is then known.
    """

    model: Literal["gen4_turbo"] = "gen4_turbo"
    prompt_image: FirstFrameImage
    ratio: Gen4Ratio
    prompt_text: PromptText | None = None
    duration: Annotated[int, Field(ge=2, le=10, strict=True)] = 10
    seed: Seed | None = None
    content_moderation: ContentModeration | None = None


class Gen45ImageToVideo(_ImageToVideo):
    """Gen-4.5: an image and a required prompt; 2 to 10 seconds; optional output format."""

    model: Literal["gen4.5"] = "gen4.5"
    prompt_image: FirstFrameImage
    prompt_text: PromptText
    ratio: Gen4Ratio
    duration: Annotated[int, Field(ge=2, le=10, strict=True)]
    seed: Seed | None = None
    content_moderation: ContentModeration | None = None
    output_format: Gen45OutputFormat | None = None
    prores_profile: ProresProfile | None = None

    @model_validator(mode="after")
    def _prores_profile_needs_prores(self) -> Gen45ImageToVideo:
        if self.prores_profile is not None and self.output_format not in ("prores", "hdr_prores"):
            raise ValueError(
                f"proresProfile {self.prores_profile!r} is only allowed with outputFormat "
                f"'prores' or 'hdr_prores', not {self.output_format!r}"
            )
        return self


class _Veo31(_ImageToVideo):
    prompt_image: KeyframeImages
    ratio: VeoRatio
    prompt_text: PromptText | None = None
    duration: Literal[4, 6, 8] = 8
    audio: bool = True
    negative_prompt: PromptText | None = None
    seed: Seed | None = None

    @model_validator(mode="after")
    def _keyframes(self) -> _Veo31:
        if isinstance(self.prompt_image, list):
            positions = [frame.position for frame in self.prompt_image]
            if "first" not in positions:
                raise ValueError(
                    f"promptImage positions {positions}: this model needs a first frame; it "
                    "does not generate from only a last frame"
                )
            if len(positions) != len(set(positions)):
                raise ValueError(
                    f"promptImage positions {positions}: give at most one 'first' and one 'last'"
                )
        return self


class Veo31ImageToVideo(_Veo31):
    """Veo 3.1: first (and optionally last) frame, 4, 6 or 8 seconds, audio on by default.

    ``duration`` defaults to 8 and is always sent, so the price is known before submitting.
    """

    model: Literal["veo3.1"] = "veo3.1"


class Veo31FastImageToVideo(_Veo31):
    """Veo 3.1 Fast: as Veo 3.1, cheaper and faster."""

    model: Literal["veo3.1_fast"] = "veo3.1_fast"


ImageToVideoRequest = Annotated[
    Gen4TurboImageToVideo | Gen45ImageToVideo | Veo31ImageToVideo | Veo31FastImageToVideo,
    Field(discriminator="model"),
]
"""Any image-to-video request, told apart by its ``model``."""
