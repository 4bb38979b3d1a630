"""The fault storm: many generations through the batch flow while every HTTP point misbehaves.

Runway's side is the emulator with seeded random faults on creates (503, 429, resets before and
after sending, 502/504), polls (5xx, resets, slow answers, 404 blips), downloads (truncated
bodies, expired links, resets, 200 to a Range request), the organization read, and FAILED
results with retryable codes. S3's side is moto, with faults injected by botocore's
``before-send`` hook on the S3Bucket block's own (cached) client: *transient* ones that
botocore's retries absorb, and *sticky* ones that fail every botocore attempt of one call, so
the project's code must deal with them (UploadPart, CompleteMultipartUpload, PutObject).

The storm runs batches at the same time over the same destination (``run_storm`` says which):
the main one, a duplicate of a quarter of its rows, one the user cancels mid-way, one under
``max_credits``, while someone deletes running tasks elsewhere; then the multipart cohort (9 MiB
outputs); then, faults off, one batch of every row settles what can be settled.

What must hold afterwards, from the emulator's books and S3 (``StormFigures.problems`` lists
every breach):

* every generation is delivered (its S3 object's sha256 equals the sidecar's and the emulator's),
  or reported ambiguous by name, or stopped as vanished (its task deleted elsewhere), or refused
  before anything was created (429 on create with the daily quota used up, or 429s past the
  retry budget; DESIGN.md), or failed after ``max_attempts`` FAILED results;
* no generation keeps two SUCCEEDED Runway tasks (nothing paid twice), no SUCCEEDED task is left
  unstored outside an ambiguous row (no paid output lost), and every task is accounted for:
  creates = delivered + FAILED + deleted by the user's cancellation + deleted elsewhere +
  ambiguous creates (tasks the ledger never learnt of, each in an ambiguous row);
* a cancelled batch deletes only what nobody else waits on: a task the duplicate or main batch
  waited on and that the cancel deleted would leave that row vanished, which is a breach;
* the budgeted batch's tasks cost at most its ``max_credits``;
* no incomplete multipart upload is left, and the API key is in no S3 object.

Run from the tests (a small storm) or ``python3 dev.py storm`` (1000 generations, 10 tasks
deleted elsewhere; writes ``tests/reliability/last-storm.json`` and the table in
RELIABILITY.md).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import re
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from prefect_aws import S3Bucket
from pydantic import SecretStr

from prefect_runway.blocks import RunwayCredentials
from prefect_runway.testing.emulator import (
    EmulatorConfig,
    Fault,
    FaultPlan,
    RandomFaults,
    RunwayEmulator,
)
from tests.media_samples import png_data_uri
from tests.s3 import MotoServer

ROOT = Path(__file__).resolve().parents[2]
FIGURES_JSON = Path(__file__).with_name("last-storm.json")
RELIABILITY_MD = ROOT / "RELIABILITY.md"
PREFIX = "storm"
MAX_ATTEMPTS = 4
MULTIPART_BYTES = 9 * 1024 * 1024  # above the 8 MiB part size: two parts

#: Retryable FAILED codes (DESIGN.md "the decision"), spread over the failures.
RETRYABLE_CODES = (
    "INTERNAL.BAD_OUTPUT.CODE01",
    "INPUT_PREPROCESSING.INTERNAL",
    "THIRD_PARTY.UNAVAILABLE",
    "",  # no code
)

#: Probability per request (emulator: per HTTP request of the operation; see emulator/faults.py).
EMULATOR_RATES: dict[str, float] = {
    "create:status:503": 0.05,
    "create:status:429": 0.01,
    "create:status:502": 0.01,
    "create:status:504": 0.01,
    "create:reset_before": 0.01,
    "create:reset_after": 0.01,
    "create:slow:0.2": 0.03,
    "poll:status:500": 0.03,
    "poll:status:502": 0.02,
    "poll:status:503": 0.03,
    "poll:status:504": 0.02,
    "poll:reset_before": 0.01,
    "poll:reset_after": 0.02,
    "poll:slow:0.3": 0.02,
    "poll:not_found": 0.03,
    "download:truncate": 0.04,
    "download:expire_link": 0.03,
    "download:reset_after": 0.02,
    "download:ignore_range": 0.10,
    "download:status:503": 0.02,
    "organization:status:503": 0.2,
    **{f"task:fail:{code}" if code else "task:fail": 0.03 for code in RETRYABLE_CODES},
}

#: S3: sticky faults fail every botocore attempt of one call; transient ones one attempt.
S3_STICKY_RATES: dict[str, float] = {
    "PutObject": 0.02,
    "UploadPart": 0.05,
    "CompleteMultipartUpload": 0.05,
}
#: S3: the write reaches S3 and its answer is lost; botocore sends it again (a conditional
#: write then meets itself: 412, which the ledger must read as its own, issue 16 item 8).
S3_LOST_RATES: dict[str, float] = {"PutObject": 0.03}
S3_TRANSIENT_RATES: dict[str, float] = {
    "PutObject": 0.05,
    "UploadPart": 0.05,
    "CompleteMultipartUpload": 0.05,
    "GetObject": 0.03,
    "HeadObject": 0.03,
    "CreateMultipartUpload": 0.05,
}

_S3_ERROR = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code>'
    b"<Message>We encountered an internal error. Please try again. (injected)</Message></Error>"
)


def s3_error(operation: str) -> ClientError:
    """The error botocore raises when S3 answered 500 InternalError to every attempt."""
    return ClientError(
        {
            "Error": {"Code": "InternalError", "Message": "injected, after botocore's retries"},
            "ResponseMetadata": {"HTTPStatusCode": 500},
        },
        operation,
    )


class _Body:
    """The raw body botocore reads an injected error response from."""

    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._content


class S3Faults:
    """Seeded S3 errors through botocore's ``before-send`` event on one client.

    Every botocore attempt passes through the hook; ``amz-sdk-invocation-id`` ties the attempts
    of one call together. A *sticky* fault is what the caller sees when S3 failed every
    attempt (botocore's ``ClientError`` ``InternalError``, raised at once rather than after
    botocore's backoff); a *transient* one is a 500 answer to one attempt, which botocore
    retries.

    Example:
        ```python
        faults = S3Faults(seed=7, sticky={"UploadPart": 0.05}, transient={"GetObject": 0.03})
        faults.install(bucket.credentials.get_s3_client())
        ...
        faults.uninstall()
        ```
    """

    def __init__(
        self,
        seed: int,
        sticky: dict[str, float],
        transient: dict[str, float],
        lost: dict[str, float] | None = None,
    ) -> None:
        from botocore.httpsession import URLLib3Session

        self._rng = random.Random(seed)
        self._sticky_rates = sticky
        self._transient_rates = transient
        self._lost_rates = lost or {}
        self._session = URLLib3Session()
        self._sticky: dict[str, bool] = {}
        self._lock = threading.Lock()
        self._client: Any = None
        self.injected: Counter[str] = Counter()

    def _operations(self) -> list[str]:
        return sorted(set(self._sticky_rates) | set(self._transient_rates) | set(self._lost_rates))

    def install(self, client: Any) -> None:
        self._client = client
        for operation in self._operations():
            client.meta.events.register(
                f"before-send.s3.{operation}", self._before_send, unique_id=f"storm-{operation}"
            )

    def uninstall(self) -> None:
        if self._client is None:
            return
        for operation in self._operations():
            self._client.meta.events.unregister(
                f"before-send.s3.{operation}", unique_id=f"storm-{operation}"
            )
        self._client = None

    def _before_send(self, request: Any, event_name: str = "", **_: Any) -> AWSResponse | None:
        operation = event_name.rsplit(".", 1)[-1]
        retries = request.context.get("retries") or {}
        invocation = str(retries.get("invocation-id") or uuid.uuid4())
        with self._lock:
            lose = False
            if invocation not in self._sticky:
                sticky = self._rng.random() < self._sticky_rates.get(operation, 0.0)
                self._sticky[invocation] = sticky
                if sticky:
                    self.injected[f"s3:{operation}:sticky"] += 1
                elif self._rng.random() < self._lost_rates.get(operation, 0.0):
                    lose = True
                    self.injected[f"s3:{operation}:answer_lost"] += 1
        if lose:
            from botocore.exceptions import ConnectionClosedError

            self._session.send(request)  # applied by S3...
            raise ConnectionClosedError(endpoint_url=request.url)  # ...its answer lost
        with self._lock:
            fail = self._sticky[invocation]
            if not fail and self._rng.random() < self._transient_rates.get(operation, 0.0):
                fail = True
                self.injected[f"s3:{operation}:transient"] += 1
        if not fail:
            return None
        if self._sticky[invocation]:
            # What botocore raises once its retries are spent, without waiting through them.
            raise s3_error(operation)
        headers = {"Content-Type": "application/xml", "Content-Length": str(len(_S3_ERROR))}
        return AWSResponse(request.url, 500, headers, _Body(_S3_ERROR))


@dataclass
class StormFigures:
    """The storm's figures and the breaches of its invariants (empty when it held)."""

    generations: int
    seed: int
    seconds: float = 0.0
    duplicate_rows: int = 0
    cancelled_rows: int = 0
    budget_rows: int = 0
    budget_credits: float = 0.0
    budget_charged: float = 0.0
    vanish_deletes: int = 0
    delivered: int = 0
    ambiguous: int = 0
    ambiguous_created: int = 0
    ambiguous_names: list[str] = field(default_factory=list)
    vanished: int = 0
    refused: int = 0
    exhausted: int = 0
    undelivered: int = 0
    creates_total: int = 0
    failed_attempts: int = 0
    user_cancelled_tasks: int = 0
    succeeded_then_deleted: int = 0
    paid_twice: int = 0
    paid_outputs_lost: int = 0
    sha256_checked: int = 0
    sha256_mismatches: int = 0
    multipart_outputs: int = 0
    incomplete_multipart_uploads: int = 0
    credits_charged: float = 0.0
    emulator_faults: dict[str, int] = field(default_factory=dict)
    s3_faults: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def faults_total(self) -> int:
        return sum(self.emulator_faults.values()) + sum(self.s3_faults.values())

    def table(self, command: str) -> str:
        """The figures as the markdown table RELIABILITY.md shows."""
        rows = [
            ("generations (distinct requests)", self.generations),
            ("of which multipart outputs (9 MiB)", self.multipart_outputs),
            ("rows run again at once by a duplicate batch", self.duplicate_rows),
            ("rows of a batch the user cancelled mid-way", self.cancelled_rows),
            ("rows of a batch with max_credits", self.budget_rows),
            ("tasks deleted elsewhere while running (vanished)", self.vanish_deletes),
            ("delivered, sha256 = emulator's bytes", self.delivered),
            ("reported ambiguous (by name in the results)", self.ambiguous),
            ("  of which the emulator did create (billed, id unknown)", self.ambiguous_created),
            (
                "refused before creating (429 on create: quota used up, or past the retries)",
                self.refused,
            ),
            ("stopped as vanished (their task deleted elsewhere)", self.vanished),
            (f"failed after {MAX_ATTEMPTS} retryable FAILED results", self.exhausted),
            ("undelivered otherwise (must be 0)", self.undelivered),
            ("creates seen by the emulator", self.creates_total),
            ("  = delivered + FAILED + cancelled + deleted elsewhere + ambiguous",
             self._equation()),
            ("tasks the user's cancellation deleted (then paid again)", self.user_cancelled_tasks),
            ("  SUCCEEDED between the canceller's GET and its DELETE", self.succeeded_then_deleted),
            ("paid twice (two SUCCEEDED tasks kept for one generation)", self.paid_twice),
            ("paid outputs lost (SUCCEEDED, kept, not stored, not ambiguous)",
             self.paid_outputs_lost),
            ("sha256 mismatches", self.sha256_mismatches),
            ("budgeted batch: charged / max_credits",
             f"{self.budget_charged:g} / {self.budget_credits:g}"),
            ("incomplete multipart uploads left", self.incomplete_multipart_uploads),
            ("faults injected (emulator + S3)", self.faults_total),
            ("credits charged by the emulator", f"{self.credits_charged:g}"),
            ("wall time", f"{self.seconds:.0f} s"),
        ]  # fmt: skip
        lines = [f"Command: `{command}` (seed {self.seed}).", "", "| figure | value |", "|---|---|"]
        lines += [f"| {name} | {value} |" for name, value in rows]
        lines += ["", "Faults injected, by kind:", "", "| fault | count |", "|---|---|"]
        faults = {**self.emulator_faults, **self.s3_faults}
        lines += [f"| `{kind}` | {count} |" for kind, count in sorted(faults.items())]
        if self.ambiguous_names:
            lines += ["", "Ambiguous: " + ", ".join(self.ambiguous_names) + "."]
        if self.problems:
            lines += ["", "**Problems:**", ""] + [f"- {p}" for p in self.problems]
        return "\n".join(lines) + "\n"

    def accounted(self) -> int:
        return (
            self.delivered + self.failed_attempts + self.user_cancelled_tasks
            + self.vanish_deletes + self.ambiguous_created
        )  # fmt: skip

    def _equation(self) -> str:
        return (
            f"{self.delivered} + {self.failed_attempts} + {self.user_cancelled_tasks} + "
            f"{self.vanish_deletes} + {self.ambiguous_created} = {self.accounted()}"
        )


def _manifest(path: Path, names_and_seeds: list[tuple[str, int]]) -> None:
    image = png_data_uri(width=48, height=48)
    lines = [
        json.dumps(
            {
                "name": name,
                "model": "gen4_turbo",
                "promptImage": image,
                "ratio": "960:960",
                "duration": 2,
                "seed": seed,
            }
        )
        for name, seed in names_and_seeds
    ]
    path.write_text("\n".join(lines) + "\n")


def _read_json(s3: Any, bucket: str, key: str) -> Any:
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    return json.loads(body)


def _list(s3: Any, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [item["Key"] for item in page.get("Contents", [])]
    return keys


async def _run_batch(
    manifest: Path,
    destination: str,
    credentials: str,
    concurrency: int,
    *,
    run_name: str | None = None,
    max_credits: float | None = None,
) -> dict[str, Any]:
    from prefect_runway.flows.batch import batch

    flow = batch.with_options(flow_run_name=run_name) if run_name else batch
    report = await flow(
        str(manifest), destination_block=destination, prefix=PREFIX,
        credentials_block=credentials, concurrency_per_model=concurrency,
        max_attempts=MAX_ATTEMPTS, poll_interval=0.05, max_credits=max_credits,
    )  # fmt: skip
    return report.model_dump(mode="json")


async def _cancel_when_started(run_name: str, emulator: RunwayEmulator, creates: int) -> bool:
    """Set the named flow run CANCELLING once the emulator saw ``creates`` creates."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
    from prefect.states import Cancelling

    deadline = time.monotonic() + 300
    async with get_client() as prefect:
        while time.monotonic() < deadline:
            runs = await prefect.read_flow_runs(
                flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[run_name]))
            )
            if runs and emulator.stats()["creates_total"] >= creates:
                await prefect.set_flow_run_state(runs[0].id, Cancelling(), force=True)
                return True
            await asyncio.sleep(0.05)
    return False


async def _delete_elsewhere(
    emulator: RunwayEmulator, rng: random.Random, count: int, stop: asyncio.Event
) -> dict[str, str]:
    """Someone else deletes ``count`` tasks while they run: a task id -> its seed."""
    from prefect_runway.api import RunwayClient

    deleted: dict[str, str] = {}
    async with RunwayClient(emulator.api_key, base_url=emulator.base_url) as client:
        while len(deleted) < count and not stop.is_set():
            await asyncio.sleep(0.2)
            running = [
                (task_id, record) for task_id, record in (
                    (t, emulator.task(t)) for t in emulator.stats()["task_ids"][-40:]
                ) if record["status"] in ("PENDING", "THROTTLED", "RUNNING")
            ]  # fmt: skip
            if not running:
                continue
            task_id, record = rng.choice(running)
            if await client.delete_task(task_id):
                deleted[task_id] = str(record["request"].get("seed"))
    return deleted


def _classify(
    figures: StormFigures,
    emulator: RunwayEmulator,
    bucket: S3Bucket,
    settle: dict[str, Any],
    cohorts: dict[str, str],
    tasks: dict[str, dict[str, Any]],
    elsewhere: set[str],
    budget: tuple[set[str], float],
) -> None:
    """Check the invariants from the emulator's records, S3 and the final (settling) report."""
    s3 = bucket.credentials.get_s3_client()
    name_of_seed = {int(n[1:]): n for n in cohorts}
    stats = emulator.stats()
    figures.creates_total = stats["creates_total"]
    figures.credits_charged = stats["credits_charged"]
    figures.emulator_faults = dict(stats["faults_injected"])
    for task_id in stats["task_ids"]:
        tasks.setdefault(task_id, emulator.task(task_id))
    user_deleted = set(stats["deleted_task_ids"]) - elsewhere
    tasks_by_name: dict[str, list[dict[str, Any]]] = {}
    for record in tasks.values():
        name = name_of_seed.get(int(record["request"].get("seed", -1)))
        if name is None:
            figures.problems.append(f"task {record['id']} belongs to no generation of the storm")
            continue
        tasks_by_name.setdefault(name, []).append(record)
    known: set[str] = set()
    for key in _list(s3, bucket.bucket_name, f"{bucket.bucket_folder}/{PREFIX}/_runway/ledger/"):
        entry = _read_json(s3, bucket.bucket_name, key) or {}
        known.update(t for t in [entry.get("task_id"), *entry.get("superseded", [])] if t)
    rows = {r["name"]: r for r in settle["results"] if r.get("name")}

    for name in sorted(cohorts):
        row = rows.get(name) or {}
        status, reason = row.get("status"), row.get("reason") or ""
        own = tasks_by_name.get(name, [])
        kept = [t for t in own if t["id"] not in user_deleted and t["id"] not in elsewhere]
        succeeded = [t for t in kept if t["status"] == "SUCCEEDED"]
        if len(succeeded) > 1:
            figures.paid_twice += 1
            figures.problems.append(f"{name}: {len(succeeded)} SUCCEEDED tasks kept (paid twice)")
        delivered_task = None
        sidecar = _read_json(s3, bucket.bucket_name, f"{bucket.bucket_folder}/{PREFIX}/{name}.json")
        if status == "succeeded":
            if sidecar is None:
                figures.problems.append(f"{name}: reported stored, no sidecar")
            else:
                delivered_task = _check_delivered(figures, s3, bucket, name, sidecar, tasks)
        elif status == "ambiguous":
            figures.ambiguous += 1
            figures.ambiguous_names.append(name)
        elif "DailyLimitReached" in reason or "CreateRateLimited" in reason:
            figures.refused += 1
            # Earlier attempts may have been created and FAILED (retryably) before the attempt
            # whose create was refused; anything else would be a task paid and lost.
            stray = [x for x in kept if not (x["status"] == "FAILED" and x["id"] in known)]
            if stray:
                figures.problems.append(f"{name}: refused on create, yet {len(stray)} task(s)")
        elif "TASK_VANISHED" in reason and any(t["id"] in elsewhere for t in own):
            figures.vanished += 1
        elif "ATTEMPTS_EXHAUSTED" in reason and all(t["status"] == "FAILED" for t in kept):
            figures.exhausted += 1
        else:
            figures.undelivered += 1
            figures.problems.append(f"{name}: not delivered ({status}: {reason[:300]})")
        for task in own:
            task_id = task["id"]
            if task_id in elsewhere:
                continue
            if task_id in user_deleted:
                figures.user_cancelled_tasks += 1
                if task["status"] == "SUCCEEDED":
                    figures.succeeded_then_deleted += 1
                continue
            if task_id == delivered_task:
                continue
            if task_id not in known:
                # The ledger never learnt this task: only an ambiguous create may leave one.
                if status == "ambiguous":
                    figures.ambiguous_created += 1
                else:
                    figures.problems.append(f"{name}: task {task_id} unknown to the ledger, row "
                                            f"{status}: {reason[:120]}")  # fmt: skip
                continue
            if task["status"] == "FAILED":
                figures.failed_attempts += 1
            elif task["status"] == "SUCCEEDED" and status != "ambiguous":
                figures.paid_outputs_lost += 1
                figures.problems.append(f"{name}: SUCCEEDED task {task_id} paid, not stored")
            else:
                figures.problems.append(f"{name}: task {task_id} left {task['status']}")
    figures.vanish_deletes = len(elsewhere)
    if figures.creates_total != figures.accounted():
        figures.problems.append(f"creates {figures.creates_total} != {figures._equation()}")
    budget_tasks, max_credits = budget
    figures.budget_credits = max_credits
    figures.budget_charged = sum(float(tasks[t]["cost"] or 0) for t in budget_tasks)
    if figures.budget_charged > max_credits:
        figures.problems.append(
            f"the budgeted batch was charged {figures.budget_charged:g} > {max_credits:g}"
        )
    uploads = s3.list_multipart_uploads(Bucket=bucket.bucket_name).get("Uploads", [])
    figures.incomplete_multipart_uploads = len(uploads)
    if uploads:
        figures.problems.append(f"incomplete multipart uploads: {[u['Key'] for u in uploads]}")
    key = emulator.api_key.encode()
    for object_key in _list(s3, bucket.bucket_name, ""):
        body = s3.get_object(Bucket=bucket.bucket_name, Key=object_key)["Body"].read()
        if key in body or b"_jwt=" in body:
            figures.problems.append(f"{object_key}: holds the API key or a link's signature")


def _check_delivered(
    figures: StormFigures,
    s3: Any,
    bucket: S3Bucket,
    name: str,
    sidecar: dict[str, Any],
    tasks: dict[str, dict[str, Any]],
) -> str | None:
    task = tasks.get(sidecar.get("task_id", ""))
    if task is None or task["status"] != "SUCCEEDED" or not task["outputs"]:
        figures.problems.append(f"{name}: sidecar names task {sidecar.get('task_id')}, not done")
        return None
    uri = str(sidecar["output_uri"])
    object_key = uri.split("/", 3)[3]
    digest = hashlib.sha256()
    body = s3.get_object(Bucket=bucket.bucket_name, Key=object_key)["Body"]
    for chunk in iter(lambda: body.read(1 << 20), b""):
        digest.update(chunk)
    figures.sha256_checked += 1
    expected = task["outputs"][0]["sha256"]
    if not digest.hexdigest() == sidecar["sha256"] == expected:
        figures.sha256_mismatches += 1
        figures.problems.append(f"{name}: stored sha256 differs from the emulator's")
        return None
    figures.delivered += 1
    return str(task["id"])


async def run_storm(
    generations: int,
    *,
    seed: int,
    s3_server: MotoServer,
    multipart: int | None = None,
    concurrency: int = 16,
    vanish: int = 0,
) -> StormFigures:
    """Run the storm (the Prefect API must be up: a harness or a server) and check it.

    Phase 1, the storm, all at once: the main batch; a duplicate batch of a quarter of its
    rows (runs of the same generations at the same moment); a batch the user cancels mid-way,
    half of whose rows are its own (their tasks are deleted) and half the main batch's (it must
    detach from those, which the main batch waits on); a batch of rows of its own under
    ``max_credits`` equal to its estimate; and, with ``vanish``, someone deleting that many
    running tasks elsewhere. Phase 2: the multipart
    cohort. Phase 3, faults off: one batch of every row settles what can be settled (the
    cancelled rows are paid again, as the user's cancellation allowed).

    Args:
        generations: Distinct generations in all; ``multipart`` of them get 9 MiB outputs.
        seed: Seeds the faults and the choice of rows.
        s3_server: moto's server.
        multipart: Generations in the multipart cohort (default: 5 %, at least 2).
        concurrency: The batches' ``concurrency_per_model``.
        vanish: Tasks deleted elsewhere while they run (each costs the window, 120 s).
    """
    rng = random.Random(seed)
    multipart = max(2, generations // 20) if multipart is None else multipart
    small = generations - multipart
    figures = StormFigures(generations=generations, seed=seed, multipart_outputs=multipart)
    cohorts = {f"g{i:05d}": ("mp4" if i < small else "multipart") for i in range(generations)}
    mp4 = [(n, int(n[1:])) for n, c in cohorts.items() if c == "mp4"]
    budget_rows = mp4[: max(2, len(mp4) // 20)]
    own_cancel_rows = mp4[len(budget_rows) : len(budget_rows) * 2]  # only the cancelled batch's
    main_rows = mp4[len(budget_rows) * 2 :]
    duplicate_rows = rng.sample(main_rows, len(main_rows) // 4)
    # Half of the cancelled batch's rows are the main batch's too: those tasks must survive.
    cancel_rows = own_cancel_rows + rng.sample(main_rows, len(own_cancel_rows))
    rng.shuffle(cancel_rows)
    figures.duplicate_rows, figures.cancelled_rows = len(duplicate_rows), len(cancel_rows)
    figures.budget_rows = len(budget_rows)
    bucket = s3_server.new_bucket()
    suffix = uuid.uuid4().hex[:8]
    destination, credentials = f"storm-dest-{suffix}", f"storm-runway-{suffix}"
    config = EmulatorConfig(queue_seconds=0.05, run_seconds=0.3, default_max_concurrent=6)
    faults = S3Faults(seed, S3_STICKY_RATES, S3_TRANSIENT_RATES, S3_LOST_RATES)
    started = time.monotonic()
    workdir = Path(os.environ.get("STORM_WORKDIR", "/tmp")) / f"storm-{suffix}"
    with RunwayEmulator(config) as emulator:
        await bucket.asave(destination, overwrite=True)
        # The manifests are written to the work folder: the block allows it as an input root.
        await RunwayCredentials(
            api_key=SecretStr(emulator.api_key), base_url=emulator.base_url,
            input_roots=[str(workdir)],
        ).asave(credentials, overwrite=True)  # fmt: skip
        plan = FaultPlan(
            rules=[
                # 429 on create with Retry-After: nothing was created, so it is retried (after
                # the organization shows the daily quota not used up), honouring Retry-After.
                Fault(operation="create", kind="status", status=429, retry_after=1,
                      skip=generations // 3),
                Fault(operation="poll", kind="status", status=503, retry_after=0.2, skip=7,
                      times=3),
                Fault(operation="download", kind="status", status=429, retry_after=0.2, skip=3),
            ],
            random=RandomFaults(seed=seed, rates=EMULATOR_RATES),
        )  # fmt: skip
        emulator.set_faults(plan)
        # The block's client is cached per credentials (prefect-aws), so this is the very
        # client the flows' S3Bucket uses.
        faults.install(bucket.credentials.get_s3_client())
        records: dict[str, dict[str, Any]] = {}
        elsewhere: dict[str, str] = {}
        budget_tasks: set[str] = set()
        workdir.mkdir(parents=True, exist_ok=True)
        try:
            manifests = {}
            for label, rows in (("main", main_rows), ("duplicate", duplicate_rows),
                                ("cancelled", cancel_rows), ("budget", budget_rows)):  # fmt: skip
                manifests[label] = workdir / f"{label}.jsonl"
                _manifest(manifests[label], rows)
            budget_credits = 10.0 * len(budget_rows)  # gen4_turbo, 2 s: 10 credits each
            stop = asyncio.Event()
            deleter = asyncio.ensure_future(_delete_elsewhere(emulator, rng, vanish, stop))
            cancel_name = f"storm-cancelled-{suffix}"
            batches = [
                _run_batch(manifests["main"], destination, credentials, concurrency),
                _run_batch(manifests["duplicate"], destination, credentials, concurrency),
                _run_batch(manifests["cancelled"], destination, credentials, concurrency,
                           run_name=cancel_name),
                _run_batch(manifests["budget"], destination, credentials, concurrency,
                           max_credits=budget_credits),
                _cancel_when_started(cancel_name, emulator, creates=len(main_rows) // 5),
            ]  # fmt: skip
            outcomes = await asyncio.gather(*batches, return_exceptions=True)
            for label, outcome in zip(("main", "duplicate", "cancelled", "budget"), outcomes,
                                      strict=False):  # fmt: skip
                if isinstance(outcome, BaseException) and label != "cancelled":
                    figures.problems.append(f"the {label} batch raised {outcome!r}")
            budget_seeds = {str(seed_) for _, seed_ in budget_rows}
            for task_id in emulator.stats()["task_ids"]:
                records.setdefault(task_id, emulator.task(task_id))
                if str(records[task_id]["request"].get("seed")) in budget_seeds:
                    budget_tasks.add(task_id)
            # The multipart cohort.
            emulator.configure(output_bytes=MULTIPART_BYTES)
            names = [(n, int(n[1:])) for n, c in cohorts.items() if c == "multipart"]
            _manifest(workdir / "multipart.jsonl", names)
            await _run_batch(workdir / "multipart.jsonl", destination, credentials, concurrency)
            for task_id in emulator.stats()["task_ids"]:
                records.setdefault(task_id, emulator.task(task_id))
            stop.set()
            elsewhere = await deleter
        finally:
            faults.uninstall()
        # Faults off: settle every row (what was cancelled is paid again; nothing else is).
        emulator.set_faults(FaultPlan())
        emulator.configure(output_bytes=None)
        _manifest(workdir / "all.jsonl", [(n, int(n[1:])) for n in sorted(cohorts)])
        settle = await _run_batch(workdir / "all.jsonl", destination, credentials, concurrency)
        figures.seconds = time.monotonic() - started
        figures.s3_faults = dict(sorted(faults.injected.items()))
        await asyncio.to_thread(
            _classify, figures, emulator, bucket, settle, cohorts, records, set(elsewhere),
            (budget_tasks, budget_credits),
        )  # fmt: skip
    return figures


def _write_figures(figures: StormFigures, command: str) -> None:
    FIGURES_JSON.write_text(
        json.dumps({**asdict(figures), "command": command}, indent=2, sort_keys=True) + "\n"
    )
    if RELIABILITY_MD.exists():
        text = RELIABILITY_MD.read_text()
        begin, end = "<!-- storm:begin -->", "<!-- storm:end -->"
        pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
        if pattern.search(text):
            block = f"{begin}\n{figures.table(command)}{end}"
            RELIABILITY_MD.write_text(pattern.sub(lambda _: block, text))


def main() -> None:
    """``python -m tests.reliability.storm [--generations N] [--seed S]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--generations", type=int, default=1000)
    parser.add_argument("--vanish", type=int, default=10, help="tasks deleted elsewhere")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--no-write", action="store_true", help="do not write the figures")
    args = parser.parse_args()
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("RUNWAY_CLAIM_WAIT_SECONDS", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # Four batches of up to 1000 rows write to the harness's SQLite at once: a 10 s lock wait
    # (the default) ended one run with "database is locked" (a 503 to the storm's own reads).
    os.environ.setdefault("PREFECT_SERVER_DATABASE_TIMEOUT", "60")
    from prefect.testing.utilities import prefect_test_harness

    command = (
        f"python3 dev.py storm --generations {args.generations} --seed {args.seed} "
        f"--vanish {args.vanish}"
    )
    with prefect_test_harness(server_startup_timeout=120), MotoServer() as s3_server:
        figures = asyncio.run(
            run_storm(args.generations, seed=args.seed, s3_server=s3_server, vanish=args.vanish)
        )
    print(figures.table(command))
    if not args.no_write:
        _write_figures(figures, command)
    sys.exit(1 if figures.problems else 0)


if __name__ == "__main__":
    main()
