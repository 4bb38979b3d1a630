"""The catalogue's intermediate form: one request shape per (endpoint, model), source-neutral.

The SDK reader builds it from ``runwayml``'s TypedDicts; the OpenAPI reader, the docstring
reader and the hand-checked layer add limits to it; the renderers turn it into the client's
pydantic models and the emulator's rules. Every limit remembers where it came from, so the
generated code can say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "AnyObject",
    "Bounds",
    "FieldSpec",
    "ListOf",
    "Lit",
    "Media",
    "MediaKind",
    "Obj",
    "ObjectSpec",
    "Scalar",
    "TypeSpec",
    "UnionOf",
    "Variant",
]

MediaKind = Literal["image", "video", "audio"]


@dataclass
class Bounds:
    """Numeric or length limits, each with its source (``openapi``, ``docstring``, ``hand``)."""

    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    sources: dict[str, str] = field(default_factory=dict)

    def set(self, name: str, value: float | int | str | None, source: str) -> None:
        if value is None:
            return
        setattr(self, name, value)
        self.sources[name] = source

    def empty(self) -> bool:
        return all(
            getattr(self, name) is None
            for name in (
                "minimum",
                "maximum",
                "exclusive_minimum",
                "min_length",
                "max_length",
                "pattern",
            )
        )


@dataclass
class Scalar:
    """``str``, ``int``, ``float`` or ``bool``; strings are measured in UTF-16 code units."""

    kind: Literal["str", "int", "float", "bool"]
    bounds: Bounds = field(default_factory=Bounds)


@dataclass
class Lit:
    """One of fixed values (a ``Literal``)."""

    values: tuple[str | int | float | bool, ...]


@dataclass
class Media:
    """A media URI (https, ``runway://`` or a data URI) of one kind."""

    kind: MediaKind


@dataclass
class ListOf:
    item: TypeSpec
    bounds: Bounds = field(default_factory=Bounds)


@dataclass
class Obj:
    spec: ObjectSpec


@dataclass
class AnyObject:
    """The SDK types this as ``object``: the hand-checked layer must say what it holds."""


@dataclass
class UnionOf:
    options: list[TypeSpec]


TypeSpec = Scalar | Lit | Media | ListOf | Obj | AnyObject | UnionOf


@dataclass
class FieldSpec:
    """One field of a request or of an object inside it."""

    name: str
    """The Python name (the SDK's snake_case keyword)."""
    wire: str
    """The JSON name (camelCase)."""
    required: bool
    type: TypeSpec
    doc: str = ""
    default: str | int | float | bool | None = None
    """A default the client sends (hand-checked layer), None for none."""
    default_source: str = ""


@dataclass
class ObjectSpec:
    """An object: a request body or a nested one."""

    sdk_name: str
    fields: list[FieldSpec]
    doc: str = ""
    extra_allowed: bool = False
    """True only for objects the SDK leaves untyped (``object``): unknown keys pass to Runway."""
    name: str = ""
    """The generated class name (set when shared objects are named)."""


@dataclass
class Variant:
    """One model on one endpoint."""

    endpoint: str
    model: str
    body: ObjectSpec
    openapi: bool = False
    """Whether the pinned OpenAPI document describes this variant."""
    rules: tuple[str, ...] = ()
    """Names of the hand-checked cross-field rules that apply (prefect_runway.api.catalogue)."""
