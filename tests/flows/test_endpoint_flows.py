"""The per-endpoint flows, run as a user starts them: dry run, budget, price cap, store, re-run."""

from __future__ import annotations

from pathlib import Path

import pytest

from prefect_runway.flows.endpoints import (
    SoundEffectParams,
    TextToImageParams,
    VoiceIsolationParams,
    sound_effect,
    text_to_image,
    voice_isolation,
)
from prefect_runway.tasks.cost import OverBudget
from prefect_runway.testing.emulator import RunwayEmulator
from prefect_runway.testing.emulator.media import render_audio
from tests.flows.conftest import SavedBlocks, read_artifacts
from tests.media_samples import png_bytes


def blocks(saved: SavedBlocks) -> dict[str, object]:
    return {
        "destination_block": saved.destination,
        "credentials_block": saved.credentials,
        "poll_interval": 0.05,
        "prefix": "endpoints",
    }


async def test_a_model_without_a_price_needs_a_cap_under_max_credits(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator
) -> None:
    run = blocks(saved_blocks)
    params = SoundEffectParams(model="seed_audio", prompt_text="Rain on a tin roof", **run)

    state = await sound_effect(params.model_copy(update={"dry_run": True}), return_state=True)
    dry = await state.result()
    assert dry.status == "dry_run" and dry.estimate.unknown and dry.estimate.credits is None
    table = (await read_artifacts(state.state_details.flow_run_id))["runway-sound-effect-estimate"]
    assert table["data"][0]["pays now"] == "price unknown"

    with pytest.raises(OverBudget, match=r"seed_audio have no published price.*price_caps"):
        await sound_effect(params.model_copy(update={"max_credits": 1000}))
    assert emulator.stats()["creates_total"] == 0

    capped = params.model_copy(update={"max_credits": 1000, "price_cap": 100})
    outcome = await sound_effect(capped)
    assert outcome.status == "succeeded" and outcome.output_uri
    assert outcome.output_uri.endswith(".mp3")
    assert emulator.stats()["creates_by_endpoint_and_model"]["sound_effect"]["seed_audio"] == 1

    again = await sound_effect(capped.model_copy(update={"max_credits": 0}))
    assert again.output_uri == outcome.output_uri and again.credits_spent == 0
    assert emulator.stats()["creates_total"] == 1


async def test_local_media_and_several_outputs(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    run = blocks(saved_blocks)
    voice = tmp_path / "take.wav"
    voice.write_bytes(render_audio(2.0, fmt="wav", seed="take").data)
    isolated = await voice_isolation(
        VoiceIsolationParams(model="eleven_voice_isolation", audio_uri=str(voice), **run)
    )
    assert isolated.status == "succeeded"

    still = tmp_path / "fox.png"
    still.write_bytes(png_bytes(480, 320))
    images = await text_to_image(
        TextToImageParams(
            model="muse_image", prompt_text="A fox", ratio="1600:1600", output_count=2,
            output_format="webp", max_credits=2, name="fox", **run,
        )
    )  # fmt: skip
    assert images.status == "succeeded" and images.credits == 2
    assert images.result is not None
    stored = images.result.output_uri
    assert stored is not None and stored.endswith("/endpoints/fox.webp")
    assert emulator.stats()["creates_total"] == 2
