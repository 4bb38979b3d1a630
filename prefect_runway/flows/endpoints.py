"""A flow per endpoint of the catalogue, each with one flat form: a model dropdown and every field.

A union of a dozen request models is not a form. Each endpoint's parameters are one flat
pydantic model built from the catalogue (``prefect_runway.api.catalogue``) when this module is
imported: its first field is ``model``, a dropdown of every model of the endpoint, then every
request field any of those models takes, optional, in snake_case, each described with the
models that take it ("Only for: ...") and those that require it ("Required by: ...").
``request()`` sends only the fields given, and the chosen model's own rules judge them before
anything is read or paid: a field the model does not take is refused by name.

Field shapes, for the form (Prefect 3.8.8's rules: ``prefect_runway.flows.parameters``):

* choices (``ratio``, ``outputFormat``...) are a dropdown of every value any model takes;
* numbers take the loosest bounds over the models (each model's own are checked on submit);
* media fields are text: a local path, an ``s3://bucket/key`` object or an https URL. A list of
  frames or references (``referenceImages``, ``referenceAudio``...) is a list of those, sent as
  ``[{"uri": ...}]``;
* anything richer (a ``voice`` object, ``keyframes``...) is JSON text (a JSON editor is no
  plain form field), written as Runway's request documents it (camelCase keys); media inside
  it may be paths or ``s3://`` objects too. From Python, pass the object itself.

The image-to-video form is built here too, on a base that keeps its older fields (``image``,
``last_frame``, ``audio``: ``prefect_runway.flows.image_to_video``); Act-Two keeps its own
hand-made form (``prefect_runway.flows.character_performance``).

Example:
    ```python
    from prefect_runway.flows.endpoints import TextToImageParams, text_to_image

    outcome = await text_to_image(
        TextToImageParams(
            model="gen4_image_turbo",
            prompt_text="A lighthouse at dusk, oil painting",
            ratio="1920:1080",
            reference_images=["s3://stills/lighthouse.png"],
            destination_block="renders",
            name="lighthouse",
        )
    )
    print(outcome.output_uri)  # s3://<bucket>/<folder>/lighthouse.png
    ```
"""

import json
import re
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, ClassVar, Literal, cast

from prefect import Flow, flow
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    create_model,
)
from pydantic.alias_generators import to_snake

from prefect_runway.api.catalogue import CATALOGUE, CatalogueRequest
from prefect_runway.flows._common import FlowOutcome, RunSettings, run_generation
from prefect_runway.flows.parameters import (
    MEDIA_MAX_LENGTH,
    NOT_SET,
    OPTIONAL,
    AllowResubmit,
    CredentialsBlockName,
    DestinationBlock,
    DryRun,
    KeyPrefix,
    MaxAttempts,
    MaxCredits,
    MaxQueueMinutes,
    MaxRunMinutes,
    OutputName,
    PollInterval,
    PriceCap,
    Seed,
    Variant,
    described,
)
from prefect_runway.flows.user_errors import ends_cleanly, form_words, from_validation_error
from prefect_runway.tasks.cancellation import cancel_runway_tasks
from prefect_runway.tasks.inputs import InputError
from prefect_runway.tasks.spec import GenerationSpec

__all__ = [
    "ENDPOINT_FLOWS",
    "EndpointParams",
    "ImageUpscaleParams",
    "SoundEffectParams",
    "SpeechToSpeechParams",
    "TextToImageParams",
    "TextToSpeechParams",
    "TextToVideoParams",
    "VideoToAudioParams",
    "VideoToHdrParams",
    "VideoToVideoParams",
    "VideoUpscaleParams",
    "VoiceDubbingParams",
    "VoiceIsolationParams",
    "image_upscale",
    "sound_effect",
    "speech_to_speech",
    "text_to_image",
    "text_to_speech",
    "text_to_video",
    "video_to_audio",
    "video_to_hdr",
    "video_to_video",
    "video_upscale",
    "voice_dubbing",
    "voice_isolation",
]

JSON_MAX_LENGTH = 20_000
"""The form's limit on a field written as JSON."""

TEXT_MAX_LENGTH = 5000
"""The form's limit on a free-text field whose models state none (Runway's prompts are shorter;
each model's own limit is checked on submit)."""

_DESCRIPTION_MAX = 400
_SETTINGS = frozenset(
    {
        "model", "name", "variant", "destination_block", "prefix", "credentials_block",
        "dry_run", "max_credits", "price_cap", "max_attempts", "poll_interval",
        "max_queue_minutes", "max_run_minutes", "allow_resubmit",
    }
)  # fmt: skip


def request_fields_first(schema: dict[str, Any]) -> None:
    """The form reads model, the request's fields, then where it goes and what it may cost
    (pydantic would put the inherited settings first)."""
    properties: dict[str, Any] = schema.get("properties", {})
    ordered = sorted(properties, key=lambda name: name != "model" and name in _SETTINGS)
    schema["properties"] = {name: properties[name] for name in ordered}


class EndpointParams(BaseModel):
    """One generation on an endpoint of the catalogue, where it goes, and what it may cost.

    Subclasses are built per endpoint (``TextToVideoParams``...); their request fields are
    listed in ``FORM_FIELDS`` (Runway's name -> the form's).
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra=request_fields_first)

    ENDPOINT: ClassVar[str] = ""
    FORM_FIELDS: ClassVar[dict[str, str]] = {}
    URI_LISTS: ClassVar[frozenset[str]] = frozenset()
    """Form fields of plain references sent as ``[{"uri": ...}]``."""
    NUMERIC_CHOICES: ClassVar[frozenset[str]] = frozenset()
    """Dropdowns mixing numbers and words (``duration``: 5 or ``auto``), offered as text."""
    OWN_FIELDS: ClassVar[frozenset[str]] = frozenset()
    """Runway's fields a subclass declares and writes into the body itself (the image-to-video
    form's ``image`` and ``last_frame`` make ``promptImage``)."""

    model: str
    name: OutputName = NOT_SET
    variant: Variant = ""
    destination_block: DestinationBlock = "renders"
    prefix: KeyPrefix = ""
    credentials_block: CredentialsBlockName = "runway"
    dry_run: DryRun = False
    max_credits: MaxCredits = NOT_SET
    price_cap: PriceCap = NOT_SET
    max_attempts: MaxAttempts = 3
    poll_interval: PollInterval = 5.0
    max_queue_minutes: MaxQueueMinutes = NOT_SET
    max_run_minutes: MaxRunMinutes = NOT_SET
    allow_resubmit: AllowResubmit = False

    @property
    def price_caps(self) -> dict[str, float] | None:
        """The run's price cap, for its model (``RunSettings`` reads it)."""
        return None if self.price_cap is None else {self.model: self.price_cap}

    def request(self) -> dict[str, Any]:
        """Runway's request body from the fields given, media by reference."""
        body: dict[str, Any] = {"model": self.model}
        for wire, form in self.FORM_FIELDS.items():
            if wire in self.OWN_FIELDS:
                continue
            value = getattr(self, form)
            if value is None:
                continue
            if form in self.URI_LISTS:
                value = [{"uri": uri} for uri in value]
            elif form in self.NUMERIC_CHOICES and isinstance(value, str):
                value = _number_or_word(value)
            body[wire] = value
        return body

    def spec(self) -> GenerationSpec:
        """The generation, its request checked against the chosen model's rules.

        Raises:
            ParameterError: a field breaks a rule of the chosen model, or the model does not
                take it (named as in the form).
        """
        spec = GenerationSpec(
            request=self.request(), endpoint=self.ENDPOINT, name=self.name, variant=self.variant
        )
        try:
            spec.validate_request()
        except ValidationError as error:
            raise from_validation_error(error, self.FORM_FIELDS) from None
        return spec


def _number_or_word(value: str) -> int | float | str:
    text = value.strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    return text


# ---------------------------------------------------------------------------------------------
# Building a form from the catalogue


def _leaves(schema: dict[str, Any], defs: dict[str, Any]) -> list[dict[str, Any]]:
    """The alternatives of a JSON schema, unions flattened and references resolved."""
    if "$ref" in schema:
        return _leaves(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return [leaf for option in schema[key] for leaf in _leaves(option, defs)]
    if schema.get("type") == "null":
        return []
    return [schema]


def _words(wire: str) -> str:
    snake = to_snake(wire).replace("_", " ")
    return snake[:1].upper() + snake[1:]


class _Field:
    """What the models of an endpoint say about one request field."""

    def __init__(self, wire: str) -> None:
        self.wire = wire
        self.models: list[str] = []
        self.required_by: list[str] = []
        self.leaves: list[dict[str, Any]] = []
        self.description = ""
        self.media: set[str] = set()  # "plain", "uri_list", "list", "nested"

    def add(self, model: str, cls: type[CatalogueRequest], python_name: str) -> None:
        info = cls.model_fields[python_name]
        self.models.append(model)
        if info.is_required():
            self.required_by.append(model)
        if not self.description and info.description:
            self.description = " ".join(info.description.split())
        adapter: TypeAdapter[Any] = TypeAdapter(cast(Any, info.annotation))
        schema = adapter.json_schema(by_alias=True)
        defs = schema.get("$defs", {})
        leaves = _leaves(schema, defs)
        self.leaves.extend(leaves)
        # A list of {"uri": ...} is offered as a list of references only when an item needs
        # nothing but its uri (Aleph's keyframes need their second too: JSON for those).
        items = [
            item
            for leaf in leaves
            if leaf.get("type") == "array"
            for item in _leaves(leaf.get("items", {}), defs)
        ]
        only_uri = all(set(item.get("required", [])) <= {"uri"} for item in items)
        for pattern, _kind in cls.media_fields:
            head, _, rest = pattern.partition(".")
            if head == self.wire and not rest:
                self.media.add("plain")
            elif head == f"{self.wire}[]" and not rest:
                self.media.add("list")
            elif head == f"{self.wire}[]" and rest == "uri" and only_uri:
                self.media.add("uri_list")
            elif head.removesuffix("[]") == self.wire:
                self.media.add("nested")

    def describe(self, all_models: list[str]) -> str:
        text = self.description or f"Runway's {self.wire} field."
        if len(text) > _DESCRIPTION_MAX:
            text = text[: _DESCRIPTION_MAX - 3].rstrip() + "..."
        if self.media & {"plain", "list", "uri_list"}:
            text += " Media: a local path, s3://bucket/key or https URL."
        if self.media and self.media <= {"list", "uri_list"}:
            text += " One per line."
        if set(self.models) != set(all_models):
            text += f" Only for: {', '.join(self.models)}."
        if self.required_by:
            text += f" Required by: {', '.join(self.required_by)}."
        return text


def _form_field(field: _Field, all_models: list[str]) -> tuple[Any, str]:
    """``(annotation, kind)`` of a field in the flat form; kind is ``uri_list``,
    ``numeric_choice`` or ``plain``."""
    title = _words(field.wire)
    description = field.describe(all_models)

    def optional(py_type: Any, schema: dict[str, Any], *validators: Any) -> Any:
        return Annotated[
            py_type | None,
            described(title, description),
            *validators,
            _plain_schema(schema),
            *OPTIONAL,
        ]

    if "nested" in field.media:
        # Media inside objects (a voice clip, keyframes): JSON as Runway documents it.
        return _json_field(field, optional), "plain"
    if field.media and field.media <= {"plain", "uri_list"} and "plain" in field.media:
        text = {"type": "string", "maxLength": MEDIA_MAX_LENGTH}
        return optional(str, text, Field(min_length=1, max_length=None)), "plain"
    if field.media and field.media <= {"list", "uri_list"}:
        items = {"type": "string", "maxLength": MEDIA_MAX_LENGTH}
        kind = "uri_list" if "uri_list" in field.media else "plain"
        return optional(list[str], {"type": "array", "items": items}), kind
    leaves = field.leaves
    if leaves and all("enum" in leaf or "const" in leaf for leaf in leaves):
        values: list[Any] = []
        for leaf in leaves:
            for value in leaf.get("enum", [leaf.get("const")]):
                if value not in values:
                    values.append(value)
        if all(isinstance(v, str) for v in values):
            return optional(Literal[tuple(values)], {"type": "string", "enum": values}), "plain"
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            schema = {"type": "integer", "enum": values}
            return optional(Literal[tuple(values)], schema), "plain"
        words = [str(v) for v in values]
        return optional(Literal[tuple(words)], {"type": "string", "enum": words}), "numeric_choice"
    types = {leaf.get("type") for leaf in leaves}
    choices = [leaf for leaf in leaves if "enum" in leaf or "const" in leaf]
    free = {leaf.get("type") for leaf in leaves if "enum" not in leaf and "const" not in leaf}
    if choices and free <= {"integer", "number"}:
        # Numbers or words (duration: 4 to 15, or "auto"): text, read as a number when it is one.
        text = {"type": "string", "maxLength": 32}
        return optional(int | float | str, text), "numeric_choice"
    if choices and free <= {"string"}:
        # Fixed choices for some models, free text for others (ratio): text.
        return optional(str, {"type": "string", "maxLength": 64}, Field(max_length=64)), "plain"
    if leaves and types <= {"integer", "number"} and not any("enum" in leaf for leaf in leaves):
        number: dict[str, Any] = {"type": "integer" if types == {"integer"} else "number"}
        lows = [leaf.get("minimum", leaf.get("exclusiveMinimum")) for leaf in leaves]
        highs = [leaf.get("maximum", leaf.get("exclusiveMaximum")) for leaf in leaves]
        if lows and all(low is not None for low in lows):
            number["minimum"] = min(cast(list[float], lows))
        if highs and all(high is not None for high in highs):
            number["maximum"] = max(cast(list[float], highs))
        py_type = int if types == {"integer"} else float
        return optional(py_type, number), "plain"
    if leaves and types == {"string"} and not any("enum" in leaf for leaf in leaves):
        limit = max((leaf.get("maxLength", TEXT_MAX_LENGTH) for leaf in leaves), default=0)
        return optional(str, {"type": "string", "maxLength": limit}), "plain"
    if leaves and types == {"boolean"}:
        return optional(bool, {"type": "boolean"}), "plain"
    return _json_field(field, optional), "plain"


def _json_field(field: _Field, optional: Callable[..., Any]) -> Any:
    """An object or list as JSON text: both UIs render an object field as a JSON code editor,
    which the forms avoid; Python callers may pass the object itself."""
    is_list = {leaf.get("type") for leaf in field.leaves} <= {"array"}
    py_type: Any = list[Any] if is_list else dict[str, Any]
    text = {"type": "string", "maxLength": JSON_MAX_LENGTH}
    return optional(py_type, text, BeforeValidator(_json_text))


def _json_text(value: object) -> object:
    if not isinstance(value, str):
        return value
    if not value.strip():
        return None
    try:
        return json.loads(value)
    except ValueError as error:
        raise ValueError(
            f"write this field as JSON, as Runway's API documents it (camelCase keys): {error}"
        ) from None


def _plain_schema(schema: dict[str, Any]) -> Any:
    from pydantic import WithJsonSchema

    return WithJsonSchema(schema)


def build_params(
    endpoint: str,
    class_name: str,
    *,
    base: type[EndpointParams] = EndpointParams,
    first_models: tuple[str, ...] = (),
) -> type[EndpointParams]:
    """The flat parameter model of ``endpoint``: a model dropdown and every field.

    Args:
        endpoint: The catalogue endpoint.
        class_name: The model's name.
        base: The class to build on; the request fields in its ``OWN_FIELDS`` it declares
            itself (under the names its ``FORM_FIELDS`` give), so they are not generated.
        first_models: Models the dropdown lists first, the first of them its default (the
            endpoint's models in the SDK's order otherwise).

    Example:
        >>> params = build_params("sound_effect", "SoundEffectParams")
        >>> params.model_json_schema()["properties"]["model"]["enum"][:2]
        ['seed_audio', 'mirelo_sfx_2_0']
    """
    models = CATALOGUE[endpoint]
    names = list(dict.fromkeys([*first_models, *models]))
    found: dict[str, _Field] = {}
    for model in names:
        cls = models[model]
        for python_name, info in cls.model_fields.items():
            wire = info.alias or python_name
            if wire == "model" or wire in base.OWN_FIELDS:
                continue
            found.setdefault(wire, _Field(wire)).add(model, cls, python_name)
    definitions: dict[str, Any] = {
        "model": (
            # A dropdown even for an endpoint of one model (pydantic would write a ``const``).
            Annotated[Literal[tuple(names)], _plain_schema({"type": "string", "enum": names})],
            Field(
                default=names[0],
                title="Model",
                description=f"The {endpoint.replace('_', '-')} model: {', '.join(names)}. "
                "Fields below say which models take them.",
                json_schema_extra={
                    "title": "Model",
                    "description": f"The {endpoint.replace('_', '-')} model. Fields below say "
                    "which models take them.",
                },
            ),
        )
    }
    form_fields: dict[str, str] = dict(base.FORM_FIELDS)
    uri_lists: set[str] = set()
    numeric: set[str] = set()
    for wire, field in found.items():
        form = to_snake(wire)
        if form in _SETTINGS:
            form = f"request_{form}"
        # A parameter every form shares reads the same everywhere (one declaration); a model
        # that does not take it is refused by name on submit.
        annotation, kind = (Seed, "plain") if form == "seed" else _form_field(field, names)
        definitions[form] = (annotation, NOT_SET)
        form_fields[wire] = form
        if kind == "uri_list":
            uri_lists.add(form)
        elif kind == "numeric_choice":
            numeric.add(form)
    params = create_model(
        class_name,
        __base__=base,
        __module__=__name__,
        __doc__=f"One {endpoint.replace('_', '-')} generation, where it goes, and what it may "
        "cost.",
        **definitions,
    )
    params.ENDPOINT = endpoint
    params.FORM_FIELDS = form_fields
    params.URI_LISTS = frozenset(uri_lists)
    params.NUMERIC_CHOICES = frozenset(numeric)
    return cast(type[EndpointParams], params)


def _endpoint_flow(
    endpoint: str, params_class: type[EndpointParams]
) -> Flow[[EndpointParams], Coroutine[Any, Any, FlowOutcome]]:
    kind = endpoint.replace("_", "-")

    async def run(params: EndpointParams) -> FlowOutcome:
        spec = params.spec()
        settings = RunSettings.model_validate(params)
        try:
            return await run_generation(spec, settings, kind=kind)
        except InputError as error:
            raise form_words(error, params.FORM_FIELDS) from None

    # The form is built from the signature: each flow's parameter is its own endpoint's model.
    run.__annotations__ = {"params": params_class, "return": FlowOutcome}
    run.__name__ = run.__qualname__ = endpoint
    run.__doc__ = (
        f"Generate with Runway's {endpoint} endpoint (any of its models) and store every "
        "output in S3, once. A re-run with the same parameters pays nothing; a model without a "
        "published price needs a price cap when the run has max credits."
    )
    made: Callable[..., Any] = ends_cleanly(run)
    return flow(name=f"runway-{kind}", log_prints=False, on_cancellation=[cancel_runway_tasks])(
        made
    )


TextToVideoParams = build_params("text_to_video", "TextToVideoParams")
VideoToVideoParams = build_params("video_to_video", "VideoToVideoParams")
TextToImageParams = build_params("text_to_image", "TextToImageParams")
ImageUpscaleParams = build_params("image_upscale", "ImageUpscaleParams")
VideoUpscaleParams = build_params("video_upscale", "VideoUpscaleParams")
VideoToHdrParams = build_params("video_to_hdr", "VideoToHdrParams")
SoundEffectParams = build_params("sound_effect", "SoundEffectParams")
TextToSpeechParams = build_params("text_to_speech", "TextToSpeechParams")
SpeechToSpeechParams = build_params("speech_to_speech", "SpeechToSpeechParams")
VideoToAudioParams = build_params("video_to_audio", "VideoToAudioParams")
VoiceDubbingParams = build_params("voice_dubbing", "VoiceDubbingParams")
VoiceIsolationParams = build_params("voice_isolation", "VoiceIsolationParams")

text_to_video = _endpoint_flow("text_to_video", TextToVideoParams)
video_to_video = _endpoint_flow("video_to_video", VideoToVideoParams)
text_to_image = _endpoint_flow("text_to_image", TextToImageParams)
image_upscale = _endpoint_flow("image_upscale", ImageUpscaleParams)
video_upscale = _endpoint_flow("video_upscale", VideoUpscaleParams)
video_to_hdr = _endpoint_flow("video_to_hdr", VideoToHdrParams)
sound_effect = _endpoint_flow("sound_effect", SoundEffectParams)
text_to_speech = _endpoint_flow("text_to_speech", TextToSpeechParams)
speech_to_speech = _endpoint_flow("speech_to_speech", SpeechToSpeechParams)
video_to_audio = _endpoint_flow("video_to_audio", VideoToAudioParams)
voice_dubbing = _endpoint_flow("voice_dubbing", VoiceDubbingParams)
voice_isolation = _endpoint_flow("voice_isolation", VoiceIsolationParams)

ENDPOINT_FLOWS: dict[str, Flow[[EndpointParams], Coroutine[Any, Any, FlowOutcome]]] = {
    "text_to_video": text_to_video,
    "video_to_video": video_to_video,
    "text_to_image": text_to_image,
    "image_upscale": image_upscale,
    "video_upscale": video_upscale,
    "video_to_hdr": video_to_hdr,
    "sound_effect": sound_effect,
    "text_to_speech": text_to_speech,
    "speech_to_speech": speech_to_speech,
    "video_to_audio": video_to_audio,
    "voice_dubbing": voice_dubbing,
    "voice_isolation": voice_isolation,
}
"""The flow of each endpoint this module serves (image_to_video and character_performance have
their own)."""
