"""Issue 20's global-concurrency-limit figure: one batch split over two workers sharing a limit.

``python3 -m bench.gcl [--rows 100] [--limit 24] [--markdown]`` starts the bench's servers
(``bench.harness.Harness``: emulator, moto, ``prefect server start``), then, for each mode, two
flow processes side by side (two workers), each running ``batch`` on its own half of the rows
(``concurrency_per_model`` 20, ``queue_ahead`` 4: the batch's default before it followed the
concurrency, kept so the figures of BENCHMARKS.md 7.6 and ``--limit`` 24 still mean 20 + 4):

* ``none``: no ``runway-gen4_turbo`` limit (each worker bounded by its own 20 + 4 only);
* ``prefect``: the limit created (``--limit``), each generation through Prefect's
  ``concurrency()`` (the code before this change, put back in the child for the figure);
* ``slots``: the limit created, the batch as it is (``flows/global_slots.py``).

For each: the wall from the first spawn to the last exit, the Prefect API calls to the
concurrency endpoints (counted in each child by path), the Prefect server's CPU until idle per
generation, the flow processes' CPU. Prints JSON; ``--markdown`` a table. The machine is shared:
read the load average printed beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from bench.common import CONCURRENCY, MODEL, POLL_INTERVAL, child_env, cpu_seconds, manifest_rows
from bench.harness import ROOT, Harness, scratch_dir

MODES = ("none", "prefect", "slots")
QUEUE_AHEAD = 4


def child(mode: str, manifest: str, prefix: str, result: str) -> None:
    from bench.ours import _count_requests

    requests = _count_requests()
    import prefect_runway.flows.batch as batch_module
    from prefect_runway.flows.batch import batch

    if mode == "prefect":
        from prefect.concurrency.asyncio import concurrency

        class PerGeneration:  # the code before: one Prefect acquisition per generation
            def __init__(self, name: str) -> None:
                self.name = name

            async def __aenter__(self) -> PerGeneration:
                return self

            async def __aexit__(self, *exc: object) -> None:
                return None

            @asynccontextmanager
            async def slot(self) -> Any:
                async with concurrency(self.name, strict=False):
                    yield

        batch_module.GlobalSlots = PerGeneration  # type: ignore[assignment,misc]

    pools: list[Any] = []
    if mode == "slots":
        real = batch_module.GlobalSlots

        def recorded(name: str) -> Any:
            pools.append(real(name))
            return pools[-1]

        batch_module.GlobalSlots = recorded  # type: ignore[assignment,misc]

    started, cpu = time.time(), cpu_seconds()

    async def run() -> Any:
        async with AsyncExitStack():
            return await batch(
                manifest=manifest, destination_block="bench-dest",
                credentials_block="bench-runway", prefix=prefix,
                concurrency_per_model=CONCURRENCY, poll_interval=POLL_INTERVAL,
                queue_ahead=QUEUE_AHEAD,
            )  # fmt: skip

    report = asyncio.run(run())
    concurrency_calls = {
        path.split(" ", 2)[2]: count
        for path, count in requests.items()
        if "/concurrency_limits/" in path
    }
    Path(result).write_text(json.dumps({
        "wall": time.time() - started, "cpu": cpu_seconds() - cpu,
        "succeeded": report.succeeded, "rows": report.rows,
        "concurrency_calls": concurrency_calls,
        "prefect_calls": sum(c for p, c in requests.items() if "/api/" in p),
        "slot_counts": [vars(pool.counts) for pool in pools],
    }))  # fmt: skip


def _limit(api_url: str, limit: int | None) -> None:
    import httpx

    name = f"runway-{MODEL}"
    httpx.delete(f"{api_url}/v2/concurrency_limits/{name}", timeout=30)
    if limit is not None:
        httpx.post(f"{api_url}/v2/concurrency_limits/", json={"name": name, "limit": limit},
                   timeout=30).raise_for_status()  # fmt: skip


def measure(harness: Harness, mode: str, rows: int, limit: int) -> dict[str, Any]:
    assert harness.prefect is not None
    _limit(harness.api_url, limit if mode != "none" else None)
    bucket = harness.new_bucket()
    harness.settle()
    harness.emulator.reset()
    run_dir = harness.workdir / f"gcl-{mode}-{uuid.uuid4().hex[:6]}"
    run_dir.mkdir()
    children = []
    server_cpu = harness.prefect.cpu_seconds()
    spawned = time.time()
    for worker in range(2):
        half = manifest_rows(rows // 2, tag=f"gcl-{mode}-w{worker}")
        for row in half:  # distinct requests across the workers
            row["request"]["seed"] += 100_000 * (worker + 1)
        manifest = run_dir / f"w{worker}.jsonl"
        manifest.write_text("".join(json.dumps(row) + "\n" for row in half))
        result = run_dir / f"w{worker}.json"
        log = open(run_dir / f"w{worker}.log", "wb")
        children.append((result, log, subprocess.Popen(
            [sys.executable, "-m", "bench.gcl", "child", mode, str(manifest), f"gcl-w{worker}",
             str(result)],
            cwd=ROOT, env=child_env({"PREFECT_API_URL": harness.api_url}),
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )))  # fmt: skip
    for _, log, process in children:
        process.wait()
        log.close()
    exited = time.time()
    server_cpu_at_exit = harness.prefect.cpu_seconds() - server_cpu
    harness.settle()
    server_cpu_idle = harness.prefect.cpu_seconds() - server_cpu
    results = []
    for result, _, process in children:
        if process.returncode != 0 or not result.exists():
            raise RuntimeError(f"{mode} worker failed; see {result.with_suffix('.log')}")
        results.append(json.loads(result.read_text()))
    calls: Counter[str] = Counter()
    for each in results:
        calls.update(each["concurrency_calls"])
    stats = harness.emulator.stats()
    active_after = None
    if mode != "none":
        import httpx

        read = httpx.get(f"{harness.api_url}/v2/concurrency_limits/runway-{MODEL}", timeout=30)
        active_after = read.json()["active_slots"]
    _limit(harness.api_url, None)
    harness.drop_bucket(bucket)
    stored = sum(r["succeeded"] for r in results)
    return {
        "mode": mode, "rows": rows, "limit": limit if mode != "none" else None,
        "stored": stored, "creates": stats["creates_total"],
        "wall": exited - spawned, "worker_walls": [r["wall"] for r in results],
        "flow_cpu": sum(r["cpu"] for r in results),
        "server_cpu_at_exit": server_cpu_at_exit, "server_cpu_until_idle": server_cpu_idle,
        "concurrency_calls": dict(calls), "prefect_calls": sum(r["prefect_calls"] for r in results),
        "load": os.getloadavg(), "active_slots_after": active_after,
        "slot_counts": [c for r in results for c in r.get("slot_counts", [])],
    }  # fmt: skip


def markdown(figures: list[dict[str, Any]]) -> str:
    lines = [
        "| mode | stored | wall (s) | concurrency calls | of which increment / decrement / renew "
        "| Prefect calls | server CPU-s per generation (until idle) | flow CPU-s per generation "
        "| load (1 min) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        calls = f["concurrency_calls"]

        def total(word: str, calls: dict[str, int] = calls) -> int:
            return sum(c for p, c in calls.items() if p.rstrip("/").endswith(word))

        n = max(f["stored"], 1)
        lines.append(
            f"| {f['mode']} | {f['stored']}/{f['rows']} | {f['wall']:.1f} "
            f"| {sum(calls.values())} | {total('increment-with-lease')} / "
            f"{total('decrement-with-lease')} / {total('renew')} | {f['prefect_calls']} "
            f"| {f['server_cpu_until_idle'] / n:.3f} | {f['flow_cpu'] / n:.3f} "
            f"| {f['load'][0]:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        child(*sys.argv[2:6])
        return
    parser = argparse.ArgumentParser(prog="python3 -m bench.gcl", description=__doc__)
    parser.add_argument("--rows", type=int, default=100, help="rows in all (half per worker)")
    parser.add_argument(
        "--limit",
        type=int,
        default=CONCURRENCY + 4,
        help="the runway-<model> limit (default the tier's 20 + queue 4)",
    )
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    figures = []
    with Harness(scratch_dir()) as harness:
        for mode in args.modes.split(","):
            figures.append(measure(harness, mode, args.rows, args.limit))
            print(json.dumps(figures[-1]), file=sys.stderr, flush=True)
    print(markdown(figures) if args.markdown else json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
