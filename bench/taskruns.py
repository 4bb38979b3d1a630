"""What one Prefect task run costs, apart from the work it wraps (issue 20's task-run note).

``python3 -m bench.taskruns [--count 300] [--concurrency 20]`` starts its own ``prefect server
start`` (as ``bench.harness.PrefectServer``), then runs, each in a fresh child process, one flow
that awaits ``--count`` calls of an empty async function, ``--concurrency`` at a time:

* ``plain``: the coroutine itself (no task run; the flow run's own cost);
* ``task``: the same as a ``@task(cache_policy=NO_CACHE)``, as ``runway-submit`` is declared;
* ``named``: with a ``task_run_name`` callable that reads the parameters, as ``runway-wait``;
* ``params``: with the parameters ``runway-store`` passes (an S3Bucket block, a client);
* ``opaque``: the same, each block and client wrapped in Prefect's ``opaque``, as
  ``prefect_runway.tasks.generate`` passes them since issue 20's fourth pass (the engine does not
  walk into them).

For each: the flow process's CPU, the Prefect server's CPU until idle again, and the events
sent, per call (less ``plain``'s). Prints a JSON document; ``--markdown`` a table.
``--kinds params,opaque --rounds 3`` runs only those, three times each, alternated (the order
rotated every round), and reports each kind's median with every round's figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import Counts, child_env, cpu_seconds
from bench.harness import ROOT, PrefectServer, scratch_dir

KINDS = ("plain", "task", "named", "params", "opaque")


def child(kind: str, count: int, concurrency: int, result: str) -> None:
    from prefect import flow, task
    from prefect.cache_policies import NO_CACHE
    from prefect.runtime import task_run
    from prefect.utilities.annotations import opaque
    from prefect_aws import AwsCredentials, S3Bucket
    from pydantic import SecretStr

    from prefect_runway.api import RunwayClient

    counts = Counts().install(events=True)

    # Named parameters, as the real tasks have (Prefect folds ``**kwargs`` into one).
    async def empty(task_id: str) -> None:
        return None

    async def store_like(
        client: RunwayClient, task_id: str, output_url: str, index: int,
        destination: S3Bucket, key_without_extension: str, extra_args: Any, expected: Any,
    ) -> None:  # fmt: skip
        return None

    def name() -> str:
        return f"wait-{task_run.parameters['task_id']} (attempt k in f)"

    wrapped: Any = {
        "plain": empty,
        "task": task(name="bench-empty", cache_policy=NO_CACHE, retries=0)(empty),
        "named": task(name="bench-named", task_run_name=name, cache_policy=NO_CACHE)(empty),
        "params": task(name="bench-params", cache_policy=NO_CACHE, retries=2)(store_like),
        "opaque": task(name="bench-params", cache_policy=NO_CACHE, retries=2)(store_like),
    }[kind]

    @flow(name=f"bench-taskruns-{kind}")
    async def run() -> None:
        bucket = S3Bucket(
            bucket_name="b",
            credentials=AwsCredentials(region_name="us-east-1"),
        )
        client = RunwayClient(SecretStr("key_" + "0" * 128))
        gate = asyncio.Semaphore(concurrency)

        async def one(index: int) -> None:
            async with gate:
                if kind in ("params", "opaque"):
                    wrap = opaque if kind == "opaque" else (lambda value: value)
                    await wrapped(client=wrap(client), task_id=str(index),
                                  output_url="https://x/y", index=0, destination=wrap(bucket),
                                  key_without_extension="k", extra_args=wrap(None),
                                  expected=wrap(None))  # fmt: skip
                else:
                    await wrapped(task_id=str(index))

        await asyncio.gather(*(one(i) for i in range(count)))
        await client.aclose()

    before = cpu_seconds()
    asyncio.run(run())
    Path(result).write_text(json.dumps({"cpu": cpu_seconds() - before, **counts.result()}))


def measure(
    count: int, concurrency: int, kinds: tuple[str, ...] = KINDS, rounds: int = 1
) -> dict[str, Any]:
    workdir = scratch_dir()
    home = workdir / "prefect-home"
    home.mkdir()
    server = PrefectServer(home).start()
    out: dict[str, Any] = {"count": count, "concurrency": concurrency, "kinds": {}}
    runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
    try:
        for number in range(rounds):
            for kind in kinds[number % len(kinds) :] + kinds[: number % len(kinds)]:
                _settle(server)
                before = server.cpu_seconds()
                result = workdir / f"{kind}-{number}.json"
                subprocess.run(
                    [sys.executable, "-m", "bench.taskruns", "--child", kind, "--count",
                     str(count), "--concurrency", str(concurrency), "--result", str(result)],
                    cwd=ROOT, env=child_env({"PREFECT_API_URL": server.api_url}), check=True,
                    stdout=subprocess.DEVNULL, stderr=(workdir / f"{kind}.log").open("wb"),
                )  # fmt: skip
                _settle(server)
                doc = json.loads(result.read_text())
                runs[kind].append(
                    {
                        "flow_cpu": doc["cpu"] / count,
                        "server_cpu": (server.cpu_seconds() - before) / count,
                        "events": sum(doc["events"].values()) / count,
                    }
                )
    finally:
        server.stop()
    for kind, figures in runs.items():
        out["kinds"][kind] = {
            name: statistics.median(figure[name] for figure in figures)
            for name in ("flow_cpu", "server_cpu", "events")
        }
        if rounds > 1:
            out["kinds"][kind]["flow_cpu_all"] = [round(f["flow_cpu"], 5) for f in figures]
    out["load"] = list(__import__("os").getloadavg())
    return out


def _settle(server: PrefectServer, idle: float = 0.05, timeout: float = 180.0) -> None:
    """Wait until the server's CPU rate falls to ``idle`` core (its event backlog done)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = server.cpu_seconds()
        time.sleep(1.0)
        if server.cpu_seconds() - before < idle:
            return


def markdown(doc: dict[str, Any]) -> str:
    plain = doc["kinds"].get("plain", {"flow_cpu": 0.0})
    lines = [
        "| call | flow CPU ms/call | extra over a plain call | server CPU ms/call until idle "
        "| events/call |",
        "|---|---|---|---|---|",
    ]
    for kind, row in doc["kinds"].items():
        lines.append(
            f"| {kind} | {1000 * row['flow_cpu']:.2f} | "
            f"{1000 * (row['flow_cpu'] - plain['flow_cpu']):.2f} | "
            f"{1000 * row['server_cpu']:.1f} | {row['events']:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python3 -m bench.taskruns", description=__doc__)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.count, args.concurrency, args.result)
        return
    kinds = tuple(kind for kind in args.kinds.split(",") if kind in KINDS)
    doc = measure(args.count, args.concurrency, kinds, args.rounds)
    print(json.dumps(doc, indent=1))
    if args.markdown:
        print(markdown(doc))


if __name__ == "__main__":
    main()
