"""Write the catalogue as pydantic models: ``prefect_runway/api/catalogue/_models.py``."""

from __future__ import annotations

import re
import textwrap

from scripts.catalogue.build import Catalogue, media_paths
from scripts.catalogue.ir import (
    AnyObject,
    Bounds,
    FieldSpec,
    ListOf,
    Lit,
    Media,
    Obj,
    ObjectSpec,
    Scalar,
    TypeSpec,
    UnionOf,
    Variant,
)
from scripts.catalogue.openapi import SOURCE
from scripts.catalogue.sdk import sdk_version

__all__ = ["class_name", "render_python"]

_MEDIA = {"image": "ImageUri", "video": "VideoUri", "audio": "AudioUri"}
_PROMPTS = {"promptText", "negativePrompt", "prompt", "previousText", "nextText"}


def _pascal(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[._\-]", text) if part)


def class_name(endpoint: str, model: str) -> str:
    """The request class of ``model`` on ``endpoint``: ``Gen4TurboImageToVideo``."""
    return _pascal(model) + _pascal(endpoint)


def _number(value: float | int) -> str:
    return repr(value)


def _text_block(text: str, indent: int, width: int = 88) -> str:
    """A string literal for ``text``, split over lines in implicit concatenation."""
    pad = " " * indent
    chunks = textwrap.wrap(
        text, width=width - indent - 4, break_long_words=False, drop_whitespace=False
    )
    if len(chunks) <= 1:
        return repr(text)
    inner = "\n".join(f"{pad}    {chunk!r}" for chunk in chunks)
    return f"(\n{inner}\n{pad})"


class _Writer:
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.names: dict[int, str] = {}
        for spec in catalogue.objects.values():
            self.names[id(spec)] = spec.name

    def object_name(self, spec: ObjectSpec) -> str:
        name = spec.name
        return name.removeprefix("fields.")

    def bounds_args(self, bounds: Bounds, *, strings: bool) -> list[str]:
        args: list[str] = []
        if bounds.minimum is not None:
            args.append(f"ge={_number(bounds.minimum)}")
        if bounds.exclusive_minimum is not None:
            args.append(f"gt={_number(bounds.exclusive_minimum)}")
        if bounds.maximum is not None:
            args.append(f"le={_number(bounds.maximum)}")
        if not strings:
            if bounds.min_length is not None:
                args.append(f"min_length={bounds.min_length}")
            if bounds.max_length is not None:
                args.append(f"max_length={bounds.max_length}")
        return args

    def type_of(self, spec: TypeSpec, wire: str) -> str:
        if isinstance(spec, Scalar):
            if spec.kind == "bool":
                return "StrictBool"
            if spec.kind == "str":
                bounds = spec.bounds
                metadata: list[str] = []
                if bounds.pattern is not None:
                    metadata.append(f"Field(pattern={bounds.pattern!r})")
                if bounds.min_length is not None or bounds.max_length is not None:
                    what = "prompt" if wire in _PROMPTS else "text"
                    metadata.append(
                        f"text_units({bounds.max_length}, {bounds.min_length or 0}, what={what!r})"
                    )
                return f"Annotated[str, {', '.join(metadata)}]" if metadata else "str"
            args = ["strict=True", *self.bounds_args(spec.bounds, strings=True)]
            return f"Annotated[{spec.kind}, Field({', '.join(args)})]"
        if isinstance(spec, Lit):
            return "Literal[" + ", ".join(repr(value) for value in spec.values) + "]"
        if isinstance(spec, Media):
            return _MEDIA[spec.kind]
        if isinstance(spec, ListOf):
            item = self.type_of(spec.item, wire)
            args = self.bounds_args(spec.bounds, strings=False)
            if args:
                return f"Annotated[list[{item}], Field({', '.join(args)})]"
            return f"list[{item}]"
        if isinstance(spec, Obj):
            return self.object_name(spec.spec)
        if isinstance(spec, UnionOf):
            return self.union(spec, wire)
        assert not isinstance(spec, AnyObject), "untyped objects are replaced in build()"
        raise TypeError(spec)

    def union(self, spec: UnionOf, wire: str) -> str:
        options = spec.options
        lists = [o for o in options if isinstance(o, ListOf)]
        singles = [o for o in options if not isinstance(o, ListOf)]
        if len(lists) == 1 and len(singles) == 1:
            # A URI, or a list of frames: a callable discriminator names only the branch given.
            single = self.type_of(singles[0], wire)
            many = self.type_of(lists[0], wire)
            return (
                f'Annotated[Annotated[{single}, Tag("uri")] | Annotated[{many}, Tag("frames")], '
                "Discriminator(single_or_list)]"
            )
        objects = [o for o in options if isinstance(o, Obj)]
        if len(objects) == len(options) and all(
            any(f.wire == "type" and isinstance(f.type, Lit) for f in o.spec.fields)
            for o in objects
        ):
            inner = " | ".join(self.type_of(o, wire) for o in options)
            return f'Annotated[{inner}, Field(discriminator="type")]'
        return " | ".join(self.type_of(o, wire) for o in options)

    def field_line(self, spec: FieldSpec, indent: int = 4) -> str:
        annotation = self.type_of(spec.type, spec.wire)
        single = (
            spec.type.values[0]
            if isinstance(spec.type, Lit) and len(spec.type.values) == 1
            else None
        )
        args: list[str] = []
        if spec.default is not None:
            args.append(f"default={spec.default!r}")
        elif single is not None:
            args.append(f"default={single!r}")
        elif not spec.required:
            annotation = f"{annotation} | None"
            args.append("default=None")
        if spec.wire != spec.name:
            args.append(f"alias={spec.wire!r}")
        description = spec.doc
        if spec.default_source:
            sent = f"(Sent as {spec.default!r} unless given: {spec.default_source}.)"
            description = f"{description} {sent}".strip()
        if description:
            args.append(f"description={_text_block(description, indent + 4)}")
        if not args:
            return f"{' ' * indent}{spec.name}: {annotation}"
        joined = ", ".join(args)
        return f"{' ' * indent}{spec.name}: {annotation} = Field({joined})"

    def object_class(self, spec: ObjectSpec) -> str:
        base = "OpenCatalogueObject" if spec.extra_allowed else "CatalogueObject"
        doc = spec.doc or f"Part of a request ({spec.sdk_name} in the SDK)."
        lines = [f"class {self.object_name(spec)}({base}):", _docstring([doc], 4), ""]
        lines.extend(self.field_line(f) for f in spec.fields)
        return "\n".join(lines)

    def request_class(self, variant: Variant) -> str:
        name = class_name(variant.endpoint, variant.model)
        source = (
            "the SDK's types and Runway's OpenAPI document"
            if variant.openapi
            else "the SDK's types (the pinned OpenAPI document predates this model)"
        )
        doc = f"``{variant.model}`` on ``POST /v1/{variant.endpoint}``, from {source}."
        media = tuple(media_paths(variant.body))
        lines = [
            f"class {name}(CatalogueRequest):",
            _docstring([doc, variant.body.doc], 4),
            "",
            f"    endpoint: ClassVar[str] = {variant.endpoint!r}",
            f"    openapi: ClassVar[bool] = {variant.openapi!r}",
            f"    media_fields: ClassVar[tuple[tuple[str, str], ...]] = {media!r}",
            f"    rules: ClassVar[tuple[str, ...]] = {tuple(variant.rules)!r}",
            "",
        ]
        fields = sorted(variant.body.fields, key=lambda f: (f.name != "model", not f.required))
        lines.extend(self.field_line(f) for f in fields)
        return "\n".join(lines)


def _doc(text: str) -> str:
    return text.replace('"""', "'''").replace("\\", "\\\\")


def _docstring(paragraphs: list[str], indent: int) -> str:
    """A docstring of ``paragraphs`` wrapped to the line length, indented."""
    pad = " " * indent
    width = 96 - indent
    blocks = [textwrap.fill(_doc(p), width=width) for p in paragraphs if p]
    text = "\n\n".join(blocks)
    lines = text.split("\n")
    if len(lines) == 1 and len(lines[0]) + indent + 6 <= 100:
        return f'{pad}"""{lines[0]}"""'
    body = "\n".join(f"{pad}{line}" if line else "" for line in lines)
    return f'{pad}"""{body.lstrip()}\n{pad}"""'


def render_python(catalogue: Catalogue) -> str:
    """The source of ``_models.py`` (unformatted; the caller runs ruff format on it)."""
    writer = _Writer(catalogue)
    parts: list[str] = [
        _docstring(
            [
                "The request models of every in-scope Runway endpoint and model. GENERATED: do "
                "not edit.",
                f"Written by ``python3 dev.py catalogue`` (scripts/catalogue) from the request "
                f"TypedDicts of runwayml {sdk_version()}, the limits of {SOURCE}, and the "
                "hand-checked layer in scripts/catalogue/hand.py.",
            ],
            0,
        ),
        "",
        # No "from __future__ import annotations": evaluating ~1600 annotation strings would
        # double the import time; classes come before their users, so none is needed.
        "from typing import Annotated, ClassVar, Literal",
        "",
        "from pydantic import Discriminator, Field, StrictBool, Tag",
        "",
        "from prefect_runway.api.catalogue._base import (",
        "    CatalogueObject,",
        "    CatalogueRequest,",
        "    OpenCatalogueObject,",
        "    single_or_list,",
        ")",
        "from prefect_runway.api.fields import ContentModeration",
        "from prefect_runway.api.fields import prompt_text as text_units",
        "from prefect_runway.api.media import AudioUri, ImageUri, VideoUri",
        "",
        f"SDK_VERSION = {sdk_version()!r}",
        '"""The runwayml release the catalogue was generated from."""',
        "",
        f"OPENAPI_SOURCE = {_text_block(SOURCE, 0)}",
        '"""Where the limits come from."""',
        "",
    ]
    for spec in catalogue.objects.values():
        if spec.name.startswith("fields."):
            continue
        parts.extend(["", writer.object_class(spec), ""])
    names: list[tuple[str, str, str]] = []
    for variant in catalogue.variants:
        parts.extend(["", writer.request_class(variant), ""])
        names.append((variant.endpoint, variant.model, class_name(variant.endpoint, variant.model)))
    parts.append("")
    parts.append("CATALOGUE: dict[str, dict[str, type[CatalogueRequest]]] = {")
    endpoints: dict[str, list[tuple[str, str]]] = {}
    for endpoint, model, name in names:
        endpoints.setdefault(endpoint, []).append((model, name))
    for endpoint, models in endpoints.items():
        parts.append(f"    {endpoint!r}: {{")
        parts.extend(f"        {model!r}: {name}," for model, name in models)
        parts.append("    },")
    parts.append("}")
    parts.append('"""Every request model, by endpoint then model, in the SDK\'s order."""')
    parts.append("")
    shared = sorted(
        writer.object_name(spec)
        for spec in catalogue.objects.values()
        if not spec.name.startswith("fields.")
    )
    exported = ["CATALOGUE", "OPENAPI_SOURCE", "SDK_VERSION", *shared, *(n for _, _, n in names)]
    parts.append("__all__ = [" + ", ".join(repr(name) for name in sorted(exported)) + "]")
    parts.append("")
    return "\n".join(parts)
