"""Submit ahead (``queue_ahead``): Runway's queue kept full, never more paid or submitted.

Every assertion reads the emulator's books (creates, deletes, credits, each task's create and
end times), not the batch's own report.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterName,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.states import Cancelling
from prefect_aws import S3Bucket
from pydantic import ValidationError

from prefect_runway.api import Gen4TurboImageToVideo, RunwayClient, WaitPolicy
from prefect_runway.flows.batch import RowResult, batch, plan_rows, run_planned
from prefect_runway.flows.manifest import parse_manifest
from prefect_runway.flows.storyboard import StoryboardParams
from prefect_runway.tasks.plan import CreditBudget
from prefect_runway.testing.emulator import RunwayEmulator
from tests.flows.conftest import SavedBlocks
from tests.media_samples import png_bytes, png_data_uri
from tests.tasks.test_shared_wait import until
from tests.testing.emulator.support import wait_for

PRICE = 10  # gen4_turbo, 2 s: 5 credits a second
REQUEST = Gen4TurboImageToVideo(prompt_image=png_data_uri(), ratio="960:960", duration=2)
SHOT = {"kind": "scene", "image": "s3://stills/coast.png", "prompt_text": "Dusk falls."}


def _manifest(tmp_path: Path, count: int, tag: str = "") -> Path:
    image = tmp_path / "still.png"
    image.write_bytes(png_bytes())
    path = tmp_path / f"ahead{tag}.jsonl"
    path.write_text("".join(
        json.dumps({"name": f"r{tag}{seed}", "model": "gen4_turbo", "promptImage": str(image),
                    "ratio": "960:960", "duration": 2, "seed": seed}) + "\n"
        for seed in range(count)
    ))  # fmt: skip
    return path


def _records(emulator: RunwayEmulator) -> list[dict[str, Any]]:
    ids = emulator.stats()["task_ids"]
    return sorted((emulator.task(i) for i in ids), key=lambda r: r["created_at"]["monotonic"])


def most_unfinished_at_once(records: list[dict[str, Any]]) -> int:
    """The most of these tasks created and not yet ended at any one moment (Runway's side)."""
    moments: list[tuple[float, int]] = []
    for record in records:
        moments.append((record["created_at"]["monotonic"], 1))
        ended = record["ended_at"]
        moments.append((ended["monotonic"] if ended else float("inf"), -1))
    # An end and a create at one instant: the end first (the slot was free again).
    moments.sort(key=lambda m: (m[0], m[1]))
    return max(itertools.accumulate(step for _, step in moments), default=0)


def test_the_overlap_counter_counts_what_it_should() -> None:
    def at(start: float, end: float | None) -> dict[str, Any]:
        return {"created_at": {"monotonic": start},
                "ended_at": {"monotonic": end} if end is not None else None}  # fmt: skip

    assert most_unfinished_at_once([at(0, 1), at(1, 2), at(2, 3)]) == 1
    assert most_unfinished_at_once([at(0, 5), at(1, 2), at(1.5, None)]) == 3
    assert most_unfinished_at_once([]) == 0


@settings(
    max_examples=5, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip
@given(
    concurrency=st.integers(1, 3),
    ahead=st.integers(0, 3),
    rows=st.integers(1, 8),
    exact_budget=st.booleans(),
)
def test_submitted_ahead_never_exceeds_running_plus_queue_nor_the_budget(
    saved_blocks: SavedBlocks,
    emulator: RunwayEmulator,
    tmp_path_factory: pytest.TempPathFactory,
    concurrency: int,
    ahead: int,
    rows: int,
    exact_budget: bool,
) -> None:
    emulator.reset()
    emulator.configure(max_concurrent={"gen4_turbo": concurrency}, run_seconds=0.3)
    manifest = _manifest(tmp_path_factory.mktemp("ahead"), rows)
    max_credits = rows * PRICE if exact_budget else None
    report = asyncio.run(
        batch(
            str(manifest),
            destination_block=saved_blocks.destination,
            credentials_block=saved_blocks.credentials,
            concurrency_per_model=concurrency,
            queue_ahead=ahead,
            poll_interval=0.05,
            max_credits=max_credits,
            prefix=f"ahead-{uuid.uuid4().hex[:8]}",  # each example pays for its own rows
        )
    )
    stats = emulator.stats()
    records = _records(emulator)
    # Never more of ours submitted and unfinished than running + queued ahead.
    assert most_unfinished_at_once(records) <= concurrency + ahead
    # No generation created twice: one create per distinct request, one per row.
    assert len({json.dumps(r["request"], sort_keys=True) for r in records}) == len(records)
    assert report.succeeded == rows and stats["creates_total"] == rows
    assert stats["credits_charged"] <= (max_credits if max_credits is not None else rows * PRICE)
    if ahead and rows > concurrency:
        # Submitted ahead: some task was created while `concurrency` of ours were unfinished.
        assert most_unfinished_at_once(records) > concurrency


@flow(name="ahead-run-planned")
async def run_with_budget(
    manifest: str, bucket: S3Bucket, base_url: str, api_key: str, per_model: int, ahead: int,
    max_credits: float, max_queue_seconds: float | None = None,
) -> dict[int, RowResult]:  # fmt: skip
    rows = parse_manifest(Path(manifest).read_bytes(), kind="jsonl")
    results: dict[int, RowResult] = {}
    policy = WaitPolicy(poll_interval=0.05, max_queue_seconds=max_queue_seconds)
    async with RunwayClient(api_key, base_url=base_url) as client:
        planned = await plan_rows(rows, client, bucket, "ahead", results)
        await run_planned(
            planned, results, client, bucket, "ahead", policy, per_model, 3,
            budget=CreditBudget(max_credits), queue_ahead=ahead,
        )  # fmt: skip
    return results


@pytest.mark.parametrize(("concurrency", "ahead"), [(1, 2), (2, 3)])
async def test_a_budget_for_the_running_ones_stops_the_queued_ones_before_their_post(
    prefect_harness: str, emulator: RunwayEmulator, s3_bucket: S3Bucket, tmp_path: Path,
    concurrency: int, ahead: int,
) -> None:  # fmt: skip
    # The batch flow refuses a manifest over max_credits before any POST; the budget also
    # holds inside the run (retries, rows an earlier run left), reserved before each POST.
    # Here the run is given a budget that covers only the running ones.
    emulator.configure(max_concurrent={"gen4_turbo": concurrency}, run_seconds=0.5)
    results = await run_with_budget(
        str(_manifest(tmp_path, concurrency + ahead)), s3_bucket, emulator.base_url,
        emulator.api_key, concurrency, ahead, concurrency * PRICE,
    )  # fmt: skip
    stats = emulator.stats()
    assert stats["creates_total"] == concurrency  # the queued ones were never POSTed
    assert stats["credits_charged"] <= concurrency * PRICE
    refused = [r for r in results.values() if r.status == "failed"]
    assert len(refused) == ahead and all("OVER_BUDGET" in (r.reason or "") for r in refused)


async def cancel_the_batch_of(manifest: Path) -> None:
    """A user's cancel of the running batch of ``manifest`` (as the UI sets it)."""
    async with get_client() as prefect:
        runs = await prefect.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["runway-batch"])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING]))
            ),
        )
        # This test's run: others of the session's harness may still read RUNNING (a run
        # torn down in-process by an earlier test is never marked finished).
        ours = [r for r in runs if r.parameters.get("manifest") == str(manifest)]
        assert len(ours) == 1, [r.parameters for r in runs]
        await prefect.set_flow_run_state(ours[0].id, Cancelling(), force=True)


async def test_cancelling_a_run_deletes_each_queued_and_running_task_exactly_once(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    concurrency, ahead, rows = 2, 3, 8
    emulator.configure(max_concurrent={"gen4_turbo": concurrency}, run_seconds=60.0)
    manifest = _manifest(tmp_path, rows, tag="cancel")
    run = asyncio.ensure_future(
        batch(
            str(manifest),
            destination_block=saved_blocks.destination,
            credentials_block=saved_blocks.credentials,
            concurrency_per_model=concurrency,
            queue_ahead=ahead,
            poll_interval=0.05,
            return_state=True,
        )
    )
    # Running ones RUNNING, the ones ahead THROTTLED behind them, the rest not submitted.
    await asyncio.to_thread(
        wait_for, lambda: emulator.stats()["creates_total"], lambda n: n == concurrency + ahead
    )
    # Before the cancel: the ones submitted ahead wait THROTTLED at Runway.
    await asyncio.to_thread(
        wait_for,
        lambda: Counter(r["status"] for r in _records(emulator)),
        lambda seen: seen["THROTTLED"] == ahead,
    )
    await cancel_the_batch_of(manifest)
    await asyncio.gather(run, return_exceptions=True)
    stats = emulator.stats()
    records = _records(emulator)
    assert stats["creates_total"] == concurrency + ahead  # nothing submitted after the cancel
    assert Counter(stats["deleted_task_ids"]) == Counter(stats["task_ids"])  # each once
    assert stats["deletes"] == concurrency + ahead
    assert all(r["status"] == "CANCELLED" for r in records)


async def test_a_queue_timeout_does_not_count_time_behind_our_own_tasks(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    # One slot at Runway; four rows, three of them submitted ahead. Each waits THROTTLED behind
    # ours for about a run (0.8 s) times its place; the queue budget is 0.5 s (0.5/60 minutes).
    emulator.configure(max_concurrent={"gen4_turbo": 1}, run_seconds=0.8)
    report = await batch(
        str(_manifest(tmp_path, 4, tag="q")), destination_block=saved_blocks.destination,
        credentials_block=saved_blocks.credentials, concurrency_per_model=1, queue_ahead=3,
        poll_interval=0.05, max_queue_minutes=0.5 / 60,
    )  # fmt: skip
    stats = emulator.stats()
    assert report.succeeded == 4, [r.reason for r in report.results]
    assert stats["deletes"] == 0 and stats["creates_total"] == 4
    # They were submitted ahead and queued behind ours (how many at once depends on timing).
    assert most_unfinished_at_once(_records(emulator)) > 1


async def test_the_default_queue_ahead_is_one_wave_of_the_runs_concurrency(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    # No queue_ahead given: C run and C more wait THROTTLED (the default before was 4 at any
    # concurrency: 2 + 4 of these 6 rows would be submitted at once).
    concurrency, rows = 2, 6
    emulator.configure(max_concurrent={"gen4_turbo": concurrency}, run_seconds=1.0)
    report = await batch(
        str(_manifest(tmp_path, rows, tag="wave")), destination_block=saved_blocks.destination,
        credentials_block=saved_blocks.credentials, concurrency_per_model=concurrency,
        poll_interval=0.05,
    )  # fmt: skip
    records = _records(emulator)
    assert report.succeeded == rows and emulator.stats()["creates_total"] == rows
    assert concurrency < most_unfinished_at_once(records) <= 2 * concurrency


@pytest.mark.parametrize("ahead", [0, 1])
async def test_an_explicit_queue_ahead_wins_over_the_default(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path, ahead: int
) -> None:
    concurrency, rows = 3, 6
    emulator.configure(max_concurrent={"gen4_turbo": concurrency}, run_seconds=0.5)
    report = await batch(
        str(_manifest(tmp_path, rows, tag=f"x{ahead}")),
        destination_block=saved_blocks.destination, credentials_block=saved_blocks.credentials,
        concurrency_per_model=concurrency, queue_ahead=ahead, poll_interval=0.05,
    )  # fmt: skip
    assert report.succeeded == rows
    assert most_unfinished_at_once(_records(emulator)) <= concurrency + ahead


@pytest.mark.parametrize("bad", [-1, 101, "many"])
async def test_a_bad_queue_ahead_is_refused_by_name_before_anything_is_paid(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path, bad: object
) -> None:
    with pytest.raises(Exception, match="queue_ahead"):
        await batch(
            str(_manifest(tmp_path, 1, tag="bad")), destination_block=saved_blocks.destination,
            credentials_block=saved_blocks.credentials, queue_ahead=bad,
        )  # fmt: skip
    with pytest.raises(ValidationError, match="queue_ahead"):
        StoryboardParams.model_validate({"title": "t", "shots": [SHOT], "queue_ahead": bad})
    assert emulator.stats()["creates_total"] == 0


def test_the_storyboard_reads_an_empty_queue_ahead_as_the_default() -> None:
    assert StoryboardParams.model_validate({"title": "t", "shots": [SHOT]}).queue_ahead is None
    explicit = StoryboardParams.model_validate({"title": "t", "shots": [SHOT], "queue_ahead": 0})
    assert explicit.queue_ahead == 0


@flow(name="ahead-sigterm-in-a-row")
async def run_until_a_row_is_terminated(
    manifest: str, bucket: S3Bucket, base_url: str, api_key: str, per_model: int, ahead: int
) -> str:  # fmt: skip
    from prefect.exceptions import TerminationSignal

    rows = parse_manifest(Path(manifest).read_bytes(), kind="jsonl")
    results: dict[int, RowResult] = {}
    async with RunwayClient(api_key, base_url=base_url) as client:
        planned = await plan_rows(rows, client, bucket, "ahead", results)
        try:
            await run_planned(
                planned, results, client, bucket, "ahead", WaitPolicy(poll_interval=0.05),
                per_model, 3, queue_ahead=ahead,
            )  # fmt: skip
        except TerminationSignal:
            # Caught here: out of a flow run in the test's process, Prefect would send SIGTERM
            # to the process itself (its bridge hands the signal to the previous handler).
            return "terminated"
    return "ended"


async def test_a_sigterm_in_one_rows_own_step_has_every_other_row_decide_on_a_cancel(
    prefect_harness: str, emulator: RunwayEmulator, s3_bucket: S3Bucket, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # The runner's SIGTERM is raised in whichever frame runs: here in one row's own step (its
    # plan, its store), not in a wait. The waits of the other rows, running and queued ahead,
    # must still each decide about their task: the user cancelled, so each is DELETEd.
    from prefect.exceptions import TerminationSignal
    from prefect.runtime import flow_run

    from prefect_runway.flows import batch as batch_module
    from prefect_runway.tasks.wait import SharedWaits

    concurrency, ahead, rows = 2, 2, 6
    emulator.configure(max_concurrent={"gen4_turbo": concurrency}, run_seconds=3600)
    real_generate = batch_module.generate
    others = concurrency + ahead - 1  # the terminated row holds one of the submitted slots

    async def generate(spec: Any, **kwargs: Any) -> Any:
        if spec.name != "rsig0":
            return await real_generate(spec, **kwargs)
        # In flight: the others' waits (running and THROTTLED ones) in the shared task run.
        await until(lambda: SharedWaits.current().in_flight >= others, "the others wait")
        async with get_client() as prefect:
            await prefect.set_flow_run_state(flow_run.get_id(), Cancelling(), force=True)
        raise TerminationSignal(signal=15)

    monkeypatch.setattr(batch_module, "generate", generate)
    ended = await run_until_a_row_is_terminated(
        str(_manifest(tmp_path, rows, tag="sig")), s3_bucket, emulator.base_url,
        emulator.api_key, concurrency, ahead,
    )  # fmt: skip
    assert ended == "terminated"  # the signal reached the batch, after every row decided
    stats = emulator.stats()
    assert stats["creates_total"] == others  # the rows waiting for a slot were never POSTed
    assert Counter(stats["deleted_task_ids"]) == Counter(stats["task_ids"])  # each once
    assert Counter(r["status"] for r in _records(emulator)) == {"CANCELLED": others}


@pytest.mark.parametrize("cancel_one", [False, True])
async def test_two_runs_of_one_batch_at_once_pay_each_row_once_and_a_cancel_spares_the_other(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path, cancel_one: bool
) -> None:
    # Both runs submit ahead over one ledger: every row is paid once, however their queues
    # interleave. Cancelling one of them mid-way DELETEs only tasks the other does not wait
    # on; the other stores every row (paying again only for rows whose task the cancelled
    # run deleted before the other reached them, as the user's cancellation allowed).
    concurrency, ahead, rows = 1, 2, 5
    emulator.configure(max_concurrent={"gen4_turbo": concurrency}, run_seconds=0.6)
    manifest = str(_manifest(tmp_path, rows, tag="twice"))

    def run(run_name: str) -> asyncio.Future[Any]:
        named = batch.with_options(flow_run_name=run_name)
        return asyncio.ensure_future(
            named(
                manifest, destination_block=saved_blocks.destination,
                credentials_block=saved_blocks.credentials, concurrency_per_model=concurrency,
                queue_ahead=ahead, poll_interval=0.05, prefix=name, return_state=True,
            )
        )  # fmt: skip

    name = f"twice-{uuid.uuid4().hex[:8]}"  # also the runs' one prefix: one ledger
    kept, other = run(f"{name}-kept"), run(f"{name}-cancelled")
    if cancel_one:
        # Mid-way: running and queued tasks of both runs at Runway.
        await asyncio.to_thread(
            wait_for, lambda: emulator.stats()["creates_total"], lambda n: n >= concurrency + ahead
        )
        async with get_client() as prefect:
            victim: list[Any] = []
            while not victim:  # its flow run may still be starting
                victim = await prefect.read_flow_runs(
                    flow_run_filter=FlowRunFilter(
                        name=FlowRunFilterName(any_=[f"{name}-cancelled"]),
                        state=FlowRunFilterState(
                            type=FlowRunFilterStateType(any_=[StateType.RUNNING])
                        ),
                    )
                )
                await asyncio.sleep(0.05)
            await prefect.set_flow_run_state(victim[0].id, Cancelling(), force=True)
    kept_state, _ = await asyncio.gather(kept, other, return_exceptions=True)
    report = await kept_state.result()
    stats = emulator.stats()
    records = _records(emulator)
    assert report.succeeded == rows, [r.reason for r in report.results]
    assert all(n == 1 for n in Counter(stats["deleted_task_ids"]).values())  # each once
    # No SUCCEEDED task deleted; every create accounted for: stored once, or deleted by the
    # cancellation (then paid again by the run that was kept).
    assert all(r["status"] in ("SUCCEEDED", "CANCELLED") for r in records), records
    succeeded = [r for r in records if r["status"] == "SUCCEEDED"]
    assert len(succeeded) == rows  # one per row, never two
    assert stats["creates_total"] == rows + stats["deletes"]
    if not cancel_one:
        assert stats["deletes"] == 0


async def test_a_daily_limit_reached_mid_run_refuses_the_queued_creates_and_a_rerun_pays_once(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    # The batch's check passed (no limit then); meanwhile someone else used the day's quota,
    # so Runway answers 429 to the creates the batch submits ahead. Nothing was created for
    # them: they fail by name with nothing paid, nothing of ours is deleted, the running ones
    # are stored, and a re-run (the quota back) pays for exactly the refused rows.
    concurrency, ahead, rows = 1, 2, 6
    emulator.configure(max_concurrent={"gen4_turbo": concurrency}, run_seconds=2.0)
    manifest = str(_manifest(tmp_path, rows, tag="daily"))

    async def run() -> Any:
        return await batch(
            manifest, destination_block=saved_blocks.destination,
            credentials_block=saved_blocks.credentials, concurrency_per_model=concurrency,
            queue_ahead=ahead, poll_interval=0.05, prefix="daily",
        )  # fmt: skip

    first = asyncio.ensure_future(run())
    submitted = concurrency + ahead
    await asyncio.to_thread(
        wait_for, lambda: emulator.stats()["creates_total"], lambda n: n == submitted
    )
    # Before any slot frees (the first task runs 2 s): the quota is used up from now on.
    emulator.configure(max_daily={"gen4_turbo": submitted})
    report = await first
    stats = emulator.stats()
    assert stats["creates_total"] == submitted and stats["deletes"] == 0
    assert stats["credits_charged"] == submitted * PRICE
    assert report.succeeded == submitted
    refused = [r for r in report.results if r.status != "succeeded"]
    assert len(refused) == rows - submitted
    assert all(r.status == "failed" and "DailyLimitReached" in (r.reason or "") for r in refused)
    emulator.configure(max_daily={"gen4_turbo": None}, run_seconds=0.2)
    again = await run()
    assert again.succeeded == rows  # no AmbiguousSubmission: the refused intents say so
    assert emulator.stats()["creates_total"] == rows  # the refused rows, once each


async def test_a_queue_timeouts_delete_gives_no_budget_back_as_a_refund_is_not_guaranteed(
    prefect_harness: str, emulator: RunwayEmulator, s3_bucket: S3Bucket, tmp_path: Path,
    client: RunwayClient,
) -> None:  # fmt: skip
    # Someone else's task holds Runway's one slot, so ours queue behind it (not behind our own)
    # and time out; each is DELETEd while THROTTLED. Runway: "A prior GET response reporting
    # PENDING or THROTTLED does not guarantee a refund", and a deleted task cannot be read for
    # its cost. So the budget, exactly the two creates submitted at first, is spent: no third
    # create may be paid with credits a refund might not give back.
    emulator.configure(max_concurrent={"gen4_turbo": 1}, run_seconds=3600)
    stranger = await client.create(REQUEST)
    await asyncio.to_thread(
        wait_for, lambda: emulator.task(stranger.id)["status"], lambda s: s == "RUNNING"
    )
    concurrency, ahead, rows = 1, 1, 3
    results = await run_with_budget(
        str(_manifest(tmp_path, rows, tag="qt")), s3_bucket, emulator.base_url,
        emulator.api_key, concurrency, ahead, (concurrency + ahead) * PRICE, 0.3,
    )  # fmt: skip
    stats = emulator.stats()
    ours = [i for i in stats["task_ids"] if i != stranger.id]
    # Every create of ours counted at its price (no refund assumed) is within max_credits.
    assert len(ours) * PRICE <= (concurrency + ahead) * PRICE, results
    assert sorted(stats["deleted_task_ids"]) == sorted(ours)  # the queued ones, each once
    reasons = sorted((r.reason or "").split(":")[0] for r in results.values())
    assert reasons == ["OVER_BUDGET", "QUEUE_TIMEOUT", "QUEUE_TIMEOUT"], results
    # Each timed-out row says what it may have cost (its estimate), not a refund assumed.
    assert sorted(r.credits_spent or 0 for r in results.values()) == [0, PRICE, PRICE]


async def test_rows_one_after_another_share_one_submit_and_one_wait_task_run(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    # One row at a time: each submits once the one before has stored, so no submit or wait is
    # ever in flight beside another. The batch holds its shared task runs open across its
    # rows (a task run each cost more than the create itself, issue 20): one of each kind.
    from tests.tasks.test_shared_runs import settled_runs

    emulator.configure(max_concurrent={"gen4_turbo": 1}, run_seconds=0.2)
    state = await batch(
        str(_manifest(tmp_path, 3, tag="spaced")), destination_block=saved_blocks.destination,
        credentials_block=saved_blocks.credentials, concurrency_per_model=1, queue_ahead=0,
        poll_interval=0.05, return_state=True,
    )  # fmt: skip
    report = await state.result()
    assert report.succeeded == 3 and emulator.stats()["creates_total"] == 3
    assert most_unfinished_at_once(_records(emulator)) == 1  # one after another at Runway
    flow_run_id = state.state_details.flow_run_id
    # The stores first: the last task runs made, so the server has the others' records too.
    assert len(await settled_runs(flow_run_id, prefix="runway-store", count=3)) == 3
    for prefix in ("runway-submit (first ", "runway-wait (first "):
        runs = await settled_runs(flow_run_id, prefix=prefix, count=1)
        assert len(runs) == 1, [run.name for run in runs]
        assert runs[0].state_type == StateType.COMPLETED


async def test_a_submit_task_run_that_cannot_start_fails_its_row_unpaid_and_the_batch_goes_on(
    prefect_harness: str, emulator: RunwayEmulator, s3_bucket: S3Bucket, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # The batch holds one runway-submit task run for its rows (issue 20); the first cannot
    # start (the Prefect API failed as it began). Its row fails saying nothing was sent, and
    # nothing of the budget goes to it: the budget covers two creates, and two are paid.
    from prefect_runway.tasks import submit as submit_module

    hold_submits, starts = submit_module._hold_submits, []

    async def refuse_first(shared: Any, first_key: str) -> int:
        starts.append(first_key)
        if len(starts) == 1:
            raise RuntimeError("the Prefect API answered 503")
        return await hold_submits(shared, first_key)

    monkeypatch.setattr(submit_module, "_hold_submits", refuse_first)
    emulator.configure(max_concurrent={"gen4_turbo": 1}, run_seconds=0.2)
    results = await run_with_budget(
        str(_manifest(tmp_path, 3, tag="nostart")), s3_bucket, emulator.base_url,
        emulator.api_key, 1, 0, 2 * PRICE,
    )  # fmt: skip
    stats = emulator.stats()
    assert stats["creates_total"] == 2 and stats["credits_charged"] <= 2 * PRICE, results
    statuses = sorted(r.status for r in results.values())
    assert statuses == ["failed", "succeeded", "succeeded"], results
    failed = next(r for r in results.values() if r.status == "failed")
    assert "SubmitNotStarted" in (failed.reason or "") and "nothing was sent" in (
        failed.reason or ""
    ), failed
    assert failed.credits_spent in (None, 0), failed
    assert len(starts) == 2  # the next row started a new task run, which held the rest


async def test_cancelling_a_run_while_its_creates_are_in_flight_deletes_each_once(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    # Every row's create sent and not yet answered, all under the batch's one runway-submit
    # task run, when the user cancels: each answer is recorded, and each task DELETEd once.
    from prefect_runway.testing.emulator import Fault, FaultPlan

    concurrency, ahead = 2, 2
    rows = concurrency + ahead
    emulator.configure(max_concurrent={"gen4_turbo": concurrency}, run_seconds=60.0)
    emulator.set_faults(FaultPlan(rules=[Fault(operation="create", kind="slow", delay=2.0)]))
    manifest = _manifest(tmp_path, rows, tag="inflight")
    run = asyncio.ensure_future(
        batch(
            str(manifest), destination_block=saved_blocks.destination,
            credentials_block=saved_blocks.credentials, concurrency_per_model=concurrency,
            queue_ahead=ahead, poll_interval=0.05, return_state=True,
        )
    )  # fmt: skip
    await until(lambda: emulator.stats()["creates_total"] == rows, "every create is sent")
    await cancel_the_batch_of(manifest)
    await asyncio.gather(run, return_exceptions=True)
    stats = emulator.stats()
    assert stats["creates_total"] == rows  # nothing submitted after the cancel
    assert Counter(stats["deleted_task_ids"]) == Counter(stats["task_ids"])  # each once
    assert all(r["status"] == "CANCELLED" for r in _records(emulator))


async def test_a_sigterm_mid_batch_loses_no_create_and_the_rerun_pays_each_row_once(
    prefect_harness: str, emulator: RunwayEmulator, s3_bucket: S3Bucket, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # Prefect raises the SIGTERM in whichever coroutine runs: here the last row's step before
    # its POST (its name's claim), once the other rows' creates are all sent, the first one's
    # answer still on its way (slow) and the others' waits in flight. Every create is recorded
    # for the re-run, which reattaches to them and pays the signalled row once: no row twice,
    # none stopped as ambiguous.
    import signal

    from prefect.exceptions import TerminationSignal

    from prefect_runway.tasks.generate import _Execution
    from prefect_runway.testing.emulator import Fault, FaultPlan

    rows = 4
    emulator.configure(run_seconds=1.5)
    emulator.set_faults(FaultPlan(rules=[Fault(operation="create", kind="slow", delay=1.0)]))
    hold_name, reached = _Execution.hold_name, []

    async def signalled(self: _Execution, intent: Any = None) -> None:
        reached.append(self.plan.key)
        if len(reached) == rows:
            await until(lambda: emulator.stats()["creates_total"] == rows - 1, "creates sent")
            raise TerminationSignal(signal=signal.SIGTERM)
        await hold_name(self, intent)

    monkeypatch.setattr(_Execution, "hold_name", signalled)
    manifest = str(_manifest(tmp_path, rows, tag="sigpost"))
    ended = await run_until_a_row_is_terminated(
        manifest, s3_bucket, emulator.base_url, emulator.api_key, rows, 0
    )
    assert ended == "terminated"
    assert emulator.stats()["creates_total"] == rows - 1 and emulator.stats()["deletes"] == 0
    monkeypatch.setattr(_Execution, "hold_name", hold_name)
    again = await run_with_budget(
        manifest, s3_bucket, emulator.base_url, emulator.api_key, rows, 0, rows * PRICE
    )
    assert sorted(r.status for r in again.values()) == ["succeeded"] * rows, again
    stats = emulator.stats()
    assert stats["creates_total"] == rows and stats["deletes"] == 0  # each row paid once
