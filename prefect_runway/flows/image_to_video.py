"""The image-to-video flow: one still (and a prompt) becomes a clip in S3.

The form in the Prefect UI offers every image-to-video model the catalogue types (gen4_turbo,
gen4.5, Veo and the partner models: Kling, Seedance, Wan, Hailuo, Gemini Omni, Grok...), built
from the catalogue like the other endpoint forms (``prefect_runway.flows.endpoints``): one flat
form, each field saying which models take it. Rules that depend on the model (its ratios and
durations, a required prompt, who takes a last frame) are checked before anything is uploaded
or paid for. ``dry_run`` prices it without submitting;
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

from typing import Annotated, Any, ClassVar

from prefect import flow
from pydantic import ConfigDict, Field, WithJsonSchema

from prefect_runway.api.catalogue import CATALOGUE
from prefect_runway.flows._common import FlowOutcome, RunSettings, run_generation
from prefect_runway.flows.endpoints import EndpointParams, build_params, request_fields_first
from prefect_runway.flows.parameters import (
    NOT_SET,
    OPTIONAL,
    ImageToVideoDuration,
    ImageToVideoModel,
    ImageToVideoRatio,
    MediaReference,
    OptionalMedia,
    described,
)
from prefect_runway.flows.user_errors import ends_cleanly, form_words
from prefect_runway.tasks.cancellation import cancel_runway_tasks
from prefect_runway.tasks.inputs import InputError

__all__ = [
    "ImageToVideoDuration",
    "ImageToVideoModel",
    "ImageToVideoParams",
    "ImageToVideoRatio",
    "image_to_video",
]

_ENDPOINT = "image_to_video"
_MODELS = CATALOGUE[_ENDPOINT]
_FIRST_MODELS = ("gen4_turbo", "gen4.5", "veo3.1", "veo3.1_fast")
"""The models the form offered before it offered every one: first in the dropdown."""
DEFAULT_RATIO = "1280:720"
"""The ratio sent when the form leaves it empty and the model needs one (the form's default
before it offered every model, so runs that never set a ratio send what they always sent)."""


def _wire_fields(model: str) -> dict[str, Any]:
    cls = _MODELS[model]
    return {info.alias or name: info for name, info in cls.model_fields.items()}


def _takes_last_frame(model: str) -> bool:
    """Whether the model's ``promptImage`` list takes a frame at position ``last``."""
    schema = _MODELS[model].model_json_schema(by_alias=True)
    return '"last"' in str(schema["properties"]["promptImage"]).replace("'", '"') or any(
        "last" in str(definition.get("properties", {}).get("position", {}))
        for definition in schema.get("$defs", {}).values()
        if "uri" in definition.get("properties", {})
    )


_LAST_FRAME_MODELS = [model for model in _MODELS if _takes_last_frame(model)]
_AUDIO_MODELS = [model for model in _MODELS if "audio" in _wire_fields(model)]
_RATIO_REQUIRED = [
    model
    for model in _MODELS
    if "ratio" in _wire_fields(model) and _wire_fields(model)["ratio"].is_required()
]
# Models whose Runway default is sound on: the form's "on" (its default) is then not sent, as
# before the form offered every model (a request is the same generation with or without it).
_AUDIO_ON_BY_DEFAULT = frozenset(
    model for model in _AUDIO_MODELS if _wire_fields(model)["audio"].default is True
)


def _durations() -> str:
    """Each model's durations, models with the same ones together: "2-10: gen4.5, gen4_turbo;
    4, 6 or 8: veo3.1, veo3.1_fast; ...", read from the catalogue's limits."""
    groups: dict[str, list[str]] = {}
    for model in _FIRST_MODELS + tuple(m for m in _MODELS if m not in _FIRST_MODELS):
        schema = _MODELS[model].model_json_schema(by_alias=True)["properties"].get("duration")
        if schema is None:
            continue
        words: list[str] = []
        for leaf in schema.get("anyOf", [schema]):
            if leaf.get("type") == "null":
                continue
            if "enum" in leaf or "const" in leaf:
                values = [str(v) for v in leaf.get("enum", [leaf.get("const")])]
                words.append(
                    ", ".join(values[:-1]) + " or " + values[-1] if len(values) > 1 else values[0]
                )
            elif leaf.get("type") in ("integer", "number"):
                words.append(f"{leaf.get('minimum', '?')}-{leaf.get('maximum', '?')}")
        groups.setdefault(" or ".join(words), []).append(model)
    return "; ".join(f"{words}: {', '.join(models)}" for words, models in groups.items())


def _form_schema(schema: dict[str, Any]) -> None:
    """The form's order (model, the request, then the run's settings) and the two fields whose
    help depends on the model."""
    request_fields_first(schema)
    properties: dict[str, Any] = schema.get("properties", {})
    if "ratio" in properties:
        properties["ratio"]["description"] = (
            "The output's size; each model takes its own ratios (checked on submit). Empty: "
            f"{DEFAULT_RATIO} for {', '.join(_RATIO_REQUIRED)}, which need one; the others "
            "follow the image or their own default."
        )
    if "duration" in properties:
        properties["duration"]["description"] = (
            "Seconds of video, by model: "
            + _DURATIONS
            + ". Empty: the model's default (gen4_turbo 10, Veo 8; gen4.5 needs one)."
        )


_DURATIONS = _durations()


def _duration_bounds() -> tuple[int, int]:
    """The fewest and most whole seconds any image-to-video model takes."""
    numbers: list[int] = []
    for cls in _MODELS.values():
        schema = cls.model_json_schema(by_alias=True)["properties"].get("duration", {})
        for leaf in schema.get("anyOf", [schema]):
            numbers += [v for v in leaf.get("enum", [leaf.get("const")]) if isinstance(v, int)]
            numbers += [int(leaf[k]) for k in ("minimum", "maximum") if k in leaf]
    return min(numbers), max(numbers)


_FEWEST_SECONDS, _MOST_SECONDS = _duration_bounds()

# A whole number, as the form sent before it offered every model: runs started through the API
# with ``"duration": 5`` keep passing the server's schema check. Seedance's "auto" is the one
# value it leaves out (its default when empty; "auto" itself through ``generate``).
FormDuration = Annotated[
    int | None,
    described("Duration", "Seconds of video.", ge=_FEWEST_SECONDS, le=_MOST_SECONDS),
    # Without the null branch pydantic would add (a type toggle in the form).
    WithJsonSchema({"type": "integer", "minimum": _FEWEST_SECONDS, "maximum": _MOST_SECONDS}),
    *OPTIONAL,
]


class _ImageToVideoForm(EndpointParams):
    """The fields the image-to-video form keeps from before it offered every model."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_form_schema)

    OWN_FIELDS: ClassVar[frozenset[str]] = frozenset({"promptImage", "audio", "duration"})
    # Runway's request fields -> this form's, for messages in the words of the form; the
    # catalogue's other fields are added by ``build_params`` (snake_case).
    FORM_FIELDS: ClassVar[dict[str, str]] = {
        "model": "model",
        "promptImage": "image",
        "audio": "audio",
        "duration": "duration",
    }

    image: MediaReference = Field(
        title="Image",
        description="The first frame: an s3://bucket/key object, an https URL, or a path on "
        "the machine that runs the flow.",
    )
    last_frame: OptionalMedia = Field(
        default=NOT_SET,
        title="Last frame",
        description="An image the clip should end on (s3://, https or a path). Only for: "
        f"{', '.join(_LAST_FRAME_MODELS)}.",
    )
    duration: FormDuration = NOT_SET
    audio: bool = Field(
        default=True,
        title="Audio",
        description="Generate sound (off is cheaper where sound is priced). Models without "
        f"sound ignore it. Only for: {', '.join(_AUDIO_MODELS)}.",
    )

    def request(self) -> dict[str, Any]:
        """Runway's request body, media by reference (validated by ``spec().validate_request``).

        For gen4_turbo, gen4.5, veo3.1 and veo3.1_fast it is the body the form sent before it
        offered every model, so their generation keys (and stored outputs) are unchanged.
        """
        prompt_image: Any = self.image
        if self.last_frame is not None:
            prompt_image = [
                {"uri": self.image, "position": "first"},
                {"uri": self.last_frame, "position": "last"},
            ]
        body: dict[str, Any] = {"model": self.model, "promptImage": prompt_image}
        generic = super().request()
        ratio = generic.pop("ratio", None)
        if ratio is None and self.model in _RATIO_REQUIRED:
            ratio = DEFAULT_RATIO
        if ratio is not None:
            body["ratio"] = ratio
        body.update({wire: value for wire, value in generic.items() if wire != "model"})
        if self.duration is not None:
            body["duration"] = self.duration
        if self.model in _AUDIO_MODELS and not (self.audio and self.model in _AUDIO_ON_BY_DEFAULT):
            body["audio"] = self.audio
        return body


_ImageToVideoParams = build_params(
    _ENDPOINT, "ImageToVideoParams", base=_ImageToVideoForm, first_models=_FIRST_MODELS
)


# A class statement (not only the built class) so that users' type checkers can name it in an
# annotation; its fields come from the catalogue when this module is imported.
class ImageToVideoParams(_ImageToVideoParams):  # type: ignore[misc,valid-type]
    """One image-to-video generation (any model Runway's image_to_video endpoint serves),
    where it goes, and how much it may cost.

    A flat form built from the catalogue: ``model`` is a dropdown of every image-to-video
    model; each request field says which models take it ("Only for: ...") and which need it
    ("Required by: ..."); the chosen model's own rules judge the fields given before anything
    is uploaded or paid for.
    """


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
