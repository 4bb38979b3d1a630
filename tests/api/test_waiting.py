"""wait_for_task against the emulator: budgets, 404 blips, and the DELETE policy."""

from __future__ import annotations

import asyncio
import itertools
import logging
from datetime import UTC, datetime, timedelta

import pytest

from prefect_runway.api import (
    NOT_FOUND_WINDOW_SECONDS,
    Gen4TurboImageToVideo,
    QueueTimeout,
    RunTimeout,
    RunwayClient,
    Task,
    TaskStatus,
    TaskVanished,
    WaitCancelled,
    WaitPolicy,
    wait_for_task,
)
from prefect_runway.testing.emulator import EmulatorConfig, Fault, FaultPlan, RunwayEmulator
from tests.conftest import FAST_RETRY
from tests.media_samples import png_data_uri
from tests.testing.emulator.support import wait_for

FAST = WaitPolicy(poll_interval=0.02, jitter=0.1)
REQUEST = Gen4TurboImageToVideo(prompt_image=png_data_uri(), ratio="960:960", duration=2)


async def test_waits_through_statuses_and_reports_changes(
    client: RunwayClient, emulator: RunwayEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    created = await client.create(REQUEST)
    seen: list[Task] = []

    async def on_update(task: Task) -> None:
        seen.append(task)

    with caplog.at_level(logging.INFO, logger="prefect_runway.api.waiting"):
        task = await wait_for_task(client, created.id, FAST, on_update=on_update)
    assert task.status is TaskStatus.SUCCEEDED and task.output
    statuses = [t.status for t in seen]
    assert statuses[-1] is TaskStatus.SUCCEEDED
    assert TaskStatus.RUNNING in statuses
    # an update only when something changed
    pairs = list(itertools.pairwise(seen))
    assert all(a.status is not b.status or a.progress != b.progress for a, b in pairs)
    # each status logged once
    logged = [r.getMessage() for r in caplog.records]
    assert sum(m.endswith(": SUCCEEDED") for m in logged) == 1
    assert sum(m.endswith(": RUNNING") for m in logged) == 1


async def test_a_caller_that_reports_the_success_itself_gets_no_succeeded_line(
    client: RunwayClient, caplog: pytest.LogCaptureFixture
) -> None:
    # generate's "stored" line says the task succeeded; the wait's own line would cost the
    # flow process a log line per generation for nothing new (issue 20).
    created = await client.create(REQUEST)
    with caplog.at_level(logging.INFO, logger="prefect_runway.api.waiting"):
        task = await wait_for_task(client, created.id, FAST, log_succeeded=False)
    assert task.status is TaskStatus.SUCCEEDED
    logged = [r.getMessage() for r in caplog.records]
    assert f"task {created.id}: RUNNING" in logged
    assert not [m for m in logged if m.endswith(": SUCCEEDED")]


async def test_failed_task_is_returned_with_its_reason(
    client: RunwayClient, emulator: RunwayEmulator
) -> None:
    emulator.set_faults(
        FaultPlan(rules=[Fault(operation="task", kind="fail", failure_code="SAFETY.INPUT.IMAGE")])
    )
    created = await client.create(REQUEST)
    task = await wait_for_task(client, created.id, FAST)
    assert task.status is TaskStatus.FAILED
    error = task.to_error()
    assert error.failure_code == "SAFETY.INPUT.IMAGE" and not error.retryable


async def test_404_blips_are_tolerated(client: RunwayClient, emulator: RunwayEmulator) -> None:
    created = await client.create(REQUEST)
    emulator.set_faults(FaultPlan(rules=[Fault(operation="poll", kind="not_found", times=3)]))
    task = await wait_for_task(client, created.id, FAST)
    assert task.status is TaskStatus.SUCCEEDED


async def test_vanished_task_is_reported(client: RunwayClient, emulator: RunwayEmulator) -> None:
    created = await client.create(REQUEST)
    await client.delete_task(created.id)
    # Created (as the ledger recorded it) longer ago than the window: 404 means gone.
    long_ago = datetime.now(UTC) - timedelta(seconds=NOT_FOUND_WINDOW_SECONDS + 1)
    with pytest.raises(TaskVanished, match=created.id) as info:
        await wait_for_task(client, created.id, FAST, created_at=long_ago)
    assert "No new attempt was paid for" in str(info.value)
    assert info.value.not_found == FAST.not_found_tolerance


class FakeClock:
    """Wall time that moves only when the wait sleeps: the window, not the polls, decides."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.slept = 0.0

    def __call__(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.slept += seconds


@pytest.mark.parametrize("poll_interval", [1.0, 5.0, 30.0])
async def test_a_task_invisible_for_a_while_after_its_create_is_waited_for_whatever_the_interval(
    client: RunwayClient, emulator: RunwayEmulator, poll_interval: float
) -> None:
    # Issue 16, item 3: 404 for 110 s after the create, at any poll interval, is "not visible
    # yet": 3 polls used to be the limit, so 6 s at 1 s polls paid a second attempt.
    created = await client.create(REQUEST)
    clock = FakeClock(datetime.now(UTC))
    invisible = int(110 // poll_interval)
    emulator.set_faults(
        FaultPlan(rules=[Fault(operation="poll", kind="not_found", times=invisible)])
    )
    policy = WaitPolicy(poll_interval=poll_interval, jitter=0)
    task = await wait_for_task(
        client, created.id, policy, created_at=clock(), now=clock, sleep=clock.sleep
    )
    assert task.status is TaskStatus.SUCCEEDED
    assert emulator.stats()["faults_injected"]["poll:not_found"] == invisible


async def test_the_window_counts_from_the_create_not_from_the_start_of_the_wait(
    client: RunwayClient, emulator: RunwayEmulator
) -> None:
    # A re-run 100 s after the create: 20 s of window remain, not 120.
    created = await client.create(REQUEST)
    await client.delete_task(created.id)
    start = datetime.now(UTC)
    clock = FakeClock(start)
    with pytest.raises(TaskVanished):
        await wait_for_task(
            client, created.id, WaitPolicy(poll_interval=1.0, jitter=0),
            created_at=start - timedelta(seconds=100), now=clock, sleep=clock.sleep,
        )  # fmt: skip
    assert 20 <= clock.slept <= 20 + FAST.not_found_tolerance + 1


async def test_transient_poll_errors_are_tolerated(
    client: RunwayClient, emulator: RunwayEmulator
) -> None:
    created = await client.create(REQUEST)
    # 6 failures: the client retries 4 times per poll, the wait tolerates failed polls.
    emulator.set_faults(
        FaultPlan(rules=[Fault(operation="poll", kind="status", status=502, times=6)])
    )
    assert (await wait_for_task(client, created.id, FAST)).status is TaskStatus.SUCCEEDED


@pytest.fixture
def one_slot() -> RunwayEmulator:
    # One slot and long runs: the first task runs, the second sits THROTTLED.
    return RunwayEmulator(EmulatorConfig(default_max_concurrent=1, run_seconds=30))


async def test_queue_timeout_deletes_the_queued_task(one_slot: RunwayEmulator) -> None:
    with one_slot as emulator:
        async with RunwayClient(
            emulator.api_key, base_url=emulator.base_url, retry=FAST_RETRY
        ) as client:
            await client.create(REQUEST)
            queued = await client.create(REQUEST)
            policy = WaitPolicy(poll_interval=0.02, max_queue_seconds=0.2)
            with pytest.raises(QueueTimeout) as info:
                await wait_for_task(client, queued.id, policy)
        assert info.value.deleted
        stats = emulator.stats()
        assert stats["deleted_task_ids"] == [queued.id]
        assert emulator.task(queued.id)["cost"] == 0  # refunded: it never ran


async def test_a_queue_timeout_whose_task_starts_during_the_decision_says_it_may_run_on(
    one_slot: RunwayEmulator,
) -> None:
    # A caller of the API layer with ``may_delete`` and no ``kept``: the task started while the
    # DELETE was decided, so it is not deleted. The error must not say it was already gone
    # (it runs on, paid, and only this caller knows to wait for it again).
    with one_slot as emulator:
        async with RunwayClient(
            emulator.api_key, base_url=emulator.base_url, retry=FAST_RETRY
        ) as client:
            holder = await client.create(REQUEST)
            queued = await client.create(REQUEST)

            async def starts_meanwhile() -> bool:
                await client.delete_task(holder.id)  # the slot frees: ours starts
                await asyncio.to_thread(
                    wait_for, lambda: emulator.task(queued.id)["status"],
                    lambda status: status != "THROTTLED",
                )  # fmt: skip
                return True

            policy = WaitPolicy(poll_interval=0.02, max_queue_seconds=0.2)
            with pytest.raises(QueueTimeout) as info:
                await wait_for_task(client, queued.id, policy, may_delete=starts_meanwhile)
        assert not info.value.deleted and info.value.left_queue
        assert "already gone" not in str(info.value)
        assert "may run on, paid" in str(info.value) and queued.id in str(info.value)
        assert emulator.stats()["deleted_task_ids"] == [holder.id]  # ours was not deleted
        assert emulator.task(queued.id)["status"] in {"RUNNING", "SUCCEEDED"}


async def test_run_timeout_never_deletes(one_slot: RunwayEmulator) -> None:
    with one_slot as emulator:
        async with RunwayClient(
            emulator.api_key, base_url=emulator.base_url, retry=FAST_RETRY
        ) as client:
            running = await client.create(REQUEST)
            policy = WaitPolicy(poll_interval=0.02, max_run_seconds=0.2)
            with pytest.raises(RunTimeout) as info:
                await wait_for_task(client, running.id, policy)
        assert info.value.task_id == running.id
        assert "recover it later" in str(info.value)
        assert emulator.stats()["deletes"] == 0


async def test_user_cancel_deletes_an_in_flight_task(one_slot: RunwayEmulator) -> None:
    with one_slot as emulator:
        async with RunwayClient(
            emulator.api_key, base_url=emulator.base_url, retry=FAST_RETRY
        ) as client:
            created = await client.create(REQUEST)
            polls = 0

            async def cancel_after_two_polls() -> bool:
                nonlocal polls
                polls += 1
                return polls > 2

            with pytest.raises(WaitCancelled) as info:
                await wait_for_task(client, created.id, FAST, should_cancel=cancel_after_two_polls)
        assert info.value.deleted
        assert emulator.stats()["deleted_task_ids"] == [created.id]


async def test_user_cancel_never_deletes_a_succeeded_task(
    client: RunwayClient, emulator: RunwayEmulator
) -> None:
    created = await client.create(REQUEST)
    await wait_for_task(client, created.id, FAST)

    async def cancelled() -> bool:
        return True

    with pytest.raises(WaitCancelled) as info:
        await wait_for_task(client, created.id, FAST, should_cancel=cancelled)
    assert not info.value.deleted and info.value.last_status == "SUCCEEDED"
    assert emulator.stats()["deletes"] == 0
    assert (await client.get_task(created.id)).output


class _SucceededAtOnce:
    """A stand-in client whose task is SUCCEEDED at once: records when each poll came."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.polls: list[datetime] = []

    async def get_task(self, task_id: str) -> Task:
        self.polls.append(self.clock())
        return Task.model_validate({"id": task_id, "status": "SUCCEEDED", "output": ["u"]})


@pytest.mark.parametrize(
    ("created_ago", "first_poll_after"),
    [
        (0.0, 5.0),  # just created: one interval after the create, not at once (issue 20)
        (2.0, 3.0),  # created 2 s ago: the rest of the interval
        (60.0, 0.0),  # a reattach to an older task: at once
        (-30.0, 5.0),  # a create time ahead of this clock: one interval at most
    ],
)
async def test_the_first_poll_comes_one_interval_after_the_create(
    created_ago: float, first_poll_after: float
) -> None:
    start = datetime.now(UTC)
    clock = FakeClock(start)
    stub = _SucceededAtOnce(clock)
    task = await wait_for_task(
        stub,  # type: ignore[arg-type]  # only get_task is called
        "t1", WaitPolicy(poll_interval=5.0, jitter=0),
        created_at=start - timedelta(seconds=created_ago), now=clock, sleep=clock.sleep,
    )  # fmt: skip
    assert task.status is TaskStatus.SUCCEEDED
    assert [(p - start).total_seconds() for p in stub.polls] == [first_poll_after]


async def test_without_a_create_time_the_first_poll_is_at_once() -> None:
    start = datetime.now(UTC)
    clock = FakeClock(start)
    stub = _SucceededAtOnce(clock)
    await wait_for_task(
        stub,  # type: ignore[arg-type]  # only get_task is called
        "t1", WaitPolicy(poll_interval=5.0, jitter=0), now=clock, sleep=clock.sleep,
    )  # fmt: skip
    assert stub.polls == [start]
