"""Cancellation and timeouts of a whole batch, with many generations in flight (DESIGN.md's
DELETE policy): a user's cancellation DELETEs every PENDING, THROTTLED and RUNNING task and no
SUCCEEDED one; a queue timeout DELETEs the queued task; a run timeout DELETEs nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
from prefect.client.schemas.objects import StateType
from prefect.states import Cancelling

from prefect_runway.flows.batch import batch
from prefect_runway.testing.emulator import RunwayEmulator
from tests.flows.conftest import SavedBlocks
from tests.media_samples import png_data_uri

ROOT = Path(__file__).resolve().parents[2]
IMAGE = png_data_uri()


def _manifest(path: Path, rows: list[tuple[str, str]]) -> Path:
    lines = []
    for index, (name, model) in enumerate(rows):
        row = {"name": name, "model": model, "promptImage": IMAGE, "ratio": "960:960",
               "duration": 2, "seed": index}  # fmt: skip
        if model == "gen4.5":
            row["promptText"] = "a harbour at dawn"
        lines.append(json.dumps(row))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def served_batch(prefect_harness: str, tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PREFECT_API_URL": prefect_harness,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
    }
    code = (
        "from prefect_runway.flows.batch import batch; "
        "batch.serve(name='batch-served', print_starting_message=False)"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        yield process
    finally:
        # The runner's flow processes are in its session: stop them all by the group id.
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


async def _until(condition: object, what: str, deadline: float) -> None:
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def test_cancelling_a_served_batch_deletes_every_task_in_flight_and_no_succeeded_one(
    served_batch: subprocess.Popen[str],
    saved_blocks: SavedBlocks,
    emulator: RunwayEmulator,
    tmp_path: Path,
) -> None:
    # gen4_turbo: one slot, long runs (one RUNNING, the rest THROTTLED); gen4.5: one slot,
    # short runs, so some SUCCEED and are stored while the next waits PENDING.
    emulator.configure(
        queue_seconds=1.5, run_seconds=120, run_seconds_by_model={"gen4.5": 1.5},
        max_concurrent={"gen4_turbo": 1, "gen4.5": 1},
    )  # fmt: skip
    rows = [(f"long-{i}", "gen4_turbo") for i in range(5)]
    rows += [(f"short-{i}", "gen4.5") for i in range(12)]
    manifest = _manifest(tmp_path / "batch.jsonl", rows)

    def statuses() -> dict[str, int]:
        counts: dict[str, int] = emulator.stats()["tasks_by_status"]
        return counts

    deadline = time.monotonic() + 120
    async with get_client() as prefect:
        deployment = None
        while deployment is None:
            try:
                deployment = await prefect.read_deployment_by_name("runway-batch/batch-served")
            except Exception:
                assert time.monotonic() < deadline, "the served deployment never appeared"
                await asyncio.sleep(0.2)
        run = await prefect.create_flow_run_from_deployment(
            deployment.id,
            parameters={
                "manifest": str(manifest), "destination_block": saved_blocks.destination,
                # Ten at a time (6 + 4 queued ahead): the last gen4.5 rows are created only as
                # earlier ones succeed, so PENDING, THROTTLED, RUNNING and SUCCEEDED tasks exist
                # at once (one wave queued, the default, would create all 12 at once).
                "credentials_block": saved_blocks.credentials, "concurrency_per_model": 6,
                "queue_ahead": 4, "poll_interval": 0.1,
            },
        )  # fmt: skip
        await _until(
            lambda: (
                emulator.stats()["creates_total"] == len(rows)
                and all(statuses().get(s, 0) >= 1 for s in ("PENDING", "THROTTLED", "RUNNING"))
                and statuses().get("SUCCEEDED", 0) >= 1
            ),
            "every row submitted; tasks PENDING, THROTTLED, RUNNING and SUCCEEDED at once",
            deadline,
        )
        await prefect.set_flow_run_state(run.id, Cancelling(), force=True)
        while True:
            state = (await prefect.read_flow_run(run.id)).state
            if state is not None and state.type is StateType.CANCELLED:
                break
            assert time.monotonic() < deadline, f"the run never reached Cancelled: {state}"
            await asyncio.sleep(0.1)
        # The hook ran in the runner and said what it did in the run's logs (shipped in
        # batches, so waited for), without secrets. The waits that saw the run CANCELLING
        # before the runner's SIGTERM cancelled their own tasks, after asking the ledger who
        # else waits: the hook finds the rest, or none (under load, every one of them).
        messages: list[str] = []
        hook_said = ("Runway task(s) still waited on", "no Runway task was still waited on")
        while not any(said in m for m in messages for said in hook_said):
            assert time.monotonic() < deadline, f"no log of the hook: {messages[-20:]}"
            await asyncio.sleep(0.2)
            flow_run_logs = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id]))
            messages = [log.message for log in await prefect.read_logs(flow_run_logs)]
        assert not any(emulator.api_key in m or "_jwt" in m for m in messages)
    stats = emulator.stats()
    records = [emulator.task(task_id) for task_id in stats["task_ids"]]
    deleted = set(stats["deleted_task_ids"])
    assert len(records) == len(rows)  # every row was submitted before the cancellation
    # Every task is either SUCCEEDED (kept, never deleted) or was deleted while in flight.
    left = [(r["id"], r["status"]) for r in records if r["status"] != "SUCCEEDED"]
    assert {task_id for task_id, _ in left} == deleted, (left, sorted(deleted), messages[-30:])
    assert not any(r["status"] == "SUCCEEDED" and r["id"] in deleted for r in records)
    # Queued and running tasks were cancelled alike (whether one was still PENDING rather than
    # THROTTLED when the DELETE arrived is a matter of timing).
    states = {r["cancelled_while"] for r in records if r["id"] in deleted}
    assert {"THROTTLED", "RUNNING"} <= states <= {"PENDING", "THROTTLED", "RUNNING"}

    # Run again: each cancelled row is submitted once more (a cancelled task cannot be fetched
    # again); the SUCCEEDED ones are stored without another create.
    emulator.configure(run_seconds=0.2, run_seconds_by_model={}, queue_seconds=0.05,
                       max_concurrent={})  # fmt: skip
    again = await batch(
        str(manifest), destination_block=saved_blocks.destination,
        credentials_block=saved_blocks.credentials, concurrency_per_model=6, poll_interval=0.05,
    )  # fmt: skip
    assert again.succeeded == len(rows), [r.reason for r in again.results if r.reason]
    assert emulator.stats()["creates_total"] == len(rows) + len(deleted)


async def test_a_batch_queue_timeout_deletes_the_queued_and_a_run_timeout_deletes_nothing(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    emulator.configure(queue_seconds=0.05, run_seconds=4, max_concurrent={"gen4_turbo": 1})
    manifest = _manifest(tmp_path / "q.jsonl", [(f"q-{i}", "gen4_turbo") for i in range(4)])
    report = await batch(
        str(manifest), destination_block=saved_blocks.destination,
        credentials_block=saved_blocks.credentials, poll_interval=0.05,
        max_queue_minutes=1.5 / 60,
    )  # fmt: skip
    stats = emulator.stats()
    timed_out = [r for r in report.results if r.reason and r.reason.startswith("QUEUE_TIMEOUT")]
    assert len(timed_out) == 3 and report.succeeded == 1
    assert stats["deletes"] == 3
    records = [emulator.task(task_id) for task_id in stats["deleted_task_ids"]]
    assert {r["cancelled_while"] for r in records} == {"THROTTLED"}

    emulator.reset()
    emulator.configure(queue_seconds=0.05, run_seconds=60, max_concurrent={"gen4_turbo": 4})
    manifest = _manifest(tmp_path / "r.jsonl", [(f"r-{i}", "gen4_turbo") for i in range(4)])
    report = await batch(
        str(manifest), destination_block=saved_blocks.destination,
        credentials_block=saved_blocks.credentials, poll_interval=0.05,
        max_run_minutes=0.5 / 60, prefix="run-timeout",
    )  # fmt: skip
    assert emulator.stats()["deletes"] == 0  # a RUNNING cancel refunds nothing: never
    assert [r.status for r in report.results] == ["failed"] * 4
    reasons = [row.reason or "" for row in report.results]
    assert all("RunTimeout" in reason and "recover" in reason for reason in reasons)
    # Each row names its own task for recover (rows are created concurrently, in any order).
    for task_id in emulator.stats()["task_ids"]:
        assert sum(task_id in reason for reason in reasons) == 1
