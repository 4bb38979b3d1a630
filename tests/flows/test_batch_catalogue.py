"""The batch takes rows of every endpoint: an ``endpoint`` column where the body is ambiguous, a
``price_cap`` where no price is published; unknown prices are reported as such, never as 0."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from prefect_runway.flows.batch import batch
from prefect_runway.flows.manifest import parse_manifest
from prefect_runway.tasks.cost import OverBudget
from prefect_runway.testing.emulator import RunwayEmulator
from prefect_runway.testing.emulator.media import render_audio
from tests.flows.conftest import SavedBlocks, read_artifacts
from tests.media_samples import png_bytes


def _manifest(folder: Path, rows: list[dict[str, Any]]) -> Path:
    path = folder / "rows.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    return path


def _rows(folder: Path) -> list[dict[str, Any]]:
    still, voice = folder / "still.png", folder / "voice.wav"
    still.write_bytes(png_bytes(480, 320))
    voice.write_bytes(render_audio(2.0, fmt="wav", seed="voice").data)
    return [
        # Priced: 1 credit per image, two images.
        {"name": "fox", "model": "muse_image", "promptText": "A fox", "ratio": "1600:1600",
         "outputCount": 2},
        # seed_audio serves two endpoints: the row says which; no published price.
        {"name": "rain", "endpoint": "sound_effect", "model": "seed_audio",
         "promptText": "Rain on a tin roof"},
        # A local audio input; no published price, capped by the row.
        {"name": "clean", "model": "eleven_voice_isolation", "audioUri": str(voice),
         "price_cap": 40},
        # An image input on a partner model; no published price.
        {"name": "wave", "model": "wan3", "promptImage": str(still), "promptText": "Waves",
         "ratio": "1280:720"},
    ]  # fmt: skip


def test_manifest_rows_take_endpoint_and_price_cap() -> None:
    rows = parse_manifest(
        "name,endpoint,model,promptText,price_cap,outputCount,ratio\n"
        "a,text_to_speech,seed_audio,Hello,12.5,,\n"
        "b,,seed_audio,Hello,,,\n"
        "c,,muse_image,A fox,,3,1600:1600\n"
        "d,,wan3,Waves,-1,,1280:720\n",
        kind="csv",
    )
    first, ambiguous, images, negative = rows
    assert first.spec is not None and first.spec.endpoint == "text_to_speech"
    assert first.price_cap == 12.5
    assert ambiguous.spec is None and "endpoint" in (ambiguous.error or "")
    assert images.spec is not None and images.spec.request["outputCount"] == 3
    assert negative.spec is None and "price_cap" in (negative.error or "")


async def test_a_dry_run_says_price_unknown_and_counts_it_apart(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    manifest = _manifest(tmp_path, _rows(tmp_path))
    state = await batch(
        str(manifest), destination_block=saved_blocks.destination,
        credentials_block=saved_blocks.credentials, dry_run=True, return_state=True,
    )  # fmt: skip
    report = await state.result()
    # Known: 2 (muse) + 40 (capped); unknown: seed_audio and wan3, never counted as 0.
    assert report.estimated_credits == 42 and report.unknown_price == 2
    assert [r.price_unknown for r in report.results] == [False, True, True, True]
    table = (await read_artifacts(state.state_details.flow_run_id))["runway-batch-estimate"]
    assert [r["at most"] for r in table["data"]] == [6.0, "price unknown", 120.0, "price unknown"]
    assert emulator.stats()["creates_total"] == 0


async def test_unknown_prices_are_refused_under_a_budget_unless_capped(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    manifest = _manifest(tmp_path, _rows(tmp_path))
    run = {
        "destination_block": saved_blocks.destination,
        "credentials_block": saved_blocks.credentials,
        "poll_interval": 0.05,
    }
    with pytest.raises(OverBudget, match=r"seed_audio, wan3 have no published price.*price_caps"):
        await batch(str(manifest), max_credits=100_000, **run)
    assert emulator.stats()["creates_total"] == 0

    caps = {"seed_audio": 50, "wan3": 2_000}
    report = await batch(str(manifest), max_credits=100_000, price_caps=caps, **run)
    assert report.succeeded == 4, [r.reason for r in report.results]
    stats = emulator.stats()
    assert stats["creates_total"] == 4
    assert stats["creates_by_endpoint_and_model"]["sound_effect"]["seed_audio"] == 1
    fox = next(r for r in report.results if r.name == "fox")
    assert fox.s3_uri and fox.s3_uri.endswith("fox.png")

    # A re-run pays nothing, whatever its budget.
    again = await batch(str(manifest), max_credits=0, **run)
    assert again.succeeded == 4 and again.credits_spent == 0
    assert emulator.stats()["creates_total"] == 4
