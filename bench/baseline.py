"""Child process: the baseline, a plain async script with Runway's official SDK and boto3.

What a careful user would write without prefect-runway: ``AsyncRunwayML`` pointed at the
emulator, ``create`` then ``wait_for_task_output`` (its poll constants divided by the time
scale, as ours are), at most C generations at once, each output downloaded with httpx into a
spooled temporary file (memory up to 16 MiB, disk beyond) and put into S3 with boto3's
``upload_fileobj``. No ledger, no sidecar, no Prefect. ``--submit-all`` creates every row at
once instead and leaves those beyond Runway's concurrency THROTTLED in its queue (the realistic
figure's second SDK side, ``bench/realistic.py``).

``python -m bench.baseline --manifest rows.jsonl --base-url URL --api-key KEY --endpoint-url
S3URL --bucket B --prefix P --result out.json``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (
    CONCURRENCY,
    SDK_POLL_JITTER,
    SDK_POLL_TIME,
    Counts,
    Meter,
    cpu_seconds,
    profiled,
    write_result,
)

STARTED = time.time()
SPOOL_BYTES = 16 * 1024 * 1024
TRANSFERS: list[float] = []  # seconds from the first byte asked to the upload's end, per output


async def one(
    client: Any, http: Any, s3: Any, bucket: str, prefix: str, row: dict[str, Any]
) -> None:
    request = row["request"]
    task = await client.image_to_video.create(
        model=request["model"],
        prompt_image=request["promptImage"],
        prompt_text=request["promptText"],
        ratio=request["ratio"],
        duration=request["duration"],
        seed=request["seed"],
    )
    done = await task.wait_for_task_output(timeout=None)
    started = time.perf_counter()
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        async with http.stream("GET", done.output[0]) as response:
            response.raise_for_status()
            async for chunk in response.aiter_bytes(1 << 20):
                spool.write(chunk)
        spool.seek(0)
        key = f"{prefix}/{row['name']}.mp4"
        await asyncio.to_thread(
            s3.upload_fileobj, spool, bucket, key, ExtraArgs={"ContentType": "video/mp4"}
        )
    TRANSFERS.append(time.perf_counter() - started)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    import boto3
    import httpx
    import runwayml.lib.polling as polling
    from runwayml import AsyncRunwayML

    polling.POLL_TIME = args.poll_time  # type: ignore[assignment]
    polling.POLL_JITTER = args.poll_jitter  # type: ignore[assignment]
    rows = [json.loads(line) for line in Path(args.manifest).read_text().splitlines() if line]
    s3 = boto3.client(
        "s3",
        endpoint_url=args.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 (moto accepts any key)
        region_name="us-east-1",
    )
    # C at a time (the default), or every row submitted at once and left to Runway's queue.
    limit = asyncio.Semaphore(len(rows) if args.submit_all else args.concurrency)
    failed = 0

    async def bounded(row: dict[str, Any]) -> None:
        nonlocal failed
        async with limit:
            try:
                await one(client, http, s3, args.bucket, args.prefix, row)
            except Exception as error:
                failed += 1
                print(f"row {row['name']} failed: {error!r}", flush=True)

    async with (
        AsyncRunwayML(api_key=args.api_key, base_url=args.base_url) as client,
        httpx.AsyncClient(timeout=60) as http,
    ):
        await asyncio.gather(*(bounded(row) for row in rows))
    return {"succeeded": len(rows) - failed, "failed": failed, "rows": len(rows)}


def main() -> None:
    parser = argparse.ArgumentParser()
    for name in ("manifest", "base-url", "api-key", "endpoint-url", "bucket", "prefix", "result"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--profile")
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--poll-time", type=float, default=SDK_POLL_TIME)
    parser.add_argument("--poll-jitter", type=float, default=SDK_POLL_JITTER)
    parser.add_argument("--submit-all", action="store_true",
                        help="create every row at once; Runway's queue (THROTTLED) holds "
                        "those beyond its concurrency")  # fmt: skip
    args = parser.parse_args()
    import boto3  # noqa: F401  (imports count as start-up, as in ours)
    import httpx  # noqa: F401
    import runwayml  # noqa: F401

    tallies = Counts().install(events=False)

    imported = time.time()
    import_cpu = cpu_seconds()
    meter = Meter()
    if args.profile:
        report = profiled(args.profile, lambda: run(args))
    else:
        report = asyncio.run(run(args))
    write_result(
        args.result,
        meter.result(
            **report,
            process_start=STARTED,
            imported_at=imported,
            import_cpu=import_cpu,
            transfers=TRANSFERS,
            **tallies.result(),
        ),
    )


if __name__ == "__main__":
    main()
