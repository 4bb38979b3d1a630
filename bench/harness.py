"""The bench's servers and how one measured run is started: emulator, moto S3, Prefect server.

* The emulator runs in this (the parent) process, in its thread; it records when each task
  reached SUCCEEDED and when the first GET of its output arrived.
* moto's S3 server runs in a child process (``prefect_runway.testing.s3.MotoServer``,
  shared with the tests and the demo).
* ``prefect server start`` runs as a child process with its own PREFECT_HOME, so its CPU time
  can be read from /proc apart from the flow's.
* Every measured run is a fresh child process (``bench.ours`` or ``bench.baseline``), so its
  peak RSS (VmHWM) and CPU time are its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.common import (
    CONCURRENCY,
    MODEL,
    OUTPUT_BYTES,
    QUEUE_SECONDS,
    RUN_SECONDS,
    child_env,
    emulator_timeline,
)

ROOT = Path(__file__).resolve().parent.parent
PREFECT_START_TIMEOUT = 300.0  # 2 cores shared with other work: start-up took 2 min once
# CPU seconds per second below which the Prefect server counts as idle (idle is ~0.02).
SETTLED_CPU = 0.15


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _cpu_of(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


class PrefectServer:
    """``prefect server start`` in a child process on a free port, with a private home."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = _free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self._process: subprocess.Popen[bytes] | None = None
        self._log = open(home / "server.log", "wb")

    def start(self) -> PrefectServer:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
             "--port", str(self.port), "--analytics-off", "--no-ui"],
            env=child_env({"PREFECT_HOME": str(self.home)}),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + PREFECT_START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"prefect server exited; see {self.home / 'server.log'}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.api_url}/health", timeout=2).status_code == 200:
                    return self
            time.sleep(0.2)
        self.stop()  # no orphan server left behind
        raise RuntimeError("prefect server did not answer /api/health")

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def cpu_seconds(self) -> float:
        """CPU time of the server and any children it started (from /proc via psutil)."""
        process = psutil.Process(self.pid)
        total = 0.0
        for proc in [process, *process.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                times = proc.cpu_times()
                total += times.user + times.system
        return total

    def rss(self) -> int:
        return int(psutil.Process(self.pid).memory_info().rss)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
        self._log.close()


class Harness:
    """The three servers, blocks saved in the Prefect server, and one method per kind of run."""

    def __init__(
        self,
        workdir: Path,
        *,
        api_url: str | None = None,
        emulator: Any = None,
        moto: Any = None,
    ) -> None:
        """Start every server, or reuse running ones (``api_url``, ``emulator``, ``moto``: the
        test suite's fixtures; the Prefect server's CPU is then not measured)."""
        self.workdir = workdir
        self._stack = contextlib.ExitStack()
        self.prefect: PrefectServer | None = None
        self.api_url = api_url or ""
        self._given = (emulator, moto) if api_url else None

    def __enter__(self) -> Harness:
        if self._given is not None:
            self.emulator, self.moto = self._given
            self._save_credentials()
            return self
        home = self.workdir / "prefect-home"
        home.mkdir(parents=True, exist_ok=True)
        self.prefect = PrefectServer(home)
        self.api_url = self.prefect.api_url
        # Before anything imports prefect: this process saves the blocks through that server.
        os.environ["PREFECT_HOME"] = str(home)
        os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
        os.environ["PREFECT_API_URL"] = self.api_url
        from prefect_runway.testing.emulator import EmulatorConfig, RunwayEmulator
        from prefect_runway.testing.s3 import MotoServer

        self.moto = self._stack.enter_context(MotoServer())
        self.emulator = self._stack.enter_context(
            RunwayEmulator(
                EmulatorConfig(
                    queue_seconds=QUEUE_SECONDS,
                    run_seconds=RUN_SECONDS,
                    max_concurrent={MODEL: CONCURRENCY},
                    output_bytes=OUTPUT_BYTES,
                    credit_balance=10**9,
                )
            )
        )
        self.prefect.start()
        self._stack.callback(self.prefect.stop)
        self._save_credentials()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _save_credentials(self) -> None:
        from pydantic import SecretStr

        from prefect_runway.blocks import RunwayCredentials

        # The runs' manifests live in the work folder: the block allows it as an input root.
        RunwayCredentials(
            api_key=SecretStr(self.emulator.api_key),
            base_url=self.emulator.base_url,
            input_roots=[str(self.workdir)],
        ).save("bench-runway", overwrite=True)

    # --------------------------------------------------------------------------- buckets

    def settle(self, timeout: float = 120.0) -> None:
        """Wait until the Prefect server is near idle again.

        After a large batch the server goes on recording task runs from its event backlog for
        a while (and may answer 503 meanwhile); the next run must not pay for that backlog.
        """
        if self.prefect is None:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            before = self.prefect.cpu_seconds()
            time.sleep(0.5)
            if self.prefect.cpu_seconds() - before < SETTLED_CPU * 0.5:
                return

    def new_bucket(self) -> Any:
        """A fresh bucket, saved as the block ``bench-dest``; outputs go under ``bench/``."""
        bucket = self.moto.new_bucket(folder="bench", stem="bench")
        for attempt in range(10):
            try:
                bucket.save("bench-dest", overwrite=True)
                break
            except Exception:  # a busy server answers 503: wait for it and try again
                if attempt == 9:
                    raise
                self.settle()
                time.sleep(1)
        return bucket

    def drop_bucket(self, bucket: Any) -> None:
        """Empty and delete a bucket: moto keeps objects in memory."""
        s3 = bucket.credentials.get_s3_client()
        paginator = s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket.bucket_name):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=bucket.bucket_name, Delete={"Objects": keys})
        s3.delete_bucket(Bucket=bucket.bucket_name)

    # ------------------------------------------------------------------------------ runs

    def _task_runs(self) -> int:
        """Task runs the Prefect server holds (0 without a server of ours)."""
        if self.prefect is None:
            return 0
        for attempt in range(10):
            try:
                response = httpx.post(f"{self.api_url}/task_runs/count", json={}, timeout=30)
                response.raise_for_status()
                return int(response.json())
            except httpx.HTTPError:  # a busy server answers 503: wait for it and try again
                if attempt == 9:
                    raise
                self.settle()
        return 0

    def _server_cpu(self) -> float:
        return self.prefect.cpu_seconds() if self.prefect is not None else 0.0

    def _timeline(self) -> list[dict[str, float | None]]:
        """Per task: created, SUCCEEDED and first output GET, as wall-clock seconds."""
        return emulator_timeline(self.emulator)

    def run(
        self,
        kind: str,
        rows: list[dict[str, Any]],
        *,
        bucket: Any,
        prefix: str,
        profile: Path | None = None,
        reset: bool = True,
        output_bytes: int | None = None,
        phases: bool = False,
    ) -> dict[str, Any]:
        """One measured run of ``kind`` (``ours`` or ``baseline``) in a fresh child process."""
        self.settle()
        if reset:
            self.emulator.reset()
        if output_bytes is not None:
            self.emulator.configure(output_bytes=output_bytes)
        run_dir = self.workdir / f"run-{uuid.uuid4().hex[:8]}"
        run_dir.mkdir()
        manifest = run_dir / "rows.jsonl"
        manifest.write_text("".join(json.dumps(row) + "\n" for row in rows))
        result_path = run_dir / "result.json"
        if kind == "ours":
            args = ["-m", "bench.ours", "--manifest", str(manifest),
                    "--destination-block", "bench-dest", "--credentials-block", "bench-runway",
                    "--prefix", prefix]  # fmt: skip
        else:
            args = ["-m", "bench.baseline", "--manifest", str(manifest),
                    "--base-url", self.emulator.base_url, "--api-key", self.emulator.api_key,
                    "--endpoint-url", self.moto.endpoint_url, "--bucket", bucket.bucket_name,
                    "--prefix", f"bench/{prefix}"]  # fmt: skip
        args += ["--result", str(result_path)]
        if profile is not None:
            args += ["--profile", str(profile)]
        elif phases and kind == "ours":
            args += ["--phases"]
        stats_before = self.emulator.stats()
        spy = None
        if profile is not None and kind == "ours" and self.prefect is not None:
            # Sample the Prefect server from outside while the flow runs (root: ptrace works).
            spy = subprocess.Popen(
                [str(Path(sys.executable).parent / "py-spy"), "record", "--pid",
                 str(self.prefect.pid), "--rate", "100", "--format", "raw", "--output",
                 str(profile) + ".server.txt", "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        task_runs = self._task_runs()
        server_cpu = self._server_cpu()
        moto_cpu = _cpu_of(self.moto.pid)
        # The emulator runs in this process; nothing else here works while a child runs.
        emulator_cpu = _cpu_of(os.getpid())
        spawned = time.time()
        with open(run_dir / "output.log", "wb") as log:
            completed = subprocess.run(
                [sys.executable, *args],
                cwd=ROOT,
                env=child_env({"PREFECT_API_URL": self.api_url}),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        exited = time.time()
        server_cpu_at_exit = self._server_cpu()
        # The server goes on recording the run's events after the flow returns: its CPU until
        # idle again is the run's cost too (less the idle rate, ~0.02 s/s, over that time).
        self.settle()
        settled = time.time()
        server_cpu_idle = self._server_cpu() - server_cpu
        server_cpu = server_cpu_at_exit - server_cpu
        task_runs = self._task_runs() - task_runs
        moto_cpu = _cpu_of(self.moto.pid) - moto_cpu
        emulator_cpu = _cpu_of(os.getpid()) - emulator_cpu
        if spy is not None:
            spy.send_signal(signal.SIGINT)  # py-spy writes its samples on SIGINT
            try:
                spy.wait(timeout=30)
            except subprocess.TimeoutExpired:
                spy.kill()
                spy.wait()
        if completed.returncode != 0 or not result_path.exists():
            tail = (run_dir / "output.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{kind} run failed ({completed.returncode}):\n{tail}")
        result: dict[str, Any] = json.loads(result_path.read_text())
        stats = self.emulator.stats()
        timeline = self._timeline() if reset else []
        delta = {
            key: stats[key] - stats_before[key]
            for key in ("creates_total", "gets", "downloads", "download_heads",
                        "organization_reads", "upload_requests", "deletes")
        }  # fmt: skip
        firsts = [t["created"] for t in timeline if t["created"] is not None]
        result.update(
            kind=kind,
            n=len(rows),
            spawned=spawned,
            exited=exited,
            process_wall=exited - spawned,
            server_cpu=server_cpu if kind == "ours" else 0.0,
            server_cpu_raw=server_cpu,
            server_cpu_until_idle=server_cpu_idle if kind == "ours" else 0.0,
            server_settle_seconds=settled - exited,
            task_runs=task_runs if kind == "ours" else 0,
            moto_cpu=moto_cpu,
            emulator_cpu=emulator_cpu,
            emulator=delta,
            requests_total=sum(delta.values()),
            first_post_after_spawn=(min(firsts) - spawned) if firsts else None,
            latencies=[
                t["first_download"] - t["succeeded"]  # type: ignore[operator]
                for t in timeline
                if t["first_download"] is not None and t["succeeded"] is not None
            ],
            # The latency split where it is measured: SUCCEEDED -> the first poll that said
            # so (the poll interval), then that poll -> the first output GET (the hand-off).
            poll_delays=[
                t["first_seen"] - t["succeeded"]  # type: ignore[operator]
                for t in timeline
                if t["first_seen"] is not None and t["succeeded"] is not None
            ],
            handoffs=[
                t["first_download"] - t["first_seen"]  # type: ignore[operator]
                for t in timeline
                if t["first_download"] is not None and t["first_seen"] is not None
            ],
            first_download=min(
                (t["first_download"] for t in timeline if t["first_download"] is not None),
                default=None,
            ),
        )
        return result


def scratch_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="prefect-runway-bench-"))
