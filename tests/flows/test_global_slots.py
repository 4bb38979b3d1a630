"""``GlobalSlots``: a Prefect global concurrency limit shared by runs, O(1) calls per slot change.

The model test plays two runs (two workers) sharing one limit on an in-memory copy of Prefect's
lease endpoints (``tests/flows/lease_server.py``): generations of random lengths, failures,
cancellations while waiting or holding, a run cancelled while it acquires, faults on the calls
(refused before acting, answer lost after acting, 503) and random latencies. The books of that
server are checked against what the generations saw. Two tests then run against the real
Prefect server of the harness and read its active slots after.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from prefect_runway.flows.global_slots import GlobalLimitUnavailable, GlobalSlots
from tests.flows.lease_server import LeaseServer

NAME = "runway-gen4_turbo"


@dataclass
class Generation:
    turns: int  # event-loop turns it holds its slot (its submit, wait and store)
    fate: str  # "ok", "fail" (raises while holding) or "cancel" (cancelled at some point)
    cancel_after: int = 0  # turns after its start at which a "cancel" is cancelled


@dataclass
class Run:
    local: int  # the run's own bound (per_model + queue_ahead)
    generations: list[Generation]
    cancel_after: int | None  # turns after the start at which the whole run is cancelled
    keep_idle: float


@dataclass
class Outcomes:
    worked: int = 0
    failed: int = 0
    unavailable: int = 0
    cancelled: int = 0
    slot_calls: int = 0


class Failure(Exception):
    """A generation's own failure (a refused create, a failed task)."""


generations = st.builds(
    Generation,
    turns=st.integers(0, 6),
    fate=st.sampled_from(["ok", "ok", "ok", "fail", "cancel"]),
    cancel_after=st.integers(0, 12),
)
runs = st.builds(
    Run,
    local=st.integers(1, 5),
    generations=st.lists(generations, min_size=1, max_size=12),
    cancel_after=st.none() | st.integers(0, 40),
    keep_idle=st.sampled_from([0.0, 0.002, 60.0]),
)


@dataclass
class Books:
    """What the generations saw, across both runs."""

    in_work: int = 0
    most_in_work: int = 0
    violations: list[str] = field(default_factory=list)
    runs_in_work: dict[str, int] = field(default_factory=dict)


async def _turns(n: int) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def _play(server: LeaseServer, plans: dict[str, Run], books: Books) -> dict[str, Any]:
    """Both runs at once, each as ``run_planned`` holds it: one ``GlobalSlots`` per run."""
    outcomes = {name: Outcomes() for name in plans}
    pools: dict[str, GlobalSlots] = {}

    async def generation(run: str, pool: GlobalSlots, local: asyncio.Semaphore,
                         plan: Generation) -> None:  # fmt: skip
        out = outcomes[run]
        async with local:
            out.slot_calls += 1
            try:
                async with pool.slot():
                    # The POST happens here: with a slot the server holds for this run.
                    books.in_work += 1
                    books.runs_in_work[run] = books.runs_in_work.get(run, 0) + 1
                    try:
                        books.most_in_work = max(books.most_in_work, books.in_work)
                        if books.in_work > server.limit:
                            books.violations.append(f"{books.in_work} in work > the limit")
                        if books.runs_in_work[run] > len(pool._busy):
                            books.violations.append(f"{run}: in work without a slot")
                        if not pool._busy <= set(server.leases):
                            books.violations.append(f"{run}: a slot the server does not hold")
                        await _turns(plan.turns)
                        if plan.fate == "fail":
                            raise Failure
                        out.worked += 1
                    finally:
                        books.in_work -= 1
                        books.runs_in_work[run] -= 1
            except GlobalLimitUnavailable:
                out.unavailable += 1
            except Failure:
                out.failed += 1

    async def cancel_later(task: asyncio.Task[None], turns: int) -> None:
        await _turns(turns)
        task.cancel()

    async def run(name: str, plan: Run) -> None:
        async with GlobalSlots(NAME, keep_idle=plan.keep_idle,
                               client=server.client(name)) as pool:  # fmt: skip
            pools[name] = pool
            local = asyncio.Semaphore(plan.local)
            tasks = [asyncio.ensure_future(generation(name, pool, local, g))
                     for g in plan.generations]  # fmt: skip
            cancellers = [asyncio.ensure_future(cancel_later(task, g.cancel_after))
                          for task, g in zip(tasks, plan.generations, strict=True)
                          if g.fate == "cancel"]  # fmt: skip
            try:
                results = await asyncio.gather(*tasks, return_exceptions=True)
            finally:
                for canceller in cancellers:
                    canceller.cancel()
            outcomes[name].cancelled += sum(isinstance(r, asyncio.CancelledError) for r in results)

    tasks = {name: asyncio.ensure_future(run(name, plan)) for name, plan in plans.items()}
    run_cancellers = [asyncio.ensure_future(cancel_later(tasks[name], plan.cancel_after))
                      for name, plan in plans.items() if plan.cancel_after is not None]  # fmt: skip
    # A guard against a deadlock, not a timing: the plans take a few hundred loop turns.
    done = await asyncio.wait_for(asyncio.gather(*tasks.values(), return_exceptions=True), 20)
    for canceller in run_cancellers:
        canceller.cancel()
    return {"outcomes": outcomes, "pools": pools, "done": done}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    limit=st.integers(1, 4),
    first=runs,
    second=runs,
    faults=st.lists(st.sampled_from([None] * 8 + ["before", "lost", "5xx"]), max_size=40),
    latency=st.lists(st.integers(0, 3), min_size=1, max_size=20),
)
# Found by this model: a run cancelled while it gave its slots back (anyio's shielded scope does
# not stop a plain Task.cancel()) left its idle slot held, and the other run waited for it.
@example(
    limit=1,
    first=Run(local=4, generations=[Generation(0, "ok")], cancel_after=None, keep_idle=0.0),
    second=Run(
        local=5,
        generations=[Generation(0, "fail", 2), Generation(5, "ok", 9), Generation(6, "fail", 10),
                     Generation(4, "fail", 7)],
        cancel_after=32,
        keep_idle=60.0,
    ),
    faults=[None, None],
    latency=[2, 1, 1, 3, 3, 0, 3, 0],
)  # fmt: skip
def test_two_runs_sharing_a_limit_model(
    limit: int, first: Run, second: Run, faults: list[str | None], latency: list[int]
) -> None:
    plan = iter(faults)
    delays = iter(latency * 1000)
    server = LeaseServer(limit=limit)
    server.faults = lambda endpoint: next(plan, None) if endpoint != "renew" else None
    server.latency = lambda endpoint: next(delays, 0)
    books = Books()
    played = asyncio.run(_play(server, {"first": first, "second": second}, books))

    # Never more slots in use than the limit, across both runs; no POST without a slot.
    assert books.violations == []
    assert books.most_in_work <= limit
    assert server.most_active <= limit
    # Every slot given back, however the run ended (cancelled while acquiring included); only
    # a grant whose answer was lost, or a release that never reached the server, is left to
    # its lease's expiry.
    assert set(server.leases) <= server.stranded
    assert server.expired <= server.stranded
    for pool in played["pools"].values():
        assert pool.held == 0 and not pool._releases
        assert pool._acquirer is None or pool._acquirer.done()
        # O(1): one acquisition in flight per run, however many generations waited.
        assert pool.counts.most_in_flight <= 1
    # No deadlock or starvation: each run ended; a run not cancelled ran every generation to
    # its planned end (a failure to reach the Prefect API fails one generation, not more).
    increment_faults = sum(
        count for (endpoint, outcome), count in server.calls.items()
        if endpoint == "increment" and outcome in ("lost", "5xx")
    ) + sum(1 for f in faults if f == "before")  # fmt: skip
    for name, run in (("first", first), ("second", second)):
        out = played["outcomes"][name]
        pool = played["pools"][name]
        assert out.unavailable <= pool.counts.failed <= increment_faults
        if run.cancel_after is None:
            planned_ok = sum(g.fate == "ok" for g in run.generations)
            planned_fail = sum(g.fate == "fail" for g in run.generations)
            cancels = sum(g.fate == "cancel" for g in run.generations)
            assert out.worked + out.failed + out.unavailable + out.cancelled == len(run.generations)
            assert out.cancelled <= cancels
            assert out.worked + out.unavailable + out.cancelled >= planned_ok
            assert out.failed <= planned_fail
        # Each slot granted served a generation that asked for one (or one that asked and
        # was cancelled meanwhile): never a grant per waiting generation per attempt.
        assert pool.counts.granted <= out.slot_calls


async def test_many_generations_cost_a_grant_per_slot_not_per_generation() -> None:
    """50 generations of one run through a limit of 4: 4 grants, 46 hand-overs, 4 releases.

    Prefect's ``concurrency()`` per generation makes 50 grants and 50 releases here (and a
    lease-renewal thread each). The server's Retry-After is long, so the counts do not depend
    on timing: while the run holds all 4 slots, its one refused attempt waits.
    """
    server = LeaseServer(limit=4, retry_after=3600)
    view = server.client("only")
    held: list[int] = []
    async with GlobalSlots(NAME, keep_idle=3600, client=view) as pool:

        async def generation(seed: int) -> None:
            async with pool.slot():
                held.append(server.active)
                await _turns(seed % 5)

        await asyncio.gather(*(generation(seed) for seed in range(50)))
        assert pool.counts.granted == 4
        assert pool.counts.denied <= 1
        assert pool.counts.handed_on == 46
        assert server.active == 4  # kept for the run's next generations until it ends
    assert server.active == 0
    assert pool.counts.released == 4
    assert pool.counts.acquisition_calls <= 5
    assert view.most_in_flight == 1
    assert max(held) <= 4


async def test_a_waiting_generation_cancelled_passes_the_slot_on() -> None:
    server = LeaseServer(limit=1, retry_after=3600)
    async with GlobalSlots(NAME, keep_idle=0, client=server.client("only")) as pool:
        release = asyncio.Event()
        entered = asyncio.Event()

        async def holder() -> None:
            async with pool.slot():
                entered.set()
                await release.wait()

        first = asyncio.ensure_future(holder())
        await entered.wait()
        waiting = [asyncio.ensure_future(holder()) for _ in range(3)]
        await _turns(3)
        for each in waiting[:2]:
            each.cancel()
        release.set()
        await asyncio.gather(first, *waiting, return_exceptions=True)
        assert [w.cancelled() for w in waiting] == [True, True, False]
        assert waiting[2].exception() is None  # the survivor ran, on the slot handed on
        assert pool.counts.granted == 1 and pool.counts.handed_on == 1
    assert server.active == 0


async def test_a_grant_arriving_as_the_run_ends_is_given_back() -> None:
    """The run ends while its acquisition is in flight: the answer is read, the slot freed."""
    server = LeaseServer(limit=1)
    server.latency = lambda endpoint: 20 if endpoint == "increment" else 0
    pool = GlobalSlots(NAME, keep_idle=60, client=server.client("only"))
    async with pool:
        waiter = asyncio.ensure_future(pool.slot().__aenter__())
        await _turns(5)  # its POST is in flight
        waiter.cancel()
    assert pool.counts.granted == 1
    assert server.active == 0


async def test_a_deleted_limit_lets_generations_run_unlimited() -> None:
    server = LeaseServer(limit=1, deleted=True)
    async with GlobalSlots(NAME, client=server.client("only")) as pool:
        ran = 0

        async def generation() -> None:
            nonlocal ran
            async with pool.slot():
                ran += 1

        await asyncio.gather(*(generation() for _ in range(5)))
    assert ran == 5 and server.active == 0


# --- against the real Prefect server ---------------------------------------------------------


async def _active_slots(name: str) -> int:
    from prefect.client.orchestration import get_client

    async with get_client() as prefect:
        return (await prefect.read_global_concurrency_limit_by_name(name)).active_slots


@pytest.mark.parametrize("limit", [1, 3])
async def test_two_runs_on_the_prefect_server_give_every_slot_back(
    prefect_harness: str, limit: int
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

    name = f"runway-test-{uuid.uuid4().hex[:8]}"
    async with get_client() as prefect:
        await prefect.create_global_concurrency_limit(
            GlobalConcurrencyLimitCreate(name=name, limit=limit)
        )
    rng = random.Random(limit)
    in_work = 0
    most = 0
    worked = 0

    async def generation(pool: GlobalSlots, local: asyncio.Semaphore) -> None:
        nonlocal in_work, most, worked
        async with local, pool.slot():
            in_work += 1
            most = max(most, in_work)
            await asyncio.sleep(rng.uniform(0, 0.05))  # a generation's work, of some length
            in_work -= 1
            worked += 1

    try:
        async with GlobalSlots(name) as first, GlobalSlots(name) as second:
            local = {id(first): asyncio.Semaphore(4), id(second): asyncio.Semaphore(4)}
            rows = [asyncio.ensure_future(generation(pool, local[id(pool)]))
                    for _ in range(10) for pool in (first, second)]  # fmt: skip
            # Two of the second run's generations are cancelled while they wait for a slot.
            await asyncio.sleep(0)
            for row in rows[-4::2]:
                row.cancel()
            await asyncio.gather(*rows, return_exceptions=True)
            assert worked == 18
            assert most <= limit
            grants = first.counts.granted + second.counts.granted
            assert grants < 18, (first.counts, second.counts)  # slots were handed on
            assert first.counts.most_in_flight <= 1 and second.counts.most_in_flight <= 1
        # Given back as the runs ended: read at once, no wait for a lease to expire.
        assert await _active_slots(name) == 0
    finally:
        async with get_client() as prefect:
            await prefect.delete_global_concurrency_limit_by_name(name)


async def test_a_run_cancelled_while_acquiring_on_the_prefect_server_leaves_no_slot(
    prefect_harness: str,
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

    name = f"runway-test-{uuid.uuid4().hex[:8]}"
    async with get_client() as prefect:
        await prefect.create_global_concurrency_limit(
            GlobalConcurrencyLimitCreate(name=name, limit=1)
        )
    try:
        async with GlobalSlots(name) as holder_run:
            async with holder_run.slot():  # another run holds the only slot
                waiting_run = GlobalSlots(name)

                async def run() -> None:
                    async with waiting_run:
                        await asyncio.gather(*(_hold(waiting_run) for _ in range(3)))

                task = asyncio.ensure_future(run())
                # Until it polls the full limit (a counter of the object under test: no event
                # to wait on).
                while waiting_run.counts.denied == 0:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                assert waiting_run.held == 0
                assert await _active_slots(name) == 1  # the holder's own, nothing more
        assert await _active_slots(name) == 0
        assert waiting_run.counts.most_in_flight == 1
    finally:
        async with get_client() as prefect:
            await prefect.delete_global_concurrency_limit_by_name(name)


async def _hold(pool: GlobalSlots) -> None:
    async with pool.slot():
        await asyncio.sleep(0.01)
