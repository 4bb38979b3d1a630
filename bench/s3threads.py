"""The client CPU of one generation's S3 PUTs by the size of the S3 thread pool (issue 20).

``python3 -m bench.s3threads [--generations 200] [--concurrency 20] [--threads 1,4,8,32]
[--rounds 3] [--latency 0]`` starts moto's S3 (``prefect_runway.testing.s3.MotoServer``, keeping
connections alive as the costs bench's does), then, for each round and each pool size in turn
(the order rotated every round, so no size always runs first), awaits ``--generations``
generations, ``--concurrency`` at a time, each doing the PUTs one generation of the costs
bench does one after the other: four ledger-sized bodies (600 bytes), the 1 MB output, a
sidecar (1.5 KB). Each PUT goes through ``loop.run_in_executor`` on a fresh
``ThreadPoolExecutor`` of that size, as ``prefect_runway.tasks.s3io.run_s3`` sends it, with one
boto3 client pooled for 32 connections.

Prints, per pool size, this process's CPU per PUT (``getrusage``: every thread, moto's
excluded: it is a child process) and the wall per round, each as the median of the rounds and
all of them. ``--latency S`` makes moto's PUTs wait S seconds first (its S3 stays atomic per
object key only through moto's own locks), to see what a smaller pool costs in wall at a real
S3's latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.common import OUTPUT_BYTES

LEDGER_BODY = b"x" * 600
SIDECAR_BODY = b"y" * 1500
PUTS_PER_GENERATION = 6


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _round(
    client: Any, bucket: str, threads: int, generations: int, concurrency: int
) -> tuple[float, float]:
    """One pass of ``generations``; returns (CPU seconds, wall seconds)."""
    loop = asyncio.get_running_loop()
    output = os.urandom(OUTPUT_BYTES)
    gate = asyncio.Semaphore(concurrency)
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bench-s3") as pool:

        async def put(key: str, body: bytes) -> None:
            await loop.run_in_executor(
                pool, lambda: client.put_object(Bucket=bucket, Key=key, Body=body)
            )

        async def generation(index: int) -> None:
            async with gate:
                for step in range(4):
                    await put(f"ledger/{index}-{step}.json", LEDGER_BODY)
                await put(f"out/{index}.mp4", output)
                await put(f"out/{index}.json", SIDECAR_BODY)

        # Every thread started and every connection opened before the meter starts.
        await asyncio.gather(*(put(f"warm/{i}", LEDGER_BODY) for i in range(threads)))
        cpu, wall = _cpu(), time.perf_counter()
        await asyncio.gather(*(generation(i) for i in range(generations)))
        return _cpu() - cpu, time.perf_counter() - wall


def measure(
    threads: list[int], generations: int, concurrency: int, rounds: int, latency: float
) -> dict[str, Any]:
    """Run every round; return the figures per pool size."""
    from prefect_runway.testing.s3 import MotoServer

    runs: dict[int, list[tuple[float, float]]] = {size: [] for size in threads}
    with MotoServer(atomic=latency == 0, store_delay=latency) as moto:
        block = moto.new_bucket(stem="bench-s3threads")
        client = block.credentials.get_s3_client()
        for number in range(rounds):
            order = threads[number % len(threads) :] + threads[: number % len(threads)]
            for size in order:
                runs[size].append(
                    asyncio.run(_round(client, block.bucket_name, size, generations, concurrency))
                )
    puts = generations * PUTS_PER_GENERATION
    return {
        "generations": generations,
        "concurrency": concurrency,
        "latency": latency,
        "load": list(os.getloadavg()),
        "threads": {
            str(size): {
                "cpu_ms_per_put": statistics.median(cpu for cpu, _ in runs[size]) * 1000 / puts,
                "cpu_ms_per_put_all": [round(cpu * 1000 / puts, 3) for cpu, _ in runs[size]],
                "wall_s": statistics.median(wall for _, wall in runs[size]),
                "wall_s_all": [round(wall, 2) for _, wall in runs[size]],
            }
            for size in threads
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python3 -m bench.s3threads", description=__doc__)
    parser.add_argument("--generations", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--threads", default="1,4,8,32")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    sizes = [int(size) for size in args.threads.split(",")]
    doc = measure(sizes, args.generations, args.concurrency, args.rounds, args.latency)
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
