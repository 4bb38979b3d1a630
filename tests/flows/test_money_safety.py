"""Issue 16's reproductions, each through ``generate`` or a flow, the emulator and moto.

Each test is one way main paid twice, lost a paid output or passed a budget; each asserts
against the emulator's books (creates, deletes, credits) and S3 itself, not our own report.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.runtime import flow_run
from prefect.states import Cancelling, Crashed, Running
from prefect_aws import S3Bucket

from prefect_runway.api import RunwayClient, WaitCancelled, WaitPolicy
from prefect_runway.flows.batch import batch
from prefect_runway.flows.image_to_video import ImageToVideoParams, image_to_video
from prefect_runway.flows.storyboard import Scene, ShotRefused, StoryboardParams, storyboard
from prefect_runway.tasks.cancellation import cancel_runway_tasks
from prefect_runway.tasks.cost import OverBudget
from prefect_runway.tasks.generate import GenerationFailed, GenerationResult, generate
from prefect_runway.tasks.ledger import SubmissionLedger
from prefect_runway.tasks.locations import NameTaken
from prefect_runway.tasks.wait import wait_for_generation
from prefect_runway.testing.emulator import Fault, FaultPlan, RunwayEmulator
from tests.flows.conftest import SavedBlocks, read_artifacts
from tests.media_samples import png_bytes, png_data_uri
from tests.testing.emulator.support import wait_for

FAST = WaitPolicy(poll_interval=0.05, jitter=0.1)
PREFIX = "money"


def spec(name: str = "harbour", seed: int = 1, **request: Any) -> dict[str, Any]:
    body = {"model": "gen4_turbo", "promptImage": png_data_uri(), "ratio": "960:960",
            "duration": 2, "seed": seed, **request}  # fmt: skip
    return {"request": body, "name": name}


RUN_IDS: dict[str, UUID] = {}


@flow(name="money-generate")
async def generate_flow(
    spec: dict[str, Any],
    bucket: S3Bucket,
    client: RunwayClient,
    policy: WaitPolicy = FAST,
    label: str = "",
    allow_resubmit: bool = False,
    max_attempts: int = 3,
    detach: bool = False,
) -> GenerationResult:
    if label:
        RUN_IDS[label] = UUID(str(flow_run.get_id()))
    return await generate(
        spec, destination=bucket, prefix=PREFIX, client=client, wait_policy=policy,
        allow_resubmit=allow_resubmit, max_attempts=max_attempts, detach=detach,
    )  # fmt: skip


async def entry(bucket: S3Bucket, key: str) -> dict[str, Any] | None:
    found = await SubmissionLedger(bucket, f"{PREFIX}/_runway").read(key)
    return found.model_dump(mode="json") if found else None


def attempt_one(bucket: S3Bucket) -> str:
    """The key of the only attempt-1 entry in the ledger."""
    s3 = bucket.credentials.get_s3_client()
    listed = s3.list_objects_v2(Bucket=bucket.bucket_name, Prefix=f"runway-out/{PREFIX}/_runway/")
    keys = [i["Key"] for i in listed.get("Contents", []) if i["Key"].endswith("-1.json")]
    assert len(keys) == 1, keys
    return keys[0].rsplit("/", 1)[1].removesuffix(".json")


async def ledger_key_when(bucket: S3Bucket, accept: Any, patience: float = 30.0) -> str:
    def probe() -> tuple[str | None, dict[str, Any] | None]:
        try:
            key = attempt_one(bucket)
        except AssertionError:
            return None, None
        return key, asyncio.run(entry(bucket, key))

    key, _ = await asyncio.to_thread(
        wait_for, probe, lambda found: found[1] is not None and accept(found[1]), timeout=patience
    )
    assert key is not None
    return key


# ---------------------------------------------------------------------------------------------
# Item 2: cancelling one run never makes another pay again


@pytest.mark.parametrize("cancelled", ["reattached", "creator"])
async def test_cancelling_one_of_two_runs_on_a_task_detaches_and_the_other_pays_nothing(
    cancelled: str,
    prefect_harness: str,
    emulator: RunwayEmulator,
    client: RunwayClient,
    s3_bucket: S3Bucket,
) -> None:
    # Issue 16, item 2: B reattached to A's task, the user cancelled B, B DELETEd the shared
    # RUNNING task, and A (never cancelled) got 404 and paid a second attempt. The window is
    # short here so a wrong DELETE shows as A's failure, not as a two-minute wait.
    emulator.configure(run_seconds=8.0)
    policy = WaitPolicy(poll_interval=0.1, jitter=0.1, not_found_window=1.0)
    first = asyncio.ensure_future(generate_flow(spec(), s3_bucket, client, policy, label="A"))
    key = await ledger_key_when(s3_bucket, lambda e: e["state"] == "submitted")
    second = asyncio.ensure_future(generate_flow(spec(), s3_bucket, client, policy, label="B"))
    await ledger_key_when(s3_bucket, lambda e: len(e["leases"]) == 2)
    victim = RUN_IDS["B" if cancelled == "reattached" else "A"]
    async with get_client() as prefect:
        await prefect.set_flow_run_state(victim, Cancelling(), force=True)
    results = await asyncio.gather(first, second, return_exceptions=True)
    by_label = dict(zip("AB", results, strict=True))
    survivor = by_label["A" if cancelled == "reattached" else "B"]
    gone = by_label["B" if cancelled == "reattached" else "A"]
    # Detached (or, on a slow machine, the task had already ended): never deleted.
    assert isinstance(gone, WaitCancelled) and not gone.deleted, gone
    assert isinstance(survivor, GenerationResult) and survivor.status == "succeeded", survivor
    stats = emulator.stats()
    assert stats["creates_total"] == 1 and stats["deletes"] == 0
    final = await entry(s3_bucket, key)
    assert final is not None and final["state"] == "succeeded" and final["leases"] == {}


async def test_a_lone_cancelled_run_still_deletes_its_task(
    prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient, s3_bucket: S3Bucket
) -> None:
    emulator.configure(run_seconds=30.0)
    run = asyncio.ensure_future(generate_flow(spec(), s3_bucket, client, FAST, label="alone"))
    key = await ledger_key_when(s3_bucket, lambda e: e["state"] == "submitted")
    async with get_client() as prefect:
        await prefect.set_flow_run_state(RUN_IDS["alone"], Cancelling(), force=True)
    outcome = (await asyncio.gather(run, return_exceptions=True))[0]
    assert isinstance(outcome, WaitCancelled) and outcome.deleted
    assert emulator.stats()["deletes"] == 1
    cancelled_entry = await entry(s3_bucket, key)
    assert cancelled_entry is not None and cancelled_entry["state"] == "cancelled"
    # A re-run after the user's cancel pays for the generation again: that was their say.
    emulator.configure(run_seconds=0.2)
    again = await generate_flow(spec(), s3_bucket, client)
    assert again.status == "succeeded" and emulator.stats()["creates_total"] == 2


async def test_the_hook_detaches_where_another_live_run_waits_and_deletes_otherwise(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, client: RunwayClient
) -> None:
    # The runner's on_cancellation hook, from the Prefect API and the ledger alone: a task
    # another RUNNING run is attached to is left running; one whose other attached run has
    # CRASHED (its lease not yet lapsed) is deleted, as is one nobody else waits on.
    from prefect_runway.api import Gen4TurboImageToVideo

    emulator.configure(run_seconds=120)
    request = Gen4TurboImageToVideo(prompt_image=png_data_uri(), ratio="960:960", duration=2)
    tasks = {name: (await client.create(request)).id for name in ("shared", "orphaned", "alone")}
    ledger = SubmissionLedger(saved_blocks.bucket, "hooked/_runway")
    async with get_client() as prefect:
        run = await prefect.create_flow_run(
            batch, state=Running(),
            parameters={"credentials_block": saved_blocks.credentials,
                        "destination_block": saved_blocks.destination},
        )  # fmt: skip
        alive = await prefect.create_flow_run(batch, state=Running())
        crashed = await prefect.create_flow_run(batch, state=Crashed())
        others = {"shared": str(alive.id), "orphaned": str(crashed.id), "alone": None}
        for name, task_id in tasks.items():
            claim = await ledger.claim(f"{name}-1", model="gen4_turbo", run=str(run.id))
            await ledger.record_submitted(
                claim.entry, task_id=task_id, estimated_credits=10, run=str(run.id)
            )
            if others[name]:
                await ledger.attach(f"{name}-1", task_id=task_id, run=str(others[name]))
            await prefect.create_task_run(
                wait_for_generation, run.id, dynamic_key=uuid4().hex, state=Running(),
                name=f"wait-{task_id} (attempt {name}-1 in hooked/_runway)",
            )  # fmt: skip
        await cancel_runway_tasks(batch, await prefect.read_flow_run(run.id), Cancelling())
    assert set(emulator.stats()["deleted_task_ids"]) == {tasks["orphaned"], tasks["alone"]}
    shared = await ledger.read("shared-1")
    assert shared is not None and shared.state == "submitted"
    assert set(shared.leases) == {str(alive.id)}  # the cancelled run detached
    assert (await ledger.read("alone-1")).state == "cancelled"  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------
# Item 3: vanished is a time window from the create, and never pays automatically


async def test_a_task_invisible_for_seconds_after_its_create_is_not_paid_again(
    prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient, s3_bucket: S3Bucket
) -> None:
    # Issue 16, item 3: 404 for 6 s at poll_interval=1 exhausted a 3-poll tolerance and
    # generate paid attempts 2 and 3. Here: 404 for 30 polls in a row after the create.
    emulator.set_faults(FaultPlan(rules=[Fault(operation="poll", kind="not_found", times=30)]))
    result = await generate_flow(spec(), s3_bucket, client, WaitPolicy(poll_interval=0.05))
    assert result.status == "succeeded" and result.attempts == 1
    stats = emulator.stats()
    assert stats["creates_total"] == 1
    assert stats["faults_injected"]["poll:not_found"] == 30


async def test_a_vanished_task_stops_the_generation_and_no_attempt_is_paid_on_its_own(
    prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient, s3_bucket: S3Bucket
) -> None:
    emulator.configure(run_seconds=30.0)
    policy = WaitPolicy(poll_interval=0.05, not_found_window=0.5)  # short, for the test only
    run = asyncio.ensure_future(generate_flow(spec(), s3_bucket, client, policy))
    key = await ledger_key_when(s3_bucket, lambda e: e["state"] == "submitted")
    task_id = (await entry(s3_bucket, key))["task_id"]  # type: ignore[index]
    await client.delete_task(task_id)  # someone deletes it elsewhere
    result = await run
    assert result.status == "failed" and result.failure_code == "TASK_VANISHED"
    assert "no new attempt was paid" in (result.failure or "").lower()
    assert (await entry(s3_bucket, key))["state"] == "vanished"  # type: ignore[index]
    assert emulator.stats()["creates_total"] == 1
    again = await generate_flow(spec(), s3_bucket, client, policy)
    assert again.failure_code == "TASK_VANISHED" and emulator.stats()["creates_total"] == 1
    emulator.configure(run_seconds=0.2)
    paid = await generate_flow(spec(), s3_bucket, client, policy, allow_resubmit=True)
    assert paid.status == "succeeded" and emulator.stats()["creates_total"] == 2


# ---------------------------------------------------------------------------------------------
# Item 4: max_credits holds over every attempt


def flow_params(blocks: SavedBlocks, image: Path, **changes: object) -> ImageToVideoParams:
    fields: dict[str, object] = {
        "image": str(image), "ratio": "960:960", "duration": 2, "seed": 7,
        "destination_block": blocks.destination, "credentials_block": blocks.credentials,
        "prefix": PREFIX, "name": "budgeted", "poll_interval": 0.05,
    }  # fmt: skip
    return ImageToVideoParams.model_validate(fields | changes)


@pytest.fixture
def still(tmp_path: Path) -> Path:
    path = tmp_path / "still.png"
    path.write_bytes(png_bytes())
    return path


async def test_a_failed_first_attempt_does_not_let_the_next_one_pass_the_budget(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, still: Path
) -> None:
    # Issue 16, item 4: attempt 1 FAILED for a retryable reason left a task id in the ledger;
    # prior_state read only attempt 1, said "reattach, nothing to pay", and with
    # max_credits=0 the run paid attempt 2 (the dry run said nothing new; credits_spent 0).
    emulator.set_faults(
        FaultPlan(rules=[Fault(operation="task", kind="fail", failure_code="INTERNAL.BAD")])
    )
    with pytest.raises(GenerationFailed, match="ATTEMPTS_EXHAUSTED"):
        await image_to_video(flow_params(saved_blocks, still, max_attempts=1))
    assert emulator.stats()["creates_total"] == 1
    state = await image_to_video(
        flow_params(saved_blocks, still, max_credits=0, dry_run=True), return_state=True
    )
    dry = await state.result()
    assert dry.action is not None and dry.action.startswith("refuse: ")
    table = (await read_artifacts(state.state_details.flow_run_id))[
        "runway-image-to-video-estimate"
    ]
    assert table["data"][0]["pays now"] == 10
    with pytest.raises(OverBudget, match="max_credits=0"):
        await image_to_video(flow_params(saved_blocks, still, max_credits=0))
    assert emulator.stats()["creates_total"] == 1  # refused before any POST
    paid = await image_to_video(flow_params(saved_blocks, still, max_credits=10))
    assert paid.result is not None and paid.result.attempts == 2
    assert paid.credits_spent == 10 == emulator.stats()["credits_charged"]
    assert emulator.stats()["creates_total"] == 2


async def test_a_retry_after_reattaching_is_priced_against_the_budget(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, client: RunwayClient, still: Path
) -> None:
    # The run reattaches to an attempt still running (nothing to pay now: the checks pass);
    # when it fails for a retryable reason, the next attempt is reserved against max_credits
    # before its POST, and refused.
    emulator.configure(run_seconds=2.0)
    emulator.set_faults(
        FaultPlan(rules=[Fault(operation="task", kind="fail", failure_code="INTERNAL.BAD")])
    )
    first = await generate_flow(
        {"request": flow_params(saved_blocks, still).request(), "name": "budgeted"},
        saved_blocks.bucket, client, detach=True,
    )  # fmt: skip
    assert first.status == "waiting"
    outcome: Any
    try:
        outcome = await image_to_video(flow_params(saved_blocks, still, max_credits=0))
    except (GenerationFailed, OverBudget) as refused:
        outcome = refused
    assert isinstance(outcome, (GenerationFailed, OverBudget)), outcome
    if isinstance(outcome, GenerationFailed):
        assert outcome.result.failure_code == "OVER_BUDGET"
    assert emulator.stats()["creates_total"] == 1


# ---------------------------------------------------------------------------------------------
# Item 5: names never collide


async def test_two_batch_rows_with_one_name_and_different_requests_pay_once(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    # Issue 16, item 5: both were paid and landed on one key (one output lost, both reported
    # succeeded). Case differences do not make another name.
    rows = [
        {"name": "harbour", "model": "gen4_turbo", "promptImage": png_data_uri(),
         "ratio": "960:960", "duration": 2, "seed": 1},
        {"name": "harbour", "model": "gen4_turbo", "promptImage": png_data_uri(),
         "ratio": "960:960", "duration": 2, "seed": 2},
        {"name": "HARBOUR", "model": "gen4_turbo", "promptImage": png_data_uri(),
         "ratio": "960:960", "duration": 2, "seed": 3},
    ]  # fmt: skip
    manifest = tmp_path / "rows.jsonl"
    manifest.write_text("\n".join(json.dumps(row) for row in rows))
    report = await batch(
        str(manifest), destination_block=saved_blocks.destination,
        credentials_block=saved_blocks.credentials, prefix=PREFIX, poll_interval=0.05,
    )  # fmt: skip
    assert [r.status for r in report.results] == ["succeeded", "failed", "failed"]
    assert all("already the output of another generation" in (r.reason or "")
               for r in report.results[1:])  # fmt: skip
    assert emulator.stats()["creates_total"] == 1


async def test_a_shot_named_like_the_cut_or_the_storyboard_file_is_refused_before_any_post(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    image = tmp_path / "coast.png"
    image.write_bytes(png_bytes())
    for taken in ("lighthouse-cut", "Storyboard"):
        params = StoryboardParams(
            title="lighthouse",
            shots=[Scene(image=str(image), prompt_text="waves", duration=2, name=taken),
                   Scene(image=str(image), prompt_text="gulls", duration=2)],
            destination_block=saved_blocks.destination,
            credentials_block=saved_blocks.credentials, poll_interval=0.05,
        )  # fmt: skip
        with pytest.raises(ShotRefused, match="which this flow writes itself"):
            await storyboard(params)
    assert emulator.stats()["creates_total"] == 0


async def test_a_name_holding_another_generations_output_is_refused_across_runs(
    prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient, s3_bucket: S3Bucket
) -> None:
    first = await generate_flow(spec("harbour", seed=1), s3_bucket, client)
    with pytest.raises(NameTaken, match="harbour"):
        await generate_flow(spec("harbour", seed=2), s3_bucket, client)
    assert emulator.stats()["creates_total"] == 1
    s3 = s3_bucket.credentials.get_s3_client()
    key = first.output_uri.split("/", 3)[3]  # type: ignore[union-attr]
    body = s3.get_object(Bucket=s3_bucket.bucket_name, Key=key)["Body"].read()
    assert hashlib.sha256(body).hexdigest() == first.sha256  # the first output is intact


async def test_two_runs_of_different_requests_on_one_name_at_once_pay_once(
    prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient, s3_bucket: S3Bucket
) -> None:
    runs = await asyncio.gather(
        *(generate_flow(spec("harbour", seed=seed), s3_bucket, client) for seed in (1, 2)),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in runs) == ["GenerationResult", "NameTaken"], runs
    assert emulator.stats()["creates_total"] == 1


# ---------------------------------------------------------------------------------------------
# Item 7: stored means the object, not the sidecar alone


async def test_a_deleted_output_is_restored_from_its_task_not_reported_stored(
    prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient, s3_bucket: S3Bucket
) -> None:
    # Issue 16, item 7: a re-run trusted the sidecar alone; an output deleted from S3 came
    # back `succeeded` though the ledger still named the task that could restore it.
    first = await generate_flow(spec(), s3_bucket, client)
    s3 = s3_bucket.credentials.get_s3_client()
    key = first.output_uri.split("/", 3)[3]  # type: ignore[union-attr]
    s3.delete_object(Bucket=s3_bucket.bucket_name, Key=key)
    downloads = emulator.stats()["downloads"]
    again = await generate_flow(spec(), s3_bucket, client)
    assert again.status == "succeeded" and not again.from_sidecar
    assert again.task_id == first.task_id and again.credits_spent == 0
    stats = emulator.stats()
    assert stats["creates_total"] == 1 and stats["downloads"] > downloads
    body = s3.get_object(Bucket=s3_bucket.bucket_name, Key=key)["Body"].read()
    assert hashlib.sha256(body).hexdigest() == emulator.task(first.task_id)["outputs"][0]["sha256"]  # type: ignore[arg-type]


async def test_a_replaced_output_is_caught_and_one_that_cannot_be_restored_is_reported(
    prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient, s3_bucket: S3Bucket
) -> None:
    first = await generate_flow(spec(), s3_bucket, client)
    s3 = s3_bucket.credentials.get_s3_client()
    key = first.output_uri.split("/", 3)[3]  # type: ignore[union-attr]
    s3.put_object(Bucket=s3_bucket.bucket_name, Key=key, Body=b"not the video")
    await client.delete_task(first.task_id)  # type: ignore[arg-type]
    again = await generate_flow(spec(), s3_bucket, client)
    assert again.status == "failed" and again.failure_code == "OUTPUT_MISSING"
    assert "holds 13 bytes" in (again.failure or "")
    assert emulator.stats()["creates_total"] == 1  # reported, never paid again on its own
