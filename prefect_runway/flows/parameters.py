"""Every parameter the flows share, declared once: the same title and words in every form.

The single flows (image-to-video, Act-Two), the storyboard, the batch, recover, fan-out and the
sweep all take their common parameters from here, so the Prefect UI shows "Destination block"
with the same description whichever flow a person opens.

Two things about Prefect's forms decide the shapes below (both checked in Prefect 3.8.8's
classic UI at ``/deployments/...`` and its new one at ``/v2/``):

- For a flow *function's* parameters, Prefect sets each field's title to the parameter's name
  and drops the description of an ``Annotated`` field. Each declaration therefore repeats its
  title and description in ``json_schema_extra``, which pydantic applies last.
- ``X | None`` becomes ``anyOf: [X, null]``, which both UIs render as a type toggle ("Property
  is type None"); a ``type`` list (``["number", "null"]``) is no field at all in the classic UI
  and a toggle in the new one. The optional fields here publish the plain schema of ``X``
  (``WithJsonSchema``) and no default (``NOT_SET``, below): the form shows a plain input, a
  dropdown or a number box, and leaves the key out when it is empty. The Prefect server lets a
  text or number field that is neither required nor defaulted be ``null`` (not a choice:
  ``null`` is not among its values), so API callers leave empty fields out; the flow reads a
  missing key, a ``null`` and a script's ``None`` alike.

Example:
    ```python
    from prefect import flow
    from prefect_runway.flows.parameters import CredentialsBlockName, DestinationBlock

    @flow
    async def my_flow(destination_block: DestinationBlock = "renders",
                      credentials_block: CredentialsBlockName = "runway") -> None: ...
    ```
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BeforeValidator, Field, GetJsonSchemaHandler, WithJsonSchema
from pydantic.json_schema import JsonSchemaValue, PydanticJsonSchemaWarning
from pydantic_core import core_schema as cs

from prefect_runway.api.catalogue import PresetVoice
from prefect_runway.api.character_performance import ActTwoRatio
from prefect_runway.api.fields import MAX_SEED
from prefect_runway.api.image_to_video import Gen45OutputFormat
from prefect_runway.api.waiting import MAX_POLL_INTERVAL
from prefect_runway.tasks.locations import NAME_MAX_LENGTH, check_name, check_prefix

__all__ = [
    "AUDIO_LEVEL_RANGE",
    "LEVEL_WORDS",
    "MEDIA_MAX_LENGTH",
    "NOT_SET",
    "OPTIONAL",
    "PROMPT_MAX_LENGTH",
    "VOICE_OVER_MAX_LENGTH",
    "AdditionalDetails",
    "AllowResubmit",
    "CameraMovement",
    "ConcurrencyPerModel",
    "CredentialsBlockName",
    "DestinationBlock",
    "DryRun",
    "EstablishingScene",
    "ExpressionIntensity",
    "ImageToVideoDuration",
    "ImageToVideoModel",
    "ImageToVideoRatio",
    "KeyPrefix",
    "Manifest",
    "MaxAttempts",
    "MaxCredits",
    "MaxQueueMinutes",
    "MaxRunMinutes",
    "MediaReference",
    "NegativePrompt",
    "OptionalActTwoRatio",
    "OptionalDuration",
    "OptionalMedia",
    "OptionalOutputFormat",
    "OptionalSoundEffectLevel",
    "OptionalVoice",
    "OutputName",
    "PollInterval",
    "PriceCap",
    "PriceCaps",
    "Prompt",
    "QueueAhead",
    "Seed",
    "SoundEffectPrompt",
    "Strict",
    "Variant",
    "Voice",
    "VoiceOverLine",
    "audio_level",
    "described",
    "sound_start",
]

PROMPT_MAX_LENGTH = 1000
"""Runway's prompt limit. The form carries it as a plain length (a browser counts UTF-16 code
units, as Runway does); the request models check it in UTF-16 units before any POST."""


def described(title: str, description: str, **schema: Any) -> Any:
    """A pydantic ``Field`` whose title and description survive in a flow function's form.

    Args:
        title: What the form calls the field.
        description: The help under it.
        **schema: Constraints for pydantic (``ge``, ``max_length``...) and the schema.
    """
    return Field(
        title=title,
        description=description,
        json_schema_extra={"title": title, "description": description},
        **schema,
    )


class NotSet:
    """The default of an optional field, read as ``None``; unlike ``None``, not in the form.

    A schema that says ``"type": "number"`` with ``"default": null`` makes both UIs fill the
    field with null and then refuse it ("None is not of type 'number'"). pydantic leaves a
    default out of the schema when it cannot write it as JSON, which is the case of this
    object, and the field's validator turns it into ``None`` before the flow sees it.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_SET"


NOT_SET: Any = NotSet()
"""The default of every optional field of a form (``param: MaxCredits = NOT_SET``)."""

# Leaving it out of the schema is the point; pydantic says so each time a form is made.
warnings.filterwarnings(
    "ignore", message="Default value NOT_SET is not JSON serializable",
    category=PydanticJsonSchemaWarning,
)  # fmt: skip


def _not_set_is_none(value: object) -> object:
    return None if isinstance(value, NotSet) else value


def _plain(schema: dict[str, Any]) -> Any:
    """An optional field's schema without its ``null`` branch (no type toggle) or default."""
    return WithJsonSchema(schema)


# Every optional field carries these: NOT_SET (or None) becomes None, also as a model's default.
OPTIONAL = (BeforeValidator(_not_set_is_none), Field(validate_default=True))


# ---------------------------------------------------------------------------------------------
# Where outputs go, and with which credentials

DestinationBlock = Annotated[
    str,
    described(
        "Destination block",
        "Name of the prefect-aws S3Bucket block that receives the outputs, their sidecar JSON "
        "and the submission ledger.",
        min_length=1,
        max_length=255,
    ),
]
KeyPrefix = Annotated[
    str,
    AfterValidator(check_prefix),
    described(
        "Key prefix",
        "Folder under the bucket's folder, for example 'campaign/scenes' (folder names "
        "separated by '/'; none '.', '..' or '_runway'). Empty: the bucket folder itself.",
        max_length=500,
    ),
]
CredentialsBlockName = Annotated[
    str,
    described(
        "Runway credentials block",
        "Name of the RunwayCredentials block holding the API key.",
        min_length=1,
        max_length=255,
    ),
]
Manifest = Annotated[
    str,
    described(
        "Manifest",
        "A .jsonl or .csv file of rows to generate: an s3://bucket/key object, or a path on the "
        "machine that runs the flow.",
        min_length=1,
        max_length=2048,
    ),
]

# ---------------------------------------------------------------------------------------------
# What the output is called


def _output_name(name: str | None) -> str | None:
    return None if name is None else check_name(name)


_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
OutputName = Annotated[
    str | None,
    described(
        "Output name",
        "Stem of the output's S3 key, one name: letters, digits, '_', '-', '.', starting with "
        "a letter or a digit, no '..' (folders go in the key prefix). Empty: the generation "
        "key, a hash of the request.",
        min_length=1,
        max_length=NAME_MAX_LENGTH,
        pattern=_NAME_PATTERN,
    ),
    AfterValidator(_output_name),
    _plain(
        {"type": "string", "minLength": 1, "maxLength": NAME_MAX_LENGTH, "pattern": _NAME_PATTERN}
    ),
    *OPTIONAL,
]
Variant = Annotated[
    str,
    described(
        "Variant",
        "Change it to ask on purpose for a new (paid) generation of an identical request; "
        "re-runs with the same variant reuse the stored output.",
        max_length=100,
    ),
]
Seed = Annotated[
    int | None,
    described(
        "Seed",
        f"Seed for a repeatable generation (0 to {MAX_SEED}). Empty: random.",
        ge=0,
        le=MAX_SEED,
    ),
    _plain({"type": "integer", "minimum": 0, "maximum": MAX_SEED}),
    *OPTIONAL,
]

# ---------------------------------------------------------------------------------------------
# Requests

ImageToVideoModel = Literal["gen4_turbo", "gen4.5", "veo3.1", "veo3.1_fast"]
"""The image-to-video models (``prefect_runway.api.image_to_video``)."""

ImageToVideoRatio = Literal[
    "1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672", "1080:1920", "1920:1080"
]
"""Every ratio of any image-to-video model; each model accepts its own subset."""

ImageToVideoDuration = Literal[2, 3, 4, 5, 6, 7, 8, 9, 10]
"""Every duration of any image-to-video model; Veo accepts 4, 6 and 8."""

ExpressionIntensity = Annotated[
    Literal[1, 2, 3, 4, 5],
    described(
        "Expression intensity",
        "How strongly the performer's expressions carry over, 1 (subtle) to 5.",
    ),
]

Prompt = Annotated[
    str | None,
    described(
        "Prompt",
        f"What should happen, up to {PROMPT_MAX_LENGTH} characters (an emoji counts 2, as "
        "Runway counts).",
        min_length=1,
        max_length=PROMPT_MAX_LENGTH,
    ),
    _plain({"type": "string", "minLength": 1, "maxLength": PROMPT_MAX_LENGTH}),
    *OPTIONAL,
]


def _text(max_length: int) -> Any:
    return _plain({"type": "string", "minLength": 1, "maxLength": max_length})


# Media are paths on the worker, s3:// objects or https URLs (Runway caps URLs at 2048).
MEDIA_MAX_LENGTH = 2048

# What else a run's parameters may hold beside one data URI (names, prompts, settings).
_PARAMETER_HEADROOM = 16 * 1024


def _max_parameter_bytes() -> int:
    from prefect.settings import get_current_settings

    return int(get_current_settings().server.api.max_parameter_size)


def _media_reference(value: str | None) -> str | None:
    """A path, ``s3://`` or https reference of at most 2048 characters, or a data URI that fits
    in a flow run's parameters.

    A run's parameters travel to the Prefect server, which refuses runs whose parameters are
    over ``server.api.max_parameter_size`` (512 KiB by default) with a bare 422 before any of
    our code runs. Built in Python, a params model is checked here first, in our words; the
    form (which says 2048 characters) and the API are checked by the server.
    """
    if value is None:
        return None
    if value[:5].lower() == "data:":
        limit = _max_parameter_bytes()
        if limit > 0 and len(value) > limit - _PARAMETER_HEADROOM:
            raise ValueError(
                f"a data URI of {len(value)} characters cannot travel as a flow parameter: the "
                f"Prefect server keeps at most {limit} bytes of a run's parameters "
                "(PREFECT_SERVER_API_MAX_PARAMETER_SIZE), and Runway takes data URIs of at most "
                "5 MB. Put the file in an allowed folder (RUNWAY_INPUT_ROOTS) or bucket and "
                "pass its path or s3:// URI"
            )
        return value
    if len(value) > MEDIA_MAX_LENGTH:
        raise ValueError(
            f"{len(value)} characters; a path, s3:// or https reference is at most "
            f"{MEDIA_MAX_LENGTH} (Runway's limit for URLs)"
        )
    return value


class _FormMaxLength:
    """Puts ``maxLength`` in the form's schema only: data URIs in Python may be longer."""

    def __init__(self, max_length: int) -> None:
        self.max_length = max_length

    def __get_pydantic_json_schema__(
        self, schema: cs.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        found = handler(schema)
        found["maxLength"] = self.max_length
        return found


MediaReference = Annotated[
    str, Field(min_length=1), AfterValidator(_media_reference), _FormMaxLength(MEDIA_MAX_LENGTH)
]
"""A required media reference; each use gives its own title and description."""

OptionalMedia = Annotated[
    str | None,
    Field(min_length=1),
    AfterValidator(_media_reference),
    _text(MEDIA_MAX_LENGTH),
    *OPTIONAL,
]
"""An optional media reference; each use gives its own title and description."""

NegativePrompt = Annotated[
    str | None,
    described(
        "Negative prompt",
        "Veo only: what the clip should avoid.",
        min_length=1,
        max_length=PROMPT_MAX_LENGTH,
    ),
    _text(PROMPT_MAX_LENGTH),
    *OPTIONAL,
]
CameraMovement = Annotated[
    str | None,
    described(
        "Camera movement",
        "Scenes: the first part of the prompt, e.g. 'Slow dolly in' or 'Static wide shot'.",
        min_length=1,
        max_length=200,
    ),
    _text(200),
    *OPTIONAL,
]
EstablishingScene = Annotated[
    str | None,
    described(
        "Establishing scene",
        "Scenes: what the scene is, e.g. 'a harbour at dawn'.",
        min_length=1,
        max_length=500,
    ),
    _text(500),
    *OPTIONAL,
]
AdditionalDetails = Annotated[
    str | None,
    described(
        "Additional details",
        "Scenes: motion, light, mood, e.g. 'gulls circle'.",
        min_length=1,
        max_length=500,
    ),
    _text(500),
    *OPTIONAL,
]


def _enum_of(literal: Any, json_type: str) -> dict[str, Any]:
    return {"type": json_type, "enum": list(get_args(literal))}


OptionalDuration = Annotated[
    ImageToVideoDuration | None,
    described(
        "Duration",
        "Seconds of video: 2-10 for gen4 models, 4, 6 or 8 for Veo. Empty: gen4_turbo 10, "
        "Veo 8 (gen4.5 needs one).",
    ),
    _plain(_enum_of(ImageToVideoDuration, "integer")),
    *OPTIONAL,
]
OptionalOutputFormat = Annotated[
    Gen45OutputFormat | None,
    described(
        "Output format",
        "gen4.5 only: mp4 (the default), prores or png_sequence (+5 credits/s), or a 10-bit/HDR "
        "format (+20 credits/s). The S3 extension follows the file's type.",
    ),
    _plain(_enum_of(Gen45OutputFormat, "string")),
    *OPTIONAL,
]
OptionalActTwoRatio = Annotated[
    ActTwoRatio | None,
    described("Ratio", "Output size. Empty: Runway's choice from the character."),
    _plain(_enum_of(ActTwoRatio, "string")),
    *OPTIONAL,
]

# ---------------------------------------------------------------------------------------------
# Sound

if TYPE_CHECKING:
    Voice = str
else:
    # The catalogue's own Literal, so a voice Runway adds reaches the dropdown with the SDK.
    Voice = PresetVoice.model_fields["preset_id"].annotation
"""Runway's preset voices for text-to-speech (``PresetVoice`` of the catalogue): a dropdown."""

VOICE_OVER_MAX_LENGTH = 1000
"""A voice-over line's limit: eleven_multilingual_v2's, the shortest of the models with preset
voices (eleven_v3 takes 5000)."""

AUDIO_LEVEL_RANGE = (-60.0, 12.0)
"""Levels are gains in dB: -60 is all but silent; above +12 a recording is mostly limiter."""

VoiceOverLine = Annotated[
    str | None,
    described(
        "Voice-over line",
        f"Words spoken over this shot, up to {VOICE_OVER_MAX_LENGTH} characters: spoken with "
        "text-to-speech in the chosen voice, unless a voice-over recording is given.",
        min_length=1,
        max_length=VOICE_OVER_MAX_LENGTH,
    ),
    _text(VOICE_OVER_MAX_LENGTH),
    *OPTIONAL,
]
OptionalVoice = Annotated[
    Voice | None,
    described("Voice", "Who speaks this shot's voice-over line. Empty: the storyboard's voice."),
    _plain({"type": "string", "enum": list(get_args(Voice))}),
    *OPTIONAL,
]
SoundEffectPrompt = Annotated[
    str | None,
    described(
        "Sound effect",
        f"The sound laid over this shot, described, up to {PROMPT_MAX_LENGTH} characters, e.g. "
        "'waves crash on rocks': made with sound_effect, unless a sound effect recording is "
        "given.",
        min_length=1,
        max_length=PROMPT_MAX_LENGTH,
    ),
    _text(PROMPT_MAX_LENGTH),
    *OPTIONAL,
]


def sound_start(title: str, description: str) -> Any:
    """A ``Field`` for when a sound starts: seconds after its shot starts, 0 to 600."""
    return described(title, description, ge=0, le=600, allow_inf_nan=False)


def audio_level(title: str, description: str) -> Any:
    """A ``Field`` for a level: a gain in dB within :data:`AUDIO_LEVEL_RANGE`."""
    low, high = AUDIO_LEVEL_RANGE
    return described(title, description, ge=low, le=high, allow_inf_nan=False)


LEVEL_WORDS = (
    "Gain in decibels, -60 to 12: 0 plays it as recorded, -6 at half its amplitude, +6 at "
    "twice; where sounds add up past full scale the mix is limited, not clipped."
)

OptionalSoundEffectLevel = Annotated[
    float | None,
    audio_level(
        "Sound effect level (dB)",
        "This shot's sound effect: gain in decibels, -60 to 12 (0: as recorded, -6: half the "
        "amplitude). Empty: the storyboard's sound effect level.",
    ),
    _plain({"type": "number", "minimum": AUDIO_LEVEL_RANGE[0], "maximum": AUDIO_LEVEL_RANGE[1]}),
    *OPTIONAL,
]

# ---------------------------------------------------------------------------------------------
# Cost control

DryRun = Annotated[
    bool,
    described(
        "Dry run",
        "Validate and price every generation, show the estimates as a table artifact, and "
        "submit nothing.",
    ),
]
MaxCredits = Annotated[
    float | None,
    described(
        "Max credits",
        "Refuse, before anything is submitted, a run whose new generations are estimated above "
        "this many credits (1 credit = US$0.01). Empty: no budget.",
        ge=0,
        allow_inf_nan=False,
    ),
    _plain({"type": "number", "minimum": 0}),
    *OPTIONAL,
]
PriceCap = Annotated[
    float | None,
    described(
        "Price cap",
        "For a model without a published price: the most credits you accept for one "
        "generation (needed with Max credits, which cannot otherwise be held). Runway's own "
        "figure is known only once the task is created. Empty: none.",
        ge=0,
        allow_inf_nan=False,
    ),
    _plain({"type": "number", "minimum": 0}),
    *OPTIONAL,
]


def _price_caps(value: object) -> object:
    """``"wan3=120, seed_audio=40"`` (the form's text) as ``{"wan3": "120", ...}`` for pydantic."""
    if not isinstance(value, str):
        return value
    caps: dict[str, str] = {}
    for part in filter(None, (piece.strip() for piece in value.split(","))):
        model, equals, credits = part.partition("=")
        if not equals or not model.strip():
            raise ValueError(
                f"price caps: {part!r} is not model=credits; write e.g. wan3=120, seed_audio=40"
            )
        caps[model.strip()] = credits.strip()
    return caps


PriceCaps = Annotated[
    dict[str, Annotated[float, Field(ge=0, allow_inf_nan=False)]] | None,
    BeforeValidator(_price_caps),
    described(
        "Price caps",
        "For models without a published price: the most credits you accept for one "
        "generation, as model=credits, e.g. wan3=120, seed_audio=40. Needed with Max credits "
        "for those models; a manifest row's price_cap overrides it for its row. Empty: none.",
    ),
    # Text, not an object: both UIs render an object parameter as a JSON code editor.
    _plain({"type": "string", "maxLength": 2000}),
    *OPTIONAL,
]
AllowResubmit = Annotated[
    bool,
    described(
        "Allow resubmit",
        "Resubmit when an earlier submit may have been billed with its task id lost "
        "(AmbiguousSubmission). This may pay twice.",
    ),
]

# ---------------------------------------------------------------------------------------------
# Attempts, waiting and concurrency

MaxAttempts = Annotated[
    int,
    described(
        "Max attempts",
        "Attempts per generation when Runway fails for a retryable reason (each is a new "
        "generation; such failures are refunded).",
        ge=1,
        le=10,
    ),
]
PollInterval = Annotated[
    float,
    described(
        "Poll interval",
        "Seconds between polls of a Runway task, above 0 and at most 3600 (Runway asks for 5 "
        "or more).",
        gt=0,
        le=MAX_POLL_INTERVAL,
        allow_inf_nan=False,
    ),
]
MaxQueueMinutes = Annotated[
    float | None,
    described(
        "Max queue minutes",
        "Cancel a generation still queued (PENDING or THROTTLED) after this many minutes; "
        "queued tasks are usually refunded, not guaranteed. Empty: wait.",
        gt=0,
        allow_inf_nan=False,
    ),
    _plain({"type": "number", "exclusiveMinimum": 0}),
    *OPTIONAL,
]
MaxRunMinutes = Annotated[
    float | None,
    described(
        "Max run minutes",
        "Stop waiting for a generation that has RUN this many minutes. It is not cancelled "
        "(that refunds nothing): recover its output later by its task id. Empty: wait.",
        gt=0,
        allow_inf_nan=False,
    ),
    _plain({"type": "number", "exclusiveMinimum": 0}),
    *OPTIONAL,
]
ConcurrencyPerModel = Annotated[
    int,
    described(
        "Concurrency per model",
        "Generations of one model running at once in this run: match your Runway tier's "
        "concurrency (a global concurrency limit named after the model, such as "
        "runway-gen4_turbo, bounds what is submitted across runs too when it exists).",
        ge=1,
        le=100,
    ),
]
QueueAhead = Annotated[
    int | None,
    described(
        "Queue ahead",
        "Generations of one model submitted beyond the running ones, to wait in Runway's own "
        "queue so the next starts the moment a slot frees. Each is paid at its create "
        "(bounded by Max credits); a cancellation or queue timeout cancels the queued ones "
        "(usually refunded, not guaranteed). Empty: as many as Concurrency per model (one "
        "wave). 0: submit only when a slot is free.",
        ge=0,
        le=100,
    ),
    _plain({"type": "integer", "minimum": 0, "maximum": 100}),
    *OPTIONAL,
]
Strict = Annotated[
    bool,
    described(
        "Strict",
        "Fail the run when any row is malformed or failed. Off: the run is Completed and its "
        "state message counts the rows that were not stored.",
    ),
]
