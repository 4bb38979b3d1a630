"""The ledger and the submit protocol: at most one POST per attempt key, whatever happens."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from prefect.filesystems import LocalFileSystem
from prefect_aws import S3Bucket

from prefect_runway.api import AmbiguousSubmission, Gen4TurboImageToVideo, RunwayClient
from prefect_runway.tasks.ledger import SubmissionLedger
from prefect_runway.tasks.submit import submit_once
from prefect_runway.testing.emulator import Fault, FaultPlan, RunwayEmulator
from tests.media_samples import png_data_uri

REQUEST = Gen4TurboImageToVideo(prompt_image=png_data_uri(), ratio="960:960", duration=2)


@pytest.fixture
def ledger(tmp_path: Path) -> SubmissionLedger:
    return SubmissionLedger(LocalFileSystem(basepath=str(tmp_path / "ledger")))


async def test_absent_entry_reads_none(ledger: SubmissionLedger) -> None:
    assert await ledger.read("nothing-1") is None


async def test_unreadable_entry_is_an_error_not_absence(tmp_path: Path) -> None:
    # An entry that exists but cannot be read must never count as "nothing was sent".
    (tmp_path / "_runway" / "ledger" / "k-1.json").mkdir(parents=True)
    ledger = SubmissionLedger(LocalFileSystem(basepath=str(tmp_path)))
    with pytest.raises(ValueError, match="is not a file"):
        await ledger.read("k-1")


async def test_submits_once_then_reattaches(
    client: RunwayClient, emulator: RunwayEmulator, ledger: SubmissionLedger
) -> None:
    first = await submit_once(REQUEST, key="k-1", client=client, ledger=ledger)
    again = await submit_once(REQUEST, key="k-1", client=client, ledger=ledger)
    assert again.task_id == first.task_id and again.reused and not first.reused
    assert emulator.stats()["creates_total"] == 1
    entry = await ledger.read("k-1")
    assert entry is not None and entry.state == "submitted" and entry.task_id == first.task_id
    assert entry.estimated_credits == 10


async def test_ambiguous_create_leaves_an_intent_that_blocks_resubmits(
    client: RunwayClient, emulator: RunwayEmulator, ledger: SubmissionLedger
) -> None:
    emulator.set_faults(FaultPlan(rules=[Fault(operation="create", kind="reset_after")]))
    with pytest.raises(AmbiguousSubmission):
        await submit_once(REQUEST, key="k-1", client=client, ledger=ledger)
    entry = await ledger.read("k-1")
    assert entry is not None and entry.state == "intent" and entry.task_id is None
    with pytest.raises(AmbiguousSubmission, match="recorded its intent but never its task id"):
        await submit_once(REQUEST, key="k-1", client=client, ledger=ledger)
    assert emulator.stats()["creates_total"] == 1  # the ambiguous one, and nothing more
    resubmitted = await submit_once(
        REQUEST, key="k-1", client=client, ledger=ledger, allow_resubmit=True
    )
    assert emulator.stats()["creates_total"] == 2  # the user's explicit say
    assert (await ledger.read("k-1")).task_id == resubmitted.task_id  # type: ignore[union-attr]


async def test_the_intent_is_claimed_once(ledger: SubmissionLedger) -> None:
    first = await ledger.claim_intent("k-1", model="gen4_turbo", flow_run_id=None)
    second = await ledger.claim_intent("k-1", model="gen4_turbo", flow_run_id=None)
    assert first is not None and second is None


async def test_the_intent_is_claimed_once_in_s3(s3_bucket: S3Bucket) -> None:
    ledger = SubmissionLedger(s3_bucket, "scenes/_runway")
    first = await ledger.claim_intent("k-1", model="gen4_turbo", flow_run_id="a")
    second = await ledger.claim_intent("k-1", model="gen4_turbo", flow_run_id="b")
    assert first is not None and second is None
    entry = await ledger.read("k-1")
    assert entry is not None and entry.flow_run_id == "a"  # the loser did not overwrite it


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


async def test_a_claim_never_resolved_is_ambiguous_after_the_wait(
    client: RunwayClient, emulator: RunwayEmulator, ledger: SubmissionLedger
) -> None:
    await ledger.claim_intent("k-1", model="gen4_turbo", flow_run_id="elsewhere")
    with pytest.raises(AmbiguousSubmission, match="flow run elsewhere"):
        await submit_once(REQUEST, key="k-1", client=client, ledger=ledger, claim_wait=0)
    assert emulator.stats()["creates_total"] == 0
