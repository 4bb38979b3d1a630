"""Where outputs land: one module computes every key, and hostile names never reach a POST."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from prefect_runway.flows.image_to_video import ImageToVideoParams
from prefect_runway.flows.manifest import parse_manifest
from prefect_runway.flows.storyboard import Scene
from prefect_runway.tasks.locations import (
    InvalidName,
    OutputLocation,
    RunNames,
    check_name,
    check_prefix,
)
from prefect_runway.tasks.spec import GenerationSpec

REQUEST = {"model": "gen4_turbo", "promptImage": "https://example.com/a.png", "ratio": "960:960"}

# Names as users, UI forms, event payloads and manifests send them, chosen to climb out of the
# prefix, reach the ledger or the flows' own files, or pass for another name.
HOSTILE_NAMES = [
    "",  # empty
    ".",
    "..",
    "/",
    "a/b",
    "../escape",
    "a/../../b",
    "_runway/ledger/3f2a9c-1",  # another generation's ledger entry (issue 16, item 5)
    "_runway",
    "_results",
    "_chunks",
    ".hidden",
    "-leading-dash",
    "name.",  # a trailing dot some file systems drop
    "name ",  # a trailing space
    " name",
    "na me",
    "a..b",
    "%2F",
    "a%2Fb",
    "a%2e%2e",
    "a\\b",
    "..\\..\\windows",
    "C:\\evil",
    "name\x00",
    "line\nbreak",
    "tab\there",
    "harbour\u200b",  # zero-width space
    "h\u0430rbour",  # Cyrillic a: a look-alike of "harbour"
    "ｈａｒｂｏｕｒ",  # full-width letters
    "harbour\u0301",  # a combining accent
    "café",
    "名前",
    "emoji-🎬",
    "a" * 201,  # longer than allowed
    "a?b",
    "a#b",
    "a*b",
    "a:b",
    "a|b",
    "a<b>",
    'a"b',
    "~home",
    "$HOME",
    "a;rm",
]

GOOD_NAMES = ["harbour", "Harbour-01", "scene_2.v3", "a", "0", "x" * 200, "keeper-line-3"]


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=lambda n: repr(n)[:30])
def test_a_hostile_name_is_refused_naming_the_value_and_the_rule(name: str) -> None:
    with pytest.raises(InvalidName) as info:
        check_name(name)
    message = str(info.value)
    assert "name=" in message and "A-Z a-z 0-9 _ - ." in message
    with pytest.raises(ValidationError, match="cannot be an output name"):
        GenerationSpec(request=REQUEST, name=name)


@pytest.mark.parametrize("name", HOSTILE_NAMES[:12], ids=lambda n: repr(n)[:30])
def test_the_flows_parameters_refuse_them_too(name: str) -> None:
    with pytest.raises(ValidationError):
        ImageToVideoParams(image="a.png", destination_block="renders", name=name)
    with pytest.raises(ValidationError):
        Scene(image="a.png", prompt_text="x", name=name)


def test_a_manifest_row_with_a_hostile_name_is_malformed_not_paid() -> None:
    rows = parse_manifest(
        '{"name": "/", "model": "gen4_turbo", "promptImage": "https://e.com/a.png", '
        '"ratio": "960:960"}\n'
        '{"name": "_runway/ledger/k-1", "model": "gen4_turbo", '
        '"promptImage": "https://e.com/a.png", "ratio": "960:960"}\n',
        kind="jsonl",
    )
    assert [row.spec for row in rows] == [None, None]
    assert all("cannot be an output name" in (row.error or "") for row in rows)


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_plain_names_pass(name: str) -> None:
    assert check_name(name) == name
    assert GenerationSpec(request=REQUEST, name=name).name == name


@pytest.mark.parametrize("prefix", ["../up", "a/../b", "a/_runway/b", "a//b", "a\\b", "./a"])
def test_a_prefix_cannot_climb_out_or_into_a_ledger(prefix: str) -> None:
    with pytest.raises(InvalidName, match="prefix"):
        check_prefix(prefix)
    with pytest.raises(ValidationError):
        ImageToVideoParams(image="a.png", destination_block="renders", prefix=prefix)


@pytest.mark.parametrize("prefix", ["", "campaign", "campaign/scenes", "/campaign/"])
def test_folder_prefixes_pass(prefix: str) -> None:
    assert check_prefix(prefix) == prefix


def test_every_key_of_a_generation_comes_from_one_place() -> None:
    location = OutputLocation.of(prefix="campaign/scenes", name="harbour", key="k")
    assert location.stem == "campaign/scenes/harbour"
    assert location.output_stem(0) == "campaign/scenes/harbour"
    assert location.output_stem(2) == "campaign/scenes/harbour-2"
    assert location.sidecar_key == "campaign/scenes/harbour.json"
    assert location.ledger_folder == "campaign/scenes/_runway"
    assert location.attempt_key(2) == "k-2"
    unnamed = OutputLocation.of(prefix="", name=None, key="3f2a")
    assert unnamed.stem == "3f2a" and unnamed.ledger_folder == "_runway"
    with pytest.raises(InvalidName):
        OutputLocation.of(prefix="", name="_runway", key="k")


def test_one_name_one_generation_per_run_case_blind_and_the_flows_names_reserved() -> None:
    names = RunNames(reserved={"lighthouse-cut": "the cut", "storyboard": "storyboard.json"})
    assert names.claim("harbour", "k1", where="line 1") is None
    assert names.claim("harbour", "k1", where="line 2") is None  # the same generation: a twin
    refusal = names.claim("Harbour", "k2", where="line 3")
    assert refusal is not None and "line 1" in refusal and "line 3" in refusal
    assert names.claim("LIGHTHOUSE-CUT", "k3", where="shot 4") is not None
    assert names.claim("storyboard", "k4", where="shot 5") is not None
    assert names.claim("harbour2", "k5", where="line 6") is None
