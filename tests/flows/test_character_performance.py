"""The character-performance (Act-Two) flow: priced over the probed clip, stored once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from prefect.events import Event

from prefect_runway.flows.character_performance import (
    CharacterPerformanceParams,
    character_kind,
    character_performance,
)
from prefect_runway.flows.reporting import SUCCEEDED_EVENT
from prefect_runway.tasks.cost import OverBudget
from prefect_runway.tasks.inputs import InputError
from prefect_runway.testing.emulator import RunwayEmulator
from tests.flows.conftest import SavedBlocks, read_artifacts
from tests.media_samples import png_bytes
from tests.testing.emulator.support import mp4_bytes


def params(blocks: SavedBlocks, character: Path, reference: Path | str, **changes: object) -> (
    CharacterPerformanceParams
):  # fmt: skip
    fields: dict[str, object] = {
        "character": str(character),
        "reference": str(reference),
        "expression_intensity": 4,
        "ratio": "960:960",
        "destination_block": blocks.destination,
        "credentials_block": blocks.credentials,
        "prefix": "close-ups",
        "name": "keeper",
        "poll_interval": 0.05,
    }
    return CharacterPerformanceParams.model_validate(fields | changes)


@pytest.fixture
def cast_and_take(tmp_path: Path) -> tuple[Path, Path]:
    character = tmp_path / "keeper.png"
    character.write_bytes(png_bytes())
    reference = tmp_path / "take.mp4"
    reference.write_bytes(mp4_bytes(4.2))
    return character, reference


async def test_priced_over_the_clip_and_charged_the_same(
    saved_blocks: SavedBlocks,
    emulator: RunwayEmulator,
    cast_and_take: tuple[Path, Path],
    captured_events: Callable[[], list[Event]],
) -> None:
    state = await character_performance(params(saved_blocks, *cast_and_take), return_state=True)
    outcome = await state.result()
    stats = emulator.stats()
    assert stats["creates_total"] == 1
    # 5 credits per second over a 4.2 s clip, billed per started second.
    assert outcome.estimate.credits == 25
    assert outcome.credits == stats["credits_charged"] == 25
    assert outcome.output_uri is not None and outcome.output_uri.endswith("close-ups/keeper.mp4")
    request = emulator.task(outcome.task_id or "")["request"]
    assert request["character"]["type"] == "image" and request["expressionIntensity"] == 4
    results = (await read_artifacts(state.state_details.flow_run_id))[
        "runway-character-performance-results"
    ]
    assert results["data"][0]["credits"] == 25 and results["data"][0]["status"] == "succeeded"
    events = [e for e in captured_events() if e.event == SUCCEEDED_EVENT]
    assert len(events) == 1 and events[0].payload["credits"] == 25
    assert events[0].payload["flow"] == "character-performance"


async def test_a_budget_below_the_clip_is_refused_before_any_post(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, cast_and_take: tuple[Path, Path]
) -> None:
    with pytest.raises(OverBudget, match=r"25 credits.*max_credits=20"):
        await character_performance(params(saved_blocks, *cast_and_take, max_credits=20))
    stats = emulator.stats()
    assert stats["creates_total"] == 0 and stats["uploads"] == 0


async def test_a_clip_too_short_is_refused_before_any_post(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    character = tmp_path / "keeper.png"
    character.write_bytes(png_bytes())
    short = tmp_path / "short.mp4"
    short.write_bytes(mp4_bytes(1.5))
    with pytest.raises(InputError, match=r"lasts 1.50 s; Act-Two needs 3 to 30 s"):
        await character_performance(params(saved_blocks, character, short))
    assert emulator.stats()["creates_total"] == 0


async def test_an_https_clip_is_budgeted_at_its_longest(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, cast_and_take: tuple[Path, Path]
) -> None:
    character, _ = cast_and_take
    outcome = await character_performance(
        params(saved_blocks, character, "https://example.com/take.mp4", dry_run=True,
               max_credits=100)
    )  # fmt: skip
    assert outcome.estimate.credits is None
    assert (outcome.estimate.at_least, outcome.estimate.at_most) == (15, 150)
    assert outcome.action is not None and "max_credits=100" in outcome.action
    assert emulator.stats()["creates_total"] == 0


def test_the_character_kind_follows_the_extension() -> None:
    assert character_kind("s3://cast/keeper.MOV") == "video"
    assert character_kind("https://example.com/a.png?v=2") == "image"
    assert character_kind("data:video/mp4;base64,AAAA") == "video"


def test_the_ui_form_offers_the_choices_with_descriptions() -> None:
    schema = character_performance.parameters.model_dump()["definitions"][
        "CharacterPerformanceParams"
    ]
    fields = schema["properties"]
    assert fields["expression_intensity"]["enum"] == [1, 2, 3, 4, 5]
    assert fields["character_type"]["enum"] == ["auto", "image", "video"]
    ratios = fields["ratio"]["enum"]
    assert "1584:672" in ratios and "1920:1080" not in ratios
    assert set(schema["required"]) == {"character", "reference"}
    assert [name for name, field in fields.items() if not field.get("description")] == []
