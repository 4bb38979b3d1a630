"""The request models of every in-scope Runway endpoint and model. GENERATED: do not edit.

Written by ``python3 dev.py catalogue`` (scripts/catalogue) from the request TypedDicts of
runwayml 5.24.0, the limits of Runway's OpenAPI document (info.version 2024-11-06) as published
in github.com/runwayml/openapi (branch next), in the verbatim copy that tryAGI/Runway's
generate.sh downloads: src/libs/Runway/openapi.json at commit
042b2cad705aa90c923ef11ecf07a47f57871f01 (2026-08-08), sha256
cbe9ae85cc6ad0ff714fd5ad664993f943b9d51a6155383212951177e4bc2acb, and the hand-checked layer in
scripts/catalogue/hand.py.
"""

from typing import Annotated, ClassVar, Literal

from pydantic import Discriminator, Field, StrictBool, Tag

from prefect_runway.api.catalogue._base import (
    CatalogueObject,
    CatalogueRequest,
    OpenCatalogueObject,
    single_or_list,
)
from prefect_runway.api.fields import ContentModeration
from prefect_runway.api.fields import prompt_text as text_units
from prefect_runway.api.media import AudioUri, ImageUri, VideoUri

SDK_VERSION = "5.24.0"
"""The runwayml release the catalogue was generated from."""

OPENAPI_SOURCE = (
    "Runway's OpenAPI document (info.version 2024-11-06) as published in "
    "github.com/runwayml/openapi (branch next), in the verbatim copy that tryAGI/Runway's"
    " generate.sh downloads: src/libs/Runway/openapi.json at commit "
    "042b2cad705aa90c923ef11ecf07a47f57871f01 (2026-08-08), sha256 "
    "cbe9ae85cc6ad0ff714fd5ad664993f943b9d51a6155383212951177e4bc2acb"
)
"""Where the limits come from."""


class FirstFrame(CatalogueObject):
    """Part of a request (Gen4_5PromptImagePromptImage in the SDK)."""

    position: Literal["first"] = Field(
        default="first",
        description=(
            'The position of the image in the output video. "first" will use the image as'
            " the first frame of the video."
        ),
    )
    uri: ImageUri = Field(
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:image/png;base64,...`, up to 5MB) containing an encoded image. See "
            "[our docs](/assets/inputs#images) on image inputs for more information."
        )
    )


class Keyframe(CatalogueObject):
    """Part of a request (Veo3_1PromptImagePromptImage in the SDK)."""

    position: Literal["first", "last"] = Field(
        description=(
            'The position of the image in the output video. "first" will use the image as'
            ' the first frame of the video, "last" will use the image as the last frame '
            "of the video."
        )
    )
    uri: ImageUri = Field(
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:image/png;base64,...`, up to 5MB) containing an encoded image. See "
            "[our docs](/assets/inputs#images) on image inputs for more information."
        )
    )


class KlingShot(CatalogueObject):
    """Part of a request (KlingO3_4kProviderSettingsMultiPrompt in the SDK)."""

    duration: Annotated[int, Field(strict=True, ge=1, le=15)] = Field(
        description="Duration in seconds for this segment."
    )
    prompt: str = Field(description="The text prompt for this segment.")


class KlingShots(CatalogueObject):
    """Provider-specific settings for multishot video generation."""

    multi_prompt: list[KlingShot] | None = Field(
        default=None,
        alias="multiPrompt",
        description=(
            "An array of prompt segments for multishot video generation. Each segment has"
            " its own prompt and duration. Total duration across all segments must be "
            "between 3 and 15 seconds. `promptText` is still required when `shotType` is "
            '`"intelligence"`.'
        ),
    )
    shot_type: Literal["intelligence", "customize"] | None = Field(
        default=None,
        alias="shotType",
        description=(
            'Shot transition type for multishot videos. Defaults to "customize" when '
            "multiPrompt is provided."
        ),
    )


class OptionalKeyframe(CatalogueObject):
    """Part of a request (KlingO3_4kReferencesReferenceImage in the SDK)."""

    uri: ImageUri = Field(
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:image/png;base64,...`, up to 5MB) containing an encoded image. See "
            "[our docs](/assets/inputs#images) on image inputs for more information."
        )
    )
    position: Literal["first", "last"] | None = Field(
        default=None,
        description=(
            'The position of the image in the output video. "first" will use the image as'
            ' the first frame, "last" as the last frame. Omit for a reference image.'
        ),
    )


class AudioReference(CatalogueObject):
    """An audio reference allows the model to use the audio as additional context for the output."""

    type: Literal["audio"] = Field(default="audio")
    uri: AudioUri = Field(
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:audio/mp3;base64,...`, up to 5MB) containing an encoded audio. See "
            "[our docs](/assets/inputs#audio) on audio inputs for more information."
        )
    )


class VideoReference(CatalogueObject):
    """A video reference allows the model to use the video as additional context for the output."""

    type: Literal["video"] = Field(default="video")
    uri: VideoUri = Field(
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:video/mp4;base64,...`, up to 5MB) containing an encoded video. See "
            "[our docs](/assets/inputs#videos) on video inputs for more information."
        )
    )


class Kling4Frame(OpenCatalogueObject):
    """Part of a request (object in the SDK)."""

    uri: ImageUri
    position: str | None = Field(
        default=None,
        description="The frame's place (first, middle or last: the SDK does not type it).",
    )


class ImageReference(CatalogueObject):
    """Part of a request (Kling4Reference in the SDK)."""

    uri: ImageUri = Field(
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:image/png;base64,...`, up to 5MB) containing an encoded image. See "
            "[our docs](/assets/inputs#images) on image inputs for more information."
        )
    )


class OpenVideoReference(OpenCatalogueObject):
    """Part of a request (object in the SDK)."""

    uri: VideoUri


class VideoUriReference(CatalogueObject):
    """Part of a request (GeminiOmniFlash1_1ReferenceVideo in the SDK)."""

    uri: VideoUri = Field(
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:video/mp4;base64,...`, up to 5MB) containing an encoded video. See "
            "[our docs](/assets/inputs#videos) on video inputs for more information."
        )
    )


class KeyframeRange(CatalogueObject):
    """Optional edit window. When set, the edit applies only to this time range and the keyframe
    timestamp must fall within it. All keyframes must either set a range or none may.
    """

    end_seconds: Annotated[int, Field(strict=True, gt=0, le=9007199254740991)] = Field(
        description=(
            "End of the edit window (exclusive) in whole seconds from the start of the input video."
        )
    )
    start_seconds: Annotated[int, Field(strict=True, ge=0, le=9007199254740991)] = Field(
        description="Start of the edit window in whole seconds from the start of the input video."
    )


class KeyframeAtSecond(CatalogueObject):
    """Part of a request (Variant0KeyframeUnionMember0 in the SDK)."""

    seconds: Annotated[float, Field(strict=True, ge=0, le=30)] = Field(
        description=(
            "Absolute timestamp in seconds from the start of the input video when this "
            "guidance image should apply."
        )
    )
    uri: ImageUri = Field(
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:image/png;base64,...`, up to 5MB) containing an encoded image. See "
            "[our docs](/assets/inputs#images) on image inputs for more information."
        )
    )
    range: KeyframeRange | None = Field(
        default=None,
        description=(
            "Optional edit window. When set, the edit applies only to this time range and"
            " the keyframe timestamp must fall within it. All keyframes must either set a"
            " range or none may."
        ),
    )


class KeyframeAtFraction(CatalogueObject):
    """Part of a request (Variant0KeyframeUnionMember1 in the SDK)."""

    at: Annotated[float, Field(strict=True, ge=0, le=1)] = Field(
        description=(
            "Position as a fraction [0.0, 1.0] of the input video duration when this "
            "guidance image should apply."
        )
    )
    uri: ImageUri = Field(
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:image/png;base64,...`, up to 5MB) containing an encoded image. See "
            "[our docs](/assets/inputs#images) on image inputs for more information."
        )
    )
    range: KeyframeRange | None = Field(
        default=None,
        description=(
            "Optional edit window. When set, the edit applies only to this time range and"
            " the keyframe timestamp must fall within it. All keyframes must either set a"
            " range or none may."
        ),
    )


class KlingEditShots(CatalogueObject):
    """Provider-specific settings for multishot video generation and video editing."""

    keep_original_sound: StrictBool | None = Field(
        default=None,
        alias="keepOriginalSound",
        description=(
            "Whether to preserve the original audio when editing a video. Only applicable"
            " for video-to-video. Defaults to true."
        ),
    )
    multi_prompt: list[KlingShot] | None = Field(
        default=None,
        alias="multiPrompt",
        description=(
            "An array of prompt segments for multishot video generation. Each segment has"
            " its own prompt and duration. Total duration across all segments must be "
            "between 3 and 15 seconds. `promptText` is still required when `shotType` is "
            '`"intelligence"`.'
        ),
    )
    shot_type: Literal["intelligence", "customize"] | None = Field(
        default=None,
        alias="shotType",
        description=(
            'Shot transition type for multishot videos. Defaults to "customize" when '
            "multiPrompt is provided."
        ),
    )


class CharacterImage(CatalogueObject):
    """An image of your character. In the output, the character will use the reference video
    performance in its original static environment.
    """

    type: Literal["image"] = Field(default="image")
    uri: ImageUri = Field(
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:image/png;base64,...`, up to 5MB) containing an encoded image. See "
            "[our docs](/assets/inputs#images) on image inputs for more information."
        )
    )


class TaggedReferenceImage(CatalogueObject):
    """Part of a request (Gen4ImageTurboReferenceImage in the SDK)."""

    uri: ImageUri = Field(
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:image/png;base64,...`, up to 5MB) containing an encoded image. See "
            "[our docs](/assets/inputs#images) on image inputs for more information."
        )
    )
    tag: (
        Annotated[str, Field(pattern="^[a-z][a-z0-9_]+$"), text_units(16, 3, what="text")] | None
    ) = Field(
        default=None,
        description=(
            "A tag to identify the reference image. This is used to reference the image "
            "in prompt text. Must be 3-16 characters, start with a letter, and use only "
            "letters, digits, and underscores (no hyphens or other punctuation)."
        ),
    )


class SubjectReferenceImage(CatalogueObject):
    """Part of a request (GeminiImage3_1FlashReferenceImage in the SDK)."""

    uri: ImageUri = Field(
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:image/png;base64,...`, up to 5MB) containing an encoded image. See "
            "[our docs](/assets/inputs#images) on image inputs for more information."
        )
    )
    subject: Literal["object", "human"] | None = Field(
        default=None,
        description=(
            "Whether this is a reference of a human subject (for character consistency) "
            "or an object that appears in the output."
        ),
    )
    tag: (
        Annotated[str, Field(pattern="^[a-z][a-z0-9_]+$"), text_units(16, 3, what="text")] | None
    ) = Field(
        default=None,
        description=(
            "A tag to identify the reference image. This is used to reference the image "
            "in prompt text. Must be 3-16 characters, start with a letter, and use only "
            "letters, digits, and underscores (no hyphens or other punctuation)."
        ),
    )


class SubjectImage(CatalogueObject):
    """Part of a request (GeminiImage3_1FlashLiteReferenceImage in the SDK)."""

    uri: ImageUri = Field(
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:image/png;base64,...`, up to 5MB) containing an encoded image. See "
            "[our docs](/assets/inputs#images) on image inputs for more information."
        )
    )
    subject: Literal["object", "human"] | None = Field(default=None)
    tag: str | None = Field(default=None)


class TaggedImage(CatalogueObject):
    """Part of a request (GptImage2_5FlareReferenceImage in the SDK)."""

    uri: ImageUri = Field(
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:image/png;base64,...`, up to 5MB) containing an encoded image. See "
            "[our docs](/assets/inputs#images) on image inputs for more information."
        )
    )
    tag: (
        Annotated[str, Field(pattern="^[A-Za-z][A-Za-z0-9_]*$"), text_units(16, 3, what="text")]
        | None
    ) = Field(
        default=None,
        description=(
            "A tag to identify the reference image. This may be used to reference the "
            "image in prompt text. Must be 3-16 characters, start with a letter, and use "
            "only letters, digits, and underscores (no hyphens or other punctuation)."
        ),
    )


class ReferenceAudioVoice(CatalogueObject):
    """The voice to use for text-to-speech generation. If omitted, a default voice is used."""

    audio_uri: AudioUri = Field(
        alias="audioUri",
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:audio/mp3;base64,...`, up to 5MB) containing an encoded audio. See "
            "[our docs](/assets/inputs#audio) on audio inputs for more information."
        ),
    )
    type: Literal["reference-audio"] = Field(default="reference-audio")


class PresetVoice(CatalogueObject):
    """A voice preset from the RunwayML API."""

    preset_id: Literal[
        "Maya",
        "Arjun",
        "Serene",
        "Bernard",
        "Billy",
        "Mark",
        "Clint",
        "Mabel",
        "Chad",
        "Leslie",
        "Eleanor",
        "Elias",
        "Elliot",
        "Grungle",
        "Brodie",
        "Sandra",
        "Kirk",
        "Kylie",
        "Lara",
        "Lisa",
        "Malachi",
        "Marlene",
        "Martin",
        "Miriam",
        "Monster",
        "Paula",
        "Pip",
        "Rusty",
        "Ragnar",
        "Xylar",
        "Maggie",
        "Jack",
        "Katie",
        "Noah",
        "James",
        "Rina",
        "Ella",
        "Mariah",
        "Frank",
        "Claudia",
        "Niki",
        "Vincent",
        "Kendrick",
        "Myrna",
        "Tom",
        "Wanda",
        "Benjamin",
        "Kiana",
        "Rachel",
    ] = Field(alias="presetId", description="The preset voice ID to use for the generated speech.")
    type: Literal["runway-preset"] = Field(default="runway-preset")


class Gen45ImageToVideo(CatalogueRequest):
    """``gen4.5`` on ``POST /v1/image_to_video``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "image_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptImage", "image"),
        ("promptImage[].uri", "image"),
    )
    rules: ClassVar[tuple[str, ...]] = ("prores_profile",)

    model: Literal["gen4.5"] = Field(default="gen4.5")
    duration: Annotated[int, Field(strict=True, ge=2, le=10)] = Field(
        description=(
            "The number of seconds of duration for the output video. Must be an integer "
            "from 2 to 10."
        )
    )
    prompt_image: Annotated[
        Annotated[ImageUri, Tag("uri")]
        | Annotated[Annotated[list[FirstFrame], Field(min_length=1, max_length=1)], Tag("frames")],
        Discriminator(single_or_list),
    ] = Field(
        alias="promptImage",
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:image/png;base64,...`, up to 5MB) containing an encoded image. See "
            "[our docs](/assets/inputs#images) on image inputs for more information."
        ),
    )
    prompt_text: Annotated[str, text_units(1000, 1, what="prompt")] = Field(
        alias="promptText",
        description=(
            "A non-empty string up to 1000 characters (measured in UTF-16 code units). "
            "This should describe in detail what should appear in the output."
        ),
    )
    ratio: Literal["1280:720", "720:1280", "1104:832", "960:960", "832:1104", "1584:672"] = Field(
        description="The resolution of the output video."
    )
    content_moderation: ContentModeration | None = Field(
        default=None,
        alias="contentModeration",
        description="Settings that affect the behavior of the content moderation system.",
    )
    output_format: (
        Literal[
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
        | None
    ) = Field(
        default=None,
        alias="outputFormat",
        description=(
            "The container/encoding of the output. `mp4` (default) returns an H.264 .mp4."
            " `prores` returns a ProRes .mov. `png_sequence` returns a .zip of PNG frames"
            " (plus a separate .wav artifact when the output has audio). `hdr10` (HEVC "
            "Main 10, BT.2020 + PQ) and `hlg` (HEVC Main 10, BT.2020 + HLG) return true-"
            "HDR 10-bit .mp4s; `sdr_rec709_10bit` returns a 10-bit Rec.709 HEVC .mp4 for "
            "SDR grading pipelines; `hdr_pq_12bit_master` returns a 12-bit 4:4:4 BT.2020 "
            "+ PQ HEVC .mov with measured HDR10 content-light metadata for mastering; "
            "`hdr_prores` returns a BT.2020 + PQ ProRes .mov editorial mezzanine, whose "
            "tier is selectable with `proresProfile` (`422`, `422 HQ`, or `4444`; "
            "defaults to `422 HQ`); `hdr_png_sequence` returns a .zip of 16-bit PNG "
            "frames carrying the PQ signal losslessly (plus a colorimetry.json sidecar "
            "and a separate .wav when the output has audio); `hdr_exr_sequence` returns a"
            " .zip of half-float OpenEXR frames carrying the HDR signal as linear BT.2020"
            " display light, 1.0 = 100 nits (plus a colorimetry.json sidecar and a "
            "separate .wav when the output has audio); `hdr_exr_acescg_sequence_1_3` "
            "returns the same delivery as scene-referred ACEScg (inverted through the "
            "ACES 1.3 Output Transform), reading correctly with the stock `ACES - ACEScg`"
            " input transform in ACES-configured pipelines, with VFX sequence frame "
            "naming (frame.0001.exr). Non-mp4 formats incur an additional per-second "
            "credit surcharge: 5 credits per second for `prores` and `png_sequence`, and "
            "20 credits per second for every 10-bit and deeper profile (including the "
            "12-bit, 16-bit, and EXR ones), rising to 40 credits per second when the "
            "output is larger than 4 megapixels — that includes 1440p (2560x1440 is under"
            " the line, but anything larger crosses it) up through 4K."
        ),
    )
    prores_profile: Literal["422", "4444", "422 Proxy", "422 LT", "422 HQ", "4444 XQ"] | None = (
        Field(
            default=None,
            alias="proresProfile",
            description=(
                "The ProRes profile to use. Only valid when `outputFormat` is `prores` or "
                "`hdr_prores`. For `prores`, any profile is accepted and the default is "
                "`4444`. For `hdr_prores`, only `422`, `422 HQ` and `4444` are available and "
                "the default is `422 HQ` — `422 Proxy` and `422 LT` quantize too heavily to "
                "hold the HDR gradients, and 12-bit output is served by `hdr_pq_12bit_master`"
                " instead of `4444 XQ`."
            ),
        )
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "If unspecified, a random number is chosen. Varying the seed integer is a way"
            " to get different results for the same other request parameters. Using the "
            "same seed integer for an identical request will produce similar results."
        ),
    )


class Gen4TurboImageToVideo(CatalogueRequest):
    """``gen4_turbo`` on ``POST /v1/image_to_video``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "image_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptImage", "image"),
        ("promptImage[].uri", "image"),
    )
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["gen4_turbo"] = Field(default="gen4_turbo")
    prompt_image: Annotated[
        Annotated[ImageUri, Tag("uri")]
        | Annotated[Annotated[list[FirstFrame], Field(min_length=1, max_length=1)], Tag("frames")],
        Discriminator(single_or_list),
    ] = Field(
        alias="promptImage",
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:image/png;base64,...`, up to 5MB) containing an encoded image. See "
            "[our docs](/assets/inputs#images) on image inputs for more information."
        ),
    )
    ratio: Literal["1280:720", "720:1280", "1104:832", "960:960", "832:1104", "1584:672"] = Field(
        description="The resolution of the output video."
    )
    content_moderation: ContentModeration | None = Field(
        default=None,
        alias="contentModeration",
        description="Settings that affect the behavior of the content moderation system.",
    )
    duration: Annotated[int, Field(strict=True, ge=2, le=10)] = Field(
        default=10,
        description=(
            "The number of seconds of duration for the output video. (Sent as 10 unless "
            "given: Runway's default is undocumented; 10 s is always sent so the price is"
            " known.)"
        ),
    )
    prompt_text: Annotated[str, text_units(1000, 1, what="prompt")] | None = Field(
        default=None,
        alias="promptText",
        description=(
            "A non-empty string up to 1000 characters (measured in UTF-16 code units). "
            "This should describe in detail what should appear in the output."
        ),
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "If unspecified, a random number is chosen. Varying the seed integer is a way"
            " to get different results for the same other request parameters. Using the "
            "same seed integer for an identical request will produce similar results."
        ),
    )


class Veo31ImageToVideo(CatalogueRequest):
    """``veo3.1`` on ``POST /v1/image_to_video``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "image_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptImage", "image"),
        ("promptImage[].uri", "image"),
    )
    rules: ClassVar[tuple[str, ...]] = ("keyframes",)

    model: Literal["veo3.1"] = Field(default="veo3.1")
    prompt_image: Annotated[
        Annotated[ImageUri, Tag("uri")]
        | Annotated[Annotated[list[Keyframe], Field(min_length=1, max_length=2)], Tag("frames")],
        Discriminator(single_or_list),
    ] = Field(
        alias="promptImage",
        description=(
            "You may specify an image to use as the first frame of the output video, or "
            "an array with a first frame and optionally a last frame. This model does not"
            " support generating with only a last frame."
        ),
    )
    ratio: Literal["1280:720", "720:1280", "1080:1920", "1920:1080"] = Field(
        description="The resolution of the output video."
    )
    audio: StrictBool = Field(
        default=True,
        description=(
            "Whether to generate audio for the video. Audio inclusion affects pricing. "
            "(Sent as True unless given: Runway's default (OpenAPI), priced with audio.)"
        ),
    )
    duration: Literal[4, 6, 8] = Field(
        default=8,
        description=(
            "The number of seconds of duration for the output video. (Sent as 8 unless "
            "given: always sent so the price is known.)"
        ),
    )
    negative_prompt: Annotated[str, text_units(1000, 1, what="prompt")] | None = Field(
        default=None,
        alias="negativePrompt",
        description="Text describing what should not appear in the output video.",
    )
    prompt_text: Annotated[str, text_units(1000, 1, what="prompt")] | None = Field(
        default=None,
        alias="promptText",
        description=(
            "A non-empty string up to 1000 characters (measured in UTF-16 code units). "
            "This should describe in detail what should appear in the output."
        ),
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "If unspecified, a random number is chosen. Varying the seed integer is a way"
            " to get different results for the same other request parameters. Using the "
            "same seed integer for an identical request will produce similar results."
        ),
    )


class Veo31FastImageToVideo(CatalogueRequest):
    """``veo3.1_fast`` on ``POST /v1/image_to_video``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "image_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptImage", "image"),
        ("promptImage[].uri", "image"),
    )
    rules: ClassVar[tuple[str, ...]] = ("keyframes",)

    model: Literal["veo3.1_fast"] = Field(default="veo3.1_fast")
    prompt_image: Annotated[
        Annotated[ImageUri, Tag("uri")]
        | Annotated[Annotated[list[Keyframe], Field(min_length=1, max_length=2)], Tag("frames")],
        Discriminator(single_or_list),
    ] = Field(
        alias="promptImage",
        description=(
            "You may specify an image to use as the first frame of the output video, or "
            "an array with a first frame and optionally a last frame. This model does not"
            " support generating with only a last frame."
        ),
    )
    ratio: Literal["1280:720", "720:1280", "1080:1920", "1920:1080"] = Field(
        description="The resolution of the output video."
    )
    audio: StrictBool = Field(
        default=True,
        description=(
            "Whether to generate audio for the video. Audio inclusion affects pricing. "
            "(Sent as True unless given: Runway's default, priced with audio.)"
        ),
    )
    duration: Literal[4, 6, 8] = Field(
        default=8,
        description=(
            "The number of seconds of duration for the output video. (Sent as 8 unless "
            "given: always sent so the price is known.)"
        ),
    )
    negative_prompt: Annotated[str, text_units(1000, 1, what="prompt")] | None = Field(
        default=None,
        alias="negativePrompt",
        description="Text describing what should not appear in the output video.",
    )
    prompt_text: Annotated[str, text_units(1000, 1, what="prompt")] | None = Field(
        default=None,
        alias="promptText",
        description=(
            "A non-empty string up to 1000 characters (measured in UTF-16 code units). "
            "This should describe in detail what should appear in the output."
        ),
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "If unspecified, a random number is chosen. Varying the seed integer is a way"
            " to get different results for the same other request parameters. Using the "
            "same seed integer for an identical request will produce similar results."
        ),
    )


class KlingO34kImageToVideo(CatalogueRequest):
    """``klingO3_4k`` on ``POST /v1/image_to_video``, from the SDK's types (the pinned OpenAPI
    document predates this model).
    """

    endpoint: ClassVar[str] = "image_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptImage", "image"),
        ("promptImage[].uri", "image"),
        ("references", "image"),
        ("references[].uri", "image"),
    )
    rules: ClassVar[tuple[str, ...]] = ("keyframes", "kling_shots")

    model: Literal["klingO3_4k"] = Field(default="klingO3_4k")
    prompt_image: Annotated[
        Annotated[ImageUri, Tag("uri")] | Annotated[list[Keyframe], Tag("frames")],
        Discriminator(single_or_list),
    ] = Field(
        alias="promptImage",
        description=(
            "You may specify an image to use as the first frame of the output video, or "
            "an array with a first frame and optionally a last frame. When both keyframes"
            " are provided, output aspect ratio follows the first frame. See [image "
            "inputs](/assets/inputs#images) for file size limits."
        ),
    )
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio for the video."
    )
    duration: Annotated[int, Field(strict=True, ge=3, le=15)] | None = Field(
        default=None,
        description=(
            "The number of seconds of duration for the output video. (From 3 to 15: not "
            "written per model; the multishot segments 'must be between 3 and 15 seconds'"
            " in all (SDK docstring), and Kling's other models take 5 or 10: "
            "conservative.)"
        ),
    )
    prompt_text: str | None = Field(
        default=None,
        alias="promptText",
        description="A text prompt describing what should appear in the output video.",
    )
    provider_settings: KlingShots | None = Field(
        default=None,
        alias="providerSettings",
        description="Provider-specific settings for multishot video generation.",
    )
    ratio: Literal["3840:2160", "2160:3840", "2880:2880"] | None = Field(
        default=None, description="The resolution of the output video."
    )
    references: (
        Annotated[
            Annotated[ImageUri, Tag("uri")]
            | Annotated[Annotated[list[OptionalKeyframe], Field(max_length=7)], Tag("frames")],
            Discriminator(single_or_list),
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "An optional array of reference images (up to 7). See [our "
            "docs](/assets/inputs#images) on image inputs for more information."
        ),
    )


class Hailuo3ImageToVideo(CatalogueRequest):
    """``hailuo3`` on ``POST /v1/image_to_video``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "image_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptImage", "image"),
        ("promptImage[].uri", "image"),
        ("referenceAudio[].uri", "audio"),
    )
    rules: ClassVar[tuple[str, ...]] = ("keyframes_or_references",)

    model: Literal["hailuo3"] = Field(default="hailuo3")
    prompt_image: Annotated[
        Annotated[ImageUri, Tag("uri")]
        | Annotated[
            Annotated[list[OptionalKeyframe], Field(min_length=1, max_length=9)], Tag("frames")
        ],
        Discriminator(single_or_list),
    ] = Field(
        alias="promptImage",
        description=(
            "An image or array of images. Use position `first`/`last` for keyframe mode, "
            "or omit position for reference images. The two modes cannot be mixed."
        ),
    )
    prompt_text: Annotated[str, text_units(6000, 1, what="prompt")] = Field(
        alias="promptText",
        description="A non-empty text prompt describing what should appear in the output.",
    )
    duration: Annotated[int, Field(strict=True, ge=5, le=15)] | None = Field(
        default=None, description="The number of seconds of duration for the output video."
    )
    ratio: Literal["adaptive", "21:9", "16:9", "4:3", "1:1", "3:4", "9:16"] | None = Field(
        default=None,
        description=(
            "The aspect ratio of the output video. Use adaptive only when image or video "
            "references are provided; text-only requests require a concrete ratio."
        ),
    )
    reference_audio: Annotated[list[AudioReference], Field(max_length=3)] | None = Field(
        default=None,
        alias="referenceAudio",
        description=(
            "An optional array of audio references. Audio references require a text "
            "prompt, and the total combined duration must not exceed 15 seconds."
        ),
    )
    resolution: Literal["768p", "2k", "768P", "2K"] | None = Field(
        default=None,
        description=(
            "The output resolution. Hailuo 3.0 supports 768p and 2k. - `768P` - "
            'Deprecated: Use "768p" instead. - `2K` - Deprecated: Use "2k" instead.'
        ),
    )


class Kling304kImageToVideo(CatalogueRequest):
    """``kling3.0_4k`` on ``POST /v1/image_to_video``, from the SDK's types (the pinned OpenAPI
    document predates this model).
    """

    endpoint: ClassVar[str] = "image_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptImage", "image"),
        ("promptImage[].uri", "image"),
    )
    rules: ClassVar[tuple[str, ...]] = ("keyframes", "kling_shots")

    model: Literal["kling3.0_4k"] = Field(default="kling3.0_4k")
    prompt_image: Annotated[
        Annotated[ImageUri, Tag("uri")] | Annotated[list[Keyframe], Tag("frames")],
        Discriminator(single_or_list),
    ] = Field(
        alias="promptImage",
        description=(
            "You may specify an image to use as the first frame of the output video, or "
            "an array with a first frame and optionally a last frame. When both keyframes"
            " are provided, output aspect ratio follows the first frame. See [image "
            "inputs](/assets/inputs#images) for file size limits."
        ),
    )
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio for the video."
    )
    cfg_scale: Annotated[float, Field(strict=True, ge=0, le=1)] | None = Field(
        default=None,
        alias="cfgScale",
        description=(
            "Creativity/freedom scale for generation. 0 gives the model maximum creative "
            "freedom, 1 makes it follow the prompt most strictly. Defaults to 0.5. (From "
            "0 to 1: SDK docstring: '0 gives ... maximum creative freedom, 1 ... most "
            "strictly'.)"
        ),
    )
    duration: Annotated[int, Field(strict=True, ge=3, le=15)] | None = Field(
        default=None,
        description=(
            "The number of seconds of duration for the output video. (From 3 to 15: not "
            "written per model; the multishot segments 'must be between 3 and 15 seconds'"
            " in all (SDK docstring), and Kling's other models take 5 or 10: "
            "conservative.)"
        ),
    )
    prompt_text: str | None = Field(
        default=None,
        alias="promptText",
        description="A text prompt describing what should appear in the output video.",
    )
    provider_settings: KlingShots | None = Field(
        default=None,
        alias="providerSettings",
        description="Provider-specific settings for multishot video generation.",
    )
    ratio: Literal["3840:2160", "2160:3840", "2880:2880"] | None = Field(
        default=None, description="The resolution of the output video."
    )


class Happyhorse10ImageToVideo(CatalogueRequest):
    """``happyhorse_1_0`` on ``POST /v1/image_to_video``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "image_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptImage", "image"),
        ("promptImage[].uri", "image"),
    )
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["happyhorse_1_0"] = Field(default="happyhorse_1_0")
    prompt_image: Annotated[
        Annotated[ImageUri, Tag("uri")]
        | Annotated[Annotated[list[FirstFrame], Field(min_length=1, max_length=1)], Tag("frames")],
        Discriminator(single_or_list),
    ] = Field(
        alias="promptImage",
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:image/png;base64,...`, up to 5MB) containing an encoded image. See "
            "[our docs](/assets/inputs#images) on image inputs for more information."
        ),
    )
    duration: Annotated[int, Field(strict=True, ge=3, le=15)] | None = Field(
        default=None, description="The number of seconds of duration for the output video."
    )
    prompt_text: Annotated[str, text_units(2500, 2, what="prompt")] | None = Field(
        default=None,
        alias="promptText",
        description=(
            "A string up to 2500 characters (measured in UTF-16 code units) describing "
            "motion or changes in the output video."
        ),
    )
    resolution: Literal["720p", "1080p", "720P", "1080P"] | None = Field(
        default=None,
        description=(
            "Output quality tier. Output aspect ratio follows the input image. - `720P` -"
            ' Deprecated: Use "720p" instead. - `1080P` - Deprecated: Use "1080p" '
            "instead."
        ),
    )


class Kling25TurboProImageToVideo(CatalogueRequest):
    """``kling2.5_turbo_pro`` on ``POST /v1/image_to_video``, from the SDK's types (the pinned
    OpenAPI document predates this model).
    """

    endpoint: ClassVar[str] = "image_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptImage", "image"),
        ("promptImage[].uri", "image"),
    )
    rules: ClassVar[tuple[str, ...]] = ("keyframes",)

    model: Literal["kling2.5_turbo_pro"] = Field(default="kling2.5_turbo_pro")
    prompt_image: Annotated[
        Annotated[ImageUri, Tag("uri")] | Annotated[list[Keyframe], Tag("frames")],
        Discriminator(single_or_list),
    ] = Field(
        alias="promptImage",
        description=(
            "Image for the first frame of the output video, or an array with first and "
            "optionally last frames. Output aspect ratio follows the input image; `ratio`"
            " is not supported on image-to-video. See [image "
            "inputs](/assets/inputs#images) for file size limits."
        ),
    )
    prompt_text: str = Field(
        alias="promptText",
        description="A text prompt describing what should appear in the output video.",
    )
    cfg_scale: Annotated[float, Field(strict=True, ge=0, le=1)] | None = Field(
        default=None,
        alias="cfgScale",
        description=(
            "Creativity/freedom scale for generation. 0 gives the model maximum creative "
            "freedom, 1 makes it follow the prompt most strictly. Defaults to 0.5. (From "
            "0 to 1: SDK docstring: '0 gives ... maximum creative freedom, 1 ... most "
            "strictly'.)"
        ),
    )
    duration: Literal[5, 10] | None = Field(
        default=None, description="The duration of the output video in seconds. Defaults to 5."
    )


class Kling30ProImageToVideo(CatalogueRequest):
    """``kling3.0_pro`` on ``POST /v1/image_to_video``, from the SDK's types (the pinned OpenAPI
    document predates this model).
    """

    endpoint: ClassVar[str] = "image_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptImage", "image"),
        ("promptImage[].uri", "image"),
    )
    rules: ClassVar[tuple[str, ...]] = ("keyframes", "kling_shots")

    model: Literal["kling3.0_pro"] = Field(default="kling3.0_pro")
    prompt_image: Annotated[
        Annotated[ImageUri, Tag("uri")] | Annotated[list[Keyframe], Tag("frames")],
        Discriminator(single_or_list),
    ] = Field(
        alias="promptImage",
        description=(
            "You may specify an image to use as the first frame of the output video, or "
            "an array with a first frame and optionally a last frame. When both keyframes"
            " are provided, output aspect ratio follows the first frame. See [image "
            "inputs](/assets/inputs#images) for file size limits."
        ),
    )
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio for the video."
    )
    cfg_scale: Annotated[float, Field(strict=True, ge=0, le=1)] | None = Field(
        default=None,
        alias="cfgScale",
        description=(
            "Creativity/freedom scale for generation. 0 gives the model maximum creative "
            "freedom, 1 makes it follow the prompt most strictly. Defaults to 0.5. (From "
            "0 to 1: SDK docstring: '0 gives ... maximum creative freedom, 1 ... most "
            "strictly'.)"
        ),
    )
    duration: Annotated[int, Field(strict=True, ge=3, le=15)] | None = Field(
        default=None,
        description=(
            "The number of seconds of duration for the output video. (From 3 to 15: not "
            "written per model; the multishot segments 'must be between 3 and 15 seconds'"
            " in all (SDK docstring), and Kling's other models take 5 or 10: "
            "conservative.)"
        ),
    )
    prompt_text: str | None = Field(
        default=None,
        alias="promptText",
        description="A text prompt describing what should appear in the output video.",
    )
    provider_settings: KlingShots | None = Field(
        default=None,
        alias="providerSettings",
        description="Provider-specific settings for multishot video generation.",
    )
    ratio: Literal["1920:1080", "1080:1920", "1440:1440"] | None = Field(
        default=None, description="The resolution of the output video."
    )


class Kling30StandardImageToVideo(CatalogueRequest):
    """``kling3.0_standard`` on ``POST /v1/image_to_video``, from the SDK's types (the pinned
    OpenAPI document predates this model).
    """

    endpoint: ClassVar[str] = "image_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptImage", "image"),
        ("promptImage[].uri", "image"),
    )
    rules: ClassVar[tuple[str, ...]] = ("keyframes", "kling_shots")

    model: Literal["kling3.0_standard"] = Field(default="kling3.0_standard")
    prompt_image: Annotated[
        Annotated[ImageUri, Tag("uri")] | Annotated[list[Keyframe], Tag("frames")],
        Discriminator(single_or_list),
    ] = Field(
        alias="promptImage",
        description=(
            "You may specify an image to use as the first frame of the output video, or "
            "an array with a first frame and optionally a last frame. When both keyframes"
            " are provided, output aspect ratio follows the first frame. See [image "
            "inputs](/assets/inputs#images) for file size limits."
        ),
    )
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio for the video."
    )
    cfg_scale: Annotated[float, Field(strict=True, ge=0, le=1)] | None = Field(
        default=None,
        alias="cfgScale",
        description=(
            "Creativity/freedom scale for generation. 0 gives the model maximum creative "
            "freedom, 1 makes it follow the prompt most strictly. Defaults to 0.5. (From "
            "0 to 1: SDK docstring: '0 gives ... maximum creative freedom, 1 ... most "
            "strictly'.)"
        ),
    )
    duration: Annotated[int, Field(strict=True, ge=3, le=15)] | None = Field(
        default=None,
        description=(
            "The number of seconds of duration for the output video. (From 3 to 15: not "
            "written per model; the multishot segments 'must be between 3 and 15 seconds'"
            " in all (SDK docstring), and Kling's other models take 5 or 10: "
            "conservative.)"
        ),
    )
    prompt_text: str | None = Field(
        default=None,
        alias="promptText",
        description="A text prompt describing what should appear in the output video.",
    )
    provider_settings: KlingShots | None = Field(
        default=None,
        alias="providerSettings",
        description="Provider-specific settings for multishot video generation.",
    )
    ratio: Literal["1280:720", "720:1280", "960:960"] | None = Field(
        default=None, description="The resolution of the output video."
    )


class KlingO3ProImageToVideo(CatalogueRequest):
    """``klingO3_pro`` on ``POST /v1/image_to_video``, from the SDK's types (the pinned OpenAPI
    document predates this model).
    """

    endpoint: ClassVar[str] = "image_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptImage", "image"),
        ("promptImage[].uri", "image"),
        ("references", "image"),
        ("references[].uri", "image"),
    )
    rules: ClassVar[tuple[str, ...]] = ("keyframes", "kling_shots")

    model: Literal["klingO3_pro"] = Field(default="klingO3_pro")
    prompt_image: Annotated[
        Annotated[ImageUri, Tag("uri")] | Annotated[list[Keyframe], Tag("frames")],
        Discriminator(single_or_list),
    ] = Field(
        alias="promptImage",
        description=(
            "You may specify an image to use as the first frame of the output video, or "
            "an array with a first frame and optionally a last frame. When both keyframes"
            " are provided, output aspect ratio follows the first frame. See [image "
            "inputs](/assets/inputs#images) for file size limits."
        ),
    )
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio for the video."
    )
    duration: Annotated[int, Field(strict=True, ge=3, le=15)] | None = Field(
        default=None,
        description=(
            "The number of seconds of duration for the output video. (From 3 to 15: not "
            "written per model; the multishot segments 'must be between 3 and 15 seconds'"
            " in all (SDK docstring), and Kling's other models take 5 or 10: "
            "conservative.)"
        ),
    )
    prompt_text: str | None = Field(
        default=None,
        alias="promptText",
        description="A text prompt describing what should appear in the output video.",
    )
    provider_settings: KlingShots | None = Field(
        default=None,
        alias="providerSettings",
        description="Provider-specific settings for multishot video generation.",
    )
    ratio: Literal["1920:1080", "1080:1920", "1440:1440"] | None = Field(
        default=None, description="The resolution of the output video."
    )
    references: (
        Annotated[
            Annotated[ImageUri, Tag("uri")]
            | Annotated[Annotated[list[OptionalKeyframe], Field(max_length=7)], Tag("frames")],
            Discriminator(single_or_list),
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "An optional array of reference images (up to 7). See [our "
            "docs](/assets/inputs#images) on image inputs for more information."
        ),
    )


class KlingO3StandardImageToVideo(CatalogueRequest):
    """``klingO3_standard`` on ``POST /v1/image_to_video``, from the SDK's types (the pinned
    OpenAPI document predates this model).
    """

    endpoint: ClassVar[str] = "image_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptImage", "image"),
        ("promptImage[].uri", "image"),
        ("references", "image"),
        ("references[].uri", "image"),
    )
    rules: ClassVar[tuple[str, ...]] = ("keyframes", "kling_shots")

    model: Literal["klingO3_standard"] = Field(default="klingO3_standard")
    prompt_image: Annotated[
        Annotated[ImageUri, Tag("uri")] | Annotated[list[Keyframe], Tag("frames")],
        Discriminator(single_or_list),
    ] = Field(
        alias="promptImage",
        description=(
            "You may specify an image to use as the first frame of the output video, or "
            "an array with a first frame and optionally a last frame. When both keyframes"
            " are provided, output aspect ratio follows the first frame. See [image "
            "inputs](/assets/inputs#images) for file size limits."
        ),
    )
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio for the video."
    )
    duration: Annotated[int, Field(strict=True, ge=3, le=15)] | None = Field(
        default=None,
        description=(
            "The number of seconds of duration for the output video. (From 3 to 15: not "
            "written per model; the multishot segments 'must be between 3 and 15 seconds'"
            " in all (SDK docstring), and Kling's other models take 5 or 10: "
            "conservative.)"
        ),
    )
    prompt_text: str | None = Field(
        default=None,
        alias="promptText",
        description="A text prompt describing what should appear in the output video.",
    )
    provider_settings: KlingShots | None = Field(
        default=None,
        alias="providerSettings",
        description="Provider-specific settings for multishot video generation.",
    )
    ratio: Literal["1280:720", "720:1280", "960:960"] | None = Field(
        default=None, description="The resolution of the output video."
    )
    references: (
        Annotated[
            Annotated[ImageUri, Tag("uri")]
            | Annotated[Annotated[list[OptionalKeyframe], Field(max_length=7)], Tag("frames")],
            Discriminator(single_or_list),
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "An optional array of reference images (up to 7). See [our "
            "docs](/assets/inputs#images) on image inputs for more information."
        ),
    )


class Seedance2ImageToVideo(CatalogueRequest):
    """``seedance2`` on ``POST /v1/image_to_video``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "image_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptImage", "image"),
        ("promptImage[].uri", "image"),
        ("referenceAudio[].uri", "audio"),
    )
    rules: ClassVar[tuple[str, ...]] = ("keyframes_or_references",)

    model: Literal["seedance2"] = Field(default="seedance2")
    prompt_image: Annotated[
        Annotated[ImageUri, Tag("uri")] | Annotated[list[OptionalKeyframe], Tag("frames")],
        Discriminator(single_or_list),
    ] = Field(
        alias="promptImage",
        description=(
            "An image or array of images. Use position `first`/`last` for keyframe mode, "
            "or omit position for reference images. The two modes cannot be mixed."
        ),
    )
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio for the video."
    )
    duration: Annotated[int, Field(strict=True, ge=4, le=15)] | Literal["auto"] | None = Field(
        default=None,
        description=(
            "Seconds of video to generate, or `auto` to let the model choose. `auto` is "
            "billed at the variant maximum up front; unused credits are refunded after "
            "the generation finishes."
        ),
    )
    prompt_text: Annotated[str, text_units(3500, 1, what="prompt")] | None = Field(
        default=None,
        alias="promptText",
        description=(
            "An optional text prompt up to 3500 characters describing what should appear "
            "in the output."
        ),
    )
    ratio: (
        Literal[
            "992:432",
            "864:496",
            "752:560",
            "640:640",
            "560:752",
            "496:864",
            "1470:630",
            "1280:720",
            "1112:834",
            "960:960",
            "834:1112",
            "720:1280",
            "2206:946",
            "1920:1080",
            "1664:1248",
            "1440:1440",
            "1248:1664",
            "1080:1920",
            "3840:1646",
            "3840:2160",
            "3840:2880",
            "3840:3840",
            "2880:3840",
            "2160:3840",
        ]
        | None
    ) = Field(default=None, description="The resolution of the output video.")
    reference_audio: Annotated[list[AudioReference], Field(max_length=3)] | None = Field(
        default=None,
        alias="referenceAudio",
        description=(
            "An optional array of audio references. The total combined duration must not "
            "exceed 15 seconds."
        ),
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "If unspecified, a random number is chosen. Varying the seed integer is a way"
            " to get different results for the same other request parameters. Using the "
            "same seed integer for an identical request will produce similar results."
        ),
    )


class Seedance2FastImageToVideo(CatalogueRequest):
    """``seedance2_fast`` on ``POST /v1/image_to_video``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "image_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptImage", "image"),
        ("promptImage[].uri", "image"),
        ("referenceAudio[].uri", "audio"),
    )
    rules: ClassVar[tuple[str, ...]] = ("keyframes_or_references",)

    model: Literal["seedance2_fast"] = Field(default="seedance2_fast")
    prompt_image: Annotated[
        Annotated[ImageUri, Tag("uri")] | Annotated[list[OptionalKeyframe], Tag("frames")],
        Discriminator(single_or_list),
    ] = Field(
        alias="promptImage",
        description=(
            "An image or array of images. Use position `first`/`last` for keyframe mode, "
            "or omit position for reference images. The two modes cannot be mixed."
        ),
    )
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio for the video."
    )
    duration: Annotated[int, Field(strict=True, ge=4, le=15)] | Literal["auto"] | None = Field(
        default=None,
        description=(
            "Seconds of video to generate, or `auto` to let the model choose. `auto` is "
            "billed at the variant maximum up front; unused credits are refunded after "
            "the generation finishes."
        ),
    )
    prompt_text: Annotated[str, text_units(3500, 1, what="prompt")] | None = Field(
        default=None,
        alias="promptText",
        description=(
            "An optional text prompt up to 3500 characters describing what should appear "
            "in the output."
        ),
    )
    ratio: (
        Literal[
            "992:432",
            "864:496",
            "752:560",
            "640:640",
            "560:752",
            "496:864",
            "1470:630",
            "1280:720",
            "1112:834",
            "960:960",
            "834:1112",
            "720:1280",
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "The resolution of the output video. Seedance 2.0 Fast supports 480p and 720p only."
        ),
    )
    reference_audio: Annotated[list[AudioReference], Field(max_length=3)] | None = Field(
        default=None,
        alias="referenceAudio",
        description=(
            "An optional array of audio references. The total combined duration must not "
            "exceed 15 seconds."
        ),
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "If unspecified, a random number is chosen. Varying the seed integer is a way"
            " to get different results for the same other request parameters. Using the "
            "same seed integer for an identical request will produce similar results."
        ),
    )


class Seedance2MiniImageToVideo(CatalogueRequest):
    """``seedance2_mini`` on ``POST /v1/image_to_video``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "image_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptImage", "image"),
        ("promptImage[].uri", "image"),
        ("referenceAudio[].uri", "audio"),
    )
    rules: ClassVar[tuple[str, ...]] = ("keyframes_or_references",)

    model: Literal["seedance2_mini"] = Field(default="seedance2_mini")
    prompt_image: Annotated[
        Annotated[ImageUri, Tag("uri")] | Annotated[list[OptionalKeyframe], Tag("frames")],
        Discriminator(single_or_list),
    ] = Field(
        alias="promptImage",
        description=(
            "An image or array of images. Use position `first`/`last` for keyframe mode, "
            "or omit position for reference images. The two modes cannot be mixed."
        ),
    )
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio for the video."
    )
    duration: Annotated[int, Field(strict=True, ge=4, le=15)] | Literal["auto"] | None = Field(
        default=None,
        description=(
            "Seconds of video to generate, or `auto` to let the model choose. `auto` is "
            "billed at the variant maximum up front; unused credits are refunded after "
            "the generation finishes."
        ),
    )
    prompt_text: Annotated[str, text_units(3500, 1, what="prompt")] | None = Field(
        default=None,
        alias="promptText",
        description=(
            "An optional text prompt up to 3500 characters describing what should appear "
            "in the output."
        ),
    )
    ratio: (
        Literal[
            "992:432",
            "864:496",
            "752:560",
            "640:640",
            "560:752",
            "496:864",
            "1470:630",
            "1280:720",
            "1112:834",
            "960:960",
            "834:1112",
            "720:1280",
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "The resolution of the output video. Seedance 2.0 Mini supports 480p and 720p only."
        ),
    )
    reference_audio: Annotated[list[AudioReference], Field(max_length=3)] | None = Field(
        default=None,
        alias="referenceAudio",
        description=(
            "An optional array of audio references. The total combined duration must not "
            "exceed 15 seconds."
        ),
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "If unspecified, a random number is chosen. Varying the seed integer is a way"
            " to get different results for the same other request parameters. Using the "
            "same seed integer for an identical request will produce similar results."
        ),
    )


class GeminiOmniFlashImageToVideo(CatalogueRequest):
    """``gemini_omni_flash`` on ``POST /v1/image_to_video``, from the SDK's types and Runway's
    OpenAPI document.
    """

    endpoint: ClassVar[str] = "image_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptImage", "image"),
        ("promptImage[].uri", "image"),
    )
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["gemini_omni_flash"] = Field(default="gemini_omni_flash")
    prompt_image: Annotated[
        Annotated[ImageUri, Tag("uri")]
        | Annotated[Annotated[list[FirstFrame], Field(min_length=1, max_length=1)], Tag("frames")],
        Discriminator(single_or_list),
    ] = Field(
        alias="promptImage",
        description=(
            "An image to use as the first frame of the output video. Gemini Omni Flash "
            "only supports a first frame."
        ),
    )
    duration: Annotated[int, Field(strict=True, ge=3, le=10)] | None = Field(
        default=None,
        description="The duration of the output video in seconds, as a whole number from 3 to 10.",
    )
    prompt_text: Annotated[str, text_units(4000, 1, what="prompt")] | None = Field(
        default=None,
        alias="promptText",
        description=(
            "An optional text prompt describing how the video should evolve from the first frame."
        ),
    )
    ratio: Literal["1280:720", "720:1280"] | None = Field(
        default=None,
        description=(
            "The aspect ratio of the output video: `1280:720` (landscape) or `720:1280` (portrait)."
        ),
    )


class GrokImagine15ImageToVideo(CatalogueRequest):
    """``grok_imagine_1_5`` on ``POST /v1/image_to_video``, from the SDK's types (the pinned
    OpenAPI document predates this model).
    """

    endpoint: ClassVar[str] = "image_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptImage", "image"),
        ("promptImage[].uri", "image"),
    )
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["grok_imagine_1_5"] = Field(default="grok_imagine_1_5")
    prompt_image: Annotated[
        Annotated[ImageUri, Tag("uri")] | Annotated[list[FirstFrame], Tag("frames")],
        Discriminator(single_or_list),
    ] = Field(
        alias="promptImage",
        description=(
            "The start frame of the output video. The output keeps its aspect ratio, "
            "which (width / height) must be between 0.4 and 2.5. See [our "
            "docs](/assets/inputs#images) for image input requirements."
        ),
    )
    duration: Annotated[int, Field(strict=True, ge=1, le=15)] | None = Field(
        default=None,
        description=(
            "The number of seconds of duration for the output video. (From 1 to 15: no "
            "limit written; 15 s is the longest the endpoint's documented partners take "
            "(hailuo3, happyhorse, seedance2; references 'must not exceed 15 seconds'): "
            "conservative.)"
        ),
    )
    prompt_text: str | None = Field(
        default=None,
        alias="promptText",
        description="An optional text prompt describing motion or changes in the output video.",
    )
    resolution: Literal["480p", "720p", "1080p"] | None = Field(
        default=None,
        description="The output resolution. Output aspect ratio follows the input image.",
    )


class Wan3ImageToVideo(CatalogueRequest):
    """``wan3`` on ``POST /v1/image_to_video``, from the SDK's types (the pinned OpenAPI document
    predates this model).
    """

    endpoint: ClassVar[str] = "image_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptImage", "image"),
        ("promptImage[].uri", "image"),
        ("referenceAudio[].uri", "audio"),
        ("referenceVideos[].uri", "video"),
    )
    rules: ClassVar[tuple[str, ...]] = ("keyframes_or_references", "keyframe_auto_ratio")

    model: Literal["wan3"] = Field(default="wan3")
    prompt_image: Annotated[
        Annotated[ImageUri, Tag("uri")] | Annotated[list[OptionalKeyframe], Tag("frames")],
        Discriminator(single_or_list),
    ] = Field(
        alias="promptImage",
        description=(
            "An image or array of images. Use position `first`/`last` for keyframe mode, "
            "or omit position for reference images. The two modes cannot be mixed."
        ),
    )
    prompt_text: Annotated[str, text_units(None, 1, what="prompt")] = Field(
        alias="promptText",
        description="A non-empty text prompt describing what should appear in the output.",
    )
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio with the video."
    )
    duration: Annotated[int, Field(strict=True, ge=1, le=15)] | None = Field(
        default=None,
        description=(
            "The number of seconds of duration for the output video. (From 1 to 15: no "
            "limit written; 15 s is the longest the endpoint's documented partners take "
            "(hailuo3, happyhorse, seedance2; references 'must not exceed 15 seconds'): "
            "conservative.)"
        ),
    )
    ratio: (
        Literal[
            "832:480",
            "720:544",
            "624:624",
            "544:720",
            "480:832",
            "1280:720",
            "1104:832",
            "960:960",
            "832:1104",
            "720:1280",
            "1920:1080",
            "1648:1248",
            "1440:1440",
            "1248:1648",
            "1080:1920",
            "auto_480p",
            "auto_720p",
            "auto_1080p",
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "The resolution of the output video, as `<width>:<height>`. Keyframe image-"
            "to-video requests must use `auto_480p`, `auto_720p`, or `auto_1080p` because"
            " their aspect ratio follows the first frame."
        ),
    )
    reference_audio: list[AudioReference] | None = Field(
        default=None,
        alias="referenceAudio",
        description=(
            "An optional array of audio references. The total combined duration must not "
            "exceed 15 seconds."
        ),
    )
    reference_videos: list[VideoReference] | None = Field(
        default=None,
        alias="referenceVideos",
        description=(
            "An optional array of video references. The combined duration across all "
            "video references must not exceed 15 seconds. See [our "
            "docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )


class GeminiOmniFlash11ImageToVideo(CatalogueRequest):
    """``gemini_omni_flash_1.1`` on ``POST /v1/image_to_video``, from the SDK's types (the pinned
    OpenAPI document predates this model).
    """

    endpoint: ClassVar[str] = "image_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptImage", "image"),
        ("promptImage[].uri", "image"),
    )
    rules: ClassVar[tuple[str, ...]] = ("keyframes",)

    model: Literal["gemini_omni_flash_1.1"] = Field(default="gemini_omni_flash_1.1")
    prompt_image: Annotated[
        Annotated[ImageUri, Tag("uri")] | Annotated[list[Keyframe], Tag("frames")],
        Discriminator(single_or_list),
    ] = Field(
        alias="promptImage",
        description=(
            "An image to use as the first frame, or an array containing a first frame and"
            " optional last frame."
        ),
    )
    prompt_text: Annotated[str, text_units(None, 1, what="prompt")] = Field(
        alias="promptText",
        description=(
            "A non-empty text prompt describing how the video should evolve between the "
            "provided frames."
        ),
    )
    duration: Annotated[int, Field(strict=True, ge=3, le=10)] | Literal["auto"] | None = Field(
        default=None,
        description=(
            'The duration of the output video in seconds. Use "auto" to let the model '
            "choose a duration. Numeric durations must be between 3 and 10 seconds."
        ),
    )
    ratio: (
        Literal[
            "640:360",
            "360:640",
            "1280:720",
            "720:1280",
            "1920:1080",
            "1080:1920",
            "3840:2160",
            "2160:3840",
        ]
        | None
    ) = Field(default=None, description="The resolution and aspect ratio of the output video.")


class Wan3PrimeImageToVideo(CatalogueRequest):
    """``wan3_prime`` on ``POST /v1/image_to_video``, from the SDK's types (the pinned OpenAPI
    document predates this model).
    """

    endpoint: ClassVar[str] = "image_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptImage", "image"),
        ("promptImage[].uri", "image"),
        ("referenceAudio[].uri", "audio"),
        ("referenceVideos[].uri", "video"),
    )
    rules: ClassVar[tuple[str, ...]] = ("keyframes_or_references", "keyframe_auto_ratio")

    model: Literal["wan3_prime"] = Field(default="wan3_prime")
    prompt_image: Annotated[
        Annotated[ImageUri, Tag("uri")] | Annotated[list[OptionalKeyframe], Tag("frames")],
        Discriminator(single_or_list),
    ] = Field(
        alias="promptImage",
        description=(
            "An image or array of images. Use position `first`/`last` for keyframe mode, "
            "or omit position for reference images. The two modes cannot be mixed."
        ),
    )
    prompt_text: Annotated[str, text_units(None, 1, what="prompt")] = Field(
        alias="promptText",
        description="A non-empty text prompt describing what should appear in the output.",
    )
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio with the video."
    )
    duration: Annotated[int, Field(strict=True, ge=1, le=15)] | None = Field(
        default=None,
        description=(
            "The number of seconds of duration for the output video. (From 1 to 15: no "
            "limit written; 15 s is the longest the endpoint's documented partners take "
            "(hailuo3, happyhorse, seedance2; references 'must not exceed 15 seconds'): "
            "conservative.)"
        ),
    )
    ratio: (
        Literal[
            "832:480",
            "720:544",
            "624:624",
            "544:720",
            "480:832",
            "1280:720",
            "1104:832",
            "960:960",
            "832:1104",
            "720:1280",
            "1920:1080",
            "1648:1248",
            "1440:1440",
            "1248:1648",
            "1080:1920",
            "auto_480p",
            "auto_720p",
            "auto_1080p",
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "The resolution of the output video, as `<width>:<height>`. Keyframe image-"
            "to-video requests must use `auto_480p`, `auto_720p`, or `auto_1080p` because"
            " their aspect ratio follows the first frame."
        ),
    )
    reference_audio: list[AudioReference] | None = Field(
        default=None,
        alias="referenceAudio",
        description=(
            "An optional array of audio references. The total combined duration must not "
            "exceed 15 seconds."
        ),
    )
    reference_videos: list[VideoReference] | None = Field(
        default=None,
        alias="referenceVideos",
        description=(
            "An optional array of video references. The combined duration across all "
            "video references must not exceed 15 seconds. See [our "
            "docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )


class H3MaxImageToVideo(CatalogueRequest):
    """``h3_max`` on ``POST /v1/image_to_video``, from the SDK's types (the pinned OpenAPI document
    predates this model).
    """

    endpoint: ClassVar[str] = "image_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptImage", "image"),
        ("promptImage[].uri", "image"),
    )
    rules: ClassVar[tuple[str, ...]] = ("keyframes",)

    model: Literal["h3_max"] = Field(default="h3_max")
    prompt_image: Annotated[
        Annotated[ImageUri, Tag("uri")] | Annotated[list[Keyframe], Tag("frames")],
        Discriminator(single_or_list),
    ] = Field(
        alias="promptImage",
        description=(
            "An image to use as the first frame, or an array with a first frame and "
            "optionally a last frame. A last frame requires a first frame. Each image "
            "must be at least 256 pixels on both sides."
        ),
    )
    prompt_text: Annotated[str, text_units(None, 1, what="prompt")] = Field(
        alias="promptText",
        description="A non-empty text prompt describing what should appear in the output.",
    )
    duration: Annotated[int, Field(strict=True, ge=1, le=15)] | None = Field(
        default=None,
        description=(
            "The number of seconds of duration for the output video. (From 1 to 15: no "
            "limit written; 15 s is the longest the endpoint's documented partners take "
            "(hailuo3, happyhorse, seedance2; references 'must not exceed 15 seconds'): "
            "conservative.)"
        ),
    )
    prompt_expansion_mode: Literal["disabled", "balanced", "quality"] | None = Field(
        default=None,
        alias="promptExpansionMode",
        description=(
            "How the model rewrites the prompt before generating. disabled keeps the "
            "prompt as written. balanced (the default) does a short rewrite. quality "
            "spends extra time rewriting for a stronger result."
        ),
    )
    resolution: Literal["480p", "768p"] | None = Field(
        default=None, description="The output resolution. MiniMax H3 Max supports 480p and 768p."
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "If unspecified, a random number is chosen. Identical results also need "
            "promptExpansionMode set to disabled; balanced and quality rewrite the prompt"
            " and will not repeat."
        ),
    )


class Seedance25ImageToVideo(CatalogueRequest):
    """``seedance2_5`` on ``POST /v1/image_to_video``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "image_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptImage", "image"),
        ("promptImage[].uri", "image"),
        ("referenceAudio[].uri", "audio"),
    )
    rules: ClassVar[tuple[str, ...]] = ("seedance_draft",)

    model: Literal["seedance2_5"] = Field(default="seedance2_5")
    prompt_image: Annotated[
        Annotated[ImageUri, Tag("uri")] | Annotated[list[OptionalKeyframe], Tag("frames")],
        Discriminator(single_or_list),
    ] = Field(
        alias="promptImage",
        description=(
            "An image or array of images. Use position `first`/`last` for keyframe mode, "
            "or omit position for reference images. The two modes cannot be mixed."
        ),
    )
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio for the video."
    )
    draft: StrictBool | None = Field(
        default=None,
        description=(
            "Generate a cheap 480p preview instead of a full-quality video. The returned "
            "task ID can later be enhanced to a 1080p video with the same content by "
            "passing it as `draftTaskId` to `text_to_video`. Drafts can be enhanced "
            "within 7 days of creation. Defaults to false."
        ),
    )
    duration: Annotated[int, Field(strict=True, ge=4, le=30)] | Literal["auto"] | None = Field(
        default=None,
        description=(
            "Seconds of video to generate, or `auto` to let the model choose. `auto` is "
            "billed at the variant maximum up front; unused credits are refunded after "
            "the generation finishes."
        ),
    )
    output_format: Literal["mp4", "mov"] | None = Field(
        default=None,
        alias="outputFormat",
        description=(
            "Container for the output video. `mov` keeps high colour precision for "
            "grading and compositing. Defaults to `mp4`. Draft mode only supports `mp4`."
        ),
    )
    prompt_text: Annotated[str, text_units(15000, 1, what="prompt")] | None = Field(
        default=None,
        alias="promptText",
        description=(
            "An optional text prompt up to 15000 characters describing what should appear"
            " in the output."
        ),
    )
    ratio: (
        Literal[
            "992:432",
            "854:480",
            "752:560",
            "640:640",
            "560:752",
            "480:854",
            "1470:630",
            "1280:720",
            "1112:834",
            "960:960",
            "834:1112",
            "720:1280",
            "2206:946",
            "1920:1080",
            "1664:1248",
            "1440:1440",
            "1248:1664",
            "1080:1920",
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "The resolution of the output video. Seedance 2.5 supports 480p, 720p, and 1080p."
        ),
    )
    reference_audio: Annotated[list[AudioReference], Field(max_length=10)] | None = Field(
        default=None,
        alias="referenceAudio",
        description=(
            "An optional array of audio references. The total combined duration must not "
            "exceed 30 seconds."
        ),
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "If unspecified, a random number is chosen. Varying the seed integer is a way"
            " to get different results for the same other request parameters. Using the "
            "same seed integer for an identical request will produce similar results."
        ),
    )


class GrokImagine15LiteImageToVideo(CatalogueRequest):
    """``grok_imagine_1_5_lite`` on ``POST /v1/image_to_video``, from the SDK's types (the pinned
    OpenAPI document predates this model).
    """

    endpoint: ClassVar[str] = "image_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptImage", "image"),
        ("promptImage[].uri", "image"),
    )
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["grok_imagine_1_5_lite"] = Field(default="grok_imagine_1_5_lite")
    prompt_image: Annotated[
        Annotated[ImageUri, Tag("uri")] | Annotated[list[FirstFrame], Tag("frames")],
        Discriminator(single_or_list),
    ] = Field(
        alias="promptImage",
        description=(
            "The start frame of the output video. The output keeps its aspect ratio, "
            "which (width / height) must be between 0.4 and 2.5. See [our "
            "docs](/assets/inputs#images) for image input requirements."
        ),
    )
    duration: Annotated[int, Field(strict=True, ge=1, le=15)] | None = Field(
        default=None,
        description=(
            "The number of seconds of duration for the output video. (From 1 to 15: no "
            "limit written; 15 s is the longest the endpoint's documented partners take "
            "(hailuo3, happyhorse, seedance2; references 'must not exceed 15 seconds'): "
            "conservative.)"
        ),
    )
    prompt_text: str | None = Field(
        default=None,
        alias="promptText",
        description="An optional text prompt describing motion or changes in the output video.",
    )
    ratio: Literal["auto_480p", "auto_720p", "auto_1080p"] | None = Field(
        default=None,
        description=(
            "The resolution of the output video. The output keeps the input image's "
            "aspect ratio. `auto_1080p` is rendered at 720p and upscaled."
        ),
    )


class Kling4ImageToVideo(CatalogueRequest):
    """``kling_4`` on ``POST /v1/image_to_video``, from the SDK's types (the pinned OpenAPI
    document predates this model).
    """

    endpoint: ClassVar[str] = "image_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptImage", "image"),
        ("promptImage[].uri", "image"),
        ("references[].uri", "image"),
        ("referenceVideos[].uri", "video"),
    )
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["kling_4"] = Field(default="kling_4")
    prompt_image: Annotated[
        Annotated[ImageUri, Tag("uri")] | Annotated[list[Kling4Frame], Tag("frames")],
        Discriminator(single_or_list),
    ] = Field(
        alias="promptImage",
        description=(
            "The first frame of the video, or an array with a first frame and optional "
            "middle and last frames. The video follows the first frame’s aspect ratio."
        ),
    )
    duration: Annotated[int, Field(strict=True, ge=3, le=15)] | None = Field(
        default=None,
        description=(
            "The duration of the output video in seconds. (From 3 to 15: not written per "
            "model; the multishot segments 'must be between 3 and 15 seconds' in all (SDK"
            " docstring), and Kling's other models take 5 or 10: conservative.)"
        ),
    )
    prompt_text: str | None = Field(
        default=None,
        alias="promptText",
        description="A text prompt describing what should happen in the video.",
    )
    ratio: Literal["auto_720p", "auto_1080p"] | None = Field(
        default=None, description="Output quality tier. The video keeps the input media framing."
    )
    references: Annotated[list[ImageReference], Field(max_length=10)] | None = Field(
        default=None,
        description=(
            "Images of characters, objects or styles to use in the video. Up to 10 images"
            " in total, frames included."
        ),
    )
    reference_videos: Annotated[list[OpenVideoReference], Field(max_length=5)] | None = Field(
        default=None,
        alias="referenceVideos",
        description=(
            "Up to 5 videos whose style, motion or camera work should guide the output, "
            "together at most 30 seconds long."
        ),
    )


class Gen45TextToVideo(CatalogueRequest):
    """``gen4.5`` on ``POST /v1/text_to_video``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "text_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = ()
    rules: ClassVar[tuple[str, ...]] = ("prores_profile",)

    model: Literal["gen4.5"] = Field(default="gen4.5")
    duration: Annotated[int, Field(strict=True, ge=2, le=10)] = Field(
        description=(
            "The number of seconds of duration for the output video. Must be an integer "
            "from 2 to 10."
        )
    )
    prompt_text: Annotated[str, text_units(1000, 1, what="prompt")] = Field(
        alias="promptText",
        description=(
            "A non-empty string up to 1000 characters (measured in UTF-16 code units). "
            "This should describe in detail what should appear in the output."
        ),
    )
    ratio: Literal["1280:720", "720:1280"] = Field(
        description="The resolution of the output video."
    )
    content_moderation: ContentModeration | None = Field(
        default=None,
        alias="contentModeration",
        description="Settings that affect the behavior of the content moderation system.",
    )
    output_format: (
        Literal[
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
        | None
    ) = Field(
        default=None,
        alias="outputFormat",
        description=(
            "The container/encoding of the output. `mp4` (default) returns an H.264 .mp4."
            " `prores` returns a ProRes .mov. `png_sequence` returns a .zip of PNG frames"
            " (plus a separate .wav artifact when the output has audio). `hdr10` (HEVC "
            "Main 10, BT.2020 + PQ) and `hlg` (HEVC Main 10, BT.2020 + HLG) return true-"
            "HDR 10-bit .mp4s; `sdr_rec709_10bit` returns a 10-bit Rec.709 HEVC .mp4 for "
            "SDR grading pipelines; `hdr_pq_12bit_master` returns a 12-bit 4:4:4 BT.2020 "
            "+ PQ HEVC .mov with measured HDR10 content-light metadata for mastering; "
            "`hdr_prores` returns a BT.2020 + PQ ProRes .mov editorial mezzanine, whose "
            "tier is selectable with `proresProfile` (`422`, `422 HQ`, or `4444`; "
            "defaults to `422 HQ`); `hdr_png_sequence` returns a .zip of 16-bit PNG "
            "frames carrying the PQ signal losslessly (plus a colorimetry.json sidecar "
            "and a separate .wav when the output has audio); `hdr_exr_sequence` returns a"
            " .zip of half-float OpenEXR frames carrying the HDR signal as linear BT.2020"
            " display light, 1.0 = 100 nits (plus a colorimetry.json sidecar and a "
            "separate .wav when the output has audio); `hdr_exr_acescg_sequence_1_3` "
            "returns the same delivery as scene-referred ACEScg (inverted through the "
            "ACES 1.3 Output Transform), reading correctly with the stock `ACES - ACEScg`"
            " input transform in ACES-configured pipelines, with VFX sequence frame "
            "naming (frame.0001.exr). Non-mp4 formats incur an additional per-second "
            "credit surcharge: 5 credits per second for `prores` and `png_sequence`, and "
            "20 credits per second for every 10-bit and deeper profile (including the "
            "12-bit, 16-bit, and EXR ones), rising to 40 credits per second when the "
            "output is larger than 4 megapixels — that includes 1440p (2560x1440 is under"
            " the line, but anything larger crosses it) up through 4K."
        ),
    )
    prores_profile: Literal["422", "4444", "422 Proxy", "422 LT", "422 HQ", "4444 XQ"] | None = (
        Field(
            default=None,
            alias="proresProfile",
            description=(
                "The ProRes profile to use. Only valid when `outputFormat` is `prores` or "
                "`hdr_prores`. For `prores`, any profile is accepted and the default is "
                "`4444`. For `hdr_prores`, only `422`, `422 HQ` and `4444` are available and "
                "the default is `422 HQ` — `422 Proxy` and `422 LT` quantize too heavily to "
                "hold the HDR gradients, and 12-bit output is served by `hdr_pq_12bit_master`"
                " instead of `4444 XQ`."
            ),
        )
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "If unspecified, a random number is chosen. Varying the seed integer is a way"
            " to get different results for the same other request parameters. Using the "
            "same seed integer for an identical request will produce similar results."
        ),
    )


class Veo31TextToVideo(CatalogueRequest):
    """``veo3.1`` on ``POST /v1/text_to_video``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "text_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = ()
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["veo3.1"] = Field(default="veo3.1")
    prompt_text: Annotated[str, text_units(1000, 1, what="prompt")] = Field(
        alias="promptText",
        description=(
            "A non-empty string up to 1000 characters (measured in UTF-16 code units). "
            "This should describe in detail what should appear in the output."
        ),
    )
    ratio: Literal["1280:720", "720:1280", "1080:1920", "1920:1080"] = Field(
        description="The resolution of the output video."
    )
    audio: StrictBool = Field(
        default=True,
        description=(
            "Whether to generate audio for the video. Audio inclusion affects pricing. "
            "(Sent as True unless given: Runway's default, priced with audio.)"
        ),
    )
    duration: Literal[4, 6, 8] = Field(
        default=8,
        description=(
            "The number of seconds of duration for the output video. (Sent as 8 unless "
            "given: always sent so the price is known.)"
        ),
    )
    negative_prompt: Annotated[str, text_units(1000, 1, what="prompt")] | None = Field(
        default=None,
        alias="negativePrompt",
        description="Text describing what should not appear in the output video.",
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "If unspecified, a random number is chosen. Varying the seed integer is a way"
            " to get different results for the same other request parameters. Using the "
            "same seed integer for an identical request will produce similar results."
        ),
    )


class Veo31FastTextToVideo(CatalogueRequest):
    """``veo3.1_fast`` on ``POST /v1/text_to_video``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "text_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = ()
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["veo3.1_fast"] = Field(default="veo3.1_fast")
    prompt_text: Annotated[str, text_units(1000, 1, what="prompt")] = Field(
        alias="promptText",
        description=(
            "A non-empty string up to 1000 characters (measured in UTF-16 code units). "
            "This should describe in detail what should appear in the output."
        ),
    )
    ratio: Literal["1280:720", "720:1280", "1080:1920", "1920:1080"] = Field(
        description="The resolution of the output video."
    )
    audio: StrictBool = Field(
        default=True,
        description=(
            "Whether to generate audio for the video. Audio inclusion affects pricing. "
            "(Sent as True unless given: Runway's default, priced with audio.)"
        ),
    )
    duration: Literal[4, 6, 8] = Field(
        default=8,
        description=(
            "The number of seconds of duration for the output video. (Sent as 8 unless "
            "given: always sent so the price is known.)"
        ),
    )
    negative_prompt: Annotated[str, text_units(1000, 1, what="prompt")] | None = Field(
        default=None,
        alias="negativePrompt",
        description="Text describing what should not appear in the output video.",
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "If unspecified, a random number is chosen. Varying the seed integer is a way"
            " to get different results for the same other request parameters. Using the "
            "same seed integer for an identical request will produce similar results."
        ),
    )


class KlingO34kTextToVideo(CatalogueRequest):
    """``klingO3_4k`` on ``POST /v1/text_to_video``, from the SDK's types (the pinned OpenAPI
    document predates this model).
    """

    endpoint: ClassVar[str] = "text_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = ()
    rules: ClassVar[tuple[str, ...]] = ("kling_shots",)

    model: Literal["klingO3_4k"] = Field(default="klingO3_4k")
    ratio: Literal["3840:2160", "2160:3840", "2880:2880"] = Field(
        description="The resolution of the output video."
    )
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio for the video."
    )
    duration: Annotated[int, Field(strict=True, ge=3, le=15)] | None = Field(
        default=None,
        description=(
            "The number of seconds of duration for the output video. (From 3 to 15: not "
            "written per model; the multishot segments 'must be between 3 and 15 seconds'"
            " in all (SDK docstring), and Kling's other models take 5 or 10: "
            "conservative.)"
        ),
    )
    prompt_text: str | None = Field(
        default=None,
        alias="promptText",
        description="A text prompt describing what should appear in the output video.",
    )
    provider_settings: KlingShots | None = Field(
        default=None,
        alias="providerSettings",
        description="Provider-specific settings for multishot video generation.",
    )


class Hailuo3TextToVideo(CatalogueRequest):
    """``hailuo3`` on ``POST /v1/text_to_video``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "text_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("referenceAudio[].uri", "audio"),
        ("references[].uri", "image"),
        ("referenceVideos[].uri", "video"),
    )
    rules: ClassVar[tuple[str, ...]] = ("adaptive_ratio",)

    model: Literal["hailuo3"] = Field(default="hailuo3")
    prompt_text: Annotated[str, text_units(6000, 1, what="prompt")] = Field(
        alias="promptText",
        description="A non-empty text prompt describing what should appear in the output.",
    )
    duration: Annotated[int, Field(strict=True, ge=5, le=15)] | None = Field(
        default=None, description="The number of seconds of duration for the output video."
    )
    ratio: Literal["adaptive", "21:9", "16:9", "4:3", "1:1", "3:4", "9:16"] | None = Field(
        default=None,
        description=(
            "The aspect ratio of the output video. Use adaptive only when image or video "
            "references are provided; text-only requests require a concrete ratio."
        ),
    )
    reference_audio: Annotated[list[AudioReference], Field(max_length=3)] | None = Field(
        default=None,
        alias="referenceAudio",
        description=(
            "An optional array of audio references. Audio references require a text "
            "prompt, and the total combined duration must not exceed 15 seconds."
        ),
    )
    references: Annotated[list[ImageReference], Field(max_length=9)] | None = Field(
        default=None,
        description=(
            "An optional array of image references (up to 9). See [our "
            "docs](/assets/inputs#images) on image inputs for more information."
        ),
    )
    reference_videos: Annotated[list[VideoReference], Field(max_length=3)] | None = Field(
        default=None,
        alias="referenceVideos",
        description=(
            "An optional array of video references. The combined duration across all "
            "video references must not exceed 15 seconds. See [our "
            "docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )
    resolution: Literal["768p", "2k", "768P", "2K"] | None = Field(
        default=None,
        description=(
            "The output resolution. Hailuo 3.0 supports 768p and 2k. - `768P` - "
            'Deprecated: Use "768p" instead. - `2K` - Deprecated: Use "2k" instead.'
        ),
    )


class Kling304kTextToVideo(CatalogueRequest):
    """``kling3.0_4k`` on ``POST /v1/text_to_video``, from the SDK's types (the pinned OpenAPI
    document predates this model).
    """

    endpoint: ClassVar[str] = "text_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = ()
    rules: ClassVar[tuple[str, ...]] = ("kling_shots",)

    model: Literal["kling3.0_4k"] = Field(default="kling3.0_4k")
    ratio: Literal["3840:2160", "2160:3840", "2880:2880"] = Field(
        description="The resolution of the output video."
    )
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio for the video."
    )
    cfg_scale: Annotated[float, Field(strict=True, ge=0, le=1)] | None = Field(
        default=None,
        alias="cfgScale",
        description=(
            "Creativity/freedom scale for generation. 0 gives the model maximum creative "
            "freedom, 1 makes it follow the prompt most strictly. Defaults to 0.5. (From "
            "0 to 1: SDK docstring: '0 gives ... maximum creative freedom, 1 ... most "
            "strictly'.)"
        ),
    )
    duration: Annotated[int, Field(strict=True, ge=3, le=15)] | None = Field(
        default=None,
        description=(
            "The number of seconds of duration for the output video. (From 3 to 15: not "
            "written per model; the multishot segments 'must be between 3 and 15 seconds'"
            " in all (SDK docstring), and Kling's other models take 5 or 10: "
            "conservative.)"
        ),
    )
    prompt_text: str | None = Field(
        default=None,
        alias="promptText",
        description="A text prompt describing what should appear in the output video.",
    )
    provider_settings: KlingShots | None = Field(
        default=None,
        alias="providerSettings",
        description="Provider-specific settings for multishot video generation.",
    )


class Happyhorse10TextToVideo(CatalogueRequest):
    """``happyhorse_1_0`` on ``POST /v1/text_to_video``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "text_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = ()
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["happyhorse_1_0"] = Field(default="happyhorse_1_0")
    prompt_text: Annotated[str, text_units(2500, 2, what="prompt")] = Field(
        alias="promptText",
        description=(
            "A non-empty string up to 2500 characters (measured in UTF-16 code units). "
            "This should describe in detail what should appear in the output."
        ),
    )
    duration: Annotated[int, Field(strict=True, ge=3, le=15)] | None = Field(
        default=None, description="The number of seconds of duration for the output video."
    )
    ratio: (
        Literal[
            "1280:720",
            "720:1280",
            "960:960",
            "1108:832",
            "832:1108",
            "1920:1080",
            "1080:1920",
            "1440:1440",
            "1662:1248",
            "1248:1662",
        ]
        | None
    ) = Field(default=None, description="The resolution of the output video.")


class Kling25TurboProTextToVideo(CatalogueRequest):
    """``kling2.5_turbo_pro`` on ``POST /v1/text_to_video``, from the SDK's types (the pinned
    OpenAPI document predates this model).
    """

    endpoint: ClassVar[str] = "text_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = ()
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["kling2.5_turbo_pro"] = Field(default="kling2.5_turbo_pro")
    prompt_text: str = Field(
        alias="promptText",
        description="A text prompt describing what should appear in the output video.",
    )
    cfg_scale: Annotated[float, Field(strict=True, ge=0, le=1)] | None = Field(
        default=None,
        alias="cfgScale",
        description=(
            "Creativity/freedom scale for generation. 0 gives the model maximum creative "
            "freedom, 1 makes it follow the prompt most strictly. Defaults to 0.5. (From "
            "0 to 1: SDK docstring: '0 gives ... maximum creative freedom, 1 ... most "
            "strictly'.)"
        ),
    )
    duration: Literal[5, 10] | None = Field(
        default=None, description="The duration of the output video in seconds. Defaults to 5."
    )
    ratio: (
        Literal["1920:1080", "1440:1440", "1080:1920", "1280:720", "720:720", "720:1280"] | None
    ) = Field(default=None)


class Kling30ProTextToVideo(CatalogueRequest):
    """``kling3.0_pro`` on ``POST /v1/text_to_video``, from the SDK's types (the pinned OpenAPI
    document predates this model).
    """

    endpoint: ClassVar[str] = "text_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = ()
    rules: ClassVar[tuple[str, ...]] = ("kling_shots",)

    model: Literal["kling3.0_pro"] = Field(default="kling3.0_pro")
    ratio: Literal["1920:1080", "1080:1920", "1440:1440"] = Field(
        description="The resolution of the output video."
    )
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio for the video."
    )
    cfg_scale: Annotated[float, Field(strict=True, ge=0, le=1)] | None = Field(
        default=None,
        alias="cfgScale",
        description=(
            "Creativity/freedom scale for generation. 0 gives the model maximum creative "
            "freedom, 1 makes it follow the prompt most strictly. Defaults to 0.5. (From "
            "0 to 1: SDK docstring: '0 gives ... maximum creative freedom, 1 ... most "
            "strictly'.)"
        ),
    )
    duration: Annotated[int, Field(strict=True, ge=3, le=15)] | None = Field(
        default=None,
        description=(
            "The number of seconds of duration for the output video. (From 3 to 15: not "
            "written per model; the multishot segments 'must be between 3 and 15 seconds'"
            " in all (SDK docstring), and Kling's other models take 5 or 10: "
            "conservative.)"
        ),
    )
    prompt_text: str | None = Field(
        default=None,
        alias="promptText",
        description="A text prompt describing what should appear in the output video.",
    )
    provider_settings: KlingShots | None = Field(
        default=None,
        alias="providerSettings",
        description="Provider-specific settings for multishot video generation.",
    )


class Kling30StandardTextToVideo(CatalogueRequest):
    """``kling3.0_standard`` on ``POST /v1/text_to_video``, from the SDK's types (the pinned
    OpenAPI document predates this model).
    """

    endpoint: ClassVar[str] = "text_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = ()
    rules: ClassVar[tuple[str, ...]] = ("kling_shots",)

    model: Literal["kling3.0_standard"] = Field(default="kling3.0_standard")
    ratio: Literal["1280:720", "720:1280", "960:960"] = Field(
        description="The resolution of the output video."
    )
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio for the video."
    )
    cfg_scale: Annotated[float, Field(strict=True, ge=0, le=1)] | None = Field(
        default=None,
        alias="cfgScale",
        description=(
            "Creativity/freedom scale for generation. 0 gives the model maximum creative "
            "freedom, 1 makes it follow the prompt most strictly. Defaults to 0.5. (From "
            "0 to 1: SDK docstring: '0 gives ... maximum creative freedom, 1 ... most "
            "strictly'.)"
        ),
    )
    duration: Annotated[int, Field(strict=True, ge=3, le=15)] | None = Field(
        default=None,
        description=(
            "The number of seconds of duration for the output video. (From 3 to 15: not "
            "written per model; the multishot segments 'must be between 3 and 15 seconds'"
            " in all (SDK docstring), and Kling's other models take 5 or 10: "
            "conservative.)"
        ),
    )
    prompt_text: str | None = Field(
        default=None,
        alias="promptText",
        description="A text prompt describing what should appear in the output video.",
    )
    provider_settings: KlingShots | None = Field(
        default=None,
        alias="providerSettings",
        description="Provider-specific settings for multishot video generation.",
    )


class KlingO3ProTextToVideo(CatalogueRequest):
    """``klingO3_pro`` on ``POST /v1/text_to_video``, from the SDK's types (the pinned OpenAPI
    document predates this model).
    """

    endpoint: ClassVar[str] = "text_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = ()
    rules: ClassVar[tuple[str, ...]] = ("kling_shots",)

    model: Literal["klingO3_pro"] = Field(default="klingO3_pro")
    ratio: Literal["1920:1080", "1080:1920", "1440:1440"] = Field(
        description="The resolution of the output video."
    )
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio for the video."
    )
    duration: Annotated[int, Field(strict=True, ge=3, le=15)] | None = Field(
        default=None,
        description=(
            "The number of seconds of duration for the output video. (From 3 to 15: not "
            "written per model; the multishot segments 'must be between 3 and 15 seconds'"
            " in all (SDK docstring), and Kling's other models take 5 or 10: "
            "conservative.)"
        ),
    )
    prompt_text: str | None = Field(
        default=None,
        alias="promptText",
        description="A text prompt describing what should appear in the output video.",
    )
    provider_settings: KlingShots | None = Field(
        default=None,
        alias="providerSettings",
        description="Provider-specific settings for multishot video generation.",
    )


class KlingO3StandardTextToVideo(CatalogueRequest):
    """``klingO3_standard`` on ``POST /v1/text_to_video``, from the SDK's types (the pinned OpenAPI
    document predates this model).
    """

    endpoint: ClassVar[str] = "text_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = ()
    rules: ClassVar[tuple[str, ...]] = ("kling_shots",)

    model: Literal["klingO3_standard"] = Field(default="klingO3_standard")
    ratio: Literal["1280:720", "720:1280", "960:960"] = Field(
        description="The resolution of the output video."
    )
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio for the video."
    )
    duration: Annotated[int, Field(strict=True, ge=3, le=15)] | None = Field(
        default=None,
        description=(
            "The number of seconds of duration for the output video. (From 3 to 15: not "
            "written per model; the multishot segments 'must be between 3 and 15 seconds'"
            " in all (SDK docstring), and Kling's other models take 5 or 10: "
            "conservative.)"
        ),
    )
    prompt_text: str | None = Field(
        default=None,
        alias="promptText",
        description="A text prompt describing what should appear in the output video.",
    )
    provider_settings: KlingShots | None = Field(
        default=None,
        alias="providerSettings",
        description="Provider-specific settings for multishot video generation.",
    )


class Seedance2TextToVideo(CatalogueRequest):
    """``seedance2`` on ``POST /v1/text_to_video``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "text_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("referenceAudio[].uri", "audio"),
        ("references[].uri", "image"),
        ("referenceVideos[].uri", "video"),
    )
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["seedance2"] = Field(default="seedance2")
    prompt_text: Annotated[str, text_units(3500, 1, what="prompt")] = Field(
        alias="promptText",
        description=(
            "A non-empty text prompt up to 3500 characters describing what should appear "
            "in the output."
        ),
    )
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio for the video."
    )
    duration: Annotated[int, Field(strict=True, ge=4, le=15)] | Literal["auto"] | None = Field(
        default=None,
        description=(
            "Seconds of video to generate, or `auto` to let the model choose. `auto` is "
            "billed at the variant maximum up front; unused credits are refunded after "
            "the generation finishes."
        ),
    )
    ratio: (
        Literal[
            "992:432",
            "864:496",
            "752:560",
            "640:640",
            "560:752",
            "496:864",
            "1470:630",
            "1280:720",
            "1112:834",
            "960:960",
            "834:1112",
            "720:1280",
            "2206:946",
            "1920:1080",
            "1664:1248",
            "1440:1440",
            "1248:1664",
            "1080:1920",
            "3840:1646",
            "3840:2160",
            "3840:2880",
            "3840:3840",
            "2880:3840",
            "2160:3840",
        ]
        | None
    ) = Field(default=None, description="The resolution of the output video.")
    reference_audio: Annotated[list[AudioReference], Field(max_length=3)] | None = Field(
        default=None,
        alias="referenceAudio",
        description=(
            "An optional array of audio references. The total combined duration must not "
            "exceed 15 seconds."
        ),
    )
    references: Annotated[list[ImageReference], Field(max_length=9)] | None = Field(
        default=None,
        description=(
            "An optional array of image references (up to 9). See [our "
            "docs](/assets/inputs#images) on image inputs for more information."
        ),
    )
    reference_videos: Annotated[list[VideoReference], Field(max_length=3)] | None = Field(
        default=None,
        alias="referenceVideos",
        description=(
            "An optional array of video references. The combined duration across all "
            "video references must not exceed 15 seconds. See [our "
            "docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "If unspecified, a random number is chosen. Varying the seed integer is a way"
            " to get different results for the same other request parameters. Using the "
            "same seed integer for an identical request will produce similar results."
        ),
    )


class Seedance2FastTextToVideo(CatalogueRequest):
    """``seedance2_fast`` on ``POST /v1/text_to_video``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "text_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("referenceAudio[].uri", "audio"),
        ("references[].uri", "image"),
        ("referenceVideos[].uri", "video"),
    )
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["seedance2_fast"] = Field(default="seedance2_fast")
    prompt_text: Annotated[str, text_units(3500, 1, what="prompt")] = Field(
        alias="promptText",
        description=(
            "A non-empty text prompt up to 3500 characters describing what should appear "
            "in the output."
        ),
    )
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio for the video."
    )
    duration: Annotated[int, Field(strict=True, ge=4, le=15)] | Literal["auto"] | None = Field(
        default=None,
        description=(
            "Seconds of video to generate, or `auto` to let the model choose. `auto` is "
            "billed at the variant maximum up front; unused credits are refunded after "
            "the generation finishes."
        ),
    )
    ratio: (
        Literal[
            "992:432",
            "864:496",
            "752:560",
            "640:640",
            "560:752",
            "496:864",
            "1470:630",
            "1280:720",
            "1112:834",
            "960:960",
            "834:1112",
            "720:1280",
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "The resolution of the output video. Seedance 2.0 Fast supports 480p and 720p only."
        ),
    )
    reference_audio: Annotated[list[AudioReference], Field(max_length=3)] | None = Field(
        default=None,
        alias="referenceAudio",
        description=(
            "An optional array of audio references. The total combined duration must not "
            "exceed 15 seconds."
        ),
    )
    references: Annotated[list[ImageReference], Field(max_length=9)] | None = Field(
        default=None,
        description=(
            "An optional array of image references (up to 9). See [our "
            "docs](/assets/inputs#images) on image inputs for more information."
        ),
    )
    reference_videos: Annotated[list[VideoReference], Field(max_length=3)] | None = Field(
        default=None,
        alias="referenceVideos",
        description=(
            "An optional array of video references. The combined duration across all "
            "video references must not exceed 15 seconds. See [our "
            "docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "If unspecified, a random number is chosen. Varying the seed integer is a way"
            " to get different results for the same other request parameters. Using the "
            "same seed integer for an identical request will produce similar results."
        ),
    )


class Seedance2MiniTextToVideo(CatalogueRequest):
    """``seedance2_mini`` on ``POST /v1/text_to_video``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "text_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("referenceAudio[].uri", "audio"),
        ("references[].uri", "image"),
        ("referenceVideos[].uri", "video"),
    )
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["seedance2_mini"] = Field(default="seedance2_mini")
    prompt_text: Annotated[str, text_units(3500, 1, what="prompt")] = Field(
        alias="promptText",
        description=(
            "A non-empty text prompt up to 3500 characters describing what should appear "
            "in the output."
        ),
    )
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio for the video."
    )
    duration: Annotated[int, Field(strict=True, ge=4, le=15)] | Literal["auto"] | None = Field(
        default=None,
        description=(
            "Seconds of video to generate, or `auto` to let the model choose. `auto` is "
            "billed at the variant maximum up front; unused credits are refunded after "
            "the generation finishes."
        ),
    )
    ratio: (
        Literal[
            "992:432",
            "864:496",
            "752:560",
            "640:640",
            "560:752",
            "496:864",
            "1470:630",
            "1280:720",
            "1112:834",
            "960:960",
            "834:1112",
            "720:1280",
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "The resolution of the output video. Seedance 2.0 Mini supports 480p and 720p only."
        ),
    )
    reference_audio: Annotated[list[AudioReference], Field(max_length=3)] | None = Field(
        default=None,
        alias="referenceAudio",
        description=(
            "An optional array of audio references. The total combined duration must not "
            "exceed 15 seconds."
        ),
    )
    references: Annotated[list[ImageReference], Field(max_length=9)] | None = Field(
        default=None,
        description=(
            "An optional array of image references (up to 9). See [our "
            "docs](/assets/inputs#images) on image inputs for more information."
        ),
    )
    reference_videos: Annotated[list[VideoReference], Field(max_length=3)] | None = Field(
        default=None,
        alias="referenceVideos",
        description=(
            "An optional array of video references. The combined duration across all "
            "video references must not exceed 15 seconds. See [our "
            "docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "If unspecified, a random number is chosen. Varying the seed integer is a way"
            " to get different results for the same other request parameters. Using the "
            "same seed integer for an identical request will produce similar results."
        ),
    )


class GeminiOmniFlashTextToVideo(CatalogueRequest):
    """``gemini_omni_flash`` on ``POST /v1/text_to_video``, from the SDK's types and Runway's
    OpenAPI document.
    """

    endpoint: ClassVar[str] = "text_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = ()
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["gemini_omni_flash"] = Field(default="gemini_omni_flash")
    prompt_text: Annotated[str, text_units(4000, 1, what="prompt")] = Field(
        alias="promptText", description="A non-empty text prompt describing the video to generate."
    )
    duration: Annotated[int, Field(strict=True, ge=3, le=10)] | None = Field(
        default=None,
        description="The duration of the output video in seconds, as a whole number from 3 to 10.",
    )
    ratio: Literal["1280:720", "720:1280"] | None = Field(
        default=None,
        description=(
            "The aspect ratio of the output video: `1280:720` (landscape) or `720:1280` (portrait)."
        ),
    )


class GrokImagine15TextToVideo(CatalogueRequest):
    """``grok_imagine_1_5`` on ``POST /v1/text_to_video``, from the SDK's types (the pinned OpenAPI
    document predates this model).
    """

    endpoint: ClassVar[str] = "text_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("referenceAudio[].uri", "audio"),
        ("references[].uri", "image"),
    )
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["grok_imagine_1_5"] = Field(default="grok_imagine_1_5")
    prompt_text: Annotated[str, text_units(None, 1, what="prompt")] = Field(
        alias="promptText",
        description="A non-empty text prompt describing what should appear in the output.",
    )
    duration: Annotated[int, Field(strict=True, ge=1, le=15)] | None = Field(
        default=None,
        description=(
            "The number of seconds of duration for the output video. (From 1 to 15: no "
            "limit written; 15 s is the longest the endpoint's documented partners take "
            "(hailuo3, happyhorse, seedance2; references 'must not exceed 15 seconds'): "
            "conservative.)"
        ),
    )
    ratio: Literal["1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3"] | None = Field(
        default=None, description="The aspect ratio of the output video."
    )
    reference_audio: list[AudioReference] | None = Field(
        default=None,
        alias="referenceAudio",
        description=(
            "An optional array of audio references. Audio references require at least one"
            " image reference, and each clip must be between 3 and 15 seconds."
        ),
    )
    references: list[ImageReference] | None = Field(
        default=None,
        description=(
            "An optional array of image references. Referenced images can be addressed in"
            " the prompt as [Image 1], [Image 2], and so on. See [our "
            "docs](/assets/inputs#images) on image inputs for more information."
        ),
    )
    resolution: Literal["480p", "720p", "1080p"] | None = Field(
        default=None,
        description="The output resolution. Requests with image references are capped at 720p.",
    )


class Wan3TextToVideo(CatalogueRequest):
    """``wan3`` on ``POST /v1/text_to_video``, from the SDK's types (the pinned OpenAPI document
    predates this model).
    """

    endpoint: ClassVar[str] = "text_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("referenceAudio[].uri", "audio"),
        ("references[].uri", "image"),
        ("referenceVideos[].uri", "video"),
    )
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["wan3"] = Field(default="wan3")
    prompt_text: Annotated[str, text_units(None, 1, what="prompt")] = Field(
        alias="promptText",
        description="A non-empty text prompt describing what should appear in the output.",
    )
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio with the video."
    )
    duration: Annotated[int, Field(strict=True, ge=1, le=15)] | None = Field(
        default=None,
        description=(
            "The number of seconds of duration for the output video. (From 1 to 15: no "
            "limit written; 15 s is the longest the endpoint's documented partners take "
            "(hailuo3, happyhorse, seedance2; references 'must not exceed 15 seconds'): "
            "conservative.)"
        ),
    )
    ratio: (
        Literal[
            "832:480",
            "720:544",
            "624:624",
            "544:720",
            "480:832",
            "1280:720",
            "1104:832",
            "960:960",
            "832:1104",
            "720:1280",
            "1920:1080",
            "1648:1248",
            "1440:1440",
            "1248:1648",
            "1080:1920",
            "auto_480p",
            "auto_720p",
            "auto_1080p",
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "The resolution of the output video, as `<width>:<height>`. Keyframe image-"
            "to-video requests must use `auto_480p`, `auto_720p`, or `auto_1080p` because"
            " their aspect ratio follows the first frame."
        ),
    )
    reference_audio: list[AudioReference] | None = Field(
        default=None,
        alias="referenceAudio",
        description=(
            "An optional array of audio references. The total combined duration must not "
            "exceed 15 seconds."
        ),
    )
    references: Annotated[list[ImageReference], Field(max_length=10)] | None = Field(
        default=None,
        description=(
            "An optional array of image references (up to 10). See [our "
            "docs](/assets/inputs#images) on image inputs for more information."
        ),
    )
    reference_videos: list[VideoReference] | None = Field(
        default=None,
        alias="referenceVideos",
        description=(
            "An optional array of video references. The combined duration across all "
            "video references must not exceed 15 seconds. See [our "
            "docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )


class GeminiOmniFlash11TextToVideo(CatalogueRequest):
    """``gemini_omni_flash_1.1`` on ``POST /v1/text_to_video``, from the SDK's types (the pinned
    OpenAPI document predates this model).
    """

    endpoint: ClassVar[str] = "text_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("references[].uri", "image"),
        ("referenceVideos[].uri", "video"),
    )
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["gemini_omni_flash_1.1"] = Field(default="gemini_omni_flash_1.1")
    prompt_text: Annotated[str, text_units(None, 1, what="prompt")] = Field(
        alias="promptText", description="A non-empty text prompt describing the video to generate."
    )
    duration: Annotated[int, Field(strict=True, ge=3, le=10)] | Literal["auto"] | None = Field(
        default=None,
        description=(
            'The duration of the output video in seconds. Use "auto" to let the model '
            "choose a duration. Numeric durations must be between 3 and 10 seconds."
        ),
    )
    ratio: (
        Literal[
            "640:360",
            "360:640",
            "1280:720",
            "720:1280",
            "1920:1080",
            "1080:1920",
            "3840:2160",
            "2160:3840",
        ]
        | None
    ) = Field(default=None, description="The resolution and aspect ratio of the output video.")
    references: list[ImageReference] | None = Field(default=None)
    reference_videos: list[VideoUriReference] | None = Field(default=None, alias="referenceVideos")


class Wan3PrimeTextToVideo(CatalogueRequest):
    """``wan3_prime`` on ``POST /v1/text_to_video``, from the SDK's types (the pinned OpenAPI
    document predates this model).
    """

    endpoint: ClassVar[str] = "text_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("referenceAudio[].uri", "audio"),
        ("references[].uri", "image"),
        ("referenceVideos[].uri", "video"),
    )
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["wan3_prime"] = Field(default="wan3_prime")
    prompt_text: Annotated[str, text_units(None, 1, what="prompt")] = Field(
        alias="promptText",
        description="A non-empty text prompt describing what should appear in the output.",
    )
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio with the video."
    )
    duration: Annotated[int, Field(strict=True, ge=1, le=15)] | None = Field(
        default=None,
        description=(
            "The number of seconds of duration for the output video. (From 1 to 15: no "
            "limit written; 15 s is the longest the endpoint's documented partners take "
            "(hailuo3, happyhorse, seedance2; references 'must not exceed 15 seconds'): "
            "conservative.)"
        ),
    )
    ratio: (
        Literal[
            "832:480",
            "720:544",
            "624:624",
            "544:720",
            "480:832",
            "1280:720",
            "1104:832",
            "960:960",
            "832:1104",
            "720:1280",
            "1920:1080",
            "1648:1248",
            "1440:1440",
            "1248:1648",
            "1080:1920",
            "auto_480p",
            "auto_720p",
            "auto_1080p",
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "The resolution of the output video, as `<width>:<height>`. Keyframe image-"
            "to-video requests must use `auto_480p`, `auto_720p`, or `auto_1080p` because"
            " their aspect ratio follows the first frame."
        ),
    )
    reference_audio: list[AudioReference] | None = Field(
        default=None,
        alias="referenceAudio",
        description=(
            "An optional array of audio references. The total combined duration must not "
            "exceed 15 seconds."
        ),
    )
    references: Annotated[list[ImageReference], Field(max_length=10)] | None = Field(
        default=None,
        description=(
            "An optional array of image references (up to 10). See [our "
            "docs](/assets/inputs#images) on image inputs for more information."
        ),
    )
    reference_videos: list[VideoReference] | None = Field(
        default=None,
        alias="referenceVideos",
        description=(
            "An optional array of video references. The combined duration across all "
            "video references must not exceed 15 seconds. See [our "
            "docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )


class H3MaxTextToVideo(CatalogueRequest):
    """``h3_max`` on ``POST /v1/text_to_video``, from the SDK's types (the pinned OpenAPI document
    predates this model).
    """

    endpoint: ClassVar[str] = "text_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = ()
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["h3_max"] = Field(default="h3_max")
    prompt_text: Annotated[str, text_units(None, 1, what="prompt")] = Field(
        alias="promptText",
        description="A non-empty text prompt describing what should appear in the output.",
    )
    duration: Annotated[int, Field(strict=True, ge=1, le=15)] | None = Field(
        default=None,
        description=(
            "The number of seconds of duration for the output video. (From 1 to 15: no "
            "limit written; 15 s is the longest the endpoint's documented partners take "
            "(hailuo3, happyhorse, seedance2; references 'must not exceed 15 seconds'): "
            "conservative.)"
        ),
    )
    prompt_expansion_mode: Literal["disabled", "balanced", "quality"] | None = Field(
        default=None,
        alias="promptExpansionMode",
        description=(
            "How the model rewrites the prompt before generating. disabled keeps the "
            "prompt as written. balanced (the default) does a short rewrite. quality "
            "spends extra time rewriting for a stronger result."
        ),
    )
    resolution: Literal["480p", "768p"] | None = Field(
        default=None, description="The output resolution. MiniMax H3 Max supports 480p and 768p."
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "If unspecified, a random number is chosen. Identical results also need "
            "promptExpansionMode set to disabled; balanced and quality rewrite the prompt"
            " and will not repeat."
        ),
    )


class Seedance25TextToVideo(CatalogueRequest):
    """``seedance2_5`` on ``POST /v1/text_to_video``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "text_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("referenceAudio[].uri", "audio"),
        ("references[].uri", "image"),
        ("referenceVideos[].uri", "video"),
    )
    rules: ClassVar[tuple[str, ...]] = ("seedance_draft",)

    model: Literal["seedance2_5"] = Field(default="seedance2_5")
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio for the video. Defaults to `true`."
    )
    draft: StrictBool | None = Field(
        default=None,
        description=(
            "Generate a cheap 480p preview instead of a full-quality video. The returned "
            "task ID can later be enhanced to a 1080p video with the same content by "
            "passing it as `draftTaskId` to `text_to_video`. Drafts can be enhanced "
            "within 7 days of creation. Defaults to false."
        ),
    )
    draft_task_id: str | None = Field(
        default=None,
        alias="draftTaskId",
        description=(
            "The ID of a succeeded draft task to enhance to 1080p. The draft is "
            "regenerated with its original prompt, references, and settings, so no other "
            "generation fields may be provided."
        ),
    )
    duration: Annotated[int, Field(strict=True, ge=4, le=30)] | Literal["auto"] | None = Field(
        default=None,
        description=(
            "Seconds of video to generate, or `auto` to let the model choose. `auto` is "
            "billed at the variant maximum up front; unused credits are refunded after "
            "the generation finishes. Defaults to 5."
        ),
    )
    output_format: Literal["mp4", "mov"] | None = Field(
        default=None,
        alias="outputFormat",
        description=(
            "Container for the output video. `mov` keeps high colour precision for "
            "grading and compositing. Defaults to `mp4`. Draft mode only supports `mp4`."
        ),
    )
    prompt_text: Annotated[str, text_units(15000, 1, what="prompt")] | None = Field(
        default=None,
        alias="promptText",
        description=(
            "An optional text prompt up to 15000 characters describing what should appear"
            " in the output."
        ),
    )
    ratio: (
        Literal[
            "992:432",
            "854:480",
            "752:560",
            "640:640",
            "560:752",
            "480:854",
            "1470:630",
            "1280:720",
            "1112:834",
            "960:960",
            "834:1112",
            "720:1280",
            "2206:946",
            "1920:1080",
            "1664:1248",
            "1440:1440",
            "1248:1664",
            "1080:1920",
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "The resolution of the output video. Seedance 2.5 supports 480p, 720p, and "
            "1080p. Defaults to `1280:720`."
        ),
    )
    reference_audio: Annotated[list[AudioReference], Field(max_length=10)] | None = Field(
        default=None,
        alias="referenceAudio",
        description=(
            "An optional array of audio references. The total combined duration must be "
            "less than 30 seconds."
        ),
    )
    references: Annotated[list[ImageReference], Field(max_length=30)] | None = Field(
        default=None,
        description=(
            "An optional array of image references (up to 30). See [our "
            "docs](/assets/inputs#images) on image inputs for more information."
        ),
    )
    reference_videos: Annotated[list[VideoReference], Field(max_length=10)] | None = Field(
        default=None,
        alias="referenceVideos",
        description=(
            "An optional array of video references. The combined duration across all "
            "video references must not exceed 30 seconds. See [our "
            "docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "If unspecified, a random number is chosen. Varying the seed integer is a way"
            " to get different results for the same other request parameters. Using the "
            "same seed integer for an identical request will produce similar results."
        ),
    )


class GrokImagine15LiteTextToVideo(CatalogueRequest):
    """``grok_imagine_1_5_lite`` on ``POST /v1/text_to_video``, from the SDK's types (the pinned
    OpenAPI document predates this model).
    """

    endpoint: ClassVar[str] = "text_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = ()
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["grok_imagine_1_5_lite"] = Field(default="grok_imagine_1_5_lite")
    prompt_text: Annotated[str, text_units(None, 1, what="prompt")] = Field(
        alias="promptText",
        description="A non-empty text prompt describing what should appear in the output.",
    )
    duration: Annotated[int, Field(strict=True, ge=1, le=15)] | None = Field(
        default=None,
        description=(
            "The number of seconds of duration for the output video. (From 1 to 15: no "
            "limit written; 15 s is the longest the endpoint's documented partners take "
            "(hailuo3, happyhorse, seedance2; references 'must not exceed 15 seconds'): "
            "conservative.)"
        ),
    )
    ratio: (
        Literal[
            "848:480",
            "480:848",
            "480:480",
            "640:480",
            "480:640",
            "720:480",
            "480:720",
            "1280:720",
            "720:1280",
            "720:720",
            "960:720",
            "720:960",
            "1088:720",
            "720:1088",
            "1904:1072",
            "1072:1904",
            "1424:1424",
            "1648:1232",
            "1232:1648",
            "1744:1152",
            "1152:1744",
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "The resolution of the output video. The 1080p sizes are rendered at 720p and upscaled."
        ),
    )


class Kling4TextToVideo(CatalogueRequest):
    """``kling_4`` on ``POST /v1/text_to_video``, from the SDK's types (the pinned OpenAPI document
    predates this model).
    """

    endpoint: ClassVar[str] = "text_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("references[].uri", "image"),
        ("referenceVideos[].uri", "video"),
    )
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["kling_4"] = Field(default="kling_4")
    prompt_text: str = Field(
        alias="promptText", description="A text prompt describing what should happen in the video."
    )
    duration: Annotated[int, Field(strict=True, ge=3, le=15)] | None = Field(
        default=None,
        description=(
            "The duration of the output video in seconds. (From 3 to 15: not written per "
            "model; the multishot segments 'must be between 3 and 15 seconds' in all (SDK"
            " docstring), and Kling's other models take 5 or 10: conservative.)"
        ),
    )
    ratio: (
        Literal[
            "1280:720",
            "720:1280",
            "940:940",
            "1460:624",
            "1920:1080",
            "1080:1920",
            "1440:1440",
            "2200:940",
            "auto_720p",
            "auto_1080p",
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "The target output size. Use a pixel ratio such as `1280:720` or `auto_720p` "
            "/ `auto_1080p` for adaptive framing."
        ),
    )
    references: Annotated[list[ImageReference], Field(max_length=10)] | None = Field(
        default=None,
        description=(
            "Images of characters, objects or styles to use in the video. Up to 10 images"
            " in total, frames included."
        ),
    )
    reference_videos: Annotated[list[OpenVideoReference], Field(max_length=5)] | None = Field(
        default=None,
        alias="referenceVideos",
        description=(
            "Up to 5 videos whose style, motion or camera work should guide the output, "
            "together at most 30 seconds long."
        ),
    )


class Aleph2VideoToVideo(CatalogueRequest):
    """``aleph2`` on ``POST /v1/video_to_video``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "video_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("videoUri", "video"),
        ("keyframes[].uri", "image"),
    )
    rules: ClassVar[tuple[str, ...]] = ("prores_profile", "keyframe_ranges")

    model: Literal["aleph2"] = Field(default="aleph2")
    video_uri: VideoUri = Field(
        alias="videoUri",
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:video/mp4;base64,...`, up to 5MB) containing an encoded video. See "
            "[our docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )
    content_moderation: ContentModeration | None = Field(
        default=None,
        alias="contentModeration",
        description="Settings that affect the behavior of the content moderation system.",
    )
    keyframes: (
        Annotated[list[KeyframeAtSecond | KeyframeAtFraction], Field(min_length=1, max_length=5)]
        | None
    ) = Field(
        default=None,
        description=(
            "Timed guidance images placed at specific points in the input video. Up to 5 keyframes."
        ),
    )
    output_format: Literal["mp4", "prores", "png_sequence", "sdr_rec709_10bit"] | None = Field(
        default=None,
        alias="outputFormat",
        description=(
            "The container/encoding of the output. `mp4` (default) returns an H.264 .mp4."
            " `prores` returns a ProRes .mov. `png_sequence` returns a .zip of PNG "
            "frames. `sdr_rec709_10bit` returns a 10-bit Rec.709 HEVC .mp4 for SDR "
            "grading pipelines. Non-mp4 formats incur an additional surcharge: 5 credits "
            "per second for `prores` and `png_sequence`, and 20 credits per second for "
            "`sdr_rec709_10bit` — 40 credits per second when the output is larger than 4 "
            "megapixels — includes anything larger than 1440p, up through 4K."
        ),
    )
    prompt_text: Annotated[str, text_units(1000, 1, what="prompt")] | None = Field(
        default=None,
        alias="promptText",
        description="A non-empty and optional string describing what should appear in the output.",
    )
    prores_profile: Literal["422", "4444", "422 Proxy", "422 LT", "422 HQ", "4444 XQ"] | None = (
        Field(
            default=None,
            alias="proresProfile",
            description=(
                "The ProRes profile to use. Only valid when `outputFormat` is `prores`. "
                "Defaults to `4444`. Note: generated content contains no transparency — the "
                "alpha channel in `4444` / `4444 XQ` outputs is present but fully opaque; "
                "choose these tiers for 12-bit 4:4:4 color fidelity, not for mattes."
            ),
        )
    )
    ratio: str | None = Field(default=None)
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "If unspecified, a random number is chosen. Varying the seed integer is a way"
            " to get different results for the same other request parameters. Using the "
            "same seed integer for an identical request will produce similar results."
        ),
    )
    target_aspect_ratio: (
        Literal["16:9", "4:3", "3:2", "1:1", "2:3", "3:4", "9:16", "21:9"] | None
    ) = Field(
        default=None,
        alias="targetAspectRatio",
        description=(
            "Target aspect ratio for expand/outpaint. Letterboxes the input video and "
            "keyframes before generation."
        ),
    )


class KlingO34kVideoToVideo(CatalogueRequest):
    """``klingO3_4k`` on ``POST /v1/video_to_video``, from the SDK's types (the pinned OpenAPI
    document predates this model).
    """

    endpoint: ClassVar[str] = "video_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptVideo", "video"),
        ("references", "image"),
        ("references[].uri", "image"),
    )
    rules: ClassVar[tuple[str, ...]] = ("kling_shots",)

    model: Literal["klingO3_4k"] = Field(default="klingO3_4k")
    prompt_text: str = Field(
        alias="promptText",
        description="A text prompt describing what should appear in the output video.",
    )
    prompt_video: VideoUri = Field(
        alias="promptVideo",
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:video/mp4;base64,...`, up to 5MB) containing an encoded video. See "
            "[our docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )
    provider_settings: KlingEditShots | None = Field(
        default=None,
        alias="providerSettings",
        description="Provider-specific settings for multishot video generation and video editing.",
    )
    references: (
        Annotated[
            Annotated[ImageUri, Tag("uri")]
            | Annotated[Annotated[list[OptionalKeyframe], Field(max_length=4)], Tag("frames")],
            Discriminator(single_or_list),
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "An optional array of reference images (up to 4). See [our "
            "docs](/assets/inputs#images) on image inputs for more information."
        ),
    )


class Hailuo3VideoToVideo(CatalogueRequest):
    """``hailuo3`` on ``POST /v1/video_to_video``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "video_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptVideo", "video"),
        ("referenceAudio[].uri", "audio"),
        ("references[].uri", "image"),
        ("referenceVideos[].uri", "video"),
    )
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["hailuo3"] = Field(default="hailuo3")
    prompt_text: Annotated[str, text_units(6000, 1, what="prompt")] = Field(
        alias="promptText",
        description="A non-empty text prompt describing what should appear in the output.",
    )
    prompt_video: VideoUri = Field(
        alias="promptVideo",
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:video/mp4;base64,...`, up to 5MB) containing an encoded video. See "
            "[our docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )
    duration: Annotated[int, Field(strict=True, ge=5, le=15)] | None = Field(
        default=None, description="The number of seconds of duration for the output video."
    )
    ratio: Literal["adaptive", "21:9", "16:9", "4:3", "1:1", "3:4", "9:16"] | None = Field(
        default=None,
        description=(
            "The aspect ratio of the output video. Use adaptive only when image or video "
            "references are provided; text-only requests require a concrete ratio."
        ),
    )
    reference_audio: Annotated[list[AudioReference], Field(max_length=3)] | None = Field(
        default=None,
        alias="referenceAudio",
        description=(
            "An optional array of audio references. Audio references require a text "
            "prompt, and the total combined duration must not exceed 15 seconds."
        ),
    )
    references: Annotated[list[ImageReference], Field(max_length=9)] | None = Field(
        default=None,
        description=(
            "An optional array of image references (up to 9). See [our "
            "docs](/assets/inputs#images) on image inputs for more information."
        ),
    )
    reference_videos: Annotated[list[VideoReference], Field(max_length=2)] | None = Field(
        default=None,
        alias="referenceVideos",
        description=(
            "An optional array of video references. The combined duration across all "
            "video references must not exceed 15 seconds. See [our "
            "docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )
    resolution: Literal["768p", "2k", "768P", "2K"] | None = Field(
        default=None,
        description=(
            "The output resolution. Hailuo 3.0 supports 768p and 2k. - `768P` - "
            'Deprecated: Use "768p" instead. - `2K` - Deprecated: Use "2k" instead.'
        ),
    )


class KlingO3ProVideoToVideo(CatalogueRequest):
    """``klingO3_pro`` on ``POST /v1/video_to_video``, from the SDK's types (the pinned OpenAPI
    document predates this model).
    """

    endpoint: ClassVar[str] = "video_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptVideo", "video"),
        ("references", "image"),
        ("references[].uri", "image"),
    )
    rules: ClassVar[tuple[str, ...]] = ("kling_shots",)

    model: Literal["klingO3_pro"] = Field(default="klingO3_pro")
    prompt_text: str = Field(
        alias="promptText",
        description="A text prompt describing what should appear in the output video.",
    )
    prompt_video: VideoUri = Field(
        alias="promptVideo",
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:video/mp4;base64,...`, up to 5MB) containing an encoded video. See "
            "[our docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )
    provider_settings: KlingEditShots | None = Field(
        default=None,
        alias="providerSettings",
        description="Provider-specific settings for multishot video generation and video editing.",
    )
    references: (
        Annotated[
            Annotated[ImageUri, Tag("uri")]
            | Annotated[Annotated[list[OptionalKeyframe], Field(max_length=4)], Tag("frames")],
            Discriminator(single_or_list),
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "An optional array of reference images (up to 4). See [our "
            "docs](/assets/inputs#images) on image inputs for more information."
        ),
    )


class KlingO3StandardVideoToVideo(CatalogueRequest):
    """``klingO3_standard`` on ``POST /v1/video_to_video``, from the SDK's types (the pinned
    OpenAPI document predates this model).
    """

    endpoint: ClassVar[str] = "video_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptVideo", "video"),
        ("references", "image"),
        ("references[].uri", "image"),
    )
    rules: ClassVar[tuple[str, ...]] = ("kling_shots",)

    model: Literal["klingO3_standard"] = Field(default="klingO3_standard")
    prompt_text: str = Field(
        alias="promptText",
        description="A text prompt describing what should appear in the output video.",
    )
    prompt_video: VideoUri = Field(
        alias="promptVideo",
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:video/mp4;base64,...`, up to 5MB) containing an encoded video. See "
            "[our docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )
    provider_settings: KlingEditShots | None = Field(
        default=None,
        alias="providerSettings",
        description="Provider-specific settings for multishot video generation and video editing.",
    )
    references: (
        Annotated[
            Annotated[ImageUri, Tag("uri")]
            | Annotated[Annotated[list[OptionalKeyframe], Field(max_length=4)], Tag("frames")],
            Discriminator(single_or_list),
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "An optional array of reference images (up to 4). See [our "
            "docs](/assets/inputs#images) on image inputs for more information."
        ),
    )


class Seedance2VideoToVideo(CatalogueRequest):
    """``seedance2`` on ``POST /v1/video_to_video``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "video_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptVideo", "video"),
        ("referenceAudio[].uri", "audio"),
        ("references[].uri", "image"),
        ("referenceVideos[].uri", "video"),
    )
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["seedance2"] = Field(default="seedance2")
    prompt_video: VideoUri = Field(
        alias="promptVideo",
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:video/mp4;base64,...`, up to 5MB) containing an encoded video. See "
            "[our docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio for the video."
    )
    duration: Annotated[int, Field(strict=True, ge=4, le=15)] | Literal["auto"] | None = Field(
        default=None,
        description=(
            "Seconds of video to generate, or `auto` to let the model choose. `auto` is "
            "billed at the variant maximum up front; unused credits are refunded after "
            "the generation finishes."
        ),
    )
    prompt_text: Annotated[str, text_units(3500, 1, what="prompt")] | None = Field(
        default=None,
        alias="promptText",
        description=(
            "An optional text prompt up to 3500 characters describing what should appear "
            "in the output."
        ),
    )
    ratio: (
        Literal[
            "992:432",
            "864:496",
            "752:560",
            "640:640",
            "560:752",
            "496:864",
            "1470:630",
            "1280:720",
            "1112:834",
            "960:960",
            "834:1112",
            "720:1280",
            "2206:946",
            "1920:1080",
            "1664:1248",
            "1440:1440",
            "1248:1664",
            "1080:1920",
            "3840:1646",
            "3840:2160",
            "3840:2880",
            "3840:3840",
            "2880:3840",
            "2160:3840",
        ]
        | None
    ) = Field(default=None, description="The resolution of the output video.")
    reference_audio: Annotated[list[AudioReference], Field(max_length=3)] | None = Field(
        default=None,
        alias="referenceAudio",
        description=(
            "An optional array of audio references. The total combined duration must not "
            "exceed 15 seconds."
        ),
    )
    references: Annotated[list[ImageReference], Field(max_length=9)] | None = Field(
        default=None,
        description=(
            "An optional array of image references (up to 9). See [our "
            "docs](/assets/inputs#images) on image inputs for more information."
        ),
    )
    reference_videos: Annotated[list[VideoReference], Field(max_length=3)] | None = Field(
        default=None,
        alias="referenceVideos",
        description=(
            "An optional array of video references. The combined duration across all "
            "video references must not exceed 15 seconds. See [our "
            "docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "If unspecified, a random number is chosen. Varying the seed integer is a way"
            " to get different results for the same other request parameters. Using the "
            "same seed integer for an identical request will produce similar results."
        ),
    )


class Seedance2FastVideoToVideo(CatalogueRequest):
    """``seedance2_fast`` on ``POST /v1/video_to_video``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "video_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptVideo", "video"),
        ("referenceAudio[].uri", "audio"),
        ("references[].uri", "image"),
        ("referenceVideos[].uri", "video"),
    )
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["seedance2_fast"] = Field(default="seedance2_fast")
    prompt_video: VideoUri = Field(
        alias="promptVideo",
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:video/mp4;base64,...`, up to 5MB) containing an encoded video. See "
            "[our docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio for the video."
    )
    duration: Annotated[int, Field(strict=True, ge=4, le=15)] | Literal["auto"] | None = Field(
        default=None,
        description=(
            "Seconds of video to generate, or `auto` to let the model choose. `auto` is "
            "billed at the variant maximum up front; unused credits are refunded after "
            "the generation finishes."
        ),
    )
    prompt_text: Annotated[str, text_units(3500, 1, what="prompt")] | None = Field(
        default=None,
        alias="promptText",
        description=(
            "An optional text prompt up to 3500 characters describing what should appear "
            "in the output."
        ),
    )
    ratio: (
        Literal[
            "992:432",
            "864:496",
            "752:560",
            "640:640",
            "560:752",
            "496:864",
            "1470:630",
            "1280:720",
            "1112:834",
            "960:960",
            "834:1112",
            "720:1280",
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "The resolution of the output video. Seedance 2.0 Fast supports 480p and 720p only."
        ),
    )
    reference_audio: Annotated[list[AudioReference], Field(max_length=3)] | None = Field(
        default=None,
        alias="referenceAudio",
        description=(
            "An optional array of audio references. The total combined duration must not "
            "exceed 15 seconds."
        ),
    )
    references: Annotated[list[ImageReference], Field(max_length=9)] | None = Field(
        default=None,
        description=(
            "An optional array of image references (up to 9). See [our "
            "docs](/assets/inputs#images) on image inputs for more information."
        ),
    )
    reference_videos: Annotated[list[VideoReference], Field(max_length=3)] | None = Field(
        default=None,
        alias="referenceVideos",
        description=(
            "An optional array of video references. The combined duration across all "
            "video references must not exceed 15 seconds. See [our "
            "docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "If unspecified, a random number is chosen. Varying the seed integer is a way"
            " to get different results for the same other request parameters. Using the "
            "same seed integer for an identical request will produce similar results."
        ),
    )


class Seedance2MiniVideoToVideo(CatalogueRequest):
    """``seedance2_mini`` on ``POST /v1/video_to_video``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "video_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptVideo", "video"),
        ("referenceAudio[].uri", "audio"),
        ("references[].uri", "image"),
        ("referenceVideos[].uri", "video"),
    )
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["seedance2_mini"] = Field(default="seedance2_mini")
    prompt_video: VideoUri = Field(
        alias="promptVideo",
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:video/mp4;base64,...`, up to 5MB) containing an encoded video. See "
            "[our docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio for the video."
    )
    duration: Annotated[int, Field(strict=True, ge=4, le=15)] | Literal["auto"] | None = Field(
        default=None,
        description=(
            "Seconds of video to generate, or `auto` to let the model choose. `auto` is "
            "billed at the variant maximum up front; unused credits are refunded after "
            "the generation finishes."
        ),
    )
    prompt_text: Annotated[str, text_units(3500, 1, what="prompt")] | None = Field(
        default=None,
        alias="promptText",
        description=(
            "An optional text prompt up to 3500 characters describing what should appear "
            "in the output."
        ),
    )
    ratio: (
        Literal[
            "992:432",
            "864:496",
            "752:560",
            "640:640",
            "560:752",
            "496:864",
            "1470:630",
            "1280:720",
            "1112:834",
            "960:960",
            "834:1112",
            "720:1280",
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "The resolution of the output video. Seedance 2.0 Mini supports 480p and 720p only."
        ),
    )
    reference_audio: Annotated[list[AudioReference], Field(max_length=3)] | None = Field(
        default=None,
        alias="referenceAudio",
        description=(
            "An optional array of audio references. The total combined duration must not "
            "exceed 15 seconds."
        ),
    )
    references: Annotated[list[ImageReference], Field(max_length=9)] | None = Field(
        default=None,
        description=(
            "An optional array of image references (up to 9). See [our "
            "docs](/assets/inputs#images) on image inputs for more information."
        ),
    )
    reference_videos: Annotated[list[VideoReference], Field(max_length=3)] | None = Field(
        default=None,
        alias="referenceVideos",
        description=(
            "An optional array of video references. The combined duration across all "
            "video references must not exceed 15 seconds. See [our "
            "docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "If unspecified, a random number is chosen. Varying the seed integer is a way"
            " to get different results for the same other request parameters. Using the "
            "same seed integer for an identical request will produce similar results."
        ),
    )


class GeminiOmniFlashVideoToVideo(CatalogueRequest):
    """``gemini_omni_flash`` on ``POST /v1/video_to_video``, from the SDK's types and Runway's
    OpenAPI document.
    """

    endpoint: ClassVar[str] = "video_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("videoUri", "video"),
        ("references[].uri", "image"),
    )
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["gemini_omni_flash"] = Field(default="gemini_omni_flash")
    prompt_text: Annotated[str, text_units(4000, 1, what="prompt")] = Field(
        alias="promptText", description="A non-empty instruction describing the edit to apply."
    )
    video_uri: VideoUri = Field(
        alias="videoUri",
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:video/mp4;base64,...`, up to 5MB) containing an encoded video. See "
            "[our docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )
    references: Annotated[list[ImageReference], Field(max_length=5)] | None = Field(
        default=None, description="An optional array of image references to guide the edit."
    )


class GeminiOmniFlash11VideoToVideo(CatalogueRequest):
    """``gemini_omni_flash_1.1`` on ``POST /v1/video_to_video``, from the SDK's types (the pinned
    OpenAPI document predates this model).
    """

    endpoint: ClassVar[str] = "video_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("videoUri", "video"),
        ("references[].uri", "image"),
    )
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["gemini_omni_flash_1.1"] = Field(default="gemini_omni_flash_1.1")
    prompt_text: Annotated[str, text_units(None, 1, what="prompt")] = Field(
        alias="promptText", description="A non-empty prompt describing the output or extension."
    )
    video_uri: VideoUri = Field(
        alias="videoUri",
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:video/mp4;base64,...`, up to 5MB) containing an encoded video. See "
            "[our docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )
    duration: Annotated[int, Field(strict=True, ge=3, le=10)] | Literal["auto"] | None = Field(
        default=None,
        description=(
            "The duration in seconds. In reference mode, this is the output video length."
            " In extend mode, this is the amount of footage added to the input video. Use"
            ' "auto" to let the model choose a duration. (From 3 to 10: the same model on'
            " image_to_video and text_to_video: 'Numeric durations must be between 3 and "
            "10 seconds' (SDK docstring).)"
        ),
    )
    mode: Literal["reference", "extend", "edit"] | None = Field(
        default=None,
        description=(
            "How the input video is used. `reference` generates a new video guided by the"
            " input, `extend` continues it, and `edit` transforms it according to the "
            "prompt."
        ),
    )
    ratio: (
        Literal[
            "640:360",
            "360:640",
            "1280:720",
            "720:1280",
            "1920:1080",
            "1080:1920",
            "3840:2160",
            "2160:3840",
        ]
        | None
    ) = Field(default=None, description="The resolution and aspect ratio of the output video.")
    references: list[ImageReference] | None = Field(
        default=None, description="An optional array of image references to guide the output."
    )


class Seedance25VideoToVideo(CatalogueRequest):
    """``seedance2_5`` on ``POST /v1/video_to_video``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "video_to_video"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("promptVideo", "video"),
        ("referenceAudio[].uri", "audio"),
        ("references[].uri", "image"),
        ("referenceVideos[].uri", "video"),
    )
    rules: ClassVar[tuple[str, ...]] = ("seedance_mode", "seedance_draft")

    model: Literal["seedance2_5"] = Field(default="seedance2_5")
    prompt_video: VideoUri = Field(
        alias="promptVideo",
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:video/mp4;base64,...`, up to 5MB) containing an encoded video. See "
            "[our docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )
    audio: StrictBool | None = Field(
        default=None, description="Whether to generate audio for the video."
    )
    draft: StrictBool | None = Field(
        default=None,
        description=(
            "Generate a cheap 480p preview instead of a full-quality video. The returned "
            "task ID can later be enhanced to a 1080p video with the same content by "
            "passing it as `draftTaskId` to `text_to_video`. Drafts can be enhanced "
            "within 7 days of creation. Defaults to false."
        ),
    )
    duration: Annotated[int, Field(strict=True, ge=4, le=30)] | Literal["auto"] | None = Field(
        default=None,
        description=(
            "Seconds of video to generate, or `auto` to let the model choose. `auto` is "
            "billed at the variant maximum up front; unused credits are refunded after "
            "the generation finishes. Defaults to 5."
        ),
    )
    mode: Literal["reference", "extend", "edit"] | None = Field(
        default=None,
        description=(
            "How the input video is used. `reference` (the default) generates a new video"
            " conditioned on the input video and accepts `duration` and `ratio`. `extend`"
            " continues the input video, requires `promptText`, and matches the input "
            "aspect ratio, so `ratio` may not be provided. `edit` modifies the input "
            'video in place, requires `promptText`, requires `duration: "auto"`, and does'
            " not accept `ratio`."
        ),
    )
    output_format: Literal["mp4", "mov"] | None = Field(
        default=None,
        alias="outputFormat",
        description=(
            "Container for the output video. `mov` keeps high colour precision for "
            "grading and compositing. Defaults to `mp4`. Draft mode only supports `mp4`."
        ),
    )
    prompt_text: Annotated[str, text_units(15000, 1, what="prompt")] | None = Field(
        default=None,
        alias="promptText",
        description=(
            "An optional text prompt up to 15000 characters describing what should appear"
            " in the output."
        ),
    )
    ratio: (
        Literal[
            "992:432",
            "854:480",
            "752:560",
            "640:640",
            "560:752",
            "480:854",
            "1470:630",
            "1280:720",
            "1112:834",
            "960:960",
            "834:1112",
            "720:1280",
            "2206:946",
            "1920:1080",
            "1664:1248",
            "1440:1440",
            "1248:1664",
            "1080:1920",
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "The resolution of the output video. Seedance 2.5 supports 480p, 720p, and 1080p."
        ),
    )
    reference_audio: Annotated[list[AudioReference], Field(max_length=10)] | None = Field(
        default=None,
        alias="referenceAudio",
        description=(
            "An optional array of audio references. The total combined duration must be "
            "less than 30 seconds."
        ),
    )
    references: Annotated[list[ImageReference], Field(max_length=30)] | None = Field(
        default=None,
        description=(
            "An optional array of image references (up to 30). See [our "
            "docs](/assets/inputs#images) on image inputs for more information."
        ),
    )
    reference_videos: Annotated[list[VideoReference], Field(max_length=9)] | None = Field(
        default=None,
        alias="referenceVideos",
        description=(
            "An optional array of video references. The combined duration across all "
            "video references must not exceed 30 seconds. See [our "
            "docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "If unspecified, a random number is chosen. Varying the seed integer is a way"
            " to get different results for the same other request parameters. Using the "
            "same seed integer for an identical request will produce similar results."
        ),
    )


class Kling4VideoToVideo(CatalogueRequest):
    """``kling_4`` on ``POST /v1/video_to_video``, from the SDK's types (the pinned OpenAPI
    document predates this model).
    """

    endpoint: ClassVar[str] = "video_to_video"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("videoUri", "video"),
        ("references[].uri", "image"),
    )
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["kling_4"] = Field(default="kling_4")
    prompt_text: str = Field(
        alias="promptText", description="A text prompt describing how to edit the video."
    )
    video_uri: VideoUri = Field(
        alias="videoUri",
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:video/mp4;base64,...`, up to 5MB) containing an encoded video. See "
            "[our docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )
    ratio: Literal["auto_720p", "auto_1080p"] | None = Field(
        default=None, description="Output quality tier. The video keeps the input media framing."
    )
    references: Annotated[list[ImageReference], Field(max_length=10)] | None = Field(
        default=None,
        description=(
            "Images of characters, objects or styles to use in the video. Up to 10 images"
            " in total, frames included."
        ),
    )


class ActTwoCharacterPerformance(CatalogueRequest):
    """``act_two`` on ``POST /v1/character_performance``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "character_performance"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("character.uri", "image"),
        ("character.uri", "video"),
        ("reference.uri", "video"),
    )
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["act_two"] = Field(default="act_two")
    character: Annotated[CharacterImage | VideoReference, Field(discriminator="type")] = Field(
        description=(
            "The character to control. You can either provide a video or an image. A "
            "visually recognizable face must be visible and stay within the frame."
        )
    )
    reference: VideoReference = Field(
        description=(
            "A video of a person performing in the manner that you would like your "
            "character to perform. The video must be between 3 and 30 seconds in "
            "duration."
        )
    )
    body_control: StrictBool | None = Field(
        default=None,
        alias="bodyControl",
        description=(
            "A boolean indicating whether to enable body control. When enabled, non-"
            "facial movements and gestures will be applied to the character in addition "
            "to facial expressions."
        ),
    )
    content_moderation: ContentModeration | None = Field(
        default=None,
        alias="contentModeration",
        description="Settings that affect the behavior of the content moderation system.",
    )
    expression_intensity: Annotated[int, Field(strict=True, ge=1, le=5)] = Field(
        default=3,
        alias="expressionIntensity",
        description=(
            "An integer between 1 and 5 (inclusive). A larger value increases the "
            "intensity of the character's expression. (Sent as 3 unless given: OpenAPI "
            "default.)"
        ),
    )
    ratio: Literal["1280:720", "720:1280", "960:960", "1104:832", "832:1104", "1584:672"] | None = (
        Field(default=None, description="The resolution of the output video.")
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "If unspecified, a random number is chosen. Varying the seed integer is a way"
            " to get different results for the same other request parameters. Using the "
            "same seed integer for an identical request will produce similar results."
        ),
    )


class Gen4ImageTurboTextToImage(CatalogueRequest):
    """``gen4_image_turbo`` on ``POST /v1/text_to_image``, from the SDK's types and Runway's
    OpenAPI document.
    """

    endpoint: ClassVar[str] = "text_to_image"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (("referenceImages[].uri", "image"),)
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["gen4_image_turbo"] = Field(default="gen4_image_turbo")
    prompt_text: Annotated[str, text_units(1000, 1, what="prompt")] = Field(
        alias="promptText",
        description=(
            "A non-empty string up to 1000 characters (measured in UTF-16 code units). "
            "This should describe in detail what should appear in the output."
        ),
    )
    ratio: Literal[
        "1024:1024",
        "1080:1080",
        "1168:880",
        "1360:768",
        "1440:1080",
        "1080:1440",
        "1808:768",
        "1920:1080",
        "1080:1920",
        "2112:912",
        "1280:720",
        "720:1280",
        "720:720",
        "960:720",
        "720:960",
        "1680:720",
    ] = Field(description="The resolution of the output image.")
    reference_images: Annotated[list[TaggedReferenceImage], Field(min_length=1, max_length=3)] = (
        Field(
            alias="referenceImages",
            description=(
                "An array of one to three images to be used as references for the generated "
                "image output."
            ),
        )
    )
    content_moderation: ContentModeration | None = Field(
        default=None,
        alias="contentModeration",
        description="Settings that affect the behavior of the content moderation system.",
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "If unspecified, a random number is chosen. Varying the seed integer is a way"
            " to get different results for the same other request parameters. Using the "
            "same seed integer for an identical request will produce similar results."
        ),
    )


class Gen4ImageTextToImage(CatalogueRequest):
    """``gen4_image`` on ``POST /v1/text_to_image``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "text_to_image"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (("referenceImages[].uri", "image"),)
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["gen4_image"] = Field(default="gen4_image")
    prompt_text: Annotated[str, text_units(1000, 1, what="prompt")] = Field(
        alias="promptText",
        description=(
            "A non-empty string up to 1000 characters (measured in UTF-16 code units). "
            "This should describe in detail what should appear in the output."
        ),
    )
    ratio: Literal[
        "1024:1024",
        "1080:1080",
        "1168:880",
        "1360:768",
        "1440:1080",
        "1080:1440",
        "1808:768",
        "1920:1080",
        "1080:1920",
        "2112:912",
        "1280:720",
        "720:1280",
        "720:720",
        "960:720",
        "720:960",
        "1680:720",
    ] = Field(description="The resolution of the output image.")
    content_moderation: ContentModeration | None = Field(
        default=None,
        alias="contentModeration",
        description="Settings that affect the behavior of the content moderation system.",
    )
    reference_images: Annotated[list[TaggedReferenceImage], Field(max_length=3)] | None = Field(
        default=None,
        alias="referenceImages",
        description=(
            "An array of up to three images to be used as references for the generated "
            "image output."
        ),
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "If unspecified, a random number is chosen. Varying the seed integer is a way"
            " to get different results for the same other request parameters. Using the "
            "same seed integer for an identical request will produce similar results."
        ),
    )


class GptImage2TextToImage(CatalogueRequest):
    """``gpt_image_2`` on ``POST /v1/text_to_image``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "text_to_image"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (("referenceImages[].uri", "image"),)
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["gpt_image_2"] = Field(default="gpt_image_2")
    prompt_text: Annotated[str, text_units(32000, 1, what="prompt")] = Field(
        alias="promptText",
        description="A non-empty string up to 32,000 characters describing the desired image.",
    )
    ratio: Literal[
        "2048:880",
        "1920:1088",
        "1920:1280",
        "1920:1440",
        "1920:1536",
        "1920:1920",
        "1536:1920",
        "1440:1920",
        "1280:1920",
        "1088:1920",
        "2912:1248",
        "2560:1440",
        "2560:1712",
        "2560:1920",
        "2560:2048",
        "2560:2560",
        "2048:2560",
        "1920:2560",
        "1712:2560",
        "1440:2560",
        "3840:1648",
        "3840:2160",
        "3504:2336",
        "3264:2448",
        "3200:2560",
        "2880:2880",
        "2560:3200",
        "2448:3264",
        "2336:3504",
        "2160:3840",
        "auto",
    ] = Field(
        description=(
            "The resolution of the output image, expressed as `<width>:<height>`. Use "
            "`auto` to let the model choose."
        )
    )
    background: Literal["transparent", "opaque", "auto"] | None = Field(
        default=None,
        description=(
            "Background treatment. Defaults to `auto`, which lets the model pick. Use "
            "`transparent` to generate a PNG with an alpha-channel background."
        ),
    )
    output_count: Annotated[int, Field(strict=True, ge=1, le=10)] | None = Field(
        default=None,
        alias="outputCount",
        description=(
            "The number of images to generate (1-10). Increasing this number will affect "
            "the number of credits consumed by the generation."
        ),
    )
    quality: Literal["low", "medium", "high", "auto"] | None = Field(
        default=None,
        description=(
            "Rendering quality. Higher qualities consume more credits. Defaults to `high`."
        ),
    )
    reference_images: Annotated[list[TaggedReferenceImage], Field(max_length=16)] | None = Field(
        default=None,
        alias="referenceImages",
        description=(
            "An array of up to 16 images to be used as references for the generated image"
            " output. No two images may share the same tag."
        ),
    )


class GeminiImage31FlashTextToImage(CatalogueRequest):
    """``gemini_image3.1_flash`` on ``POST /v1/text_to_image``, from the SDK's types and Runway's
    OpenAPI document.
    """

    endpoint: ClassVar[str] = "text_to_image"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (("referenceImages[].uri", "image"),)
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["gemini_image3.1_flash"] = Field(default="gemini_image3.1_flash")
    prompt_text: Annotated[str, text_units(5500, 1, what="prompt")] = Field(
        alias="promptText",
        description="This should describe in detail what should appear in the output.",
    )
    ratio: Literal[
        "512:512",
        "416:624",
        "624:416",
        "432:592",
        "592:432",
        "448:576",
        "576:448",
        "384:672",
        "672:384",
        "768:336",
        "256:1024",
        "1024:256",
        "176:1408",
        "1408:176",
        "1024:1024",
        "832:1248",
        "1248:832",
        "864:1184",
        "1184:864",
        "896:1152",
        "1152:896",
        "768:1344",
        "1344:768",
        "1536:672",
        "512:2048",
        "2048:512",
        "352:2816",
        "2816:352",
        "2048:2048",
        "1696:2528",
        "2528:1696",
        "1792:2400",
        "2400:1792",
        "1856:2304",
        "2304:1856",
        "1536:2752",
        "2752:1536",
        "3168:1344",
        "1024:4096",
        "4096:1024",
        "704:5632",
        "5632:704",
        "4096:4096",
        "3392:5056",
        "5056:3392",
        "3584:4800",
        "4800:3584",
        "3712:4608",
        "4608:3712",
        "3072:5504",
        "5504:3072",
        "6336:2688",
        "2048:8192",
        "8192:2048",
        "1408:11264",
        "11264:1408",
    ] = Field(description="The resolution of the output image.")
    output_count: Literal[1, 4] | None = Field(
        default=None,
        alias="outputCount",
        description=(
            "The number of images to generate. Increasing this number will affect the "
            "number of credits consumed by the generation. Up to four images can be "
            "generated at once."
        ),
    )
    reference_images: Annotated[list[SubjectReferenceImage], Field(max_length=14)] | None = Field(
        default=None,
        alias="referenceImages",
        description=(
            "An array of up to 14 images to be used as references for the generated image"
            ' output. Up to five of those images can pass `subject: "human"` to maintain '
            "character consistency, and up to nine of those images can pass `subject: "
            '"object"` with high-fidelity images of objects to include in the output.'
        ),
    )


class MuseImageTextToImage(CatalogueRequest):
    """``muse_image`` on ``POST /v1/text_to_image``, from the SDK's types (the pinned OpenAPI
    document predates this model).
    """

    endpoint: ClassVar[str] = "text_to_image"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (("referenceImages[].uri", "image"),)
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["muse_image"] = Field(default="muse_image")
    prompt_text: Annotated[str, text_units(None, 1, what="prompt")] = Field(
        alias="promptText",
        description="A non-empty text prompt describing what should appear in the output image.",
    )
    ratio: Literal[
        "2352:1008",
        "2016:1152",
        "1920:1280",
        "1792:1344",
        "1600:1600",
        "1344:1792",
        "1280:1920",
        "1152:2016",
        "auto",
    ] = Field(
        description=(
            "The resolution of the output image, expressed as `<width>:<height>`. Use "
            "`auto` to let the model choose the framing from the prompt."
        )
    )
    output_count: Annotated[int, Field(strict=True, ge=1, le=4)] | None = Field(
        default=None,
        alias="outputCount",
        description=(
            "The number of images to generate. Each image costs 1 credit. (From 1 to 4: "
            "no limit written; the endpoint's documented models take 1-4 (seedream5_*), 1"
            " or 4 (gemini_image*), 1-10 (gpt_image_2): conservative.)"
        ),
    )
    output_format: Literal["webp", "png", "jpeg"] | None = Field(
        default=None,
        alias="outputFormat",
        description="The file format of the output image. Defaults to png.",
    )
    reference_images: Annotated[list[ImageReference], Field(max_length=10)] | None = Field(
        default=None,
        alias="referenceImages",
        description=(
            "Up to 10 images to guide the generation. When provided, the model edits and "
            "combines them as your prompt describes instead of generating from the prompt"
            " alone."
        ),
    )


class Seedream5ProTextToImage(CatalogueRequest):
    """``seedream5_pro`` on ``POST /v1/text_to_image``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "text_to_image"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (("referenceImages[].uri", "image"),)
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["seedream5_pro"] = Field(default="seedream5_pro")
    prompt_text: Annotated[str, text_units(4000, 1, what="prompt")] = Field(
        alias="promptText",
        description="A non-empty string up to 4,000 characters describing the desired image.",
    )
    ratio: Literal[
        "1024:1024",
        "1184:896",
        "896:1184",
        "1376:768",
        "768:1376",
        "1296:864",
        "864:1296",
        "2048:2048",
        "2304:1728",
        "1728:2304",
        "2720:1530",
        "1530:2720",
        "2496:1664",
        "1664:2496",
        "auto_1k",
        "auto_2k",
    ] = Field(
        description=(
            "The resolution of the output image, expressed as `<width>:<height>`. Use "
            "`auto_1k` or `auto_2k` to let the model pick aspect ratio at a fixed "
            "resolution tier."
        )
    )
    grounding: StrictBool | None = Field(
        default=None,
        description=(
            "When true, enable live web search so the model can use current brand, trend,"
            " or event context. Default false for deterministic output."
        ),
    )
    output_count: Annotated[int, Field(strict=True, ge=1, le=4)] | None = Field(
        default=None,
        alias="outputCount",
        description=(
            "The number of images to generate. Increasing this number will affect the "
            "number of credits consumed by the generation."
        ),
    )
    output_format: Literal["png", "jpeg"] | None = Field(
        default=None,
        alias="outputFormat",
        description="The file format of the output image. Defaults to png.",
    )
    reference_images: Annotated[list[ImageReference], Field(max_length=10)] | None = Field(
        default=None,
        alias="referenceImages",
        description=(
            "An array of reference images for multi-image fusion and interactive editing."
            " Reference by upload order in prompt text (Figure 1, Figure 2, etc.)."
        ),
    )


class Seedream5LiteTextToImage(CatalogueRequest):
    """``seedream5_lite`` on ``POST /v1/text_to_image``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "text_to_image"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (("referenceImages[].uri", "image"),)
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["seedream5_lite"] = Field(default="seedream5_lite")
    prompt_text: Annotated[str, text_units(4000, 1, what="prompt")] = Field(
        alias="promptText",
        description="A non-empty string up to 4,000 characters describing the desired image.",
    )
    ratio: (
        str
        | Literal[
            "2048:2048",
            "2304:1728",
            "1728:2304",
            "2848:1600",
            "1600:2848",
            "2496:1664",
            "1664:2496",
            "3136:1344",
            "3072:3072",
            "3456:2592",
            "2592:3456",
            "4096:2304",
            "2304:4096",
            "3744:2496",
            "2496:3744",
            "4704:2016",
        ]
    ) = Field(
        description=(
            "The resolution of the output image, expressed as `<width>:<height>`. Also "
            "accepts freeform sizes whose width\\**height is between 3686400 and 16777216 "
            "pixels."
        )
    )
    grounding: StrictBool | None = Field(
        default=None,
        description=(
            "When true, enable live web search so the model can use current brand, trend,"
            " or event context. Default false for deterministic output."
        ),
    )
    output_count: Annotated[int, Field(strict=True, ge=1, le=4)] | None = Field(
        default=None,
        alias="outputCount",
        description=(
            "The number of images to generate. Increasing this number will affect the "
            "number of credits consumed by the generation."
        ),
    )
    output_format: Literal["png", "jpeg"] | None = Field(
        default=None,
        alias="outputFormat",
        description="The file format of the output image. Defaults to png.",
    )
    reference_images: Annotated[list[ImageReference], Field(max_length=14)] | None = Field(
        default=None,
        alias="referenceImages",
        description=(
            "An array of reference images for multi-image fusion and interactive editing."
            " Reference by upload order in prompt text (Figure 1, Figure 2, etc.)."
        ),
    )


class GrokImagineImage2TextToImage(CatalogueRequest):
    """``grok_imagine_image_2`` on ``POST /v1/text_to_image``, from the SDK's types (the pinned
    OpenAPI document predates this model).
    """

    endpoint: ClassVar[str] = "text_to_image"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (("referenceImages[].uri", "image"),)
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["grok_imagine_image_2"] = Field(default="grok_imagine_image_2")
    prompt_text: Annotated[str, text_units(None, 1, what="prompt")] = Field(
        alias="promptText",
        description="A non-empty text prompt describing what should appear in the output image.",
    )
    ratio: Literal[
        "1024:1024",
        "1280:720",
        "720:1280",
        "1152:864",
        "864:1152",
        "1248:832",
        "832:1248",
        "1248:576",
        "576:1248",
        "1280:576",
        "576:1280",
        "1408:704",
        "704:1408",
        "2048:2048",
        "2816:1584",
        "1584:2816",
        "2368:1776",
        "1776:2368",
        "2496:1664",
        "1664:2496",
        "2912:1344",
        "1344:2912",
        "3200:1440",
        "1440:3200",
        "2912:1456",
        "1456:2912",
        "auto_1k",
        "auto_2k",
    ] = Field(
        description=(
            "The resolution of the output image, expressed as `<width>:<height>`. 2K "
            "ratios cost 2 additional credits per image. Use `auto_1k` or `auto_2k` to "
            "pick a resolution tier and let the model choose the framing from the prompt."
        )
    )
    edit: StrictBool | None = Field(
        default=None,
        description=(
            "When true with exactly one reference image, edit that image directly instead"
            " of using it as a loose visual reference. With several reference images the "
            "prompt describes how they should be edited or combined. Requires at least "
            "one reference image."
        ),
    )
    output_count: Annotated[int, Field(strict=True, ge=1, le=4)] | None = Field(
        default=None,
        alias="outputCount",
        description=(
            "The number of images to generate. Increasing this number will affect the "
            "number of credits consumed by the generation. (From 1 to 4: no limit "
            "written; the endpoint's documented models take 1-4 (seedream5_*), 1 or 4 "
            "(gemini_image*), 1-10 (gpt_image_2): conservative.)"
        ),
    )
    quality: Literal["low", "medium"] | None = Field(
        default=None,
        description=(
            "How much rendering effort the model spends on the output. Defaults to "
            "`medium`; `low` is faster and costs 2 fewer credits per image."
        ),
    )
    reference_images: Annotated[list[ImageReference], Field(max_length=3)] | None = Field(
        default=None,
        alias="referenceImages",
        description=(
            "Up to 3 images to guide the generation. Reference them from `promptText` to "
            "describe how each should be used. Each adds 1 credit to the generation."
        ),
    )


class GeminiImage31FlashLiteTextToImage(CatalogueRequest):
    """``gemini_image3.1_flash_lite`` on ``POST /v1/text_to_image``, from the SDK's types (the
    pinned OpenAPI document predates this model).
    """

    endpoint: ClassVar[str] = "text_to_image"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (("referenceImages[].uri", "image"),)
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["gemini_image3.1_flash_lite"] = Field(default="gemini_image3.1_flash_lite")
    prompt_text: str = Field(
        alias="promptText",
        description="This should describe in detail what should appear in the output.",
    )
    ratio: Literal[
        "1024:1024",
        "848:1264",
        "1264:848",
        "896:1200",
        "1200:896",
        "928:1152",
        "1152:928",
        "768:1376",
        "1376:768",
        "1584:672",
    ] = Field(description="The resolution of the output image.")
    output_count: Literal[1, 4] | None = Field(
        default=None,
        alias="outputCount",
        description=(
            "The number of images to generate. Increasing this number will affect the "
            "number of credits consumed by the generation. Up to four images can be "
            "generated at once."
        ),
    )
    reference_images: Annotated[list[SubjectImage], Field(max_length=14)] | None = Field(
        default=None,
        alias="referenceImages",
        description=(
            "An array of up to 14 images to be used as references for the generated image"
            ' output. Up to five can pass `subject: "human"` and up to nine can pass '
            '`subject: "object"`.'
        ),
    )


class GeminiImage3ProTextToImage(CatalogueRequest):
    """``gemini_image3_pro`` on ``POST /v1/text_to_image``, from the SDK's types and Runway's
    OpenAPI document.
    """

    endpoint: ClassVar[str] = "text_to_image"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (("referenceImages[].uri", "image"),)
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["gemini_image3_pro"] = Field(default="gemini_image3_pro")
    prompt_text: Annotated[str, text_units(5500, 1, what="prompt")] = Field(
        alias="promptText",
        description="This should describe in detail what should appear in the output.",
    )
    ratio: Literal[
        "1344:768",
        "768:1344",
        "1024:1024",
        "1184:864",
        "864:1184",
        "1536:672",
        "832:1248",
        "1248:832",
        "896:1152",
        "1152:896",
        "2048:2048",
        "1696:2528",
        "2528:1696",
        "1792:2400",
        "2400:1792",
        "1856:2304",
        "2304:1856",
        "1536:2752",
        "2752:1536",
        "3168:1344",
        "4096:4096",
        "3392:5056",
        "5056:3392",
        "3584:4800",
        "4800:3584",
        "3712:4608",
        "4608:3712",
        "3072:5504",
        "5504:3072",
        "6336:2688",
    ] = Field(description="The resolution of the output image.")
    output_count: Literal[1, 4] | None = Field(
        default=None,
        alias="outputCount",
        description=(
            "The number of images to generate. Increasing this number will affect the "
            "number of credits consumed by the generation. Up to four images can be "
            "generated at once."
        ),
    )
    reference_images: Annotated[list[SubjectReferenceImage], Field(max_length=14)] | None = Field(
        default=None,
        alias="referenceImages",
        description=(
            "An array of up to 14 images to be used as references for the generated image"
            ' output. Up to five of those images can pass `subject: "human"` to maintain '
            "character consistency, and up to nine of those images can pass `subject: "
            '"object"` with high-fidelity images of objects to include in the output.'
        ),
    )


class GptImage25FlareTextToImage(CatalogueRequest):
    """``gpt_image_2_5_flare`` on ``POST /v1/text_to_image``, from the SDK's types (the pinned
    OpenAPI document predates this model).
    """

    endpoint: ClassVar[str] = "text_to_image"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (("referenceImages[].uri", "image"),)
    rules: ClassVar[tuple[str, ...]] = ("unique_tags",)

    model: Literal["gpt_image_2_5_flare"] = Field(default="gpt_image_2_5_flare")
    prompt_text: Annotated[str, text_units(None, 1, what="prompt")] = Field(
        alias="promptText", description="A non-empty string describing the desired image."
    )
    ratio: Literal[
        "2048:880",
        "1920:1088",
        "1920:1280",
        "1920:1440",
        "1920:1536",
        "1920:1920",
        "1536:1920",
        "1440:1920",
        "1280:1920",
        "1088:1920",
        "2912:1248",
        "2560:1440",
        "2560:1712",
        "2560:1920",
        "2560:2048",
        "2560:2560",
        "2048:2560",
        "1920:2560",
        "1712:2560",
        "1440:2560",
        "3840:1648",
        "3840:2160",
        "3504:2336",
        "3264:2448",
        "3200:2560",
        "2880:2880",
        "2560:3200",
        "2448:3264",
        "2336:3504",
        "2160:3840",
        "auto",
    ] = Field(
        description=(
            "The resolution of the output image, expressed as `<width>:<height>`. Use "
            "`auto` to let the model choose."
        )
    )
    background: Literal["opaque", "auto"] | None = Field(
        default=None,
        description="Background treatment. Defaults to `auto`, which lets the model pick.",
    )
    output_count: Annotated[int, Field(strict=True, ge=1, le=10)] | None = Field(
        default=None,
        alias="outputCount",
        description=(
            "The number of images to generate (1-10). Increasing this number will affect "
            "the number of credits consumed by the generation."
        ),
    )
    quality: Literal["low", "medium", "high", "xhigh", "max"] | None = Field(
        default=None,
        description=(
            "Rendering quality. Higher qualities consume more credits. Defaults to `high`."
        ),
    )
    reference_images: Annotated[list[TaggedImage], Field(max_length=16)] | None = Field(
        default=None,
        alias="referenceImages",
        description=(
            "An array of up to 16 images to be used as references for the generated image"
            " output. No two images may share the same tag. Each reference image adds 1 "
            "credit per generated image."
        ),
    )


class GptImage25SunburstTextToImage(CatalogueRequest):
    """``gpt_image_2_5_sunburst`` on ``POST /v1/text_to_image``, from the SDK's types (the pinned
    OpenAPI document predates this model).
    """

    endpoint: ClassVar[str] = "text_to_image"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (("referenceImages[].uri", "image"),)
    rules: ClassVar[tuple[str, ...]] = ("unique_tags",)

    model: Literal["gpt_image_2_5_sunburst"] = Field(default="gpt_image_2_5_sunburst")
    prompt_text: Annotated[str, text_units(None, 1, what="prompt")] = Field(
        alias="promptText", description="A non-empty string describing the desired image."
    )
    ratio: Literal[
        "2048:880",
        "1920:1088",
        "1920:1280",
        "1920:1440",
        "1920:1536",
        "1920:1920",
        "1536:1920",
        "1440:1920",
        "1280:1920",
        "1088:1920",
        "2912:1248",
        "2560:1440",
        "2560:1712",
        "2560:1920",
        "2560:2048",
        "2560:2560",
        "2048:2560",
        "1920:2560",
        "1712:2560",
        "1440:2560",
        "3840:1648",
        "3840:2160",
        "3504:2336",
        "3264:2448",
        "3200:2560",
        "2880:2880",
        "2560:3200",
        "2448:3264",
        "2336:3504",
        "2160:3840",
        "auto",
    ] = Field(
        description=(
            "The resolution of the output image, expressed as `<width>:<height>`. Use "
            "`auto` to let the model choose."
        )
    )
    background: Literal["transparent", "opaque", "auto"] | None = Field(
        default=None,
        description=(
            "Background treatment. Defaults to `auto`, which lets the model pick. Use "
            "`transparent` to generate a PNG with an alpha-channel background."
        ),
    )
    output_count: Annotated[int, Field(strict=True, ge=1, le=10)] | None = Field(
        default=None,
        alias="outputCount",
        description=(
            "The number of images to generate (1-10). Increasing this number will affect "
            "the number of credits consumed by the generation."
        ),
    )
    quality: Literal["low", "medium", "high", "xhigh", "max"] | None = Field(
        default=None,
        description=(
            "Rendering quality. Higher qualities consume more credits. Defaults to `high`."
        ),
    )
    reference_images: Annotated[list[TaggedImage], Field(max_length=16)] | None = Field(
        default=None,
        alias="referenceImages",
        description=(
            "An array of up to 16 images to be used as references for the generated image"
            " output. No two images may share the same tag. Each reference image adds 1 "
            "credit per generated image."
        ),
    )


class BriaFibo15TextToImage(CatalogueRequest):
    """``bria_fibo_1_5`` on ``POST /v1/text_to_image``, from the SDK's types (the pinned OpenAPI
    document predates this model).
    """

    endpoint: ClassVar[str] = "text_to_image"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (("referenceImages[].uri", "image"),)
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["bria_fibo_1_5"] = Field(default="bria_fibo_1_5")
    prompt_text: Annotated[str, text_units(None, 1, what="prompt")] = Field(
        alias="promptText",
        description="A non-empty text prompt describing what should appear in the output image.",
    )
    ratio: Literal[
        "1024:1024",
        "768:1152",
        "1152:768",
        "768:1024",
        "1024:768",
        "768:960",
        "960:768",
        "576:1024",
        "1024:576",
        "2048:2048",
        "1536:2304",
        "2304:1536",
        "1536:2048",
        "2048:1536",
        "1536:1920",
        "1920:1536",
        "1152:2048",
        "2048:1152",
    ] = Field(
        description=(
            "The resolution of the output image, expressed as `<width>:<height>`. 1MP "
            "sizes cost 5 credits per image and 4MP sizes 10."
        )
    )
    output_format: Literal["png", "jpeg"] | None = Field(
        default=None,
        alias="outputFormat",
        description="The file format of the output image. Defaults to png.",
    )
    reference_images: Annotated[list[ImageReference], Field(max_length=1)] | None = Field(
        default=None,
        alias="referenceImages",
        description=(
            "Up to 1 image to guide the generation. The prompt describes how the output "
            "should build on it."
        ),
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "If unspecified, a random number is chosen. Using the same seed with an "
            "identical request reproduces the same image."
        ),
    )


class BriaFiboEdit15TextToImage(CatalogueRequest):
    """``bria_fibo_edit_1_5`` on ``POST /v1/text_to_image``, from the SDK's types (the pinned
    OpenAPI document predates this model).
    """

    endpoint: ClassVar[str] = "text_to_image"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (("referenceImages[].uri", "image"),)
    rules: ClassVar[tuple[str, ...]] = ("bria_edit_ratio",)

    model: Literal["bria_fibo_edit_1_5"] = Field(default="bria_fibo_edit_1_5")
    prompt_text: str = Field(
        alias="promptText",
        description="An instruction describing how to edit the reference images.",
    )
    output_format: Literal["png", "jpeg"] | None = Field(
        default=None,
        alias="outputFormat",
        description="The file format of the output image. Defaults to png.",
    )
    ratio: (
        Literal[
            "1024:1024",
            "768:1152",
            "1152:768",
            "768:1024",
            "1024:768",
            "768:960",
            "960:768",
            "576:1024",
            "1024:576",
            "auto",
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "The resolution of the output image, expressed as `<width>:<height>`. Omit it"
            " or use `auto` to keep the framing of the first reference image. Choosing a "
            "size requires at least 2 reference images; a single image always keeps its "
            "own framing."
        ),
    )
    reference_images: list[ImageReference] | None = Field(
        default=None,
        alias="referenceImages",
        description=(
            "1 to 4 images to edit. With several, the instruction describes how to combine them."
        ),
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "If unspecified, a random number is chosen. Using the same seed with an "
            "identical request reproduces the same image."
        ),
    )


class Ideogram40TextToImage(CatalogueRequest):
    """``ideogram_4_0`` on ``POST /v1/text_to_image``, from the SDK's types (the pinned OpenAPI
    document predates this model).
    """

    endpoint: ClassVar[str] = "text_to_image"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (("referenceImages[].uri", "image"),)
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["ideogram_4_0"] = Field(default="ideogram_4_0")
    prompt_text: str = Field(
        alias="promptText",
        description="Describe the image to generate, or how to remix the reference image.",
    )
    output_count: Annotated[int, Field(strict=True, ge=1, le=4)] | None = Field(
        default=None,
        alias="outputCount",
        description=(
            "The number of images to generate. Increasing this number will affect the "
            "number of credits consumed by the generation. (From 1 to 4: no limit "
            "written; the endpoint's documented models take 1-4 (seedream5_*), 1 or 4 "
            "(gemini_image*), 1-10 (gpt_image_2): conservative.)"
        ),
    )
    quality: Literal["low", "medium", "high"] | None = Field(
        default=None,
        description=(
            "How much rendering effort the model spends on each image. `low` costs 4 "
            "credits per image, `medium` 7 and `high` 11."
        ),
    )
    ratio: (
        Literal[
            "2048:2048",
            "2560:1440",
            "1440:2560",
            "2304:1728",
            "1728:2304",
            "2496:1664",
            "1664:2496",
            "3072:1280",
            "1280:3072",
        ]
        | None
    ) = Field(
        default=None,
        description="The resolution of the output image, expressed as `<width>:<height>`.",
    )
    reference_images: list[ImageReference] | None = Field(
        default=None,
        alias="referenceImages",
        description=(
            "An image to remix. The prompt describes how the output should differ from it."
        ),
    )


class Ideogram45TextToImage(CatalogueRequest):
    """``ideogram_4_5`` on ``POST /v1/text_to_image``, from the SDK's types (the pinned OpenAPI
    document predates this model).
    """

    endpoint: ClassVar[str] = "text_to_image"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("maskUri", "image"),
        ("referenceImages[].uri", "image"),
    )
    rules: ClassVar[tuple[str, ...]] = ("ideogram_edit",)

    model: Literal["ideogram_4_5"] = Field(default="ideogram_4_5")
    prompt_text: str = Field(
        alias="promptText",
        description=(
            "Describe the image to generate, or the changes to make to the reference images."
        ),
    )
    mask_uri: ImageUri | None = Field(
        default=None,
        alias="maskUri",
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:image/png;base64,...`, up to 5MB) containing an encoded image. See "
            "[our docs](/assets/inputs#images) on image inputs for more information."
        ),
    )
    output_count: Annotated[int, Field(strict=True, ge=1, le=4)] | None = Field(
        default=None,
        alias="outputCount",
        description=(
            "The number of images to generate. Increasing this number will affect the "
            "number of credits consumed by the generation. (From 1 to 4: no limit "
            "written; the endpoint's documented models take 1-4 (seedream5_*), 1 or 4 "
            "(gemini_image*), 1-10 (gpt_image_2): conservative.)"
        ),
    )
    precise_edit: StrictBool | None = Field(
        default=None,
        alias="preciseEdit",
        description=(
            "When true, edit the first reference image while preserving its composition "
            "and dimensions. Requires at least one reference image."
        ),
    )
    quality: Literal["very_low", "low", "medium", "high"] | None = Field(
        default=None,
        description=(
            "How much rendering effort the model spends on each image. Defaults to "
            "`medium` (8 credits per image) when generating from reference images and "
            "`high` (25 credits) otherwise, including `preciseEdit`. `low` costs 4 "
            "credits and `very_low` 1; `very_low` requires reference images and is not "
            "available with `preciseEdit`."
        ),
    )
    ratio: (
        Literal[
            "1024:1024",
            "1280:720",
            "720:1280",
            "1152:864",
            "864:1152",
            "1248:832",
            "832:1248",
            "1120:896",
            "896:1120",
            "1440:720",
            "720:1440",
            "2048:2048",
            "2560:1440",
            "1440:2560",
            "2304:1728",
            "1728:2304",
            "2496:1664",
            "1664:2496",
            "2240:1792",
            "1792:2240",
            "2880:1440",
            "1440:2880",
            "1024:576",
            "576:1024",
            "1408:704",
            "704:1408",
            "auto",
        ]
        | None
    ) = Field(
        default=None,
        description=(
            "The resolution of the output image, expressed as `<width>:<height>`. Omit it"
            " or use `auto` to let the model choose. With reference images, widescreen 1K"
            " sizes are `1024:576`, `576:1024`, `1408:704`, `704:1408` instead of "
            "`1280:720`, `720:1280`, `1440:720`, `720:1440`. Not available with `maskUri`"
            " or `preciseEdit`, which keep the size of the first reference image."
        ),
    )
    reference_images: Annotated[list[ImageReference], Field(max_length=5)] | None = Field(
        default=None,
        alias="referenceImages",
        description=(
            "Up to 5 images to guide the generation. With `maskUri` or `preciseEdit`, the"
            " first image is the one being edited and the rest are references."
        ),
    )


class Seedream5FlashTextToImage(CatalogueRequest):
    """``seedream5_flash`` on ``POST /v1/text_to_image``, from the SDK's types (the pinned OpenAPI
    document predates this model).
    """

    endpoint: ClassVar[str] = "text_to_image"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (("referenceImages[].uri", "image"),)
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["seedream5_flash"] = Field(default="seedream5_flash")
    prompt_text: str = Field(
        alias="promptText", description="A description of the image you want to generate."
    )
    ratio: Literal[
        "1024:1024",
        "1184:896",
        "896:1184",
        "1376:768",
        "768:1376",
        "1248:832",
        "832:1248",
        "1568:672",
        "2048:2048",
        "2304:1728",
        "1728:2304",
        "2848:1600",
        "1600:2848",
        "2496:1664",
        "1664:2496",
        "3136:1344",
        "auto_1k",
        "auto_2k",
    ] = Field(
        description=(
            "The resolution of the output image, expressed as `<width>:<height>`. Use "
            "`auto_1k` or `auto_2k` to let the model pick the aspect ratio at a fixed "
            "resolution tier."
        )
    )
    output_count: Annotated[int, Field(strict=True, ge=1, le=4)] | None = Field(
        default=None,
        alias="outputCount",
        description=(
            "The number of images to generate. Increasing this number will affect the "
            "number of credits consumed by the generation. (From 1 to 4: no limit "
            "written; the endpoint's documented models take 1-4 (seedream5_*), 1 or 4 "
            "(gemini_image*), 1-10 (gpt_image_2): conservative.)"
        ),
    )
    output_format: Literal["png", "jpeg"] | None = Field(
        default=None,
        alias="outputFormat",
        description="The file format of the output image. Defaults to png.",
    )
    reference_images: list[ImageReference] | None = Field(
        default=None,
        alias="referenceImages",
        description=(
            "Images to edit or combine. Refer to them in the prompt by upload order "
            "(Figure 1, Figure 2, and so on)."
        ),
    )


class NanoBanana21TextToImage(CatalogueRequest):
    """``nano_banana_2.1`` on ``POST /v1/text_to_image``, from the SDK's types (the pinned OpenAPI
    document predates this model).
    """

    endpoint: ClassVar[str] = "text_to_image"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (("referenceImages[].uri", "image"),)
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["nano_banana_2.1"] = Field(default="nano_banana_2.1")
    prompt_text: str = Field(
        alias="promptText", description="A description of the image you want to generate."
    )
    ratio: Literal[
        "1024:1024",
        "848:1264",
        "1264:848",
        "896:1200",
        "1200:896",
        "928:1152",
        "1152:928",
        "768:1376",
        "1376:768",
        "1584:672",
        "512:2064",
        "2064:512",
        "352:2928",
        "2928:352",
        "2048:2048",
        "1696:2528",
        "2528:1696",
        "1792:2400",
        "2400:1792",
        "1856:2304",
        "2304:1856",
        "1536:2752",
        "2752:1536",
        "3168:1344",
        "1024:4128",
        "4128:1024",
        "704:5856",
        "5856:704",
        "4096:4096",
        "3392:5056",
        "5056:3392",
        "3584:4800",
        "4800:3584",
        "3712:4608",
        "4608:3712",
        "3072:5504",
        "5504:3072",
        "6336:2688",
        "2048:8256",
        "8256:2048",
        "1408:11712",
        "11712:1408",
    ] = Field(description="The resolution of the output image.")
    output_count: Annotated[int, Field(strict=True, ge=1, le=4)] | None = Field(
        default=None,
        alias="outputCount",
        description=(
            "The number of images to generate. Increasing this number will affect the "
            "number of credits consumed by the generation. (From 1 to 4: no limit "
            "written; the endpoint's documented models take 1-4 (seedream5_*), 1 or 4 "
            "(gemini_image*), 1-10 (gpt_image_2): conservative.)"
        ),
    )
    reference_images: Annotated[list[TaggedImage], Field(max_length=14)] | None = Field(
        default=None,
        alias="referenceImages",
        description="Up to 14 images to edit, combine, or use as references for the output.",
    )
    thinking_level: Literal["minimal", "medium", "high"] | None = Field(
        default=None,
        alias="thinkingLevel",
        description=(
            "How much the model reasons about the prompt before generating. Defaults to medium."
        ),
    )


class RecraftV41FlashTextToImage(CatalogueRequest):
    """``recraft_v4_1_flash`` on ``POST /v1/text_to_image``, from the SDK's types (the pinned
    OpenAPI document predates this model).
    """

    endpoint: ClassVar[str] = "text_to_image"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = ()
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["recraft_v4_1_flash"] = Field(default="recraft_v4_1_flash")
    prompt_text: str = Field(
        alias="promptText", description="A description of the image you want to generate."
    )
    ratio: Literal[
        "1024:1024",
        "1536:768",
        "768:1536",
        "1280:832",
        "832:1280",
        "1216:896",
        "896:1216",
        "1152:896",
        "896:1152",
        "832:1344",
        "1280:896",
        "896:1280",
        "1344:768",
        "768:1344",
    ] = Field(description="The output dimensions, expressed as `<width>:<height>`.")
    background_color: str | None = Field(
        default=None,
        alias="backgroundColor",
        description="A preferred background color as a six-digit hex string.",
    )
    colors: list[str] | None = Field(
        default=None, description="Preferred colors as six-digit hex strings."
    )
    output_count: Annotated[int, Field(strict=True, ge=1, le=4)] | None = Field(
        default=None,
        alias="outputCount",
        description=(
            "The number of images to generate. Each image is billed separately. (From 1 "
            "to 4: no limit written; the endpoint's documented models take 1-4 "
            "(seedream5_*), 1 or 4 (gemini_image*), 1-10 (gpt_image_2): conservative.)"
        ),
    )
    output_format: Literal["webp", "png"] | None = Field(
        default=None, alias="outputFormat", description="The output file format. Defaults to webp."
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(default=None)


class RecraftV41VectorTextToImage(CatalogueRequest):
    """``recraft_v4_1_vector`` on ``POST /v1/text_to_image``, from the SDK's types (the pinned
    OpenAPI document predates this model).
    """

    endpoint: ClassVar[str] = "text_to_image"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = ()
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["recraft_v4_1_vector"] = Field(default="recraft_v4_1_vector")
    prompt_text: str = Field(
        alias="promptText", description="Describe the vector illustration you want to generate."
    )
    background_color: str | None = Field(
        default=None,
        alias="backgroundColor",
        description=(
            "The preferred background color as a six-digit hex value. This is a "
            "generation hint, not an exact color constraint; the generated background may"
            " use a different shade."
        ),
    )
    colors: list[str] | None = Field(
        default=None, description="Preferred colors as six-digit hex values, such as #FF8800."
    )
    ratio: Literal["1024:1024", "1216:896", "896:1216", "1344:768", "768:1344"] | None = Field(
        default=None,
        description=(
            "The width and height declared by the output SVG. Vector artwork can be "
            "scaled after generation."
        ),
    )


class Gemini25FlashTextToImage(CatalogueRequest):
    """``gemini_2.5_flash`` on ``POST /v1/text_to_image``, from the SDK's types and Runway's
    OpenAPI document.
    """

    endpoint: ClassVar[str] = "text_to_image"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (("referenceImages[].uri", "image"),)
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["gemini_2.5_flash"] = Field(default="gemini_2.5_flash")
    prompt_text: Annotated[str, text_units(5500, 1, what="prompt")] = Field(
        alias="promptText",
        description="This should describe in detail what should appear in the output.",
    )
    ratio: Literal[
        "1344:768",
        "768:1344",
        "1024:1024",
        "1184:864",
        "864:1184",
        "1536:672",
        "832:1248",
        "1248:832",
        "896:1152",
        "1152:896",
    ] = Field(description="The resolution of the output image.")
    reference_images: Annotated[list[TaggedReferenceImage], Field(max_length=3)] | None = Field(
        default=None,
        alias="referenceImages",
        description=(
            "An array of up to three images to be used as references for the generated "
            "image output."
        ),
    )


class MagnificPrecisionUpscalerV2ImageUpscale(CatalogueRequest):
    """``magnific_precision_upscaler_v2`` on ``POST /v1/image_upscale``, from the SDK's types and
    Runway's OpenAPI document.
    """

    endpoint: ClassVar[str] = "image_upscale"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (("imageUri", "image"),)
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["magnific_precision_upscaler_v2"] = Field(
        default="magnific_precision_upscaler_v2"
    )
    image_uri: ImageUri = Field(
        alias="imageUri",
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:image/png;base64,...`, up to 5MB) containing an encoded image. See "
            "[our docs](/assets/inputs#images) on image inputs for more information."
        ),
    )
    flavor: Literal["sublime", "photo", "photo_denoiser"] | None = Field(
        default=None,
        description=(
            "Optimization preset: `sublime` (illustration), `photo` (photographic), or "
            "`photo_denoiser` (noisy photos)."
        ),
    )
    scale_factor: Literal[2, 4, 8, 16] | None = Field(
        default=None,
        alias="scaleFactor",
        description=(
            "Multiplies each input dimension to produce output width and height. Defaults to 2."
        ),
    )
    sharpen: Annotated[int, Field(strict=True, ge=0, le=100)] | None = Field(
        default=None, description="Sharpness intensity from 0 (none) to 100."
    )
    smart_grain: Annotated[int, Field(strict=True, ge=0, le=100)] | None = Field(
        default=None, alias="smartGrain", description="Grain and texture enhancement from 0 to 100."
    )
    ultra_detail: Annotated[int, Field(strict=True, ge=0, le=100)] | None = Field(
        default=None, alias="ultraDetail", description="Fine detail enhancement from 0 to 100."
    )


class MagnificVideoUpscalerCreativeVideoUpscale(CatalogueRequest):
    """``magnific_video_upscaler_creative`` on ``POST /v1/video_upscale``, from the SDK's types and
    Runway's OpenAPI document.
    """

    endpoint: ClassVar[str] = "video_upscale"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (("videoUri", "video"),)
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["magnific_video_upscaler_creative"] = Field(
        default="magnific_video_upscaler_creative"
    )
    video_uri: VideoUri = Field(
        alias="videoUri",
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:video/mp4;base64,...`, up to 5MB) containing an encoded video. See "
            "[our docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )
    creativity: Annotated[int, Field(strict=True, ge=0, le=100)] | None = Field(
        default=None,
        description=(
            "How much AI-generated detail to add during upscaling, from 0 (faithful) to 100."
        ),
    )
    flavor: Literal["vivid", "natural"] | None = Field(
        default=None,
        description=(
            "Processing style: `vivid` for enhanced color and detail, `natural` for "
            "faithful reproduction."
        ),
    )
    fps_boost: StrictBool | None = Field(
        default=None, alias="fpsBoost", description="Whether to increase the output frame rate."
    )
    resolution: Literal["720p", "1k", "2k", "4k"] | None = Field(
        default=None, description="Target output resolution from 720p to 4k. Defaults to `2k`."
    )
    sharpen: Annotated[int, Field(strict=True, ge=0, le=100)] | None = Field(
        default=None, description="Sharpness intensity from 0 (none) to 100."
    )
    smart_grain: Annotated[int, Field(strict=True, ge=0, le=100)] | None = Field(
        default=None, alias="smartGrain", description="Grain and texture enhancement from 0 to 100."
    )


class EnhanceFrameRateVideoUpscale(CatalogueRequest):
    """``enhance_frame_rate`` on ``POST /v1/video_upscale``, from the SDK's types (the pinned
    OpenAPI document predates this model).
    """

    endpoint: ClassVar[str] = "video_upscale"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (("videoUri", "video"),)
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["enhance_frame_rate"] = Field(default="enhance_frame_rate")
    target_framerate: Literal[
        "24", "25", "30", "48", "50", "60", "120", "23_98", "29_97", "59_94"
    ] = Field(alias="targetFramerate", description="The output frame rate.")
    video_uri: VideoUri = Field(
        alias="videoUri",
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:video/mp4;base64,...`, up to 5MB) containing an encoded video. See "
            "[our docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )


class RubyVideoToHdr(CatalogueRequest):
    """``ruby`` on ``POST /v1/video_to_hdr``, from the SDK's types (the pinned OpenAPI document
    predates this model).
    """

    endpoint: ClassVar[str] = "video_to_hdr"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (("videoUri", "video"),)
    rules: ClassVar[tuple[str, ...]] = ("prores_profile",)

    model: Literal["ruby"] = Field(default="ruby")
    video_uri: VideoUri = Field(
        alias="videoUri",
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:video/mp4;base64,...`, up to 5MB) containing an encoded video. See "
            "[our docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )
    output_format: (
        Literal[
            "hdr10",
            "hlg",
            "hdr_prores",
            "hdr_exr_sequence",
            "hdr_exr_acescg_sequence_1_3",
            "hdr_exr_acescg_sequence_2_0",
        ]
        | None
    ) = Field(
        default=None,
        alias="outputFormat",
        description=(
            "The HDR delivery profile of the output. `hdr10` (default) returns an HEVC "
            "Main 10, BT.2020 + PQ .mp4; `hlg` returns an HEVC Main 10, BT.2020 + HLG "
            ".mp4; `hdr_prores` returns a BT.2020 + PQ ProRes .mov editorial mezzanine, "
            "whose tier is selectable with `proresProfile`; `hdr_exr_sequence` returns a "
            ".zip of half-float OpenEXR frames holding the HDR signal as linear BT.2020 "
            "display light, 1.0 = 100 nits, ready to composite; "
            "`hdr_exr_acescg_sequence_1_3` returns a scene-referred ACEScg sequence with "
            "VFX frame naming (frame.0001.exr): the source plate brought into ACES "
            "through the inverse ACES 1.3 SDR (Rec.709) Output Transform, with the "
            "highlight detail Ruby recovers added on top — read it with the stock `ACES -"
            " ACEScg` input transform; the ACES SDR view reproduces your source, and the "
            "ACES HDR views render the same scene with the recovered highlights (this is "
            "a scene, not the `hdr10` display grade, so an ACES HDR view is not expected "
            "to match `hdr10`). An EXR zip is the whole delivery — the frames, a "
            "colorimetry.json sidecar, a provenance.json sidecar declaring the upconvert,"
            " and the source audio as audio.wav when the source has any. A source with an"
            " alpha channel (ProRes 4444, WebM with alpha, RGBA codecs) keeps it where "
            "the container can carry one: the EXR profiles write it as the A channel and "
            "`hdr_prores` delivers a 4444 with an alpha plane; the alpha is passed "
            "through as received (not premultiplied). `hdr10` and `hlg` cannot carry "
            "alpha and deliver the picture without it. All five profiles bill at the same"
            " rate: 20 credits per second of output, rising to 40 credits per second when"
            " the source is larger than 4 megapixels — that includes anything larger than"
            " 1440p, up through 4K."
        ),
    )
    prores_profile: Literal["422", "4444", "422 HQ"] | None = Field(
        default=None,
        alias="proresProfile",
        description=(
            "The ProRes tier of the `hdr_prores` mezzanine. Only valid when "
            "`outputFormat` is `hdr_prores`. Defaults to `422 HQ`. A source with an alpha"
            " channel is always delivered as `4444`, the only tier with an alpha plane, "
            "whatever tier is requested."
        ),
    )


class SeedAudioSoundEffect(CatalogueRequest):
    """``seed_audio`` on ``POST /v1/sound_effect``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "sound_effect"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (("referenceAudios[]", "audio"),)
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["seed_audio"] = Field(default="seed_audio")
    prompt_text: Annotated[str, text_units(2048, 1, what="prompt")] = Field(
        alias="promptText",
        description=(
            "A non-empty text prompt. For text-to-speech, the words to speak. For text-"
            "to-audio, a scene description that can include voice direction, dialogue, "
            "music, and sound effects."
        ),
    )
    loudness_rate: Annotated[int, Field(strict=True, ge=-50, le=100)] | None = Field(
        default=None,
        alias="loudnessRate",
        description=(
            "Relative output loudness. Negative is quieter, positive is louder; 0 is normal."
        ),
    )
    output_format: Literal["wav", "mp3", "ogg_opus"] | None = Field(
        default=None, alias="outputFormat", description="Output audio container/format."
    )
    pitch_rate: Annotated[int, Field(strict=True, ge=-12, le=12)] | None = Field(
        default=None,
        alias="pitchRate",
        description="Pitch shift in semitones. Negative lowers, positive raises; 0 is unchanged.",
    )
    reference_audios: Annotated[list[AudioUri], Field(max_length=3)] | None = Field(
        default=None,
        alias="referenceAudios",
        description=(
            "Up to three reference audio clips. When provided, reference them in "
            "promptText as @Audio1, @Audio2, and @Audio3 in order."
        ),
    )
    sample_rate: Literal[8000, 16000, 24000, 32000, 44100, 48000] | None = Field(
        default=None, alias="sampleRate", description="Output sample rate in Hz."
    )
    speech_rate: Annotated[int, Field(strict=True, ge=-50, le=100)] | None = Field(
        default=None,
        alias="speechRate",
        description="Relative speech speed. Negative is slower, positive is faster; 0 is normal.",
    )


class MireloSfx20SoundEffect(CatalogueRequest):
    """``mirelo_sfx_2_0`` on ``POST /v1/sound_effect``, from the SDK's types (the pinned OpenAPI
    document predates this model).
    """

    endpoint: ClassVar[str] = "sound_effect"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = ()
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["mirelo_sfx_2_0"] = Field(default="mirelo_sfx_2_0")
    duration: Annotated[float, Field(strict=True, ge=0.5, le=30)] = Field(
        description=(
            "The duration of the generated audio in seconds. (From 0.5 to 30: no limit "
            "written; eleven_text_to_sound_v2 on sound_effect takes 'between 0.5 and 30 "
            "seconds' (SDK docstring): conservative.)"
        )
    )
    prompt_text: str = Field(
        alias="promptText", description="A description of the sound effects to generate."
    )
    format: Literal["mp3", "wav", "flac"] | None = Field(
        default=None, description="The format of the generated audio."
    )
    negative_prompt: str | None = Field(
        default=None, alias="negativePrompt", description="Sounds to avoid in the generated audio."
    )
    num_variants: Annotated[int, Field(strict=True, ge=1, le=4)] | None = Field(
        default=None,
        alias="numVariants",
        description=(
            "The number of audio variations to generate. (From 1 to 4: no limit written; "
            "each variant is paid: conservative.)"
        ),
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None, description="A seed for reproducible generation."
    )


class ElevenTextToSoundV2SoundEffect(CatalogueRequest):
    """``eleven_text_to_sound_v2`` on ``POST /v1/sound_effect``, from the SDK's types and Runway's
    OpenAPI document.
    """

    endpoint: ClassVar[str] = "sound_effect"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = ()
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["eleven_text_to_sound_v2"] = Field(default="eleven_text_to_sound_v2")
    prompt_text: Annotated[str, text_units(3000, 1, what="prompt")] = Field(
        alias="promptText", description="A text description of the sound effect to generate."
    )
    duration: Annotated[float, Field(strict=True, ge=0.5, le=30)] | None = Field(
        default=None,
        description=(
            "The duration of the sound effect in seconds, between 0.5 and 30 seconds. If "
            "not provided, the duration will be determined automatically based on the "
            "text description."
        ),
    )
    loop: StrictBool | None = Field(
        default=None,
        description="Whether the output sound effect should be designed to loop seamlessly.",
    )


class SeedAudioTextToSpeech(CatalogueRequest):
    """``seed_audio`` on ``POST /v1/text_to_speech``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "text_to_speech"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (("voice.audioUri", "audio"),)
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["seed_audio"] = Field(default="seed_audio")
    prompt_text: Annotated[str, text_units(2048, 1, what="prompt")] = Field(
        alias="promptText",
        description=(
            "A non-empty text prompt. For text-to-speech, the words to speak. For text-"
            "to-audio, a scene description that can include voice direction, dialogue, "
            "music, and sound effects."
        ),
    )
    loudness_rate: Annotated[int, Field(strict=True, ge=-50, le=100)] | None = Field(
        default=None,
        alias="loudnessRate",
        description=(
            "Relative output loudness. Negative is quieter, positive is louder; 0 is normal."
        ),
    )
    output_format: Literal["wav", "mp3", "ogg_opus"] | None = Field(
        default=None, alias="outputFormat", description="Output audio container/format."
    )
    pitch_rate: Annotated[int, Field(strict=True, ge=-12, le=12)] | None = Field(
        default=None,
        alias="pitchRate",
        description="Pitch shift in semitones. Negative lowers, positive raises; 0 is unchanged.",
    )
    sample_rate: Literal[8000, 16000, 24000, 32000, 44100, 48000] | None = Field(
        default=None, alias="sampleRate", description="Output sample rate in Hz."
    )
    speech_rate: Annotated[int, Field(strict=True, ge=-50, le=100)] | None = Field(
        default=None,
        alias="speechRate",
        description="Relative speech speed. Negative is slower, positive is faster; 0 is normal.",
    )
    voice: ReferenceAudioVoice | None = Field(
        default=None,
        description=(
            "The voice to use for text-to-speech generation. If omitted, a default voice is used."
        ),
    )


class ElevenV4TextToSpeech(CatalogueRequest):
    """``eleven_v4`` on ``POST /v1/text_to_speech``, from the SDK's types (the pinned OpenAPI
    document predates this model).
    """

    endpoint: ClassVar[str] = "text_to_speech"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = ()
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["eleven_v4"] = Field(default="eleven_v4")
    prompt_text: str = Field(
        alias="promptText",
        description=(
            "The text to convert to speech. You can include expressive audio tags like "
            "[laughs], [whispers], or [pause] in the script."
        ),
    )
    voice: PresetVoice = Field(description="A voice preset from the RunwayML API.")
    language_code: str | None = Field(
        default=None,
        alias="languageCode",
        description=(
            'Language code to enforce pronunciation, such as "en" or "pt". A regional '
            'code such as "pt-BR" is read as its language.'
        ),
    )
    next_text: str | None = Field(
        default=None,
        alias="nextText",
        description=(
            "Text that comes after this request, so the speech can lead into a later generation."
        ),
    )
    previous_text: str | None = Field(
        default=None,
        alias="previousText",
        description=(
            "Text that comes before this request, so the speech can continue from an "
            "earlier generation."
        ),
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description=(
            "Optional seed for more consistent output. The same seed and settings tend to"
            " sound alike, but it is not guaranteed."
        ),
    )
    similarity_boost: Annotated[float, Field(strict=True, ge=0, le=1)] | None = Field(
        default=None,
        alias="similarityBoost",
        description=(
            "How closely the output tracks the original speaker. (From 0 to 1: "
            "eleven_multilingual_v2/eleven_v3 settings on this endpoint: '(0-1)'.)"
        ),
    )
    speed: Annotated[float, Field(strict=True, ge=0.7, le=1.2)] | None = Field(
        default=None,
        description=(
            "Speech speed multiplier. Values below 1 slow the speech down, and values "
            "above 1 speed it up. (From 0.7 to 1.2: eleven_multilingual_v2/eleven_v3 on "
            "this endpoint: '(0.7-1.2)'.)"
        ),
    )
    stability: Annotated[float, Field(strict=True, ge=0, le=1)] | None = Field(
        default=None,
        description=(
            "Voice stability. Lower values allow broader emotional range; higher values "
            "are steadier. (From 0 to 1: eleven_multilingual_v2/eleven_v3 settings on "
            "this endpoint: '(0-1)'.)"
        ),
    )
    style: Annotated[float, Field(strict=True, ge=0, le=1)] | None = Field(
        default=None,
        description=(
            "Style exaggeration. Higher values amplify the speaker style. (From 0 to 1: "
            "eleven_multilingual_v2/eleven_v3 settings on this endpoint: '(0-1)'.)"
        ),
    )
    use_speaker_boost: StrictBool | None = Field(
        default=None,
        alias="useSpeakerBoost",
        description="Boost similarity to the original speaker at a small latency cost.",
    )


class ElevenMultilingualV2TextToSpeech(CatalogueRequest):
    """``eleven_multilingual_v2`` on ``POST /v1/text_to_speech``, from the SDK's types and Runway's
    OpenAPI document.
    """

    endpoint: ClassVar[str] = "text_to_speech"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = ()
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["eleven_multilingual_v2"] = Field(default="eleven_multilingual_v2")
    prompt_text: Annotated[str, text_units(1000, 1, what="prompt")] = Field(
        alias="promptText",
        description=(
            "A non-empty string up to 1000 characters (measured in UTF-16 code units). "
            "This should describe in detail what should appear in the output."
        ),
    )
    voice: PresetVoice = Field(description="A voice preset from the RunwayML API.")


class ElevenV3TextToSpeech(CatalogueRequest):
    """``eleven_v3`` on ``POST /v1/text_to_speech``, from the SDK's types and Runway's OpenAPI
    document.
    """

    endpoint: ClassVar[str] = "text_to_speech"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = ()
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["eleven_v3"] = Field(default="eleven_v3")
    prompt_text: Annotated[str, text_units(5000, 1, what="prompt")] = Field(
        alias="promptText",
        description=(
            "The text to convert to speech. You can include expressive audio tags like "
            "[laughs] or [whispers] in the script."
        ),
    )
    voice: PresetVoice = Field(description="A voice preset from the RunwayML API.")
    apply_text_normalization: Literal["auto", "on", "off"] | None = Field(
        default=None,
        alias="applyTextNormalization",
        description="Text normalization mode: 'auto', 'on', or 'off' (e.g. spelling out numbers).",
    )
    language_code: Annotated[str, text_units(5, 2, what="text")] | None = Field(
        default=None,
        alias="languageCode",
        description="ISO 639-1 language code to enforce pronunciation and normalization.",
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None,
        description="Optional seed for more deterministic output (0–4294967295). Not guaranteed.",
    )
    similarity_boost: Annotated[float, Field(strict=True, ge=0, le=1)] | None = Field(
        default=None,
        alias="similarityBoost",
        description=(
            "How closely the output tracks the original speaker (0–1). Maps to ElevenLabs"
            " similarity_boost."
        ),
    )
    speed: Annotated[float, Field(strict=True, ge=0.7, le=1.2)] | None = Field(
        default=None,
        description=(
            "Speech speed multiplier (0.7–1.2). 1.0 is default; values below slow down "
            "and above speed up."
        ),
    )
    stability: Annotated[float, Field(strict=True, ge=0, le=1)] | None = Field(
        default=None,
        description=(
            "Voice stability (0–1). Lower values allow broader emotional range; higher "
            "values are steadier."
        ),
    )
    style: Annotated[float, Field(strict=True, ge=0, le=1)] | None = Field(
        default=None,
        description="Style exaggeration (0–1). Higher values amplify the speaker style.",
    )
    use_speaker_boost: StrictBool | None = Field(
        default=None,
        alias="useSpeakerBoost",
        description="Boost similarity to the original speaker at a small latency cost.",
    )


class ElevenMultilingualStsV2SpeechToSpeech(CatalogueRequest):
    """``eleven_multilingual_sts_v2`` on ``POST /v1/speech_to_speech``, from the SDK's types and
    Runway's OpenAPI document.
    """

    endpoint: ClassVar[str] = "speech_to_speech"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (
        ("media.uri", "audio"),
        ("media.uri", "video"),
    )
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["eleven_multilingual_sts_v2"] = Field(default="eleven_multilingual_sts_v2")
    media: Annotated[AudioReference | VideoReference, Field(discriminator="type")] = Field(
        description="An audio file containing dialogue to be processed."
    )
    voice: PresetVoice = Field(description="A voice preset from the RunwayML API.")
    remove_background_noise: StrictBool | None = Field(
        default=None,
        alias="removeBackgroundNoise",
        description="Whether to remove background noise from the generated speech.",
    )


class MireloSfx20VideoToAudio(CatalogueRequest):
    """``mirelo_sfx_2_0`` on ``POST /v1/video_to_audio``, from the SDK's types (the pinned OpenAPI
    document predates this model).
    """

    endpoint: ClassVar[str] = "video_to_audio"
    openapi: ClassVar[bool] = False
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (("videoUri", "video"),)
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["mirelo_sfx_2_0"] = Field(default="mirelo_sfx_2_0")
    duration: Annotated[float, Field(strict=True, ge=0.5, le=30)] = Field(
        description=(
            "(From 0.5 to 30: no limit written; eleven_text_to_sound_v2 on sound_effect "
            "takes 'between 0.5 and 30 seconds' (SDK docstring): conservative.)"
        )
    )
    video_uri: VideoUri = Field(
        alias="videoUri",
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:video/mp4;base64,...`, up to 5MB) containing an encoded video. See "
            "[our docs](/assets/inputs#videos) on video inputs for more information."
        ),
    )
    format: Literal["mp3", "wav", "flac"] | None = Field(
        default=None, description="The format of the generated audio."
    )
    negative_prompt: str | None = Field(
        default=None, alias="negativePrompt", description="Sounds to avoid in the generated audio."
    )
    num_variants: Annotated[int, Field(strict=True, ge=1, le=4)] | None = Field(
        default=None,
        alias="numVariants",
        description=(
            "The number of audio variations to generate. (From 1 to 4: no limit written; "
            "each variant is paid: conservative.)"
        ),
    )
    preserve_speech: StrictBool | None = Field(
        default=None,
        alias="preserveSpeech",
        description=(
            "Whether to preserve dialogue from the input video. Disabling this does not "
            "guarantee speech-free output."
        ),
    )
    prompt_text: str | None = Field(
        default=None,
        alias="promptText",
        description="A description of the sound effects to generate.",
    )
    seed: Annotated[int, Field(strict=True, ge=0, le=4294967295)] | None = Field(
        default=None, description="A seed for reproducible generation."
    )


class ElevenVoiceDubbingVoiceDubbing(CatalogueRequest):
    """``eleven_voice_dubbing`` on ``POST /v1/voice_dubbing``, from the SDK's types and Runway's
    OpenAPI document.
    """

    endpoint: ClassVar[str] = "voice_dubbing"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (("audioUri", "audio"),)
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["eleven_voice_dubbing"] = Field(default="eleven_voice_dubbing")
    audio_uri: AudioUri = Field(
        alias="audioUri",
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:audio/mp3;base64,...`, up to 5MB) containing an encoded audio. See "
            "[our docs](/assets/inputs#audio) on audio inputs for more information."
        ),
    )
    target_lang: Literal[
        "en",
        "hi",
        "pt",
        "zh",
        "es",
        "fr",
        "de",
        "ja",
        "ar",
        "ru",
        "ko",
        "id",
        "it",
        "nl",
        "tr",
        "pl",
        "sv",
        "fil",
        "ms",
        "ro",
        "uk",
        "el",
        "cs",
        "da",
        "fi",
        "bg",
        "hr",
        "sk",
        "ta",
    ] = Field(
        alias="targetLang",
        description=(
            'The target language code to dub the audio to (e.g., "es" for Spanish, "fr" '
            "for French)."
        ),
    )
    disable_voice_cloning: StrictBool | None = Field(
        default=None,
        alias="disableVoiceCloning",
        description="Whether to disable voice cloning and use a generic voice instead.",
    )
    drop_background_audio: StrictBool | None = Field(
        default=None,
        alias="dropBackgroundAudio",
        description="Whether to remove background audio from the dubbed output.",
    )
    num_speakers: Annotated[int, Field(strict=True, gt=0, le=9007199254740991)] | None = Field(
        default=None,
        alias="numSpeakers",
        description=(
            "The number of speakers in the audio. If not provided, it will be detected "
            "automatically."
        ),
    )


class ElevenVoiceIsolationVoiceIsolation(CatalogueRequest):
    """``eleven_voice_isolation`` on ``POST /v1/voice_isolation``, from the SDK's types and
    Runway's OpenAPI document.
    """

    endpoint: ClassVar[str] = "voice_isolation"
    openapi: ClassVar[bool] = True
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = (("audioUri", "audio"),)
    rules: ClassVar[tuple[str, ...]] = ()

    model: Literal["eleven_voice_isolation"] = Field(default="eleven_voice_isolation")
    audio_uri: AudioUri = Field(
        alias="audioUri",
        description=(
            "A HTTPS URL, Runway upload URI, or base64 data URI (e.g. "
            "`data:audio/mp3;base64,...`, up to 5MB) containing an encoded audio. See "
            "[our docs](/assets/inputs#audio) on audio inputs for more information."
        ),
    )


CATALOGUE: dict[str, dict[str, type[CatalogueRequest]]] = {
    "image_to_video": {
        "gen4.5": Gen45ImageToVideo,
        "gen4_turbo": Gen4TurboImageToVideo,
        "veo3.1": Veo31ImageToVideo,
        "veo3.1_fast": Veo31FastImageToVideo,
        "klingO3_4k": KlingO34kImageToVideo,
        "hailuo3": Hailuo3ImageToVideo,
        "kling3.0_4k": Kling304kImageToVideo,
        "happyhorse_1_0": Happyhorse10ImageToVideo,
        "kling2.5_turbo_pro": Kling25TurboProImageToVideo,
        "kling3.0_pro": Kling30ProImageToVideo,
        "kling3.0_standard": Kling30StandardImageToVideo,
        "klingO3_pro": KlingO3ProImageToVideo,
        "klingO3_standard": KlingO3StandardImageToVideo,
        "seedance2": Seedance2ImageToVideo,
        "seedance2_fast": Seedance2FastImageToVideo,
        "seedance2_mini": Seedance2MiniImageToVideo,
        "gemini_omni_flash": GeminiOmniFlashImageToVideo,
        "grok_imagine_1_5": GrokImagine15ImageToVideo,
        "wan3": Wan3ImageToVideo,
        "gemini_omni_flash_1.1": GeminiOmniFlash11ImageToVideo,
        "wan3_prime": Wan3PrimeImageToVideo,
        "h3_max": H3MaxImageToVideo,
        "seedance2_5": Seedance25ImageToVideo,
        "grok_imagine_1_5_lite": GrokImagine15LiteImageToVideo,
        "kling_4": Kling4ImageToVideo,
    },
    "text_to_video": {
        "gen4.5": Gen45TextToVideo,
        "veo3.1": Veo31TextToVideo,
        "veo3.1_fast": Veo31FastTextToVideo,
        "klingO3_4k": KlingO34kTextToVideo,
        "hailuo3": Hailuo3TextToVideo,
        "kling3.0_4k": Kling304kTextToVideo,
        "happyhorse_1_0": Happyhorse10TextToVideo,
        "kling2.5_turbo_pro": Kling25TurboProTextToVideo,
        "kling3.0_pro": Kling30ProTextToVideo,
        "kling3.0_standard": Kling30StandardTextToVideo,
        "klingO3_pro": KlingO3ProTextToVideo,
        "klingO3_standard": KlingO3StandardTextToVideo,
        "seedance2": Seedance2TextToVideo,
        "seedance2_fast": Seedance2FastTextToVideo,
        "seedance2_mini": Seedance2MiniTextToVideo,
        "gemini_omni_flash": GeminiOmniFlashTextToVideo,
        "grok_imagine_1_5": GrokImagine15TextToVideo,
        "wan3": Wan3TextToVideo,
        "gemini_omni_flash_1.1": GeminiOmniFlash11TextToVideo,
        "wan3_prime": Wan3PrimeTextToVideo,
        "h3_max": H3MaxTextToVideo,
        "seedance2_5": Seedance25TextToVideo,
        "grok_imagine_1_5_lite": GrokImagine15LiteTextToVideo,
        "kling_4": Kling4TextToVideo,
    },
    "video_to_video": {
        "aleph2": Aleph2VideoToVideo,
        "klingO3_4k": KlingO34kVideoToVideo,
        "hailuo3": Hailuo3VideoToVideo,
        "klingO3_pro": KlingO3ProVideoToVideo,
        "klingO3_standard": KlingO3StandardVideoToVideo,
        "seedance2": Seedance2VideoToVideo,
        "seedance2_fast": Seedance2FastVideoToVideo,
        "seedance2_mini": Seedance2MiniVideoToVideo,
        "gemini_omni_flash": GeminiOmniFlashVideoToVideo,
        "gemini_omni_flash_1.1": GeminiOmniFlash11VideoToVideo,
        "seedance2_5": Seedance25VideoToVideo,
        "kling_4": Kling4VideoToVideo,
    },
    "character_performance": {
        "act_two": ActTwoCharacterPerformance,
    },
    "text_to_image": {
        "gen4_image_turbo": Gen4ImageTurboTextToImage,
        "gen4_image": Gen4ImageTextToImage,
        "gpt_image_2": GptImage2TextToImage,
        "gemini_image3.1_flash": GeminiImage31FlashTextToImage,
        "muse_image": MuseImageTextToImage,
        "seedream5_pro": Seedream5ProTextToImage,
        "seedream5_lite": Seedream5LiteTextToImage,
        "grok_imagine_image_2": GrokImagineImage2TextToImage,
        "gemini_image3.1_flash_lite": GeminiImage31FlashLiteTextToImage,
        "gemini_image3_pro": GeminiImage3ProTextToImage,
        "gpt_image_2_5_flare": GptImage25FlareTextToImage,
        "gpt_image_2_5_sunburst": GptImage25SunburstTextToImage,
        "bria_fibo_1_5": BriaFibo15TextToImage,
        "bria_fibo_edit_1_5": BriaFiboEdit15TextToImage,
        "ideogram_4_0": Ideogram40TextToImage,
        "ideogram_4_5": Ideogram45TextToImage,
        "seedream5_flash": Seedream5FlashTextToImage,
        "nano_banana_2.1": NanoBanana21TextToImage,
        "recraft_v4_1_flash": RecraftV41FlashTextToImage,
        "recraft_v4_1_vector": RecraftV41VectorTextToImage,
        "gemini_2.5_flash": Gemini25FlashTextToImage,
    },
    "image_upscale": {
        "magnific_precision_upscaler_v2": MagnificPrecisionUpscalerV2ImageUpscale,
    },
    "video_upscale": {
        "magnific_video_upscaler_creative": MagnificVideoUpscalerCreativeVideoUpscale,
        "enhance_frame_rate": EnhanceFrameRateVideoUpscale,
    },
    "video_to_hdr": {
        "ruby": RubyVideoToHdr,
    },
    "sound_effect": {
        "seed_audio": SeedAudioSoundEffect,
        "mirelo_sfx_2_0": MireloSfx20SoundEffect,
        "eleven_text_to_sound_v2": ElevenTextToSoundV2SoundEffect,
    },
    "text_to_speech": {
        "seed_audio": SeedAudioTextToSpeech,
        "eleven_v4": ElevenV4TextToSpeech,
        "eleven_multilingual_v2": ElevenMultilingualV2TextToSpeech,
        "eleven_v3": ElevenV3TextToSpeech,
    },
    "speech_to_speech": {
        "eleven_multilingual_sts_v2": ElevenMultilingualStsV2SpeechToSpeech,
    },
    "video_to_audio": {
        "mirelo_sfx_2_0": MireloSfx20VideoToAudio,
    },
    "voice_dubbing": {
        "eleven_voice_dubbing": ElevenVoiceDubbingVoiceDubbing,
    },
    "voice_isolation": {
        "eleven_voice_isolation": ElevenVoiceIsolationVoiceIsolation,
    },
}
"""Every request model, by endpoint then model, in the SDK's order."""

__all__ = [
    "CATALOGUE",
    "OPENAPI_SOURCE",
    "SDK_VERSION",
    "ActTwoCharacterPerformance",
    "Aleph2VideoToVideo",
    "AudioReference",
    "BriaFibo15TextToImage",
    "BriaFiboEdit15TextToImage",
    "CharacterImage",
    "ElevenMultilingualStsV2SpeechToSpeech",
    "ElevenMultilingualV2TextToSpeech",
    "ElevenTextToSoundV2SoundEffect",
    "ElevenV3TextToSpeech",
    "ElevenV4TextToSpeech",
    "ElevenVoiceDubbingVoiceDubbing",
    "ElevenVoiceIsolationVoiceIsolation",
    "EnhanceFrameRateVideoUpscale",
    "FirstFrame",
    "Gemini25FlashTextToImage",
    "GeminiImage3ProTextToImage",
    "GeminiImage31FlashLiteTextToImage",
    "GeminiImage31FlashTextToImage",
    "GeminiOmniFlash11ImageToVideo",
    "GeminiOmniFlash11TextToVideo",
    "GeminiOmniFlash11VideoToVideo",
    "GeminiOmniFlashImageToVideo",
    "GeminiOmniFlashTextToVideo",
    "GeminiOmniFlashVideoToVideo",
    "Gen4ImageTextToImage",
    "Gen4ImageTurboTextToImage",
    "Gen4TurboImageToVideo",
    "Gen45ImageToVideo",
    "Gen45TextToVideo",
    "GptImage2TextToImage",
    "GptImage25FlareTextToImage",
    "GptImage25SunburstTextToImage",
    "GrokImagine15ImageToVideo",
    "GrokImagine15LiteImageToVideo",
    "GrokImagine15LiteTextToVideo",
    "GrokImagine15TextToVideo",
    "GrokImagineImage2TextToImage",
    "H3MaxImageToVideo",
    "H3MaxTextToVideo",
    "Hailuo3ImageToVideo",
    "Hailuo3TextToVideo",
    "Hailuo3VideoToVideo",
    "Happyhorse10ImageToVideo",
    "Happyhorse10TextToVideo",
    "Ideogram40TextToImage",
    "Ideogram45TextToImage",
    "ImageReference",
    "Keyframe",
    "KeyframeAtFraction",
    "KeyframeAtSecond",
    "KeyframeRange",
    "Kling4Frame",
    "Kling4ImageToVideo",
    "Kling4TextToVideo",
    "Kling4VideoToVideo",
    "Kling25TurboProImageToVideo",
    "Kling25TurboProTextToVideo",
    "Kling30ProImageToVideo",
    "Kling30ProTextToVideo",
    "Kling30StandardImageToVideo",
    "Kling30StandardTextToVideo",
    "Kling304kImageToVideo",
    "Kling304kTextToVideo",
    "KlingEditShots",
    "KlingO3ProImageToVideo",
    "KlingO3ProTextToVideo",
    "KlingO3ProVideoToVideo",
    "KlingO3StandardImageToVideo",
    "KlingO3StandardTextToVideo",
    "KlingO3StandardVideoToVideo",
    "KlingO34kImageToVideo",
    "KlingO34kTextToVideo",
    "KlingO34kVideoToVideo",
    "KlingShot",
    "KlingShots",
    "MagnificPrecisionUpscalerV2ImageUpscale",
    "MagnificVideoUpscalerCreativeVideoUpscale",
    "MireloSfx20SoundEffect",
    "MireloSfx20VideoToAudio",
    "MuseImageTextToImage",
    "NanoBanana21TextToImage",
    "OpenVideoReference",
    "OptionalKeyframe",
    "PresetVoice",
    "RecraftV41FlashTextToImage",
    "RecraftV41VectorTextToImage",
    "ReferenceAudioVoice",
    "RubyVideoToHdr",
    "SeedAudioSoundEffect",
    "SeedAudioTextToSpeech",
    "Seedance2FastImageToVideo",
    "Seedance2FastTextToVideo",
    "Seedance2FastVideoToVideo",
    "Seedance2ImageToVideo",
    "Seedance2MiniImageToVideo",
    "Seedance2MiniTextToVideo",
    "Seedance2MiniVideoToVideo",
    "Seedance2TextToVideo",
    "Seedance2VideoToVideo",
    "Seedance25ImageToVideo",
    "Seedance25TextToVideo",
    "Seedance25VideoToVideo",
    "Seedream5FlashTextToImage",
    "Seedream5LiteTextToImage",
    "Seedream5ProTextToImage",
    "SubjectImage",
    "SubjectReferenceImage",
    "TaggedImage",
    "TaggedReferenceImage",
    "Veo31FastImageToVideo",
    "Veo31FastTextToVideo",
    "Veo31ImageToVideo",
    "Veo31TextToVideo",
    "VideoReference",
    "VideoUriReference",
    "Wan3ImageToVideo",
    "Wan3PrimeImageToVideo",
    "Wan3PrimeTextToVideo",
    "Wan3TextToVideo",
]
