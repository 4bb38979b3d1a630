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
from typing import Any, Literal

from prefect import flow
from pydantic import BaseModel, ConfigDict, Field

from prefect_runway.api.character_performance import ActTwoRatio
from prefect_runway.api.uploads import MEDIA_TYPES_BY_EXTENSION
from prefect_runway.flows._common import (
    AllowResubmit,
    CredentialsBlockName,
    DestinationBlock,
    DryRun,
    FlowOutcome,
    KeyPrefix,
    MaxAttempts,
    MaxCredits,
    MaxQueueMinutes,
    MaxRunMinutes,
    MediaParameter,
    OutputName,
    PollInterval,
    RunSettings,
    Seed,
    Variant,
    run_generation,
)
from prefect_runway.tasks.cancellation import cancel_runway_tasks
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

    character: MediaParameter = Field(
        min_length=1,
        description="The character, with a visible face: an image or a video, as a local path, "
        "an s3://bucket/key object or an https URL.",
    )
    character_type: Literal["auto", "image", "video"] = Field(
        default="auto",
        description="image: it performs in its still setting; video: in its moving one. auto: "
        "from the file's extension.",
    )
    reference: MediaParameter = Field(
        min_length=1,
        description="A 3-30 s video of a person performing (local path, s3:// or https). The "
        "output lasts as long, at 5 credits per second.",
    )
    body_control: bool | None = Field(
        default=None,
        description="Apply body movements and gestures too, not only facial expressions. "
        "Empty: Runway's default.",
    )
    expression_intensity: Literal[1, 2, 3, 4, 5] = Field(
        default=3, description="How strongly the expressions carry over, 1 (subtle) to 5."
    )
    ratio: ActTwoRatio | None = Field(
        default=None, description="Output size. Empty: Runway's choice from the character."
    )
    seed: Seed = None
    name: OutputName = None
    variant: Variant = ""
    destination_block: DestinationBlock
    prefix: KeyPrefix = ""
    credentials_block: CredentialsBlockName = "runway"
    dry_run: DryRun = False
    max_credits: MaxCredits = None
    max_attempts: MaxAttempts = 3
    poll_interval: PollInterval = 5.0
    max_queue_minutes: MaxQueueMinutes = None
    max_run_minutes: MaxRunMinutes = None
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
        optional = {"bodyControl": self.body_control, "ratio": self.ratio, "seed": self.seed}
        body.update({field: value for field, value in optional.items() if value is not None})
        return body

    def spec(self) -> GenerationSpec:
        return GenerationSpec(request=self.request(), name=self.name, variant=self.variant)


@flow(name="runway-character-performance", log_prints=False, on_cancellation=[cancel_runway_tasks])
async def character_performance(params: CharacterPerformanceParams) -> FlowOutcome:
    """Drive a character with a performance clip (Act-Two) and store the result in S3, once.

    A re-run with the same parameters pays nothing; a failed generation fails the run with
    Runway's reason; ``runway.generation.succeeded`` / ``.failed`` events say so either way.
    """
    spec = params.spec()
    settings = RunSettings.model_validate(params)
    return await run_generation(spec, settings, kind="character-performance")
