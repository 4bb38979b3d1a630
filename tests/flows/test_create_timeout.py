"""The create's timeout comes from the RunwayCredentials block, in every flow.

A create answered after its read timeout was billed with its task id never known
(``AmbiguousSubmission``). That timeout used to be the client's fixed 60 s, which no block or
flow could change; it is now the block's ``create_timeout_seconds`` (120 s by default), and each
flow makes its client from the block. Here the block says 1 s and the emulator answers creates
after 2.5 s: each flow must stop ambiguous (its own block's setting was used), and with the
block's default the same slow create succeeds.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from pydantic import SecretStr

from prefect_runway.api import AmbiguousSubmission
from prefect_runway.blocks import RunwayCredentials
from prefect_runway.flows.batch import batch
from prefect_runway.flows.image_to_video import ImageToVideoParams, image_to_video
from prefect_runway.testing.emulator import Fault, FaultPlan, RunwayEmulator
from tests.flows.conftest import SavedBlocks
from tests.media_samples import png_bytes


def test_the_block_sets_the_create_timeout_and_defaults_well_above_a_create() -> None:
    key = SecretStr("key_" + "0" * 128)
    assert RunwayCredentials(api_key=key).get_client()._creates.timeout.read == 120.0
    assert RunwayCredentials(api_key=key).get_client()._api_pools[0].timeout.read == 60.0
    quick = RunwayCredentials(api_key=key, create_timeout_seconds=7.5).get_client()
    assert quick._creates.timeout.read == 7.5 and quick._creates.timeout.connect == 5.0
    for wrong in (0.5, 1e308, float("nan"), 901):
        with pytest.raises(ValueError, match="create_timeout_seconds"):
            RunwayCredentials(api_key=key, create_timeout_seconds=wrong)


async def _slow_block(emulator: RunwayEmulator, seconds: float) -> str:
    name = f"slow-{uuid.uuid4().hex[:8]}"
    await RunwayCredentials(
        api_key=SecretStr(emulator.api_key), base_url=emulator.base_url,
        create_timeout_seconds=seconds,
    ).asave(name)  # fmt: skip
    return name


@pytest.fixture
def still(tmp_path: Path) -> Path:
    path = tmp_path / "still.png"
    path.write_bytes(png_bytes())
    return path


async def test_image_to_video_uses_the_blocks_create_timeout(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, still: Path
) -> None:
    emulator.set_faults(FaultPlan(rules=[Fault(operation="create", kind="slow", delay=2.5)]))
    params = ImageToVideoParams(
        image=str(still), ratio="960:960", duration=2, destination_block=saved_blocks.destination,
        credentials_block=await _slow_block(emulator, 1.0), name="slow", poll_interval=0.05,
    )  # fmt: skip
    with pytest.raises(AmbiguousSubmission, match="ReadTimeout"):
        await image_to_video(params)


async def test_the_same_slow_create_succeeds_with_the_default(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, still: Path
) -> None:
    emulator.set_faults(FaultPlan(rules=[Fault(operation="create", kind="slow", delay=2.5)]))
    params = ImageToVideoParams(
        image=str(still), ratio="960:960", duration=2, destination_block=saved_blocks.destination,
        credentials_block=saved_blocks.credentials, name="slow", poll_interval=0.05,
    )  # fmt: skip
    outcome = await image_to_video(params)
    assert outcome.status == "succeeded" and emulator.stats()["creates_total"] == 1


async def test_the_batch_uses_the_blocks_create_timeout(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, still: Path, tmp_path: Path
) -> None:
    emulator.set_faults(FaultPlan(rules=[Fault(operation="create", kind="slow", delay=2.5)]))
    manifest = tmp_path / "rows.jsonl"
    row = {"name": "slow", "model": "gen4_turbo", "promptImage": str(still), "ratio": "960:960",
           "duration": 2}  # fmt: skip
    manifest.write_text(json.dumps(row) + "\n")
    report = await batch(
        str(manifest), destination_block=saved_blocks.destination,
        credentials_block=await _slow_block(emulator, 1.0), poll_interval=0.05,
    )  # fmt: skip
    assert [r.status for r in report.results] == ["ambiguous"]
    assert "ReadTimeout" in (report.results[0].reason or "")
