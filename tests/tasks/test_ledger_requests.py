"""The ledger's S3 requests (issue 20): no GET where the answer is known, and never a decision
taken on a memory that went stale.

A ledger object remembers what it last wrote at each path with the ETag S3 answered, and
starts its next change of that path from it; a claim starts from "absent". Both are safe only
because every write is conditional and a decision *not* to write is taken on a fresh read:
these tests make other runs (other ledger objects, as other processes would be) change the
entry behind the memory, and check each decision against what S3 holds.
"""

from __future__ import annotations

import asyncio
import collections
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prefect.filesystems import LocalFileSystem
from prefect_aws import S3Bucket

from prefect_runway.tasks.ledger import LedgerEntry, NameHolder, SubmissionLedger
from prefect_runway.tasks.wait import Attachment


@contextmanager
def counted(bucket: S3Bucket) -> Iterator[collections.Counter[str]]:
    """Count the S3 operations of the block's (cached, shared) client."""
    client = bucket.credentials.get_s3_client()
    counts: collections.Counter[str] = collections.Counter()

    def count(model: Any, **_: Any) -> None:
        counts[model.name] += 1

    client.meta.events.register("before-call.s3", count)
    try:
        yield counts
    finally:
        client.meta.events.unregister("before-call.s3", count)


def same(one: LedgerEntry, other: LedgerEntry) -> bool:
    """Equal but for the write's own stamp (a transition answers the entry it decided)."""
    stamp = {"revision", "write_id"}
    return one.model_dump(exclude=stamp) == other.model_dump(exclude=stamp)


async def test_a_new_attempt_costs_one_put_per_transition_and_no_get(
    s3_bucket: S3Bucket,
) -> None:
    ledger = SubmissionLedger(s3_bucket, "scenes/_runway")
    with counted(s3_bucket) as requests:
        claim = await ledger.claim("k-1", model="gen4_turbo", run="a")
        assert claim.won
        await ledger.record_submitted(claim.entry, task_id="t1", estimated_credits=10, run="a")
        for _ in range(5):  # a wait's polls: the lease is fresh, nothing to write or read
            await ledger.attach("k-1", task_id="t1", run="a", renewal=True)
        done = await ledger.record_outcome(
            "k-1", task_id="t1", state="succeeded", run="a", credits=10
        )
    assert done is not None and done.state == "succeeded"
    assert requests == {"PutObject": 3}
    # What S3 holds is what the memory said: another object (another run) reads it.
    final = await SubmissionLedger(s3_bucket, "scenes/_runway").read("k-1")
    assert final is not None and same(final, done) and final.revision == 3


async def test_a_claim_over_an_entry_loses_on_412_and_decides_on_what_is_there(
    s3_bucket: S3Bucket,
) -> None:
    # Eight runs claim one attempt at once, each from "absent": exactly one intent is written.
    ledgers = [SubmissionLedger(s3_bucket, "_runway") for _ in range(8)]
    claims = await asyncio.gather(
        *(ledger.claim("k-1", model="gen4_turbo", run=f"r{i}") for i, ledger in enumerate(ledgers))
    )
    winners = [claim for claim in claims if claim.won]
    assert len(winners) == 1
    held = await SubmissionLedger(s3_bucket, "_runway").read("k-1")
    assert held is not None and held.claim_id == winners[0].entry.claim_id
    assert all(claim.entry.claim_id == held.claim_id for claim in claims)


async def test_a_change_behind_the_memory_is_kept(s3_bucket: S3Bucket) -> None:
    # Run a submits; run b attaches (another process: the memory of a is now stale); a's
    # outcome starts from its memory, loses on the ETag, and keeps b's lease.
    a, b = SubmissionLedger(s3_bucket, "_runway"), SubmissionLedger(s3_bucket, "_runway")
    claim = await a.claim("k-1", model="gen4_turbo", run="a")
    await a.record_submitted(claim.entry, task_id="t1", estimated_credits=10, run="a")
    attached = await b.attach("k-1", task_id="t1", run="b")
    assert attached is not None and set(attached.leases) == {"a", "b"}
    done = await a.record_outcome("k-1", task_id="t1", state="succeeded", run="a", credits=10)
    assert done is not None and done.state == "succeeded" and set(done.leases) == {"b"}
    final = await b.read("k-1")
    assert final is not None and same(final, done)


async def test_a_decision_not_to_write_is_never_taken_on_memory(s3_bucket: S3Bucket) -> None:
    # a's memory says it holds a fresh lease on a submitted task; meanwhile run b found a dead
    # and marked the task cancelling (its DELETE on the way). a attaching again must see that
    # (and settle down), not the submitted entry of its memory.
    a, b = SubmissionLedger(s3_bucket, "_runway"), SubmissionLedger(s3_bucket, "_runway")
    claim = await a.claim("k-1", model="gen4_turbo", run="a")
    await a.record_submitted(claim.entry, task_id="t1", estimated_credits=10, run="a")
    await b.attach("k-1", task_id="t1", run="b")
    decision = await b.decide_cancel("k-1", task_id="t1", run="b", dead=frozenset({"a"}))
    assert decision.delete
    seen = await a.attach("k-1", task_id="t1", run="a")
    assert seen is not None and seen.state == "cancelling"
    # A renewal that finds its lease still fresh in memory writes nothing, and the entry
    # stays as b left it: renewing never revives what another run is cancelling.
    await a.attach("k-1", task_id="t1", run="a", renewal=True)
    still = await b.read("k-1")
    assert still is not None and still.state == "cancelling"


async def test_a_name_is_claimed_create_only_and_refused_only_on_a_fresh_read(
    s3_bucket: S3Bucket,
) -> None:
    a, b = SubmissionLedger(s3_bucket, "_runway"), SubmissionLedger(s3_bucket, "_runway")

    async def never(_holder: NameHolder) -> bool:
        return False

    with counted(s3_bucket) as requests:
        mine = await a.claim_name("intro", name="intro", key="k", replaceable=never)
    assert mine.key == "k" and requests == {"PutObject": 1}
    # Another generation asks for the name: its create loses, it reads, and is refused.
    held = await b.claim_name("intro", name="intro", key="other", replaceable=never)
    assert held.key == "k"
    # Renewing our own claim replaces it on the ETag we wrote: one PUT, no GET.
    with counted(s3_bucket) as requests:
        again = await a.claim_name("intro", name="intro", key="k", replaceable=never)
    assert again.key == "k" and requests == {"PutObject": 1}
    holder = await a.name_holder("intro")
    assert holder is not None and holder.write_id == again.write_id


async def test_a_waits_renewals_ask_the_ledger_only_once_half_the_lease_is_gone(
    s3_bucket: S3Bucket,
) -> None:
    # Attachment.renew runs before every poll (400 a second for 2,000 waits): until the
    # ledger would rewrite the lease (half of it gone), it answers from what it last saw,
    # without calling the ledger; from then on it renews, and the lease never lapses.
    now = [datetime.now(UTC)]
    ledger = SubmissionLedger(s3_bucket, "_runway", clock=lambda: now[0])
    other = SubmissionLedger(s3_bucket, "_runway")
    claim = await ledger.claim("k-1", model="gen4_turbo", run="a")
    await ledger.record_submitted(
        claim.entry, task_id="t1", estimated_credits=10, run="a", lease_seconds=600
    )
    calls = 0
    attach = ledger.attach

    async def counted_attach(*args: Any, **kwargs: Any) -> LedgerEntry | None:
        nonlocal calls
        calls += 1
        return await attach(*args, **kwargs)

    ledger.attach = counted_attach  # type: ignore[method-assign]
    hook = Attachment(ledger, "k-1", "t1", "a", lease_seconds=600, alive=None)
    with counted(s3_bucket) as requests:
        for _ in range(5):
            await hook.renew()
        assert calls == 1 and requests == {}  # the first asks; the lease is fresh: no request
        now[0] += timedelta(seconds=299)
        await hook.renew()
        assert calls == 1 and requests == {}
        now[0] += timedelta(seconds=2)  # 301 s: half the lease is gone
        await hook.renew()
        assert calls == 2 and requests == {"PutObject": 1}
        await hook.renew()
        assert calls == 2
    entry = await other.read("k-1")
    assert entry is not None and entry.leases["a"] == now[0] + timedelta(seconds=600)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(st.floats(min_value=0, max_value=299), min_size=1, max_size=30))
def test_a_renewed_lease_never_lapses_while_the_wait_polls(steps: list[float]) -> None:
    # Polls at any intervals shorter than half the lease: after each renewal, what the ledger
    # holds (read by another object, as another run would) still has half a lease to go.
    async def scenario(folder: str) -> None:
        now = [datetime.now(UTC)]
        storage = LocalFileSystem(basepath=folder)
        ledger = SubmissionLedger(storage, clock=lambda: now[0])
        other = SubmissionLedger(storage)
        claim = await ledger.claim("k-1", model="gen4_turbo", run="a")
        await ledger.record_submitted(
            claim.entry, task_id="t1", estimated_credits=10, run="a", lease_seconds=600
        )
        hook = Attachment(ledger, "k-1", "t1", "a", lease_seconds=600, alive=None)
        for step in steps:
            now[0] += timedelta(seconds=step)
            await hook.renew()
            entry = await other.read("k-1")
            assert entry is not None
            assert entry.leases["a"] - now[0] >= timedelta(seconds=300), (step, entry.leases)

    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(scenario(folder))


async def test_a_ledger_looks_its_s3_client_up_once(s3_bucket: S3Bucket, monkeypatch: Any) -> None:
    # Each lookup hashes the credentials block for prefect-aws's client cache (issue 20: about
    # 0.05 ms of the flow's CPU each); a generation's ledger writes four times.
    import prefect_runway.tasks.ledger as ledger_module

    lookups: list[object] = []
    lookup = ledger_module.s3_client

    def counted_lookup(bucket: Any) -> Any:
        lookups.append(bucket)
        return lookup(bucket)

    monkeypatch.setattr(ledger_module, "s3_client", counted_lookup)
    ledger = SubmissionLedger(s3_bucket, "scenes/_runway")
    claim = await ledger.claim("k-1", model="gen4_turbo", run="a")
    await ledger.record_submitted(claim.entry, task_id="t1", estimated_credits=10, run="a")
    await ledger.record_outcome("k-1", task_id="t1", state="succeeded", run="a", credits=10)
    assert (await ledger.read("k-1")) is not None
    assert lookups == [s3_bucket]
