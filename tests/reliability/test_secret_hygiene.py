"""The API key and signed links' query strings appear nowhere, whatever the run went through.

One batch with a recognisable key goes through successes, a refused generation, retries of
every kind (polls, expired download links, which hand out fresh signed links), an ambiguous
create, a 429 on create and a queue timeout's DELETE; then a flow process is SIGKILLed
mid-poll and re-run. Afterwards, none of these holds the key or a ``_jwt=`` signature: the
logs captured here, the logs the Prefect server stored for these runs (read back with
``read_logs``), their artifacts, the events emitted, the batch's report and its exceptions'
texts, the result files Prefect persisted, the subprocess's output, and every S3 object.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowRunFilter,
    FlowRunFilterStartTime,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.events import Event
from prefect.logging.handlers import APILogHandler
from prefect.settings import PREFECT_LOCAL_STORAGE_PATH
from prefect_aws import S3Bucket
from pydantic import SecretStr

from prefect_runway.blocks import RunwayCredentials
from prefect_runway.flows.batch import batch
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
KEY = "key_" + "5ec2e7" * 21 + "ab"  # 128 hex digits after key_, easy to spot
SIGNATURE = "_jwt="


def _leaks(text: str) -> bool:
    return KEY in text or SIGNATURE in text


async def test_the_key_and_signed_queries_appear_nowhere(
    prefect_harness: str,
    s3_server: MotoServer,
    s3_bucket: S3Bucket,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    captured_events: Callable[[], list[Event]],
) -> None:
    started = datetime.now(UTC)
    config = EmulatorConfig(
        api_key=KEY, queue_seconds=0.05, run_seconds=0.3, max_concurrent={"veo3.1_fast": 1}
    )
    with RunwayEmulator(config) as emulator:
        await s3_bucket.asave("hygiene-dest", overwrite=True)
        await RunwayCredentials(api_key=SecretStr(KEY), base_url=emulator.base_url).asave(
            "hygiene-runway", overwrite=True
        )
        image = png_data_uri()
        rows = [
            {"name": f"ok-{i}", "model": "gen4_turbo", "promptImage": image, "ratio": "960:960",
             "duration": 2, "seed": i}
            for i in range(6)
        ] + [
            {"name": f"queued-{i}", "model": "veo3.1_fast", "promptImage": image,
             "ratio": "1280:720", "duration": 4, "seed": i}
            for i in range(3)
        ]  # fmt: skip
        manifest = tmp_path / "hygiene.jsonl"
        manifest.write_text("".join(json.dumps(row) + "\n" for row in rows))
        emulator.configure(run_seconds_by_model={"veo3.1_fast": 30})
        emulator.set_faults(
            FaultPlan(
                rules=[
                    Fault(operation="task", kind="fail", endpoint="gen4_turbo",
                          failure_code="SAFETY.INPUT.IMAGE"),
                    Fault(operation="task", kind="fail", endpoint="gen4_turbo",
                          failure_code="INTERNAL.BAD_OUTPUT.CODE01"),
                    Fault(operation="create", kind="reset_after", endpoint="gen4_turbo", skip=2),
                    Fault(operation="create", kind="status", status=429, endpoint="gen4_turbo",
                          skip=1),
                    Fault(operation="download", kind="expire_link", times=3),
                    Fault(operation="download", kind="truncate", times=2),
                ],
                random=RandomFaults(seed=3, rates={"poll:status:503": 0.2,
                                                   "poll:reset_after": 0.1}),
            )
        )  # fmt: skip
        with caplog.at_level(logging.DEBUG):
            report = await batch(
                str(manifest), destination_block="hygiene-dest",
                credentials_block="hygiene-runway", poll_interval=0.05,
                max_queue_minutes=2 / 60,
            )  # fmt: skip
        statuses = {r.status for r in report.results}
        assert {"succeeded", "failed", "ambiguous"} <= statuses
        assert emulator.stats()["deletes"] >= 1  # the queue timeout cancelled queued work
        assert emulator.stats()["faults_injected"].get("download:expire_link", 0) >= 1

        # A crash mid-poll, then a re-run, in a flow process of its own.
        storage = tmp_path / "results"
        env = {
            **os.environ, "PYTHONPATH": str(ROOT), "PREFECT_API_URL": prefect_harness,
            "PREFECT_HOME": str(tmp_path / "home"), "PREFECT_LOCAL_STORAGE_PATH": str(storage),
            "RUNWAY_BASE_URL": emulator.base_url, "RUNWAY_API_KEY": KEY,
            "S3_ENDPOINT_URL": s3_server.endpoint_url, "S3_BUCKET": s3_bucket.bucket_name,
            "SPEC_JSON": json.dumps({"request": {"model": "gen4_turbo", "promptImage": image,
                                                 "ratio": "960:960", "duration": 2},
                                     "name": "crashed"}),
        }  # fmt: skip
        emulator.set_faults(FaultPlan(rules=[Fault(operation="download", kind="expire_link")]))
        script = str(ROOT / "tests" / "tasks" / "_generate_flow.py")
        outputs = []
        for crash in ("mid_poll", None):
            extra = {"RUNWAY_CRASH_AT": crash} if crash else {}
            done = await asyncio.to_thread(
                subprocess.run, [sys.executable, script], env={**env, **extra},
                capture_output=True, text=True, timeout=180, check=False,
            )  # fmt: skip
            expected = -signal.SIGKILL if crash else 0
            assert done.returncode == expected, done.stderr[-2000:]
            outputs.append(done.stdout + done.stderr)
        assert not any(_leaks(text) for text in outputs)

    # Logs captured in this process, and the report with every exception's text.
    leaked = [r.getMessage()[:200] for r in caplog.records if _leaks(r.getMessage())]
    assert leaked == []
    assert not _leaks(report.model_dump_json())
    # Events.
    events = captured_events()
    assert events and not any(_leaks(event.model_dump_json()) for event in events)
    # What the Prefect server stored: these runs' logs and artifacts.
    await APILogHandler.aflush()
    async with get_client() as prefect:
        runs = await prefect.read_flow_runs(
            flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(after_=started))
        )
        run_ids = [run.id for run in runs]
        assert len(run_ids) >= 3  # the batch, the crashed run and its re-run
        logs = await prefect.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=run_ids)))
        artifacts = await prefect.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=run_ids))
        )
    assert logs and [log.message[:200] for log in logs if _leaks(log.message)] == []
    assert artifacts and not any(_leaks(a.model_dump_json()) for a in artifacts)
    # Any result Prefect persisted, here and in the subprocess. (Submit is no longer cached:
    # the ledger is the one record of a task id, so there may be none; those that are hold
    # no key.)
    stores = [storage, Path(str(PREFECT_LOCAL_STORAGE_PATH.value()))]
    files = [f for store in stores if store.exists() for f in store.rglob("*") if f.is_file()]
    assert [str(f) for f in files if KEY.encode() in f.read_bytes()] == []
    # Every S3 object.
    s3 = s3_bucket.credentials.get_s3_client()
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=s3_bucket.bucket_name)["Contents"]]
    for key in keys:
        body = s3.get_object(Bucket=s3_bucket.bucket_name, Key=key)["Body"].read()
        assert KEY.encode() not in body and SIGNATURE.encode() not in body, key
