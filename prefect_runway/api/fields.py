"""Fields shared by every generation request: the base model, prompt text, seed, moderation."""

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

__all__ = [
    "MAX_SEED",
    "ContentModeration",
    "GenerationRequestBase",
    "PromptText",
    "Seed",
    "prompt_text",
    "utf16_length",
]

MAX_SEED = 4_294_967_295


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, the unit Runway measures prompts in (an emoji counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def prompt_text(max_units: int | None, min_units: int = 1, *, what: str = "prompt") -> Any:
    """An ``AfterValidator`` that bounds a string's length in UTF-16 code units.

    Runway validates bodies in JavaScript, where a string's length is its UTF-16 code units:
    an emoji counts 2.

    Args:
        max_units: The most code units allowed (None for no upper bound).
        min_units: The fewest.
        what: How messages name the value ("prompt", "text").
    """

    def check(text: str) -> str:
        units = utf16_length(text)
        if units < min_units:
            raise ValueError(
                f"the {what} is {units} UTF-16 code units long; at least {min_units} are "
                "required (leave the field out rather than send an empty one)"
            )
        if max_units is not None and units > max_units:
            raise ValueError(
                f"the {what} is {units} UTF-16 code units long ({len(text)} characters; "
                f"emoji and other astral characters count twice); at most {max_units} are allowed"
            )
        return text

    return AfterValidator(check)


PromptText = Annotated[str, prompt_text(1000)]
"""A prompt of 1 to 1000 UTF-16 code units."""

Seed = Annotated[int, Field(ge=0, le=MAX_SEED, strict=True)]
"""A seed from 0 to 4294967295."""


class ContentModeration(BaseModel):
    """Settings for Runway's content moderation.

    Attributes:
        public_figure_threshold: ``low`` makes moderation less strict about recognizable
            public figures.
    """

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )

    public_figure_threshold: Literal["auto", "low"] = "auto"


class GenerationRequestBase(BaseModel):
    """Base of every request model: camelCase on the wire, unknown fields refused, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        validate_default=True,
    )

    endpoint: ClassVar[str]
    """The path under ``/v1`` this request is POSTed to."""

    model: str

    def to_api(self) -> dict[str, Any]:
        """The JSON body exactly as Runway expects it: camelCase, unset fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    @property
    def output_seconds(self) -> float | None:
        """The output's length in seconds, when the request fixes it."""
        duration = getattr(self, "duration", None)
        return float(duration) if duration is not None else None
