"""Every generation request this package can submit, and parsing one from plain data.

Example:
    >>> request = parse_generation_request(
    ...     {"model": "gen4_turbo", "promptImage": "https://example.com/a.png", "ratio": "960:960"}
    ... )
    >>> type(request).__name__, request.endpoint
    ('Gen4TurboImageToVideo', 'image_to_video')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from prefect_runway.api.character_performance import ActTwoCharacterPerformance
from prefect_runway.api.image_to_video import (
    Gen4TurboImageToVideo,
    Gen45ImageToVideo,
    Veo31FastImageToVideo,
    Veo31ImageToVideo,
)

__all__ = [
    "KNOWN_MODELS",
    "GenerationRequest",
    "parse_generation_request",
]

GenerationRequest = Annotated[
    Gen4TurboImageToVideo
    | Gen45ImageToVideo
    | Veo31ImageToVideo
    | Veo31FastImageToVideo
    | ActTwoCharacterPerformance,
    Field(discriminator="model"),
]
"""Any request this package can submit, told apart by its ``model``."""

_MODELS: dict[str, type[Any]] = {
    "gen4_turbo": Gen4TurboImageToVideo,
    "gen4.5": Gen45ImageToVideo,
    "veo3.1": Veo31ImageToVideo,
    "veo3.1_fast": Veo31FastImageToVideo,
    "act_two": ActTwoCharacterPerformance,
}
KNOWN_MODELS: tuple[str, ...] = tuple(_MODELS)
"""The models this package knows, in the order the docs list them."""


def parse_generation_request(data: Mapping[str, Any]) -> GenerationRequest:
    """Validate plain data (camelCase or snake_case keys) into a typed request.

    Args:
        data: The request as a mapping, with a ``model`` key.

    Returns:
        The request model for that model.

    Raises:
        pydantic.ValidationError: naming each bad field, its value and what is allowed;
            an unknown or missing model lists the known ones.
    """
    model = data.get("model")
    if model not in _MODELS:
        error = PydanticCustomError(
            "unknown_model",
            "unknown model '{model}'; known models: {known}",
            {"model": model, "known": ", ".join(KNOWN_MODELS)},
        )
        details: InitErrorDetails = {"type": error, "loc": ("model",), "input": model}
        raise ValidationError.from_exception_data("GenerationRequest", [details])
    request: GenerationRequest = _MODELS[model].model_validate(dict(data))
    return request
