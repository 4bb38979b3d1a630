"""Every number in the catalogue is bounded, and both sides refuse a number out of bounds.

The SDK's types carry no numeric limits and the OpenAPI document predates many models, so
``wan3`` once took ``duration: 99`` and ``mirelo_sfx_2_0`` ``numVariants: 99`` (99 paid
variants). The hand-checked layer (``scripts/catalogue/hand.py``, ``BOUNDS``) bounds what no
source does. Hypothesis draws a bounded number of any model of any endpoint: out of bounds, the
client and the emulator (its own reading of ``catalogue.json``) both refuse it, the client
naming the field, the value and the limit; in bounds, both accept it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from prefect_runway.api import parse_request
from prefect_runway.api.catalogue import CATALOGUE as CLIENT
from tests.catalogue_samples import CATALOGUE as SERVER
from tests.catalogue_samples import VARIANTS, minimal_body
from tests.emulator_validation import emulator_issues

BOUNDS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _leaves(schema: dict[str, Any], defs: dict[str, Any]) -> list[dict[str, Any]]:
    if "$ref" in schema:
        return _leaves(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return [leaf for option in schema[key] for leaf in _leaves(option, defs)]
    return [schema]


def _numbers(
    schema: dict[str, Any], defs: dict[str, Any], path: str
) -> list[tuple[str, dict[str, Any]]]:
    """Every free number (not a choice) under ``schema``: (path, its schema)."""
    found: list[tuple[str, dict[str, Any]]] = []
    for leaf in _leaves(schema, defs):
        kind = leaf.get("type")
        if kind in ("integer", "number") and "enum" not in leaf and "const" not in leaf:
            found.append((path, leaf))
        elif kind == "array":
            found += _numbers(leaf.get("items", {}), defs, f"{path}[]")
        elif kind == "object" or "properties" in leaf:
            for name, child in leaf.get("properties", {}).items():
                found += _numbers(child, defs, f"{path}.{name}" if path else name)
    return found


def client_numbers() -> list[tuple[str, str, str, dict[str, Any]]]:
    found = []
    for endpoint, models in CLIENT.items():
        for model, cls in models.items():
            schema = cls.model_json_schema(by_alias=True)
            for path, leaf in _numbers(schema, schema.get("$defs", {}), ""):
                found.append((endpoint, model, path, leaf))
    return found


def server_numbers() -> list[tuple[str, str, str, dict[str, Any]]]:
    return [
        (endpoint, model, path, leaf)
        for endpoint, model in VARIANTS
        for path, leaf in _numbers(SERVER[endpoint][model]["schema"], {}, "")
    ]


def _low(leaf: dict[str, Any]) -> float | None:
    return leaf.get("minimum", leaf.get("exclusiveMinimum"))


def _high(leaf: dict[str, Any]) -> float | None:
    return leaf.get("maximum", leaf.get("exclusiveMaximum"))


@pytest.mark.parametrize(
    ("side", "numbers"), [("client", client_numbers), ("emulator", server_numbers)]
)
def test_every_number_of_every_model_has_both_bounds(side: str, numbers: Any) -> None:
    unbounded = [
        f"{endpoint}/{model}.{path}"
        for endpoint, model, path, leaf in numbers()
        if _low(leaf) is None or _high(leaf) is None
    ]
    assert unbounded == [], f"{side}: numbers without a limit: {unbounded}"


def test_the_bounds_that_used_to_be_missing() -> None:
    """The values the issue found accepted (99 s of wan3, 99 images, 99 paid variants)."""
    refused = [
        ("image_to_video", {"model": "wan3", "promptImage": "https://example.com/a.png",
                            "promptText": "Dusk", "duration": 99}, "duration"),
        ("text_to_video", {"model": "wan3", "promptText": "Dusk", "duration": 99}, "duration"),
        ("text_to_image", {"model": "nano_banana_2.1", "promptText": "A fox", "ratio": "1024:1024",
                           "outputCount": 99}, "outputCount"),
        ("sound_effect", {"model": "mirelo_sfx_2_0", "promptText": "Rain", "duration": 5.0,
                          "numVariants": 99}, "numVariants"),
        ("video_to_audio", {"model": "mirelo_sfx_2_0", "videoUri": "https://example.com/c.mp4",
                            "duration": 99.0}, "duration"),
        ("image_to_video", {"model": "kling3.0_pro", "promptImage": "https://example.com/a.png",
                            "cfgScale": 7.5}, "cfgScale"),
    ]  # fmt: skip
    for endpoint, body, field in refused:
        with pytest.raises(ValidationError, match=field) as caught:
            parse_request(body, endpoint=endpoint)
        assert str(body[field]) in str(caught.value) and "than or equal to" in str(caught.value)
        assert any(issue["path"][-1] == field for issue in emulator_issues(endpoint, body)), body


# A number of each (endpoint, model, top-level path) both sides bound, from the emulator's copy.
TOP_LEVEL = [
    (endpoint, model, path, leaf)
    for endpoint, model, path, leaf in server_numbers()
    if "." not in path and "[]" not in path and path != "model"
]


def _outside(leaf: dict[str, Any]) -> st.SearchStrategy[int | float]:
    low, high = _low(leaf), _high(leaf)
    assert low is not None and high is not None
    if leaf["type"] == "integer":
        return st.integers(int(high) + 1, int(high) + 10**6) | st.integers(
            int(low) - 10**6, int(low) - 1
        )
    return st.floats(high, high + 1e6, exclude_min=True, allow_nan=False) | st.floats(
        low - 1e6, low, exclude_max=True, allow_nan=False
    )


def _inside(leaf: dict[str, Any]) -> st.SearchStrategy[int | float]:
    low, high = _low(leaf), _high(leaf)
    assert low is not None and high is not None
    if leaf["type"] == "integer":
        return st.integers(int(low) + ("exclusiveMinimum" in leaf), int(high))
    return st.floats(low, high, exclude_min="exclusiveMinimum" in leaf, allow_nan=False)


def _body(endpoint: str, model: str, path: str, value: int | float) -> dict[str, Any]:
    body = minimal_body(endpoint, model)
    body[path] = value
    return body


@BOUNDS
@given(st.sampled_from(TOP_LEVEL).flatmap(lambda n: _outside(n[3]).map(lambda v: (n, v))))
def test_a_number_out_of_bounds_is_refused_by_both_naming_field_value_and_limit(
    drawn: tuple[tuple[str, str, str, dict[str, Any]], int | float],
) -> None:
    (endpoint, model, path, _leaf), value = drawn
    body = _body(endpoint, model, path, value)
    with pytest.raises(ValidationError) as caught:
        parse_request(body, endpoint=endpoint)
    text = str(caught.value)
    assert path in text and repr(value).replace("'", "") in text.replace("'", ""), text
    assert "than" in text  # "less than or equal to 15", "greater than or equal to 1"
    assert emulator_issues(endpoint, body), f"the emulator takes {path}={value}: {body}"


@BOUNDS
@given(st.sampled_from(TOP_LEVEL).flatmap(lambda n: _inside(n[3]).map(lambda v: (n, v))))
def test_a_number_in_bounds_is_accepted_by_both(
    drawn: tuple[tuple[str, str, str, dict[str, Any]], int | float],
) -> None:
    (endpoint, model, path, _leaf), value = drawn
    body = _body(endpoint, model, path, value)
    try:
        parse_request(body, endpoint=endpoint)
    except ValidationError as error:
        # A cross-field rule may refuse the value in this body (Kling's segments add up to
        # 3-15 s): then the emulator refuses it too.
        assert emulator_issues(endpoint, body), f"only the client refuses {path}={value}: {error}"
    else:
        assert emulator_issues(endpoint, body) == [], f"the emulator refuses {path}={value}"


@pytest.mark.parametrize("segment", [0, 16, 99])
def test_a_kling_segment_out_of_bounds_is_refused_by_both(segment: int) -> None:
    shots = {"multiPrompt": [{"duration": segment, "prompt": "Dusk"}]}
    body = {"model": "kling3.0_pro", "promptImage": "https://example.com/a.png",
            "providerSettings": shots}  # fmt: skip
    with pytest.raises(ValidationError, match="duration"):
        parse_request(body, endpoint="image_to_video")
    assert emulator_issues("image_to_video", body)


def test_the_readme_lists_every_conservative_bound() -> None:
    """Every bound picked without a written source is listed for users in the README."""
    from scripts.catalogue.hand import BOUNDS as HAND

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for (endpoint, model, path), (_low_value, _high_value, why) in HAND.items():
        if "conservative" in why:
            assert f"`{model}`" in readme and f"`{path.rsplit('.', 1)[-1]}`" in readme, (
                endpoint,
                model,
                path,
            )
