"""Base classes and field types the generated catalogue (``_models.py``) is written in."""

from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, model_validator

from prefect_runway.api.fields import GenerationRequestBase

__all__ = [
    "CatalogueObject",
    "CatalogueRequest",
    "OpenCatalogueObject",
    "single_or_list",
]


class CatalogueObject(BaseModel):
    """An object inside a request: its wire names given field by field, unknown keys refused."""

    model_config = ConfigDict(
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        validate_default=True,
        defer_build=True,
    )


class OpenCatalogueObject(BaseModel):
    """An object the SDK leaves untyped: its known keys checked, other keys passed to Runway."""

    model_config = ConfigDict(
        populate_by_name=True,
        extra="allow",
        frozen=True,
        validate_default=True,
        defer_build=True,
    )


class CatalogueRequest(GenerationRequestBase):
    """Base of every generated request model.

    Class attributes describe the model for the rest of the package:

    * ``endpoint``: the path under ``/v1`` it is POSTed to;
    * ``media_fields``: ``(path, kind)`` of every media URI in the body, where a path is wire
      names joined by dots and ``[]`` stands for each item of a list (``promptImage[].uri``);
    * ``rules``: the hand-checked cross-field rules it obeys
      (``prefect_runway.api.catalogue.rules``);
    * ``openapi``: whether Runway's OpenAPI document (the pinned copy) describes it, or only
      the SDK's types do.
    """

    # Wire names are spelled out field by field (some are snake_case on the wire, such as
    # Aleph's ``start_seconds``), so no alias generator; classes are built on first use,
    # which keeps importing ~100 models cheap.
    model_config = ConfigDict(alias_generator=None, defer_build=True)

    endpoint: ClassVar[str]
    media_fields: ClassVar[tuple[tuple[str, str], ...]] = ()
    rules: ClassVar[tuple[str, ...]] = ()
    openapi: ClassVar[bool] = False

    @model_validator(mode="after")
    def _cross_field_rules(self) -> Self:
        from prefect_runway.api.catalogue.rules import RULES

        for name in self.rules:
            RULES[name](self)
        return self

    @property
    def output_seconds(self) -> float | None:
        """The output's length in seconds when the request fixes it (not ``"auto"``)."""
        duration = getattr(self, "duration", None)
        if isinstance(duration, bool) or not isinstance(duration, int | float):
            return None
        return float(duration)


def single_or_list(value: Any) -> str:
    """Discriminator of ``URI | list[...]`` fields: errors then name only the branch given.

    Without it pydantic reports "not a valid list" beside every error about a URI string.
    """
    return "frames" if isinstance(value, list | tuple) else "uri"
