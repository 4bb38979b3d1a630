"""One task run shared by a flow run's submits (``tasks/shared_runs.py``, ``SharedSubmits``),
and held open across a batch's rows (``shared_task_runs_held``).

The machinery itself (joins, leaves, cancellations, a SIGTERM in any call) is exercised through
``SharedWaits`` in ``test_shared_wait.py``; here: what a shared submit must keep of a submit in
a task run of its own (a create in flight ends and is recorded, whatever stops its caller), and
what holding changes (one task run for calls spaced in time, none left open after).
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import StateType
from prefect.exceptions import TerminationSignal
from prefect.filesystems import LocalFileSystem
from prefect.runtime import flow_run

from prefect_runway.api import Gen4TurboImageToVideo, RunwayClient
from prefect_runway.tasks import submit as submit_module
from prefect_runway.tasks.ledger import LedgerEntry, SubmissionLedger
from prefect_runway.tasks.shared_runs import SharedTaskRun, shared_task_runs_held
from prefect_runway.tasks.submit import SharedSubmits, submit_in_shared_run
from prefect_runway.tasks.wait import SharedWaits
from prefect_runway.testing.emulator import Fault, FaultPlan, RunwayEmulator
from tests.media_samples import png_data_uri
from tests.tasks.test_shared_wait import FINAL, PATIENCE, FakeWait, until

REQUEST = Gen4TurboImageToVideo(prompt_image=png_data_uri(), ratio="960:960", duration=2)
SUBMIT_RUN = "runway-submit (first "


@pytest.fixture
def ledger(tmp_path: Path) -> SubmissionLedger:
    return SubmissionLedger(LocalFileSystem(basepath=str(tmp_path / "ledger")))


async def settled_runs(flow_run_id: Any, *, prefix: str, count: int) -> list[Any]:
    """The flow run's task runs named ``prefix...`` once ``count`` are recorded, each final
    (Prefect 3 sends task runs as events: they reach the records late under load)."""
    deadline = asyncio.get_running_loop().time() + PATIENCE
    while True:
        async with get_client() as prefect:
            runs = await prefect.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
            )
        named = [run for run in runs if run.name.startswith(prefix)]
        if len(named) >= count and all(run.state_type in FINAL for run in named):
            return named
        assert asyncio.get_running_loop().time() < deadline, sorted(r.name for r in runs)
        await asyncio.sleep(0.2)


def registered() -> list[Any]:
    """Every kind's registry entries on this loop (none once a flow run's calls have ended)."""
    loop = asyncio.get_running_loop()
    return [key for kind in SharedTaskRun._kinds for key in kind._by_loop.get(loop, {})]


def shared_runners() -> list[str]:
    """The shared task runs still open on this loop (the asyncio tasks that call them)."""
    return [t.get_name() for t in asyncio.all_tasks()
            if t.get_name().startswith("runway-shared") and not t.done()]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Holding: one task run for calls spaced in time


@flow(name="shared-runs-spaced")
async def spaced_submits(
    client: RunwayClient, ledger: SubmissionLedger, count: int, held: bool
) -> dict[str, Any]:
    async def one_after_another() -> list[str]:
        ids = []
        for n in range(count):  # each starts once the one before has ended
            submitted = await submit_in_shared_run(
                REQUEST, key=f"k{n}-1", client=client, ledger=ledger, run="a"
            )
            ids.append(submitted.task_id)
            await asyncio.sleep(0.05)
        return ids

    if held:
        async with shared_task_runs_held():
            ids = await one_after_another()
            open_inside = SharedSubmits.current().in_flight  # none in flight, still held
    else:
        ids, open_inside = await one_after_another(), None
    runners = [t for t in asyncio.all_tasks() if t.get_name().startswith("runway-shared-")]
    return {
        "ids": ids,
        "open_inside": open_inside,
        "runners_left": [t.get_name() for t in runners if not t.done()],
        "registered": registered(),
        "flow_run": flow_run.get_id(),
    }


@pytest.mark.parametrize("held", [False, True], ids=["alone", "held"])
async def test_held_submits_spaced_in_time_share_one_task_run_ended_on_leaving(
    prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient,
    ledger: SubmissionLedger, held: bool,
) -> None:  # fmt: skip
    out = await spaced_submits(client, ledger, 3, held)
    assert len(set(out["ids"])) == 3 and emulator.stats()["creates_total"] == 3
    # Whoever returns last leaves no task run open and nothing in the registry.
    assert out["runners_left"] == [] and out["registered"] == []
    runs = await settled_runs(out["flow_run"], prefix=SUBMIT_RUN, count=1 if held else 3)
    assert len(runs) == (1 if held else 3), [r.name for r in runs]
    assert all(run.state_type == StateType.COMPLETED for run in runs), runs
    if held:
        assert out["open_inside"] == 0
        assert runs[0].name == f"{SUBMIT_RUN}k0-1)"


@flow(name="shared-runs-nested-holds")
async def nested_holds(client: RunwayClient, ledger: SubmissionLedger) -> dict[str, Any]:
    async with shared_task_runs_held():
        async with shared_task_runs_held():
            await submit_in_shared_run(REQUEST, key="n0-1", client=client, ledger=ledger)
        # The inner hold ended, the outer one still holds: the next submit joins the same run.
        still = SharedSubmits.current()._shared is not None
        await submit_in_shared_run(REQUEST, key="n1-1", client=client, ledger=ledger)
    return {"still": still, "registered": registered(), "flow_run": flow_run.get_id()}


async def test_nested_holds_end_the_task_run_with_the_outermost(
    prefect_harness: str, client: RunwayClient, ledger: SubmissionLedger
) -> None:
    out = await nested_holds(client, ledger)
    assert out["still"] and out["registered"] == []
    runs = await settled_runs(out["flow_run"], prefix=SUBMIT_RUN, count=1)
    assert [run.name for run in runs] == [f"{SUBMIT_RUN}n0-1)"]


# ---------------------------------------------------------------------------------------------
# A create in flight ends and is recorded, whatever stops its caller


@flow(name="shared-runs-cancel-in-flight")
async def cancel_one_in_flight(
    client: RunwayClient, emulator: RunwayEmulator, ledger: SubmissionLedger
) -> dict[str, Any]:
    async with shared_task_runs_held():
        slow = asyncio.ensure_future(
            submit_in_shared_run(REQUEST, key="slow-1", client=client, ledger=ledger, run="a")
        )
        await until(lambda: emulator.stats()["creates_total"] == 1, "the slow create is sent")
        emulator.set_faults(FaultPlan(rules=[]))  # the other one's create is answered at once
        other = await submit_in_shared_run(
            REQUEST, key="other-1", client=client, ledger=ledger, run="a"
        )
        slow.cancel()  # while its create is sent and not yet answered
        outcome = await asyncio.gather(slow, return_exceptions=True)
    return {"slow": outcome[0], "other": other.task_id}


async def test_a_caller_cancelled_while_its_create_is_in_flight_gets_it_recorded_first(
    prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient,
    ledger: SubmissionLedger,
) -> None:  # fmt: skip
    # Item 23 of RELIABILITY.md, under the shared task run: the billed task's id must reach the
    # ledger with this run's lease, or the on_cancellation hook cannot DELETE it.
    emulator.configure(run_seconds=3600)
    emulator.set_faults(FaultPlan(rules=[Fault(operation="create", kind="slow", delay=2.0)]))
    out = await cancel_one_in_flight(client, emulator, ledger)
    assert isinstance(out["slow"], asyncio.CancelledError), out
    stats = emulator.stats()
    assert stats["creates_total"] == 2
    slow = await ledger.read("slow-1")
    assert slow is not None and slow.task_id in stats["task_ids"] and slow.task_id != out["other"]
    assert slow.state == "submitted" and "a" in slow.leases


@flow(name="shared-runs-sigterm-in-a-submit")
async def sigterm_in_one_submit(
    client: RunwayClient, emulator: RunwayEmulator, ledger: SubmissionLedger
) -> list[Any]:
    async def signalled(intent: LedgerEntry) -> None:
        # Prefect raises a SIGTERM in whichever coroutine runs: here, another submit's step,
        # once the first one's create is sent and not answered.
        await until(lambda: emulator.stats()["creates_total"] == 1, "the first create is sent")
        raise TerminationSignal(signal=signal.SIGTERM)

    async with shared_task_runs_held():
        callers = [
            asyncio.ensure_future(submit_in_shared_run(
                REQUEST, key="in-flight-1", client=client, ledger=ledger, run="a"
            )),
            asyncio.ensure_future(submit_in_shared_run(
                REQUEST, key="signalled-1", client=client, ledger=ledger, run="a",
                before_post=signalled,
            )),
        ]  # fmt: skip
        outcomes = await asyncio.gather(*callers, return_exceptions=True)
    return [type(outcome).__name__ for outcome in outcomes]


async def test_a_sigterm_in_one_submit_stops_the_others_after_their_creates_are_recorded(
    prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient,
    ledger: SubmissionLedger,
) -> None:  # fmt: skip
    emulator.configure(run_seconds=3600)
    emulator.set_faults(FaultPlan(rules=[Fault(operation="create", kind="slow", delay=1.5)]))
    outcomes = await sigterm_in_one_submit(client, emulator, ledger)
    # Each caller gets the SIGTERM itself (the one in flight once its create was recorded).
    assert outcomes == ["TerminationSignal", "TerminationSignal"], outcomes
    stats = emulator.stats()
    assert stats["creates_total"] == 1  # the signalled one never POSTed
    entry = await ledger.read("in-flight-1")
    assert entry is not None and entry.task_id == stats["task_ids"][0], entry
    assert "a" in entry.leases


def test_each_kind_has_its_own_registry() -> None:
    assert SharedSubmits._by_loop is not SharedWaits._by_loop
    assert {SharedSubmits, SharedWaits} <= set(SharedTaskRun._kinds)
    assert submit_module.SharedSubmits is SharedSubmits


# ---------------------------------------------------------------------------------------------
# A SIGTERM stopping submits before their POST: nothing sent, and the re-run pays each once


class SlowAnswerLedger(SubmissionLedger):
    """A ledger whose claim of ``slow_key`` reaches the store, then waits for ``answer``: an S3
    write that landed and whose answer is still on its way when the submit is stopped."""

    slow_key = "claim-in-flight-1"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.written = asyncio.Event()
        self.answer = asyncio.Event()

    async def claim(self, key: str, **kwargs: Any) -> Any:
        claim = await super().claim(key, **kwargs)
        if key == self.slow_key:
            self.written.set()
            await self.answer.wait()
        return claim


def call_task(key: str) -> asyncio.Task[Any] | None:
    """The asyncio task of the shared run's call submitting ``key``, while it exists."""
    name = f"{SharedSubmits.call_name}-{key}"
    return next((t for t in asyncio.all_tasks() if t.get_name() == name), None)


@flow(name="shared-runs-sigterm-before-the-posts")
async def sigterm_before_the_posts(
    client: RunwayClient, ledger: SlowAnswerLedger
) -> dict[str, str]:
    in_before_post = asyncio.Event()

    async def holding_the_name(intent: LedgerEntry) -> None:
        in_before_post.set()  # the name's S3 write, slow: still under way at the SIGTERM
        await asyncio.Event().wait()

    async def signalled(intent: LedgerEntry) -> None:
        # Prefect raises a SIGTERM in whichever coroutine runs: here, one submit's step, while
        # another is in its before_post and a third one's claim has been written.
        await until(lambda: in_before_post.is_set() and ledger.written.is_set(), "both under way")
        raise TerminationSignal(signal=signal.SIGTERM)

    async def answer_once_stopped() -> None:
        # The claim's answer arrives once the SIGTERM has reached its submit.
        await until(lambda: call_task(ledger.slow_key) is not None, "the submit begins")
        call = call_task(ledger.slow_key)
        assert call is not None
        await until(lambda: call.done() or call.cancelling() > 0, "the SIGTERM reaches it")
        ledger.answer.set()

    answering = asyncio.ensure_future(answer_once_stopped())
    async with shared_task_runs_held():
        callers = {
            key: asyncio.ensure_future(submit_in_shared_run(
                REQUEST, key=key, client=client, ledger=ledger, run="a", before_post=before,
            ))
            for key, before in [
                ("in-before-post-1", holding_the_name), (ledger.slow_key, None),
                ("signalled-1", signalled),
            ]
        }  # fmt: skip
        await asyncio.wait(callers.values())
    await answering
    return {key: type(c.exception()).__name__ for key, c in callers.items()}


async def test_a_sigterm_before_the_posts_leaves_attempts_a_rerun_pays_once_each(
    prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient, tmp_path: Path
) -> None:
    ledger = SlowAnswerLedger(LocalFileSystem(basepath=str(tmp_path / "ledger")))
    outcomes = await sigterm_before_the_posts(client, ledger)
    assert set(outcomes.values()) == {"TerminationSignal"}, outcomes  # every caller gets it
    assert emulator.stats()["creates_total"] == 0  # nothing was sent
    for key in outcomes:
        entry = await ledger.read(key)
        # Marked as never sent: not an intent that may have been billed.
        assert entry is not None and entry.state == "refused", (key, entry)
    # The re-run: each attempt claimed again and paid once, none stopped as ambiguous.
    ledger.answer.set()
    again = [
        await submit_module.submit_once(
            REQUEST, key=key, client=client, ledger=ledger, run="b", claim_wait=0
        )
        for key in outcomes
    ]
    stats = emulator.stats()
    assert stats["creates_total"] == 3 and sorted(s.task_id for s in again) == sorted(
        stats["task_ids"]
    )


# ---------------------------------------------------------------------------------------------
# Each submit's lines say whose they are, in the shared task run


@flow(name="shared-runs-submit-lines")
async def submit_lines(client: RunwayClient, ledger: SubmissionLedger) -> dict[str, str]:
    async with shared_task_runs_held():
        submitted = await asyncio.gather(*(
            submit_in_shared_run(REQUEST, key=f"line{n}-1", client=client, ledger=ledger)
            for n in range(3)
        ))  # fmt: skip
    return {s.key: s.task_id for s in submitted}


async def test_each_submits_task_id_line_names_its_attempt_in_the_shared_task_run(
    prefect_harness: str, client: RunwayClient, ledger: SubmissionLedger,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    import logging

    from prefect.context import TaskRunContext

    lines: list[tuple[str, str | None]] = []

    class Where(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            context = TaskRunContext.get()
            lines.append((record.getMessage(), context.task_run.name if context else None))

    where = Where(level=logging.INFO)
    submit_logger = logging.getLogger(submit_module.__name__)
    caplog.set_level(logging.INFO, logger=submit_module.__name__)
    submit_logger.addHandler(where)
    try:
        ids = await submit_lines(client, ledger)
    finally:
        submit_logger.removeHandler(where)
    said = [(m, run) for m, run in lines if "as Runway task" in m]
    assert len(said) == 3, lines
    for message, run in said:
        # The one shared task run holds them all: only the line can say whose it is.
        assert run is not None and run.startswith(SUBMIT_RUN), (message, run)
        key = next(k for k in ids if f"as Runway task {ids[k]} " in message)
        assert key in message, (message, key)


# ---------------------------------------------------------------------------------------------
# A SIGTERM raised in a caller as it resumes (not in its call), the task runs held


@flow(name="shared-runs-sigterm-in-a-resuming-caller")
async def sigterm_in_a_resuming_caller() -> dict[str, Any]:
    log: list[tuple[str, int]] = []
    ended, other = FakeWait(0, log), FakeWait(1, log)
    async with shared_task_runs_held():
        shared = SharedWaits.current()
        callers = [asyncio.ensure_future(shared.wait(f"t{w.index}", w.run)) for w in (ended, other)]
        await until(lambda: ended.began.is_set() and other.began.is_set(), "both waits begin")
        ended.release.set_result(object())  # its caller resumes: the SIGTERM lands there
        _, pending = await asyncio.wait(callers, timeout=PATIENCE)  # a hang guard
        for each in pending:  # (without the fix: the first caller waits for the other forever)
            each.cancel()
        outcomes = ["hung" if c in pending else type(c.exception()).__name__ for c in callers]
    # The stopped task run ends (its crash report is the engine's, after the callers').
    await until(lambda: not shared_runners(), "the shared task run ends")
    return {"outcomes": outcomes, "other decided": other.decided, "registered": registered()}


async def test_a_sigterm_in_a_resuming_caller_stops_every_call_of_the_held_task_run(
    prefect_harness: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Prefect raises a SIGTERM in whichever coroutine runs: a caller resuming as its call has
    # just ended is one. It must stop the other calls as a SIGTERM in a call does, not wait for
    # them to end of themselves: with the batch holding the task run open, they never would.
    real_shield = asyncio.shield

    def shield(inner: Any) -> Any:
        if isinstance(inner, asyncio.Task) and inner.get_name() == "runway-wait-t0":

            async def resumed() -> Any:
                await real_shield(inner)
                raise TerminationSignal(signal=signal.SIGTERM)  # as the caller resumes

            return resumed()
        return real_shield(inner)

    monkeypatch.setattr(asyncio, "shield", shield)
    out = await sigterm_in_a_resuming_caller()
    assert out["outcomes"] == ["TerminationSignal", "TerminationSignal"], out
    assert out["other decided"], out  # the other wait was stopped and decided about its task
    assert out["registered"] == [], out


# ---------------------------------------------------------------------------------------------
# The hold: callers under other tags, and its exit bounded when cancelled


@flow(name="shared-runs-held-tags")
async def held_under_tags() -> dict[str, Any]:
    from prefect import tags
    from prefect.context import TaskRunContext

    runs: list[tuple[str, Any, list[str]]] = []

    async def one(tag: str, n: int) -> None:
        async def waiting() -> Any:
            context = TaskRunContext.get()
            assert context is not None
            runs.append((tag, context.task_run.id, sorted(context.task_run.tags)))
            return object()

        with tags(*[tag] if tag else []):
            await SharedWaits.current().wait(f"{tag}{n}", waiting)

    async with shared_task_runs_held():
        for n in range(2):  # one after another: nothing in flight between them
            for tag in ("team-a", "team-b", ""):
                await one(tag, n)
        open_inside = len(registered())
    await until(lambda: not shared_runners(), "the held task runs end")
    return {"runs": runs, "open_inside": open_inside, "registered": registered()}


async def test_a_hold_keeps_the_untagged_task_run_and_no_tagged_one(
    prefect_harness: str,
) -> None:
    # Held, the untagged callers' calls spaced in time share one task run. A tagged one is not
    # kept open idle (it would keep its tags' concurrency slots): each tag's call its own, and
    # each carries its own caller's tags only.
    out = await held_under_tags()
    by_tag: dict[str, set[Any]] = {}
    for tag, run, run_tags in out["runs"]:
        assert run_tags == ([tag] if tag else []), out
        by_tag.setdefault(tag, set()).add(run)
    assert {tag: len(runs) for tag, runs in by_tag.items()} == {"": 1, "team-a": 2, "team-b": 2}
    assert out["open_inside"] == 1 and out["registered"] == [], out


@flow(name="shared-runs-tag-limited-row")
async def tag_limited_rows(tag: str) -> list[str]:
    from prefect import tags

    async def row(n: int) -> str:
        # A row: its submit, then its wait, each in its kind's shared task run of the tag.
        await SharedSubmits.current().run(f"r{n}-1", lambda: asyncio.sleep(0, object()))
        await SharedWaits.current().wait(f"t{n}", lambda: asyncio.sleep(0, object()))
        return "stored"

    with tags(tag):
        async with shared_task_runs_held():
            rows = [asyncio.ensure_future(row(n)) for n in range(2)]
            _, pending = await asyncio.wait(rows, timeout=PATIENCE)  # a hang guard
            for each in pending:
                each.cancel()
            outcome = ["hung" if r in pending else r.result() for r in rows]
    return outcome


async def test_a_batch_under_a_tag_limited_to_one_task_run_does_not_hang(
    prefect_harness: str,
) -> None:
    # `prefect gcl create tag:<tag> --limit 1` (or a v1 tag concurrency limit): one task run of
    # the tag at a time. Kept open idle, the runway-submit task run held the one slot, and the
    # runway-wait task run the rows needed next never started: the batch hung.
    import uuid

    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

    tag = f"limited-{uuid.uuid4().hex[:8]}"
    async with get_client() as prefect:
        await prefect.create_global_concurrency_limit(
            GlobalConcurrencyLimitCreate(name=f"tag:{tag}", limit=1)
        )
    assert await tag_limited_rows(tag) == ["stored", "stored"]


@flow(name="shared-runs-hold-exit-cancelled")
async def hold_exit_cancelled_twice() -> dict[str, Any]:
    async def held() -> None:
        async with shared_task_runs_held():
            await SharedWaits.current().wait("t0", lambda: asyncio.sleep(0, object()))

    holder = asyncio.ensure_future(held())
    # The hold's exit awaits the idle task run's end, which never comes (the engine stuck).
    await until(lambda: bool(shared_runners()) and stuck.is_set(), "the exit awaits the run")
    holder.cancel()  # the run's cancellation...
    await asyncio.sleep(0)
    holder.cancel()  # ...and its teardown's
    _, pending = await asyncio.wait([holder], timeout=PATIENCE)  # a hang guard
    outcome = "hung" if pending else "cancelled" if holder.cancelled() else holder.exception()
    left = [t for t in asyncio.all_tasks() if t.get_name().startswith("runway-shared")]
    for each in left:  # the stuck engine: the event loop's end would cancel it
        each.cancel()
    return {"outcome": outcome, "registered": registered()}


stuck = asyncio.Event()


async def test_a_holds_exit_cancelled_is_bounded_by_the_grace(
    prefect_harness: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from prefect_runway.tasks import _uninterrupted
    from prefect_runway.tasks import wait as wait_module

    monkeypatch.setattr(_uninterrupted, "CLEAN_UP_GRACE_SECONDS", 0.05)
    watch_waits = wait_module._watch_waits

    async def never_ends(shared: Any, first_task_id: str) -> int:
        held = await watch_waits(shared, first_task_id)
        stuck.set()
        await asyncio.Event().wait()  # the body returned; the task run never reports its end
        return held

    stuck.clear()
    monkeypatch.setattr(wait_module, "_watch_waits", never_ends)
    out = await hold_exit_cancelled_twice()
    assert out == {"outcome": "cancelled", "registered": []}, out
    assert "still running" in caplog.text  # given up after the grace, and said so


# ---------------------------------------------------------------------------------------------
# One submit's own failure (ambiguous, refused) is its caller's only


@flow(name="shared-runs-own-failures")
async def own_failures(client: RunwayClient, ledger: SubmissionLedger) -> dict[str, Any]:
    async with shared_task_runs_held():
        outcomes = await asyncio.gather(
            *(
                submit_in_shared_run(REQUEST, key=f"own{n}-1", client=client, ledger=ledger)
                for n in range(3)
            ),
            return_exceptions=True,
        )
    return {
        "outcomes": [o if isinstance(o, BaseException) else o.task_id for o in outcomes],
        "flow_run": flow_run.get_id(),
    }


async def test_an_ambiguous_and_a_refused_create_are_their_callers_own(
    prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient,
    ledger: SubmissionLedger,
) -> None:  # fmt: skip
    from prefect_runway.api import AmbiguousSubmission, RunwayAPIError

    # The first create is carried out and its answer lost (ambiguous: it may be billed); the
    # second is refused (400: nothing created); the third goes through. Each caller gets its
    # own, the shared task run ends COMPLETED, and the ledger says each one's truth.
    emulator.set_faults(FaultPlan(rules=[
        Fault(operation="create", kind="reset_after", times=1),
        Fault(operation="create", kind="status", status=400, times=1),
    ]))  # fmt: skip
    out = await own_failures(client, ledger)
    errors = [o for o in out["outcomes"] if isinstance(o, BaseException)]
    assert len(errors) == 2 and any(isinstance(e, AmbiguousSubmission) for e in errors), out
    assert any(isinstance(e, RunwayAPIError) for e in errors), out
    states = {n: (await ledger.read(f"own{n}-1")) for n in range(3)}
    for n, outcome in enumerate(out["outcomes"]):
        entry = states[n]
        assert entry is not None
        if isinstance(outcome, AmbiguousSubmission):
            assert entry.state == "intent" and entry.task_id is None  # may be billed: said so
        elif isinstance(outcome, RunwayAPIError):
            assert entry.state == "refused"  # nothing created: a re-run claims it again
        else:
            assert entry.state == "submitted" and entry.task_id == outcome
    runs = await settled_runs(out["flow_run"], prefix=SUBMIT_RUN, count=1)
    assert [run.state_type for run in runs] == [StateType.COMPLETED], runs
