"""Validate create bodies of the catalogue's models against ``catalogue.json``, as Runway would.

The dialect is a small part of JSON Schema: ``type`` (string, integer, number, boolean, array,
object), ``enum``, ``anyOf``, ``minimum``/``maximum``/``exclusiveMinimum``,
``minLength``/``maxLength`` (UTF-16 code units, as JavaScript counts), ``pattern``,
``minItems``/``maxItems``, ``properties``/``required``/``additionalProperties``, plus
``{"media": "image" | "video" | "audio"}`` for a URI in Runway's three forms. Issues come back
in Runway's (Zod's) shape, every one of them, as for the original five models
(:mod:`prefect_runway.testing.emulator.validation`), then the model's cross-field rules run.

The original five models keep their hand-written validators; this module serves every other
model of every endpoint.
"""

from __future__ import annotations

import re
from typing import Any

from prefect_runway.testing.emulator.catalogue import ENDPOINT_MODELS, entry
from prefect_runway.testing.emulator.config import IMAGE_TO_VIDEO_MODELS
from prefect_runway.testing.emulator.rules import RULES
from prefect_runway.testing.emulator.validation import (
    CreateRequest,
    Issue,
    MediaRef,
    UploadResolver,
    _Checker,
    _js_type,
    _options,
    validate_character_performance,
    validate_image_to_video,
)

__all__ = ["validate_catalogue", "validate_create"]

Path = tuple[str | int, ...]
_JSON_TYPES = {
    "string": "string",
    "integer": "number",
    "number": "number",
    "boolean": "boolean",
    "array": "array",
    "object": "object",
}


class _SchemaChecker(_Checker):
    """Walks a body beside its schema, collecting issues and the media it names."""

    def __init__(self, resolver: UploadResolver) -> None:
        super().__init__(resolver)
        self.media: list[tuple[str, MediaRef, str]] = []

    def number(self, value: Any, path: Path, schema: dict[str, Any], *, integer: bool) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.expected("number", value, path)
            return None
        if integer and isinstance(value, float) and not value.is_integer():
            self.add("invalid_type", path, "Invalid input: expected int, received number")
            return None
        if "minimum" in schema and value < schema["minimum"]:
            self.add("too_small", path, f"Too small: expected number to be >={schema['minimum']}")
            return None
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            self.add(
                "too_small", path, f"Too small: expected number to be >{schema['exclusiveMinimum']}"
            )
            return None
        if "maximum" in schema and value > schema["maximum"]:
            self.add("too_big", path, f"Too big: expected number to be <={schema['maximum']}")
            return None
        return value

    def text(self, value: Any, path: Path, schema: dict[str, Any]) -> Any:
        checked = self.string(
            value,
            path,
            min_len=int(schema.get("minLength", 0)),
            max_len=int(schema.get("maxLength", 10**12)),
        )
        pattern = schema.get("pattern")
        if checked is not None and pattern is not None and not re.search(pattern, checked):
            self.add("invalid_format", path, f"Invalid string: must match pattern {pattern}")
            return None
        return checked

    def array(self, value: Any, path: Path, schema: dict[str, Any]) -> Any:
        if not isinstance(value, list):
            self.expected("array", value, path)
            return None
        if "minItems" in schema and len(value) < schema["minItems"]:
            self.add(
                "too_small", path, f"Too small: expected array to have >={schema['minItems']} items"
            )
            return None
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            self.add(
                "too_big", path, f"Too big: expected array to have <={schema['maxItems']} items"
            )
            return None
        items = schema.get("items", {})
        return [self.check(item, (*path, index), items) for index, item in enumerate(value)]

    def object_(self, value: Any, path: Path, schema: dict[str, Any]) -> Any:
        properties: dict[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", []))
        optional = set(properties) - required
        if schema.get("additionalProperties"):
            # Untyped by the SDK: unknown keys pass; only the known ones are checked.
            if not isinstance(value, dict):
                self.expected("object", value, path)
                return None
            optional |= set(value) - set(properties)
        checked = self.obj(value, path, required, optional)
        if checked is None:
            return None
        for key, item in checked.items():
            if key in properties:
                self.check(item, (*path, key), properties[key])
        return checked

    def any_of(self, value: Any, path: Path, options: list[dict[str, Any]]) -> Any:
        fitting = [option for option in options if _fits(value, option)]
        if not fitting:
            kinds = sorted({_kind_name(option) for option in options})
            self.expected(" or ".join(kinds), value, path)
            return None
        if len(fitting) == 1:
            return self.check(value, path, fitting[0])
        attempts: list[tuple[int, _SchemaChecker, Any]] = []
        for option in fitting:
            trial = _SchemaChecker(self.resolver)
            result = trial.check(value, path, option)
            if not trial.issues:
                self.media.extend(trial.media)
                return result
            attempts.append((len(trial.issues), trial, result))
        _, best, result = min(attempts, key=lambda attempt: attempt[0])
        self.issues.extend(best.issues)
        return None

    def check(self, value: Any, path: Path, schema: dict[str, Any]) -> Any:
        if "media" in schema:
            family = schema["media"]
            ref = self.media_uri(value, path, family)
            if ref is not None:
                self.media.append((_path_text(path), ref, family))
            return ref
        if "enum" in schema:
            return self.enum(value, path, tuple(schema["enum"]))
        if "anyOf" in schema:
            return self.any_of(value, path, schema["anyOf"])
        kind = schema.get("type")
        if kind == "string":
            return self.text(value, path, schema)
        if kind in ("integer", "number"):
            return self.number(value, path, schema, integer=kind == "integer")
        if kind == "boolean":
            return self.boolean(value, path)
        if kind == "array":
            return self.array(value, path, schema)
        if kind == "object":
            return self.object_(value, path, schema)
        return value


def _kind_name(schema: dict[str, Any]) -> str:
    if "media" in schema or "enum" in schema:
        return (
            "string"
            if "media" in schema or all(isinstance(v, str) for v in schema["enum"])
            else "number"
        )
    return _JSON_TYPES.get(str(schema.get("type")), "value")


def _fits(value: Any, schema: dict[str, Any]) -> bool:
    """Whether the value's JSON type is one the branch could accept."""
    if "anyOf" in schema:
        return any(_fits(value, option) for option in schema["anyOf"])
    if "enum" in schema:
        return any(type(value) is type(option) or (
            isinstance(value, int | float) and not isinstance(value, bool)
            and isinstance(option, int | float) and not isinstance(option, bool)
        ) for option in schema["enum"])  # fmt: skip
    if "media" in schema:
        return isinstance(value, str)
    return _js_type(value) == _JSON_TYPES.get(str(schema.get("type")), "")


def _path_text(path: Path) -> str:
    text = ""
    for part in path:
        text += "[]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def validate_catalogue(
    endpoint: str, body: Any, resolver: UploadResolver
) -> CreateRequest | list[Issue]:
    """Validate a create body for a catalogue model (any model but the original five).

    Returns:
        The request (its media in ``media_refs``), or the issues found.
    """
    checker = _SchemaChecker(resolver)
    models = ENDPOINT_MODELS.get(endpoint, ())
    if not isinstance(body, dict):
        checker.expected("object", body, ())
        return checker.issues
    model = body.get("model")
    found = entry(endpoint, model) if isinstance(model, str) else None
    if found is None:
        if "model" not in body:
            checker.add(
                "invalid_type", ("model",), "Invalid input: expected string, received undefined"
            )
        else:
            checker.add(
                "invalid_value", ("model",), f"Invalid option: expected one of {_options(models)}"
            )
        return checker.issues
    checker.check(body, (), found["schema"])
    if not checker.issues:
        for rule in found["rules"]:
            checker.issues.extend(RULES[rule](body))
    if checker.issues:
        return checker.issues
    assert isinstance(model, str)
    ratio = body.get("ratio")
    return CreateRequest(
        endpoint=endpoint,
        model=model,
        body=body,
        ratio=ratio if isinstance(ratio, str) else None,
        duration=None,
        audio=bool(body.get("audio", True)),
        output_format=str(body.get("outputFormat") or body.get("format") or ""),
        media_refs=checker.media,
        catalogue=True,
    )


def validate_create(
    endpoint: str, body: Any, resolver: UploadResolver
) -> CreateRequest | list[Issue]:
    """Validate a create body for ``endpoint``: the original five models by their hand-written
    rules, every other model by ``catalogue.json``."""
    model = body.get("model") if isinstance(body, dict) else None
    if endpoint == "character_performance":
        return validate_character_performance(body, resolver)
    if endpoint == "image_to_video" and model in IMAGE_TO_VIDEO_MODELS:
        return validate_image_to_video(body, resolver)
    return validate_catalogue(endpoint, body, resolver)
