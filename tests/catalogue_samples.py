"""Request bodies for every (endpoint, model) of the catalogue, built from the emulator's rules.

``catalogue.json`` is plain data (the emulator's copy of the rules), so a body built from it
is neither the client's nor the emulator's code: each side validates it with its own reading.
``minimal_body`` gives the smallest valid body; ``bodies`` (a Hypothesis strategy) gives valid
bodies and, on request, bodies with one rule broken on purpose.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

import prefect_runway.testing.emulator as emulator_package

CATALOGUE: dict[str, Any] = json.loads(
    (Path(emulator_package.__file__).with_name("catalogue.json")).read_text()
)["endpoints"]

VARIANTS: list[tuple[str, str]] = [
    (endpoint, model) for endpoint, models in CATALOGUE.items() for model in models
]
"""Every (endpoint, model), in the SDK's order."""

HTTPS = {
    "image": "https://example.com/still.png",
    "video": "https://example.com/clip.mp4",
    "audio": "https://example.com/voice.mp3",
}

# Bodies the field rules alone would allow but a cross-field rule refuses: what makes the
# minimal body valid (checked against both sides by the tests).
FIXES: dict[tuple[str, str], dict[str, Any]] = {
    # "text-only requests require a concrete ratio"
    ("text_to_video", "hailuo3"): {"ratio": "16:9"},
}


def schema_of(endpoint: str, model: str) -> dict[str, Any]:
    found: dict[str, Any] = CATALOGUE[endpoint][model]["schema"]
    return found


def rules_of(endpoint: str, model: str) -> list[str]:
    found: list[str] = CATALOGUE[endpoint][model]["rules"]
    return found


def minimal(schema: dict[str, Any]) -> Any:
    """The smallest value ``schema`` accepts."""
    if "media" in schema:
        return HTTPS[schema["media"]]
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return minimal(schema["anyOf"][0])
    kind = schema.get("type")
    if kind == "string":
        if "pattern" in schema:
            return "abc"[: max(3, schema.get("minLength", 0))] or "abc"
        return "x" * max(1, schema.get("minLength", 1))
    if kind == "integer":
        if "minimum" in schema:
            return int(schema["minimum"])
        if "exclusiveMinimum" in schema:
            return int(schema["exclusiveMinimum"]) + 1
        return 5
    if kind == "number":
        return float(schema.get("minimum", 1.0))
    if kind == "boolean":
        return False
    if kind == "array":
        return [minimal(schema.get("items", {})) for _ in range(schema.get("minItems", 0))]
    if kind == "object":
        properties = schema.get("properties", {})
        return {key: minimal(properties[key]) for key in schema.get("required", [])}
    raise AssertionError(f"no sample for {schema}")


def minimal_body(endpoint: str, model: str) -> dict[str, Any]:
    """The smallest valid body of ``model`` on ``endpoint``."""
    body: dict[str, Any] = minimal(schema_of(endpoint, model))
    body["model"] = model
    return {**body, **FIXES.get((endpoint, model), {})}


# ----------------------------------------------------------------------------- Hypothesis


def data_uri(kind: str, payload: bytes = b"\x00" * 24) -> str:
    media_type = {"image": "image/png", "video": "video/mp4", "audio": "audio/mpeg"}[kind]
    return f"data:{media_type};base64,{base64.b64encode(payload).decode()}"


WRONG_KIND = {"image": "video", "video": "image", "audio": "image"}


@dataclass(frozen=True)
class Broken:
    """A body with one field rule broken on purpose: both sides must refuse it."""

    body: dict[str, Any]
    what: str


def values(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Valid values of ``schema`` (optional properties sometimes given)."""
    if "media" in schema:
        kind = schema["media"]
        return st.sampled_from([HTTPS[kind], data_uri(kind)])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema:
        return st.one_of([values(option) for option in schema["anyOf"]])
    kind = schema.get("type")
    if kind == "string":
        if "pattern" in schema:
            return st.from_regex(r"\A[a-z][a-z0-9_]{2,12}\Z")
        low = schema.get("minLength", 0)
        high = min(schema.get("maxLength", 40), 40)
        return st.text(
            alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)),
            min_size=max(low, 1) if low else 0,
            max_size=max(high // 2, max(low, 1)),
        )
    if kind == "integer":
        low = schema.get("minimum")
        if low is None and "exclusiveMinimum" in schema:
            low = schema["exclusiveMinimum"] + 1
        high = schema.get("maximum")
        return st.integers(
            min_value=int(low) if low is not None else 0,
            max_value=int(min(high, 10**9)) if high is not None else 100,
        )
    if kind == "number":
        return st.floats(
            min_value=float(schema.get("minimum", 0.0)),
            max_value=float(schema.get("maximum", 60.0)),
            allow_nan=False,
        )
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        low = schema.get("minItems", 0)
        high = min(schema.get("maxItems", 3), max(low, 3))
        return st.lists(values(schema.get("items", {})), min_size=low, max_size=high)
    if kind == "object":
        return _objects(schema)
    raise AssertionError(f"no strategy for {schema}")


@st.composite
def _objects(draw: st.DrawFn, schema: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    body: dict[str, Any] = {}
    for key, item in properties.items():
        if key in required or draw(st.booleans()):
            body[key] = draw(values(item))
    return body


@st.composite
def broken(draw: st.DrawFn, endpoint: str, model: str) -> Broken:
    """A valid body with exactly one field rule broken."""
    schema = schema_of(endpoint, model)
    body = minimal_body(endpoint, model)
    properties: dict[str, Any] = schema["properties"]
    required: list[str] = [key for key in schema["required"] if key != "model"]
    choices: list[tuple[str, Any]] = [("extra key", None), ("wrong model", None)]
    choices += [("missing", key) for key in required if key not in FIXES.get((endpoint, model), {})]
    for key, item in properties.items():
        if key == "model":
            continue
        if "enum" in item:
            choices.append(("enum", key))
        elif item.get("type") in ("integer", "number") and ("minimum" in item or "maximum" in item):
            choices.append(("range", key))
        elif item.get("type") == "string" and "maxLength" in item:
            choices.append(("too long", key))
        elif "media" in item:
            choices.append(("media kind", key))
        elif item.get("type") == "boolean":
            choices.append(("type", key))
    what, key = draw(st.sampled_from(choices))
    if what == "extra key":
        body["notAField"] = 1
    elif what == "wrong model":
        body["model"] = "gen2"
    elif what == "missing":
        body.pop(key)
    elif what == "enum":
        body[key] = draw(
            st.sampled_from(["16:9 ", "not-an-option", 123456]).filter(
                lambda value: value not in properties[key]["enum"]
            )
        )
    elif what == "range":
        item = properties[key]
        if "maximum" in item:
            body[key] = item["maximum"] + draw(st.integers(min_value=1, max_value=1000))
        else:
            body[key] = item["minimum"] - draw(st.integers(min_value=1, max_value=1000))
    elif what == "too long":
        body[key] = "é" * (properties[key]["maxLength"] + 1)
    elif what == "media kind":
        body[key] = data_uri(WRONG_KIND[properties[key]["media"]])
    elif what == "type":
        body[key] = "yes"
    return Broken(body=body, what=f"{what} {key or ''}".strip())
