"""The ledger's model, end to end (issue 16, proof layer b): a small derandomized profile.

The same kind of machine as tests/reliability/test_ledger_model.py, but through the real
``generate`` in Prefect flows, the emulator over HTTP and moto's S3 server: runs of the same
and of different generations (two on one output name) start and overlap in real time while
creates are refused, answered ambiguously or FAILED, tasks stay invisible after their create,
ledger writes lose their answers, users cancel runs and outputs disappear from S3. After
every step, the emulator's books and S3 (not the ledger) must show: no generation paid again
while an earlier task of it was alive or succeeded and kept; creates within the attempts
allowed plus the user's cancellations; a budgeted run's tasks within its ``max_credits``;
never two generations' outputs at one key (every version of the shared name's sidecar, the
bucket being versioned). At the end every SUCCEEDED task kept is stored with its bytes'
sha256, or its generation stopped as ambiguous.

Derandomized and small (a few minutes); the thousands of interleavings are the in-memory
model's job, and the long run is ``python3 dev.py storm``.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import time
from collections import Counter
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.runtime import flow_run
from prefect.states import Cancelling
from prefect_aws import S3Bucket

from prefect_runway.api import RetryPolicy, RunwayClient, WaitPolicy
from prefect_runway.tasks.generate import GenerationResult, generate
from prefect_runway.tasks.plan import CreditBudget
from prefect_runway.testing.emulator import Fault, FaultPlan, RunwayEmulator
from tests.media_samples import png_data_uri
from tests.s3 import LostAnswers, MotoServer

PREFIX = "profile"
MAX_ATTEMPTS = 2
POLICY = WaitPolicy(poll_interval=0.05, jitter=0.1)
RETRY = RetryPolicy(max_attempts=3, base_delay=0.02, max_delay=0.1, max_retry_after=0.3)
GENERATIONS = {"alpha": ("harbour", 1), "beta": ("lighthouse", 2), "gamma": ("harbour", 3)}
RUN_IDS: dict[str, UUID] = {}


def spec(label: str, budget_of: str | None = None) -> dict[str, Any]:
    name, seed = GENERATIONS.get(label, (label, 99))
    return {
        "request": {"model": "gen4_turbo", "promptImage": png_data_uri(), "ratio": "960:960",
                    "duration": 2, "seed": seed, "promptText": budget_of or label},
        "name": name,
    }  # fmt: skip


@flow(name="ledger-profile")
async def profile_run(
    spec: dict[str, Any], bucket: S3Bucket, base_url: str, api_key: str, label: str,
    max_credits: float | None,
) -> GenerationResult:  # fmt: skip
    RUN_IDS[label] = UUID(str(flow_run.get_id()))
    async with RunwayClient(api_key, base_url=base_url, retry=RETRY) as client:
        return await generate(
            spec, destination=bucket, prefix=PREFIX, client=client, wait_policy=POLICY,
            max_attempts=MAX_ATTEMPTS, budget=CreditBudget(max_credits),
        )  # fmt: skip


def profile_machine(emulator: RunwayEmulator, s3_server: MotoServer) -> type:
    class LedgerProfile(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            emulator.reset()
            emulator.configure(run_seconds=1.5, queue_seconds=0.1)
            self.loop = asyncio.new_event_loop()
            self.bucket = s3_server.new_bucket()
            self.s3 = self.bucket.credentials.get_s3_client()
            self.s3.put_bucket_versioning(
                Bucket=self.bucket.bucket_name, VersioningConfiguration={"Status": "Enabled"}
            )
            self.runs: dict[str, asyncio.Task[GenerationResult]] = {}
            self.budgets: dict[str, float] = {}
            self.lost: LostAnswers | None = None
            self.count = 0

        # --- runs -------------------------------------------------------------------------

        def _start(self, label: str, max_credits: float | None = None, budget_of: str = "") -> str:
            self.count += 1
            run = f"{label}-{self.count}"
            body = spec(label, budget_of or None)
            self.runs[run] = self.loop.create_task(
                profile_run(
                    body, self.bucket, emulator.base_url, emulator.api_key, run, max_credits
                )
            )
            return run

        def _advance(self, seconds: float) -> None:
            self.loop.run_until_complete(asyncio.sleep(seconds))

        @rule(label=st.sampled_from(sorted(GENERATIONS)))
        def start_run(self, label: str) -> None:
            self._start(label)
            self._advance(0.3)

        @rule(max_credits=st.sampled_from([0.0, 10.0, 20.0]))
        def start_budgeted_run(self, max_credits: float) -> None:
            # A generation of its own: every task with its prompt is this run's to pay.
            budget_of = f"budget-{self.count + 1}"
            run = self._start("beta", max_credits, budget_of)
            self.budgets[budget_of] = max_credits
            del run
            self._advance(0.3)

        @rule(seconds=st.sampled_from([0.2, 1.0, 3.0]))
        def time_passes(self, seconds: float) -> None:
            self._advance(seconds)

        # --- faults -----------------------------------------------------------------------

        @rule(kind=st.sampled_from(["reset_after", "429", "fail", "invisible", "slow"]))
        def runway_fault(self, kind: str) -> None:
            rule_for = {
                "reset_after": Fault(operation="create", kind="reset_after"),
                "429": Fault(operation="create", kind="status", status=429),
                "fail": Fault(operation="task", kind="fail", failure_code="INTERNAL.BAD"),
                "invisible": Fault(operation="poll", kind="not_found", times=20),
                "slow": Fault(operation="create", kind="slow", delay=1.0),
            }
            emulator.set_faults(FaultPlan(rules=[rule_for[kind]]))
            self._advance(0.5)

        @rule()
        def a_ledger_answer_is_lost(self) -> None:
            if self.lost is not None:
                self.lost.__exit__()
            self.lost = LostAnswers(self.s3, "PutObject", lambda key: "/_runway/" in key)
            self.lost.__enter__()
            self._advance(0.5)

        @rule(choice=st.integers(0, 20))
        def user_cancels(self, choice: int) -> None:
            live = sorted(run for run, task in self.runs.items() if not task.done())
            if not live or live[choice % len(live)] not in RUN_IDS:
                return
            run_id = RUN_IDS[live[choice % len(live)]]

            async def cancel() -> None:
                async with get_client() as prefect:
                    await prefect.set_flow_run_state(run_id, Cancelling(), force=True)

            self.loop.run_until_complete(cancel())
            self._advance(0.5)

        @rule()
        def an_output_disappears(self) -> None:
            listed = self.s3.list_objects_v2(Bucket=self.bucket.bucket_name)
            outputs = sorted(
                o["Key"] for o in listed.get("Contents", []) if o["Key"].endswith(".mp4")
            )
            if outputs:
                self.s3.delete_object(Bucket=self.bucket.bucket_name, Key=outputs[0])

        # --- the books ----------------------------------------------------------------------

        def _tasks(self) -> list[dict[str, Any]]:
            return [emulator.task(t) for t in emulator.stats()["task_ids"]]

        @invariant()
        def books(self) -> None:
            stats = emulator.stats()
            user_deleted = set(stats["deleted_task_ids"])
            by_prompt: dict[str, list[dict[str, Any]]] = {}
            for task in self._tasks():
                by_prompt.setdefault(task["request"].get("promptText"), []).append(task)
            for prompt, tasks in by_prompt.items():
                tasks.sort(key=lambda t: t["created_at"]["monotonic"])
                deleted = sum(t["id"] in user_deleted for t in tasks)
                assert len(tasks) <= MAX_ATTEMPTS + deleted, (prompt, [t["id"] for t in tasks])
                kept = [
                    t for t in tasks if t["status"] == "SUCCEEDED" and t["id"] not in user_deleted
                ]
                assert len(kept) <= 1, (prompt, "paid twice", [t["id"] for t in kept])
                # Paid again only after the earlier task FAILED or a user's cancellation.
                for earlier, later in itertools.pairwise(tasks):
                    assert earlier["status"] == "FAILED" or earlier["id"] in user_deleted, (
                        prompt, earlier["id"], earlier["status"], "then", later["id"],
                    )  # fmt: skip
                if prompt in self.budgets:
                    charged = sum(t["cost"] or t["estimated_cost"] for t in tasks)
                    assert charged <= self.budgets[prompt], (prompt, charged)

        @invariant()
        def one_generation_per_object_key(self) -> None:
            listed = self.s3.list_object_versions(
                Bucket=self.bucket.bucket_name, Prefix=f"runway-out/{PREFIX}/harbour.json"
            )
            keys = set()
            for version in listed.get("Versions", []):
                body = self.s3.get_object(
                    Bucket=self.bucket.bucket_name, Key=version["Key"],
                    VersionId=version["VersionId"],
                )["Body"].read()  # fmt: skip
                keys.add(json.loads(body)["key"])
            assert len(keys) <= 1, keys

        def teardown(self) -> None:
            try:
                if self.lost is not None:
                    self.lost.__exit__()
                emulator.set_faults(FaultPlan())
                emulator.configure(run_seconds=0.2)
                self._finish()
                for label in sorted(GENERATIONS):  # one clean run each settles the rest
                    self._start(label)
                self._finish()
                self.books()
                self._every_kept_success_is_stored()
            finally:
                for task in self.runs.values():
                    task.cancel()
                self.loop.run_until_complete(asyncio.sleep(0.1))
                self.loop.close()

        def _finish(self) -> None:
            deadline = time.monotonic() + 120
            while not all(task.done() for task in self.runs.values()):
                assert time.monotonic() < deadline, "runs did not finish"
                self._advance(0.2)
            for task in self.runs.values():
                task.exception() if not task.cancelled() else None  # retrieve: no warnings

        def _every_kept_success_is_stored(self) -> None:
            user_deleted = set(emulator.stats()["deleted_task_ids"])
            outcomes = Counter(
                type(task.exception()).__name__ if task.exception() else task.result().status
                for task in self.runs.values()
                if not task.cancelled()
            )
            for task in self._tasks():
                if task["status"] != "SUCCEEDED" or task["id"] in user_deleted:
                    continue
                prompt = task["request"]["promptText"]
                name = GENERATIONS.get(prompt, (prompt,))[0]
                key = f"runway-out/{PREFIX}/{name}.json"
                try:
                    sidecar = json.loads(
                        self.s3.get_object(Bucket=self.bucket.bucket_name, Key=key)["Body"].read()
                    )
                except self.s3.exceptions.NoSuchKey:
                    sidecar = None
                if sidecar is not None and sidecar["task_id"] == task["id"]:
                    output = sidecar["output_uri"].split("/", 3)[3]
                    body = self.s3.get_object(Bucket=self.bucket.bucket_name, Key=output)["Body"]
                    digest = hashlib.sha256(body.read()).hexdigest()
                    assert digest == sidecar["sha256"] == task["outputs"][0]["sha256"], task["id"]
                    continue
                assert outcomes["AmbiguousSubmission"] > 0, (
                    f"SUCCEEDED task {task['id']} ({prompt}) neither stored nor ambiguous; "
                    f"outcomes {dict(outcomes)}"
                )

    return LedgerProfile


def test_the_ledgers_model_end_to_end(
    prefect_harness: str, emulator_session: RunwayEmulator, s3_server: MotoServer
) -> None:
    machine = profile_machine(emulator_session, s3_server)
    run_state_machine_as_test(
        machine,
        settings=settings(
            derandomize=True, max_examples=3, stateful_step_count=10, deadline=None,
            database=None, suppress_health_check=list(HealthCheck),
        ),
    )  # fmt: skip
