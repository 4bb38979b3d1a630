"""Child process: one flow process holding many concurrent waits (issue 20's capacity figure).

``python -m bench.capacity --waits 2000 --destination-block b --credentials-block c --prefix p
--poll-interval 5 --window 60 --result out.json [--spy out.txt]``. PREFECT_API_URL names the
server; the emulator (started by the parent) keeps every task RUNNING for an hour, so no wait
ends while we measure.

One flow run calls ``generate`` for every row at once: the real path (plan, the ledger's
claims, submit, the waits under the flow run's one shared ``runway-wait`` task run, each with
its lease in the ledger, and the run's shared cancellation check). Once every wait has polled
its task at least once (the ramp), the steady state is measured over ``--window`` seconds: CPU
of this process, polls sent, Prefect API calls, S3 requests (lease renewals), RSS, file
descriptors, sockets, threads.
Then the process writes its result and leaves at once (``os._exit``): the waits never end.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import Counts, cpu_seconds, proc_status

_TASK_POLL = re.compile(r"^/v1/tasks/([0-9a-f-]{36})$")


def _fds() -> tuple[int, int]:
    """Open file descriptors of this process, and how many of them are sockets."""
    total = sockets = 0
    for name in os.listdir("/proc/self/fd"):
        total += 1
        try:
            if os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                sockets += 1
        except OSError:  # closed between the listing and the read
            pass
    return total, sockets


class Probe:
    """Counts every httpx request this process sends: Runway polls (and which tasks were
    polled), Prefect API calls, the rest. Patched at ``AsyncHTTPTransport.handle_async_request``:
    the Runway client sends its polls to the transport, not through ``AsyncClient.send``."""

    def __init__(self, prefect_port: int | None) -> None:
        self.polls = 0
        self.polled: set[str] = set()
        self.prefect_calls: collections.Counter[str] = collections.Counter()
        self.other = 0
        self.prefect_port = prefect_port
        self._lock = threading.Lock()

    def install(self) -> Probe:
        import httpx

        original = httpx.AsyncHTTPTransport.handle_async_request
        probe = self
        ident = re.compile(r"/[0-9a-f]{8}-[0-9a-f-]{27,}")

        async def send(
            transport: httpx.AsyncHTTPTransport, request: httpx.Request
        ) -> httpx.Response:
            path = request.url.path
            with probe._lock:
                if request.method == "GET" and (found := _TASK_POLL.match(path)):
                    probe.polls += 1
                    probe.polled.add(found[1])
                elif request.url.port == probe.prefect_port:
                    probe.prefect_calls[f"{request.method} {ident.sub('/{id}', path)}"] += 1
                else:
                    probe.other += 1
            return await original(transport, request)

        httpx.AsyncHTTPTransport.handle_async_request = send  # type: ignore[method-assign,assignment]
        return self


def sample(probe: Probe, counts: Counts) -> dict[str, Any]:
    fds, sockets = _fds()
    with probe._lock:
        polls, polled = probe.polls, len(probe.polled)
        prefect_calls = dict(probe.prefect_calls)
    return {
        "t": time.monotonic(),
        "cpu": cpu_seconds(),
        "rss": proc_status("VmRSS"),
        "hwm": proc_status("VmHWM"),
        "fds": fds,
        "sockets": sockets,
        "threads": threading.active_count(),
        "polls": polls,
        "polled": polled,
        "prefect_calls": prefect_calls,
        "s3": dict(counts.s3_keys),
        "events": dict(counts.events),
        "load": os.getloadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--waits", type=int, required=True)
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--destination-block", required=True)
    parser.add_argument("--credentials-block", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--poll-interval", type=float, default=5.0)
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--ramp-timeout", type=float, default=1200.0)
    parser.add_argument("--result", required=True)
    parser.add_argument("--spy", help="py-spy raw samples of this process over the window")
    args = parser.parse_args()

    from urllib.parse import urlparse

    from prefect import flow
    from prefect.settings import PREFECT_API_URL
    from prefect_aws import S3Bucket

    from prefect_runway import RunwayCredentials, generate
    from prefect_runway.api import WaitPolicy

    counts = Counts().install(events=True)
    probe = Probe(urlparse(PREFECT_API_URL.value() or "").port).install()
    rows = [json.loads(line) for line in Path(args.manifest).read_text().splitlines()]
    timeline: list[dict[str, Any]] = []
    started = time.monotonic()
    stop = threading.Event()

    def sampler() -> None:  # a thread: it samples even while the event loop is saturated
        while not stop.wait(1.0):  # the counters' tables only at the window's two ends
            point = sample(probe, counts)
            timeline.append({k: v for k, v in point.items() if not isinstance(v, dict)})

    threading.Thread(target=sampler, daemon=True).start()
    result: dict[str, Any] = {"waits": args.waits, "poll_interval": args.poll_interval}

    @flow(name="bench-capacity")
    async def hold() -> None:
        destination = await S3Bucket.aload(args.destination_block)
        credentials: RunwayCredentials = await RunwayCredentials.aload(args.credentials_block)
        policy = WaitPolicy(poll_interval=args.poll_interval)
        async with credentials.get_client() as client:

            def start(row: dict[str, Any]) -> asyncio.Task[Any]:
                return asyncio.create_task(
                    generate(
                        row, destination=destination, prefix=args.prefix, client=client,
                        credentials=credentials, wait_policy=policy,
                    )
                )  # fmt: skip

            generations = [start(row) for row in rows]
            deadline = time.monotonic() + args.ramp_timeout
            while len(probe.polled) < len(rows):
                if time.monotonic() > deadline or any(g.done() for g in generations):
                    ended = [g for g in generations if g.done()]
                    raise RuntimeError(
                        f"ramp: {len(probe.polled)} of {len(rows)} waits polling; "
                        f"{len(ended)} ended, e.g. {ended[0].exception() if ended else None!r}"
                    )
                await asyncio.sleep(0.5)
            result["ramp_seconds"] = time.monotonic() - started
            # One full poll interval more: every wait is then in its steady rhythm.
            await asyncio.sleep(args.poll_interval * 1.2)
            spy = None
            if args.spy:
                spy = subprocess.Popen(  # noqa: ASYNC220 - starts at once, waited on in a thread
                    [str(Path(sys.executable).parent / "py-spy"), "record", "--pid",
                     str(os.getpid()), "--rate", "50", "--format", "raw", "--output",
                     args.spy, "--duration", str(int(args.window)), "--nonblocking"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
            first = sample(probe, counts)
            await asyncio.sleep(args.window)
            last = sample(probe, counts)
            if spy is not None:
                await asyncio.to_thread(spy.wait, 60)
            result["window"] = {"first": first, "last": last}
            result["ended_early"] = sum(g.done() for g in generations)
            finish()

    def finish() -> None:
        # The waits never end (the emulator holds every task): leave without tearing them
        # down (cancelling 2,000 waits would read the run's state for each, as a SIGTERM does).
        stop.set()
        result["timeline"] = timeline
        Path(args.result).write_text(json.dumps(result))
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)

    try:
        asyncio.run(hold())
    except BaseException as error:  # reported to the parent, which fails
        result["error"] = repr(error)
    finish()


# ------------------------------------------------------------------------------ the parent


def measure(harness: Any, waits: int, window: float, poll_interval: float, workdir: Path,
            *, spy: bool = True, ramp_timeout: float = 1200.0) -> dict[str, Any]:  # fmt: skip
    """One capacity run: ``waits`` generations held RUNNING by the emulator, polled by one
    child process; the parent samples the Prefect server's and its own (the emulator's) CPU.
    The child gives up (an error) when not every wait has polled within ``ramp_timeout`` s."""
    from bench.common import MODEL, child_env, manifest_rows
    from bench.harness import ROOT

    bucket = harness.new_bucket()
    harness.settle()
    harness.emulator.reset()
    harness.emulator.configure(queue_seconds=0.0, run_seconds=3600.0,
                               max_concurrent={MODEL: waits})  # fmt: skip
    run_dir = workdir / f"capacity-{waits}"
    run_dir.mkdir(exist_ok=True)
    manifest = run_dir / "rows.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in manifest_rows(waits, tag="cap")))
    result_path, spy_path = run_dir / "result.json", run_dir / "spy.txt"
    parent: list[dict[str, float]] = []
    done = threading.Event()

    def watch() -> None:
        while not done.wait(1.0):
            parent.append({"t": time.monotonic(), "server_cpu": harness._server_cpu(),
                           "emulator_cpu": cpu_seconds()})  # fmt: skip

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    with open(run_dir / "output.log", "wb") as log:
        completed = subprocess.run(
            [sys.executable, "-m", "bench.capacity", "--waits", str(waits),
             "--manifest", str(manifest), "--destination-block", "bench-dest",
             "--credentials-block", "bench-runway", "--prefix", "capacity",
             "--poll-interval", str(poll_interval), "--window", str(window),
             "--result", str(result_path), "--ramp-timeout", str(ramp_timeout),
             *(["--spy", str(spy_path)] if spy else [])],
            cwd=ROOT, env=child_env({"PREFECT_API_URL": harness.api_url}),
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip
    done.set()
    watcher.join()
    if completed.returncode != 0 or not result_path.exists():
        tail = (run_dir / "output.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"capacity run failed ({completed.returncode}):\n{tail}")
    result: dict[str, Any] = json.loads(result_path.read_text())
    if "error" in result:
        tail = (run_dir / "output.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"capacity run failed: {result['error']}\n{tail}")
    first, last = result["window"]["first"]["t"], result["window"]["last"]["t"]
    inside = [p for p in parent if first <= p["t"] <= last]
    if len(inside) >= 2:
        span = inside[-1]["t"] - inside[0]["t"]
        result["server_cores"] = (inside[-1]["server_cpu"] - inside[0]["server_cpu"]) / span
        result["emulator_cores"] = (inside[-1]["emulator_cpu"] - inside[0]["emulator_cpu"]) / span
    result["spy"] = spy_categories(spy_path)
    harness.emulator.reset()  # the held tasks end here
    harness.drop_bucket(bucket)
    return result


# Where a sample of the child's stack is charged: the first rule whose frame text appears in
# the stack, from the leaf up (so the innermost named concern wins).
_SPY_RULES = [
    ("lease renewal (ledger)", "ledger.py"),
    ("cancellation check (Prefect API)", "is_cancelling"),
    ("Prefect events and logs", "prefect/events"),
    ("Prefect logging", "prefect/logging"),
    ("httpx/httpcore (polls)", "httpcore/"),
    ("httpx/httpcore (polls)", "httpx/"),
    ("task model (pydantic)", "pydantic"),
    ("wait loop (api/waiting.py)", "api/waiting.py"),
    ("Runway client (api/client.py)", "api/client.py"),
    ("asyncio event loop", "asyncio/"),
]


def spy_categories(path: Path) -> dict[str, Any]:
    """py-spy's raw samples of the child, charged to the concerns of ``_SPY_RULES``."""
    if not path.exists():
        return {"samples": 0, "shares": {}}
    shares: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        samples += count
        frames = stack.split(";")
        if "selectors.py" in frames[-1]:
            shares["idle (waiting in the selector)"] += count
            continue
        for frame in reversed(frames):
            rule = next((name for name, text in _SPY_RULES if text in frame), None)
            if rule is not None:
                shares[rule] += count
                break
        else:
            shares["other"] += count
    return {
        "samples": samples,
        "shares": {k: v / samples for k, v in shares.most_common()} if samples else {},
    }


def _window(result: dict[str, Any]) -> dict[str, Any]:
    first, last = result["window"]["first"], result["window"]["last"]
    seconds = last["t"] - first["t"]
    polls = last["polls"] - first["polls"]
    cpu = last["cpu"] - first["cpu"]
    calls = {k: v - first["prefect_calls"].get(k, 0) for k, v in last["prefect_calls"].items()}
    s3 = {k: v - first["s3"].get(k, 0) for k, v in last["s3"].items()}
    events = {k: v - first["events"].get(k, 0) for k, v in last["events"].items()}
    start = result["timeline"][0] if result["timeline"] else first
    return {
        "seconds": seconds,
        "polls": polls,
        "polls_per_second": polls / seconds,
        "cores": cpu / seconds,
        "cpu_per_poll_ms": 1000 * cpu / polls if polls else float("nan"),
        "rss": last["rss"],
        "hwm": last["hwm"],
        "rss_start": start["rss"],
        "fds": last["fds"],
        "sockets": last["sockets"],
        "threads": last["threads"],
        "prefect_calls": {k: v for k, v in calls.items() if v},
        "s3": {k: v for k, v in s3.items() if v},
        "events": {k: v for k, v in events.items() if v},
        "load": last["load"],
    }


CAPACITY_START = "<!-- capacity:start (python3 dev.py bench --figures capacity) -->"
CAPACITY_END = "<!-- capacity:end -->"


def capacity_section(doc: dict[str, Any], name: str) -> list[str]:
    """BENCHMARKS.md's subsection 7.3: the capacity figure of ``doc`` (results/<name>.json)."""
    result = doc["capacity"]
    w = _window(result)
    mib = 2**20
    lines = [
        CAPACITY_START,
        f"### 7.3 Capacity: {result['waits']:,} concurrent waits in one flow process (issue 20)",
        "",
        f"`python3 dev.py bench --figures capacity --name {name}` (commit "
        f"{doc['machine']['commit']}, {doc['started']}; load average "
        f"{', '.join(f'{x:.2f}' for x in w['load'])} at the window's end, on "
        f"{doc['machine']['nproc']} cores shared with the emulator, moto and the Prefect "
        "server). One flow run calls `generate` for "
        f"{result['waits']} distinct requests at once; the emulator keeps every task RUNNING "
        "(an hour, all slots free) so no wait ends. Once every wait has polled (the ramp: "
        f"{result['ramp_seconds']:.0f} s, plans, ledger claims, creates and the task runs "
        f"included), the steady state is measured over {w['seconds']:.0f} s in the flow's "
        f"process, polling every {result['poll_interval']:g} s with 20 % jitter. Target: "
        "<= 400 MiB RSS, <= 0.5 core.",
        "",
        "| figure | measured | target |",
        "|---|---|---|",
        f"| RSS at the window's end | {w['rss'] / mib:.0f} MiB | <= 400 MiB |",
        f"| peak RSS (VmHWM, ramp included) | {w['hwm'] / mib:.0f} MiB | |",
        f"| RSS per wait (end less the start after imports) | "
        f"{(w['rss'] - w['rss_start']) / result['waits'] / 1024:.0f} KiB | |",
        f"| CPU while polling (at the rate reached) | {w['cores']:.2f} core | |",
        f"| polls per second (expected {result['waits'] / result['poll_interval']:.0f}) | "
        f"{w['polls_per_second']:.0f} | |",
        f"| CPU per poll | {w['cpu_per_poll_ms']:.2f} ms | "
        f"<= {500 * result['poll_interval'] / result['waits']:.2f} ms |",
        f"| CPU at {result['waits'] / result['poll_interval']:.0f} polls/s (CPU per poll x "
        f"rate) | {w['cpu_per_poll_ms'] * result['waits'] / result['poll_interval'] / 1000:.2f} "
        "core | <= 0.5 core |",
        f"| file descriptors (of which sockets) | {w['fds']} ({w['sockets']}) | |",
        f"| threads | {w['threads']} | |",
        f"| Prefect API calls in the window | "
        f"{', '.join(f'{k} {v}' for k, v in w['prefect_calls'].items()) or 'none'} | |",
        f"| S3 requests in the window (lease renewals) | "
        f"{', '.join(f'{k} {v}' for k, v in w['s3'].items()) or 'none'} | |",
        f"| Prefect events in the window | "
        f"{', '.join(f'{k} {v}' for k, v in w['events'].items()) or 'none'} | |",
    ]
    if "server_cores" in result:
        lines.append(f"| Prefect server CPU in the window | {result['server_cores']:.2f} core | |")
        lines.append(f"| emulator CPU in the window (answering the polls) | "
                     f"{result['emulator_cores']:.2f} core | |")  # fmt: skip
    spy = result.get("spy") or {}
    if spy.get("samples"):
        lines += [
            "",
            f"Where the flow process's time goes in the window (py-spy, {spy['samples']} "
            "samples of the stacks, each charged to the innermost concern it is in):",
            "",
            "| concern | share of samples |",
            "|---|---|",
            *(f"| {k} | {v:.0%} |" for k, v in spy["shares"].items()),
        ]
    lines += ["", CAPACITY_END]
    return lines


def splice_capacity(output: Path, doc: dict[str, Any], name: str) -> None:
    """Replace (or append) BENCHMARKS.md's capacity subsection, leaving the rest as it is."""
    section = "\n".join(capacity_section(doc, name))
    text = output.read_text() if output.exists() else "# Benchmarks\n"
    if CAPACITY_START in text and CAPACITY_END in text:
        head, rest = text.split(CAPACITY_START, 1)
        text = head + section + rest.split(CAPACITY_END, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    output.write_text(text)


if __name__ == "__main__":
    main()
