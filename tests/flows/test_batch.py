"""The batch flow: good rows stored once, duplicates shared, bad rows reported by line."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prefect.events import Event
from prefect_aws import S3Bucket
from pydantic import SecretStr

from prefect_runway.blocks import RunwayCredentials
from prefect_runway.flows import batch as batch_module
from prefect_runway.flows.batch import BatchProgress, batch
from prefect_runway.flows.manifest import parse_manifest
from prefect_runway.tasks.cost import OverBudget
from prefect_runway.testing.emulator import Fault, FaultPlan, RunwayEmulator
from tests.flows.conftest import SavedBlocks, read_artifacts
from tests.media_samples import png_bytes


def test_csv_rows_are_typed_and_act_two_columns_nested(tmp_path: Path) -> None:
    text = (
        "name,model,promptImage,ratio,duration,seed,character,reference,expressionIntensity\n"
        "a,gen4_turbo,https://example.com/a.png,960:960,5,7,,,\n"
        "b,act_two,,,,,https://example.com/f.png,https://example.com/r.mp4,4\n"
        "c,gen4_turbo,https://example.com/a.png,16:9,5,,,,\n"
    )
    rows = parse_manifest(text, kind="csv")
    assert [r.line for r in rows] == [2, 3, 4]
    assert rows[0].spec is not None and rows[0].spec.request["duration"] == 5
    assert rows[1].spec is not None
    assert rows[1].spec.request["character"] == {
        "type": "image",
        "uri": "https://example.com/f.png",
    }
    assert rows[2].spec is None and "ratio" in (rows[2].error or "")


@pytest.mark.parametrize("total", [1, 7, 1000])
async def test_progress_moves_per_whole_percent_in_order_and_ends_at_every_generation(
    total: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[tuple[float, str]] = []

    async def update(artifact_id: Any, progress: float, description: str) -> None:
        await asyncio.sleep(random.uniform(0, 0.002))  # a round trip: others finish meanwhile
        shown.append((progress, description))

    monkeypatch.setattr(batch_module, "aupdate_progress_artifact", update)
    progress = BatchProgress(total)

    async def finish_later() -> None:
        await asyncio.sleep(random.uniform(0, 0.05))
        await progress.one_finished()

    await asyncio.gather(*(finish_later() for _ in range(total)))
    values = [value for value, _ in shown]
    assert values[-1] == 100.0 and shown[-1][1] == f"{total} of {total} Runway generations finished"
    assert values == sorted(set(values))  # in order, never the same twice
    assert len(shown) <= min(total, 100)
    assert all(value == int(value) for value in values)  # whole percents


async def test_progress_moves_at_most_once_per_interval_and_a_timer_shows_what_waited(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Issue 20: short generations finishing close together made one artifact update (a round
    # trip, an event) per percent; now one per interval, and none is lost.
    shown: list[float] = []
    updated = asyncio.Event()

    async def update(artifact_id: Any, progress: float, description: str) -> None:
        shown.append(progress)
        updated.set()

    monkeypatch.setattr(batch_module, "aupdate_progress_artifact", update)
    progress = BatchProgress(10, every=0.2)
    for _ in range(3):
        await progress.one_finished()
    assert shown == [10.0]  # the first at once; 20 % and 30 % wait for the interval
    updated.clear()
    await asyncio.wait_for(updated.wait(), 10)  # no other generation finishes: the timer
    assert shown == [10.0, 30.0]
    for _ in range(7):
        await progress.one_finished()
    assert shown == [10.0, 30.0, 100.0]  # the last at once, whatever the interval


async def test_batch_with_bad_duplicate_and_good_rows(
    prefect_harness: str, emulator: RunwayEmulator, s3_bucket: S3Bucket, tmp_path: Path
) -> None:
    image = tmp_path / "still.png"
    image.write_bytes(png_bytes())
    other = tmp_path / "other.png"
    other.write_bytes(png_bytes(rgb=(200, 10, 10)))
    copy = tmp_path / "copy-of-still.png"
    copy.write_bytes(image.read_bytes())
    lines = [
        {
            "name": "one",
            "model": "gen4_turbo",
            "promptImage": str(image),
            "ratio": "960:960",
            "duration": 2,
        },
        {
            "name": "two",
            "model": "gen4_turbo",
            "promptImage": str(other),
            "ratio": "960:960",
            "duration": 2,
        },
        # the same content under another path: the same generation
        {
            "name": "one-again",
            "model": "gen4_turbo",
            "promptImage": str(copy),
            "ratio": "960:960",
            "duration": 2,
        },
        "{not json",
        {"name": "bad", "model": "gen4_turbo", "promptImage": str(image), "ratio": "16:9"},
        {
            "name": "flagged",
            "model": "veo3.1",
            "promptImage": str(image),
            "ratio": "1280:720",
            "duration": 4,
        },
        {
            "name": "missing",
            "model": "gen4_turbo",
            "promptImage": str(tmp_path / "nope.png"),
            "ratio": "960:960",
        },
    ]
    manifest = tmp_path / "batch.jsonl"
    manifest.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    )
    emulator.set_faults(
        FaultPlan(rules=[Fault(operation="task", kind="fail", endpoint="veo3.1",
                               failure_code="SAFETY.INPUT.TEXT", failure="Prompt refused.")])
    )  # fmt: skip
    await s3_bucket.asave("batch-dest", overwrite=True)
    await RunwayCredentials(api_key=SecretStr(emulator.api_key), base_url=emulator.base_url).asave(
        "batch-runway", overwrite=True
    )
    report = await batch(
        str(manifest), destination_block="batch-dest", credentials_block="batch-runway",
        poll_interval=0.05,
    )  # fmt: skip
    by_line = {r.line: r for r in report.results}
    assert (report.rows, report.succeeded, report.failed, report.malformed, report.duplicates) == (
        7, 3, 2, 2, 1,
    )  # fmt: skip
    assert by_line[1].status == by_line[2].status == "succeeded"
    assert by_line[3].duplicate_of == 1 and by_line[3].s3_uri == by_line[1].s3_uri
    assert by_line[4].status == "malformed" and by_line[5].status == "malformed"
    assert "ratio" in (by_line[5].reason or "")
    assert by_line[6].status == "failed" and "SAFETY.INPUT.TEXT: Prompt refused." in (
        by_line[6].reason or ""
    )
    assert by_line[7].status == "failed" and "no such file" in (by_line[7].reason or "")
    stats = emulator.stats()
    assert stats["creates_total"] == 3  # one, two, flagged: duplicates and bad rows cost nothing
    assert report.credits == stats["credits_charged"]
    s3 = s3_bucket.credentials.get_s3_client()
    key = report.results_manifest_uri.split("/", 3)[3]  # type: ignore[union-attr]
    written = s3.get_object(Bucket=s3_bucket.bucket_name, Key=key)["Body"].read().decode()
    assert [json.loads(line)["line"] for line in written.splitlines()] == [1, 2, 3, 4, 5, 6, 7]


async def test_batch_over_the_daily_limit_is_refused_before_any_post(
    prefect_harness: str, emulator: RunwayEmulator, s3_bucket: S3Bucket, tmp_path: Path
) -> None:
    import pytest

    from prefect_runway.flows.batch import DailyLimitWouldBeCrossed

    emulator.configure(max_daily={"gen4_turbo": 1})
    rows = [
        {"name": f"r{i}", "model": "gen4_turbo", "promptImage": f"https://example.com/{i}.png",
         "ratio": "960:960", "duration": 2}
        for i in range(2)
    ]  # fmt: skip
    manifest = tmp_path / "over.jsonl"
    manifest.write_text("\n".join(json.dumps(r) for r in rows))
    await s3_bucket.asave("limit-dest", overwrite=True)
    await RunwayCredentials(api_key=SecretStr(emulator.api_key), base_url=emulator.base_url).asave(
        "limit-runway", overwrite=True
    )
    with pytest.raises(DailyLimitWouldBeCrossed, match="gen4_turbo: 2 new generation"):
        await batch(str(manifest), destination_block="limit-dest", credentials_block="limit-runway")
    assert emulator.stats()["creates_total"] == 0


def _manifest(tmp_path: Path, rows: list[dict[str, object]]) -> Path:
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows))
    return path


def _scene(name: str, image: Path, duration: int = 2) -> dict[str, object]:
    return {"name": name, "model": "gen4_turbo", "promptImage": str(image), "ratio": "960:960",
            "duration": duration}  # fmt: skip


async def test_a_dry_run_prices_every_row_and_posts_nothing(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    image = tmp_path / "still.png"
    image.write_bytes(png_bytes())
    manifest = _manifest(tmp_path, [_scene("a", image, 2), _scene("b", image, 4),
                                    _scene("a-again", image, 2)])  # fmt: skip
    state = await batch(
        str(manifest), destination_block=saved_blocks.destination,
        credentials_block=saved_blocks.credentials, dry_run=True, return_state=True,
    )  # fmt: skip
    report = await state.result()
    assert report.dry_run and report.estimated_credits == 30  # 5/s x (2 + 4); the twin is free
    assert [r.status for r in report.results] == ["dry_run"] * 3
    assert report.results[2].duplicate_of == 1
    stats = emulator.stats()
    assert stats["creates_total"] == 0 and stats["uploads"] == 0
    table = (await read_artifacts(state.state_details.flow_run_id))["runway-batch-estimate"]
    assert [(r["row"], r["estimated credits"], r["action"]) for r in table["data"]] == [
        (1, 10, "submit"), (2, 20, "submit"),
    ]  # fmt: skip


async def test_a_batch_over_budget_is_refused_before_any_post(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    image = tmp_path / "still.png"
    image.write_bytes(png_bytes())
    manifest = _manifest(tmp_path, [_scene("a", image, 2), _scene("b", image, 4)])
    with pytest.raises(OverBudget, match=r"2 generations may cost up to 30 credits.*=29"):
        await batch(
            str(manifest), destination_block=saved_blocks.destination,
            credentials_block=saved_blocks.credentials, max_credits=29,
        )  # fmt: skip
    assert emulator.stats()["creates_total"] == 0


async def test_events_progress_and_what_a_rerun_spends(
    saved_blocks: SavedBlocks,
    emulator: RunwayEmulator,
    tmp_path: Path,
    captured_events: Callable[[], list[Event]],
) -> None:
    image = tmp_path / "still.png"
    image.write_bytes(png_bytes())
    other = tmp_path / "other.png"
    other.write_bytes(png_bytes(rgb=(0, 90, 200)))
    manifest = _manifest(tmp_path, [_scene("a", image), _scene("b", other)])
    run = {
        "destination_block": saved_blocks.destination,
        "credentials_block": saved_blocks.credentials,
        "poll_interval": 0.05,
    }
    state = await batch(str(manifest), return_state=True, **run)
    first = await state.result()
    assert first.credits == first.credits_spent == emulator.stats()["credits_charged"] == 20
    artifacts = await read_artifacts(state.state_details.flow_run_id)
    assert artifacts["runway-batch-progress"]["data"] == 100.0
    events = [e for e in captured_events() if e.event == "runway.generation.succeeded"]
    assert sorted(e.payload["s3_uri"] for e in events) == sorted(
        r.s3_uri for r in first.results if r.s3_uri
    )
    assert all(e.payload["credits"] == 10 and e.payload["flow"] == "batch" for e in events)

    # A second run of the same manifest has nothing to pay for: a budget of 0 lets it through.
    again = await batch(str(manifest), max_credits=0, **run)
    assert emulator.stats()["creates_total"] == 2
    assert again.succeeded == 2 and again.credits == 20 and again.credits_spent == 0
    assert all(r.reused for r in again.results)


async def _save_blocks(emulator: RunwayEmulator, s3_bucket: S3Bucket, name: str) -> None:
    await s3_bucket.asave(f"{name}-dest", overwrite=True)
    await RunwayCredentials(api_key=SecretStr(emulator.api_key), base_url=emulator.base_url).asave(
        f"{name}-runway", overwrite=True
    )


def _three_rows(tmp_path: Path) -> Path:
    image = tmp_path / "still.png"
    image.write_bytes(png_bytes())
    manifest = tmp_path / "three.jsonl"
    manifest.write_text("".join(
        json.dumps({"name": f"r{seed}", "model": "gen4_turbo", "promptImage": str(image),
                    "ratio": "960:960", "duration": 2, "seed": seed}) + "\n"
        for seed in range(3)
    ))  # fmt: skip
    return manifest


async def test_batch_without_a_global_limit_asks_for_no_slot(
    prefect_harness: str, emulator: RunwayEmulator, s3_bucket: S3Bucket, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    import prefect_runway.flows.batch as batch_module

    acquisitions: list[object] = []
    monkeypatch.setattr(batch_module, "GlobalSlots", lambda *a, **k: acquisitions.append(a))
    await _save_blocks(emulator, s3_bucket, "nolimit")
    report = await batch(
        str(_three_rows(tmp_path)), destination_block="nolimit-dest",
        credentials_block="nolimit-runway", concurrency_per_model=3, poll_interval=0.05,
    )  # fmt: skip
    assert report.succeeded == 3
    assert acquisitions == []  # no API round trip per generation for a limit that is not there


async def test_batch_holds_an_existing_global_limit(
    prefect_harness: str, emulator: RunwayEmulator, s3_bucket: S3Bucket, tmp_path: Path
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

    await _save_blocks(emulator, s3_bucket, "limited")
    async with get_client() as prefect:
        await prefect.create_global_concurrency_limit(
            GlobalConcurrencyLimitCreate(name="runway-gen4_turbo", limit=1)
        )
        try:
            report = await batch(
                str(_three_rows(tmp_path)), destination_block="limited-dest",
                credentials_block="limited-runway", concurrency_per_model=3, poll_interval=0.05,
            )  # fmt: skip
        finally:
            await prefect.delete_global_concurrency_limit_by_name("runway-gen4_turbo")
    assert report.succeeded == 3
    # One slot: each generation was created only after the one before it had finished.
    records = sorted(
        (emulator.task(task_id) for task_id in emulator.stats()["task_ids"]),
        key=lambda record: record["created_at"]["monotonic"],
    )
    for earlier, later in itertools.pairwise(records):
        assert later["created_at"]["monotonic"] >= earlier["succeeded_at"]["monotonic"]


async def test_rows_cancelled_twice_still_end_their_own_way() -> None:
    # A cancelled batch cancels every row once and waits for each to decide about its Runway
    # task; the run's teardown cancelling it again must not cut those decisions short.
    release, deciding, decided = asyncio.Event(), asyncio.Event(), []

    async def row(name: str) -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            deciding.set()
            await asyncio.shield(release.wait())  # the row's own DELETE, say
            decided.append(name)
            raise

    rows: list[asyncio.Future[None]] = [asyncio.ensure_future(row(n)) for n in "abc"]
    running = asyncio.ensure_future(batch_module._run_rows(rows))
    await asyncio.sleep(0)
    running.cancel()
    await deciding.wait()
    running.cancel()
    await asyncio.sleep(0.05)
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert sorted(decided) == ["a", "b", "c"]
