"""``SharedSlots``: a global concurrency limit held across runs, one acquisition per slot.

Two ``SharedSlots`` on one limit play two runs (two workers) sharing it; the limit's holders
are counted as they hold, and the server's own count is read after.
"""

from __future__ import annotations

import asyncio
import random
import uuid

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

from prefect_runway.flows.global_slots import SharedSlots
from tests.testing.emulator.support import wait_for


async def _active_slots(name: str) -> int:
    async with get_client() as prefect:
        return (await prefect.read_global_concurrency_limit_by_name(name)).active_slots


async def _all_given_back(name: str) -> None:
    """Wait until the limit shows no slot held. A holder cancelled while still acquiring (its
    generation was served by a slot handed on) is released by Prefect's own service when the
    server grants it, a moment later."""
    await asyncio.to_thread(
        wait_for, lambda: asyncio.run(_active_slots(name)), lambda n: n == 0, timeout=60
    )


@pytest.mark.parametrize("limit", [1, 3])
async def test_two_runs_sharing_a_limit_never_exceed_it_and_acquire_per_slot(
    prefect_harness: str, limit: int
) -> None:
    name = f"runway-test-{uuid.uuid4().hex[:8]}"
    async with get_client() as prefect:
        await prefect.create_global_concurrency_limit(
            GlobalConcurrencyLimitCreate(name=name, limit=limit)
        )
    holding = 0
    most = 0
    used = 0
    rng = random.Random(limit)

    async def generation(slots: SharedSlots, local: asyncio.Semaphore) -> None:
        nonlocal holding, most, used
        async with local, slots.slot():
            holding += 1
            most = max(most, holding)
            await asyncio.sleep(rng.uniform(0, 0.03))  # a generation's work, of some length
            holding -= 1
            used += 1

    per_run = 12
    try:
        async with SharedSlots(name) as first, SharedSlots(name) as second:
            runs = [(first, asyncio.Semaphore(4)), (second, asyncio.Semaphore(4))]
            await asyncio.gather(
                *(generation(slots, local) for slots, local in runs for _ in range(per_run))
            )
            assert used == 2 * per_run
            assert most <= limit  # across both runs, never more than the limit
            # Slots change hands inside a run without a Prefect call: far fewer acquisitions
            # than generations (each run holds at most min(limit, 4) at once).
            acquisitions = first.acquisitions + second.acquisitions
            assert acquisitions < 2 * per_run, (first.acquisitions, second.acquisitions)
            assert first.handoffs + second.handoffs > 0
        await _all_given_back(name)  # every slot given back
    finally:
        async with get_client() as prefect:
            await prefect.delete_global_concurrency_limit_by_name(name)


async def test_a_generation_cancelled_while_waiting_leaks_no_slot(prefect_harness: str) -> None:
    name = f"runway-test-{uuid.uuid4().hex[:8]}"
    async with get_client() as prefect:
        await prefect.create_global_concurrency_limit(
            GlobalConcurrencyLimitCreate(name=name, limit=1)
        )
    release = asyncio.Event()
    entered = asyncio.Event()

    async def holder(slots: SharedSlots) -> None:
        async with slots.slot():
            entered.set()
            await release.wait()

    try:
        async with SharedSlots(name) as slots:
            first = asyncio.ensure_future(holder(slots))
            await entered.wait()
            waiting = [asyncio.ensure_future(holder(slots)) for _ in range(3)]
            await asyncio.sleep(0)  # they are queued behind the one slot
            for each in waiting[:2]:
                each.cancel()
            release.set()
            await asyncio.gather(first, *waiting, return_exceptions=True)
            assert [w.cancelled() for w in waiting] == [True, True, False]
            assert waiting[2].done() and waiting[2].exception() is None  # the survivor ran
        await _all_given_back(name)
    finally:
        async with get_client() as prefect:
            await prefect.delete_global_concurrency_limit_by_name(name)
