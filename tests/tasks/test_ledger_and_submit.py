"""The ledger and the submit protocol: at most one POST per claim of an attempt, come what may."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prefect.filesystems import LocalFileSystem
from prefect_aws import S3Bucket

from prefect_runway.api import AmbiguousSubmission, Gen4TurboImageToVideo, RunwayClient, WaitPolicy
from prefect_runway.tasks.ledger import SubmissionLedger
from prefect_runway.tasks.submit import submit_once
from prefect_runway.tasks.wait import Attachment, cancel_unless_finished, wait_with_cancellation
from prefect_runway.testing.emulator import Fault, FaultPlan, RunwayEmulator
from tests.media_samples import png_data_uri
from tests.s3 import LostAnswers
from tests.testing.emulator.support import wait_for

REQUEST = Gen4TurboImageToVideo(prompt_image=png_data_uri(), ratio="960:960", duration=2)


@pytest.fixture
def ledger(tmp_path: Path) -> SubmissionLedger:
    return SubmissionLedger(LocalFileSystem(basepath=str(tmp_path / "ledger")))


@pytest.fixture(params=["local", "s3"])
def any_ledger(request: pytest.FixtureRequest, tmp_path: Path) -> SubmissionLedger:
    if request.param == "s3":
        bucket: S3Bucket = request.getfixturevalue("s3_bucket")
        return SubmissionLedger(bucket, "scenes/_runway")
    return SubmissionLedger(LocalFileSystem(basepath=str(tmp_path / "ledger")))


async def test_absent_entry_reads_none(ledger: SubmissionLedger) -> None:
    assert await ledger.read("nothing-1") is None


async def test_unreadable_entry_is_an_error_not_absence(tmp_path: Path) -> None:
    # An entry that exists but cannot be read must never count as "nothing was sent".
    (tmp_path / "_runway" / "ledger" / "k-1.json").mkdir(parents=True)
    ledger = SubmissionLedger(LocalFileSystem(basepath=str(tmp_path)))
    with pytest.raises(ValueError, match="is not a file"):
        await ledger.read("k-1")


def test_a_storage_without_conditional_writes_is_refused() -> None:
    # Without compare-and-swap there is no lock: two runs would both pay.
    class PlainStorage:
        async def aread_path(self, path: str) -> bytes:
            raise AssertionError

        async def awrite_path(self, path: str, content: bytes) -> str:
            raise AssertionError

    with pytest.raises(TypeError, match="offers no conditional write"):
        SubmissionLedger(PlainStorage())


async def test_submits_once_then_reattaches(
    client: RunwayClient, emulator: RunwayEmulator, ledger: SubmissionLedger
) -> None:
    first = await submit_once(REQUEST, key="k-1", client=client, ledger=ledger, run="a")
    again = await submit_once(REQUEST, key="k-1", client=client, ledger=ledger, run="b")
    assert again.task_id == first.task_id and again.reused and not first.reused
    assert emulator.stats()["creates_total"] == 1
    entry = await ledger.read("k-1")
    assert entry is not None and entry.state == "submitted" and entry.task_id == first.task_id
    assert entry.estimated_credits == 10
    assert entry.flow_run_id == "a" and set(entry.leases) == {"a"}  # the creator is attached


async def test_ambiguous_create_leaves_an_intent_that_blocks_resubmits(
    client: RunwayClient, emulator: RunwayEmulator, ledger: SubmissionLedger
) -> None:
    emulator.set_faults(FaultPlan(rules=[Fault(operation="create", kind="reset_after")]))
    with pytest.raises(AmbiguousSubmission):
        await submit_once(REQUEST, key="k-1", client=client, ledger=ledger)
    entry = await ledger.read("k-1")
    assert entry is not None and entry.state == "intent" and entry.task_id is None
    with pytest.raises(AmbiguousSubmission, match="recorded its intent but never its task id"):
        await submit_once(REQUEST, key="k-1", client=client, ledger=ledger, claim_wait=0)
    assert emulator.stats()["creates_total"] == 1  # the ambiguous one, and nothing more
    resubmitted = await submit_once(
        REQUEST, key="k-1", client=client, ledger=ledger, allow_resubmit=True, claim_wait=0
    )
    assert emulator.stats()["creates_total"] == 2  # the user's explicit say
    assert (await ledger.read("k-1")).task_id == resubmitted.task_id  # type: ignore[union-attr]


async def test_the_intent_is_claimed_once(any_ledger: SubmissionLedger) -> None:
    first = await any_ledger.claim("k-1", model="gen4_turbo", run="a")
    second = await any_ledger.claim("k-1", model="gen4_turbo", run="b")
    assert first.won and not second.won
    entry = await any_ledger.read("k-1")
    assert entry is not None and entry.flow_run_id == "a"  # the loser did not overwrite it


async def test_concurrent_claims_have_exactly_one_winner(any_ledger: SubmissionLedger) -> None:
    claims = await asyncio.gather(
        *(any_ledger.claim("k-1", model="gen4_turbo", run=f"r{i}") for i in range(8))
    )
    assert sum(claim.won for claim in claims) == 1
    winner = next(claim for claim in claims if claim.won)
    entry = await any_ledger.read("k-1")
    assert entry is not None and entry.claim_id == winner.entry.claim_id


@pytest.mark.parametrize("storage", ["local", "s3"])
async def test_concurrent_submits_of_one_attempt_pay_once(
    storage: str,
    client: RunwayClient,
    emulator: RunwayEmulator,
    ledger: SubmissionLedger,
    s3_bucket: S3Bucket,
) -> None:
    if storage == "s3":
        ledger = SubmissionLedger(s3_bucket, "_runway")
    # A slow create keeps the winner's intent unresolved while the others arrive.
    emulator.set_faults(FaultPlan(rules=[Fault(operation="create", kind="slow", delay=0.5)]))
    submitted = await asyncio.gather(
        *(
            submit_once(REQUEST, key="k-1", client=client, ledger=ledger, claim_wait=30)
            for _ in range(4)
        )
    )
    assert emulator.stats()["creates_total"] == 1
    assert len({s.task_id for s in submitted}) == 1
    assert sorted(s.reused for s in submitted) == [False, True, True, True]


@pytest.mark.parametrize("refusal", ["400", "429", "503"])
async def test_after_a_refused_create_concurrent_runs_still_pay_once(
    refusal: str,
    client: RunwayClient,
    emulator: RunwayEmulator,
    any_ledger: SubmissionLedger,
) -> None:
    # Issue 16, item 1: the entry says `refused`; claiming it again used to be a plain write,
    # so every run arriving then sent the paid POST (4 concurrent submits: 4 creates).
    status = int(refusal)
    # A 429 or a 503 is retried (nothing was created): past the retries it is a refusal.
    times = 1 if status == 400 else 50
    emulator.set_faults(
        FaultPlan(rules=[Fault(operation="create", kind="status", status=status, times=times)])
    )
    with pytest.raises(Exception):
        await submit_once(REQUEST, key="k-1", client=client, ledger=any_ledger)
    refused = await any_ledger.read("k-1")
    assert refused is not None and refused.state == "refused"
    assert emulator.stats()["creates_total"] == 0
    emulator.set_faults(FaultPlan(rules=[Fault(operation="create", kind="slow", delay=0.5)]))
    submitted = await asyncio.gather(
        *(
            submit_once(REQUEST, key="k-1", client=client, ledger=any_ledger, claim_wait=30)
            for _ in range(4)
        )
    )
    assert emulator.stats()["creates_total"] == 1
    assert len({s.task_id for s in submitted}) == 1


async def test_a_claim_never_resolved_is_ambiguous_after_the_wait(
    client: RunwayClient, emulator: RunwayEmulator, ledger: SubmissionLedger
) -> None:
    await ledger.claim("k-1", model="gen4_turbo", run="elsewhere")
    with pytest.raises(AmbiguousSubmission, match="flow run elsewhere"):
        await submit_once(REQUEST, key="k-1", client=client, ledger=ledger, claim_wait=0)
    assert emulator.stats()["creates_total"] == 0


async def test_our_own_claim_whose_answer_was_lost_is_ours_not_another_runs(
    client: RunwayClient, emulator: RunwayEmulator, s3_bucket: S3Bucket
) -> None:
    # Issue 16, item 8: the intent write reaches S3, its answer is lost, botocore sends it
    # again and gets 412. Read as another run's claim, it was AmbiguousSubmission with 0
    # creates, on every later run too. Our bytes are unique: it is recognised as ours.
    ledger = SubmissionLedger(s3_bucket, "scenes/_runway")
    s3 = s3_bucket.credentials.get_s3_client()
    with LostAnswers(s3, "PutObject", lambda key: key.endswith("/ledger/k-1.json")) as lost:
        submitted = await submit_once(REQUEST, key="k-1", client=client, ledger=ledger)
    assert lost.lost == 1
    assert not submitted.reused and emulator.stats()["creates_total"] == 1
    entry = await ledger.read("k-1")
    assert entry is not None and entry.state == "submitted"
    assert entry.task_id == submitted.task_id


async def test_every_conditional_write_survives_a_lost_answer(s3_bucket: S3Bucket) -> None:
    # Claim, task id, attach, outcome: each write's answer lost once, each taken as ours.
    ledger = SubmissionLedger(s3_bucket, "_runway")
    s3 = s3_bucket.credentials.get_s3_client()
    with LostAnswers(s3, "PutObject", lambda key: "/ledger/" in key, times=4) as lost:
        claim = await ledger.claim("k-1", model="gen4_turbo", run="a")
        assert claim.won
        entry = await ledger.record_submitted(
            claim.entry, task_id="t1", estimated_credits=10, run="a"
        )
        assert entry.state == "submitted"
        attached = await ledger.attach("k-1", task_id="t1", run="b")
        assert attached is not None and set(attached.leases) == {"a", "b"}
        done = await ledger.record_outcome(
            "k-1", task_id="t1", state="succeeded", run="a", credits=10
        )
        assert done is not None and done.state == "succeeded"
    assert lost.lost == 4
    final = await ledger.read("k-1")
    assert final is not None and final.state == "succeeded" and set(final.leases) == {"b"}
    assert final.revision == 4


async def test_a_stale_write_loses_and_decides_again(any_ledger: SubmissionLedger) -> None:
    # Two runs attach at once: neither attachment is lost (each write is on the ETag it read).
    claim = await any_ledger.claim("k-1", model="gen4_turbo", run="a")
    await any_ledger.record_submitted(claim.entry, task_id="t1", estimated_credits=10, run="a")
    await asyncio.gather(*(any_ledger.attach("k-1", task_id="t1", run=f"r{i}") for i in range(6)))
    entry = await any_ledger.read("k-1")
    assert entry is not None and set(entry.leases) == {"a", *(f"r{i}" for i in range(6))}


async def test_a_cancel_deletes_only_when_nobody_else_waits(any_ledger: SubmissionLedger) -> None:
    claim = await any_ledger.claim("k-1", model="gen4_turbo", run="a")
    await any_ledger.record_submitted(claim.entry, task_id="t1", estimated_credits=10, run="a")
    await any_ledger.attach("k-1", task_id="t1", run="b")
    decision = await any_ledger.decide_cancel("k-1", task_id="t1", run="b")
    assert not decision.delete and decision.others == ("a",)  # b detaches, a still waits
    decision = await any_ledger.decide_cancel("k-1", task_id="t1", run="a")
    assert decision.delete and decision.entry is not None
    assert decision.entry.state == "cancelling"
    await any_ledger.record_cancelled("k-1", task_id="t1", deleted=True)
    entry = await any_ledger.read("k-1")
    assert entry is not None and entry.state == "cancelled" and entry.leases == {}


async def test_an_expired_lease_or_a_dead_run_does_not_block_a_delete(tmp_path: Path) -> None:
    now = [datetime.now(UTC)]
    ledger = SubmissionLedger(LocalFileSystem(basepath=str(tmp_path)), clock=lambda: now[0])
    claim = await ledger.claim("k-1", model="gen4_turbo", run="a")
    await ledger.record_submitted(
        claim.entry, task_id="t1", estimated_credits=10, run="a", lease_seconds=60
    )
    await ledger.attach("k-1", task_id="t1", run="crashed", lease_seconds=60)
    await ledger.attach("k-1", task_id="t1", run="dead", lease_seconds=600)
    now[0] += timedelta(seconds=61)  # "crashed" never renewed; "dead" did, but is finished
    decision = await ledger.decide_cancel("k-1", task_id="t1", run="a", dead=frozenset({"dead"}))
    assert decision.delete


async def test_a_cancel_whose_process_stopped_mid_way_is_finished_by_the_hook(
    client: RunwayClient, emulator: RunwayEmulator, any_ledger: SubmissionLedger
) -> None:
    # A run's wait decided the DELETE (entry `cancelling`), then the runner's SIGTERM stopped
    # its process: before the DELETE (the task still runs) or after it (the task is gone).
    # The hook, in the runner, finishes either: it DELETEs the task, or records the DELETE that
    # landed, so a re-run pays for the cancelled attempt instead of reporting it vanished.
    # The tasks run for an hour: one that ended first would rightly be left as is (it did,
    # at CI's load, with the suite's 0.3 s tasks).
    emulator.configure(run_seconds=3600)
    for deleted_before_stop in (False, True):
        key = f"k-{deleted_before_stop}"
        submitted = await submit_once(REQUEST, key=key, client=client, ledger=any_ledger, run="a")
        decision = await any_ledger.decide_cancel(key, task_id=submitted.task_id, run="a")
        assert decision.delete
        if deleted_before_stop:
            assert await client.delete_task(submitted.task_id)
        hook = Attachment(any_ledger, key, submitted.task_id, "a")
        cancelled = await cancel_unless_finished(client, submitted.task_id, hook)
        assert cancelled is not deleted_before_stop
        assert submitted.task_id in emulator.stats()["deleted_task_ids"]
        entry = await any_ledger.read(key)
        assert entry is not None and entry.state == "cancelled", entry


async def test_the_hook_records_nothing_for_a_task_deleted_elsewhere(
    client: RunwayClient, emulator: RunwayEmulator, any_ledger: SubmissionLedger
) -> None:
    # No cancellation decided this DELETE: a re-run must not read it as the user's.
    submitted = await submit_once(REQUEST, key="k-1", client=client, ledger=any_ledger, run="a")
    assert await client.delete_task(submitted.task_id)
    hook = Attachment(any_ledger, "k-1", submitted.task_id, "a")
    assert not await cancel_unless_finished(client, submitted.task_id, hook)
    entry = await any_ledger.read("k-1")
    assert entry is not None and entry.state == "submitted", entry


async def test_a_cancel_while_the_create_is_in_flight_records_the_task_for_the_hook(
    client: RunwayClient, emulator: RunwayEmulator, any_ledger: SubmissionLedger
) -> None:
    # A user's cancellation of a served batch reaches a row whose POST is sent and not yet
    # answered (a queued row submitted as a slot freed, say). Runway created, and billed, the
    # task: its id must reach the ledger with this run's lease, or the on_cancellation hook
    # cannot DELETE it (it ran on, paid) and every re-run stops on it as ambiguous.
    emulator.configure(run_seconds=3600)
    emulator.set_faults(FaultPlan(rules=[Fault(operation="create", kind="slow", delay=1.0)]))
    submit = asyncio.ensure_future(
        submit_once(REQUEST, key="k-1", client=client, ledger=any_ledger, run="a")
    )
    # Created, its answer held back.
    await asyncio.to_thread(wait_for, lambda: emulator.stats()["creates_total"], lambda n: n == 1)
    submit.cancel()
    with pytest.raises(asyncio.CancelledError):
        await submit
    (task_id,) = emulator.stats()["task_ids"]
    entry = await any_ledger.read("k-1")
    assert entry is not None and entry.task_id == task_id, entry
    assert entry.state == "submitted" and "a" in entry.leases
    # What the hook then does with it (tasks/cancellation.py): the paid task is DELETEd.
    hook = Attachment(any_ledger, "k-1", task_id, "a")
    assert await cancel_unless_finished(client, task_id, hook)
    assert emulator.stats()["deleted_task_ids"] == [task_id]


class _NotCancelled:
    async def is_cancelling(self, *, fresh: bool = False) -> bool:
        return False


async def test_a_queue_timeout_whose_task_starts_during_the_decision_waits_for_it(
    client: RunwayClient, emulator: RunwayEmulator, ledger: SubmissionLedger
) -> None:
    # The queue budget ran out; the wait decided the DELETE with the ledger, and in those round
    # trips Runway started the task. Not queued any more, it is not deleted: it must not be
    # abandoned either (paid, RUNNING, then SUCCEEDED with nobody to store it, the row failed
    # as a queue timeout). The wait goes on, attached again, and returns it.
    emulator.configure(max_concurrent={"gen4_turbo": 1}, run_seconds=3600)
    await client.create(REQUEST)  # someone else's task holds the one slot for an hour
    emulator.configure(run_seconds=0.2)  # ours runs briefly, once started
    submitted = await submit_once(REQUEST, key="k-1", client=client, ledger=ledger, run="a")

    class StartsMeanwhile(Attachment):
        async def may_delete(self) -> bool:
            decided = await super().may_delete()
            emulator.configure(max_concurrent={"gen4_turbo": 2})
            await asyncio.to_thread(
                wait_for, lambda: emulator.task(submitted.task_id)["status"],
                lambda status: status == "RUNNING",
            )  # fmt: skip
            return decided

    attachment = StartsMeanwhile(ledger, "k-1", submitted.task_id, "a")
    policy = WaitPolicy(poll_interval=0.05, max_queue_seconds=0.2)
    task = await wait_with_cancellation(
        client, submitted.task_id, policy, cancellation=_NotCancelled(), attachment=attachment
    )
    assert task.status.value == "SUCCEEDED"
    assert emulator.stats()["deletes"] == 0
    entry = await ledger.read("k-1")
    assert entry is not None and entry.state == "submitted" and "a" in entry.leases, entry


async def test_a_404_blip_as_the_queue_budget_runs_out_does_not_leave_the_task_queued(
    client: RunwayClient,
    emulator: RunwayEmulator,
    ledger: SubmissionLedger,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The read right before a queue timeout's DELETE answered 404 once (Runway's tasks answer
    # 404 for a while, DESIGN.md): the task is not known gone. Ending the wait there left it
    # queued, to run later, paid, with its row failed and nobody to store it. The wait goes
    # on and decides on the next reading: the task, still queued, is DELETEd.
    from prefect_runway.api import QueueTimeout
    from prefect_runway.api import waiting as waiting_module

    emulator.configure(max_concurrent={"gen4_turbo": 1}, run_seconds=3600)
    await client.create(REQUEST)  # someone else's task holds the one slot
    submitted = await submit_once(REQUEST, key="k-1", client=client, ledger=ledger, run="a")
    real = waiting_module._fresh_status
    blips = [None]

    async def blip_once(client: RunwayClient, task_id: str) -> Any:
        return blips.pop() if blips else await real(client, task_id)

    monkeypatch.setattr(waiting_module, "_fresh_status", blip_once)
    attachment = Attachment(ledger, "k-1", submitted.task_id, "a")
    policy = WaitPolicy(poll_interval=0.05, max_queue_seconds=0.2)
    with pytest.raises(QueueTimeout) as ended:
        await wait_with_cancellation(
            client, submitted.task_id, policy, cancellation=_NotCancelled(), attachment=attachment
        )
    assert blips == [] and ended.value.deleted
    assert emulator.stats()["deleted_task_ids"] == [submitted.task_id]
    entry = await ledger.read("k-1")
    assert entry is not None and entry.state == "cancelled", entry


@pytest.mark.parametrize("age", [5.0, 130.0], ids=["fresh", "past-the-window"])
async def test_a_cancel_right_after_a_create_reads_a_not_yet_visible_task_again(
    client: RunwayClient, emulator: RunwayEmulator, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, age: float,
) -> None:  # fmt: skip
    # A proxy answers 404 (``task_not_exist``) for a few seconds after a create. A user's
    # cancel in that moment must not take the 404 for "gone": the task would run on, paid.
    # Past the visibility window a 404 is final (nothing read again, nothing deleted).
    from prefect_runway.tasks import wait as wait_module

    monkeypatch.setattr(wait_module, "_VISIBLE_RETRY_DELAYS", (0.05, 0.05, 0.05))
    emulator.configure(run_seconds=3600)
    ledger = SubmissionLedger(LocalFileSystem(basepath=str(tmp_path / "ledger")))
    submitted = await submit_once(REQUEST, key="k-1", client=client, ledger=ledger, run="a")
    entry = await ledger.read("k-1")
    assert entry is not None and entry.created_at is not None
    later = SubmissionLedger(
        LocalFileSystem(basepath=str(tmp_path / "ledger")),
        clock=lambda: entry.created_at + timedelta(seconds=age),  # type: ignore[operator]
    )
    emulator.set_faults(FaultPlan(rules=[Fault(operation="poll", kind="not_found", times=2)]))
    attachment = Attachment(later, "k-1", submitted.task_id, "a", created_at=entry.created_at)
    cancelled = await cancel_unless_finished(client, submitted.task_id, attachment)
    stats = emulator.stats()
    if age < 120:
        assert cancelled and stats["deleted_task_ids"] == [submitted.task_id]
    else:
        assert not cancelled and stats["deletes"] == 0
