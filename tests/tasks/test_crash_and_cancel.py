"""Crashes, SIGTERM and user cancellation of a flow process in the middle of a generation.

The flow runs in its own process (tests/tasks/_generate_flow.py) against the session's Prefect
harness, the emulator and moto's S3. Crashes happen at named points (RUNWAY_CRASH_AT), not
after timers: every point of tasks/_crash.py is killed here, then the flow re-run. With
RUNWAY_RELIABILITY_FULL=1 (python3 dev.py storm) each point after the create is killed three
times.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import StateType
from prefect.states import Cancelling
from prefect_aws import S3Bucket
from pydantic import SecretStr

from prefect_runway.blocks import RunwayCredentials
from prefect_runway.testing.emulator import RunwayEmulator
from tests.media_samples import png_data_uri
from tests.s3 import MotoServer

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("_generate_flow.py")
SPEC = {
    "request": {
        "model": "gen4_turbo",
        "promptImage": png_data_uri(),
        "ratio": "960:960",
        "duration": 2,
    },
    "name": "take",
}


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def flow_env(
    prefect_harness: str, emulator: RunwayEmulator, s3_server: MotoServer, s3_bucket: S3Bucket,
    tmp_path: Path,
) -> dict[str, str]:  # fmt: skip
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PREFECT_API_URL": prefect_harness,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "RUNWAY_BASE_URL": emulator.base_url,
        "RUNWAY_API_KEY": emulator.api_key,
        "S3_ENDPOINT_URL": s3_server.endpoint_url,
        "S3_BUCKET": s3_bucket.bucket_name,
        "SPEC_JSON": json.dumps(SPEC),
    }


def run_flow(env: dict[str, str], **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT)],
        env={**env, **extra},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def stored_keys(bucket: S3Bucket, name: str = "take") -> list[str]:
    s3 = bucket.credentials.get_s3_client()
    listed = s3.list_objects_v2(Bucket=bucket.bucket_name, Prefix=f"runway-out/crash/{name}.")
    return sorted(item["Key"] for item in listed.get("Contents", []))


def stored_sha256(bucket: S3Bucket, key: str) -> str:
    s3 = bucket.credentials.get_s3_client()
    body = s3.get_object(Bucket=bucket.bucket_name, Key=key)["Body"]
    digest = hashlib.sha256()
    for chunk in iter(lambda: body.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


def last_json(output: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


# Three kills per point in the full reliability run (python3 dev.py storm); one in CI, where
# each kill and re-run costs two flow processes (~10 s).
REPEATS = 3 if os.environ.get("RUNWAY_RELIABILITY_FULL") == "1" else 1


def incomplete_uploads(bucket: S3Bucket) -> list[str]:
    s3 = bucket.credentials.get_s3_client()
    listed = s3.list_multipart_uploads(Bucket=bucket.bucket_name)
    return [upload["Key"] for upload in listed.get("Uploads", [])]


@pytest.mark.parametrize("point", ["mid_poll", "mid_download", "mid_upload", "before_sidecar"])
def test_killed_after_the_create_then_rerun_stores_without_another(
    flow_env: dict[str, str], emulator: RunwayEmulator, s3_bucket: S3Bucket, point: str
) -> None:
    for repeat in range(REPEATS):
        spec = {**SPEC, "name": f"take-{point}-{repeat}", "variant": str(repeat)}
        env = {**flow_env, "SPEC_JSON": json.dumps(spec)}
        killed = run_flow(env, RUNWAY_CRASH_AT=point)
        assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
        assert emulator.stats()["creates_total"] == repeat + 1
        # No sidecar: nothing looks stored (before_sidecar leaves an output the re-run replaces).
        assert f"runway-out/crash/{spec['name']}.json" not in stored_keys(s3_bucket, spec["name"])
        rerun = run_flow(env)
        assert rerun.returncode == 0, rerun.stderr[-3000:]
        result = last_json(rerun.stdout)
        assert result["status"] == "succeeded" and not result["from_sidecar"]
        stats = emulator.stats()
        assert stats["creates_total"] == repeat + 1  # reattached, not resubmitted
        assert stats["deletes"] == 0  # a crash never cancels paid work
        name = spec["name"]
        assert stored_keys(s3_bucket, name) == [
            f"runway-out/crash/{name}.json",
            f"runway-out/crash/{name}.mp4",
        ]
        assert result["sha256"] == emulator.task(result["task_id"])["outputs"][0]["sha256"]
        assert stored_sha256(s3_bucket, f"runway-out/crash/{name}.mp4") == result["sha256"]
    assert incomplete_uploads(s3_bucket) == []


def test_killed_mid_multipart_upload_leaves_parts_that_the_rerun_aborts(
    flow_env: dict[str, str], emulator: RunwayEmulator, s3_bucket: S3Bucket
) -> None:
    # Large enough that the crash point fires with a multipart upload under way.
    emulator.configure(output_bytes=40 * 1024 * 1024)
    killed = run_flow(flow_env, RUNWAY_CRASH_AT="mid_upload")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    # SIGKILL gives no chance to abort: the parts stay until someone aborts them.
    assert incomplete_uploads(s3_bucket) == ["runway-out/crash/take.mp4"]
    rerun = run_flow(flow_env)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    result = last_json(rerun.stdout)
    assert emulator.stats()["creates_total"] == 1
    assert incomplete_uploads(s3_bucket) == []  # the re-run storing the same key aborted them
    assert stored_sha256(s3_bucket, "runway-out/crash/take.mp4") == result["sha256"]
    assert result["sha256"] == emulator.task(result["task_id"])["outputs"][0]["sha256"]


def test_killed_before_the_post_is_ambiguous_too_and_created_nothing(
    flow_env: dict[str, str], emulator: RunwayEmulator
) -> None:
    # The intent is written before the POST and a killed process leaves no trace of how far it
    # got, so the next run cannot tell this crash from one after the POST: it stops (DESIGN.md,
    # submit step 2), although here nothing was created.
    assert run_flow(flow_env, RUNWAY_CRASH_AT="before_post").returncode == -signal.SIGKILL
    assert emulator.stats()["creates_total"] == 0
    refused = run_flow(flow_env)
    assert refused.returncode == 3 and "AMBIGUOUS" in refused.stdout, refused.stderr[-3000:]
    allowed = run_flow(flow_env, ALLOW_RESUBMIT="1")
    assert allowed.returncode == 0, allowed.stderr[-3000:]
    assert emulator.stats()["creates_total"] == 1


def test_killed_between_post_and_record_is_ambiguous_until_the_user_says(
    flow_env: dict[str, str], emulator: RunwayEmulator, s3_bucket: S3Bucket
) -> None:
    assert run_flow(flow_env, RUNWAY_CRASH_AT="after_post").returncode == -signal.SIGKILL
    assert emulator.stats()["creates_total"] == 1  # billed, its id lost with the process
    refused = run_flow(flow_env)
    assert refused.returncode == 3, refused.stderr[-3000:]
    assert "AMBIGUOUS" in refused.stdout and "never its task id" in refused.stdout
    assert emulator.stats()["creates_total"] == 1
    allowed = run_flow(flow_env, ALLOW_RESUBMIT="1")
    assert allowed.returncode == 0, allowed.stderr[-3000:]
    assert emulator.stats()["creates_total"] == 2  # exactly one more, with the user's say


@pytest.fixture
def long_tasks(emulator: RunwayEmulator) -> RunwayEmulator:
    emulator.configure(run_seconds=120)
    return emulator


def test_sigterm_without_cancellation_deletes_nothing(
    flow_env: dict[str, str], long_tasks: RunwayEmulator
) -> None:
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT)], env=flow_env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_until(lambda: long_tasks.stats()["tasks_by_status"].get("RUNNING", 0) == 1, "a task")
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stats = long_tasks.stats()
    assert stats["deletes"] == 0 and stats["creates_total"] == 1


@pytest.fixture
def served(flow_env: dict[str, str], tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    env = {**flow_env, "SERVE": "1", "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
    # The runner's and its flow processes' output, for a failing test to show (served.log).
    log = (tmp_path / "served.log").open("w")
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT)], env=env, stdout=log, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )  # fmt: skip
    try:
        yield process
    finally:
        # The runner's flow processes are in its session: stop them all by the group id.
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


async def test_user_cancellation_of_a_served_run_deletes_the_in_flight_task(
    served: subprocess.Popen[str],
    long_tasks: RunwayEmulator,
    prefect_harness: str,
    s3_bucket: S3Bucket,
    tmp_path: Path,
) -> None:
    # Saved blocks for the flow's on_cancellation hook: the wait's own DELETE or the hook's,
    # whichever lands, must land exactly once before the run reads Cancelled.
    suffix = uuid.uuid4().hex[:8]
    await s3_bucket.asave(  # the flow's bucket, folder runway-out
        f"crash-dest-{suffix}", overwrite=True
    )
    await RunwayCredentials(
        api_key=SecretStr(long_tasks.api_key), base_url=long_tasks.base_url
    ).asave(f"crash-runway-{suffix}", overwrite=True)
    parameters = {
        "spec_json": json.dumps(SPEC),
        "credentials_block": f"crash-runway-{suffix}",
        "destination_block": f"crash-dest-{suffix}",
    }
    async with get_client() as prefect:
        deadline = time.monotonic() + 90
        deployment = None
        while deployment is None:
            try:
                deployment = await prefect.read_deployment_by_name(
                    "generate-in-a-process/generate-served"
                )
            except Exception:
                assert time.monotonic() < deadline, "the served deployment never appeared"
                await _sleep()
        run = await prefect.create_flow_run_from_deployment(deployment.id, parameters=parameters)
        while long_tasks.stats()["tasks_by_status"].get("RUNNING", 0) != 1:
            assert time.monotonic() < deadline, "the served run never started its generation"
            await _sleep()
        await prefect.set_flow_run_state(run.id, Cancelling(), force=True)
        while True:
            state = (await prefect.read_flow_run(run.id)).state
            if state is not None and state.type is StateType.CANCELLED:
                break
            assert time.monotonic() < deadline, f"the run never reached Cancelled: {state}"
            await _sleep()
    stats = long_tasks.stats()
    log = (tmp_path / "served.log").read_text()[-6000:]
    assert stats["deletes"] == 1, log  # seen before the run reached Cancelled
    assert stats["deleted_task_ids"] == stats["task_ids"]


async def _sleep() -> None:
    import asyncio

    await asyncio.sleep(0.1)
