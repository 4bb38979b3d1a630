"""Build the catalogue: the SDK's shapes, the OpenAPI limits, the docstrings, the hand layer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from scripts.catalogue import hand
from scripts.catalogue.docstrings import apply_docstring_bounds
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
from scripts.catalogue.openapi import OpenAPI
from scripts.catalogue.sdk import ENDPOINTS, load_variants

__all__ = ["Catalogue", "build", "describe", "describe_type", "media_paths", "nested_objects"]

# URI-looking fields that must resolve to a media kind (a mistake otherwise).
_URI_NAME = re.compile(r"(uri|Uri|Uris|Video|Image|Audio|Audios)$")
_NOT_MEDIA = {"draftTaskId"}


def describe_type(spec: TypeSpec) -> str:
    """A stable one-line description of a type: the key of ``hand.NAMES``."""
    if isinstance(spec, Scalar):
        bounds = spec.bounds
        parts = [
            f"{name}={getattr(bounds, name)}"
            for name in (
                "minimum",
                "maximum",
                "exclusive_minimum",
                "min_length",
                "max_length",
                "pattern",
            )
            if getattr(bounds, name) is not None
        ]
        return spec.kind + (f"({','.join(parts)})" if parts else "")
    if isinstance(spec, Lit):
        return "lit[" + ",".join(str(v) for v in spec.values) + "]"
    if isinstance(spec, Media):
        return spec.kind
    if isinstance(spec, ListOf):
        bounds = spec.bounds
        limits = (
            ""
            if bounds.min_length is None and bounds.max_length is None
            else f"({bounds.min_length},{bounds.max_length})"
        )
        return f"list[{describe_type(spec.item)}]{limits}"
    if isinstance(spec, Obj):
        return "{" + describe(spec.spec) + "}"
    if isinstance(spec, UnionOf):
        return "|".join(describe_type(option) for option in spec.options)
    return "any"


def describe(spec: ObjectSpec) -> str:
    """A stable description of an object's structure (field names, types, required-ness)."""
    text = ",".join(
        f"{f.wire}{'*' if f.required else ''}:{describe_type(f.type)}" for f in spec.fields
    )
    return text + (";open" if spec.extra_allowed else "")


def _children(spec: TypeSpec) -> list[TypeSpec]:
    if isinstance(spec, ListOf):
        return [spec.item]
    if isinstance(spec, UnionOf):
        return list(spec.options)
    return []


def nested_objects(spec: ObjectSpec) -> list[ObjectSpec]:
    """Every object inside ``spec``, depth first, children before parents."""
    found: list[ObjectSpec] = []

    def visit(tp: TypeSpec) -> None:
        if isinstance(tp, Obj):
            for child_field in tp.spec.fields:
                visit(child_field.type)
            found.append(tp.spec)
        for child in _children(tp):
            visit(child)

    for field_spec in spec.fields:
        visit(field_spec.type)
    return found


def media_paths(spec: ObjectSpec, prefix: str = "") -> list[tuple[str, str]]:
    """``(path, kind)`` of every media URI in ``spec`` (``[]`` = each item of a list)."""
    paths: list[tuple[str, str]] = []

    def visit(tp: TypeSpec, path: str) -> None:
        if isinstance(tp, Media):
            paths.append((path, tp.kind))
        elif isinstance(tp, ListOf):
            visit(tp.item, f"{path}[]")
        elif isinstance(tp, UnionOf):
            for option in tp.options:
                visit(option, path)
        elif isinstance(tp, Obj):
            for child in tp.spec.fields:
                visit(child.type, f"{path}.{child.wire}")

    for field_spec in spec.fields:
        visit(field_spec.type, f"{prefix}{field_spec.wire}")
    unique: list[tuple[str, str]] = []
    for item in paths:
        if item not in unique:
            unique.append(item)
    return unique


@dataclass
class Catalogue:
    variants: list[Variant]
    objects: dict[str, ObjectSpec]
    """Shared nested objects by class name, in dependency order."""
    report: list[str] = field(default_factory=list)


def _replace_untyped(variant: Variant) -> None:
    for spec in variant.body.fields:
        key = (variant.endpoint, variant.model, spec.wire)
        if key in hand.UNTYPED:
            kind, position = hand.UNTYPED[key]
            replacement = Obj(hand.untyped_items(kind, position=position))

            def swap(tp: TypeSpec, replacement: Obj = replacement) -> TypeSpec:
                if isinstance(tp, AnyObject):
                    return replacement
                if isinstance(tp, ListOf):
                    tp.item = swap(tp.item)
                elif isinstance(tp, UnionOf):
                    tp.options = [swap(option) for option in tp.options]
                return tp

            spec.type = swap(spec.type)
        if key in hand.MEDIA_KINDS:
            kind = hand.MEDIA_KINDS[key]
            if isinstance(spec.type, ListOf) and isinstance(spec.type.item, Scalar):
                spec.type.item = Media(kind)  # type: ignore[arg-type]
            elif isinstance(spec.type, Scalar):
                spec.type = Media(kind)  # type: ignore[arg-type]


def _item_kind(tp: TypeSpec) -> str | None:
    """The media kind a list holds: its items' kind, or their ``uri`` field's."""
    if not isinstance(tp, ListOf):
        return None
    item = tp.item
    if isinstance(item, Media):
        return item.kind
    if isinstance(item, Obj):
        for child in item.spec.fields:
            if child.wire == "uri" and isinstance(child.type, Media):
                return child.type.kind
    return None


def _uri_or_list(variant: Variant) -> None:
    """``str | list[{uri, ...}]`` (promptImage): the bare string is a URI of the items' kind."""

    def visit(tp: TypeSpec) -> None:
        if isinstance(tp, UnionOf):
            kinds = {kind for kind in map(_item_kind, tp.options) if kind is not None}
            if len(kinds) == 1:
                (kind,) = kinds
                tp.options = [
                    Media(kind) if isinstance(o, Scalar) and o.kind == "str" else o  # type: ignore[arg-type]
                    for o in tp.options
                ]
            for option in tp.options:
                visit(option)
        elif isinstance(tp, ListOf):
            visit(tp.item)
        elif isinstance(tp, Obj):
            for child in tp.spec.fields:
                visit(child.type)

    for spec in variant.body.fields:
        visit(spec.type)


def _check_complete(variant: Variant, errors: list[str]) -> None:
    where = f"{variant.endpoint}/{variant.model}"

    def visit(tp: TypeSpec, path: str, name: str) -> None:
        if isinstance(tp, AnyObject):
            errors.append(
                f"{path}: the SDK types this as `object`; say what it holds in hand.UNTYPED"
            )
        if (
            isinstance(tp, Scalar)
            and tp.kind == "str"
            and _URI_NAME.search(name)
            and name not in _NOT_MEDIA
        ):
            errors.append(f"{path}: a URI field of unknown media kind; add it to hand.MEDIA_KINDS")
        if isinstance(tp, Obj):
            for child_field in tp.spec.fields:
                visit(child_field.type, f"{path}.{child_field.wire}", child_field.wire)
        for child in _children(tp):
            visit(child, path, name)

    for spec in variant.body.fields:
        visit(spec.type, f"{where}.{spec.wire}", spec.wire)


def _seed_range(variant: Variant) -> None:
    for spec in variant.body.fields:
        if spec.wire == "seed" and isinstance(spec.type, Scalar) and spec.type.kind == "int":
            bounds = spec.type.bounds
            if bounds.minimum is None and bounds.maximum is None:
                low, high = hand.SEED_RANGE
                bounds.set("minimum", low, "hand: runway-api.md section 4 (seed)")
                bounds.set("maximum", high, "hand: runway-api.md section 4 (seed)")


def _field_at(spec: ObjectSpec, path: str) -> tuple[FieldSpec, Scalar] | None:
    """The numeric field at a path of wire names (``providerSettings.multiPrompt[].duration``)."""
    head, _, rest = path.partition(".")
    for field_spec in spec.fields:
        if field_spec.wire != head.removesuffix("[]"):
            continue
        options = (
            field_spec.type.options if isinstance(field_spec.type, UnionOf) else [field_spec.type]
        )
        for option in options:
            if isinstance(option, ListOf) and head.endswith("[]"):
                option = option.item
            if not rest and isinstance(option, Scalar) and option.kind in ("int", "float"):
                return field_spec, option
            if rest and isinstance(option, Obj):
                return _field_at(option.spec, rest)
    return None


def _hand_bounds(variant: Variant, errors: list[str]) -> None:
    """The hand-checked numeric limits (``hand.BOUNDS``), only where no other source gave one."""
    for (endpoint, model, path), (low, high, why) in hand.BOUNDS.items():
        if (endpoint, model) != (variant.endpoint, variant.model):
            continue
        found = _field_at(variant.body, path)
        if found is None:
            errors.append(
                f"hand.BOUNDS names a number the SDK does not type: {endpoint}/{model}.{path}"
            )
            continue
        field_spec, scalar = found
        if scalar.bounds.maximum is not None:
            errors.append(f"hand.BOUNDS: {endpoint}/{model}.{path} already has a maximum")
            continue
        scalar.bounds.set("minimum", low, f"hand: {why}")
        scalar.bounds.set("maximum", high, f"hand: {why}")
        if "(From " not in field_spec.doc and path.count(".") == 0:
            limits = f"From {_number_words(low)} to {_number_words(high)}"
            field_spec.doc = f"{field_spec.doc} ({limits}: {why}.)".strip()


def _number_words(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _apply_defaults(variant: Variant) -> None:
    for spec in variant.body.fields:
        key = (variant.endpoint, variant.model, spec.wire)
        if key in hand.DEFAULTS:
            value, why = hand.DEFAULTS[key]
            spec.default = value
            spec.default_source = why


def build() -> Catalogue:
    """Read the SDK, lay the OpenAPI limits, docstring limits and hand layer on it.

    Raises:
        SystemExit: the SDK holds something the hand layer does not place (named in the
            message); the fix is an entry in ``scripts/catalogue/hand.py``.
    """
    variants = load_variants(ENDPOINTS)
    openapi = OpenAPI()
    report: list[str] = []
    errors: list[str] = []
    for variant in variants:
        openapi.apply(variant)
        _replace_untyped(variant)
        _uri_or_list(variant)
        where = f"{variant.endpoint}/{variant.model}"
        report.extend(
            f"docstring limit: {note}" for note in apply_docstring_bounds(variant.body, where)
        )
        _check_complete(variant, errors)
        _seed_range(variant)
        _hand_bounds(variant, errors)
        _apply_defaults(variant)
        variant.rules = hand.RULES.get((variant.endpoint, variant.model), ())
    report[:0] = [f"OpenAPI vs SDK: {note}" for note in openapi.report]
    unused = {key for key in hand.RULES} - {(v.endpoint, v.model) for v in variants}
    if unused:
        errors.append(f"hand.RULES names models the SDK does not type: {sorted(unused)}")
    for field_key in [*hand.DEFAULTS, *hand.UNTYPED, *hand.MEDIA_KINDS]:
        if not any(
            (v.endpoint, v.model) == field_key[:2]
            and any(f.wire == field_key[2] for f in v.body.fields)
            for v in variants
        ):
            errors.append(f"hand layer names a field the SDK does not type: {field_key}")

    objects: dict[str, ObjectSpec] = {}
    by_structure: dict[str, ObjectSpec] = {}
    for variant in variants:
        for nested in nested_objects(variant.body):
            key = describe(nested)
            name = hand.NAMES.get(key)
            if name is None:
                errors.append(f"name this shared object in hand.NAMES: {key!r} ({nested.sdk_name})")
                continue
            nested.name = name
            if key not in by_structure:
                by_structure[key] = nested
                objects[name] = nested
    unused_names = set(hand.NAMES) - set(by_structure)
    if unused_names:
        errors.append(f"hand.NAMES entries no SDK object has: {sorted(unused_names)}")
    if errors:
        raise SystemExit("the catalogue cannot be generated:\n  " + "\n  ".join(errors))
    return Catalogue(variants=variants, objects=objects, report=report)
