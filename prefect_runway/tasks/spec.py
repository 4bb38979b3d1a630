"""A generation as flows describe it: Runway's request, with media given by reference.

Media fields (``promptImage``, ``character.uri``, ``reference.uri``) may hold a local path, an
``s3://bucket/key`` object, an https URL, a data URI or a ``runway://`` upload URI. Everything
else is checked against Runway's rules at once, before any file is read or uploaded, by
validating the request with placeholder URIs in the media fields.

Example:
    >>> spec = GenerationSpec(
    ...     request={"model": "gen4_turbo", "promptImage": "stills/a.png", "ratio": "960:960"}
    ... )
    >>> [ref.value for ref in spec.media()]
    ['stills/a.png']
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from prefect_runway.api import GenerationRequest, parse_generation_request
from prefect_runway.api.errors import PrefectRunwayError
from prefect_runway.api.media import MediaKind, redact_url
from prefect_runway.tasks.locations import check_name

__all__ = ["GenerationSpec", "InputError", "MediaRef", "RefKind", "classify_ref", "shown_value"]


class RefKind(StrEnum):
    """Where a media reference points."""

    LOCAL = "local"
    S3 = "s3"
    HTTPS = "https"
    DATA = "data"
    RUNWAY = "runway"


def classify_ref(value: str) -> RefKind:
    """The kind of a media reference; anything that is not a URI is a local path."""
    lowered = value[:12].lower()
    if lowered.startswith("s3://"):
        return RefKind.S3
    if lowered.startswith(("https://", "http://")):
        return RefKind.HTTPS
    if lowered.startswith("data:"):
        return RefKind.DATA
    if lowered.startswith("runway://"):
        return RefKind.RUNWAY
    return RefKind.LOCAL


@dataclass(frozen=True)
class MediaRef:
    """One media field of a request and the reference it holds.

    Attributes:
        path: Where it sits in the camelCase body, e.g. ``("promptImage", 0, "uri")``.
        value: The reference as given.
        kind: Whether the field takes an image or a video.
        field: A readable name of the field, for errors.
    """

    path: tuple[str | int, ...]
    value: str
    kind: MediaKind

    @property
    def field(self) -> str:
        return ".".join(str(part) for part in self.path)

    @property
    def ref_kind(self) -> RefKind:
        return classify_ref(self.value)


def shown_value(value: str, limit: int = 120) -> str:
    """A reference as errors show it: a data URI without its body, anything long shortened.

    Example:
        >>> shown_value("data:image/png;base64," + "A" * 1000)
        'data:image/png;base64,... (1022 characters)'
    """
    if value[:5].lower() == "data:":
        return redact_url(value)
    return value if len(value) <= limit else f"{value[:limit]}... ({len(value)} characters)"


class InputError(PrefectRunwayError, ValueError):
    """An input cannot be sent to Runway; nothing was spent.

    The message names the field, the value (a data URI without its body) and the rule.

    Attributes:
        field: The field, for example ``promptImage`` or ``reference.uri``.
        value: The value as given (shortened, a data URI without its body).
        problem: What is wrong, and what is allowed.
    """

    def __init__(self, ref: MediaRef | str, problem: str, *, value: str = "") -> None:
        field = ref.field if isinstance(ref, MediaRef) else ref
        raw = ref.value if isinstance(ref, MediaRef) else value
        self.field = field
        self.value = shown_value(raw)
        self.problem = problem
        super().__init__(f"{field} ({self.value!r}): {problem}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Prefect pickles exceptions into failed states; the keyword-only value must survive.
        return (_rebuild_input_error, (type(self), self.field, self.value, self.problem))


def _rebuild_input_error(cls: type[InputError], field: str, value: str, problem: str) -> InputError:
    return cls(field, problem, value=value)


def _camel_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {to_camel(str(k)) if "_" in str(k) else k: _camel_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel_keys(item) for item in value]
    return value


class GenerationSpec(BaseModel):
    """One generation to run.

    Attributes:
        request: Runway's request body (camelCase or snake_case keys), with media by reference.
        name: Stem of the output's S3 key (one segment: letters, digits, ``_ - .``; see
            ``tasks/locations.py``); defaults to the generation key.
        variant: Change it to ask on purpose for a new generation of an identical request.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    request: dict[str, Any]
    name: str | None = Field(default=None)
    variant: str = ""

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str | None) -> str | None:
        # One path segment that cannot climb out of the prefix or collide (tasks/locations.py).
        return None if name is None else check_name(name)

    @field_validator("request")
    @classmethod
    def _normalise(cls, request: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = _camel_keys(request)
        return body

    @property
    def model(self) -> str:
        return str(self.request.get("model"))

    def media(self) -> Iterator[MediaRef]:
        """Every media field of the request, in a stable order."""
        body = self.request
        if body.get("model") == "act_two":
            for name, default_kind in (("character", None), ("reference", MediaKind.VIDEO)):
                part = body.get(name)
                if isinstance(part, dict) and isinstance(part.get("uri"), str):
                    kind = default_kind or (
                        MediaKind.VIDEO if part.get("type") == "video" else MediaKind.IMAGE
                    )
                    yield MediaRef((name, "uri"), part["uri"], kind)
            return
        image = body.get("promptImage")
        if isinstance(image, str):
            yield MediaRef(("promptImage",), image, MediaKind.IMAGE)
        elif isinstance(image, list):
            for index, frame in enumerate(image):
                if isinstance(frame, dict) and isinstance(frame.get("uri"), str):
                    yield MediaRef(("promptImage", index, "uri"), frame["uri"], MediaKind.IMAGE)

    def with_media(self, uris: dict[tuple[str | int, ...], str]) -> dict[str, Any]:
        """The request body with media fields replaced, by path."""
        body = copy.deepcopy(self.request)
        for path, uri in uris.items():
            target: Any = body
            for part in path[:-1]:
                target = target[part]
            target[path[-1]] = uri
        return body

    def validate_request(self) -> GenerationRequest:
        """Check every rule that does not need the media itself.

        Local paths and ``s3://`` objects are swapped for placeholder upload URIs, so ratios,
        durations, prompts, seeds and the like are refused before any file is read.

        Raises:
            pydantic.ValidationError: naming the field, the value and what is allowed.
        """
        placeholders = {
            ref.path: f"runway://placeholder/{index}"
            for index, ref in enumerate(self.media())
            if ref.ref_kind in (RefKind.LOCAL, RefKind.S3)
        }
        return parse_generation_request(self.with_media(placeholders))
