"""The fault storm: many generations through the batch flow while every HTTP point misbehaves.

Runway's side is the emulator with seeded random faults on creates (503, 429, resets before and
after sending, 502/504), polls (5xx, resets, slow answers, 404 blips), downloads (truncated
bodies, expired links, resets, 200 to a Range request), the organization read, and FAILED
results with retryable codes. S3's side is moto, with faults injected by botocore's
``before-send`` hook on the S3Bucket block's own (cached) client: *transient* ones that
botocore's retries absorb, and *sticky* ones that fail every botocore attempt of one call, so
the project's code must deal with them (UploadPart, CompleteMultipartUpload, PutObject).

Two cohorts run, one batch each: small MP4 outputs (one PutObject each) and, with the emulator
serving 9 MiB outputs, multipart uploads.

What must hold afterwards (``StormFigures.problems`` lists every breach):

* every generation is delivered (its S3 object's sha256 equals the sidecar's and the emulator's),
  or reported ambiguous by name, or refused before anything was created (429 on create with the
  daily quota used up, or 429s past the retry budget; DESIGN.md), or failed after
  ``max_attempts`` FAILED results;
* no generation has two SUCCEEDED Runway tasks (nothing paid twice), and every task the ledger
  knows is the delivered one or a FAILED attempt;
* creates = delivered + FAILED attempts + ambiguous creates that reached the emulator (tasks
  the ledger never learnt of, one per ``create:reset_after`` fault, each in an ambiguous row);
* no incomplete multipart upload is left, and the API key is in no S3 object.

Run from the tests (a small storm) or ``python3 dev.py storm`` (300 generations; writes
``tests/reliability/last-storm.json`` and the table in RELIABILITY.md).
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

    def __init__(self, seed: int, sticky: dict[str, float], transient: dict[str, float]) -> None:
        self._rng = random.Random(seed)
        self._sticky_rates = sticky
        self._transient_rates = transient
        self._sticky: dict[str, bool] = {}
        self._lock = threading.Lock()
        self._client: Any = None
        self.injected: Counter[str] = Counter()

    def install(self, client: Any) -> None:
        self._client = client
        for operation in sorted(set(self._sticky_rates) | set(self._transient_rates)):
            client.meta.events.register(
                f"before-send.s3.{operation}", self._before_send, unique_id=f"storm-{operation}"
            )

    def uninstall(self) -> None:
        if self._client is None:
            return
        for operation in sorted(set(self._sticky_rates) | set(self._transient_rates)):
            self._client.meta.events.unregister(
                f"before-send.s3.{operation}", unique_id=f"storm-{operation}"
            )
        self._client = None

    def _before_send(self, request: Any, event_name: str = "", **_: Any) -> AWSResponse | None:
        operation = event_name.rsplit(".", 1)[-1]
        retries = request.context.get("retries") or {}
        invocation = str(retries.get("invocation-id") or uuid.uuid4())
        with self._lock:
            if invocation not in self._sticky:
                sticky = self._rng.random() < self._sticky_rates.get(operation, 0.0)
                self._sticky[invocation] = sticky
                if sticky:
                    self.injected[f"s3:{operation}:sticky"] += 1
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
class Outcome:
    """What became of one generation, as the storm checks it."""

    name: str
    seed: int
    cohort: str
    status: str  # delivered | ambiguous | refused | exhausted | undelivered
    reason: str | None = None
    task_ids: list[str] = field(default_factory=list)
    delivered_task: str | None = None


@dataclass
class StormFigures:
    """The storm's figures and the breaches of its invariants (empty when it held)."""

    generations: int
    seed: int
    seconds: float = 0.0
    delivered: int = 0
    ambiguous: int = 0
    ambiguous_created: int = 0
    ambiguous_names: list[str] = field(default_factory=list)
    refused: int = 0
    exhausted: int = 0
    undelivered: int = 0
    creates_total: int = 0
    failed_attempts: int = 0
    paid_twice: int = 0
    sha256_checked: int = 0
    sha256_mismatches: int = 0
    multipart_outputs: int = 0
    incomplete_multipart_uploads: int = 0
    credits_charged: float = 0.0
    credits_reported: float = 0.0
    emulator_faults: dict[str, int] = field(default_factory=dict)
    s3_faults: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def faults_total(self) -> int:
        return sum(self.emulator_faults.values()) + sum(self.s3_faults.values())

    def table(self, command: str) -> str:
        """The figures as the markdown table RELIABILITY.md shows."""
        rows = [
            ("generations (rows of the batch, all distinct)", self.generations),
            ("of which multipart outputs (9 MiB)", self.multipart_outputs),
            ("delivered, sha256 = emulator's bytes", self.delivered),
            ("reported ambiguous (by name in the results)", self.ambiguous),
            ("  of which the emulator did create (billed, id unknown)", self.ambiguous_created),
            (
                "refused before creating (429 on create: quota used up, or past the retries)",
                self.refused,
            ),
            (f"failed after {MAX_ATTEMPTS} retryable FAILED results", self.exhausted),
            ("undelivered otherwise (must be 0)", self.undelivered),
            ("creates seen by the emulator", self.creates_total),
            ("  = delivered + FAILED attempts + ambiguous creates", self._equation()),
            ("paid twice (two SUCCEEDED tasks for one generation)", self.paid_twice),
            ("sha256 mismatches", self.sha256_mismatches),
            ("incomplete multipart uploads left", self.incomplete_multipart_uploads),
            ("faults injected (emulator + S3)", self.faults_total),
            ("credits charged by the emulator", f"{self.credits_charged:g}"),
            ("credits reported by the batches", f"{self.credits_reported:g}"),
            ("wall time", f"{self.seconds:.0f} s"),
        ]
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

    def _equation(self) -> str:
        return (
            f"{self.delivered} + {self.failed_attempts} + {self.ambiguous_created} = "
            f"{self.delivered + self.failed_attempts + self.ambiguous_created}"
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
    manifest: Path, destination: str, credentials: str, concurrency: int
) -> dict[str, Any]:
    from prefect_runway.flows.batch import batch

    report = await batch(
        str(manifest), destination_block=destination, prefix=PREFIX,
        credentials_block=credentials, concurrency_per_model=concurrency,
        max_attempts=MAX_ATTEMPTS, poll_interval=0.05,
    )  # fmt: skip
    return report.model_dump(mode="json")


def _classify(
    figures: StormFigures,
    emulator: RunwayEmulator,
    bucket: S3Bucket,
    reports: list[dict[str, Any]],
    cohorts: dict[str, str],
    tasks: dict[str, dict[str, Any]],
) -> None:
    """Check the invariants from the emulator's records, S3 and the batch reports."""
    s3 = bucket.credentials.get_s3_client()
    name_of_seed = {seed: name for name, seed in ((n, int(n[1:])) for n in cohorts)}
    stats = emulator.stats()
    figures.creates_total = stats["creates_total"]
    figures.credits_charged = stats["credits_charged"]
    figures.emulator_faults = dict(stats["faults_injected"])
    for task_id in stats["task_ids"]:
        tasks.setdefault(task_id, emulator.task(task_id))
    tasks_by_name: dict[str, list[dict[str, Any]]] = {}
    for record in tasks.values():
        name = name_of_seed.get(int(record["request"].get("seed", -1)))
        if name is None:
            figures.problems.append(f"task {record['id']} belongs to no generation of the storm")
            continue
        tasks_by_name.setdefault(name, []).append(record)
    ledger_prefix = f"{bucket.bucket_folder}/{PREFIX}/_runway/ledger/"
    known: set[str] = set()
    for key in _list(s3, bucket.bucket_name, ledger_prefix):
        entry = _read_json(s3, bucket.bucket_name, key)
        if entry and entry.get("task_id"):
            known.add(entry["task_id"])
    rows = {r["name"]: r for report in reports for r in report["results"] if r.get("name")}
    figures.credits_reported = sum(report["credits"] for report in reports)

    outcomes: list[Outcome] = []
    for name, cohort in sorted(cohorts.items()):
        row = rows.get(name)
        own = tasks_by_name.get(name, [])
        outcome = Outcome(name=name, seed=int(name[1:]), cohort=cohort, status="undelivered",
                          task_ids=[t["id"] for t in own])  # fmt: skip
        reason = (row or {}).get("reason") or ""
        succeeded = [t for t in own if t["status"] == "SUCCEEDED"]
        if len(succeeded) > 1:
            figures.paid_twice += 1
            figures.problems.append(f"{name}: {len(succeeded)} SUCCEEDED tasks (paid twice)")
        for task in own:
            if task["id"] in known:
                if task["status"] not in ("SUCCEEDED", "FAILED"):
                    figures.problems.append(f"{name}: task {task['id']} left {task['status']}")
                continue
            # The ledger never learnt this task: only an ambiguous create may leave one.
            if row is None or row.get("status") != "ambiguous":
                figures.problems.append(
                    f"{name}: task {task['id']} unknown to the ledger, row not ambiguous "
                    f"({(row or {}).get('status')}: {reason[:120]})"
                )
            else:
                figures.ambiguous_created += 1
        figures.failed_attempts += sum(t["status"] == "FAILED" and t["id"] in known for t in own)
        sidecar = _read_json(s3, bucket.bucket_name, f"{bucket.bucket_folder}/{PREFIX}/{name}.json")
        if row is not None and row.get("status") == "succeeded":
            if sidecar is None:
                figures.problems.append(f"{name}: reported stored, no sidecar")
            else:
                _check_delivered(figures, s3, bucket, name, sidecar, tasks, outcome)
        elif row is not None and row.get("status") == "ambiguous":
            outcome.status = "ambiguous"
            figures.ambiguous += 1
            figures.ambiguous_names.append(name)
        elif row is not None and ("DailyLimitReached" in reason or "CreateRateLimited" in reason):
            outcome.status = "refused"
            figures.refused += 1
            # Earlier attempts may have been created and FAILED (retryably) before the attempt
            # whose create met the daily limit; anything else would be a task paid and lost.
            stray = [x for x in own if not (x["status"] == "FAILED" and x["id"] in known)]
            if stray:
                figures.problems.append(f"{name}: refused on create, yet {len(stray)} task(s)")
        elif (
            row is not None
            and len(own) == MAX_ATTEMPTS
            and all(t["status"] == "FAILED" and t["failure_code"] in _codes() for t in own)
        ):
            outcome.status = "exhausted"
            figures.exhausted += 1
        else:
            figures.problems.append(
                f"{name}: not delivered ({(row or {}).get('status')}: {reason[:300]})"
            )
        if outcome.status == "undelivered":
            figures.undelivered += 1
        outcomes.append(outcome)
    orphans = figures.ambiguous_created
    reset_after = figures.emulator_faults.get("create:reset_after", 0)
    if orphans != reset_after:
        figures.problems.append(
            f"{orphans} tasks unknown to the ledger, {reset_after} create:reset_after faults"
        )
    expected = figures.delivered + figures.failed_attempts + orphans
    if figures.creates_total != expected:
        figures.problems.append(
            f"creates {figures.creates_total} != delivered {figures.delivered} + FAILED "
            f"attempts {figures.failed_attempts} + ambiguous creates {orphans} = {expected}"
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


def _codes() -> set[str | None]:
    return {code or None for code in RETRYABLE_CODES}


def _check_delivered(
    figures: StormFigures,
    s3: Any,
    bucket: S3Bucket,
    name: str,
    sidecar: dict[str, Any],
    tasks: dict[str, dict[str, Any]],
    outcome: Outcome,
) -> None:
    task = tasks.get(sidecar.get("task_id", ""))
    if task is None or task["status"] != "SUCCEEDED" or not task["outputs"]:
        figures.problems.append(f"{name}: sidecar names task {sidecar.get('task_id')}, not done")
        return
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
        return
    outcome.status = "delivered"
    outcome.delivered_task = task["id"]
    figures.delivered += 1


async def run_storm(
    generations: int,
    *,
    seed: int,
    s3_server: MotoServer,
    multipart: int | None = None,
    concurrency: int = 16,
) -> StormFigures:
    """Run the storm (the Prefect API must be up: a harness or a server) and check it.

    Args:
        generations: Distinct generations in all; ``multipart`` of them get 9 MiB outputs.
        seed: Seeds the emulator's and S3's faults.
        s3_server: moto's server.
        multipart: Generations in the multipart cohort (default: 5 %, at least 2).
        concurrency: The batch's ``concurrency_per_model``.
    """
    multipart = max(2, generations // 20) if multipart is None else multipart
    small = generations - multipart
    figures = StormFigures(generations=generations, seed=seed, multipart_outputs=multipart)
    cohorts = {f"g{i:05d}": ("mp4" if i < small else "multipart") for i in range(generations)}
    bucket = s3_server.new_bucket()
    suffix = uuid.uuid4().hex[:8]
    config = EmulatorConfig(queue_seconds=0.05, run_seconds=0.3, default_max_concurrent=6)
    faults = S3Faults(seed, S3_STICKY_RATES, S3_TRANSIENT_RATES)
    started = time.monotonic()
    workdir = Path(os.environ.get("STORM_WORKDIR", "/tmp")) / f"storm-{suffix}"
    with RunwayEmulator(config) as emulator:
        await bucket.asave(f"storm-dest-{suffix}", overwrite=True)
        # The manifests are written to the work folder: the block allows it as an input root.
        await RunwayCredentials(
            api_key=SecretStr(emulator.api_key), base_url=emulator.base_url,
            input_roots=[str(workdir)],
        ).asave(f"storm-runway-{suffix}", overwrite=True)  # fmt: skip
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
        # client the flow's S3Bucket uses.
        faults.install(bucket.credentials.get_s3_client())
        reports = []
        records: dict[str, dict[str, Any]] = {}
        try:
            workdir.mkdir(parents=True, exist_ok=True)
            for cohort in ("mp4", "multipart"):
                names = [(n, int(n[1:])) for n, c in cohorts.items() if c == cohort]
                if not names:
                    continue
                emulator.configure(output_bytes=MULTIPART_BYTES if cohort == "multipart" else None)
                manifest = workdir / f"{cohort}.jsonl"
                _manifest(manifest, names)
                reports.append(
                    await _run_batch(
                        manifest, f"storm-dest-{suffix}", f"storm-runway-{suffix}", concurrency
                    )
                )
                # The records now, while the emulator still serves this cohort's outputs.
                for task_id in emulator.stats()["task_ids"]:
                    records.setdefault(task_id, emulator.task(task_id))
        finally:
            faults.uninstall()
            figures.seconds = time.monotonic() - started
        emulator.set_faults(FaultPlan())
        figures.s3_faults = dict(sorted(faults.injected.items()))
        await asyncio.to_thread(_classify, figures, emulator, bucket, reports, cohorts, records)
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
    parser.add_argument("--generations", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--no-write", action="store_true", help="do not write the figures")
    args = parser.parse_args()
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("RUNWAY_CLAIM_WAIT_SECONDS", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from prefect.testing.utilities import prefect_test_harness

    command = f"python3 dev.py storm --generations {args.generations} --seed {args.seed}"
    with prefect_test_harness(server_startup_timeout=60), MotoServer() as s3_server:
        figures = asyncio.run(run_storm(args.generations, seed=args.seed, s3_server=s3_server))
    print(figures.table(command))
    if not args.no_write:
        _write_figures(figures, command)
    sys.exit(1 if figures.problems else 0)


if __name__ == "__main__":
    main()
