"""One ``runway-wait`` task run per flow run (issue 20): fewer task runs, the same outcomes.

The waits of ``generate`` share one Prefect task run while any is in flight
(``prefect_runway.tasks.wait.SharedWaits``). Each wait keeps its own outcome, its own DELETE
decision and its own failures; these tests hold it to that against the emulator's books, and a
seeded random model drives waits joining and leaving the shared task run in orders nobody
planned.
"""

from __future__ import annotations

import asyncio
import contextvars
import random
import signal
import time
from collections.abc import Callable
from typing import Any, cast

import pytest
from prefect import flow, tags
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import StateType, TaskRun
from prefect.exceptions import TerminationSignal
from prefect_aws import S3Bucket

from prefect_runway.api import QueueTimeout, RunwayClient, Task, TaskVanished, WaitPolicy
from prefect_runway.tasks import shared_runs
from prefect_runway.tasks import wait as wait_module
from prefect_runway.tasks._uninterrupted import uninterrupted
from prefect_runway.tasks.generate import GenerationResult, generate
from prefect_runway.tasks.ledger import SubmissionLedger
from prefect_runway.tasks.wait import SHARED_RUNNER_NAME, SharedWaits
from prefect_runway.testing.emulator import RunwayEmulator
from tests.media_samples import png_data_uri

FAST = WaitPolicy(poll_interval=0.05, jitter=0.1)
#: A hang guard, not a timing under test.
PATIENCE = 120.0


def spec(name: str) -> dict[str, Any]:
    return {
        "request": {
            "model": "gen4_turbo", "promptImage": png_data_uri(), "ratio": "1280:720",
            "duration": 2, "promptText": name,
        },
        "name": name,
    }  # fmt: skip


async def until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, f"never: {what}"
        await asyncio.sleep(0.02)


async def task_runs_of(flow_run_id: Any) -> list[TaskRun]:
    async with get_client() as prefect:
        return await prefect.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )


def _shared(runs: list[TaskRun]) -> list[TaskRun]:
    return [run for run in runs if run.name.startswith("runway-wait (first ")]


def _shared_submits(runs: list[TaskRun]) -> list[TaskRun]:
    return [run for run in runs if run.name.startswith("runway-submit (first ")]


async def settled_task_runs(flow_run_id: Any, stores: int) -> list[TaskRun]:
    """The flow run's task runs once the server has recorded the stores it made and a shared
    submit and wait (Prefect 3 sends task runs as events: they reach the records late under
    load) and each has a final state."""
    deadline = time.monotonic() + PATIENCE
    while True:
        runs = await task_runs_of(flow_run_id)
        names = [run.name for run in runs]
        done = all(run.state_type is not None and run.state_type in FINAL for run in runs)
        if (
            any(n.startswith("runway-submit (first ") for n in names)
            and sum(n.startswith("runway-store") for n in names) == stores
            and any(n.startswith(("runway-wait (first ", "wait-")) for n in names)
            and done
        ):
            return runs
        assert time.monotonic() < deadline, sorted(names)
        await asyncio.sleep(0.2)


FINAL = {StateType.COMPLETED, StateType.FAILED, StateType.CRASHED, StateType.CANCELLED}


# ---------------------------------------------------------------------------------------------
# Against the emulator: a batch in one flow run


@flow(name="shared-wait-batch")
async def batch(
    names: list[str],
    bucket: S3Bucket,
    client: RunwayClient,
    policies: dict[str, WaitPolicy] | None = None,
) -> list[GenerationResult]:
    policies = policies or {}
    return list(
        await asyncio.gather(
            *(
                generate(spec(name), destination=bucket, prefix="shared", client=client,
                         wait_policy=policies.get(name, FAST))
                for name in names
            )
        )
    )  # fmt: skip


async def test_a_batch_makes_a_store_per_generation_and_fewer_submits_and_waits(
    prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient, s3_bucket: S3Bucket
) -> None:
    emulator.configure(run_seconds=1.5)
    names = [f"clip-{n}" for n in range(6)]
    state = await batch(names, s3_bucket, client, return_state=True)
    results = cast(list[GenerationResult], await state.result())
    assert [r.status for r in results] == ["succeeded"] * 6
    assert emulator.stats()["creates_total"] == 6
    runs = await settled_task_runs(state.state_details.flow_run_id, stores=6)
    waits, submits = _shared(runs), _shared_submits(runs)
    # One per stretch of time with one in flight: six begun together share one or two.
    assert 1 <= len(waits) < 6, sorted(run.name for run in runs)
    assert 1 <= len(submits) < 6, sorted(run.name for run in runs)
    assert not [run.name for run in runs if run.name.startswith(("wait-", "submit-"))]
    assert all(run.state_type == StateType.COMPLETED for run in waits + submits), runs
    # Named after the first attempt it submitted.
    keys = {r.key for r in results}
    assert all(run.name.removeprefix("runway-submit (first ").rstrip(")").rsplit("-", 1)[0]
               in keys for run in submits), submits  # fmt: skip
    # Named after the first task it watched, so the UI says what it is.
    task_ids = {r.task_id for r in results}
    assert all(run.name.removeprefix("runway-wait (first ").rstrip(")") in task_ids
               for run in waits)  # fmt: skip


@flow(name="shared-wait-one-cancelled")
async def batch_with_a_cancelled_row(
    names: list[str], victim: str, bucket: S3Bucket, client: RunwayClient
) -> dict[str, Any]:
    seen: dict[str, str] = {}

    def reporter(name: str) -> Callable[[Task], Any]:
        async def update(task: Task) -> None:
            seen.setdefault(name, task.id)

        return update

    rows = {
        name: asyncio.ensure_future(
            generate(spec(name), destination=bucket, prefix="shared", client=client,
                     wait_policy=FAST, on_update=reporter(name))
        )
        for name in names
    }  # fmt: skip
    # Mid-wait: every row's task exists and the victim's wait has polled it.
    await until(lambda: len(seen) == len(names), "every wait polled its task")
    rows[victim].cancel()
    outcomes = await asyncio.gather(*rows.values(), return_exceptions=True)
    return {"seen": seen, "outcomes": dict(zip(rows, outcomes, strict=True))}


async def test_a_cancelled_caller_deletes_only_its_own_task_and_the_others_store(
    prefect_harness: str,
    emulator: RunwayEmulator,
    client: RunwayClient,
    s3_bucket: S3Bucket,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The cancelled row's wait reads the run's state afresh when interrupted: say "cancelling"
    # then (a confirmed cancellation, as far as that wait is concerned), never on a poll. A
    # wait interrupted that should not be would DELETE its task too: the books would show it.
    async def is_cancelling(self: Any, *, fresh: bool = False) -> bool:
        return fresh

    monkeypatch.setattr(wait_module.FlowRunCancellation, "is_cancelling", is_cancelling)
    emulator.configure(run_seconds=4.0)
    names = [f"row-{n}" for n in range(5)]
    out = await batch_with_a_cancelled_row(names, "row-2", s3_bucket, client)
    victim = out["seen"]["row-2"]
    outcomes = out["outcomes"]
    assert isinstance(outcomes["row-2"], asyncio.CancelledError), outcomes["row-2"]
    others = [outcomes[name] for name in names if name != "row-2"]
    assert all(isinstance(r, GenerationResult) and r.status == "succeeded" for r in others), others
    stats = emulator.stats()
    assert stats["deleted_task_ids"] == [victim]
    assert stats["creates_total"] == 5
    s3 = s3_bucket.credentials.get_s3_client()
    stored = {
        item["Key"] for item in
        s3.list_objects_v2(Bucket=s3_bucket.bucket_name, Prefix="runway-out/shared/")
        .get("Contents", [])
    }  # fmt: skip
    for result in others:
        assert isinstance(result, GenerationResult)
        assert result.output_uri is not None
        assert result.output_uri.split("/", 3)[3] in stored


@pytest.mark.parametrize("ending", ["queue_timeout", "vanished"])
async def test_a_wait_that_raises_leaves_the_others_running_and_stored(
    prefect_harness: str,
    emulator: RunwayEmulator,
    client: RunwayClient,
    s3_bucket: S3Bucket,
    ending: str,
) -> None:
    names = [f"{ending}-{n}" for n in range(4)]
    victim = names[1]
    if ending == "queue_timeout":
        # Every task queues a while; only the victim has a queue budget, shorter than that.
        emulator.configure(queue_seconds=2.0, run_seconds=1.0)
        policy = WaitPolicy(poll_interval=0.05, jitter=0.1, max_queue_seconds=0.3)
    else:
        emulator.configure(run_seconds=3.0)
        policy = WaitPolicy(poll_interval=0.05, jitter=0.1, not_found_window=0.2,
                            not_found_tolerance=1)  # fmt: skip

    async def delete_the_victims_task() -> None:  # someone else deletes it
        def created() -> bool:
            return any(emulator.task(t)["request"].get("promptText") == victim
                       for t in emulator.stats()["task_ids"])  # fmt: skip

        await until(created, "the victim's task is created")
        task_id = next(t for t in emulator.stats()["task_ids"]
                       if emulator.task(t)["request"].get("promptText") == victim)  # fmt: skip
        await client.delete_task(task_id)

    @flow(name=f"shared-wait-{ending}")
    async def run() -> list[GenerationResult]:
        deleting = asyncio.ensure_future(
            delete_the_victims_task() if ending == "vanished" else asyncio.sleep(0)
        )
        results = await batch.fn(names, s3_bucket, client, {victim: policy})
        await deleting
        return results

    results = {r.name: r for r in await run()}
    assert results[victim].status == "failed"
    code = "QUEUE_TIMEOUT" if ending == "queue_timeout" else "TASK_VANISHED"
    assert results[victim].failure_code == code, results[victim]
    assert all(results[n].status == "succeeded" for n in names if n != victim), results
    stats = emulator.stats()
    assert stats["deleted_task_ids"] == [results[victim].task_id]  # ours, or the stranger's
    assert stats["creates_total"] == 4


# ---------------------------------------------------------------------------------------------
# The model: waits joining and leaving the shared task run at random


class FakeWait:
    """A wait whose end the test decides; it records its DELETE decision when cancelled."""

    def __init__(self, index: int, log: list[tuple[str, int]]) -> None:
        self.index, self.log = index, log
        self.began = asyncio.Event()
        self.release: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.decided = False
        self.task_run: Any = None  # the id of the task run it began in

    async def run(self) -> Task:
        from prefect.context import TaskRunContext

        context = TaskRunContext.get()
        self.task_run = context.task_run.id if context else None
        self.began.set()
        try:
            outcome = await self.release
        except asyncio.CancelledError:
            for _ in range(3):  # the decision takes a few round trips (shielded in real life)
                await asyncio.sleep(0)
            self.decided = True
            self.log.append(("decided", self.index))
            raise
        if isinstance(outcome, BaseException):
            raise outcome
        return cast(Task, outcome)


def _outcome(rng: random.Random, index: int) -> Any:
    pick = rng.choice(["task", "task", "queue", "vanished", "error"])
    if pick == "task":
        return object()
    if pick == "queue":
        return QueueTimeout(task_id=f"t{index}", seconds=1.0, deleted=True)
    if pick == "vanished":
        return TaskVanished(task_id=f"t{index}", last_status="RUNNING", not_found=3,
                            since_create=200.0)  # fmt: skip
    return RuntimeError(f"poll of t{index} failed")


def runners(first: str = "") -> list[asyncio.Task[Any]]:
    """The shared task runs still open (the asyncio tasks that call them), of the waits whose
    task ids begin with ``first`` (one flow run's, when several run on the loop)."""
    name = f"{SHARED_RUNNER_NAME} (first {first}"
    return [t for t in asyncio.all_tasks() if t.get_name().startswith(name) and not t.done()]


def registered(flow_run_id: str) -> list[Any]:
    """The flow run's entries in ``SharedWaits``' registry on this loop."""
    runs = SharedWaits._by_loop.get(asyncio.get_running_loop(), {})
    return [key for key in runs if key[0] == flow_run_id]


#: Calls (by asyncio task name) whose caller gets this SIGTERM as it resumes from the call's
#: end: Prefect raises it in whichever coroutine runs (``signal_callers_on_resume``).
RESUME_SIGNALS: dict[str, BaseException] = {}


@pytest.fixture
def signal_callers_on_resume(monkeypatch: pytest.MonkeyPatch) -> None:
    """A caller named in ``RESUME_SIGNALS`` gets its SIGTERM as it resumes (``asyncio.shield``
    is how a caller awaits its call)."""
    real_shield = asyncio.shield

    def shield(inner: Any) -> Any:
        if not (isinstance(inner, asyncio.Task) and inner.get_name().startswith("runway-wait-")):
            return real_shield(inner)

        async def resumed() -> Any:
            result = await real_shield(inner)
            # Named once the caller awaits already: looked up as it resumes.
            sigterm = RESUME_SIGNALS.pop(inner.get_name(), None)
            if sigterm is not None:
                raise sigterm
            return result

        return resumed()

    monkeypatch.setattr(asyncio, "shield", shield)


@flow(name="shared-wait-model")
async def model_run(
    seed: int, waits: int, holding: bool = False, resumes: bool = False
) -> dict[str, int]:
    """``holding``: holds (``shared_task_runs_held``) enter and leave at random too; a task run
    then lasts while a wait is in flight or a hold is on, and a SIGTERM still ends it.
    ``resumes``: a SIGTERM is also raised in a caller as it resumes (its wait just ended), not
    in a wait (``signal_callers_on_resume``)."""
    from prefect.runtime import flow_run

    rng = random.Random(seed)
    held = SharedWaits.current()  # kept by the caller, or asked for anew at each wait (below)
    tid = f"s{seed}-t"  # task ids of this flow run (another may run on the loop)
    log: list[tuple[str, int]] = []
    fakes: dict[int, FakeWait] = {}
    callers: dict[int, asyncio.Task[Any]] = {}
    expected: dict[int, Any] = {}  # what each caller must get (an object or an exception)
    in_flight: set[int] = set()  # started, caller not ended (the model's count)
    periods = terminations = 0
    first = -1  # the first wait of the current stretch: its task run is named after it
    open_at_return: dict[int, set[str]] = {}  # the task runs still open as a caller returned
    holds: list[tuple[asyncio.Event, asyncio.Task[None]]] = []  # entered, not left
    open_run = False  # the model's word: a shared task run is open (calls join it)
    terminated_last = False  # the current (or last) stretch's task run was SIGTERMed
    stretch_of: dict[int, int] = {}  # each wait's stretch (its task run, by the model)

    async def hold(entered: asyncio.Event, leave: asyncio.Event) -> None:
        async with shared_runs.shared_task_runs_held():
            entered.set()
            await leave.wait()

    async def call(index: int, fake: FakeWait, shared: SharedWaits) -> Task:
        try:
            return await shared.wait(f"{tid}{index}", fake.run)
        finally:
            log.append(("ended", index))
            open_at_return[index] = {t.get_name() for t in runners(tid)}

    async def ended(index: int) -> None:
        await until(lambda: callers[index].done(), f"caller {index} ends")

    def got(index: int) -> Any:
        caller = callers[index]
        if caller.cancelled():
            return asyncio.CancelledError
        return caller.exception() or caller.result()

    unstarted = list(range(waits))
    rng.shuffle(unstarted)
    while unstarted or in_flight or holds:
        moves = (["start"] * 3 if unstarted else []) + (
            ["finish"] * 3 + ["cancel", "terminate" if rng.random() < 0.25 else "finish"]
            if in_flight else []
        ) + (["hold"] if holding and unstarted and len(holds) < 3 else []) + (
            ["leave"] * (1 if unstarted or in_flight else 3) if holds else []
        )  # fmt: skip
        move = rng.choice(moves)
        if move == "hold":
            entered, leave = asyncio.Event(), asyncio.Event()
            holds.append((leave, asyncio.ensure_future(hold(entered, leave))))
            await until(entered.is_set, "the hold is entered")
        elif move == "leave":
            leave, holder = holds.pop(rng.randrange(len(holds)))
            leave.set()
            await until(holder.done, "the hold is left")
            holder.result()  # nothing raised
            if not holds and not in_flight:
                open_run = False  # the last hold ended the idle task run...
                if not terminated_last:  # ...and awaited its end (a SIGTERMed one ends apart)
                    assert not runners(f"{tid}{first})"), runners(tid)
        elif move == "start":
            index = unstarted.pop()
            if not open_run:
                periods += 1  # a new stretch with a wait in flight or held: a new task run
                first, open_run, terminated_last = index, True, False
            stretch_of[index] = periods
            fake = fakes[index] = FakeWait(index, log)
            # A handle kept across waits (maybe idle and forgotten meanwhile) or a fresh one:
            # either way one task run per stretch.
            shared = held if rng.random() < 0.5 else SharedWaits.current()
            callers[index] = asyncio.ensure_future(call(index, fake, shared))
            in_flight.add(index)
            await asyncio.sleep(0)  # the caller's first step: it joins (synchronously)
            if rng.random() < 0.5:  # or goes on while the task run is starting
                await until(fake.began.is_set, f"wait {index} begins")
        elif move == "finish":
            index = rng.choice(sorted(in_flight))
            await until(fakes[index].began.is_set, f"wait {index} begins")
            expected[index] = _outcome(rng, index)
            fakes[index].release.set_result(expected[index])
            await ended(index)
            in_flight.discard(index)
            outcome = got(index)
            assert outcome is expected[index], (index, outcome, expected[index])
            if not in_flight and not holds:  # the last caller returns once it has ended
                open_run = False
                assert f"{SHARED_RUNNER_NAME} (first {tid}{first})" not in open_at_return[index]
        elif move == "cancel":
            index = rng.choice(sorted(in_flight))
            callers[index].cancel()
            await ended(index)
            in_flight.discard(index)
            assert got(index) is asyncio.CancelledError
            if not in_flight and not holds:  # cancelled or not, the last caller returns after
                open_run = False
                open_then = open_at_return[index]
                assert f"{SHARED_RUNNER_NAME} (first {tid}{first})" not in open_then, open_then
            began = fakes[index].began.is_set()
            # Its own wait decided (if it had begun); no other wait was interrupted.
            assert fakes[index].decided == began, (index, began)
            others = [i for i in in_flight if fakes[i].decided]
            assert others == [], others
        else:  # a SIGTERM raised in one wait: every wait decides, then every caller gets it
            index = rng.choice(sorted(in_flight))
            await until(fakes[index].began.is_set, f"wait {index} begins")
            sigterm = TerminationSignal(signal=signal.SIGTERM)
            if resumes and rng.random() < 0.5:  # raised in its caller as its wait ends
                RESUME_SIGNALS[f"runway-wait-{tid}{index}"] = sigterm
                fakes[index].release.set_result(object())
                # Alone and not held, its task run has ended (COMPLETED) as its caller resumes.
                terminations += len(in_flight) > 1 or bool(holds)
            else:
                fakes[index].release.set_result(sigterm)
                terminations += 1
            for each in sorted(in_flight):
                await ended(each)
            # Every interrupted wait decided before any caller of this task run got the signal.
            last_decision = max(
                (n for n, (kind, i) in enumerate(log) if kind == "decided" and i in in_flight),
                default=-1,
            )
            first_end = min(n for n, (kind, i) in enumerate(log)
                            if kind == "ended" and i in in_flight)  # fmt: skip
            assert last_decision < first_end, log
            for each in sorted(in_flight - {index}):
                assert got(each) is sigterm, (each, got(each))
                assert fakes[each].decided == fakes[each].began.is_set(), (each, log)
            assert got(index) is sigterm
            in_flight.clear()
            open_run, terminated_last = False, True  # held or not: the next wait starts anew
        assert held.in_flight == len(in_flight), (held.in_flight, in_flight)
        # No wait outlives its task run: one still running has its task run open.
        waits = [t for t in asyncio.all_tasks()
                 if t.get_name().startswith(f"runway-wait-{tid}") and not t.done()]  # fmt: skip
        assert not waits or runners(tid), waits
        if not in_flight:
            assert not waits, waits
    # None in flight: every shared task run has ended (its asyncio task is done), and the
    # registry holds nothing of this flow run.
    await until(lambda: not runners(tid), "the shared task runs end")
    assert registered(flow_run.get_id()) == []
    assert not [s for s in shared_runs._holds.get(asyncio.get_running_loop(), {})
                if s[0] == flow_run.get_id()]  # fmt: skip
    # One task run per stretch, as the model counts them: the waits of a stretch began in one,
    # and no wait began in another stretch's (one already ended).
    began = {i: fake.task_run for i, fake in fakes.items() if fake.began.is_set()}
    by_stretch: dict[int, set[Any]] = {}
    for index, task_run in began.items():
        by_stretch.setdefault(stretch_of[index], set()).add(task_run)
    assert all(len(runs) == 1 and None not in runs for runs in by_stretch.values()), by_stretch
    assert len({run for runs in by_stretch.values() for run in runs}) == len(by_stretch)
    return {"periods": periods, "terminations": terminations}


@pytest.mark.parametrize("seed", range(8))
async def test_random_joins_and_leaves_get_each_caller_its_own_outcome(
    prefect_harness: str, seed: int
) -> None:
    state = await model_run(seed, 9, return_state=True)
    await check_task_runs(state)


@pytest.mark.parametrize("seed", range(200, 208))
async def test_random_holds_joins_and_leaves_get_each_caller_its_own_outcome(
    prefect_harness: str, seed: int, signal_callers_on_resume: None
) -> None:
    # As a batch or a storyboard holds its task runs open across its rows, entering and
    # leaving at random: one task run per stretch with a wait in flight or a hold on. SIGTERMs
    # land in a wait or in a caller as it resumes.
    state = await model_run(seed, 9, holding=True, resumes=True, return_state=True)
    await check_task_runs(state)


@pytest.mark.parametrize(
    ("seeds", "holding"), [((100, 101), False), ((102, 103), False), ((104, 105), True)]
)
async def test_two_flow_runs_on_one_loop_keep_their_waits_apart(
    prefect_harness: str, seeds: tuple[int, int], holding: bool
) -> None:
    # Held: one flow run's holds keep no task run of the other's open (its stretches count).
    states = await asyncio.gather(
        *(model_run(seed, 9, holding, return_state=True) for seed in seeds)
    )
    for state in states:
        await check_task_runs(state)
    assert SharedWaits._by_loop.get(asyncio.get_running_loop(), {}) == {}
    assert shared_runs._holds.get(asyncio.get_running_loop(), {}) == {}


async def check_task_runs(state: Any) -> None:
    """The model's flow run made one task run per stretch, crashed once per SIGTERM."""
    counts = cast(dict[str, int], await state.result())
    flow_run_id = state.state_details.flow_run_id
    # One task run per stretch of time with a wait in flight, as the server records them.
    deadline = time.monotonic() + PATIENCE
    while True:
        waits = _shared(await task_runs_of(flow_run_id))
        if len(waits) >= counts["periods"] and all(w.state_type in FINAL for w in waits):
            break
        assert time.monotonic() < deadline, (counts, [(w.name, w.state_type) for w in waits])
        await asyncio.sleep(0.2)
    assert len(waits) == counts["periods"], (counts, [w.name for w in waits])
    crashed = [w for w in waits if w.state_type != StateType.COMPLETED]
    assert len(crashed) == counts["terminations"], [(w.name, w.state_type) for w in waits]


# ---------------------------------------------------------------------------------------------
# A DELETE decision that never ends (Runway, S3 or the Prefect server stopped answering)


async def endless_decision() -> None:
    await asyncio.Event().wait()


class HangingDecision(FakeWait):
    """A wait whose DELETE decision never ends (Runway or S3 stopped answering): as the real
    decision (``wait_with_cancellation``), it goes on through further cancellations until its
    own grace, counted from the next one, is over."""

    def __init__(self, index: int, log: list[tuple[str, int]]) -> None:
        super().__init__(index, log)
        self.deciding = asyncio.Event()
        self.given_up = False

    async def run(self) -> Task:
        self.began.set()
        try:
            return cast(Task, await self.release)
        except asyncio.CancelledError:
            self.deciding.set()
            try:
                await uninterrupted(endless_decision())
            except asyncio.CancelledError:
                self.given_up = True
                self.log.append(("given up", self.index))
            raise


@pytest.fixture
def short_grace(monkeypatch: pytest.MonkeyPatch) -> float:
    """A clean-up's grace after its caller's cancellation, short enough for a test to see."""
    from prefect_runway.tasks import _uninterrupted

    monkeypatch.setattr(_uninterrupted, "CLEAN_UP_GRACE_SECONDS", 0.05)
    return 0.05


async def ends(tasks: list[asyncio.Task[Any]]) -> None:
    """A hang guard: every task ends (they must not absorb cancellations forever)."""
    _, pending = await asyncio.wait(tasks, timeout=PATIENCE)
    assert not pending, f"still running: {pending}"


def given_up(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The clean-ups given up after their grace, but the fake decisions' own."""
    return [
        r.getMessage() for r in caplog.records
        if r.levelname == "WARNING" and "still running" in r.getMessage()
        and "endless_decision" not in r.getMessage()
    ]  # fmt: skip


async def stuck_and_other() -> tuple[HangingDecision, FakeWait, list[asyncio.Task[Task]]]:
    """Two waits under one shared task run, begun: ``t0`` whose decision never ends, ``t1``."""
    shared, log = SharedWaits.current(), []
    stuck, other = HangingDecision(0, log), FakeWait(1, log)
    callers = [asyncio.ensure_future(shared.wait(f"t{w.index}", w.run)) for w in (stuck, other)]
    await until(lambda: stuck.began.is_set() and other.began.is_set(), "both waits begin")
    return stuck, other, callers


@flow(name="shared-wait-caller-cancelled-twice")
async def caller_cancelled_twice() -> dict[str, Any]:
    stuck, other, callers = await stuck_and_other()
    callers[0].cancel()  # the user's cancellation: the wait decides about its task...
    await until(stuck.deciding.is_set, "the wait decides")
    callers[0].cancel()  # ...and the run's teardown cancels the caller again
    await ends([callers[0]])
    await until(lambda: stuck.given_up, "the endless decision is given up")
    decided_meanwhile = other.decided
    result = object()
    other.release.set_result(result)
    await ends([callers[1]])
    await until(lambda: not runners(), "the shared task run ends")
    return {
        "first": "cancelled" if callers[0].cancelled() else repr(callers[0].exception()),
        "second": callers[1].result() is result,
        "other decided": decided_meanwhile,
    }


async def test_a_caller_cancelled_twice_is_not_held_by_an_endless_decision(
    prefect_harness: str, short_grace: float, caplog: pytest.LogCaptureFixture
) -> None:
    out = await caller_cancelled_twice()
    assert out == {"first": "cancelled", "second": True, "other decided": False}
    assert any("runway-wait-t0" in m for m in given_up(caplog)), caplog.text


@flow(name="shared-wait-terminated-with-an-endless-decision")
async def terminated_with_an_endless_decision() -> dict[str, str]:
    stuck, signalled, callers = await stuck_and_other()
    signalled.release.set_result(TerminationSignal(signal=signal.SIGTERM))
    await until(stuck.deciding.is_set, "the SIGTERM stops the other wait, which decides")
    # The shared task run is torn down again (a second SIGTERM, the event loop closing), and
    # so is the signalled wait's caller, waiting for the other's decision.
    held = [*runners(), callers[1]]
    for each in held:
        each.cancel()
    await ends(held)
    await ends(callers)
    assert stuck.given_up
    return {
        f"t{n}": "cancelled" if c.cancelled() else type(c.exception()).__name__
        for n, c in enumerate(callers)
    }


async def test_a_terminated_shared_run_is_not_held_by_an_endless_decision(
    prefect_harness: str, short_grace: float, caplog: pytest.LogCaptureFixture
) -> None:
    outcomes = await terminated_with_an_endless_decision()
    assert outcomes["t0"] == "TerminationSignal", outcomes  # its wait was stopped by it
    assert outcomes["t1"] in {"cancelled", "TerminationSignal"}, outcomes
    assert given_up(caplog), caplog.text


# ---------------------------------------------------------------------------------------------
# The shared task run cannot start


@flow(name="shared-wait-run-cannot-start")
async def run_that_cannot_start() -> dict[str, Any]:
    from prefect.runtime import flow_run

    shared, log = SharedWaits.current(), []
    refused = [FakeWait(n, log) for n in range(3)]
    callers = [asyncio.ensure_future(shared.wait(f"t{w.index}", w.run)) for w in refused]
    await ends(callers)
    outcomes = ["cancelled" if c.cancelled() else c.exception() for c in callers]
    # The next wait of the flow run starts a task run of its own, which works.
    later, result = FakeWait(3, log), object()
    later.release.set_result(result)
    after = await shared.wait("t3", later.run)
    await until(lambda: not runners(), "the shared task runs end")
    return {
        "outcomes": outcomes,
        "began": [w.began.is_set() for w in refused],
        "later": after is result,
        "registered": registered(flow_run.get_id()),
    }


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("the Prefect API answered 503"),
        TerminationSignal(signal=signal.SIGTERM),
        asyncio.CancelledError(),  # the event loop closing while the task run starts
    ],
    ids=["api-error", "sigterm", "cancelled"],
)
async def test_a_shared_run_that_cannot_start_gives_every_caller_why(
    prefect_harness: str, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    watch_waits, calls = wait_module._watch_waits, []

    async def refuse_first(watch: Any, first_task_id: str) -> int:
        calls.append(first_task_id)
        if len(calls) == 1:
            raise error  # before the body: no context for the waits
        return await watch_waits(watch, first_task_id)

    monkeypatch.setattr(wait_module, "_watch_waits", refuse_first)
    out = await run_that_cannot_start()
    # Each caller gets what stopped the task run: not a stand-in for it.
    why = "cancelled" if isinstance(error, asyncio.CancelledError) else error
    assert all(outcome is why for outcome in out["outcomes"]), out["outcomes"]
    assert out["began"] == [False] * 3
    assert out["later"] and out["registered"] == []
    assert calls == ["t0", "t3"]


# ---------------------------------------------------------------------------------------------
# A SIGTERM in one wait while another decides about its task (against the emulator's books)


class HeldCancellation:
    """The run is being cancelled (read afresh when a wait is interrupted, never on a poll).

    ``held``: that read waits for ``release``. ``signal``: the next poll raises a SIGTERM
    there, as Prefect raises it in whichever wait is running.
    """

    def __init__(self, *, held: bool = False) -> None:
        self.asked, self.release, self.signal = asyncio.Event(), asyncio.Event(), False
        if not held:
            self.release.set()

    async def is_cancelling(self, *, fresh: bool = False) -> bool:
        if self.signal and not fresh:
            self.signal = False
            raise TerminationSignal(signal=signal.SIGTERM)
        if fresh:
            self.asked.set()
            await self.release.wait()
        return fresh


@flow(name="shared-wait-sigterm-while-another-decides")
async def sigterm_while_another_decides(
    client: RunwayClient, emulator: RunwayEmulator, ids: list[str]
) -> list[Any]:
    deciding, signalled, polling = (
        HeldCancellation(held=True),
        HeldCancellation(),
        HeldCancellation(),
    )
    polled: set[str] = set()

    def seen(task_id: str) -> Callable[[Task], Any]:
        async def update(task: Task) -> None:
            polled.add(task_id)

        return update

    callers = [
        asyncio.ensure_future(wait_module.wait_in_shared_run(
            client, task_id, FAST, on_update=seen(task_id), cancellation=cancellation,
        ))
        for task_id, cancellation in zip(ids, (deciding, signalled, polling), strict=True)
    ]  # fmt: skip
    await until(lambda: polled == set(ids), "every wait polled its task")
    callers[0].cancel()  # a user's cancellation of one row: its wait decides, slowly
    await until(deciding.asked.is_set, "the cancelled wait reads the run's state")
    signalled.signal = True  # then the SIGTERM, raised in another wait
    await until(
        lambda: set(ids[1:]) <= set(emulator.stats()["deleted_task_ids"]),
        "the stopped waits DELETE their tasks",
    )
    deciding.release.set()  # the first decision ends only now, under the stopped task run
    await ends(callers)
    return ["cancelled" if c.cancelled() else c.exception() for c in callers]


async def test_a_sigterm_leaves_a_decision_under_way_to_its_end(
    prefect_harness: str,
    emulator: RunwayEmulator,
    client: RunwayClient,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prefect.filesystems import LocalFileSystem

    from prefect_runway.tasks import _uninterrupted
    from prefect_runway.tasks.submit import submit_once
    from tests.tasks.test_uninterrupted import REQUEST

    # No grace at all: a decision is cut the moment something cancels its wait again. The
    # SIGTERM's stop must not: that wait was already deciding, and nothing else cancelled.
    monkeypatch.setattr(_uninterrupted, "CLEAN_UP_GRACE_SECONDS", 0.0)
    emulator.configure(run_seconds=3600)
    ledger = SubmissionLedger(LocalFileSystem(basepath=str(tmp_path / "ledger")))
    ids = [
        (await submit_once(REQUEST, key=f"k-{n}", client=client, ledger=ledger, run="a")).task_id
        for n in range(3)
    ]
    outcomes = await sigterm_while_another_decides(client, emulator, ids)
    assert outcomes[0] == "cancelled", outcomes
    assert all(isinstance(o, TerminationSignal) for o in outcomes[1:]), outcomes
    # Every task was DELETEd once: the stopped ones and the one whose decision was under way.
    assert sorted(emulator.stats()["deleted_task_ids"]) == sorted(ids)


# ---------------------------------------------------------------------------------------------
# Each wait runs in its caller's context, inside the shared task run

ROW: contextvars.ContextVar[str] = contextvars.ContextVar("row", default="none")


@flow(name="shared-wait-callers-contexts")
async def callers_contexts() -> list[tuple[str, str]]:
    async def row(name: str) -> tuple[str, str]:
        ROW.set(name)  # e.g. structlog's bound variables, read by a caller's on_update

        async def waiting() -> Task:
            from prefect.context import TaskRunContext

            run = TaskRunContext.get()
            await asyncio.sleep(0)
            return cast(Task, (ROW.get(), run.task_run.name if run else "no task run"))

        return cast(tuple[str, str], await SharedWaits.current().wait(f"t-{name}", waiting))

    return list(await asyncio.gather(*(row(f"row-{n}") for n in range(3))))


async def test_each_wait_sees_its_callers_context_inside_the_shared_task_run(
    prefect_harness: str,
) -> None:
    seen = await callers_contexts()
    assert [row for row, _ in seen] == ["row-0", "row-1", "row-2"], seen
    assert all(run.startswith("runway-wait (first t-row-") for _, run in seen), seen


@flow(name="shared-wait-callers-tags")
async def callers_tags() -> list[tuple[str, str, list[str]]]:
    started = 0

    async def row(name: str, tag: str) -> tuple[str, str, list[str]]:
        async def waiting() -> Task:
            from prefect.context import TaskRunContext

            nonlocal started
            started += 1
            await until(lambda: started == 3, "every wait begins")  # all in flight at once
            run = TaskRunContext.get()
            assert run is not None
            return cast(Task, (tag, str(run.task_run.id), sorted(run.task_run.tags)))

        with tags(tag):  # a team's tag, read by a tag concurrency limit or an automation
            return cast(tuple[str, str, list[str]],
                        await SharedWaits.current().wait(f"t-{name}", waiting))  # fmt: skip

    return list(await asyncio.gather(row("a1", "team-a"), row("b", "team-b"), row("a2", "team-a")))


async def test_a_wait_runs_in_a_task_run_carrying_its_own_callers_tags(
    prefect_harness: str,
) -> None:
    seen = await callers_tags()
    # Each wait's task run carries its caller's tags, not the first caller's; callers of one
    # tag set still share one task run.
    assert all(run_tags == [tag] for tag, _, run_tags in seen), seen
    by_tag = {tag: {run for t, run, _ in seen if t == tag} for tag, _, _ in seen}
    assert len(by_tag["team-a"]) == 1 and by_tag["team-a"] != by_tag["team-b"], seen


# ---------------------------------------------------------------------------------------------
# Many flow runs in one process leave nothing behind


@flow(name="shared-wait-one-of-many")
async def one_of_many(client: RunwayClient, task_id: str) -> str:
    from prefect.runtime import flow_run

    await wait_module.wait_in_shared_run(client, task_id, FAST)
    return str(flow_run.get_id())


async def test_flow_runs_that_ended_leave_no_registry_entry(
    prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient, tmp_path: Any
) -> None:
    import gc

    from prefect.filesystems import LocalFileSystem

    from prefect_runway.tasks.submit import submit_once
    from tests.tasks.test_uninterrupted import REQUEST

    emulator.configure(run_seconds=0.2)
    ledger = SubmissionLedger(LocalFileSystem(basepath=str(tmp_path / "ledger")))
    runs = []
    for n in range(3):
        task_id = (await submit_once(REQUEST, key=f"k-{n}", client=client, ledger=ledger)).task_id
        runs.append(await one_of_many(client, task_id))
    gc.collect()
    assert registered_anywhere(runs) == []


def registered_anywhere(runs: list[str]) -> list[str]:
    """The flow runs still held by a per-run registry of ``tasks/wait.py``."""
    held = {str(key) for key in wait_module.FlowRunCancellation._by_run}
    held |= {str(key[0]) for key in SharedWaits._by_loop.get(asyncio.get_running_loop(), {})}
    return sorted(held & set(runs))


# ---------------------------------------------------------------------------------------------
# A caller cancelled before its wait began


@flow(name="shared-wait-cancelled-before-it-began")
async def cancelled_before_it_began() -> dict[str, Any]:
    log: list[tuple[str, int]] = []
    early = FakeWait(0, log)
    caller = asyncio.ensure_future(SharedWaits.current().wait("t-early", early.run))
    await asyncio.sleep(0)  # joined; the shared task run is still starting
    caller.cancel()
    await ends([caller])
    await until(lambda: not runners("t-early"), "the shared task run ends")
    return {"cancelled": caller.cancelled(), "began": early.began.is_set()}


async def test_a_caller_cancelled_before_its_wait_began_says_its_task_was_not_decided(
    prefect_harness: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert await cancelled_before_it_began() == {"cancelled": True, "began": False}
    # No DELETE decision was made for it here: the log says so, naming the task.
    said = [r for r in caplog.records if "t-early" in r.getMessage() and r.levelname == "WARNING"]
    assert said and "before its wait began" in said[0].getMessage(), caplog.text
