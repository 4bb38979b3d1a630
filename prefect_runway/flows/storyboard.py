"""The storyboard flow: establishing scenes and close-ups generated together, joined into one cut.

A storyboard is an ordered list of shots. A *scene* is an image and a prompt made with
image-to-video, or words alone: text-to-image makes its still (``<name>-still.png``) and
image-to-video animates it, or text-to-video makes the clip; a *close-up* is a character (image
or video) driven by a performance clip with Act-Two. A shot may be upscaled
(``<name>-upscaled.mp4``); a voice-over line without a recording is spoken with
text-to-speech (``<name>-voice``), a described effect without one made with sound_effect
(``<name>-sound``). Every generation runs within the per-model limits (the batch flow's
machinery: identical ones are generated once, each emits its event); those that need another's
output wait for it, but every one is planned and priced before the first POST
(:mod:`prefect_runway.flows.stages`). Then, under ``<prefix>/<title>/``:

- each clip, still and made sound with its sidecar (``01-harbour.mp4``, ``01-harbour.json``...);
- ``storyboard.json``: every shot in order with its clip, sidecar, credits, status and reason,
  every sound laid over the cut (where it starts, its level, mixed or left out and why), and
  every step (still, clip, upscale, speech, sound) with its estimate and credits;
- ``<title>-cut.mp4``: the clips joined in order, each scaled and padded to one frame size,
  with one AAC track as long as the picture: each clip's own sound (silence where it has none)
  and, over it, each shot's voice-over and sound effect at its time and level
  (:mod:`prefect_runway.flows.cut`);
- ``thumbnails/``: the first frame of each clip, still and of the cut, shown in a markdown
  artifact through presigned links, with each shot's prompt and credits.

A shot's name can never be one of these (``<title>-cut`` and ``storyboard``, compared without
case), nor another shot's name for a different request: such a shot is refused by name before
any POST (issue 16, item 5).

A shot that fails is named in the result; the cut is made from the others only when
``allow_partial_cut`` is set, otherwise the run fails once the good clips are stored (a re-run
pays only for the failed shot). A shot that cannot even be submitted (a missing input, a rule
checked locally) with ``allow_partial_cut`` off refuses the whole storyboard before any POST.
So does a voice-over or sound effect recording that is not allowed, missing, or not audio
(:class:`SoundRefused`): each is read and decoded whole before anything is paid for.

Example:
    ```python
    from prefect_runway.flows.storyboard import CloseUp, Scene, StoryboardParams, storyboard

    result = await storyboard(
        StoryboardParams(
            title="lighthouse",
            shots=[
                Scene(image="stills/coast.png", camera_movement="Slow aerial push in",
                      establishing_scene="a lighthouse on a cliff at dusk",
                      additional_details="waves break below, the lamp turns"),
                CloseUp(character="cast/keeper.png", reference="takes/keeper.mp4"),
            ],
            destination_block="renders",
        )
    )
    print(result.cut_uri)
    ```
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact
from prefect_aws import S3Bucket
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from prefect_runway.api import WaitPolicy
from prefect_runway.api.character_performance import ACT_TWO_RATIOS
from prefect_runway.api.errors import PrefectRunwayError
from prefect_runway.flows._common import refuse_if_unaffordable
from prefect_runway.flows.batch import (
    PlannedGeneration,
    RowResult,
    credits_text,
    known_and_unknown,
    price_planned,
    run_planned,
)
from prefect_runway.flows.character_performance import character_kind
from prefect_runway.flows.cues import CuePlan, SoundRefused, check_recordings, read_recordings
from prefect_runway.flows.cut import (
    AudioCue,
    CutSummary,
    first_frame_png,
    join_clips,
    parse_frame_size,
)
from prefect_runway.flows.parameters import (
    LEVEL_WORDS,
    NOT_SET,
    OPTIONAL,
    AdditionalDetails,
    CameraMovement,
    ConcurrencyPerModel,
    CredentialsBlockName,
    DestinationBlock,
    DryRun,
    EstablishingScene,
    ExpressionIntensity,
    ImageToVideoDuration,
    ImageToVideoModel,
    ImageToVideoRatio,
    KeyPrefix,
    MaxAttempts,
    MaxCredits,
    MaxQueueMinutes,
    OptionalMedia,
    OptionalSoundEffectLevel,
    OptionalVoice,
    PollInterval,
    PriceCaps,
    Prompt,
    QueueAhead,
    Seed,
    SoundEffectPrompt,
    Voice,
    VoiceOverLine,
    audio_level,
    described,
    sound_start,
)
from prefect_runway.flows.stages import StepKind, StepRow, plan_stages, run_stages
from prefect_runway.flows.user_errors import ends_cleanly, load_credentials, load_destination
from prefect_runway.tasks.allowed_inputs import InputPolicy
from prefect_runway.tasks.cancellation import cancel_runway_tasks
from prefect_runway.tasks.cost import RefusedBeforeSubmit
from prefect_runway.tasks.locations import RunNames, check_name
from prefect_runway.tasks.plan import CreditBudget
from prefect_runway.tasks.run_ledgers import announcing_early
from prefect_runway.tasks.store import resolve_key

__all__ = [
    "CloseUp",
    "Scene",
    "Shot",
    "ShotRefused",
    "ShotResult",
    "SoundRefused",
    "SoundResult",
    "StepResult",
    "StoryboardIncomplete",
    "StoryboardParams",
    "StoryboardResult",
    "storyboard",
]

# Presigned thumbnail links last as long as SigV4 allows.
THUMBNAIL_LINK_SECONDS = 7 * 24 * 3600


def _name(name: str | None) -> str | None:
    return None if name is None else check_name(name)


ShotName = Annotated[
    str | None,
    described(
        "Clip name",
        "The clip's file stem (letters, digits, '_', '-', '.'; starting with a letter or a "
        "digit). Empty: its number and kind, e.g. 01-scene.",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
        max_length=100,
    ),
    AfterValidator(_name),
    WithJsonSchema(
        {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", "maxLength": 100}
    ),
    *OPTIONAL,
]

ShotKind = Literal["scene", "close_up"]

VoiceOverStart = Annotated[
    float,
    sound_start(
        "Voice-over start",
        "Seconds after this shot starts in the cut when its voice-over begins (0 to 600); it "
        "may run on over the next shots and is cut off where the cut ends.",
    ),
]
SoundEffectStart = Annotated[
    float,
    sound_start(
        "Sound effect start",
        "Seconds after this shot starts in the cut when its sound effect begins (0 to 600); it "
        "may run on over the next shots and is cut off where the cut ends.",
    ),
]
VoiceOverLevel = Annotated[
    float, audio_level("Voice-over level (dB)", f"Every voice-over. {LEVEL_WORDS}")
]
SoundEffectLevel = Annotated[
    float,
    audio_level(
        "Sound effect level (dB)",
        f"Every sound effect whose shot gives no level of its own. {LEVEL_WORDS}",
    ),
]
ClipSoundLevel = Annotated[
    float,
    audio_level(
        "Clips' sound level (dB)",
        f"The clips' own sound (Veo makes sound unless asked not to). {LEVEL_WORDS}",
    ),
]
StoryboardVoice = Annotated[
    Voice,
    described("Voice", "Who speaks the voice-over lines, unless a shot names its own voice."),
]

STILL_MODEL = "gen4_image"
"""The text-to-image model that makes a scene's still from its prompt (5 credits at 720p)."""
SPEECH_MODEL = "eleven_multilingual_v2"
"""The text-to-speech model that speaks voice-over lines with a preset voice."""
SOUND_EFFECT_MODEL = "eleven_text_to_sound_v2"
"""The sound-effect model that makes a described effect."""
UPSCALE_MODEL = "magnific_video_upscaler_creative"
"""The video upscaler of a shot's upscale step (clips up to 30 s)."""
TEXT_TO_VIDEO_MODELS = ("gen4.5", "veo3.1", "veo3.1_fast")
"""The models of ``Model`` that make a clip from text alone."""

STILL_RATIOS: dict[str, str] = {
    "1280:720": "1280:720",
    "720:1280": "720:1280",
    "1104:832": "960:720",
    "832:1104": "720:960",
    "960:960": "720:720",
    "1584:672": "1680:720",
    "1920:1080": "1920:1080",
    "1080:1920": "1080:1920",
}
"""A clip's ratio -> the text-to-image ratio of its still: the same shape (gen4_image's sizes)."""

FromPrompt = Literal["still_then_clip", "text_to_video"]

_SCENE_ONLY = (
    "image",
    "prompt_text",
    "camera_movement",
    "establishing_scene",
    "additional_details",
)
_CLOSE_UP_ONLY = ("character", "reference")


class Shot(BaseModel):
    """One shot of a storyboard: a *scene* (image-to-video) or a *close-up* (Act-Two).

    One flat model, so the Prefect UI shows every shot as a form with ``kind`` as a dropdown
    (a list of a union of models is a JSON editor per item in Prefect's classic UI). Each kind
    uses its own fields; the other kind's inputs must be left empty, and its settings (model,
    duration for a close-up; intensity and body control for a scene) are ignored.

    A scene's prompt is given whole (``prompt_text``) or as Runway's recommended parts,
    composed as ``[camera movement]: [establishing scene]. [additional details].`` A scene
    without an image is made from its prompt (``from_prompt``): by default text-to-image makes
    its still (``<name>-still.png``, kept) and the model animates it; ``text_to_video`` makes
    the clip from the prompt alone. A voice-over line without a recording is spoken with
    text-to-speech (the shot's voice, else the storyboard's), a described sound effect without
    one is made with sound_effect.

    Example:
        ```python
        from prefect_runway import Shot

        scene = Shot(kind="scene", image="s3://stills/coast.png", prompt_text="Dusk falls.")
        from_words = Shot(camera_movement="Slow push in", establishing_scene="a harbour at dawn",
                          voice_over="Every morning, the boats come home.",
                          sound_effect="gulls and lapping water", upscale=True)
        direct = Shot(prompt_text="Rain on a window at night", from_prompt="text_to_video",
                      model="veo3.1", duration=4)
        close_up = Shot(kind="close_up", character="s3://cast/keeper.png",
                        reference="s3://takes/keeper.mp4")
        spoken = Shot(image="s3://stills/cliff.png", prompt_text="The cliff at night.",
                      voice_over="The light still turns.", voice="Bernard",
                      voice_over_audio="s3://sound/line.wav", voice_over_start=0.5,
                      sound_effect_audio="s3://sound/gull.mp3", sound_effect_level=-6.0)
        ```
    """

    model_config = ConfigDict(extra="forbid")

    kind: ShotKind = Field(
        default="scene",
        title="Kind",
        description="scene: an image and a prompt, made with image-to-video. close_up: a "
        "character driven by a performance clip, made with Act-Two.",
    )
    image: OptionalMedia = Field(
        default=NOT_SET,
        title="Image",
        description="Scenes: the first frame (s3://, https or a path on the machine that runs "
        "the flow). Empty: the scene is made from its prompt (see Made from the prompt).",
    )
    from_prompt: FromPrompt = Field(
        default="still_then_clip",
        title="Made from the prompt",
        description="Scenes without an image. still_then_clip: text-to-image (gen4_image) "
        "makes the first frame from the prompt, stored beside the clip so you can see and "
        "keep it, and the model animates it. text_to_video: the model makes the clip from the "
        "prompt alone (gen4.5, veo3.1 or veo3.1_fast).",
    )
    prompt_text: Prompt = NOT_SET
    camera_movement: CameraMovement = NOT_SET
    establishing_scene: EstablishingScene = NOT_SET
    additional_details: AdditionalDetails = NOT_SET
    model: ImageToVideoModel = Field(
        default="gen4_turbo", title="Model", description="Scenes: the image-to-video model."
    )
    duration: ImageToVideoDuration = Field(
        default=5, title="Duration", description="Scenes: seconds of video."
    )
    character: OptionalMedia = Field(
        default=NOT_SET,
        title="Character",
        description="Close-ups: the character with a visible face, an image or a video "
        "(s3://, https or a path).",
    )
    reference: OptionalMedia = Field(
        default=NOT_SET,
        title="Performance clip",
        description="Close-ups: a 3-30 s performance clip; the close-up lasts as long.",
    )
    expression_intensity: ExpressionIntensity = 3
    body_control: bool = Field(
        default=False,
        title="Body control",
        description="Close-ups: carry body movement over too. Off: not sent (Runway's default).",
    )
    ratio: ImageToVideoRatio = Field(
        default="1280:720",
        title="Ratio",
        description="The clip's size. Close-ups take 1280:720, 720:1280, 960:960, 1104:832, "
        "832:1104 or 1584:672; Veo scenes 1280:720, 720:1280, 1080:1920 or 1920:1080.",
    )
    upscale: bool = Field(
        default=False,
        title="Upscale",
        description="Scenes and close-ups: upscale the clip (magnific_video_upscaler_creative, "
        "to 2k) after it is made; the cut uses the upscaled clip. No published price: with Max "
        "credits, give it a price cap.",
    )
    seed: Seed = NOT_SET
    name: ShotName = NOT_SET
    voice_over: VoiceOverLine = NOT_SET
    voice: OptionalVoice = NOT_SET
    voice_over_audio: OptionalMedia = Field(
        default=NOT_SET,
        title="Voice-over recording",
        description="The voice-over as a WAV, MP3 or AAC file (s3:// or a path on the machine "
        "that runs the flow). The line, if given, is kept as its script.",
    )
    voice_over_start: VoiceOverStart = 0.0
    sound_effect: SoundEffectPrompt = NOT_SET
    sound_effect_audio: OptionalMedia = Field(
        default=NOT_SET,
        title="Sound effect recording",
        description="The sound effect as a WAV, MP3 or AAC file (s3:// or a path on the "
        "machine that runs the flow). The description, if given, is kept with it.",
    )
    sound_effect_start: SoundEffectStart = 0.0
    sound_effect_level: OptionalSoundEffectLevel = NOT_SET

    @model_validator(mode="after")
    def _sound_has_a_source(self) -> Shot:
        # A line without a recording is spoken with text_to_speech, a described effect
        # without one made with sound_effect: each has a source, so only these remain.
        if self.voice is not None and self.voice_over is None:
            raise ValueError(f"voice {self.voice!r}: there is no voice_over line to speak")
        if self.sound_effect_level is not None and not self.has_sound_effect:
            raise ValueError("sound_effect_level: this shot has no sound effect")
        return self

    @property
    def has_sound_effect(self) -> bool:
        """Whether the shot lays a sound effect (a recording, or a description to make one)."""
        return self.sound_effect_audio is not None or self.sound_effect is not None

    @model_validator(mode="after")
    def _fields_of_its_kind(self) -> Shot:
        if self.kind == "scene":
            stray = [field for field in _CLOSE_UP_ONLY if getattr(self, field) is not None]
            if stray:
                raise ValueError(f"a scene takes no {' or '.join(stray)} (those are close-ups')")
            parts = (self.camera_movement, self.establishing_scene, self.additional_details)
            if self.prompt_text is not None and any(parts):
                raise ValueError("give prompt_text or the prompt's parts, not both")
            if self.image is None and self.prompt() is None:
                raise ValueError(
                    "a scene needs an image (its first frame) or a prompt to make it from "
                    "(prompt_text, or camera_movement, establishing_scene, additional_details)"
                )
            if self.image is not None and self.from_prompt == "text_to_video":
                raise ValueError(
                    "from_prompt text_to_video makes the clip from the prompt alone: leave "
                    "image empty, or choose still_then_clip to animate the image"
                )
            if self.image is None and self.from_prompt == "text_to_video":
                if self.model not in TEXT_TO_VIDEO_MODELS:
                    raise ValueError(
                        f"model {self.model!r}: from_prompt text_to_video takes "
                        f"{', '.join(TEXT_TO_VIDEO_MODELS)} ({self.model} animates an image)"
                    )
                if self.model == "gen4.5" and self.ratio not in ("1280:720", "720:1280"):
                    raise ValueError(
                        f"ratio {self.ratio!r}: gen4.5 makes video from text at 1280:720 or "
                        "720:1280 only"
                    )
            elif self.image is None and self.ratio not in STILL_RATIOS:
                raise ValueError(
                    f"ratio {self.ratio!r}: a still made from the prompt takes one of "
                    f"{', '.join(STILL_RATIOS)}"
                )
            return self
        missing = [field for field in _CLOSE_UP_ONLY if getattr(self, field) is None]
        if missing:
            raise ValueError(f"a close_up needs a {' and a '.join(missing)}")
        stray = [field for field in _SCENE_ONLY if getattr(self, field) is not None]
        if stray:
            raise ValueError(f"a close_up takes no {', '.join(stray)} (those are scenes')")
        if self.ratio not in ACT_TWO_RATIOS:
            raise ValueError(
                f"ratio {self.ratio!r}: a close_up takes one of {', '.join(ACT_TWO_RATIOS)}"
            )
        return self

    def prompt(self) -> str | None:
        """A scene's prompt: ``prompt_text``, or the parts composed as Runway recommends.

        Example:
            >>> Scene(image="a.png", camera_movement="Slow dolly in",
            ...       establishing_scene="a harbour at dawn",
            ...       additional_details="gulls circle").prompt()
            'Slow dolly in: a harbour at dawn. gulls circle.'
        """
        if self.kind != "scene":
            return None
        if self.prompt_text is not None:
            return self.prompt_text
        text = ""
        if self.camera_movement:
            text = f"{self.camera_movement.rstrip(':. ')}: "
        if self.establishing_scene:
            text += f"{self.establishing_scene.rstrip('. ')}."
        if self.additional_details:
            text += f" {self.additional_details.rstrip('. ')}."
        return text.strip() or None

    @property
    def made_from(self) -> Literal["image", "still_then_clip", "text_to_video", "performance"]:
        """How the clip is made: from its image, from a still made from its prompt, from its
        prompt alone, or (close-ups) from a performance."""
        if self.kind == "close_up":
            return "performance"
        return "image" if self.image is not None else self.from_prompt

    @property
    def endpoint(self) -> str:
        """The endpoint that makes the clip."""
        return {
            "image": "image_to_video",
            "still_then_clip": "image_to_video",
            "text_to_video": "text_to_video",
            "performance": "character_performance",
        }[self.made_from]

    def still_request(self) -> dict[str, Any]:
        """The text-to-image body of the still a ``still_then_clip`` scene starts from."""
        body: dict[str, Any] = {
            "model": STILL_MODEL,
            "promptText": self.prompt(),
            "ratio": STILL_RATIOS[self.ratio],
        }
        if self.seed is not None:
            body["seed"] = self.seed
        return body

    def request(self, image: str | None = None) -> dict[str, Any]:
        """Runway's request body for this shot's clip.

        Args:
            image: The first frame, for a scene made from a still (the still's stored URI).
        """
        body: dict[str, Any]
        if self.kind == "scene" and self.made_from == "text_to_video":
            body = {
                "model": self.model,
                "promptText": self.prompt(),
                "ratio": self.ratio,
                "duration": self.duration,
            }
        elif self.kind == "scene":
            body = {
                "model": self.model,
                "promptImage": self.image or image,
                "ratio": self.ratio,
                "duration": self.duration,
            }
            prompt = self.prompt()
            if prompt is not None:
                body["promptText"] = prompt
        else:
            character = self.character or ""
            body = {
                "model": "act_two",
                "character": {"type": character_kind(character), "uri": character},
                "reference": {"type": "video", "uri": self.reference},
                "expressionIntensity": self.expression_intensity,
                "ratio": self.ratio,
            }
            if self.body_control:
                body["bodyControl"] = True
        if self.seed is not None:
            body["seed"] = self.seed
        return body


class Scene(Shot):
    """A scene shot: ``Shot`` with ``kind="scene"``, for code that builds storyboards."""

    kind: ShotKind = "scene"


class CloseUp(Shot):
    """A close-up shot: ``Shot`` with ``kind="close_up"``, for code that builds storyboards."""

    kind: ShotKind = "close_up"


class StoryboardParams(BaseModel):
    """A storyboard: its shots in order, the cut's frame, where it goes and what it may cost."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, AfterValidator(check_name)] = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
        min_length=1,
        max_length=100,
        title="Title",
        description="Names the folder and the cut (letters, digits, '_', '-', '.'; starting "
        "with a letter or a digit).",
    )
    shots: list[Shot] = Field(
        min_length=1, max_length=100, title="Shots", description="The shots, in order."
    )
    frame_size: Literal["1280:720", "1920:1080", "720:1280", "1080:1920", "960:960"] = Field(
        default="1280:720",
        title="Frame size",
        description="The cut's frame: each clip is scaled to fit and padded with black.",
    )
    fps: Literal[24, 25, 30] = Field(
        default=24, title="Frame rate", description="The cut's frames per second."
    )
    voice: StoryboardVoice = "Maya"
    voice_over_level: VoiceOverLevel = 0.0
    sound_effect_level: SoundEffectLevel = -6.0
    clip_sound_level: ClipSoundLevel = 0.0
    allow_partial_cut: bool = Field(
        default=False,
        title="Allow partial cut",
        description="When a shot fails, still make the cut from the others (the failed shot is "
        "named in the result). Off: the run fails after storing the good clips.",
    )
    destination_block: DestinationBlock = "renders"
    prefix: KeyPrefix = ""
    credentials_block: CredentialsBlockName = "runway"
    dry_run: DryRun = False
    max_credits: MaxCredits = NOT_SET
    price_caps: PriceCaps = NOT_SET
    concurrency_per_model: ConcurrencyPerModel = 4
    queue_ahead: QueueAhead = NOT_SET
    max_attempts: MaxAttempts = 3
    poll_interval: PollInterval = 5.0
    max_queue_minutes: MaxQueueMinutes = NOT_SET

    def folder(self) -> str:
        """The key prefix of everything this storyboard stores."""
        return "/".join(part.strip("/") for part in (self.prefix, self.title) if part.strip("/"))

    def own_names(self) -> RunNames:
        """The names this flow writes itself beside the clips: no shot may take them."""
        return RunNames(
            reserved={
                f"{self.title}-cut": f"the storyboard's cut ({self.title}-cut.mp4)",
                "storyboard": "the storyboard's own storyboard.json",
            }
        )

    def shot_name(self, index: int) -> str:
        shot = self.shots[index]
        return shot.name or f"{index + 1:02d}-{shot.kind.replace('_', '-')}"

    def cues(self) -> list[CuePlan]:
        """Every sound a shot lays over the cut, in shot order (a voice-over before an effect).

        Example:
            ```python
            for cue in params.cues():
                print(cue.label, cue.recording, cue.offset, cue.level_db)
            ```
        """
        cues: list[CuePlan] = []
        for index, shot in enumerate(self.shots):
            name = self.shot_name(index)
            if shot.voice_over_audio is not None or shot.voice_over is not None:
                cues.append(
                    CuePlan(
                        shot=index + 1, shot_name=name, role="voice_over",
                        recording=shot.voice_over_audio, field="voice_over_audio",
                        text=shot.voice_over,
                        voice=(shot.voice or self.voice) if shot.voice_over else None,
                        offset=shot.voice_over_start, level_db=self.voice_over_level,
                    )
                )  # fmt: skip
            if shot.sound_effect_audio is not None or shot.sound_effect is not None:
                level = shot.sound_effect_level
                cues.append(
                    CuePlan(
                        shot=index + 1, shot_name=name, role="sound_effect",
                        recording=shot.sound_effect_audio, field="sound_effect_audio",
                        text=shot.sound_effect, voice=None, offset=shot.sound_effect_start,
                        level_db=self.sound_effect_level if level is None else level,
                    )
                )  # fmt: skip
        return cues

    def steps(self) -> list[StepRow]:
        """Every generation of the storyboard, each with what it needs.

        A shot's clip is line ``n`` (its number); a scene made from words first has its still
        (``<name>-still``, text-to-image) whose stored image the clip animates; an upscale
        (``<name>-upscaled``) takes the stored clip; a voice-over line without a recording is
        ``<name>-voice`` (text-to-speech), a described effect without one ``<name>-sound``.

        Example:
            ```python
            for step in params.steps():
                print(step.line, step.name, step.endpoint, step.needs)
            ```
        """
        steps: list[StepRow] = []
        for index, shot in enumerate(self.shots):
            number, name = index + 1, self.shot_name(index)
            clip = StepRow(
                line=number, shot=number, step="clip", name=name, request=shot.request(),
                endpoint=shot.endpoint,
            )  # fmt: skip
            if shot.made_from == "still_then_clip":
                still = StepRow(
                    line=_STILL_LINES + number, shot=number, step="still",
                    name=f"{name}-still", request=shot.still_request(), endpoint="text_to_image",
                )  # fmt: skip
                steps.append(still)
                body = {k: v for k, v in clip.request.items() if k != "promptImage"}
                clip = replace(clip, request=body, needs=still.line, field="promptImage")
            steps.append(clip)
            if shot.upscale:
                steps.append(
                    StepRow(
                        line=_UPSCALE_LINES + number, shot=number, step="upscale",
                        name=f"{name}-upscaled",
                        request={"model": UPSCALE_MODEL},
                        endpoint="video_upscale", needs=number, field="videoUri",
                    )
                )  # fmt: skip
        for cue in self.cues():
            if cue.recording is not None or cue.text is None:
                continue
            step: StepKind
            if cue.role == "voice_over":
                voice = {"type": "runway-preset", "presetId": cue.voice or self.voice}
                request: dict[str, Any] = {
                    "model": SPEECH_MODEL, "promptText": cue.text, "voice": voice,
                }  # fmt: skip
                line, step, endpoint = _VOICE_LINES, "voice", "text_to_speech"
            else:
                request = {"model": SOUND_EFFECT_MODEL, "promptText": cue.text}
                line, step, endpoint = _SOUND_LINES, "sound", "sound_effect"
            steps.append(
                StepRow(
                    line=line + cue.shot, shot=cue.shot, step=step,
                    name=f"{cue.shot_name}-{step}", request=request, endpoint=endpoint,
                )
            )  # fmt: skip
        return steps


# Lines of a shot's other steps in the plan and the dry run's table (a shot's clip is its
# number; at most 100 shots).
_STILL_LINES, _UPSCALE_LINES, _VOICE_LINES, _SOUND_LINES = 200, 400, 600, 800


class StepResult(BaseModel):
    """One generation of the storyboard (a still, a clip, an upscale, speech, a sound effect):
    what it costs and what became of it."""

    shot: int
    step: StepKind
    name: str
    endpoint: str
    model: str | None = None
    status: str
    s3_uri: str | None = None
    estimate: str | None = Field(
        default=None,
        description="What this run may pay for it, for people ('5 credits', 'price unknown'); "
        "None when it pays nothing (stored, or reattached).",
    )
    estimated_credits: float | None = Field(
        default=None, description="The most it may cost, when priced (or capped)."
    )
    credits: float | None = None
    credits_spent: float = 0.0
    action: str | None = None
    reason: str | None = None


class ShotResult(BaseModel):
    """One shot of the storyboard, as stored."""

    number: int
    name: str
    kind: str
    model: str | None
    prompt: str | None
    status: str
    made_from: str | None = Field(
        default=None,
        description="image, still_then_clip, text_to_video (scenes) or performance (close-ups).",
    )
    s3_uri: str | None = Field(
        default=None, description="The clip the cut uses (the upscaled one, when upscaled)."
    )
    sidecar_uri: str | None = None
    thumbnail_uri: str | None = None
    still_uri: str | None = Field(
        default=None, description="The still a scene made from words starts from."
    )
    still_thumbnail_uri: str | None = None
    credits: float | None = Field(
        default=None, description="What its still, clip and upscale cost, as Runway reported."
    )
    reason: str | None = None
    has_sound: bool | None = Field(
        default=None, description="Whether the clip brought its own sound (known once cut)."
    )


class SoundResult(BaseModel):
    """One sound a shot lays over the cut, and where it landed."""

    shot: int
    shot_name: str
    role: Literal["voice_over", "sound_effect"]
    text: str | None = None
    voice: str | None = None
    recording: str | None = None
    offset: float
    level_db: float
    start: float | None = Field(
        default=None, description="Seconds into the cut where it starts, once mixed."
    )
    status: Literal["planned", "mixed", "left_out"] = "planned"
    reason: str | None = None
    credits: float = 0.0

    @classmethod
    def of(cls, cue: CuePlan, credits: float = 0.0) -> SoundResult:
        return cls(
            shot=cue.shot, shot_name=cue.shot_name, role=cue.role, text=cue.text,
            voice=cue.voice, recording=cue.recording, offset=cue.offset, level_db=cue.level_db,
            credits=credits,
        )  # fmt: skip


class StoryboardResult(BaseModel):
    """The storyboard's clips, its cut and what they cost."""

    title: str
    shots: list[ShotResult]
    sounds: list[SoundResult] = Field(default_factory=list)
    storyboard_uri: str | None = None
    cut_uri: str | None = None
    cut_thumbnail_uri: str | None = None
    cut_seconds: float | None = None
    cut_audio_peak_db: float | None = Field(
        default=None,
        description="The mix's loudest sample before the limiter, in dBFS; above -1 the "
        "limiter turned the mix down there.",
    )
    frame_size: str
    steps: list[StepResult] = Field(
        default_factory=list,
        description="Every generation (still, clip, upscale, speech, sound effect) and its cost.",
    )
    credits: float = 0.0
    credits_spent: float = 0.0
    estimated_credits: float = Field(
        default=0.0,
        description="The most this run may pay for the generations of a known (or capped) price.",
    )
    unknown_price: int = Field(
        default=0, description="Generations to pay for with no published price and no cap."
    )
    estimate: str = Field(
        default="0 credits",
        description="The estimate for people: '45 credits + 1 generation of price unknown'.",
    )
    dry_run: bool = False

    @property
    def failed(self) -> list[ShotResult]:
        return [shot for shot in self.shots if shot.status != "succeeded"]


class StoryboardIncomplete(PrefectRunwayError, RuntimeError):
    """No cut was made: shots failed with ``allow_partial_cut`` off, or every shot failed.

    The clips that were made are stored, with ``storyboard.json`` naming each failed shot.
    """


class ShotRefused(RefusedBeforeSubmit):
    """A shot cannot be submitted (a missing input, a broken rule) and ``allow_partial_cut`` is
    off: the whole storyboard is refused before any POST, since no cut could be made."""


def _split(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _step_result(step: StepRow, row: RowResult, generation: PlannedGeneration | None) -> StepResult:
    estimate = generation.estimate if generation is not None else None
    pays = generation is not None and generation.pays and estimate is not None
    return StepResult(
        shot=step.shot, step=step.step, name=step.name, endpoint=step.endpoint,
        model=row.model or str(step.request.get("model")), status=row.status, s3_uri=row.s3_uri,
        estimate=estimate.shown() if pays and estimate else None,
        estimated_credits=estimate.at_most if pays and estimate and estimate.priced else None,
        credits=row.credits, credits_spent=row.credits_spent, action=row.action,
        reason=row.reason,
    )  # fmt: skip


def _shot_result(params: StoryboardParams, index: int, steps: list[StepResult]) -> ShotResult:
    """A shot from its picture's steps: the clip the cut uses is the last one made."""
    shot = params.shots[index]
    picture = [s for s in steps if s.shot == index + 1 and s.step in ("still", "clip", "upscale")]
    clip = next(s for s in picture if s.step == "clip")
    final = picture[-1]
    failed = next((s for s in picture if s.status != "succeeded"), None)
    status = final.status if failed is None or final.status == "dry_run" else failed.status
    still = next((s for s in picture if s.step == "still"), None)
    credits = [s.credits for s in picture if s.credits is not None]
    sidecar = final.s3_uri.rsplit(".", 1)[0] + ".json" if final.s3_uri else None
    reason = None
    if failed is not None and failed.reason:
        reason = failed.reason if failed.step == "clip" else f"{failed.step}: {failed.reason}"
    return ShotResult(
        number=index + 1, name=params.shot_name(index), kind=shot.kind, model=clip.model,
        prompt=shot.prompt(), status=status, made_from=shot.made_from,
        s3_uri=final.s3_uri if final.status == "succeeded" else None, sidecar_uri=sidecar,
        still_uri=still.s3_uri if still else None,
        credits=sum(credits) if credits else None, reason=reason,
    )  # fmt: skip


def _sounds(
    cues: list[CuePlan], steps: list[StepResult]
) -> tuple[list[CuePlan], list[float], dict[int, str]]:
    """The cues with each made recording in place, what each cost, and why any was not made."""
    made = {(s.shot, s.step): s for s in steps if s.step in ("voice", "sound")}
    placed: list[CuePlan] = []
    credits: list[float] = []
    unmade: dict[int, str] = {}
    for index, cue in enumerate(cues):
        step = made.get((cue.shot, "voice" if cue.role == "voice_over" else "sound"))
        if cue.recording is not None or step is None:
            placed.append(cue)
            credits.append(0.0)
            continue
        credits.append(step.credits or 0.0)
        if step.status == "succeeded" and step.s3_uri:
            placed.append(replace(cue, recording=step.s3_uri))
        else:
            placed.append(cue)
            unmade[index] = f"it was not made ({step.name}): {step.reason or step.status}"
    return placed, credits, unmade


@flow(name="runway-storyboard", on_cancellation=[cancel_runway_tasks])
@ends_cleanly
async def storyboard(params: StoryboardParams) -> StoryboardResult:
    """Generate every shot, its still, upscale and sounds; store them; join them into one cut.

    Every step is planned and priced before the first POST, those that need another's output
    too (``flows/stages.py``): a budget that cannot finish the storyboard spends nothing.

    Raises:
        OverBudget, InsufficientCredits, DailyLimitWouldBeCrossed: before any POST.
        ShotRefused: before any POST, a shot cannot be submitted and ``allow_partial_cut`` is
            off.
        StoryboardIncomplete: a shot failed and ``allow_partial_cut`` is off (the other clips
            are stored), or every shot failed.
    """
    run_logger = get_run_logger()
    destination = await load_destination(params.destination_block)
    folder = params.folder()
    # Every first claim waits for the run's ledger label: start it now, beside the plan.
    async with announcing_early(destination, folder, now=not params.dry_run):
        credentials = await load_credentials(params.credentials_block)
        steps = params.steps()
        results: dict[int, RowResult] = {}
        policy = WaitPolicy(
            poll_interval=params.poll_interval,
            max_queue_seconds=params.max_queue_minutes * 60 if params.max_queue_minutes else None,
        )
        inputs = InputPolicy.for_blocks(destination, credentials)
        cues = params.cues()
        await check_recordings(cues, destination, inputs)  # a cut without its sound spends nothing
        caps = dict(params.price_caps or {})
        async with credentials.get_client() as client:
            staged = await plan_stages(
                steps, client, destination, folder, results, inputs,
                max_attempts=params.max_attempts, names=params.own_names(), price_caps=caps,
            )  # fmt: skip
            if results and not params.dry_run and not params.allow_partial_cut:
                # Without the refused shot there is no cut: spend nothing until it is fixed.
                raise ShotRefused(_refused(params, steps, results))
            paid = staged.paid()
            estimated, unknown = known_and_unknown(paid)
            planned = {
                row.line: generation
                for generation in staged.every()
                for row in (generation.row, *generation.twins)
            }
            if params.dry_run:
                await price_planned(
                    [step.row() for step in steps], staged.every(), results, client,
                    params.max_credits, estimated, run_logger, flow_label="storyboard",
                )  # fmt: skip
                done = [_step_result(step, results[step.line], planned.get(step.line))
                        for step in steps]  # fmt: skip
                return StoryboardResult(
                    title=params.title, frame_size=params.frame_size, dry_run=True, steps=done,
                    estimated_credits=estimated, unknown_price=unknown,
                    estimate=credits_text(estimated, unknown),
                    shots=[_shot_result(params, i, done) for i in range(len(params.shots))],
                    sounds=[SoundResult.of(cue) for cue in cues],
                )  # fmt: skip
            await refuse_if_unaffordable(client, paid, params.max_credits, run_logger, caps)
            run_logger.info(
                "storyboard %s: %d generations, %d to pay for, estimated at most %s",
                params.title, len(steps), len(paid), credits_text(estimated, unknown),
            )  # fmt: skip
            budget = CreditBudget(params.max_credits, price_caps=caps)

            async def run(generations: list[PlannedGeneration]) -> None:
                await run_planned(
                    generations, results, client, destination, folder, policy,
                    params.concurrency_per_model, params.max_attempts, flow_label="storyboard",
                    input_policy=inputs, budget=budget, queue_ahead=params.queue_ahead,
                )  # fmt: skip

            await run_stages(
                staged, client, destination, folder, results, inputs, run,
                max_attempts=params.max_attempts, reserved=params.own_names(), price_caps=caps,
            )  # fmt: skip
    done = [_step_result(step, results[step.line], planned.get(step.line)) for step in steps]
    placed, sound_credits, unmade = _sounds(cues, done)
    result = StoryboardResult(
        title=params.title, frame_size=params.frame_size, steps=done,
        shots=[_shot_result(params, i, done) for i in range(len(params.shots))],
        sounds=[SoundResult.of(cue, credit) for cue, credit in zip(placed, sound_credits,
                                                                  strict=True)],
        credits=sum(results[step.line].credits or 0.0 for step in steps),
        credits_spent=sum(results[step.line].credits_spent for step in steps),
        estimated_credits=estimated, unknown_price=unknown,
        estimate=credits_text(estimated, unknown),
    )  # fmt: skip
    result = await _finish(params, destination, folder, result, run_logger, inputs, placed, unmade)
    if result.cut_uri is None:
        raise StoryboardIncomplete(_incomplete(result, params.allow_partial_cut, unmade))
    return result


def _named(shots: list[ShotResult]) -> str:
    return "; ".join(f"shot {s.number} ({s.name}): {s.reason or s.status}" for s in shots)


def _refused(params: StoryboardParams, steps: list[StepRow], results: dict[int, RowResult]) -> str:
    by_line = {step.line: step for step in steps}
    shots = sorted({by_line[line].shot for line in results})
    named = "; ".join(
        f"shot {by_line[line].shot} ({by_line[line].name}): {results[line].reason}"
        if by_line[line].step == "clip"
        else f"{by_line[line].what} ({by_line[line].name}): {results[line].reason}"
        for line in sorted(results, key=lambda line: (by_line[line].shot, line))
    )
    return (
        f"{len(shots)} of {len(params.shots)} shots cannot be submitted, so no cut could be "
        f"made; nothing was submitted (fix them, or set allow_partial_cut). {named}"
    )


def _incomplete(result: StoryboardResult, allowed: bool, unmade: dict[int, str]) -> str:
    if allowed:
        return f"every shot failed, so there is nothing to cut. {_named(result.failed)}"
    sounds = "; ".join(
        f"{result.sounds[i].shot_name} {result.sounds[i].role.replace('_', '-')}: {why}"
        for i, why in unmade.items()
    )
    failed = f"{len(result.failed)} of {len(result.shots)} shots failed"
    if unmade:
        failed = f"{failed} and {len(unmade)} sound(s) were not made"
    named = "; ".join(part for part in (_named(result.failed), sounds) if part)
    return (
        f"{failed}, so no cut was made (allow_partial_cut is off); the other clips are "
        f"stored. {named}"
    )


async def _finish(
    params: StoryboardParams,
    destination: S3Bucket,
    folder: str,
    result: StoryboardResult,
    run_logger: Any,
    inputs: InputPolicy,
    cues: list[CuePlan],
    unmade: dict[int, str],
) -> StoryboardResult:
    """Thumbnails, the cut with its sound (when allowed), storyboard.json and the thumbnails
    artifact.

    ``cues`` carry the recordings made for them; ``unmade`` says, by cue, why one was not made
    (it fails the storyboard as a failed shot does, unless ``allow_partial_cut``).
    """
    s3 = destination.credentials.get_s3_client()
    good = [shot for shot in result.shots if shot.status == "succeeded" and shot.s3_uri]
    complete = not result.failed and not unmade
    make_cut = bool(good) and (complete or params.allow_partial_cut)
    with tempfile.TemporaryDirectory(prefix="runway-storyboard-") as scratch:
        local: dict[int, Path] = {}
        for shot in good:
            bucket, key = _split(shot.s3_uri or "")
            path = Path(scratch) / f"{shot.number:03d}{Path(key).suffix}"
            await asyncio.to_thread(s3.download_file, bucket, key, str(path))
            local[shot.number] = path
            thumbnail = await asyncio.to_thread(first_frame_png, path)
            shot.thumbnail_uri = await _put(
                destination, f"{folder}/thumbnails/{shot.name}.png", thumbnail, "image/png"
            )
        for shot in result.shots:
            if shot.still_uri:  # a scene made from words: its still among the thumbnails
                bucket, key = _split(shot.still_uri)
                path = Path(scratch) / f"{shot.number:03d}-still{Path(key).suffix}"
                await asyncio.to_thread(s3.download_file, bucket, key, str(path))
                shot.still_thumbnail_uri = await _put(
                    destination, f"{folder}/thumbnails/{shot.name}-still.png",
                    await asyncio.to_thread(first_frame_png, path), "image/png",
                )  # fmt: skip
        updates: dict[str, Any] = {}
        if make_cut:
            width, height = parse_frame_size(params.frame_size)
            cut_path = Path(scratch) / "cut.mp4"
            # Checked before anything was submitted; read again (and checked again) here. A
            # recording gone or changed since then is left out of this cut, named in
            # storyboard.json and the log: the clips are paid and stored, so the cut is still
            # made, and a re-run once it is fixed pays nothing for them.
            recordings, unusable = await read_recordings(cues, destination, inputs, Path(scratch))
            unusable.update(unmade)
            for index, problem in unusable.items():
                run_logger.warning(
                    "storyboard %s: %s is left out of the cut: %s",
                    params.title, cues[index].label, problem,
                )  # fmt: skip
            in_cut = {shot.number: place for place, shot in enumerate(good, start=1)}
            laid = [i for i, cue in enumerate(cues) if cue.shot in in_cut and i in recordings]
            summary = await asyncio.to_thread(
                join_clips, [local[s.number] for s in good], cut_path,
                width=width, height=height, fps=params.fps,
                cues=[_audio_cue(cues[i], recordings[i], in_cut[cues[i].shot]) for i in laid],
                clip_level_db=params.clip_sound_level,
            )  # fmt: skip
            for shot, has_sound in zip(good, summary.clip_audio, strict=True):
                shot.has_sound = has_sound
            mixed = _mixed(cues, laid, summary, unusable)
            for sound, before in zip(mixed, result.sounds, strict=True):
                sound.credits = before.credits
            updates["sounds"] = mixed
            updates["cut_audio_peak_db"] = summary.peak_db
            cut_key = f"{folder}/{params.title}-cut.mp4"
            updates["cut_uri"] = await _put_file(destination, cut_key, cut_path, "video/mp4")
            updates["cut_seconds"] = summary.seconds
            updates["cut_thumbnail_uri"] = await _put(
                destination, f"{folder}/thumbnails/{params.title}-cut.png",
                await asyncio.to_thread(first_frame_png, cut_path), "image/png",
            )  # fmt: skip
            run_logger.info(
                "storyboard %s: cut of %d clips, %.2f s at %s, stored at %s",
                params.title, len(good), summary.seconds, params.frame_size, updates["cut_uri"],
            )  # fmt: skip
    result = result.model_copy(update=updates)
    document = {
        "title": params.title,
        "created_at": datetime.now(UTC).isoformat(),
        "frame_size": params.frame_size,
        "fps": params.fps,
        "cut_uri": result.cut_uri,
        "cut_seconds": result.cut_seconds,
        "cut_audio_peak_db": result.cut_audio_peak_db,
        "voice": params.voice,
        "levels_db": {
            "voice_over": params.voice_over_level,
            "sound_effect": params.sound_effect_level,
            "clip_sound": params.clip_sound_level,
        },
        "credits": result.credits,
        "credits_spent": result.credits_spent,
        "estimated_credits": result.estimated_credits,
        "unknown_price": result.unknown_price,
        "estimate": result.estimate,
        "shots": [shot.model_dump(mode="json") for shot in result.shots],
        "sounds": [sound.model_dump(mode="json") for sound in result.sounds],
        "steps": [step.model_dump(mode="json") for step in result.steps],
    }
    storyboard_uri = await _put(
        destination, f"{folder}/storyboard.json",
        json.dumps(document, indent=2).encode(), "application/json",
    )  # fmt: skip
    result = result.model_copy(update={"storyboard_uri": storyboard_uri})
    await _thumbnails_artifact(destination, result)
    return result


def _audio_cue(cue: CuePlan, recording: Path, place: int) -> AudioCue:
    return AudioCue(
        recording, offset=cue.offset, shot=place, level_db=cue.level_db, label=cue.label
    )


def _mixed(
    cues: list[CuePlan], laid: list[int], summary: CutSummary, unusable: dict[int, str]
) -> list[SoundResult]:
    """Each cue as the cut has it: where it starts, or why it is not there."""
    placed = dict(zip(laid, summary.cues, strict=True))
    sounds: list[SoundResult] = []
    for index, cue in enumerate(cues):
        sound = SoundResult.of(cue)
        where = placed.get(index)
        if index in unusable:
            sound.status, sound.reason = "left_out", f"its recording: {unusable[index]}"
        elif where is None:
            sound.status = "left_out"
            sound.reason = f"shot {cue.shot} ({cue.shot_name}) is not in the cut"
        elif not where.heard:
            sound.status, sound.start = "left_out", where.start
            sound.reason = (
                f"it starts at {where.start:.2f} s, after the cut ends ({summary.seconds:.2f} s)"
            )
        else:
            sound.status, sound.start = "mixed", where.start
        sounds.append(sound)
    return sounds


async def _put(destination: S3Bucket, key: str, body: bytes, content_type: str) -> str:
    full_key = resolve_key(destination, key)
    s3 = destination.credentials.get_s3_client()
    await asyncio.to_thread(
        s3.put_object,
        Bucket=destination.bucket_name, Key=full_key, Body=body, ContentType=content_type,
    )  # fmt: skip
    return f"s3://{destination.bucket_name}/{full_key}"


async def _put_file(destination: S3Bucket, key: str, path: Path, content_type: str) -> str:
    full_key = resolve_key(destination, key)
    s3 = destination.credentials.get_s3_client()
    await asyncio.to_thread(
        s3.upload_file, str(path), destination.bucket_name, full_key,
        ExtraArgs={"ContentType": content_type},
    )  # fmt: skip
    return f"s3://{destination.bucket_name}/{full_key}"


def _presigned(destination: S3Bucket, uri: str) -> str:
    bucket, key = _split(uri)
    s3 = destination.credentials.get_s3_client()
    url: str = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=THUMBNAIL_LINK_SECONDS
    )
    return url


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def _sound_line(sound: SoundResult) -> str:
    what = "voice-over" if sound.role == "voice_over" else "sound effect"
    said = f" {_cell(repr(sound.text))}" if sound.text else ""
    voice = f" ({sound.voice})" if sound.voice else ""
    if sound.status == "mixed" and sound.start is not None:
        where = f"at {sound.start:.2f} s, {sound.level_db:g} dB"
    elif sound.status == "left_out":
        where = f"left out: {_cell(sound.reason)}"
    else:
        where = f"{sound.offset:g} s into the shot, {sound.level_db:g} dB"
    return f"shot {sound.shot} ({_cell(sound.shot_name)}) {what}{said}{voice}: {where}"


async def _thumbnails_artifact(destination: S3Bucket, result: StoryboardResult) -> None:
    lines = [
        f"# Storyboard {result.title}",
        "",
        "| # | shot | thumbnail | prompt | credits | status |",
        "|---|---|---|---|---|---|",
    ]
    for shot in result.shots:
        image = (
            f"![{shot.name}]({_presigned(destination, shot.thumbnail_uri)})"
            if shot.thumbnail_uri
            else ""
        )
        if shot.still_thumbnail_uri:  # made from words: the still it starts from, first
            still = _presigned(destination, shot.still_thumbnail_uri)
            image = f"![{shot.name}-still]({still}) {image}".strip()
        status = shot.status if shot.status == "succeeded" else f"{shot.status}: {shot.reason}"
        credits = "" if shot.credits is None else f"{shot.credits:g}"
        lines.append(
            f"| {shot.number} | {_cell(shot.name)} ({shot.model}) | {image} | "
            f"{_cell(shot.prompt)} | {credits} | {_cell(status)} |"
        )
    if result.cut_uri and result.cut_thumbnail_uri:
        lines += [
            "",
            f"**Cut** ({result.cut_seconds:.2f} s, {result.frame_size}): `{result.cut_uri}`",
            "",
            f"![cut]({_presigned(destination, result.cut_thumbnail_uri)})",
        ]
    elif result.failed and len(result.failed) == len(result.shots):
        lines += ["", "**No cut was made**: every shot failed."]
    else:
        lines += ["", "**No cut was made**: a shot failed and `allow_partial_cut` is off."]
    if result.sounds:
        lines += ["", "**Sounds over the cut**", ""]
        lines += [f"- {_sound_line(sound)}" for sound in result.sounds]
    if result.steps:
        lines += ["", "**What each step cost**", ""]
        for step in result.steps:
            cost = "" if step.credits is None else f"{step.credits:g} credits"
            spent = " (stored by an earlier run)" if step.credits_spent == 0 and cost else ""
            lines.append(
                f"- shot {step.shot} {step.step} `{step.name}` ({step.model}): "
                f"{cost or _cell(step.reason or step.status)}{spent}"
            )
    lines += ["", f"{result.credits:g} credits in all. Thumbnail links expire in 7 days."]
    await acreate_markdown_artifact(
        markdown="\n".join(lines),
        key="runway-storyboard-thumbnails",
        description=f"Storyboard {result.title}: clips and cut",
    )
