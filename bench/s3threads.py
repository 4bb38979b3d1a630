"""The client CPU of one generation's S3 PUTs by the S3 thread pool's size and the client
(issue 20).

``python3 -m bench.s3threads [--generations 200] [--concurrency 20] [--threads 1,4,8,32]
[--clients botocore] [--rounds 3] [--latency 0]`` starts moto's S3
(``prefect_runway.testing.s3.MotoServer``, keeping connections alive as the costs bench's
does), then, for each round and each variant in turn (the order rotated every round, so no
variant always runs first), awaits ``--generations`` generations, ``--concurrency`` at a time,
each doing the PUTs one generation of the costs bench does one after the other: four
ledger-sized bodies (600 bytes), the 1 MB output, a sidecar (1.5 KB). Each PUT goes through
``loop.run_in_executor`` on a fresh ``ThreadPoolExecutor`` of that size, as
``prefect_runway.tasks.s3io.run_s3`` sends it, with a boto3 client pooled for 64 connections:
``botocore``, as botocore sets it up (every PUT with ``Expect: 100-continue``), or ``s3io``,
the client ``prefect_runway.tasks.s3io.s3_client`` hands out (small bodies without it).
``--clients botocore,s3io --threads 32`` compares the two.

Prints, per variant (``<client>/<threads>``), this process's CPU per PUT (``getrusage``: every
thread, moto's excluded: it is a child process) and the wall per round, each as the median of
the rounds and all of them. ``--latency S`` makes moto's PUTs wait S seconds first (moto then
runs them at once, not one object request at a time), to see what a smaller pool costs in wall
at a real S3's latency.
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
    threads: list[int],
    generations: int,
    concurrency: int,
    rounds: int,
    latency: float,
    clients: list[str] | None = None,
) -> dict[str, Any]:
    """Run every round; return the figures per client and pool size (``<client>/<threads>``)."""
    import boto3
    from botocore.config import Config

    from prefect_runway.tasks.s3io import s3_client
    from prefect_runway.testing.s3 import MotoServer

    variants = [(name, size) for name in clients or ["botocore"] for size in threads]
    runs: dict[tuple[str, int], list[tuple[float, float]]] = {v: [] for v in variants}
    with MotoServer(atomic=latency == 0, store_delay=latency) as moto:
        block = moto.new_bucket(stem="bench-s3threads")
        built = {
            # Its own client: s3io's registers its handler on the block's cached one.
            "botocore": boto3.client(
                "s3",
                endpoint_url=moto.endpoint_url,
                region_name="us-east-1",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",  # noqa: S106
                config=Config(max_pool_connections=64),
            ),
            "s3io": s3_client(block),
        }
        for number in range(rounds):
            order = variants[number % len(variants) :] + variants[: number % len(variants)]
            for name, size in order:
                runs[(name, size)].append(
                    asyncio.run(
                        _round(built[name], block.bucket_name, size, generations, concurrency)
                    )
                )
    puts = generations * PUTS_PER_GENERATION
    return {
        "generations": generations,
        "concurrency": concurrency,
        "latency": latency,
        "load": list(os.getloadavg()),
        "variants": {
            f"{name}/{size}": {
                "cpu_ms_per_put": statistics.median(cpu for cpu, _ in runs[(name, size)])
                * 1000
                / puts,
                "cpu_ms_per_put_all": [round(c * 1000 / puts, 3) for c, _ in runs[(name, size)]],
                "wall_s": statistics.median(wall for _, wall in runs[(name, size)]),
                "wall_s_all": [round(wall, 2) for _, wall in runs[(name, size)]],
            }
            for name, size in variants
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python3 -m bench.s3threads", description=__doc__)
    parser.add_argument("--generations", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--threads", default="1,4,8,32")
    parser.add_argument("--clients", default="botocore")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    sizes = [int(size) for size in args.threads.split(",")]
    doc = measure(
        sizes, args.generations, args.concurrency, args.rounds, args.latency,
        args.clients.split(","),
    )  # fmt: skip
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
