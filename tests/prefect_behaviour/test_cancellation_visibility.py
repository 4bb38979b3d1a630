"""Pins: cancelling a flow run stops it only when a runner (``serve``) runs it.

"Cancel" here is what the UI does: set the flow run's state to CANCELLING through the API
(``set_flow_run_state(id, Cancelling(), force=True)``).

(a) A flow **called in-process** (a script calls the async flow directly, no runner):

* nothing stops it. Its tasks keep running and completing while the run is CANCELLING;
* it DOES see the request: every read of its own flow run (``prefect.runtime.flow_run.id`` +
  ``get_client().read_flow_run``) made after the CANCELLING state was accepted returns type
  CANCELLING. That is the whole signal it gets: a wait loop that reads the run's state each poll
  can act on a confirmed CANCELLING (e.g. DELETE the in-flight Runway task);
* what it does next decides the run's final state, because the server only lets a CANCELLING
  flow run move to CANCELLED (``EnforceCancellingToCancelledTransition``):

  - it carries on and returns normally: the caller gets the return value, but the Completed state
    is rejected and the run stays **CANCELLING forever** (never final); the engine logs "Finished
    in state Cancelling()" and runs ``on_cancellation`` hooks in the same process;
  - it raises: the caller gets the exception, the run again stays CANCELLING, and
    ``on_cancellation`` hooks run in the same process;
  - it returns ``Cancelled(...)``: the run becomes **CANCELLED** (with that message), the caller
    gets ``CancelledRun`` raised, and ``on_cancellation`` hooks do NOT run (they run on the
    Cancelling state only).

(b) A flow **started by** ``flow.serve(...)`` (a ``Runner``; here with
``PREFECT_RUNNER_POLL_FREQUENCY=1``, which only sets how often it looks for scheduled runs):

* the runner learns of CANCELLING from the server's event stream (websocket), asks the flow
  process over its loopback control channel to acknowledge a "cancel" intent (1 s ack timeout),
  then sends it **SIGTERM**, checks every 3 s whether it exited (SIGKILL after a 30 s grace), runs
  the flow's ``on_cancellation`` hooks **in the runner (serve) process**, and sets the run
  **CANCELLED** ("Flow run was cancelled successfully."). History: Running, Cancelling, Cancelled;
* in the flow process, Prefect's SIGTERM bridge raises ``TerminationSignal``; the flow body
  usually sees it as ``asyncio.CancelledError`` (whose context is the ``TerminationSignal``),
  because the signal lands in the event loop while the body awaits. The body can still call the
  API before it re-raises: its own run then reads **CANCELLING**;
* whether the flow's own poll loop reads CANCELLING before the SIGTERM is a race the runner
  usually wins (no poll at 0.2 s saw it in our runs). The product must not rely on the poll loop;
  it can rely on the read made when its body is interrupted;
* a **plain SIGTERM** to the flow process with no cancellation requested ends the run
  **CRASHED** ("Execution was cancelled by the runtime environment."), history Running, Crashed;
  ``on_crashed`` hooks run in the flow process, ``on_cancellation`` hooks run nowhere, and the
  run's state read when the body is interrupted is **RUNNING**. So "interrupted and my run reads
  CANCELLING" means cancel (DELETE the Runway task); "interrupted and it reads RUNNING" means the
  process is being stopped for some other reason (do NOT delete anything);
* a flow that installs **its own SIGTERM handler** (even one that calls Prefect's handler after
  it) breaks the graceful path: the control-channel ack checks that Prefect's own handler is
  installed, so the runner gets no ack and force-kills. The marker shows the process got SIGTERM;
  the flow engine reports **Crashed** (``on_crashed`` runs in the flow process) and only then does
  the runner run ``on_cancellation`` and overwrite it with Cancelled: history Running,
  Cancelling, Crashed, Cancelled. Anything waiting for "the first final state" sees Crashed. The
  product must not install a SIGTERM handler in its flows.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.objects import StateType
from prefect.states import Cancelling

from tests.prefect_behaviour._support import (
    kill_by_pid,
    pid_alive,
    read_jsonl,
    script,
    start,
    stop,
    subprocess_env,
    tail,
    wait_until,
)

IN_PROCESS_SCRIPT = script("_flow_in_process_cancel.py")
SERVED_SCRIPT = script("_flow_served.py")
SERVED_DEPLOYMENT = "served-watcher/behaviour"
RUNNER_POLL_FREQUENCY = "1"


@dataclass
class Observed:
    """What one flow run did, as seen from inside it and from the API."""

    flow_run_id: str
    flow_pid: int
    records: list[dict[str, Any]]
    final_type: str
    final_name: str
    final_message: str | None
    history: list[str]
    cancel_requested_at: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def polls(self) -> list[dict[str, Any]]:
        return [r for r in self.records if "poll" in r]

    @property
    def hooks(self) -> list[dict[str, Any]]:
        return [r for r in self.records if "hook" in r]

    def one(self, key: str) -> dict[str, Any]:
        matching = [r for r in self.records if key in r]
        assert len(matching) == 1, (key, self.records)
        return matching[0]


def _client() -> SyncPrefectClient:
    return get_client(sync_client=True)


def _state(client: SyncPrefectClient, flow_run_id: str) -> Any:
    return client.read_flow_run(flow_run_id).state


def _history(client: SyncPrefectClient, flow_run_id: str) -> list[str]:
    states = client.read_flow_run_states(flow_run_id)
    return [s.name for s in sorted(states, key=lambda s: s.timestamp)]


def _request_cancellation(client: SyncPrefectClient, flow_run_id: str, marker: Path) -> float:
    """Cancel the way the UI does; the marker lets the flow tell reads before and after apart."""
    requested_at = time.time()
    result = client.set_flow_run_state(flow_run_id, Cancelling(), force=True)
    assert result.state is not None and result.state.type == StateType.CANCELLING, result
    marker.touch()
    return requested_at


# --------------------------------------------------------------------------------------------
# (a) in-process
# --------------------------------------------------------------------------------------------

BEHAVIOURS = ("keep_going", "raise", "return_cancelled")


@pytest.fixture(scope="module")
def in_process_runs(
    prefect_harness: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Observed]]:
    """Run the three in-process flows at once, cancel each while it polls, let each end."""
    processes = {}
    works = {}
    try:
        for behaviour in BEHAVIOURS:
            work = tmp_path_factory.mktemp(f"in-process-{behaviour}")
            works[behaviour] = work
            env = subprocess_env(prefect_harness, work, WORK_DIR=str(work), BEHAVIOUR=behaviour)
            processes[behaviour] = start([IN_PROCESS_SCRIPT], env, work / "flow.log")

        observed = {}
        with _client() as client:
            for behaviour in BEHAVIOURS:
                work, process = works[behaviour], processes[behaviour]
                observations = work / "observations.jsonl"

                def diagnostics(work: Path = work) -> str:
                    return tail(work / "flow.log")

                wait_until(
                    lambda obs=observations: (
                        len([r for r in read_jsonl(obs) if r.get("seen") == "RUNNING"]) >= 2
                    ),
                    f"{behaviour}: two polls that see RUNNING",
                    diagnostics=diagnostics,
                )
                started = next(r for r in read_jsonl(observations) if "started" in r)
                flow_run_id = started["flow_run_id"]
                requested_at = _request_cancellation(client, flow_run_id, work / "cancel_requested")
                wait_until(
                    lambda p=process: p.poll() is not None,
                    f"{behaviour}: the flow process to end on its own",
                    diagnostics=diagnostics,
                )
                state = _state(client, flow_run_id)
                observed[behaviour] = Observed(
                    flow_run_id=flow_run_id,
                    flow_pid=process.pid,
                    records=read_jsonl(observations),
                    final_type=state.type.value,
                    final_name=state.name,
                    final_message=state.message,
                    history=_history(client, flow_run_id),
                    cancel_requested_at=requested_at,
                    extra={"exit_code": process.returncode, "log": tail(work / "flow.log")},
                )
        yield observed
    finally:
        for process in processes.values():
            stop(process)


def test_in_process_flow_reads_cancelling_but_nothing_stops_it(
    in_process_runs: dict[str, Observed],
) -> None:
    run = in_process_runs["keep_going"]
    before = [p for p in run.polls if not p["cancel_requested_before_read"]]
    after = [p for p in run.polls if p["cancel_requested_before_read"]]

    # Every read made after CANCELLING was accepted sees CANCELLING (a read racing the request
    # may see either); the body chose to stop after its third sighting.
    assert after and {p["seen"] for p in after} == {"CANCELLING"}, run.polls
    assert {p["seen"] for p in before[:2]} == {"RUNNING"}, run.polls
    assert [p["seen"] for p in run.polls].count("CANCELLING") == 3, run.polls
    # Tasks keep running and completing while the flow run is CANCELLING.
    assert {p["task_state"] for p in run.polls} == {"COMPLETED"}
    # The direct call returned the flow's value...
    assert run.one("caller")["caller"] == "returned"
    assert run.one("caller")["value"] == "finished on its own"
    assert run.extra["exit_code"] == 0
    # ...but the run never leaves CANCELLING: its Completed state was rejected.
    assert (run.final_type, run.final_name) == ("CANCELLING", "Cancelling"), run.extra["log"]
    assert run.history[-2:] == ["Running", "Cancelling"]
    assert "Finished in state Cancelling()" in run.extra["log"]


def test_in_process_on_cancellation_hook_runs_in_the_flow_process(
    in_process_runs: dict[str, Observed],
) -> None:
    for behaviour in ("keep_going", "raise"):
        run = in_process_runs[behaviour]
        assert [(h["hook"], h["state"]) for h in run.hooks] == [
            ("on_cancellation", "CANCELLING")
        ], behaviour
        assert run.hooks[0]["pid"] == run.flow_pid


def test_in_process_flow_that_raises_leaves_run_cancelling(
    in_process_runs: dict[str, Observed],
) -> None:
    run = in_process_runs["raise"]
    assert [p["seen"] for p in run.polls][-1] == "CANCELLING"
    assert run.one("caller")["caller"] == "raised"
    assert run.one("caller")["exception"] == "RuntimeError"
    assert run.extra["exit_code"] != 0
    assert (run.final_type, run.final_name) == ("CANCELLING", "Cancelling"), run.extra["log"]


def test_in_process_flow_that_returns_cancelled_ends_cancelled(
    in_process_runs: dict[str, Observed],
) -> None:
    run = in_process_runs["return_cancelled"]
    assert [p["seen"] for p in run.polls][-1] == "CANCELLING"
    assert (run.final_type, run.final_name) == ("CANCELLED", "Cancelled"), run.extra["log"]
    assert run.final_message == "the flow saw CANCELLING and stopped"
    assert run.history[-3:] == ["Running", "Cancelling", "Cancelled"]
    assert run.one("caller")["caller"] == "raised"
    assert run.one("caller")["exception"] == "CancelledRun"
    # on_cancellation hooks fire on a Cancelling state only: none ran here.
    assert run.hooks == []


# --------------------------------------------------------------------------------------------
# (b) served
# --------------------------------------------------------------------------------------------

SERVED_SCENARIOS = {
    # Order matters: the plain SIGTERM goes first, so that by the time the cancellations are
    # done its run has had every chance to be touched by the runner (it must not be).
    "sigterm_without_cancel": {"own_sigterm_handler": False},
    "cancel": {"own_sigterm_handler": False},
    "cancel_with_own_sigterm_handler": {"own_sigterm_handler": True},
}


@pytest.fixture(scope="module")
def served_runs(
    prefect_harness: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Observed]]:
    """Serve the watcher flow, start one run per scenario, then stop each run its own way."""
    work = tmp_path_factory.mktemp("served")
    observations = work / "observations.jsonl"
    env = subprocess_env(
        prefect_harness,
        work,
        WORK_DIR=str(work),
        PREFECT_RUNNER_POLL_FREQUENCY=RUNNER_POLL_FREQUENCY,
    )

    def diagnostics() -> str:
        return tail(work / "serve.log", 80)

    def records_for(flow_run_id: str) -> list[dict[str, Any]]:
        return [r for r in read_jsonl(observations) if r.get("flow_run_id") == flow_run_id]

    serve = start([SERVED_SCRIPT], env, work / "serve.log")
    try:
        with _client() as client:

            def deployment() -> Any:
                try:
                    return client.read_deployment_by_name(SERVED_DEPLOYMENT)
                except Exception:
                    return None

            deployment_id = wait_until(
                deployment, "the served deployment", diagnostics=diagnostics
            ).id
            serve_pid = next(r["pid"] for r in read_jsonl(observations) if "serving" in r)
            assert serve_pid == serve.pid

            # Start every run at once: the runner runs them side by side.
            run_ids = {
                name: str(
                    client.create_flow_run_from_deployment(deployment_id, parameters=params).id
                )
                for name, params in SERVED_SCENARIOS.items()
            }
            for name, flow_run_id in run_ids.items():
                wait_until(
                    lambda fid=flow_run_id: (
                        len([r for r in records_for(fid) if r.get("seen") == "RUNNING"]) >= 2
                    ),
                    f"{name}: the served flow polling while RUNNING",
                    diagnostics=diagnostics,
                )

            observed = {}
            for name, flow_run_id in run_ids.items():
                flow_pid = next(r["pid"] for r in records_for(flow_run_id) if "started" in r)
                requested_at = None
                if name == "sigterm_without_cancel":
                    os.kill(flow_pid, signal.SIGTERM)
                    wait_until(
                        lambda fid=flow_run_id: _state(client, fid).is_final(),
                        f"{name}: a final state",
                        diagnostics=diagnostics,
                    )
                else:
                    requested_at = _request_cancellation(
                        client, flow_run_id, work / f"cancel_requested-{flow_run_id}"
                    )
                    wait_until(
                        lambda fid=flow_run_id: _state(client, fid).is_cancelled(),
                        f"{name}: CANCELLED",
                        diagnostics=diagnostics,
                    )
                wait_until(
                    lambda pid=flow_pid: not pid_alive(pid),
                    f"{name}: the flow process to be gone",
                    diagnostics=diagnostics,
                )
                observed[name] = Observed(
                    flow_run_id=flow_run_id,
                    flow_pid=flow_pid,
                    records=[],
                    final_type="",
                    final_name="",
                    final_message=None,
                    history=[],
                    cancel_requested_at=requested_at,
                    extra={"serve_pid": serve.pid},
                )

            # Read everything only now, after the last scenario, so a late change shows up.
            for run in observed.values():
                state = _state(client, run.flow_run_id)
                states = client.read_flow_run_states(run.flow_run_id)
                run.records = records_for(run.flow_run_id)
                run.final_type, run.final_name = state.type.value, state.name
                run.final_message = state.message
                run.history = [s.name for s in sorted(states, key=lambda s: s.timestamp)]
                run.extra["state_times"] = {s.name: s.timestamp.timestamp() for s in states}
                run.extra["log"] = diagnostics()
        yield observed
    finally:
        stop(serve, graceful=signal.SIGINT)
        # Every flow process the runner started for us, in case one outlived the serve process.
        for pid in {r["pid"] for r in read_jsonl(observations) if "started" in r}:
            if pid_alive(pid):
                kill_by_pid(pid)


def _interruption(run: Observed) -> dict[str, Any]:
    return run.one("interrupted")


def test_served_cancel_sigterms_the_flow_and_ends_cancelled(
    served_runs: dict[str, Observed],
) -> None:
    run = served_runs["cancel"]
    assert (run.final_type, run.final_name) == ("CANCELLED", "Cancelled"), run.extra["log"]
    assert run.final_message == "Flow run was cancelled successfully."
    assert run.history[-3:] == ["Running", "Cancelling", "Cancelled"], run.history
    assert "Crashed" not in run.history

    interrupted = _interruption(run)
    # Prefect's SIGTERM bridge raised TerminationSignal; awaiting code sees it as CancelledError.
    assert "TerminationSignal" in interrupted["interrupted"], interrupted
    assert interrupted["interrupted"][0] in ("CancelledError", "TerminationSignal"), interrupted
    assert interrupted["intent"] == "cancel", interrupted
    # The body can still reach the API after the SIGTERM, and its run reads CANCELLING.
    assert interrupted["state_when_interrupted"] == "CANCELLING", interrupted
    assert interrupted["pid"] == run.flow_pid


def test_served_on_cancellation_hook_runs_in_the_runner_process(
    served_runs: dict[str, Observed],
) -> None:
    run = served_runs["cancel"]
    assert [(h["hook"], h["state"]) for h in run.hooks] == [("on_cancellation", "CANCELLING")]
    assert run.hooks[0]["pid"] == run.extra["serve_pid"] != run.flow_pid


def test_served_flow_poll_loop_cannot_count_on_seeing_cancelling(
    served_runs: dict[str, Observed],
) -> None:
    """Not a timing assertion: records how many polls saw CANCELLING before the SIGTERM."""
    run = served_runs["cancel"]
    requested = [p for p in run.polls if p["cancel_requested_before_read"]]
    before = [p for p in run.polls if not p["cancel_requested_before_read"]]
    assert {p["seen"] for p in before[:2]} == {"RUNNING"}
    # Any poll that started after the request could only have seen CANCELLING.
    assert {p["seen"] for p in requested} <= {"CANCELLING"}
    interrupted_at = _interruption(run)["at"]
    cancelled_at = run.extra["state_times"]["Cancelled"]
    assert run.cancel_requested_at is not None
    print(
        f"\nserved cancel: {len(requested)} poll(s) saw CANCELLING before the body was "
        f"interrupted; SIGTERM reached the body {interrupted_at - run.cancel_requested_at:.2f} s "
        f"and the run was Cancelled {cancelled_at - run.cancel_requested_at:.2f} s after the "
        f"CANCELLING request (runner poll frequency {RUNNER_POLL_FREQUENCY} s)"
    )


def test_plain_sigterm_without_cancellation_crashes_the_run(
    served_runs: dict[str, Observed],
) -> None:
    run = served_runs["sigterm_without_cancel"]
    assert (run.final_type, run.final_name) == ("CRASHED", "Crashed"), run.extra["log"]
    # The wording depends on where the SIGTERM lands (an awaiting task: CancelledError; the
    # event loop's selector: Prefect's TerminationSignal), which varies with load.
    assert run.final_message in (
        "Execution was cancelled by the runtime environment.",
        "Execution was aborted by a termination signal.",
    )
    assert run.history[-2:] == ["Running", "Crashed"], run.history
    assert "Cancelling" not in run.history and "Cancelled" not in run.history

    interrupted = _interruption(run)
    assert "TerminationSignal" in interrupted["interrupted"], interrupted
    assert interrupted["intent"] is None, interrupted
    # The discriminator the product can use: no cancellation was asked for, the run reads RUNNING.
    assert interrupted["state_when_interrupted"] == "RUNNING", interrupted

    assert [(h["hook"], h["state"]) for h in run.hooks] == [("on_crashed", "CRASHED")]
    assert run.hooks[0]["pid"] == run.flow_pid


def test_own_sigterm_handler_turns_served_cancel_into_crash_then_cancelled(
    served_runs: dict[str, Observed],
) -> None:
    run = served_runs["cancel_with_own_sigterm_handler"]
    # The process did get SIGTERM: the flow's own handler wrote its marker.
    assert run.one("sigterm_handler")["pid"] == run.flow_pid
    # Without Prefect's acknowledgement the runner force-kills the process; how far the flow
    # got before that (its interruption record, a Crashed state of its own) depends on load,
    # so only the outcome is pinned: the run ends Cancelled, with the runner's hook.
    interrupted = [r for r in run.records if "interrupted" in r]
    for record in interrupted:
        assert record["intent"] is None, record  # never acknowledged
    assert "Cancelling" in run.history and run.history[-1] == "Cancelled", run.history
    assert (run.final_type, run.final_name) == ("CANCELLED", "Cancelled")
    hooks = {(h["hook"], h["state"], h["pid"]) for h in run.hooks}
    assert ("on_cancellation", "CANCELLING", run.extra["serve_pid"]) in hooks
    assert hooks <= {
        ("on_crashed", "CRASHED", run.flow_pid),
        ("on_cancellation", "CANCELLING", run.extra["serve_pid"]),
    }
