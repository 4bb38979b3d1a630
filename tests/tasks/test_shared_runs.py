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
from tests.tasks.test_shared_wait import FINAL, PATIENCE, until

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
