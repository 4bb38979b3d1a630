"""Write the catalogue's field rules for the emulator: ``testing/emulator/catalogue.json``.

The emulator plays the server: it must not import the client's models. It reads this file (a
small JSON-schema dialect, see ``prefect_runway.testing.emulator.schema``) with a validator of
its own, and implements the hand-checked cross-field rules itself.
"""

from __future__ import annotations

import json
from typing import Any

from scripts.catalogue.build import Catalogue
from scripts.catalogue.ir import (
    AnyObject,
    Bounds,
    ListOf,
    Lit,
    Media,
    Obj,
    ObjectSpec,
    Scalar,
    TypeSpec,
    UnionOf,
)
from scripts.catalogue.openapi import SOURCE
from scripts.catalogue.sdk import sdk_version

__all__ = ["render_emulator"]

_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}


def _bounds(bounds: Bounds, node: dict[str, Any], *, items: bool = False) -> None:
    for attribute, key in (
        ("minimum", "minimum"),
        ("maximum", "maximum"),
        ("exclusive_minimum", "exclusiveMinimum"),
        ("pattern", "pattern"),
    ):
        value = getattr(bounds, attribute)
        if value is not None:
            node[key] = value
    low, high = ("minItems", "maxItems") if items else ("minLength", "maxLength")
    if bounds.min_length is not None:
        node[low] = bounds.min_length
    if bounds.max_length is not None:
        node[high] = bounds.max_length


def _schema(spec: TypeSpec) -> dict[str, Any]:
    if isinstance(spec, Scalar):
        node: dict[str, Any] = {"type": _TYPES[spec.kind]}
        _bounds(spec.bounds, node)
        return node
    if isinstance(spec, Lit):
        return {"enum": list(spec.values)}
    if isinstance(spec, Media):
        return {"media": spec.kind}
    if isinstance(spec, ListOf):
        node = {"type": "array", "items": _schema(spec.item)}
        _bounds(spec.bounds, node, items=True)
        return node
    if isinstance(spec, Obj):
        return _object(spec.spec)
    if isinstance(spec, UnionOf):
        return {"anyOf": [_schema(option) for option in spec.options]}
    assert not isinstance(spec, AnyObject)
    raise TypeError(spec)


def _object(spec: ObjectSpec) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {field.wire: _schema(field.type) for field in spec.fields},
        "required": [field.wire for field in spec.fields if field.required],
        "additionalProperties": spec.extra_allowed,
    }


def render_emulator(catalogue: Catalogue) -> str:
    """The JSON text of the emulator's rules (one line per model, for readable diffs)."""
    endpoints: dict[str, dict[str, Any]] = {}
    for variant in catalogue.variants:
        endpoints.setdefault(variant.endpoint, {})[variant.model] = {
            "rules": list(variant.rules),
            "schema": _object(variant.body),
        }
    lines = [
        "{",
        f' "generated": {json.dumps("python3 dev.py catalogue (scripts/catalogue); do not edit")},',
        f' "sdk": {json.dumps("runwayml " + sdk_version())},',
        f' "openapi": {json.dumps(SOURCE)},',
        ' "endpoints": {',
    ]
    endpoint_items = list(endpoints.items())
    for index, (endpoint, models) in enumerate(endpoint_items):
        lines.append(f"  {json.dumps(endpoint)}: {{")
        model_items = list(models.items())
        for position, (model, entry) in enumerate(model_items):
            comma = "," if position < len(model_items) - 1 else ""
            lines.append(f"   {json.dumps(model)}: {json.dumps(entry)}{comma}")
        lines.append("  }" + ("," if index < len(endpoint_items) - 1 else ""))
    lines.extend([" }", "}", ""])
    return "\n".join(lines)
