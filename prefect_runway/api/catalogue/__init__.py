"""Every task-based media generation request Runway's API takes, generated from the official types.

One pydantic model per (endpoint, model): ``Gen4TurboImageToVideo``, ``Veo31TextToVideo``,
``Aleph2VideoToVideo``, ``Gen4ImageTextToImage``, ``ElevenV3TextToSpeech``... 98 in all over 14
endpoints, written by ``python3 dev.py catalogue`` from the ``runwayml`` SDK's TypedDicts
(``_models.py``, committed; a test fails when it is out of date or when the installed SDK types
a model it lacks), with numeric limits from Runway's OpenAPI document and a hand-checked layer
(cross-field rules in ``rules``, media limits in ``MEDIA_LIMITS``).

Example:
    >>> request = parse_request(
    ...     {"model": "veo3.1", "promptText": "A lighthouse at dusk", "ratio": "1280:720"}
    ... )
    >>> type(request).__name__, request.endpoint, request.to_api()["duration"]
    ('Veo31TextToVideo', 'text_to_video', 8)
"""

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from prefect_runway.api.catalogue._base import (
    CatalogueObject,
    CatalogueRequest,
    OpenCatalogueObject,
)
from prefect_runway.api.catalogue._models import *  # noqa: F403 - the generated names
from prefect_runway.api.catalogue._models import (
    CATALOGUE,
    OPENAPI_SOURCE,
    SDK_VERSION,
    VideoReference,
)
from prefect_runway.api.catalogue._models import __all__ as _generated
from prefect_runway.api.catalogue.media_limits import MEDIA_LIMITS, MediaLimit
from prefect_runway.api.catalogue.outputs import OutputKind, extension_for, output_kind

__all__ = [
    "CATALOGUE",
    "ENDPOINTS",
    "KNOWN_MODELS",
    "MEDIA_LIMITS",
    "OPENAPI_SOURCE",
    "SDK_VERSION",
    "CatalogueObject",
    "CatalogueRequest",
    "CharacterVideo",
    "MediaLimit",
    "OpenCatalogueObject",
    "OutputKind",
    "ReferenceVideo",
    "endpoint_for",
    "endpoints_of",
    "extension_for",
    "output_kind",
    "parse_request",
    "request_class",
    *_generated,
]

CharacterVideo = VideoReference
"""A moving character for Act-Two (the hand-written models' name for ``VideoReference``)."""
ReferenceVideo = VideoReference
"""Act-Two's performance clip (the hand-written models' name for ``VideoReference``)."""

ENDPOINTS: tuple[str, ...] = tuple(CATALOGUE)
"""The endpoints the catalogue covers (paths under ``/v1``)."""

_FIRST = ("gen4_turbo", "gen4.5", "veo3.1", "veo3.1_fast", "act_two")
KNOWN_MODELS: tuple[str, ...] = tuple(
    dict.fromkeys([*_FIRST, *(model for models in CATALOGUE.values() for model in models)])
)
"""Every model name, once (several models serve more than one endpoint); the original five
first, then in the SDK's order."""


def endpoints_of(model: str) -> tuple[str, ...]:
    """The endpoints that serve ``model`` (``gen4.5``: image_to_video and text_to_video).

    Example:
        >>> endpoints_of("act_two")
        ('character_performance',)
    """
    return tuple(endpoint for endpoint, models in CATALOGUE.items() if model in models)


def request_class(endpoint: str, model: str) -> type[CatalogueRequest]:
    """The request model of ``model`` on ``endpoint``.

    Raises:
        ValueError: the endpoint or the model is unknown (naming what is known).

    Example:
        >>> request_class("image_to_video", "gen4_turbo").__name__
        'Gen4TurboImageToVideo'
    """
    if endpoint not in CATALOGUE:
        raise ValueError(f"unknown endpoint {endpoint!r}; known endpoints: {list(ENDPOINTS)}")
    models = CATALOGUE[endpoint]
    if model not in models:
        raise ValueError(
            f"endpoint {endpoint!r} has no model {model!r}; its models: {list(models)}"
        )
    return models[model]


def _error(kind: str, message: str, context: dict[str, Any], value: Any) -> ValidationError:
    error = PydanticCustomError(kind, message, context)
    details: InitErrorDetails = {"type": error, "loc": ("model",), "input": value}
    return ValidationError.from_exception_data("GenerationRequest", [details])


def _keys(cls: type[CatalogueRequest]) -> tuple[set[str], list[set[str]]]:
    """Every key the model accepts, and for each required field the keys that name it.

    A field can be given by its wire name or its Python name (``promptImage``, ``prompt_image``).
    """
    accepted: set[str] = set()
    required: list[set[str]] = []
    for name, info in cls.model_fields.items():
        names = {name, info.alias or name}
        accepted |= names
        if info.is_required():
            required.append(names)
    return accepted, required


def _pick_endpoint(model: str, data: Mapping[str, Any], candidates: tuple[str, ...]) -> str:
    """Which of the endpoints serving ``model`` the keys of ``data`` are meant for.

    An endpoint fits when it accepts every key given; among those that fit, one whose required
    keys are all present wins. When none fits, the one that would refuse the fewest keys is
    chosen, so its errors explain the request.
    """
    given = set(data)
    fitting: list[str] = []
    complete: list[str] = []
    unknown: dict[str, int] = {}
    for endpoint in candidates:
        accepted, required = _keys(CATALOGUE[endpoint][model])
        unknown[endpoint] = len(given - accepted)
        if given <= accepted:
            fitting.append(endpoint)
            if all(names & given for names in required):
                complete.append(endpoint)
    for choice in (complete, fitting):
        if len(choice) == 1:
            return choice[0]
        if len(choice) > 1:
            raise _error(
                "ambiguous_endpoint",
                "model '{model}' is served by {endpoints} and the fields given fit more than "
                "one; say which with endpoint=",
                {"model": model, "endpoints": " and ".join(choice)},
                model,
            )
    return min(candidates, key=lambda endpoint: unknown[endpoint])


def endpoint_for(data: Mapping[str, Any], *, endpoint: str | None = None) -> str | None:
    """The endpoint ``parse_request`` would validate ``data`` against, without validating it.

    Returns None when the model is unknown, or ``endpoint`` is unknown or does not serve it
    (``parse_request`` then says why).

    Raises:
        pydantic.ValidationError: the fields given fit more than one endpoint of the model.

    Example:
        >>> endpoint_for({"model": "gen4.5", "promptText": "Waves", "ratio": "1280:720",
        ...               "duration": 5})
        'text_to_video'
    """
    model = data.get("model")
    if not isinstance(model, str):
        return None
    if endpoint is not None:
        return endpoint if model in CATALOGUE.get(endpoint, {}) else None
    candidates = endpoints_of(model)
    if not candidates:
        return None
    return candidates[0] if len(candidates) == 1 else _pick_endpoint(model, data, candidates)


def parse_request(data: Mapping[str, Any], *, endpoint: str | None = None) -> CatalogueRequest:
    """Validate plain data (camelCase or snake_case keys) into the request model it describes.

    The ``model`` key picks the model. Several models serve more than one endpoint (``gen4.5``
    takes an image on image_to_video and only text on text_to_video); without ``endpoint`` the
    keys given decide (a ``promptImage`` means image_to_video), and a request that fits more
    than one is refused rather than guessed.

    Args:
        data: The request body as a mapping, with a ``model`` key.
        endpoint: The endpoint (path under ``/v1``), when the caller knows it.

    Returns:
        The validated request.

    Raises:
        pydantic.ValidationError: naming each bad field, its value and what is allowed; an
            unknown or missing model lists the known ones.

    Example:
        >>> parse_request({"model": "gen4.5", "promptText": "Waves", "ratio": "1280:720",
        ...                "duration": 5}).endpoint
        'text_to_video'
    """
    model = data.get("model")
    if endpoint is not None:
        if endpoint not in CATALOGUE:
            raise _error(
                "unknown_endpoint",
                "unknown endpoint '{endpoint}'; known endpoints: {known}",
                {"endpoint": endpoint, "known": ", ".join(ENDPOINTS)},
                endpoint,
            )
        models = CATALOGUE[endpoint]
        if model not in models:
            raise _error(
                "unknown_model",
                "unknown model '{model}' for {endpoint}; its models: {known}",
                {"model": model, "endpoint": endpoint, "known": ", ".join(models)},
                model,
            )
        return models[str(model)].model_validate(dict(data))
    candidates = endpoints_of(model) if isinstance(model, str) else ()
    if not candidates:
        raise _error(
            "unknown_model",
            "unknown model '{model}'; known models: {known}",
            {"model": model, "known": ", ".join(KNOWN_MODELS)},
            model,
        )
    assert isinstance(model, str)
    chosen = candidates[0] if len(candidates) == 1 else _pick_endpoint(model, data, candidates)
    return CATALOGUE[chosen][model].model_validate(dict(data))
