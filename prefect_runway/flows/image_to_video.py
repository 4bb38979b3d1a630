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

from typing import Any, ClassVar

from prefect import flow
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from prefect_runway.flows._common import FlowOutcome, RunSettings, run_generation
from prefect_runway.flows.parameters import (
    NOT_SET,
    AllowResubmit,
    CredentialsBlockName,
    DestinationBlock,
    DryRun,
    ImageToVideoDuration,
    ImageToVideoModel,
    ImageToVideoRatio,
    KeyPrefix,
    MaxAttempts,
    MaxCredits,
    MaxQueueMinutes,
    MaxRunMinutes,
    MediaReference,
    NegativePrompt,
    OptionalDuration,
    OptionalMedia,
    OptionalOutputFormat,
    OutputName,
    PollInterval,
    Prompt,
    Seed,
    Variant,
)
from prefect_runway.flows.user_errors import ends_cleanly, form_words, from_validation_error
from prefect_runway.tasks.cancellation import cancel_runway_tasks
from prefect_runway.tasks.inputs import InputError
from prefect_runway.tasks.spec import GenerationSpec

__all__ = [
    "ImageToVideoDuration",
    "ImageToVideoModel",
    "ImageToVideoParams",
    "ImageToVideoRatio",
    "image_to_video",
]

_VEO = ("veo3.1", "veo3.1_fast")


class ImageToVideoParams(BaseModel):
    """One image-to-video generation, where it goes, and how much it may cost."""

    model_config = ConfigDict(extra="forbid")

    # Runway's request fields -> this form's, for messages in the words of the form.
    FORM_FIELDS: ClassVar[dict[str, str]] = {
        "model": "model",
        "promptImage": "image",
        "promptText": "prompt_text",
        "ratio": "ratio",
        "duration": "duration",
        "audio": "audio",
        "negativePrompt": "negative_prompt",
        "outputFormat": "output_format",
        "seed": "seed",
    }

    model: ImageToVideoModel = Field(
        default="gen4_turbo",
        title="Model",
        description="gen4_turbo (5 credits/s), gen4.5 (12/s, needs a prompt), veo3.1 (20/s, "
        "40/s with audio) or veo3.1_fast (10/s, 15/s with audio).",
    )
    image: MediaReference = Field(
        title="Image",
        description="The first frame: an s3://bucket/key object, an https URL, or a path on "
        "the machine that runs the flow.",
    )
    prompt_text: Prompt = NOT_SET
    ratio: ImageToVideoRatio = Field(
        default="1280:720",
        title="Ratio",
        description="Output size. gen4 models: 1280:720, 720:1280, 1104:832, 832:1104, "
        "960:960, 1584:672. Veo: 1280:720, 720:1280, 1080:1920, 1920:1080.",
    )
    duration: OptionalDuration = NOT_SET
    last_frame: OptionalMedia = Field(
        default=NOT_SET,
        title="Last frame",
        description="Veo only: an image the clip should end on (s3://, https or a path).",
    )
    audio: bool = Field(
        default=True,
        title="Audio",
        description="Veo only: generate sound (Runway's default; off is cheaper). Other models "
        "ignore it.",
    )
    negative_prompt: NegativePrompt = NOT_SET
    output_format: OptionalOutputFormat = NOT_SET
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
            # Sent only when it changes Runway's default (sound on), and only to Veo: the
            # request of a run that leaves it on is the same as before the switch existed.
            "audio": False if self.model in _VEO and not self.audio else None,
            "negativePrompt": self.negative_prompt,
            "outputFormat": self.output_format,
            "seed": self.seed,
        }
        body.update({field: value for field, value in optional.items() if value is not None})
        return body

    def spec(self) -> GenerationSpec:
        """The generation, its request checked against the model's rules in the form's words.

        Raises:
            ParameterError: a field breaks a rule of the chosen model (named as in the form).
        """
        spec = GenerationSpec(request=self.request(), name=self.name, variant=self.variant)
        try:
            spec.validate_request()
        except ValidationError as error:
            raise from_validation_error(error, self.FORM_FIELDS) from None
        return spec


@flow(name="runway-image-to-video", log_prints=False, on_cancellation=[cancel_runway_tasks])
@ends_cleanly
async def image_to_video(params: ImageToVideoParams) -> FlowOutcome:
    """Generate a clip from an image with Runway and store it in S3, once.

    A re-run with the same parameters pays nothing: the stored output is found by its sidecar,
    or a task an interrupted run submitted is reattached. A failed generation fails the run with
    Runway's reason; ``runway.generation.succeeded`` / ``.failed`` events say so either way.
    """
    spec = params.spec()
    settings = RunSettings.model_validate(params)
    try:
        return await run_generation(spec, settings, kind="image-to-video")
    except InputError as error:
        raise form_words(error, params.FORM_FIELDS) from None
