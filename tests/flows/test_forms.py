"""The forms Prefect builds from the flows' parameters: what both UIs render, checked on the schema.

The browser test (tests/ui) looks at the rendered forms; these checks name the rule each field
breaks, for every flow, in a second: no ``null`` branch (a type toggle in both UIs) and no
``null`` default (both UIs fill the field with it, then refuse it), a title and a description
on every field, a limit on every text field, and one title and description per shared
parameter, whichever flow shows it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from prefect.flows import Flow
from prefect.utilities.callables import parameter_schema

from prefect_runway import (
    CharacterPerformanceParams,
    ImageToVideoParams,
    Shot,
    batch,
    character_performance,
    fan_out,
    image_to_video,
    recover,
    storyboard,
    sweep,
)
from prefect_runway.flows.endpoints import ENDPOINT_FLOWS, TextToVideoParams

FLOWS: list[Flow[Any, Any]] = [
    image_to_video, character_performance, storyboard, batch, recover, fan_out, sweep,
    *ENDPOINT_FLOWS.values(),
]  # fmt: skip


def fields(flow: Flow[Any, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every field of the flow's form: (where, name, schema), nested models included."""
    schema = parameter_schema(flow).model_dump_for_openapi()
    for name, prop in schema["properties"].items():
        if "$ref" not in prop:
            yield flow.name, name, prop
    for model, definition in schema.get("definitions", {}).items():
        for name, prop in definition["properties"].items():
            yield f"{flow.name}:{model}", name, prop


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.name)
def test_no_field_is_a_type_toggle_or_null(flow: Flow[Any, Any]) -> None:
    text = json.dumps(parameter_schema(flow).model_dump_for_openapi())
    assert "null" not in text, f"{flow.name}: a null branch or a null default"
    assert "anyOf" not in text and "oneOf" not in text, f"{flow.name}: a union renders a toggle"


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.name)
def test_every_field_has_a_title_a_description_and_text_a_limit(flow: Flow[Any, Any]) -> None:
    for where, name, prop in fields(flow):
        assert prop.get("description"), f"{where}.{name} has no description"
        title = prop.get("title", "")
        assert (title and title != name) or name == "params", f"{where}.{name}: title {title!r}"
        if prop.get("type") == "string" and "enum" not in prop:
            assert "maxLength" in prop, f"{where}.{name} is text without a limit"


def test_a_shared_parameter_reads_the_same_in_every_form() -> None:
    seen: dict[str, tuple[str, str, str]] = {}
    shared = {"destination_block", "prefix", "credentials_block", "dry_run", "max_credits",
              "max_attempts", "poll_interval", "max_queue_minutes", "max_run_minutes",
              "concurrency_per_model", "queue_ahead", "manifest", "seed", "allow_resubmit",
              "price_cap", "price_caps"}  # fmt: skip
    for flow in FLOWS:
        for where, name, prop in fields(flow):
            if name not in shared:
                continue
            words = (prop["title"], prop["description"])
            if name in seen:
                assert words == seen[name][:2], f"{where}.{name} differs from {seen[name][2]}"
            else:
                seen[name] = (*words, where)
    assert {"destination_block", "prefix", "credentials_block", "max_credits"} <= set(seen)
    assert seen["destination_block"][0] == "Destination block"


@pytest.mark.parametrize("flow", [batch, storyboard], ids=lambda f: f.name)
def test_queue_ahead_is_an_optional_number_whose_empty_is_one_wave(flow: Flow[Any, Any]) -> None:
    schema = parameter_schema(flow).model_dump_for_openapi()
    found = [(where, prop) for where, name, prop in fields(flow) if name == "queue_ahead"]
    ((where, prop),) = found
    assert prop["type"] == "integer" and (prop["minimum"], prop["maximum"]) == (0, 100)
    assert "default" not in prop, f"{where}: empty must mean one wave, not a number"
    assert "as many as Concurrency per model" in prop["description"]
    required = [schema.get("required", [])]
    required += [d.get("required", []) for d in schema.get("definitions", {}).values()]
    assert all("queue_ahead" not in names for names in required)


def test_every_choice_is_a_dropdown() -> None:
    i2v = ImageToVideoParams.model_json_schema()["properties"]
    act_two = CharacterPerformanceParams.model_json_schema()["properties"]
    shot = Shot.model_json_schema()["properties"]
    for props, names in (
        (i2v, ["model", "ratio", "output_format", "resolution"]),
        (act_two, ["ratio", "expression_intensity", "character_type"]),
        (shot, ["kind", "model", "ratio", "duration", "expression_intensity"]),
    ):
        for name in names:
            assert props[name].get("enum"), f"{name} is not a choice"
    # The longest prompt any image-to-video model takes; each model's own limit on submit.
    assert i2v["prompt_text"]["maxLength"] >= 1000


def test_an_empty_optional_field_is_none_to_the_flow() -> None:
    params = ImageToVideoParams(image="s3://b/a.png")
    assert (params.seed, params.max_credits, params.prompt_text, params.duration) == (None,) * 4
    assert ImageToVideoParams(image="s3://b/a.png", seed=None).seed is None  # a script's None
    assert "seed" not in params.request()


@pytest.mark.parametrize("endpoint", list(ENDPOINT_FLOWS))
def test_an_endpoint_form_is_a_model_dropdown_and_says_who_takes_each_field(
    endpoint: str,
) -> None:
    from prefect_runway.api.catalogue import CATALOGUE

    schema = parameter_schema(ENDPOINT_FLOWS[endpoint]).model_dump_for_openapi()
    (definition,) = schema["definitions"].values()
    props = definition["properties"]
    assert props["model"]["enum"] == list(CATALOGUE[endpoint])
    assert next(iter(props)) == "model"
    models = set(CATALOGUE[endpoint])
    for name, prop in props.items():
        only = re.search(r"Only for: ([^.]+(?:\.[^ .][^.]*)*)\.", prop["description"])
        if only:  # a field not every model takes names exactly those that do
            named = set(only.group(1).split(", "))
            assert named < models, (endpoint, name, named - models)


def test_an_endpoint_form_refuses_a_field_the_model_does_not_take_by_its_form_name() -> None:
    from prefect_runway.flows.user_errors import ParameterError

    params = TextToVideoParams(
        model="veo3.1", prompt_text="Waves", ratio="1280:720", cfg_scale=0.5
    )  # cfgScale is a Kling field
    with pytest.raises(ParameterError, match=r"cfg_scale \(0\.5\): Extra inputs"):
        params.spec()
    accepted = TextToVideoParams(model="veo3.1", prompt_text="Waves", ratio="1280:720")
    assert accepted.spec().validate_request().endpoint == "text_to_video"
