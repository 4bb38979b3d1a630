"""The image-to-video flow end to end: stored once, priced, refused, reported, announced."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from prefect.events import Event

from prefect_runway.flows.image_to_video import ImageToVideoParams, image_to_video
from prefect_runway.flows.reporting import FAILED_EVENT, SUCCEEDED_EVENT
from prefect_runway.tasks.cost import InsufficientCredits, OverBudget
from prefect_runway.tasks.generate import GenerationFailed
from prefect_runway.testing.emulator import Fault, FaultPlan, RunwayEmulator
from tests.flows.conftest import SavedBlocks, read_artifacts
from tests.media_samples import png_bytes


def params(blocks: SavedBlocks, image: Path, **changes: object) -> ImageToVideoParams:
    fields: dict[str, object] = {
        "image": str(image),
        "prompt_text": "Waves roll into the harbour",
        "ratio": "960:960",
        "duration": 3,
        "destination_block": blocks.destination,
        "credentials_block": blocks.credentials,
        "prefix": "scenes",
        "name": "harbour",
        "poll_interval": 0.05,
    }
    return ImageToVideoParams.model_validate(fields | changes)


@pytest.fixture
def still(tmp_path: Path) -> Path:
    path = tmp_path / "harbour.png"
    path.write_bytes(png_bytes())
    return path


async def test_stored_once_with_credits_artifacts_and_event(
    saved_blocks: SavedBlocks,
    emulator: RunwayEmulator,
    still: Path,
    captured_events: Callable[[], list[Event]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="prefect.flow_runs")
    state = await image_to_video(params(saved_blocks, still), return_state=True)
    outcome = await state.result()
    # The task id reaches the run's own logs (the UI), not only this package's loggers.
    assert any(
        record.name == "prefect.flow_runs" and f"Runway task {outcome.task_id}" in record.message
        for record in caplog.records
    )
    stats = emulator.stats()
    assert stats["creates_total"] == 1
    # gen4_turbo: 5 credits per second, 3 s; what the user is told is what Runway charged.
    assert outcome.estimate.credits == 15
    assert outcome.credits == outcome.credits_spent == stats["credits_charged"] == 15
    bucket = saved_blocks.bucket
    s3 = bucket.credentials.get_s3_client()
    assert outcome.output_uri == f"s3://{bucket.bucket_name}/runway-out/scenes/harbour.mp4"
    body = s3.get_object(Bucket=bucket.bucket_name, Key="runway-out/scenes/harbour.mp4")["Body"]
    assert body.read()[4:8] == b"ftyp"
    sidecar = json.loads(
        s3.get_object(Bucket=bucket.bucket_name, Key="runway-out/scenes/harbour.json")[
            "Body"
        ].read()
    )
    assert sidecar["credits"] == 15 and sidecar["task_id"] == outcome.task_id

    artifacts = await read_artifacts(state.state_details.flow_run_id)
    results = artifacts["runway-image-to-video-results"]["data"]
    assert results == [
        {"row": 1, "model": "gen4_turbo", "seconds": results[0]["seconds"], "credits": 15,
         "S3 URI": outcome.output_uri, "status": "succeeded", "reason": ""}
    ]  # fmt: skip
    progress = [a for a in artifacts.values() if a["type"] == "progress"]
    assert len(progress) == 1 and progress[0]["data"] == 100.0
    assert outcome.task_id in progress[0]["description"]

    events = [e for e in captured_events() if e.event.startswith("runway.generation.")]
    assert [e.event for e in events] == [SUCCEEDED_EVENT]
    payload = events[0].payload
    assert payload["s3_uri"] == outcome.output_uri and payload["credits"] == 15
    assert payload["task_id"] == outcome.task_id and payload["reused"] is False
    assert events[0].resource.id == f"runway.generation.{outcome.key}"
    rendered = json.dumps([e.model_dump(mode="json") for e in events]) + json.dumps(artifacts)
    assert emulator.api_key not in rendered and "_jwt" not in rendered


async def test_a_rerun_pays_nothing(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, still: Path
) -> None:
    first = await image_to_video(params(saved_blocks, still))
    again = await image_to_video(params(saved_blocks, still))
    assert emulator.stats()["creates_total"] == 1
    assert again.output_uri == first.output_uri
    assert again.credits == 15 and again.credits_spent == 0
    assert again.result is not None and again.result.from_sidecar


async def test_a_dry_run_prices_without_any_post(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, still: Path
) -> None:
    state = await image_to_video(
        params(saved_blocks, still, model="gen4.5", duration=10, dry_run=True, max_credits=1000),
        return_state=True,
    )
    outcome = await state.result()
    assert outcome.status == "dry_run" and outcome.action == "submit"
    assert outcome.estimate.credits == 120  # gen4.5: 12 credits/s
    stats = emulator.stats()
    assert stats["creates_total"] == 0 and stats["uploads"] == 0
    table = (await read_artifacts(state.state_details.flow_run_id))[
        "runway-image-to-video-estimate"
    ]
    row = table["data"][0]
    assert (row["model"], row["estimated credits"], row["action"]) == ("gen4.5", 120, "submit")
    assert row["balance"] == emulator.stats()["credit_balance"]


async def test_a_dry_run_says_a_budget_would_refuse(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, still: Path
) -> None:
    outcome = await image_to_video(params(saved_blocks, still, dry_run=True, max_credits=10))
    assert outcome.action is not None and outcome.action.startswith("refuse: ")
    assert "max_credits=10" in outcome.action
    assert emulator.stats()["creates_total"] == 0


async def test_over_budget_is_refused_before_any_post(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, still: Path
) -> None:
    with pytest.raises(OverBudget, match=r"estimated at 40 credits.*max_credits=39"):
        await image_to_video(
            params(saved_blocks, still, model="veo3.1_fast", duration=4, ratio="1280:720",
                   audio=False, max_credits=39)
        )  # fmt: skip
    stats = emulator.stats()
    assert stats["creates_total"] == 0 and stats["uploads"] == 0


async def test_a_short_balance_is_refused_before_any_post(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, still: Path
) -> None:
    emulator.configure(credit_balance=14)
    with pytest.raises(InsufficientCredits, match="has 14 credits"):
        await image_to_video(params(saved_blocks, still))
    assert emulator.stats()["creates_total"] == 0


async def test_a_failed_generation_fails_the_run_with_runways_reason(
    saved_blocks: SavedBlocks,
    emulator: RunwayEmulator,
    still: Path,
    captured_events: Callable[[], list[Event]],
) -> None:
    emulator.set_faults(
        FaultPlan(rules=[Fault(operation="task", kind="fail", failure_code="SAFETY.INPUT.IMAGE",
                               failure="The image was refused.")])
    )  # fmt: skip
    state = await image_to_video(params(saved_blocks, still), return_state=True)
    assert state.is_failed()
    with pytest.raises(GenerationFailed, match="The image was refused"):
        await state.result()
    assert emulator.stats()["creates_total"] == 1  # a content refusal is not retried
    table = (await read_artifacts(state.state_details.flow_run_id))["runway-image-to-video-results"]
    assert table["data"][0]["status"] == "failed"
    assert "SAFETY.INPUT.IMAGE" in table["data"][0]["reason"]
    failed = [e for e in captured_events() if e.event == FAILED_EVENT]
    assert len(failed) == 1 and failed[0].payload["failure_code"] == "SAFETY.INPUT.IMAGE"
    assert failed[0].payload["s3_uri"] is None


async def test_a_rule_of_the_model_is_refused_before_anything_is_read(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    from prefect_runway import ParameterError

    missing = tmp_path / "not-there.png"
    with pytest.raises(ParameterError, match="ratio"):
        await image_to_video(params(saved_blocks, missing, model="veo3.1", ratio="960:960"))
    assert emulator.stats()["creates_total"] == 0


def test_the_ui_form_offers_the_choices_with_descriptions() -> None:
    schema = image_to_video.parameters.model_dump()["definitions"]["ImageToVideoParams"]
    fields = schema["properties"]
    from prefect_runway.api.catalogue import CATALOGUE

    # Every image-to-video model the catalogue types, the four the form always had first.
    assert fields["model"]["enum"][:4] == ["gen4_turbo", "gen4.5", "veo3.1", "veo3.1_fast"]
    assert sorted(fields["model"]["enum"]) == sorted(CATALOGUE["image_to_video"])
    assert len(fields["model"]["enum"]) == 25 and fields["model"]["default"] == "gen4_turbo"
    assert "1584:672" in fields["ratio"]["enum"] and "1080:1920" in fields["ratio"]["enum"]
    assert "auto_720p" in fields["ratio"]["enum"] and "16:9" in fields["ratio"]["enum"]
    # Duration is text (numbers or "auto"); its help gives each model's range.
    assert (
        "2-10: gen4_turbo, gen4.5; 4, 6 or 8: veo3.1, veo3.1_fast"
        in (fields["duration"]["description"])
    )
    assert "Only for: " in fields["cfg_scale"]["description"]
    assert set(schema["required"]) == {"image"}
    undescribed = [name for name, field in fields.items() if not field.get("description")]
    assert undescribed == []


async def test_two_runs_of_one_request_at_once_pay_once(
    saved_blocks: SavedBlocks,
    emulator: RunwayEmulator,
    still: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asyncio

    import prefect_runway.tasks.submit
    from tests.testing.emulator.support import wait_for

    monkeypatch.setattr(prefect_runway.tasks.submit, "DEFAULT_CLAIM_WAIT_SECONDS", 60.0)
    # Runway takes 3 s to answer the create: the second run starts while the first run's
    # intent has no task id yet, and must wait for it instead of paying again.
    emulator.set_faults(FaultPlan(rules=[Fault(operation="create", kind="slow", delay=3.0)]))
    first_run = asyncio.ensure_future(image_to_video(params(saved_blocks, still)))
    await asyncio.to_thread(wait_for, emulator.stats, lambda s: s["creates_total"] == 1)
    second_run = asyncio.ensure_future(image_to_video(params(saved_blocks, still)))
    # Both runs end before the test does (a failed one must not outlive it).
    first, second = await asyncio.gather(first_run, second_run, return_exceptions=True)
    assert not isinstance(first, BaseException), first
    assert not isinstance(second, BaseException), second
    assert emulator.stats()["creates_total"] == 1
    assert first.task_id == second.task_id and first.output_uri == second.output_uri
