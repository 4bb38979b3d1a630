"""Defects the fault storm found, each pinned by a test that would catch it again.

1. One row's unexpected error (a 429 on create with the daily quota used up) ended the whole
   batch run.
2. A create Runway provably refused left an intent that stopped every later run as ambiguous.
3. An S3 error on the ledger record right after a paid create lost the task id (and the row);
   S3 errors on the sidecar turned a stored output into a failed generation.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from prefect.filesystems import LocalFileSystem
from prefect_aws import S3Bucket

from prefect_runway.api import CreateRateLimited, Gen4TurboImageToVideo, RunwayClient
from prefect_runway.flows.batch import batch
from prefect_runway.tasks.ledger import SubmissionLedger
from prefect_runway.tasks.store import read_sidecar, write_sidecar
from prefect_runway.tasks.submit import submit_once
from prefect_runway.testing.emulator import Fault, FaultPlan, RunwayEmulator
from tests.flows.conftest import SavedBlocks
from tests.media_samples import png_data_uri
from tests.reliability.storm import s3_error

REQUEST = Gen4TurboImageToVideo(prompt_image=png_data_uri(), ratio="960:960", duration=2)


class FailCalls:
    """Fails ``calls`` calls whose URL holds ``marker`` as S3 down for good would, after ``skip``.

    The error is raised from the ``before-send`` hook, as botocore raises it once its own
    retries are spent (without their backoff).
    """

    def __init__(self, client: Any, operation: str, marker: str, calls: int, skip: int = 0) -> None:
        self.client, self.operation, self.marker, self.left = client, operation, marker, calls
        self.skip = skip
        self.failed: Counter[str] = Counter()
        self._doomed: set[str] = set()
        self._passed: set[str] = set()
        self._lock = threading.Lock()

    def __enter__(self) -> FailCalls:
        self.client.meta.events.register(
            f"before-send.s3.{self.operation}", self._hook, unique_id="fail-calls"
        )
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.meta.events.unregister(
            f"before-send.s3.{self.operation}", unique_id="fail-calls"
        )

    def _hook(self, request: Any, **_: Any) -> None:
        if self.marker not in request.url:
            return None
        invocation = str(request.context.get("retries", {}).get("invocation-id"))
        with self._lock:
            if invocation not in self._doomed and invocation not in self._passed:
                if self.skip > 0:
                    self.skip -= 1
                    self._passed.add(invocation)
                elif self.left > 0:
                    self.left -= 1
                    self._doomed.add(invocation)
                else:
                    self._passed.add(invocation)
            if invocation in self._passed:
                return None
            self.failed[invocation] += 1
        raise s3_error(self.operation)


def _rows(tmp_path: Path, count: int) -> Path:
    manifest = tmp_path / "rows.jsonl"
    image = png_data_uri()
    rows = [
        {"name": f"r{i}", "model": "gen4_turbo", "promptImage": image, "ratio": "960:960",
         "duration": 2, "seed": i}
        for i in range(count)
    ]  # fmt: skip
    manifest.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return manifest


@pytest.mark.parametrize("queue_ahead", [0, 4])
async def test_one_rows_error_ends_that_row_only_and_ambiguous_rows_are_named(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path, queue_ahead: int
) -> None:
    # Five creates answered 429 (the quota is not the cause, so each is retried), then one
    # create whose answer is lost. One at a time (queue_ahead=0), the first row's create meets
    # all five 429s (its whole retry budget) and is refused, the next is ambiguous. With rows
    # submitted ahead, the 429s spread over several rows' retries and whichever create meets
    # the lost answer is ambiguous: each fault still ends only the row that met it.
    emulator.set_faults(
        FaultPlan(
            rules=[
                Fault(operation="create", kind="status", status=429, retry_after=0.01, times=5),
                Fault(operation="create", kind="reset_after"),
            ]
        )
    )
    report = await batch(
        str(_rows(tmp_path, 4)), destination_block=saved_blocks.destination,
        credentials_block=saved_blocks.credentials, poll_interval=0.05,
        concurrency_per_model=1, queue_ahead=queue_ahead,
    )  # fmt: skip
    statuses = Counter(r.status for r in report.results)
    ambiguous = next(r for r in report.results if r.status == "ambiguous")
    assert statuses["ambiguous"] == 1
    assert report.ambiguous == 1 and report.ambiguous_names == [ambiguous.name]
    if queue_ahead == 0:
        assert statuses == {"succeeded": 2, "failed": 1, "ambiguous": 1}
    assert set(statuses) <= {"succeeded", "failed", "ambiguous"}
    for refused in (r for r in report.results if r.status == "failed"):
        assert "CreateRateLimited" in (refused.reason or ""), refused.reason
    # Every row stored but the refused ones and the ambiguous one, whose create landed.
    assert emulator.stats()["creates_total"] == statuses["succeeded"] + 1


async def test_a_refused_create_does_not_stop_a_later_run(
    client: RunwayClient, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    ledger = SubmissionLedger(LocalFileSystem(basepath=str(tmp_path)))
    # A 429 on every attempt of the retry budget: refused, nothing created.
    emulator.set_faults(
        FaultPlan(rules=[Fault(operation="create", kind="status", status=429, times=50)])
    )
    with pytest.raises(CreateRateLimited):
        await submit_once(REQUEST, key="k-1", client=client, ledger=ledger)
    emulator.set_faults(FaultPlan(rules=[]))
    refused = await ledger.read("k-1")  # refused: nothing to reattach to, nothing ambiguous
    assert refused is not None and refused.state == "refused" and refused.task_id is None
    submitted = await submit_once(REQUEST, key="k-1", client=client, ledger=ledger)
    assert emulator.stats()["creates_total"] == 1
    assert (await ledger.read("k-1")).task_id == submitted.task_id  # type: ignore[union-attr]


async def test_the_task_id_survives_s3_errors_on_its_record(
    client: RunwayClient, emulator: RunwayEmulator, s3_bucket: S3Bucket
) -> None:
    ledger = SubmissionLedger(s3_bucket, "scenes/_runway")
    s3 = s3_bucket.credentials.get_s3_client()
    # The intent's create-only PUT and the record's PUT each fail twice, every botocore attempt.
    with FailCalls(s3, "PutObject", "/_runway/ledger/", calls=4) as failing:
        submitted = await submit_once(REQUEST, key="k-1", client=client, ledger=ledger)
    assert len(failing.failed) == 4
    entry = await ledger.read("k-1")
    assert entry is not None and entry.task_id == submitted.task_id
    assert emulator.stats()["creates_total"] == 1


async def test_a_record_that_fails_for_good_goes_on_with_the_paid_task(
    client: RunwayClient,
    emulator: RunwayEmulator,
    s3_bucket: S3Bucket,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import prefect_runway.tasks._retry

    monkeypatch.setattr(prefect_runway.tasks._retry, "_BASE_DELAY", 0.01)
    ledger = SubmissionLedger(s3_bucket, "scenes/_runway")
    s3 = s3_bucket.credentials.get_s3_client()
    # The intent is written; every write of the task id fails.
    with (
        caplog.at_level(logging.INFO, logger="prefect_runway.tasks.submit"),
        FailCalls(s3, "PutObject", "/_runway/ledger/", calls=100, skip=1),
    ):
        submitted = await submit_once(REQUEST, key="k-1", client=client, ledger=ledger)
    assert submitted.task_id in emulator.stats()["task_ids"]
    assert f"could not record Runway task {submitted.task_id}" in caplog.text


async def test_the_sidecar_survives_s3_errors(s3_bucket: S3Bucket) -> None:
    s3 = s3_bucket.credentials.get_s3_client()
    with FailCalls(s3, "PutObject", "take.json", calls=2) as failing:
        await write_sidecar(s3_bucket, "renders/take.json", {"task_id": "abc"})
    assert len(failing.failed) == 2
    assert await read_sidecar(s3_bucket, "renders/take.json") == {"task_id": "abc"}
