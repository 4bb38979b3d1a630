"""Numeric and length limits from Runway's OpenAPI document, laid onto the SDK's shapes.

The SDK's TypedDicts carry Literal sets but no bounds (pydantic accepted ``duration=99``);
Runway's OpenAPI document has ``minimum``/``maximum``/``minLength``/``maxLength``/
``minItems``/``maxItems``. This module walks one model's request schema beside the SDK's
shape of it and copies those limits across. Where the two disagree on something else (an enum
set, a required field) the SDK wins, being the newer of the two, and the disagreement is
reported (``python3 dev.py catalogue --report``).

The pinned copy is ``scripts/catalogue/runway-openapi.json``; ``SOURCE`` says where it is from.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scripts.catalogue.ir import (
    AnyObject,
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

__all__ = ["PINNED", "SOURCE", "OpenAPI"]

PINNED = Path(__file__).with_name("runway-openapi.json")

SOURCE = (
    "Runway's OpenAPI document (info.version 2024-11-06) as published in "
    "github.com/runwayml/openapi (branch next), in the verbatim copy that tryAGI/Runway's "
    "generate.sh downloads: src/libs/Runway/openapi.json at commit "
    "042b2cad705aa90c923ef11ecf07a47f57871f01 (2026-08-08), sha256 "
    "cbe9ae85cc6ad0ff714fd5ad664993f943b9d51a6155383212951177e4bc2acb"
)
"""Where the pinned copy comes from (also in the generated files' headers)."""


def _clean(schema: Any) -> Any:
    """A schema with the single-branch ``anyOf`` wrappers the document uses removed."""
    wrappers = {"anyOf", "oneOf", "discriminator", "description", "example", "title"}
    while isinstance(schema, dict) and set(schema) <= wrappers:
        options = schema.get("anyOf") or schema.get("oneOf")
        if not isinstance(options, list) or len(options) != 1:
            break
        schema = options[0]
    return schema


def _is_media(schema: Any) -> bool:
    """A URI in Runway's three forms: an ``anyOf`` of https, runway:// and data strings."""
    options = schema.get("anyOf") if isinstance(schema, dict) else None
    if not isinstance(options, list):
        return False
    patterns = [o.get("pattern", "") for o in options if isinstance(o, dict)]
    return any(p.startswith("^https") for p in patterns) and any(
        p.startswith("^data:") for p in patterns
    )


class OpenAPI:
    """The pinned document, indexed by (endpoint, model)."""

    def __init__(self, path: Path = PINNED) -> None:
        self.document: dict[str, Any] = json.loads(path.read_text())
        self.variants: dict[tuple[str, str], dict[str, Any]] = {}
        for route, operations in self.document["paths"].items():
            post = operations.get("post") if isinstance(operations, dict) else None
            if not isinstance(post, dict):
                continue
            try:
                schema = post["requestBody"]["content"]["application/json"]["schema"]
            except KeyError:
                continue
            endpoint = route.removeprefix("/v1/")
            for option in schema.get("oneOf") or schema.get("anyOf") or [schema]:
                model = option.get("properties", {}).get("model", {})
                name = model.get("const")
                if isinstance(name, str):
                    self.variants[(endpoint, name)] = option
        self.report: list[str] = []

    def apply(self, variant: Variant) -> None:
        """Copy the document's limits for ``variant`` onto its fields (no-op if absent)."""
        schema = self.variants.get((variant.endpoint, variant.model))
        if schema is None:
            return
        variant.openapi = True
        where = f"{variant.endpoint}/{variant.model}"
        self._object(variant.body, schema, where)

    # -- walking ---------------------------------------------------------------------------

    def _note(self, message: str) -> None:
        self.report.append(message)

    def _object(self, spec: ObjectSpec, schema: Any, where: str) -> None:
        schema = _clean(schema)
        properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
        required = set(schema.get("required", [])) if isinstance(schema, dict) else set()
        sdk_wires = {f.wire for f in spec.fields}
        for extra in sorted(set(properties) - sdk_wires):
            self._note(f"{where}: OpenAPI has field {extra!r}, the SDK does not")
        for field in spec.fields:
            path = f"{where}.{field.wire}"
            if field.wire not in properties:
                self._note(f"{path}: in the SDK only")
                continue
            if (field.wire in required) != field.required:
                self._note(
                    f"{path}: required in {'OpenAPI' if field.wire in required else 'the SDK'} only"
                )
            self._field(field, properties[field.wire], path)

    def _field(self, field: FieldSpec, schema: Any, path: str) -> None:
        field.type = self._type(field.type, schema, path)

    def _type(self, spec: TypeSpec, schema: Any, path: str) -> TypeSpec:
        schema = _clean(schema)
        if not isinstance(schema, dict):
            return spec
        source = "openapi"
        if isinstance(spec, Media):
            return spec
        if isinstance(spec, Scalar):
            bounds = spec.bounds
            if "enum" in schema and spec.kind in ("int", "float", "str"):
                self._note(f"{path}: OpenAPI enum {schema['enum']} on an SDK {spec.kind}")
                return Lit(tuple(schema["enum"]))
            bounds.set("minimum", schema.get("minimum"), source)
            bounds.set("maximum", schema.get("maximum"), source)
            bounds.set("exclusive_minimum", schema.get("exclusiveMinimum"), source)
            bounds.set("min_length", schema.get("minLength"), source)
            bounds.set("max_length", schema.get("maxLength"), source)
            bounds.set("pattern", schema.get("pattern"), source)
            return spec
        if isinstance(spec, Lit):
            values = schema.get("enum")
            if values is None and "const" in schema:
                values = [schema["const"]]
            if values is not None and set(values) != set(spec.values):
                only_sdk = [v for v in spec.values if v not in values]
                only_doc = [v for v in values if v not in spec.values]
                self._note(f"{path}: SDK-only values {only_sdk}, OpenAPI-only values {only_doc}")
            return spec
        if isinstance(spec, ListOf):
            if schema.get("type") != "array":
                return spec
            spec.bounds.set("min_length", schema.get("minItems"), source)
            spec.bounds.set("max_length", schema.get("maxItems"), source)
            items = schema.get("items")
            if items:
                spec.item = self._type(spec.item, items, f"{path}[]")
            return spec
        if isinstance(spec, Obj):
            self._object(spec.spec, schema, path)
            return spec
        if isinstance(spec, UnionOf):
            return self._union(spec, schema, path)
        if isinstance(spec, AnyObject):
            return spec
        return spec

    def _union(self, spec: UnionOf, schema: dict[str, Any], path: str) -> TypeSpec:
        branches = [_clean(b) for b in schema.get("anyOf") or schema.get("oneOf") or [schema]]
        if _is_media(schema):
            branches = [schema]
        new_options: list[TypeSpec] = []
        for option in spec.options:
            match = self._match(option, branches)
            new_options.append(
                option if match is None else self._type(option, match, f"{path}|{_kind(option)}")
            )
        spec.options = new_options
        return spec

    def _match(self, option: TypeSpec, branches: list[Any]) -> Any:
        for branch in branches:
            if not isinstance(branch, dict):
                continue
            if isinstance(option, Media) and (_is_media(branch) or branch.get("type") == "string"):
                return branch
            if isinstance(option, ListOf) and branch.get("type") == "array":
                return branch
            if (
                isinstance(option, Scalar)
                and "enum" not in branch
                and branch.get("type")
                in (
                    {"int": "integer", "float": "number", "str": "string", "bool": "boolean"}[
                        option.kind
                    ],
                    "number" if option.kind == "int" else None,
                )
            ):
                return branch
            if isinstance(option, Lit) and ("enum" in branch or "const" in branch):
                return branch
            if isinstance(option, Obj) and branch.get("type") == "object":
                if _same_object(option.spec, branch):
                    return branch
        return None


def _same_object(spec: ObjectSpec, schema: dict[str, Any]) -> bool:
    """Whether an object schema is the SDK object: same required keys, same constant tags."""
    if {f.wire for f in spec.fields if f.required} != set(schema.get("required", [])):
        return False
    properties = schema.get("properties", {})
    for field in spec.fields:
        if isinstance(field.type, Lit) and field.wire in properties:
            branch = _clean(properties[field.wire])
            values = branch.get("enum") or ([branch["const"]] if "const" in branch else None)
            if values is not None and not set(values) & set(field.type.values):
                return False
    return True


def _kind(spec: TypeSpec) -> str:
    return type(spec).__name__.lower()
