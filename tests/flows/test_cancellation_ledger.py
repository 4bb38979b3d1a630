"""The on_cancellation hook finds a cancelled run's tasks in the ledger, not only in the Prefect
API's task runs, whose records lag (task-run creation and states reach the server as events) or
never exist (a task submitted just before the SIGTERM has no wait yet).

Each case builds what a run leaves behind when the runner stops its process: ledger entries
(``submit_once``, as the flow writes them), the flow run's ledger label (``announce_ledger``,
as ``generate`` writes it), the Runway tasks at the emulator, and only *some* of the wait task
runs. The hook then runs as the runner runs it, and the emulator's books are checked: every
unfinished task of the run that no other live run waits on is DELETEd exactly once, no
SUCCEEDED task is deleted, nothing is created.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from uuid import UUID, uuid4

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prefect.client.orchestration import PrefectClient, get_client
from prefect.states import Cancelling, Running
from prefect_aws import S3Bucket

import prefect_runway.flows.batch as batch_module
import prefect_runway.flows.storyboard as storyboard_module
from prefect_runway.api import (
    Gen4TurboImageToVideo,
    Gen45ImageToVideo,
    RetryPolicy,
    RunwayClient,
    WaitPolicy,
    wait_for_task,
)
from prefect_runway.flows.batch import batch
from prefect_runway.flows.storyboard import Scene, StoryboardParams, storyboard
from prefect_runway.tasks.cancellation import cancel_runway_tasks
from prefect_runway.tasks.ledger import SubmissionLedger
from prefect_runway.tasks.run_ledgers import announce_ledger, announced_ledgers
from prefect_runway.tasks.submit import submit_once
from prefect_runway.tasks.wait import Attachment, runway_tasks_waited_on, wait_for_generation
from prefect_runway.testing.emulator import Fault, FaultPlan, RunwayEmulator
from tests.flows.conftest import SavedBlocks
from tests.media_samples import png_bytes, png_data_uri

#: One DELETE and its retries.
DELETE_ATTEMPTS = RetryPolicy().max_attempts
REQUEST = Gen4TurboImageToVideo(prompt_image=png_data_uri(), ratio="960:960", duration=2)
#: The model of the tasks meant to succeed: quick, and never queued behind the long ones.
QUICK = Gen45ImageToVideo(
    prompt_image=png_data_uri(), prompt_text="a lighthouse", ratio="960:960", duration=2
)
LONG_AND_QUICK = {
    "run_seconds_by_model": {"gen4_turbo": 600.0, "gen4.5": 0.2},
    "max_concurrent": {"gen4_turbo": 2, "gen4.5": 50},
}

#: What became of one generation of the cancelled run when its process was stopped.
Kind = Literal[
    "in_flight",  # submitted by the run, still PENDING/THROTTLED/RUNNING: must be deleted
    "succeeded",  # SUCCEEDED, the run stopped before recording it: never deleted
    "shared",  # in flight, and another live run reattached to it: left running, detached
    "stranger",  # another live run's task in the same ledger: not this run's
    "intent",  # claimed, the create never answered: no task id, nothing to delete
]


@dataclass
class Generation:
    kind: Kind
    recorded: bool  # its wait task run reached the Prefect server
    key: str = ""
    task_id: str | None = None


class _Crash(BaseException):
    """The hook's process dying (not an ``Exception``: nothing in the hook may swallow it)."""


async def _setup(
    prefect: PrefectClient,
    runway: RunwayClient,
    blocks: SavedBlocks,
    generations: list[Generation],
    *,
    announce: bool = True,
) -> tuple[UUID, SubmissionLedger]:
    """A cancelled run's leftovers: ledger entries, tasks, a label and some wait task runs."""
    run = await prefect.create_flow_run(
        batch,
        parameters={
            "credentials_block": blocks.credentials,
            "destination_block": blocks.destination,
        },
        state=Running(),
    )
    other = await prefect.create_flow_run(batch, state=Running())
    destination = await S3Bucket.aload(blocks.destination)
    ledger = SubmissionLedger(destination, f"hook-{uuid4().hex[:8]}/_runway")
    if announce:
        await announce_ledger(destination, ledger.folder, ledger.location, str(run.id))
    for generation in generations:
        generation.key = f"{uuid4().hex}-1"
        owner = str(other.id) if generation.kind == "stranger" else str(run.id)
        if generation.kind == "intent":
            await ledger.claim(generation.key, model=REQUEST.model, run=owner)
            continue
        request = QUICK if generation.kind == "succeeded" else REQUEST
        submitted = await submit_once(
            request, key=generation.key, client=runway, ledger=ledger, run=owner
        )
        generation.task_id = submitted.task_id
        if generation.kind == "succeeded":
            await wait_for_task(runway, submitted.task_id, WaitPolicy(poll_interval=0.02))
        if generation.kind == "shared":
            await ledger.attach(generation.key, task_id=submitted.task_id, run=str(other.id))
        if generation.recorded and generation.kind != "stranger":
            name = Attachment(ledger, generation.key, submitted.task_id, str(run.id)).run_name()
            await prefect.create_task_run(
                wait_for_generation, run.id, dynamic_key=uuid4().hex, name=name, state=Running()
            )
    return run.id, ledger


async def _hook(prefect: PrefectClient, run_id: UUID) -> None:
    await cancel_runway_tasks(batch, await prefect.read_flow_run(run_id), Cancelling())


def _check_books(
    emulator: RunwayEmulator, generations: list[Generation], creates_before: int
) -> None:
    """The invariants, against the emulator's books."""
    stats = emulator.stats()
    mine = {g.task_id for g in generations if g.task_id}
    deleted = Counter(t for t in stats["deleted_task_ids"] if t in mine)
    must = {g.task_id for g in generations if g.kind == "in_flight"}
    assert set(deleted) == must, (deleted, [(g.kind, g.recorded) for g in generations])
    assert all(count == 1 for count in deleted.values()), deleted  # exactly once
    for generation in generations:
        if generation.kind == "succeeded":
            assert emulator.task(generation.task_id)["status"] == "SUCCEEDED"
        if generation.kind in ("shared", "stranger"):
            assert emulator.task(generation.task_id)["status"] in ("PENDING", "THROTTLED",
                                                                   "RUNNING")  # fmt: skip
    assert stats["creates_total"] == creates_before  # the hook never creates


async def _check_ledger(ledger: SubmissionLedger, generations: list[Generation], run: UUID) -> None:
    for generation in generations:
        entry = await ledger.read(generation.key)
        assert entry is not None
        if generation.kind == "in_flight":
            assert entry.state == "cancelled", entry  # a re-run pays again, knowingly
        if generation.kind == "shared":  # this run detached; the other still waits
            assert entry.state == "submitted" and str(run) not in entry.leases, entry
            assert len(entry.leases) == 1, entry


kinds = st.sampled_from(["in_flight", "succeeded", "shared", "stranger", "intent"])
generations_strategy = st.lists(
    st.builds(Generation, kind=kinds, recorded=st.booleans()), min_size=1, max_size=6
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    generations=generations_strategy,
    crash_at=st.none() | st.integers(0, 3),
    again=st.booleans(),
    lost_answers=st.sampled_from([0, 1, DELETE_ATTEMPTS]),
)
def test_the_hook_cancels_every_task_of_the_run_whatever_the_server_recorded(
    saved_blocks: SavedBlocks,
    emulator: RunwayEmulator,
    generations: list[Generation],
    crash_at: int | None,
    again: bool,
    lost_answers: int,
) -> None:
    # At least one generation the hook must delete whose wait the server never recorded: the
    # case the hook missed when it read task runs alone.
    generations = [*generations, Generation("in_flight", recorded=False)]
    emulator.configure(**LONG_AND_QUICK)
    # The first ``lost_answers`` DELETEs are carried out and their answers lost (a reset after
    # processing); DELETE_ATTEMPTS of them outlast the client's retries, so the first pass
    # cannot tell whether its DELETE landed.
    lost = [Fault(operation="delete", kind="reset_after", times=n) for n in [lost_answers] if n]
    emulator.set_faults(FaultPlan(rules=lost))

    async def scenario() -> None:
        async with (
            get_client() as prefect,
            RunwayClient(emulator.api_key, base_url=emulator.base_url) as runway,
        ):
            run_id, ledger = await _setup(prefect, runway, saved_blocks, generations)
            creates = emulator.stats()["creates_total"]
            if crash_at is not None:
                # The hook's process dies at its crash_at-th DELETE (after the ledger marked
                # the entry ``cancelling``, before the DELETE is sent); the runner, or a
                # second cancellation, runs it again.
                with pytest.MonkeyPatch.context() as patch:
                    calls = [0]
                    real = RunwayClient.delete_task

                    async def dying(self: RunwayClient, task_id: str) -> Any:
                        calls[0] += 1
                        if calls[0] > crash_at:
                            raise _Crash
                        return await real(self, task_id)

                    patch.setattr(RunwayClient, "delete_task", dying)
                    try:
                        await _hook(prefect, run_id)
                    except _Crash:
                        pass
            await _hook(prefect, run_id)
            if lost_answers >= DELETE_ATTEMPTS:
                # Only a DELETE whose every answer was lost needs a second pass (the runner's,
                # or a second cancellation): otherwise one pass after a crash must suffice.
                emulator.set_faults(FaultPlan(rules=[]))
                await _hook(prefect, run_id)
            if again:  # a second cancellation of the same run changes nothing
                await _hook(prefect, run_id)
            _check_books(emulator, generations, creates)
            await _check_ledger(ledger, generations, run_id)

    asyncio.run(scenario())


async def test_a_wait_the_server_has_not_recorded_is_still_cancelled(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, client: RunwayClient
) -> None:
    # The served-run failure, held still: the task runs, the ledger holds it with the run
    # attached, the server has no record of its wait. The hook deletes it.
    emulator.configure(**LONG_AND_QUICK)
    generations = [Generation("in_flight", recorded=False)]
    async with get_client() as prefect:
        run_id, ledger = await _setup(prefect, client, saved_blocks, generations)
        assert await runway_tasks_waited_on(prefect, run_id) == []  # what the hook read alone
        await _hook(prefect, run_id)
    assert emulator.stats()["deleted_task_ids"] == [generations[0].task_id]
    await _check_ledger(ledger, generations, run_id)


async def test_a_run_cancelled_before_any_wait_started_deletes_and_creates_nothing(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, client: RunwayClient
) -> None:
    generations = [Generation("intent", recorded=False)]
    async with get_client() as prefect:
        run_id, _ = await _setup(prefect, client, saved_blocks, generations)
        await _hook(prefect, run_id)
        bare, _ = await _setup(prefect, client, saved_blocks, [], announce=False)
        await _hook(prefect, bare)
    stats = emulator.stats()
    assert stats["deletes"] == 0 and stats["creates_total"] == 0


async def test_a_run_whose_destination_block_is_gone_deletes_nothing_and_says_so(
    saved_blocks: SavedBlocks,
    emulator: RunwayEmulator,
    client: RunwayClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Without its ledger the hook cannot know whether another run waits on a task: it leaves
    # every task running, recorded wait or not, and logs why.
    emulator.configure(**LONG_AND_QUICK)
    generations = [Generation("in_flight", recorded=True), Generation("in_flight", recorded=False)]
    async with get_client() as prefect:
        run_id, _ = await _setup(prefect, client, saved_blocks, generations)
        destination = await prefect.read_block_document_by_name(
            saved_blocks.destination, block_type_slug="s3-bucket"
        )
        await prefect.delete_block_document(destination.id)
        with caplog.at_level(logging.INFO):
            await _hook(prefect, run_id)
    assert emulator.stats()["deletes"] == 0
    assert f"could not load the destination block {saved_blocks.destination}" in caplog.text
    assert "left running" in caplog.text


async def test_the_label_is_written_once_per_run_and_ledger(
    saved_blocks: SavedBlocks, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[dict[str, Any]] = []
    real = PrefectClient.update_flow_run_labels

    async def counted(self: PrefectClient, flow_run_id: UUID, labels: dict[str, Any]) -> None:
        writes.append(labels)
        await real(self, flow_run_id, labels)

    monkeypatch.setattr(PrefectClient, "update_flow_run_labels", counted)
    destination = await S3Bucket.aload(saved_blocks.destination)
    async with get_client() as prefect:
        run = await prefect.create_flow_run(batch, state=Running())
        ledgers = [SubmissionLedger(destination, f"p{i}/_runway") for i in range(2)]
        for _ in range(3):
            await asyncio.gather(
                *(announce_ledger(destination, x.folder, x.location, str(run.id)) for x in ledgers)
            )
        await announce_ledger(destination, "x/_runway", "s3://b/x/_runway", "a-script-process")
        labels = (await prefect.read_flow_run(run.id)).labels
    assert len(writes) == 2  # a batch's generations starting together write it once
    found = announced_ledgers(labels)
    assert sorted((a.folder, a.location, a.block) for a in found) == sorted(
        (x.folder, x.location, saved_blocks.destination) for x in ledgers
    )


async def test_without_list_bucket_the_hook_leaves_the_tasks_running_and_names_the_permission(
    saved_blocks: SavedBlocks,
    emulator: RunwayEmulator,
    client: RunwayClient,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # ``generate``'s waits share one task run (issue 20): the ledger's listing is the one way
    # the hook finds their tasks. A policy without s3:ListBucket refuses it: nothing can be
    # deleted safely, and the WARNING says which permission and what to do.
    emulator.configure(**LONG_AND_QUICK)
    generations = [Generation("in_flight", recorded=False)]
    real = BaseClient._make_api_call

    def refused(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if operation == "ListObjectsV2":
            raise ClientError(
                {"Error": {"Code": "AccessDenied", "Message": "Access Denied"},
                 "ResponseMetadata": {"HTTPStatusCode": 403}},
                operation,
            )  # fmt: skip
        return real(self, operation, params)

    async with get_client() as prefect:
        run_id, ledger = await _setup(prefect, client, saved_blocks, generations)
        with monkeypatch.context() as patch, caplog.at_level(logging.WARNING):
            patch.setattr(BaseClient, "_make_api_call", refused)
            await _hook(prefect, run_id)
        assert emulator.stats()["deletes"] == 0
        warned = [r for r in caplog.records if "s3:ListBucket" in r.getMessage()]
        assert warned and warned[0].levelno == logging.WARNING, caplog.text
        message = warned[0].getMessage()
        assert "left running" in message and "runway-recover" in message, message
        assert saved_blocks.bucket.bucket_name in message, message
        # Granted again, the same hook finds the task in the ledger and cancels it.
        await _hook(prefect, run_id)
    assert emulator.stats()["deleted_task_ids"] == [generations[0].task_id]
    await _check_ledger(ledger, generations, run_id)


def _watch_label_plan_and_claims(
    monkeypatch: pytest.MonkeyPatch, module: Any, planner: str
) -> list[str]:
    """Record, in order, the ledger label's request and answer, the end of ``module.planner``
    (the flow's plan) and every claim in a ledger."""
    seen: list[str] = []
    sent = threading.Event()
    real_label = PrefectClient.update_flow_run_labels
    real_plan = getattr(module, planner)
    real_claim = SubmissionLedger.claim

    async def label(self: PrefectClient, flow_run_id: UUID, labels: dict[str, Any]) -> None:
        seen.append("label sent")
        sent.set()
        await real_label(self, flow_run_id, labels)
        seen.append("label written")

    async def plan(*args: Any, **kwargs: Any) -> Any:
        # The label's request is under way before the plan ends (the plan's reads are
        # milliseconds here: wait for the request rather than race it).
        await asyncio.to_thread(sent.wait, 30)
        seen.append("planned")
        return await real_plan(*args, **kwargs)

    async def claim(self: SubmissionLedger, *args: Any, **kwargs: Any) -> Any:
        seen.append("claim")
        return await real_claim(self, *args, **kwargs)

    monkeypatch.setattr(PrefectClient, "update_flow_run_labels", label)
    monkeypatch.setattr(module, planner, plan)
    monkeypatch.setattr(SubmissionLedger, "claim", claim)
    return seen


def _labelled_early(seen: list[str]) -> None:
    assert seen.count("label sent") == 1, seen  # one write for the run's one ledger
    assert seen.index("label sent") < seen.index("planned"), seen
    assert seen.index("label written") < seen.index("claim"), seen


async def test_a_batch_labels_its_run_while_it_plans_and_before_any_claim(
    saved_blocks: SavedBlocks,
    emulator: RunwayEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The label is one Prefect API write every first claim waits for, which a busy server
    # answers in seconds: the batch starts it as soon as its destination is known, so it is
    # under way while the run plans; nothing is claimed before it lands.
    seen = _watch_label_plan_and_claims(monkeypatch, batch_module, "plan_rows")
    report = await batch(
        str(_two_rows(tmp_path)), destination_block=saved_blocks.destination,
        credentials_block=saved_blocks.credentials, prefix=f"early-{uuid4().hex[:8]}",
        poll_interval=0.05,
    )  # fmt: skip
    assert report.succeeded == 2 and emulator.stats()["creates_total"] == 2
    _labelled_early(seen)


async def test_a_storyboard_labels_its_run_while_it_plans_and_before_any_claim(
    saved_blocks: SavedBlocks,
    emulator: RunwayEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The same for the storyboard: its ledger is its folder's (prefix and title).
    seen = _watch_label_plan_and_claims(monkeypatch, storyboard_module, "plan_stages")
    result = await storyboard(_two_shots(saved_blocks, tmp_path))
    assert result.cut_uri is not None and emulator.stats()["creates_total"] == 2
    _labelled_early(seen)


async def test_a_dry_run_writes_no_label(
    saved_blocks: SavedBlocks, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[dict[str, Any]] = []

    async def label(self: PrefectClient, flow_run_id: UUID, labels: dict[str, Any]) -> None:
        sent.append(labels)

    monkeypatch.setattr(PrefectClient, "update_flow_run_labels", label)
    report = await batch(
        str(_two_rows(tmp_path)), destination_block=saved_blocks.destination,
        credentials_block=saved_blocks.credentials, prefix=f"dry-{uuid4().hex[:8]}",
        dry_run=True,
    )  # fmt: skip
    assert report.dry_run and sent == []
    result = await storyboard(_two_shots(saved_blocks, tmp_path, dry_run=True))
    assert result.dry_run and sent == []


def _two_rows(tmp_path: Path) -> Path:
    path = tmp_path / "two.jsonl"
    path.write_text("".join(
        json.dumps({"name": f"early{seed}", "model": "gen4_turbo", "promptImage": png_data_uri(),
                    "ratio": "960:960", "duration": 2, "seed": seed}) + "\n"
        for seed in range(2)
    ))  # fmt: skip
    return path


def _two_shots(blocks: SavedBlocks, tmp_path: Path, **changes: object) -> StoryboardParams:
    shots = []
    for number in range(2):
        image = tmp_path / f"shot{number}.png"
        image.write_bytes(png_bytes(rgb=(40 * number, 90, 160)))
        shots.append(Scene(image=str(image), prompt_text=f"A lighthouse, take {number}",
                           duration=2, ratio="960:960"))  # fmt: skip
    fields: dict[str, object] = {
        "title": f"early-{uuid4().hex[:8]}", "shots": shots, "frame_size": "960:960",
        "destination_block": blocks.destination, "credentials_block": blocks.credentials,
        "prefix": "boards", "poll_interval": 0.05,
    }  # fmt: skip
    return StoryboardParams.model_validate(fields | changes)
