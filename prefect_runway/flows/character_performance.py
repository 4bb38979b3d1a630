"""The character-performance flow: Act-Two makes a character act out a reference clip.

The output lasts as long as the reference clip (3 to 30 s), and it is priced over that length
(5 credits per second): a local, ``s3://`` or data-URI clip is probed with PyAV before anything
is submitted; an https clip cannot be measured here, so its budget check assumes the 30 s most.

Example:
    ```python
    from prefect_runway import CharacterPerformanceParams, character_performance

    outcome = await character_performance(
        CharacterPerformanceParams(
            character="s3://cast/keeper.png",
            reference="takes/keeper-line-3.mp4",
            expression_intensity=4,
            body_control=True,
            destination_block="renders",
            prefix="close-ups",
            name="keeper-line-3",
            max_credits=100,
        )
    )
    ```
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

from prefect import flow
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from prefect_runway.api.uploads import MEDIA_TYPES_BY_EXTENSION
from prefect_runway.flows._common import FlowOutcome, RunSettings, run_generation
from prefect_runway.flows.parameters import (
    NOT_SET,
    AllowResubmit,
    CredentialsBlockName,
    DestinationBlock,
    DryRun,
    ExpressionIntensity,
    KeyPrefix,
    MaxAttempts,
    MaxCredits,
    MaxQueueMinutes,
    MaxRunMinutes,
    MediaReference,
    OptionalActTwoRatio,
    OutputName,
    PollInterval,
    Seed,
    Variant,
)
from prefect_runway.flows.user_errors import ends_cleanly, form_words, from_validation_error
from prefect_runway.tasks.cancellation import cancel_runway_tasks
from prefect_runway.tasks.inputs import InputError
from prefect_runway.tasks.spec import GenerationSpec

__all__ = [
    "CharacterPerformanceParams",
    "character_kind",
    "character_performance",
]


def character_kind(reference: str) -> Literal["image", "video"]:
    """``video`` when the reference's extension names a video type, else ``image``.

    Example:
        >>> character_kind("s3://cast/keeper.mov"), character_kind("https://x.test/a.png?v=2")
        ('video', 'image')
    """
    if reference[:5].lower() == "data:":
        return "video" if reference[5:11].lower() == "video/" else "image"
    path = reference.split("?", 1)[0].split("#", 1)[0]
    media_type = MEDIA_TYPES_BY_EXTENSION.get(Path(path).suffix.lower(), "")
    return "video" if media_type.startswith("video/") else "image"


class CharacterPerformanceParams(BaseModel):
    """One Act-Two generation, where it goes, and how much it may cost."""

    model_config = ConfigDict(extra="forbid")

    # Runway's request fields -> this form's, for messages in the words of the form.
    FORM_FIELDS: ClassVar[dict[str, str]] = {
        "character": "character",
        "reference": "reference",
        "bodyControl": "body_control",
        "expressionIntensity": "expression_intensity",
        "ratio": "ratio",
        "seed": "seed",
    }

    character: MediaReference = Field(
        title="Character",
        description="The character, with a visible face: an image or a video, as an "
        "s3://bucket/key object, an https URL or a path on the machine that runs the flow.",
    )
    character_type: Literal["auto", "image", "video"] = Field(
        default="auto",
        title="Character type",
        description="image: it performs in its still setting; video: in its moving one. auto: "
        "from the file's extension.",
    )
    reference: MediaReference = Field(
        title="Performance clip",
        description="A 3-30 s video of a person performing (s3://, https or a path). The "
        "output lasts as long, at 5 credits per second.",
    )
    body_control: bool = Field(
        default=False,
        title="Body control",
        description="Carry body movements and gestures over too, not only facial expressions. "
        "Off: not sent (Runway's default).",
    )
    expression_intensity: ExpressionIntensity = 3
    ratio: OptionalActTwoRatio = NOT_SET
    seed: Seed = NOT_SET
    name: OutputName = NOT_SET
    variant: Variant = ""
    destination_block: DestinationBlock = "renders"
    prefix: KeyPrefix = ""
    credentials_block: CredentialsBlockName = "runway"
    dry_run: DryRun = False
    max_credits: MaxCredits = NOT_SET
    max_attempts: MaxAttempts = 3
    poll_interval: PollInterval = 5.0
    max_queue_minutes: MaxQueueMinutes = NOT_SET
    max_run_minutes: MaxRunMinutes = NOT_SET
    allow_resubmit: AllowResubmit = False

    def request(self) -> dict[str, Any]:
        """Runway's request body, media by reference."""
        kind = (
            character_kind(self.character) if self.character_type == "auto" else self.character_type
        )
        body: dict[str, Any] = {
            "model": "act_two",
            "character": {"type": kind, "uri": self.character},
            "reference": {"type": "video", "uri": self.reference},
            "expressionIntensity": self.expression_intensity,
        }
        optional = {
            # Sent only when on: off leaves Runway's default, as before the switch existed.
            "bodyControl": True if self.body_control else None,
            "ratio": self.ratio,
            "seed": self.seed,
        }
        body.update({field: value for field, value in optional.items() if value is not None})
        return body

    def spec(self) -> GenerationSpec:
        """The generation, its request checked against Act-Two's rules in the form's words.

        Raises:
            ParameterError: a field breaks a rule (named as in the form).
        """
        spec = GenerationSpec(request=self.request(), name=self.name, variant=self.variant)
        try:
            spec.validate_request()
        except ValidationError as error:
            raise from_validation_error(error, self.FORM_FIELDS) from None
        return spec


@flow(name="runway-character-performance", log_prints=False, on_cancellation=[cancel_runway_tasks])
@ends_cleanly
async def character_performance(params: CharacterPerformanceParams) -> FlowOutcome:
    """Drive a character with a performance clip (Act-Two) and store the result in S3, once.

    A re-run with the same parameters pays nothing; a failed generation fails the run with
    Runway's reason; ``runway.generation.succeeded`` / ``.failed`` events say so either way.
    """
    spec = params.spec()
    settings = RunSettings.model_validate(params)
    try:
        return await run_generation(spec, settings, kind="character-performance")
    except InputError as error:
        raise form_words(error, params.FORM_FIELDS) from None
