"""The catalogue against the installed official SDK: nothing missing, nothing stale, limits real.

These tests read the SDK's TypedDicts with their own small reader (not the generator's), so a
bug in the generator's reading shows up here rather than being agreed with.
"""

from __future__ import annotations

import importlib
import pkgutil
import typing
from typing import Any, get_args, get_origin, get_type_hints

import pytest
import runwayml
import runwayml.types
from pydantic import TypeAdapter, ValidationError
from runwayml._utils import PropertyInfo

from prefect_runway.api.catalogue import CATALOGUE, SDK_VERSION, parse_request
from scripts.catalogue.__main__ import GENERATED, generate
from scripts.catalogue.sdk import ENDPOINTS, OUT_OF_SCOPE

SDK_MODULE_SUFFIX = "_create_params"


def sdk_create_modules() -> list[str]:
    """Every ``*_create_params`` module of the installed SDK, as endpoint names."""
    names: list[str] = []
    for info in pkgutil.walk_packages(runwayml.types.__path__, "runwayml.types."):
        leaf = info.name.removeprefix("runwayml.types.")
        if leaf.endswith(SDK_MODULE_SUFFIX):
            names.append(leaf.removesuffix(SDK_MODULE_SUFFIX).replace(".", "/"))
    return sorted(names)


def sdk_variants(endpoint: str) -> list[type]:
    module = importlib.import_module(f"runwayml.types.{endpoint}{SDK_MODULE_SUFFIX}")
    (name,) = [n for n in module.__all__ if n.endswith("CreateParams")]
    root = getattr(module, name)
    return list(get_args(root)) if get_origin(root) is typing.Union else [root]


def unwrap(annotation: Any) -> tuple[Any, bool, str | None]:
    """(type, required, alias): Required first, then Annotated (the trap the issue names)."""
    required = get_origin(annotation) is typing.Required
    if required:
        annotation = get_args(annotation)[0]
    alias = None
    if get_origin(annotation) is typing.Annotated:
        base, *metadata = get_args(annotation)
        alias = next((m.alias for m in metadata if isinstance(m, PropertyInfo) and m.alias), None)
        annotation = base
    return annotation, required, alias


def sdk_models() -> set[tuple[str, str]]:
    """Every (endpoint, model) the SDK types on the in-scope endpoints."""
    found: set[tuple[str, str]] = set()
    for endpoint in ENDPOINTS:
        for variant in sdk_variants(endpoint):
            model, _, _ = unwrap(get_type_hints(variant, include_extras=True)["model"])
            found.update((endpoint, value) for value in get_args(model))
    return found


def missing_from(catalogue: dict[str, dict[str, Any]]) -> list[str]:
    """What the installed SDK types in scope that ``catalogue`` lacks (empty when complete)."""
    missing = [
        f"model {model} on {endpoint}"
        for endpoint, model in sorted(sdk_models())
        if model not in catalogue.get(endpoint, {})
    ]
    for endpoint in sdk_create_modules():
        in_scope = endpoint in ENDPOINTS
        out_of_scope = any(endpoint.startswith(prefix) for prefix in OUT_OF_SCOPE)
        if not in_scope and not out_of_scope:
            missing.append(f"endpoint {endpoint} (neither in the catalogue nor out of scope)")
        if in_scope and endpoint not in catalogue:
            missing.append(f"endpoint {endpoint}")
    return missing


def test_the_pinned_sdk_is_installed() -> None:
    assert runwayml.__version__ == SDK_VERSION == "5.24.0"


def test_every_in_scope_model_the_sdk_types_is_in_the_catalogue() -> None:
    assert missing_from(CATALOGUE) == []
    assert sum(len(models) for models in CATALOGUE.values()) == len(sdk_models()) == 98
    assert set(CATALOGUE) == set(ENDPOINTS) and len(ENDPOINTS) == 14


@pytest.mark.parametrize(
    ("endpoint", "model"), [("image_to_video", "kling_4"), ("voice_isolation", None)]
)
def test_the_check_fails_when_a_model_or_an_endpoint_is_removed(
    endpoint: str, model: str | None
) -> None:
    trimmed = {ep: dict(models) for ep, models in CATALOGUE.items()}
    if model is None:
        del trimmed[endpoint]
        assert missing_from(trimmed) == [
            "model eleven_voice_isolation on voice_isolation",
            "endpoint voice_isolation",
        ]
    else:
        del trimmed[endpoint][model]
        assert missing_from(trimmed) == [f"model {model} on {endpoint}"]


def test_an_sdk_endpoint_nobody_placed_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    real = sdk_create_modules()
    monkeypatch.setitem(globals(), "sdk_create_modules", lambda: [*real, "hologram"])
    assert missing_from(CATALOGUE) == [
        "endpoint hologram (neither in the catalogue nor out of scope)"
    ]


def test_the_committed_generated_files_are_what_the_generator_writes_now() -> None:
    fresh = generate()
    assert set(fresh) == set(GENERATED)
    for path, text in fresh.items():
        assert path.read_text() == text, f"{path.name} is stale: run python3 dev.py catalogue"


@pytest.mark.parametrize(("endpoint", "model"), sorted(sdk_models()))
def test_every_sdk_field_is_a_field_of_the_model_with_its_wire_name_and_required_ness(
    endpoint: str, model: str
) -> None:
    cls = CATALOGUE[endpoint][model]
    by_wire = {(info.alias or name): (name, info) for name, info in cls.model_fields.items()}
    (variant,) = [
        v
        for v in sdk_variants(endpoint)
        if model in get_args(unwrap(get_type_hints(v, include_extras=True)["model"])[0])
    ]
    hints = get_type_hints(variant, include_extras=True)
    assert len(hints) == len(cls.model_fields)
    for python_name, annotation in hints.items():
        tp, required, alias = unwrap(annotation)
        wire = alias or python_name
        assert wire in by_wire, f"{endpoint}/{model}: {wire} missing"
        name, info = by_wire[wire]
        assert name == python_name
        # Required fields stay required, except the model (its only value is the default).
        assert info.is_required() == (required and python_name != "model"), wire
        if get_origin(tp) is typing.Literal and python_name != "model":
            # Every value the SDK allows passes the model's own check on that field.
            adapter = TypeAdapter(info.rebuild_annotation())
            for value in get_args(tp):
                adapter.validate_python(value)


def test_required_keys_come_from_the_annotations_not_required_keys() -> None:
    """The trap: on Python 3.11 the SDK's TypedDicts report no required keys at all."""
    (gen45,) = [v for v in sdk_variants("image_to_video") if v.__name__ == "Gen4_5"]
    assert gen45.__required_keys__ == frozenset()  # type: ignore[attr-defined]
    required = {
        name
        for name, annotation in get_type_hints(gen45, include_extras=True).items()
        if unwrap(annotation)[1]
    }
    assert required == {"duration", "model", "prompt_image", "prompt_text", "ratio"}
    assert CATALOGUE["image_to_video"]["gen4.5"].model_fields["prompt_image"].is_required()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        # The SDK's types let duration=99 through; the OpenAPI document bounds it (2-10).
        (
            {"model": "gen4.5", "promptText": "x", "ratio": "1280:720", "duration": 99},
            "duration",
        ),
        ({"model": "hailuo3", "promptText": "x", "ratio": "16:9", "duration": 4}, "duration"),
        (
            {
                "model": "magnific_precision_upscaler_v2",
                "imageUri": "https://a.example/x.png",
                "sharpen": 101,
            },
            "sharpen",
        ),
        # From the docstrings where the document says nothing: "between 3 and 10" for
        # gemini_omni_flash_1.1 (newer than the document), "(0.7-1.2)" for eleven_v3's speed.
        ({"model": "gemini_omni_flash_1.1", "promptText": "x", "duration": 11}, "duration"),
        (
            {
                "model": "eleven_v3",
                "promptText": "x",
                "voice": {"type": "runway-preset", "presetId": "Maya"},
                "speed": 1.3,
            },
            "speed",
        ),
        # seed 0-4294967295 everywhere (runway-api.md section 4), also where only the SDK types it.
        ({"model": "veo3.1", "promptText": "x", "ratio": "1280:720", "seed": 2**32}, "seed"),
        ({"model": "mirelo_sfx_2_0", "promptText": "x", "duration": 3, "seed": -1}, "seed"),
    ],
)
def test_numeric_limits_the_sdk_types_leave_out_are_enforced(
    body: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_request(body)
    assert field in str(refused.value)
