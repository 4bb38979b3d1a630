"""End to end on a real Prefect server: deploy from prefect.yaml, two workers, three ways to start.

One `prefect server start` (SQLite, its own PREFECT_HOME) on a loopback port, the process pool,
the packaged prefect.yaml written into a folder outside the checkout and deployed from there, and
two workers started there as the README says (no checkout, no extra variable: the flows run from
the installed package by their module paths), taking one run at a time. Then: (a) a UI
deployment started through the API with parameters; (b) the upstream
`media.assets.ready` event POSTed to the events API, and the triggered batch; (c) a fan-out
whose chunk runs land on both workers; (d) a detached batch stored later by the sweep. And a
fan-out cancelled by the user: its chunk run is cancelled and its Runway tasks deleted. Outputs
land in moto's S3; the emulator counts one create per generation. Every process started here is
stopped by its process group, even when the test fails.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterName,
    FlowRunFilter,
    FlowRunFilterId,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.deployments import arun_deployment
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.states import Cancelling
from pydantic import SecretStr

from prefect_runway.blocks import RunwayCredentials
from prefect_runway.deployments.announce import post_assets_ready
from prefect_runway.tasks.allowed_inputs import ROOTS_ENV
from prefect_runway.testing.emulator import RunwayEmulator
from prefect_runway.testing.s3 import MotoServer
from tests.media_samples import png_bytes

ROOT = Path(__file__).resolve().parents[2]
PREFECT = [sys.executable, "-m", "prefect"]
# The README's worker command, which the workers here start with (plus a name and a limit of one
# run each, so the fan-out's chunks spread over both).
README_WORKER = "prefect worker start --pool runway-process"
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    api_url: str
    env: dict[str, str]
    logs: Path
    processes: list[subprocess.Popen[bytes]]
    cwd: Path

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [*PREFECT, *args], cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped whole, by its id
        )  # fmt: skip
        self.processes.append(process)
        return process

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [*PREFECT, *args], cwd=self.cwd, env=self.env, capture_output=True, text=True,
            timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("prefect-home")
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api_url,
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home}/prefect.db",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_UI_ENABLED": "false",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "1",
        "PREFECT_LOGGING_LEVEL": "INFO",
        # How often the server cancels the subflow runs of a cancelled run (default 20 s).
        "PREFECT_SERVER_SERVICES_CANCELLATION_CLEANUP_LOOP_SECONDS": "1",
        # The workers' operator allows the tests' folders as input roots: deployment runs read
        # local files only there (their working directory is not a root).
        ROOTS_ENV: str(tmp_path_factory.getbasetemp()),
    }
    # Deploy and run from a folder that is not the checkout, as a user with a plain install would.
    project = tmp_path_factory.mktemp("deploy-from-here")
    server = Server(api_url, env, home, [], project)
    try:
        server.start("server", "server", "start", "--host", "127.0.0.1", "--port", str(port))
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, server.log("server")[-3000:]
            time.sleep(0.2)
        yield server
    finally:
        for process in reversed(server.processes):
            _stop(process)


async def _wait_for_run(flow_run_id: Any, patience: float = 180) -> FlowRun:
    deadline = time.monotonic() + patience
    async with get_client() as prefect:
        while True:
            run = await prefect.read_flow_run(flow_run_id)
            if run.state is not None and run.state.type.value in TERMINAL:
                return run
            assert time.monotonic() < deadline, f"flow run {flow_run_id} is {run.state}"
            await asyncio.sleep(0.5)


async def _runs_of(deployment: str) -> list[FlowRun]:
    flow_name, name = deployment.split("/")
    async with get_client() as prefect:
        found = await prefect.read_deployments(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[name]))
        )
        flows = {flow.id: flow.name for flow in await prefect.read_flows()}
        ids = [d.id for d in found if d.name == name and flows.get(d.flow_id) == flow_name]
        runs = await prefect.read_flow_runs(flow_run_filter=FlowRunFilter())
    return [run for run in runs if run.deployment_id in ids]


async def _chunk_runs_of(fan_out_run_id: Any) -> list[FlowRun]:
    """The batch runs a fan-out started (their manifests are under its run id's folder)."""
    return [run for run in await _runs_of("runway-batch/batch")
            if f"/_chunks/{fan_out_run_id}/" in str(run.parameters.get("manifest"))]  # fmt: skip


def _manifest(path: Path, names: list[str], folder: Path) -> Path:
    lines = []
    for index, name in enumerate(names):
        image = folder / f"{name}.png"
        image.write_bytes(png_bytes(rgb=(17 * (index + 1) % 256, 90, 200)))
        lines.append(json.dumps({"name": name, "model": "gen4_turbo", "promptImage": str(image),
                                 "ratio": "960:960", "duration": 2}))  # fmt: skip
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
async def workers(
    server: Server, emulator_session: RunwayEmulator, s3_server: MotoServer
) -> Server:
    """The blocks, the deployments and two workers, once for the module's tests."""
    with temporary_settings({PREFECT_API_URL: server.api_url}):
        bucket = s3_server.new_bucket(folder="renders")
        await bucket.asave("renders", overwrite=True)
        await RunwayCredentials(
            api_key=SecretStr(emulator_session.api_key), base_url=emulator_session.base_url
        ).asave("runway", overwrite=True)
    assert README_WORKER in (ROOT / "README.md").read_text()
    written = subprocess.run(  # noqa: ASYNC221 (a second, before any run starts)
        [sys.executable, "-m", "prefect_runway.deployments.write_yaml", "prefect.yaml"],
        cwd=server.cwd, env=server.env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "prefect deploy --all --prefect-file prefect.yaml" in written.stdout
    server.run("work-pool", "create", "runway-process", "--type", "process", "--overwrite")
    server.run("--no-prompt", "deploy", "--all", "--prefect-file", "prefect.yaml")
    worker = README_WORKER.split()[1:]
    server.start("worker-1", *worker, "--limit", "1", "--name", "worker-1")
    server.start("worker-2", *worker, "--limit", "1", "--name", "worker-2")
    return server


@pytest.fixture
async def deployed(workers: Server, emulator: RunwayEmulator) -> AsyncIterator[Server]:
    with temporary_settings({PREFECT_API_URL: workers.api_url}):
        yield workers


async def test_three_ways_to_start_a_run_on_two_workers(
    deployed: Server, emulator: RunwayEmulator, s3_server: MotoServer, tmp_path: Path
) -> None:
    s3 = s3_server.credentials().get_s3_client()

    def stored(uri_or_key: str) -> bool:
        keys = [
            item["Key"]
            for bucket in s3.list_buckets()["Buckets"]
            for item in s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", [])
        ]
        return any(key.endswith(uri_or_key) for key in keys)

    # (a) A UI deployment, started through the API with parameters.
    image = tmp_path / "ui.png"
    image.write_bytes(png_bytes(rgb=(1, 2, 3)))
    ui_run = await arun_deployment(
        "runway-image-to-video/ui",
        parameters={
            "params": {
                "image": str(image),
                "ratio": "960:960",
                "duration": 2,
                "destination_block": "renders",
                "prefix": "ui",
                "name": "clip",
                "poll_interval": 0.2,
            }
        },
        timeout=0,
    )
    assert (await _wait_for_run(ui_run.id)).state.type.value == "COMPLETED"  # type: ignore[union-attr]
    assert stored("renders/ui/clip.mp4")

    # A UI run naming a file outside the worker's roots: refused, nothing sent.
    outside = Path(tempfile.mkdtemp(prefix="e2e-not-a-root-")) / "theirs.png"
    outside.write_bytes(png_bytes(rgb=(4, 5, 6)))
    refused = await arun_deployment(
        "runway-image-to-video/ui",
        parameters={"params": {"image": str(outside), "ratio": "960:960", "duration": 2,
                               "destination_block": "renders", "prefix": "ui", "name": "theirs"}},
        timeout=0,
    )  # fmt: skip
    assert (await _wait_for_run(refused.id)).state.type.value == "FAILED"  # type: ignore[union-attr]
    assert "outside the allowed folders" in str((await _wait_for_run(refused.id)).state.message)
    assert emulator.stats()["creates_total"] == 1 and emulator.stats()["uploads"] == 0

    # (b) The upstream event, POSTed to the events API; the trigger starts the batch.
    manifest = _manifest(tmp_path / "event.jsonl", ["e1", "e2"], tmp_path)
    await asyncio.to_thread(post_assets_ready, deployed.api_url, str(manifest), "e2e", "event")
    deadline = time.monotonic() + 120
    while not (triggered := await _runs_of("runway-batch/on-assets-ready")):
        assert time.monotonic() < deadline, "the trigger started no run"
        await asyncio.sleep(0.5)
    finished = await _wait_for_run(triggered[0].id)
    assert finished.state.type.value == "COMPLETED"  # type: ignore[union-attr]
    assert finished.parameters["manifest"] == str(manifest)
    assert stored("renders/event/e1.mp4") and stored("renders/event/e2.mp4")

    # (c) A fan-out: four chunk runs of the batch deployment, on both workers.
    big = _manifest(tmp_path / "big.jsonl", ["f1", "f2", "f3", "f4"], tmp_path)
    fan = await arun_deployment(
        "runway-fan-out/nightly",
        parameters={"source": str(big), "prefix": "fan", "chunk_rows": 1, "wait": False},
        timeout=0,
    )
    assert (await _wait_for_run(fan.id)).state.type.value == "COMPLETED"  # type: ignore[union-attr]
    chunk_runs = await _chunk_runs_of(fan.id)
    assert len(chunk_runs) == 4
    for run in chunk_runs:
        assert (await _wait_for_run(run.id)).state.type.value == "COMPLETED"  # type: ignore[union-attr]
    assert all(stored(f"renders/fan/f{i}.mp4") for i in range(1, 5))
    took = {worker: sum(str(run.id) in deployed.log(worker) for run in chunk_runs)
            for worker in ("worker-1", "worker-2")}  # fmt: skip
    assert took["worker-1"] >= 1 and took["worker-2"] >= 1, took

    # (d) A detached batch ends with its generations running; the sweep stores them later.
    emulator.configure(run_seconds=4.0)
    later = _manifest(tmp_path / "later.jsonl", ["d1", "d2"], tmp_path)
    detached = await arun_deployment(
        "runway-batch/batch",
        parameters={"manifest": str(later), "prefix": "later", "detach": True},
        timeout=0,
    )
    assert (await _wait_for_run(detached.id)).state.type.value == "COMPLETED"  # type: ignore[union-attr]
    assert not stored("renders/later/d1.mp4")
    deadline = time.monotonic() + 60
    while emulator.stats()["tasks_by_status"].get("RUNNING", 0) + emulator.stats()[
        "tasks_by_status"
    ].get("PENDING", 0):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.2)
    swept = await arun_deployment(
        "runway-sweep/every-10-minutes",
        parameters={"manifest": str(later), "prefix": "later"},
        timeout=0,
    )
    assert (await _wait_for_run(swept.id)).state.type.value == "COMPLETED"  # type: ignore[union-attr]
    assert stored("renders/later/d1.mp4") and stored("renders/later/d2.mp4")

    # One create per generation: 1 + 2 + 4 + 2.
    assert emulator.stats()["creates_total"] == 9


async def test_cancelling_a_fan_out_cancels_its_chunk_run_and_deletes_its_runway_tasks(
    deployed: Server, emulator: RunwayEmulator, s3_server: MotoServer, tmp_path: Path
) -> None:
    s3 = s3_server.credentials().get_s3_client()

    def in_the_ledger() -> str:
        """Every ledger entry's body, concatenated (a task id recorded shows in it)."""
        return "".join(
            s3.get_object(Bucket=bucket["Name"], Key=item["Key"])["Body"].read().decode()
            for bucket in s3.list_buckets()["Buckets"]
            for item in s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", [])
            if "/_runway/ledger/" in item["Key"]
        )

    # One chunk of three rows, on the worker the fan-out leaves free: one task RUNNING for
    # minutes, the others THROTTLED behind it.
    emulator.configure(run_seconds=120, max_concurrent={"gen4_turbo": 1})
    rows = _manifest(tmp_path / "cancel.jsonl", ["c1", "c2", "c3"], tmp_path)
    fan = await arun_deployment(
        "runway-fan-out/nightly",
        parameters={"source": str(rows), "prefix": "cancel", "chunk_rows": 3, "wait": True,
                    "poll_interval": 0.5},
        timeout=0,
    )  # fmt: skip
    deadline = time.monotonic() + 180
    async with get_client() as prefect:
        # Every task created (in the ledger, with the run's lease, before its wait: what the
        # hook reads) and the waits under way (the chunk's one shared runway-wait task run).
        while True:
            chunks = await _chunk_runs_of(fan.id)
            task_ids = emulator.stats()["task_ids"]
            waits = (
                await prefect.read_task_runs(
                    flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[chunks[0].id]))
                )
                if chunks
                else []
            )
            waiting = [
                run.name
                for run in waits
                if run.name.startswith("runway-wait (first ")
                and run.state_type == StateType.RUNNING
            ]
            if len(task_ids) == 3 and waiting:
                ledger = await asyncio.to_thread(in_the_ledger)
                if all(task_id in ledger for task_id in task_ids):
                    break
            assert time.monotonic() < deadline, (chunks, task_ids, [r.name for r in waits])
            await asyncio.sleep(0.5)
        assert emulator.stats()["tasks_by_status"].get("SUCCEEDED", 0) == 0

        # The user cancels the fan-out only; Prefect cancels its chunk run (a subflow run of a
        # deployment), whose worker stops it and runs its on_cancellation hook.
        await prefect.set_flow_run_state(fan.id, Cancelling(), force=True)
        assert (await _wait_for_run(fan.id)).state.type.value == "CANCELLED"  # type: ignore[union-attr]
        chunk = await _wait_for_run(chunks[0].id)
        assert chunk.state.type.value == "CANCELLED"  # type: ignore[union-attr]
        while set(emulator.stats()["deleted_task_ids"]) != set(task_ids):
            assert time.monotonic() < deadline, emulator.stats()["deleted_task_ids"]
            await asyncio.sleep(0.2)
        # The hook ran through the process worker and said so in the chunk run's logs (the
        # waits that saw the run CANCELLING first may have cancelled their own tasks: then it
        # finds none left).
        messages: list[str] = []
        hook_said = ("Runway task(s) still waited on", "no Runway task was still waited on")
        while not any(said in m for m in messages for said in hook_said):
            assert time.monotonic() < deadline, messages[-20:]
            await asyncio.sleep(0.2)
            chunk_logs = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[chunk.id]))
            messages = [log.message for log in await prefect.read_logs(chunk_logs)]
    assert not any(emulator.api_key in m or "_jwt" in m for m in messages)
    states = {emulator.task(task_id)["cancelled_while"] for task_id in task_ids}
    assert states <= {"PENDING", "THROTTLED", "RUNNING"}, states
    assert emulator.stats()["creates_total"] == 3
