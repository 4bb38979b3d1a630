"""The image-to-video flow: one still (and a prompt) becomes a clip in S3.

The form in the Prefect UI offers the four models, every ratio and duration; rules that depend
on the model (Veo's ratios, gen4.5's required prompt, a last frame only for Veo) are checked
before anything is uploaded or paid for. ``dry_run`` prices it without submitting;
``max_credits`` refuses it above a budget; the organization's balance and daily limit are read
before submitting.

Example:
    ```python
    from prefect_runway.flows.image_to_video import ImageToVideoParams, image_to_video

    outcome = await image_to_video(
        ImageToVideoParams(
            image="s3://stills/harbour.png",
            prompt_text="Waves roll into the harbour at dusk",
            ratio="1280:720",
            duration=5,
            destination_block="renders",
            prefix="scenes",
            name="harbour",
        )
    )
    print(outcome.output_uri)  # s3://<bucket>/<folder>/scenes/harbour.mp4
    ```
"""

from __future__ import annotations

from typing import Any, Literal

from prefect import flow
from pydantic import BaseModel, ConfigDict, Field

from prefect_runway.api.image_to_video import Gen45OutputFormat
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
    "ImageToVideoDuration",
    "ImageToVideoModel",
    "ImageToVideoParams",
    "ImageToVideoRatio",
    "image_to_video",
]

ImageToVideoModel = Literal["gen4_turbo", "gen4.5", "veo3.1", "veo3.1_fast"]
"""The image-to-video models (``prefect_runway.api.image_to_video``)."""

ImageToVideoRatio = Literal[
    "1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672", "1080:1920", "1920:1080"
]
"""Every ratio of any image-to-video model; each model accepts its own subset."""

ImageToVideoDuration = Literal[2, 3, 4, 5, 6, 7, 8, 9, 10]
"""Every duration of any image-to-video model; Veo accepts 4, 6 and 8."""


class ImageToVideoParams(BaseModel):
    """One image-to-video generation, where it goes, and how much it may cost."""

    model_config = ConfigDict(extra="forbid")

    model: ImageToVideoModel = Field(
        default="gen4_turbo",
        description="gen4_turbo (5 credits/s), gen4.5 (12/s, needs a prompt), veo3.1 (20/s, "
        "40/s with audio) or veo3.1_fast (10/s, 15/s with audio).",
    )
    image: MediaParameter = Field(
        min_length=1,
        description="The first frame: a local path, an s3://bucket/key object or an https URL.",
    )
    prompt_text: str | None = Field(
        default=None,
        min_length=1,
        description="What should happen (up to 1000 UTF-16 code units). Required by gen4.5.",
    )
    ratio: ImageToVideoRatio = Field(
        default="1280:720",
        description="Output size. gen4 models: 1280:720, 720:1280, 1104:832, 832:1104, 960:960, "
        "1584:672. Veo: 1280:720, 720:1280, 1080:1920, 1920:1080.",
    )
    duration: ImageToVideoDuration | None = Field(
        default=None,
        description="Seconds of video: 2-10 for gen4 models, 4, 6 or 8 for Veo. Empty: "
        "gen4_turbo 10, Veo 8 (gen4.5 needs one).",
    )
    last_frame: MediaParameter | None = Field(
        default=None,
        min_length=1,
        description="Veo only: an image the clip should end on (path, s3:// or https).",
    )
    audio: bool | None = Field(
        default=None,
        description="Veo only: generate sound (on by default; it raises the price).",
    )
    negative_prompt: str | None = Field(
        default=None, min_length=1, description="Veo only: what the clip should avoid."
    )
    output_format: Gen45OutputFormat | None = Field(
        default=None,
        description="gen4.5 only: mp4 (default), prores or png_sequence (+5 credits/s), or a "
        "10-bit/HDR format (+20 credits/s). The S3 extension follows the file's type.",
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
        """Runway's request body, media by reference (validated by ``spec().validate_request``)."""
        prompt_image: Any = self.image
        if self.last_frame is not None:
            prompt_image = [
                {"uri": self.image, "position": "first"},
                {"uri": self.last_frame, "position": "last"},
            ]
        body: dict[str, Any] = {
            "model": self.model,
            "promptImage": prompt_image,
            "ratio": self.ratio,
        }
        optional = {
            "promptText": self.prompt_text,
            "duration": self.duration,
            "audio": self.audio,
            "negativePrompt": self.negative_prompt,
            "outputFormat": self.output_format,
            "seed": self.seed,
        }
        body.update({field: value for field, value in optional.items() if value is not None})
        return body

    def spec(self) -> GenerationSpec:
        return GenerationSpec(request=self.request(), name=self.name, variant=self.variant)


@flow(name="runway-image-to-video", log_prints=False, on_cancellation=[cancel_runway_tasks])
async def image_to_video(params: ImageToVideoParams) -> FlowOutcome:
    """Generate a clip from an image with Runway and store it in S3, once.

    A re-run with the same parameters pays nothing: the stored output is found by its sidecar,
    or a task an interrupted run submitted is reattached. A failed generation fails the run with
    Runway's reason; ``runway.generation.succeeded`` / ``.failed`` events say so either way.
    """
    spec = params.spec()
    settings = RunSettings.model_validate(params)
    return await run_generation(spec, settings, kind="image-to-video")
