"""What one poll costs the process that sends it: ``N`` concurrent waits against the emulator.

``python -m bench.polls --waits 500 [--mode wait|bare|transport] [--connections 100]
[--poll-interval 5] [--window 30]
[--spy out.txt] [--result out.json]``

The capacity figure (``bench/capacity.py``, BENCHMARKS.md 7.3) measures the whole flow process
(plans, ledger, Prefect task runs) and takes many minutes to ramp up; this one isolates the poll
so a change to it can be measured in a minute. The emulator runs in its own process (its CPU is
not ours), every task stays RUNNING for an hour, and this process holds ``--waits`` waits:

* ``wait``: ``wait_for_task`` on one shared ``RunwayClient`` (the package's poll path, without
  Prefect: the lease renewal and the cancellation check are measured by the capacity figure);
* ``bare``: the floor for an httpx request per poll: a plain ``httpx.AsyncClient`` GET of the
  same URL with the same headers and pool, ``asyncio.sleep`` between, nothing parsed;
* ``transport``: the same through ``httpx.AsyncHTTPTransport`` alone (no client machinery).

Once every wait has polled, CPU (user + system, all threads) and polls are counted over
``--window`` seconds. The result: CPU per poll, polls per second, RSS; with ``--spy``, py-spy's
raw samples of the window.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import cpu_seconds, proc_status


def start_emulator(waits: int) -> tuple[subprocess.Popen[str], str, str]:
    """The emulator in its own process, every task RUNNING for an hour, all slots free."""
    config = {
        "queue_seconds": 0.0,
        "run_seconds": 3600.0,
        "default_max_concurrent": waits,
        "credit_balance": 10**9,
    }
    path = Path(tempfile.mkstemp(suffix=".json")[1])
    path.write_text(json.dumps(config))
    process = subprocess.Popen(
        [sys.executable, "-m", "prefect_runway.testing.emulator", "--config", str(path),
         "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    base_url = process.stdout.readline().strip().split("=", 1)[1]
    api_key = process.stdout.readline().strip().split("=", 1)[1]
    return process, base_url, api_key


async def create_tasks(base_url: str, api_key: str, count: int) -> list[str]:
    from prefect_runway.api import Gen4TurboImageToVideo, RunwayClient
    from tests.media_samples import png_data_uri

    image = png_data_uri()
    async with RunwayClient(api_key=api_key, base_url=base_url) as client:
        semaphore = asyncio.Semaphore(20)

        async def one(seed: int) -> str:
            async with semaphore:
                request = Gen4TurboImageToVideo(
                    prompt_image=image, ratio="1280:720", duration=5, seed=seed
                )
                return (await client.create(request)).id

        return list(await asyncio.gather(*(one(i) for i in range(count))))


async def hold(args: argparse.Namespace, base_url: str, api_key: str) -> dict[str, Any]:
    import httpx

    from prefect_runway.api import API_VERSION, RunwayClient, WaitPolicy, wait_for_task

    ids = await create_tasks(base_url, api_key, args.waits)
    polled: set[str] = set()
    polls = 0
    policy = WaitPolicy(poll_interval=args.poll_interval)
    async with RunwayClient(
        api_key=api_key, base_url=base_url, max_connections=args.connections
    ) as client:
        if args.mode == "wait":
            get_task = client.get_task

            async def counted(task_id: str) -> Any:
                nonlocal polls
                polls += 1
                polled.add(task_id)
                return await get_task(task_id)

            client.get_task = counted  # type: ignore[method-assign]
            waits = [asyncio.create_task(wait_for_task(client, i, policy)) for i in ids]
        else:
            headers = {"Authorization": f"Bearer {api_key}", "X-Runway-Version": API_VERSION}
            limits = httpx.Limits(
                max_connections=args.connections,
                max_keepalive_connections=args.connections,
                keepalive_expiry=4.0,
            )
            http = httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits)
            transport = httpx.AsyncHTTPTransport(limits=limits)
            slots = asyncio.Semaphore(args.connections)

            async def bare(task_id: str) -> None:
                nonlocal polls
                request = httpx.Request("GET", f"{base_url}/v1/tasks/{task_id}", headers=headers)
                while True:
                    async with slots:
                        if args.mode == "bare":
                            response = await http.get(f"/v1/tasks/{task_id}")
                        else:  # the transport alone: no client-level machinery
                            response = await transport.handle_async_request(request)
                            await response.aread()
                            await response.aclose()
                    if response.status_code != 200:
                        raise RuntimeError(f"HTTP {response.status_code}")
                    polls += 1
                    polled.add(task_id)
                    await asyncio.sleep(policy.next_delay())

            waits = [asyncio.create_task(bare(i)) for i in ids]
        pools = [http._transport._pool, transport._pool] if (
            args.mode != "wait") else [c._transport._pool for c in client._api_pools]  # fmt: skip
        pool_sizes: list[int] = []

        async def watch_pools() -> None:
            while True:
                pool_sizes.append(sum(len(p.connections) for p in pools))
                await asyncio.sleep(0.25)

        while len(polled) < len(ids):
            if any(w.done() for w in waits):
                raise RuntimeError(next(w for w in waits if w.done()).exception())
            await asyncio.sleep(0.2)
        await asyncio.sleep(args.poll_interval * 1.2)
        spy = None
        if args.spy:
            spy = subprocess.Popen(  # noqa: ASYNC220 - starts at once
                [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(os.getpid()),
                 "--rate", "100", "--format", "raw", "--output", args.spy, "--duration",
                 str(int(args.window)), "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        watcher = asyncio.create_task(watch_pools())
        cpu0, polls0, t0 = cpu_seconds(), polls, time.monotonic()
        await asyncio.sleep(args.window)
        cpu1, polls1, t1 = cpu_seconds(), polls, time.monotonic()
        watcher.cancel()
        if spy is not None:
            await asyncio.to_thread(spy.wait, 60)
        ended = sum(w.done() for w in waits)
        for w in waits:
            w.cancel()
        await asyncio.gather(*waits, return_exceptions=True)
    count = polls1 - polls0
    return {
        "mode": args.mode,
        "waits": args.waits,
        "poll_interval": args.poll_interval,
        "seconds": t1 - t0,
        "polls": count,
        "polls_per_second": count / (t1 - t0),
        "expected_polls_per_second": args.waits / args.poll_interval,
        "cores": (cpu1 - cpu0) / (t1 - t0),
        "cpu_per_poll_ms": 1000 * (cpu1 - cpu0) / count if count else float("nan"),
        "rss_mib": proc_status("VmRSS") / 2**20,
        "pooled_connections_mean": sum(pool_sizes) / max(len(pool_sizes), 1),
        "pooled_connections_max": max(pool_sizes, default=0),
        "ended_early": ended,
        "load": os.getloadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--waits", type=int, default=500)
    parser.add_argument("--mode", choices=("wait", "bare", "transport"), default="wait")
    parser.add_argument("--connections", type=int, default=100, help="the pool's size")
    parser.add_argument("--poll-interval", type=float, default=5.0)
    parser.add_argument("--window", type=float, default=30.0)
    parser.add_argument("--spy", help="py-spy raw samples of this process over the window")
    parser.add_argument("--result", help="write the result here as JSON")
    args = parser.parse_args()
    random.seed(0)
    emulator, base_url, api_key = start_emulator(args.waits)
    try:
        result = asyncio.run(hold(args, base_url, api_key))
    finally:
        emulator.terminate()
        emulator.wait(30)
    if args.spy:
        from bench.capacity import spy_categories

        result["spy"] = spy_categories(Path(args.spy))
    text = json.dumps(result, indent=2)
    print(text)
    if args.result:
        Path(args.result).write_text(text)


if __name__ == "__main__":
    main()
