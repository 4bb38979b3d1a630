"""Detached batches and the sweep: submit and end, then store what finished, with no new create."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from prefect_runway.flows.batch import batch
from prefect_runway.flows.sweep import sweep
from prefect_runway.testing.emulator import RunwayEmulator
from tests.flows.conftest import SavedBlocks
from tests.media_samples import png_bytes
from tests.testing.emulator.support import wait_for


async def test_a_detached_batch_is_stored_by_the_sweep_without_a_new_create(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    rows = []
    for index in range(3):
        image = tmp_path / f"still-{index}.png"
        image.write_bytes(png_bytes(rgb=(index * 60, 40, 90)))
        rows.append({"name": f"r{index}", "model": "gen4_turbo", "promptImage": str(image),
                     "ratio": "960:960", "duration": 2})  # fmt: skip
    manifest = tmp_path / "rows.jsonl"
    manifest.write_text("\n".join(json.dumps(row) for row in [*rows, {**rows[0], "name": "x"}]))
    run = {"destination_block": saved_blocks.destination,
           "credentials_block": saved_blocks.credentials}  # fmt: skip
    # Renders long enough that the detached batch and the first sweep end while they run
    # (6 s was not, once, at CI's load).
    emulator.configure(run_seconds=20.0)
    detached = await batch(str(manifest), detach=True, poll_interval=0.05, **run)
    assert detached.waiting == 4 and detached.succeeded == 0  # three generations, one twin
    assert emulator.stats()["creates_total"] == 3

    early = await sweep(str(manifest), **run)
    assert early.waiting == 4 and early.succeeded == 0

    await asyncio.to_thread(  # the renders finish
        wait_for, emulator.stats, lambda s: s["tasks_by_status"].get("SUCCEEDED") == 3, timeout=60
    )
    swept = await sweep(str(manifest), **run)
    assert swept.succeeded == 4 and swept.waiting == 0
    assert emulator.stats()["creates_total"] == 3  # the sweep never paid for anything
    assert all(r.s3_uri for r in swept.results if r.status == "succeeded")


async def test_the_sweep_never_submits_a_row_the_batch_did_not(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    image = tmp_path / "still.png"
    image.write_bytes(png_bytes())
    manifest = tmp_path / "rows.jsonl"
    manifest.write_text(json.dumps({"name": "a", "model": "gen4_turbo", "promptImage": str(image),
                                    "ratio": "960:960", "duration": 2}))  # fmt: skip
    report = await sweep(str(manifest), destination_block=saved_blocks.destination,
                         credentials_block=saved_blocks.credentials)  # fmt: skip
    assert [r.status for r in report.results] == ["not submitted"]
    assert emulator.stats()["creates_total"] == 0
