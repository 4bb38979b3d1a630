"""Every generation request this package can submit, and parsing one from plain data.

The requests are the catalogue's (``prefect_runway.api.catalogue``): 98 models over 14
endpoints. ``parse_generation_request`` keeps its name and behaviour for the original five
models and now takes every other one too.

Example:
    >>> request = parse_generation_request(
    ...     {"model": "gen4_turbo", "promptImage": "https://example.com/a.png", "ratio": "960:960"}
    ... )
    >>> type(request).__name__, request.endpoint
    ('Gen4TurboImageToVideo', 'image_to_video')
"""

from collections.abc import Mapping
from typing import Any

from prefect_runway.api.catalogue import KNOWN_MODELS, CatalogueRequest, parse_request

__all__ = [
    "KNOWN_MODELS",
    "GenerationRequest",
    "parse_generation_request",
]

GenerationRequest = CatalogueRequest
"""Any request this package can submit (the base class of every catalogue model)."""


def parse_generation_request(
    data: Mapping[str, Any], *, endpoint: str | None = None
) -> GenerationRequest:
    """Validate plain data (camelCase or snake_case keys) into a typed request.

    Args:
        data: The request as a mapping, with a ``model`` key.
        endpoint: The endpoint, for a model several endpoints serve when the keys given do
            not tell which (see ``prefect_runway.api.catalogue.parse_request``).

    Returns:
        The request model for that model.

    Raises:
        pydantic.ValidationError: naming each bad field, its value and what is allowed;
            an unknown or missing model lists the known ones.
    """
    return parse_request(data, endpoint=endpoint)
