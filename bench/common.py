"""What the bench's parent and its child processes share: fixed parameters and measurements.

Every figure runs with the same parameters so figures compare across runs (issue #9): per-model
concurrency C = 20, a generation of 10 s and a poll interval of 5 s, both divided by the time
scale 10, outputs of 1 MB.
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

SCALE = 10.0
CONCURRENCY = 20
GENERATION_SECONDS = 10.0 / SCALE
# The emulator's generation time, split between PENDING and RUNNING.
QUEUE_SECONDS = 1.0 / SCALE
RUN_SECONDS = GENERATION_SECONDS - QUEUE_SECONDS
POLL_INTERVAL = 5.0 / SCALE
# runwayml.lib.polling: POLL_TIME = 6, POLL_JITTER = 3 (seconds), divided by the same scale.
SDK_POLL_TIME = 6.0 / SCALE
SDK_POLL_JITTER = 3.0 / SCALE
OUTPUT_BYTES = 1_000_000
MODEL = "gen4_turbo"


def proc_status(field: str) -> int:
    """A ``kB`` field of /proc/self/status (VmHWM, VmRSS), in bytes.

    ``ru_maxrss`` is no use in a child: it is inherited across fork+exec on Linux, so a child
    of a large parent reports the parent's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far (all its threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Meter:
    """Wall, CPU and memory of one measured section in this process."""

    def __init__(self) -> None:
        self.rss_before = proc_status("VmRSS")
        self.cpu_before = cpu_seconds()
        self.wall_start = time.time()
        self.start = time.perf_counter()

    def result(self, **extra: Any) -> dict[str, Any]:
        return {
            "wall": time.perf_counter() - self.start,
            "wall_start": self.wall_start,
            "wall_end": time.time(),
            "cpu": cpu_seconds() - self.cpu_before,
            "cpu_total": cpu_seconds(),
            "rss_before": self.rss_before,
            "peak_rss": proc_status("VmHWM"),
            **extra,
        }


def png_data_uri() -> str:
    """The same small input picture for every row (tests.media_samples makes it)."""
    from tests.media_samples import png_data_uri as make

    return make()


def manifest_rows(count: int, *, tag: str) -> list[dict[str, Any]]:
    """``count`` distinct image-to-video requests (distinct seeds: no two rows share a key)."""
    image = png_data_uri()
    return [
        {
            "name": f"{tag}-{index:05d}",
            "request": {
                "model": MODEL,
                "promptImage": image,
                "promptText": "a harbour at dawn",
                "ratio": "1280:720",
                "duration": 5,
                "seed": index,
            },
        }
        for index in range(count)
    ]


def write_result(path: str, result: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(result))


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.update(extra or {})
    return env


def profiled(path: str, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``make()`` under pyinstrument (wall clock, async-aware); write its text report.

    pyinstrument's async mode charges the time a coroutine spends awaiting to the ``await``
    that waited, so the report says where the wall time of a run went, not only its CPU.
    """
    import asyncio

    from pyinstrument import Profiler

    profiler = Profiler(interval=0.002, async_mode="enabled")
    profiler.start()
    try:
        result = asyncio.run(make())
    finally:
        profiler.stop()
    Path(path).write_text(profiler.output_text(unicode=False, color=False, show_all=False))
    return result


def key_shape(key: str) -> str:
    """An S3 key with its run's names folded (``cost-00012`` -> ``{name}``, a generation key
    -> ``{key}``), so requests count by what they are for."""
    import re

    key = re.sub(r"[0-9a-f]{16,}", "{key}", key)
    return re.sub(r"[a-z]+-\d{5}", "{name}", key)


class Counts:
    """What one run asked of S3 (by operation), of Prefect's events and of its threads.

    S3: every botocore API call of every client in the process (``BaseClient._make_api_call``
    is where each operation, multipart parts included, becomes one HTTP request). Events: every
    event the process hands to Prefect's events worker (task-run state changes and our own).
    Both patched in the child, so the parent's servers need no request logs.
    """

    def __init__(self) -> None:
        import threading

        self.s3: dict[str, int] = {}
        self.s3_keys: dict[str, int] = {}
        self.events: dict[str, int] = {}
        self.threads_started = 0
        self._lock = threading.Lock()

    def _add(self, table: dict[str, int], name: str) -> None:
        with self._lock:
            table[name] = table.get(name, 0) + 1

    def install(self, *, events: bool) -> Counts:
        import threading

        import botocore.client

        counts = self
        make_api_call = botocore.client.BaseClient._make_api_call

        def counted(client: Any, operation: str, params: Any) -> Any:
            counts._add(counts.s3, operation)
            counts._add(counts.s3_keys, f"{operation} {key_shape(params.get('Key', ''))}")
            return make_api_call(client, operation, params)

        botocore.client.BaseClient._make_api_call = counted  # type: ignore[method-assign]
        start = threading.Thread.start

        def started(thread: threading.Thread) -> None:
            with counts._lock:
                counts.threads_started += 1
            start(thread)

        threading.Thread.start = started  # type: ignore[method-assign]
        if events:
            from prefect.events.worker import EventsWorker

            prepare = EventsWorker._prepare_item

            def counted_event(worker: Any, event: Any) -> Any:
                counts._add(counts.events, str(event.event))
                return prepare(worker, event)

            EventsWorker._prepare_item = counted_event  # type: ignore[method-assign]
        return self

    def result(self) -> dict[str, Any]:
        return {
            "s3_ops": dict(self.s3),
            "s3_keys": dict(self.s3_keys),
            "events": dict(self.events),
            "threads_started": self.threads_started,
        }


def emulator_timeline(emulator: Any) -> list[dict[str, float | None]]:
    """Per emulator task, as wall-clock seconds: created, started, ended (SUCCEEDED or FAILED),
    succeeded, first seen SUCCEEDED and first output GET (None where it has not happened).

    The emulator keeps monotonic times; each is converted through the task's own pair of
    create times, read on the emulator's loop.
    """
    state = emulator.state

    async def read() -> list[dict[str, float | None]]:
        now = state.clock()
        state.advance_all(now)
        rows = []
        for task in state.tasks.values():

            def wall(mono: float | None, task: Any = task) -> float | None:
                return None if mono is None else task.created_wall + mono - task.created_mono

            status = task.status_at(now)
            ended = task.run_end if status in ("SUCCEEDED", "FAILED") else None
            succeeded = task.run_end if status == "SUCCEEDED" else None
            rows.append({"created": task.created_wall, "started": wall(task.run_start),
                         "ended": wall(ended), "succeeded": wall(succeeded),
                         "first_seen": wall(task.first_seen_succeeded),
                         "first_download": wall(task.first_download)})  # fmt: skip
        return rows

    result: list[dict[str, float | None]] = emulator.call(read())
    return result
