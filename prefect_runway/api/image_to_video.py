"""``POST /v1/image_to_video`` requests: the original four models, now names in the catalogue.

The models are generated from the official SDK's types (``prefect_runway.api.catalogue``);
this module keeps the names the hand-written models had, with the same rules: each model's
ratio set, duration rule, prompt rule and extra fields, so a request Runway would refuse with a
400 is refused here, before any credit can be spent. Every other image-to-video model
(``klingO3_pro``, ``seedance2``, ``wan3``...) is in the catalogue as ``<Model>ImageToVideo``.

Example:
    >>> request = Gen4TurboImageToVideo(
    ...     prompt_image="https://example.com/bunny.jpg",
    ...     ratio="1280:720",
    ...     prompt_text="The bunny eats a carrot",
    ... )
    >>> request.to_api()["promptImage"]
    'https://example.com/bunny.jpg'
"""

from typing import Annotated, Literal, get_args

from pydantic import Field

from prefect_runway.api.catalogue import (
    FirstFrame,
    Gen4TurboImageToVideo,
    Gen45ImageToVideo,
    Keyframe,
    Veo31FastImageToVideo,
    Veo31ImageToVideo,
)

__all__ = [
    "GEN4_RATIOS",
    "VEO_RATIOS",
    "FirstFrame",
    "Gen4TurboImageToVideo",
    "Gen45ImageToVideo",
    "Gen45OutputFormat",
    "ImageToVideoRequest",
    "Keyframe",
    "ProresProfile",
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
"""gen4.5's output formats (a test checks they equal the generated model's)."""
ProresProfile = Literal["422", "4444", "422 Proxy", "422 LT", "422 HQ", "4444 XQ"]

ImageToVideoRequest = Annotated[
    Gen4TurboImageToVideo | Gen45ImageToVideo | Veo31ImageToVideo | Veo31FastImageToVideo,
    Field(discriminator="model"),
]
"""One of the original four image-to-video requests, told apart by its ``model``."""
