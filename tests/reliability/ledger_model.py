"""The world of the ledger's model-based test: an atomic in-memory S3, a fake Runway, a scheduler.

Nothing here re-implements the project's decisions: runs execute the real ``SubmissionLedger``
(over ``MemoryStore``), ``next_step``, ``submit_once``, ``execute_plan``, ``Attachment`` and
``wait_with_cancellation``. What is fake is the world they talk to, and it keeps the books:

* ``MemoryStore``: S3's conditional writes exactly (``If-None-Match: *`` -> 412 if the key
  exists; ``If-Match`` -> 412 on a stale ETag, 404 on a missing key), atomic by construction
  (one event loop, no await inside an operation). moto checks conditions but does not lock, so
  the atomicity-dependent invariants are proved here.
* ``FakeRunway``: tasks whose fate the test decides (run, succeed, fail retryable or not, be
  deleted elsewhere, stay invisible after the create), credits held at create and settled
  like Runway's ``cost.credits``; it records every create, GET and DELETE with the run that
  made it.
* ``World``: every I/O operation of every run waits at a gate until the test lets it through,
  with a directive: go, lose the answer (the write applied, its answer lost: S3 then shows a
  412 to botocore's retry), refuse a create (429), lose a create's answer (ambiguous), or kill
  the run just before or just after the operation. Time is fake: a run's sleep moves it.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from prefect_runway.api import AmbiguousSubmission, GenerationRequest, Task, WaitPolicy
from prefect_runway.api.errors import DailyLimitReached, OutputDownloadFailed, TaskNotFound
from prefect_runway.api.failures import FailureClass, classify_failure_code
from prefect_runway.tasks.cost import CostEstimate
from prefect_runway.tasks.generate import GenerationResult
from prefect_runway.tasks.ledger import LedgerEntry, NameHolder, SubmissionLedger, Versioned
from prefect_runway.tasks.locations import OutputLocation
from prefect_runway.tasks.plan import (
    Action,
    GenerationPlan,
    Step,
    name_is_replaceable,
    next_step,
    stored_object_problem,
)
from prefect_runway.tasks.spec import GenerationSpec
from prefect_runway.tasks.submit import SubmittedTask, submit_once
from prefect_runway.tasks.wait import Attachment, wait_with_cancellation

T = TypeVar("T")

CURRENT_RUN: ContextVar[str] = ContextVar("current_run")
ESTIMATE = 10.0
MAX_ATTEMPTS = 2
CLAIM_WAIT = 30.0
POLICY = WaitPolicy(poll_interval=5.0, jitter=0.0)
#: A run given a queue budget: its task DELETEd once queued (PENDING) for longer.
QUEUE_POLICY = WaitPolicy(poll_interval=5.0, jitter=0.0, max_queue_seconds=60.0)
START = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
#: A waiting run renews its lease once half of it (300 s) is gone, before each GET: a run that
#: polled a task less than this long ago holds a valid lease on it.
LEASE_SURELY_HELD = 300.0

WRITE_DIRECTIVES = ("go", "lose", "crash_before", "crash_after")
READ_DIRECTIVES = ("go", "crash_before")
CREATE_DIRECTIVES = ("go", "refuse", "ambiguous", "hidden", "crash_before", "crash_after")
CALL_DIRECTIVES = ("go", "crash_before", "crash_after")


class Crash(BaseException):
    """The run's process was killed here (nothing in the project catches BaseException)."""


# ---------------------------------------------------------------------------------------------
# The scheduler


@dataclass
class Op:
    run: str
    kind: str
    future: asyncio.Future[str]

    def allowed(self) -> tuple[str, ...]:
        if self.kind in ("s3.create", "s3.replace", "s3.put", "obj.put"):
            return WRITE_DIRECTIVES
        if self.kind == "runway.create":
            return CREATE_DIRECTIVES
        if self.kind in ("runway.delete",):
            return CALL_DIRECTIVES
        return READ_DIRECTIVES


@dataclass
class Run:
    id: str
    generation: str
    max_credits: float | None
    queue_budget: bool = False  # waits with QUEUE_POLICY
    task: asyncio.Task[None] | None = None
    cancelled: bool = False
    crashed: bool = False
    outcome: Any = None
    waiting_on: str | None = None

    @property
    def done(self) -> bool:
        return self.task is not None and self.task.done()

    async def is_cancelling(self, *, fresh: bool = False) -> bool:
        return self.cancelled


class World:
    """Time, the gates every I/O operation passes, and the runs."""

    def __init__(self) -> None:
        self.now = START
        self.pending: dict[str, Op] = {}
        self.runs: dict[str, Run] = {}
        self.steps = 0
        # Each run's operation before its current one, and when it passed its gate.
        self.previous: dict[str, tuple[str, datetime] | None] = {}
        self._last: dict[str, tuple[str, datetime]] = {}

    def clock(self) -> datetime:
        return self.now

    async def gate(self, kind: str) -> str:
        run_id = CURRENT_RUN.get()
        run = self.runs[run_id]
        if run.crashed:
            raise Crash
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.pending[run_id] = Op(run_id, kind, future)
        directive = await future
        self.previous[run_id] = self._last.get(run_id)
        self._last[run_id] = (kind, self.now)
        if directive == "crash_before":
            run.crashed = True
            raise Crash
        return directive

    def after(self, directive: str) -> None:
        """Called once the operation applied: a crash right after it."""
        if directive == "crash_after":
            self.runs[CURRENT_RUN.get()].crashed = True
            raise Crash

    async def sleep(self, seconds: float) -> None:
        await self.gate("sleep")
        self.now += timedelta(seconds=seconds)

    def release(self, run_id: str, directive: str) -> None:
        op = self.pending.pop(run_id)
        if directive not in op.allowed():
            directive = "go"
        op.future.set_result(directive)
        self.steps += 1

    def alive(self, run_id: str) -> bool:
        run = self.runs.get(run_id)
        return run is not None and not run.crashed and not run.done


# ---------------------------------------------------------------------------------------------
# S3


class MemoryStore:
    """The ledger's S3, in memory, with S3's conditional-write semantics, atomic by construction."""

    def __init__(self, world: World, folder: str) -> None:
        self.world = world
        self.folder = folder
        self.objects: dict[str, Versioned] = {}
        self._etags = itertools.count(1)
        self.lost_answers = 0
        self.conflicts = 0

    @property
    def location(self) -> str:
        return f"memory://{self.folder}"

    def _etag(self) -> str:
        return f'"{next(self._etags):08x}"'

    async def get(self, key: str) -> Versioned | None:
        directive = await self.world.gate("s3.get")
        found = self.objects.get(key)
        self.world.after(directive)
        return found

    async def _write(
        self, kind: str, key: str, body: bytes, condition: Callable[[], bool]
    ) -> str | None:
        directive = await self.world.gate(kind)
        if not condition():
            self.conflicts += 1
            self.world.after(directive)
            return None
        etag = self._etag()
        self.objects[key] = Versioned(body, etag)
        self.world.after(directive)
        if directive == "lose":
            # Applied, answer lost; botocore sends it again: the object now exists (or has
            # another ETag), so S3 answers the retry 412.
            self.lost_answers += 1
            return None
        return etag

    async def create(self, key: str, body: bytes) -> str | None:
        return await self._write("s3.create", key, body, lambda: key not in self.objects)

    async def replace(self, key: str, body: bytes, etag: str) -> str | None:
        directive = await self.world.gate("s3.replace")
        found = self.objects.get(key)
        if found is None:
            self.world.after(directive)
            raise KeyError(key)  # S3 answers 404 to If-Match on a missing key
        if found.etag != etag:
            self.conflicts += 1
            self.world.after(directive)
            return None
        new = self._etag()
        self.objects[key] = Versioned(body, new)
        self.world.after(directive)
        if directive == "lose":
            self.lost_answers += 1
            return None
        return new

    async def put(self, key: str, body: bytes) -> None:
        await self._write("s3.put", key, body, lambda: True)


@dataclass
class StoredObject:
    body: bytes
    generation: str


class MemoryObjects:
    """Outputs and sidecars in the destination bucket; remembers every generation that wrote
    each key (the books of invariant "no two generations on one object key")."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.objects: dict[str, StoredObject] = {}
        self.writers: dict[str, set[str]] = defaultdict(set)

    async def put(self, key: str, body: bytes, generation: str) -> None:
        directive = await self.world.gate("obj.put")
        self.objects[key] = StoredObject(body, generation)
        self.writers[key].add(generation)
        self.world.after(directive)

    async def get(self, key: str) -> bytes | None:
        directive = await self.world.gate("obj.get")
        found = self.objects.get(key)
        self.world.after(directive)
        return found.body if found else None

    async def head(self, key: str) -> dict[str, Any] | None:
        directive = await self.world.gate("obj.get")
        found = self.objects.get(key)
        self.world.after(directive)
        if found is None:
            return None
        return {"ContentLength": len(found.body), "ETag": f'"{_md5(found.body)}"'}


def _md5(body: bytes) -> str:
    return hashlib.md5(body, usedforsecurity=False).hexdigest()


# ---------------------------------------------------------------------------------------------
# Runway


@dataclass
class FakeTask:
    id: str
    generation: str
    creator: str
    created: datetime
    visible_at: datetime
    status: str = "PENDING"
    failure_code: str | None = None
    deleted: str | None = None  # "user" (a cancelled run's DELETE) or "elsewhere"
    answer_lost: bool = False
    vanished_alive: bool = False  # deleted elsewhere before it ended

    @property
    def terminal(self) -> bool:
        return self.status in ("SUCCEEDED", "FAILED", "CANCELLED")

    @property
    def charge(self) -> float:
        """What it costs now, as Runway's cost.credits would say once it ends."""
        if self.status == "FAILED":
            retryable = classify_failure_code(self.failure_code) is FailureClass.RETRYABLE
            return 0.0 if retryable else ESTIMATE
        if self.status == "CANCELLED":
            # "A prior GET response reporting PENDING or THROTTLED does not guarantee a
            # refund" (Runway): the budget must hold without one.
            return ESTIMATE
        return ESTIMATE  # held while PENDING or RUNNING, charged once SUCCEEDED

    cancelled_while: str | None = None

    def output(self) -> bytes:
        return f"video of {self.id}".encode()


class FakeRunway:
    """Runway as the client sees it (``create``, ``get_task``, ``delete_task``), with books."""

    base_url = "https://fake.runway"

    def __init__(self, world: World) -> None:
        self.world = world
        self.tasks: dict[str, FakeTask] = {}
        self.creates: dict[str, list[str]] = defaultdict(list)
        self.user_deletes: Counter[str] = Counter()
        self.deleted_elsewhere: dict[str, datetime] = {}
        self.gets: dict[tuple[str, str], list[datetime]] = defaultdict(list)
        self.problems: list[str] = []
        self._ids = itertools.count(1)
        self.store: MemoryStore | None = None  # the ledger's, to read who is attached

    def generation_of(self, request: GenerationRequest) -> str:
        return str(request.to_api()["promptText"])

    async def create(self, request: GenerationRequest) -> Any:
        directive = await self.world.gate("runway.create")
        run = CURRENT_RUN.get()
        if directive == "refuse":
            raise DailyLimitReached(status_code=429, operation="create image_to_video",
                                    error="daily limit reached")  # fmt: skip
        generation = self.generation_of(request)
        for earlier in self.creates[generation]:
            task = self.tasks[earlier]
            alive = task.deleted is None and task.status != "FAILED"
            if alive or task.vanished_alive:
                self.problems.append(
                    f"{generation}: paid again (run {run}) while task {earlier} is "
                    f"{task.status}{' deleted ' + task.deleted if task.deleted else ''}"
                )
        task_id = f"t{next(self._ids):04d}"
        hidden = directive == "hidden"
        now = self.world.now
        self.tasks[task_id] = FakeTask(
            task_id, generation, run, now, now + timedelta(seconds=100 if hidden else 0)
        )
        self.creates[generation].append(task_id)
        if directive == "ambiguous":
            self.tasks[task_id].answer_lost = True
            raise AmbiguousSubmission(operation="create image_to_video", cause="reset after send")
        if directive == "crash_after":
            self.tasks[task_id].answer_lost = True
        self.world.after(directive)
        from prefect_runway.api import CreatedTask

        return CreatedTask.model_validate({"id": task_id, "estimatedCost": {"credits": ESTIMATE}})

    def task_view(self, task: FakeTask) -> Task:
        body: dict[str, Any] = {"id": task.id, "status": task.status,
                                "createdAt": task.created.isoformat()}  # fmt: skip
        if task.terminal:
            body["cost"] = {"credits": task.charge}
        else:
            body["estimatedCost"] = {"credits": ESTIMATE}
        if task.status == "SUCCEEDED":
            body["output"] = [f"https://fake.runway/out/{task.id}.mp4?_jwt=secret"]
        if task.status == "FAILED":
            body["failure"] = f"failed: {task.failure_code}"
            body["failureCode"] = task.failure_code
        return Task.model_validate(body)

    async def get_task(self, task_id: str) -> Task:
        directive = await self.world.gate("runway.get")
        task = self.tasks[task_id]
        run = CURRENT_RUN.get()
        # A poll renews the run's lease first (a write, or nothing while it is fresh): a GET
        # right after a pause or a write of its own is a poll with its lease renewed. A GET
        # right after another GET (a queue timeout's or a cancellation's reads) or long after
        # the run's last step (it stalled, its lease may have lapsed) proves no lease.
        before = self.world.previous.get(run)
        if (
            before is not None
            and before[0] != "runway.get"
            and (self.world.now - before[1]).total_seconds() < LEASE_SURELY_HELD
        ):
            self.gets[(run, task_id)].append(self.world.now)
        self.world.after(directive)
        if task.deleted is not None or self.world.now < task.visible_at:
            raise TaskNotFound(status_code=404, operation=f"get task {task_id}")
        return self.task_view(task)

    async def delete_task(self, task_id: str) -> bool:
        directive = await self.world.gate("runway.delete")
        run_id = CURRENT_RUN.get()
        task = self.tasks[task_id]
        if task.deleted is not None:
            self.world.after(directive)
            return False
        if not task.terminal:
            self._check_nobody_else_waits(run_id, task)
            task.cancelled_while = task.status
            task.status = "CANCELLED"
        # A user's cancellation, even of a task that finished between the canceller's GET and
        # its DELETE (Runway documents that race: the DELETE then deletes a finished task):
        # the user allowed paying again for this generation.
        self.user_deletes[task.generation] += 1
        task.deleted = "user"
        self.world.after(directive)
        return True

    def _check_nobody_else_waits(self, deleter: str, task: FakeTask) -> None:
        for run in self.world.runs.values():
            if run.id == deleter or run.waiting_on != task.id or run.cancelled:
                continue
            if not self.world.alive(run.id):
                continue
            attached = self.store is None or any(
                run.id in entry.leases
                for entry in entries_of(self.store).values()
                if entry.task_id == task.id
            )
            if not attached:  # it detached itself: its own queue timeout is giving it up
                continue
            polls = self.gets.get((run.id, task.id), [])
            # Polling steadily (its last two polls close together, the last one recent), it
            # renewed its lease each time: the lease surely held. A run stalled longer than its
            # lease may be taken for gone: that is what a lease is for.
            steady = len(polls) >= 2 and all(
                (later - earlier).total_seconds() < LEASE_SURELY_HELD
                for earlier, later in itertools.pairwise([*polls[-2:], self.world.now])
            )
            polled = polls[-1] if polls else None
            if steady and polled is not None:
                self.problems.append(
                    f"run {deleter} deleted task {task.id} while run {run.id}, alive and not "
                    f"cancelled, waited on it (polled {self.world.now - polled} ago)"
                )

    async def output(self, task_id: str) -> bytes:
        directive = await self.world.gate("runway.get")
        task = self.tasks[task_id]
        self.world.after(directive)
        if task.deleted is not None:
            raise OutputDownloadFailed(url=f"https://fake.runway/out/{task_id}.mp4",
                                       cause="the task was deleted")  # fmt: skip
        return task.output()


# ---------------------------------------------------------------------------------------------
# A generation and its runs


@dataclass(frozen=True)
class Generation:
    """One request under one output name (two generations may share a name on purpose)."""

    label: str
    name: str

    @property
    def spec(self) -> GenerationSpec:
        return GenerationSpec(
            request={"model": "gen4_turbo", "promptImage": f"https://example.com/{self.label}.png",
                     "promptText": self.label, "ratio": "960:960", "duration": 2},
            name=self.name,
        )  # fmt: skip

    @property
    def key(self) -> str:
        return hashlib.sha256(self.label.encode()).hexdigest()[:32]

    @property
    def location(self) -> OutputLocation:
        return OutputLocation.of(prefix="model", name=self.name, key=self.key)


ESTIMATED = CostEstimate(
    model="gen4_turbo", credits_per_second=5, seconds=2, credits=ESTIMATE, at_least=ESTIMATE,
    at_most=ESTIMATE, basis="5 credits/s x 2 s",
)  # fmt: skip


def _read_json(body: bytes | None) -> dict[str, Any] | None:
    return json.loads(body) if body is not None else None


class ModelSteps:
    """``GenerationSteps`` against the fake world: the real submit and wait, a fake store."""

    def __init__(
        self, world: World, runway: FakeRunway, objects: MemoryObjects, ledger: SubmissionLedger,
        run: Run,
    ) -> None:  # fmt: skip
        self.world, self.runway, self.objects, self.ledger, self.run = (
            world, runway, objects, ledger, run,
        )  # fmt: skip

    async def prepare(self, plan: GenerationPlan) -> GenerationRequest:
        from prefect_runway.api import parse_generation_request

        return parse_generation_request(plan.spec.request)

    async def submit(
        self, request: GenerationRequest, *, key: str, over: LedgerEntry | None,
        before_post: Callable[[LedgerEntry], Any],
    ) -> SubmittedTask:  # fmt: skip
        return await submit_once(
            request, key=key, client=self.runway, ledger=self.ledger,  # type: ignore[arg-type]
            run=self.run.id, over=over, claim_wait=CLAIM_WAIT, sleep=self.world.sleep,
            before_post=before_post,
        )  # fmt: skip

    async def wait(
        self, task_id: str, *, attachment: Attachment, created_at: datetime | None
    ) -> Task:
        self.run.waiting_on = task_id
        try:
            return await wait_with_cancellation(
                self.runway, task_id, QUEUE_POLICY if self.run.queue_budget else POLICY,
                cancellation=self.run,  # type: ignore[arg-type]
                attachment=attachment, created_at=created_at, now=self.world.clock,
                sleep=self.world.sleep,
            )  # fmt: skip
        finally:
            self.run.waiting_on = None

    async def get_task(self, task_id: str) -> Task:
        return await self.runway.get_task(task_id)

    async def store(
        self, task: Task, plan: GenerationPlan, attempt: int, total_credits: float
    ) -> GenerationResult:
        body = await self.runway.output(task.id)
        output_key = f"{plan.location.stem}.mp4"
        await self.objects.put(output_key, body, plan.key)
        sidecar = {
            "key": plan.key, "name": plan.name, "attempt": attempt, "task_id": task.id,
            "model": plan.spec.model, "output_uri": f"s3://bucket/{output_key}",
            "size": len(body), "sha256": hashlib.sha256(body).hexdigest(),
            "outputs": [{"key": output_key, "etag": _md5(body)}], "total_credits": total_credits,
        }  # fmt: skip
        await self.objects.put(plan.location.sidecar_key, json.dumps(sidecar).encode(), plan.key)
        return GenerationResult(
            key=plan.key, name=plan.name, status="succeeded", model=plan.spec.model,
            task_id=task.id, attempts=attempt, output_uri=sidecar["output_uri"],
            sha256=sidecar["sha256"], size=len(body), credits=task.credits,
        )  # fmt: skip

    async def stored(self, plan: GenerationPlan) -> GenerationResult | None:
        sidecar = _read_json(await self.objects.get(plan.location.sidecar_key))
        if sidecar is None or sidecar.get("key") != plan.key:
            return None
        return GenerationResult(
            key=plan.key, name=plan.name, status="succeeded", model=plan.spec.model,
            task_id=sidecar["task_id"], attempts=sidecar["attempt"], from_sidecar=True,
            sha256=sidecar["sha256"],
        )  # fmt: skip


async def model_plan(
    generation: Generation, ledger: SubmissionLedger, objects: MemoryObjects, world: World
) -> GenerationPlan:
    """``plan_generation`` over the fake world: the same reads and the same decisions (the
    project's ``stored_object_problem``, ``name_is_replaceable`` and ``next_step``)."""
    location = generation.location
    common: dict[str, Any] = {
        "spec": generation.spec, "key": generation.key, "location": location,
        "content_ids": {}, "estimate": ESTIMATED, "max_attempts": MAX_ATTEMPTS,
    }  # fmt: skip
    sidecar = _read_json(await objects.get(location.sidecar_key))
    if sidecar is not None and sidecar.get("key") != generation.key:
        return GenerationPlan(**common, step=Step(Action.NAME_TAKEN, 1), problem="taken")
    if sidecar is not None:
        outputs = sidecar.get("outputs") or [{}]
        problem = stored_object_problem(sidecar, await objects.head(outputs[0]["key"]))
        action = Action.STORED if problem is None else Action.RESTORE
        return GenerationPlan(
            **common, step=Step(action, sidecar["attempt"]), sidecar=sidecar, problem=problem
        )
    holder = await ledger.name_holder(location.normalised_name)
    if holder is not None and holder.key != generation.key:
        if not await name_is_replaceable(ledger, sidecar_reader(objects, location), holder):
            return GenerationPlan(**common, step=Step(Action.NAME_TAKEN, 1), problem="taken")
    entries = await ledger.read_attempts(generation.key, until=100)
    step = next_step(
        entries, max_attempts=MAX_ATTEMPTS, allow_resubmit=False, now=world.now,
        claim_wait=CLAIM_WAIT,
    )  # fmt: skip
    return GenerationPlan(**common, step=step, entries=tuple(entries))


def sidecar_reader(objects: MemoryObjects, location: OutputLocation) -> Callable[[], Any]:
    async def read() -> dict[str, Any] | None:
        return _read_json(await objects.get(location.sidecar_key))

    return read


def replaceable_for(
    ledger: SubmissionLedger, objects: MemoryObjects, location: OutputLocation
) -> Callable[[NameHolder], Any]:
    async def check(holder: NameHolder) -> bool:
        return await name_is_replaceable(ledger, sidecar_reader(objects, location), holder)

    return check


def entries_of(store: MemoryStore) -> dict[str, LedgerEntry]:
    """Every ledger entry in the store (read directly, outside any run)."""
    found = {}
    for key, value in store.objects.items():
        if key.startswith("ledger/"):
            found[key.removeprefix("ledger/").removesuffix(".json")] = (
                LedgerEntry.model_validate_json(value.body)
            )
    return found


def run_coroutine(loop: asyncio.AbstractEventLoop, coroutine: Any) -> Any:
    return loop.run_until_complete(coroutine)


__all__ = [
    "CURRENT_RUN",
    "Crash",
    "FakeRunway",
    "Generation",
    "MemoryObjects",
    "MemoryStore",
    "ModelSteps",
    "Run",
    "World",
    "entries_of",
    "model_plan",
    "replaceable_for",
]
