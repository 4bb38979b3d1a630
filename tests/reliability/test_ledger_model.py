"""Model-based test of the ledger, the plan and the decision logic (issue 16, proof layer a).

Hypothesis drives several runs of the same and of different generations (two of them on one
output name) through the project's real code (tests/reliability/ledger_model.py says which),
step by step: it chooses which run's next I/O operation goes through and how (lost S3
answers, refused or ambiguous creates, crashes just before or after any operation), when
Runway's tasks run, succeed, fail, hide after their create or are deleted elsewhere, when a
user cancels a run, when an output disappears from S3, and how much time passes.

After every step, the books of the fakes (not the ledger's own records) must show:

* no generation paid again while an earlier task of it was alive, succeeded, ambiguous or
  deleted elsewhere (creates happen only after a FAILED attempt or a user's cancellation);
* per generation, creates <= the attempts allowed plus the tasks users cancelled;
* no DELETE of a task another live, uncancelled run was waiting on (a lease surely held);
* each run's charges (Runway's credits for the tasks it created) <= its max_credits;
* no object key written by two generations;
* no run ended with an error the project does not raise on purpose.

At the end every run is driven home and one clean run per generation follows; then every
SUCCEEDED task (not deleted by a user) is stored with the right bytes and sha256, or its
generation stops on an ambiguous attempt that the ledger names (the ``recover`` case).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections import Counter

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from prefect_runway.api import AmbiguousSubmission, RunwayAPIError, WaitCancelled
from prefect_runway.api.errors import OutputDownloadFailed
from prefect_runway.tasks.generate import GenerationResult, execute_plan
from prefect_runway.tasks.ledger import LedgerConflict, SubmissionLedger
from prefect_runway.tasks.locations import NameTaken
from prefect_runway.tasks.plan import CreditBudget
from tests.reliability.ledger_model import (
    CURRENT_RUN,
    MAX_ATTEMPTS,
    Crash,
    FakeRunway,
    Generation,
    MemoryObjects,
    MemoryStore,
    ModelSteps,
    Run,
    World,
    entries_of,
    model_plan,
    replaceable_for,
)

GENERATIONS = (
    Generation("alpha", "harbour"),
    Generation("beta", "lighthouse"),
    Generation("gamma", "harbour"),  # another request on alpha's name
)
#: Errors a run may end with on purpose (each says nothing was paid, or that it may have been).
EXPECTED = (
    AmbiguousSubmission, NameTaken, WaitCancelled, RunwayAPIError, LedgerConflict,
    OutputDownloadFailed,
)  # fmt: skip
#: What the examples exercised, summed (``python -m tests.reliability.test_ledger_model``).
EXERCISED: Counter[str] = Counter()


class LedgerModel(RuleBasedStateMachine):
    """Runs, faults and time against the real decision logic; invariants on the fakes' books."""

    @initialize()
    def world(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.model = World()
        self.store = MemoryStore(self.model, "model/_runway")
        self.objects = MemoryObjects(self.model)
        self.runway = FakeRunway(self.model)
        self.runway.store = self.store
        self.ledger = SubmissionLedger(self.store, "model/_runway", clock=self.model.clock)
        self.unexpected: list[str] = []
        self.count = 0

    # --- running ------------------------------------------------------------------------------

    def _drain(self) -> None:
        """Let every run go until each waits at a gate or is done."""
        for _ in range(10_000):
            moving = [
                r for r in self.model.runs.values()
                if not r.done and r.id not in self.model.pending
            ]  # fmt: skip
            if not moving:
                return
            self.loop.run_until_complete(asyncio.sleep(0))
        raise AssertionError("a run never reached a gate: a loop without I/O")

    async def _run(self, run: Run, generation: Generation) -> None:
        CURRENT_RUN.set(run.id)
        steps = ModelSteps(self.model, self.runway, self.objects, self.ledger, run)
        try:
            plan = await model_plan(generation, self.ledger, self.objects, self.model)
            run.outcome = await execute_plan(
                plan, steps, ledger=self.ledger, budget=CreditBudget(run.max_credits),  # type: ignore[arg-type]
                run=run.id, replaceable=replaceable_for(self.ledger, self.objects, plan.location),
                alive=self._alive, claim_wait=30.0, sleep=self.model.sleep,
            )  # fmt: skip
        except Crash:
            run.outcome = "crashed"
        except EXPECTED as error:
            run.outcome = error
        except Exception as error:  # a bug: reported by the invariant
            run.outcome = error
            self.unexpected.append(f"run {run.id} ({generation.label}): {error!r}")

    async def _alive(self, run_id: str) -> bool:
        return self.model.alive(run_id)

    def _start(
        self, generation: Generation, max_credits: float | None, queue_budget: bool = False
    ) -> Run:
        self.count += 1
        run = Run(f"r{self.count:02d}", generation.label, max_credits, queue_budget)
        self.model.runs[run.id] = run
        run.task = self.loop.create_task(self._run(run, generation))
        self._drain()
        return run

    @precondition(lambda self: sum(not r.done for r in self.model.runs.values()) < 5)
    @rule(
        generation=st.sampled_from(GENERATIONS),
        max_credits=st.sampled_from([None, None, 0.0, 10.0, 30.0]),
        queue_budget=st.booleans(),
    )
    def start_run(
        self, generation: Generation, max_credits: float | None, queue_budget: bool
    ) -> None:
        self._start(generation, max_credits, queue_budget)

    @precondition(lambda self: bool(self.model.pending))
    @rule(choice=st.integers(0, 99), fault=st.integers(0, 99))
    def step(self, choice: int, fault: int) -> None:
        """One run's next operation goes through, half the time with a fault it allows: a
        lost S3 answer, a refused or ambiguous or hidden create, a crash before or after."""
        runs = sorted(self.model.pending)
        run_id = runs[choice % len(runs)]
        faults = [d for d in self.model.pending[run_id].allowed() if d != "go"]
        directive = "go" if fault < 50 or not faults else faults[fault % len(faults)]
        EXERCISED[f"fault {directive} at {self.model.pending[run_id].kind}"] += 1
        self.model.release(run_id, directive)
        self._drain()

    @precondition(lambda self: bool(self.model.pending))
    @rule(choice=st.integers(0, 99), fault=st.integers(0, 99), skip=st.integers(0, 8))
    def fault_at_a_transition(self, choice: int, fault: int, skip: int) -> None:
        """One run goes on alone past ``skip`` transitions (ledger writes, creates, DELETEs,
        stores) to the next, which meets a fault: a lost answer, a refused, ambiguous or
        hidden create, a crash just before or just after it."""
        runs = sorted(self.model.pending)
        run_id = runs[choice % len(runs)]
        for _ in range(200):
            op = self.model.pending.get(run_id)
            if op is None:
                return  # the run ended before any transition
            if op.kind in ("s3.create", "s3.replace", "runway.create", "runway.delete", "obj.put"):
                if skip == 0:
                    break
                skip -= 1
            self.model.release(run_id, "go")
            self._drain()
        else:
            return
        faults = [d for d in op.allowed() if d != "go"]
        directive = faults[fault % len(faults)]
        EXERCISED[f"fault {directive} at {op.kind}"] += 1
        self.model.release(run_id, directive)
        self._drain()

    @precondition(lambda self: bool(self.model.pending))
    @rule(rounds=st.integers(1, 20))
    def go_on(self, rounds: int) -> None:
        """Let every waiting run take a few plain steps (most of a real run's life)."""
        for _ in range(rounds):
            for run_id in sorted(self.model.pending):
                if run_id in self.model.pending:
                    self.model.release(run_id, "go")
            self._drain()

    # --- Runway and S3 ------------------------------------------------------------------------

    def _live_tasks(self) -> list[str]:
        return sorted(t.id for t in self.runway.tasks.values() if not t.terminal and not t.deleted)

    @precondition(lambda self: bool(self._live_tasks()))
    @rule(
        choice=st.integers(0, 99),
        fate=st.sampled_from(["RUNNING", "SUCCEEDED", "SUCCEEDED", "INTERNAL.BAD_OUTPUT",
                              "SAFETY.INPUT.IMAGE"]),
    )  # fmt: skip
    def runway_moves(self, choice: int, fate: str) -> None:
        tasks = self._live_tasks()
        task = self.runway.tasks[tasks[choice % len(tasks)]]
        if fate in ("RUNNING", "SUCCEEDED"):
            task.status = fate
        else:
            task.status, task.failure_code = "FAILED", fate

    @precondition(lambda self: bool(self.runway.tasks))
    @rule(choice=st.integers(0, 99))
    def deleted_elsewhere(self, choice: int) -> None:
        ids = sorted(self.runway.tasks)
        task = self.runway.tasks[ids[choice % len(ids)]]
        if task.deleted is None:
            task.deleted = "elsewhere"
            task.vanished_alive = not task.terminal

    @precondition(
        lambda self: any(not r.done and not r.cancelled for r in self.model.runs.values())
    )
    @rule(choice=st.integers(0, 99))
    def user_cancels(self, choice: int) -> None:
        runs = sorted(r.id for r in self.model.runs.values() if not r.done and not r.cancelled)
        waiting = [r for r in runs if self.model.runs[r].waiting_on is not None]
        runs = waiting or runs  # most cancellations reach a run while it waits
        self.model.runs[runs[choice % len(runs)]].cancelled = True

    @precondition(lambda self: any(k.endswith(".mp4") for k in self.objects.objects))
    @rule(choice=st.integers(0, 99))
    def output_deleted_from_s3(self, choice: int) -> None:
        keys = sorted(k for k in self.objects.objects if k.endswith(".mp4"))
        del self.objects.objects[keys[choice % len(keys)]]

    @rule(seconds=st.sampled_from([1, 20, 60, 130, 700]))
    def time_passes(self, seconds: int) -> None:
        from datetime import timedelta

        self.model.now += timedelta(seconds=seconds)

    # --- the books ----------------------------------------------------------------------------

    @invariant()
    def nothing_paid_twice_or_over_the_attempts_allowed(self) -> None:
        assert self.runway.problems == [], self.runway.problems
        for generation, creates in self.runway.creates.items():
            allowed = MAX_ATTEMPTS + self.runway.user_deletes[generation]
            assert len(creates) <= allowed, (generation, creates, allowed)
            tasks = [self.runway.tasks[t] for t in creates]
            succeeded = [t.id for t in tasks if t.status == "SUCCEEDED" and t.deleted != "user"]
            assert len(succeeded) <= 1, (generation, succeeded)

    @invariant()
    def no_budget_exceeded(self) -> None:
        for run in self.model.runs.values():
            if run.max_credits is None:
                continue
            charged = sum(t.charge for t in self.runway.tasks.values() if t.creator == run.id)
            assert charged <= run.max_credits, (run.id, charged, run.max_credits)

    @invariant()
    def a_queue_timeout_deletes_its_task_or_leaves_it_to_another_run(self) -> None:
        # Not deleted (it left the queue during the decision, or answered 404) and nobody
        # else's: it would run on, paid, its output reaching nobody.
        for run in self.model.runs.values():
            outcome = run.outcome
            if not isinstance(outcome, GenerationResult) or outcome.failure_code != "QUEUE_TIMEOUT":
                continue
            task = self.runway.tasks[outcome.task_id or ""]
            handed_on = "another run waits on it" in (outcome.failure or "")
            assert task.deleted is not None or handed_on, (run.id, task, outcome.failure)

    @invariant()
    def no_two_generations_on_one_object_key(self) -> None:
        shared = {k: w for k, w in self.objects.writers.items() if len(w) > 1}
        assert shared == {}, shared

    @invariant()
    def no_unexpected_error(self) -> None:
        assert self.unexpected == [], self.unexpected

    @invariant()
    def no_run_takes_its_own_claim_for_another_runs(self) -> None:
        # Issue 16, item 8: the claim's write reached S3, its answer was lost, the retry got
        # 412, and the run read its own intent as another run's: AmbiguousSubmission with no
        # create, naming itself. Only a lost create answer may make a run's own claim ambiguous.
        for run in self.model.runs.values():
            if isinstance(run.outcome, AmbiguousSubmission) and f"(flow run {run.id})" in str(
                run.outcome
            ):
                lost = any(t.answer_lost for t in self.runway.tasks.values() if t.creator == run.id)
                assert lost, f"run {run.id} ({run.generation}): {run.outcome}"

    def teardown(self) -> None:
        if not hasattr(self, "loop"):
            return
        try:
            self._drive_home()
            self._every_succeeded_task_is_stored_or_named()
            self._tally()
        finally:
            for run in self.model.runs.values():
                if run.task is not None and not run.task.done():
                    run.task.cancel()
            self.loop.run_until_complete(asyncio.sleep(0))
            self.loop.close()

    def _tally(self) -> None:
        EXERCISED["examples"] += 1
        EXERCISED["steps"] += self.model.steps
        EXERCISED["runs"] += len(self.model.runs)
        EXERCISED["creates"] += sum(len(c) for c in self.runway.creates.values())
        EXERCISED["lost S3 answers"] += self.store.lost_answers
        EXERCISED["412s"] += self.store.conflicts
        EXERCISED["user deletes"] += sum(self.runway.user_deletes.values())
        for run in self.model.runs.values():
            outcome = run.outcome
            if isinstance(outcome, GenerationResult):
                EXERCISED[f"result {outcome.status} {outcome.failure_code or ''}".strip()] += 1
            elif isinstance(outcome, BaseException):
                EXERCISED[f"error {type(outcome).__name__}"] += 1
            else:
                EXERCISED[str(outcome)] += 1
        for entry in entries_of(self.store).values():
            EXERCISED[f"entry {entry.state}"] += 1

    def _drive_home(self) -> None:
        """Everything succeeds, every run finishes, then one clean run per generation."""
        for _ in range(3):
            for _round in range(400):
                for task in self.runway.tasks.values():
                    if not task.terminal and task.deleted is None:
                        task.status = "SUCCEEDED"
                if not self.model.pending:
                    break
                for run_id in sorted(self.model.pending):
                    if run_id in self.model.pending:
                        self.model.release(run_id, "go")
                self._drain()
            assert not self.model.pending, "runs did not finish"
            if _ == 0:
                for generation in GENERATIONS:
                    self._start(generation, None)
        self.no_unexpected_error()
        self.nothing_paid_twice_or_over_the_attempts_allowed()
        self.no_two_generations_on_one_object_key()

    def _every_succeeded_task_is_stored_or_named(self) -> None:
        entries = entries_of(self.store)
        for task in self.runway.tasks.values():
            if task.status != "SUCCEEDED" or task.deleted is not None:
                continue
            generation = next(g for g in GENERATIONS if g.label == task.generation)
            sidecar_body = self.objects.objects.get(generation.location.sidecar_key)
            sidecar = json.loads(sidecar_body.body) if sidecar_body else None
            output = self.objects.objects.get(f"{generation.location.stem}.mp4")
            if sidecar is not None and sidecar["task_id"] == task.id and output is not None:
                digest = hashlib.sha256(output.body).hexdigest()
                assert output.body == task.output() and digest == sidecar["sha256"], task.id
                continue
            ambiguous = [
                e for key, e in entries.items()
                if key.startswith(generation.key) and e.state == "intent" and e.task_id is None
            ]  # fmt: skip
            creator_died = self.model.runs[task.creator].crashed
            assert (task.answer_lost or creator_died) and ambiguous, (
                f"SUCCEEDED task {task.id} of {generation.label} is neither stored nor left "
                f"for recover: sidecar {sidecar}, entries "
                f"{[(k, e.state, e.task_id) for k, e in entries.items()]}"
            )


LedgerModel.TestCase.settings = settings(
    max_examples=int(os.environ.get("RUNWAY_MODEL_EXAMPLES", "200")),
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestLedgerModel = LedgerModel.TestCase


if __name__ == "__main__":
    import logging
    import time

    logging.getLogger("prefect_runway").setLevel(logging.CRITICAL)
    started = time.monotonic()
    TestLedgerModel().runTest()
    seconds = time.monotonic() - started
    for what, count in sorted(EXERCISED.items()):
        print(f"{what:40} {count}")
    print(f"{seconds:.1f} s")
