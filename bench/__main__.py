"""``python3 dev.py bench [--quick]``: every figure of BENCHMARKS.md, side by side with a baseline.

Starts the emulator, moto's S3 server and ``prefect server start``, runs each scenario as fresh
child processes (prefect-runway's batch flow, then the plain SDK + boto3 script, alternating),
profiles one run of each with cProfile, then writes ``results/<name>.json``, the plots and
BENCHMARKS.md. ``--quick`` runs small sizes once, to check the pieces in a minute or two.

Example:
    ```
    python3 dev.py bench            # the full run (about half an hour on 2 cores)
    python3 dev.py bench --quick    # small N, one run each
    # issue 20's cost per generation (S3 requests by operation, task runs, events, CPU of
    # the flow and of the Prefect server until idle, Runway requests, the re-run), N=200:
    # writes results/<name>.json and replaces only BENCHMARKS.md's section 7
    python3 dev.py bench --figures costs --name costs-final --runs 2
    # issue 20's capacity: one flow process holding 2,000 concurrent waits polled every 5 s
    # (RSS, CPU per poll, file descriptors); replaces only BENCHMARKS.md's subsection 7.3
    python3 dev.py bench --figures capacity --name capacity --waits 2000
    # issue 20's wall at realistic scale: 60 s generations, 5 s polls, C=20, N=100, every side
    # at once on its own emulator, 3 rounds (~20 min); replaces only subsection 7.7
    python3 dev.py bench --figures realistic --name realistic
    # the same with the old default queue_ahead = 4 as a second batch beside (opt-in)
    python3 dev.py bench --figures realistic --name realistic-q4 \
        --realistic-sides ours,ours-queue-4,sdk,sdk-all
    ```
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.common import (
    CONCURRENCY,
    GENERATION_SECONDS,
    OUTPUT_BYTES,
    POLL_INTERVAL,
    QUEUE_SECONDS,
    RUN_SECONDS,
    SCALE,
    SDK_POLL_JITTER,
    SDK_POLL_TIME,
    manifest_rows,
)
from bench.harness import ROOT, Harness, scratch_dir
from bench.report import transfer_seconds

RESULTS = ROOT / "bench" / "results"
KINDS = ("ours", "baseline")


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().split("\n")[0].split()
    cpu_model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    versions = {
        name: metadata.version(name)
        for name in ("prefect", "prefect-aws", "runwayml", "boto3", "httpx", "moto", "uvicorn")
    }
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu_model,
        "ram_gib": round(int(meminfo[1]) / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "commit": commit + ("+changes" if dirty else ""),
    }


def pyinstrument_text(path: Path, lines: int = 60) -> str:
    """The head of a pyinstrument text report, paths made relative."""
    text = path.read_text().replace(str(ROOT) + "/", "")
    return "\n".join(text.splitlines()[:lines])


def spy_summary(path: Path, limit: int = 12) -> dict[str, Any]:
    """Top frames of a py-spy raw (collapsed stacks) file: by self samples and inclusive."""
    if not path.exists():
        return {"samples": 0, "self": [], "inclusive": [], "routes": []}
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    routes: dict[str, int] = {}
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        samples += count
        frames = [f.split("site-packages/")[-1] for f in stack.split(";")]
        own[frames[-1]] = own.get(frames[-1], 0) + count
        for frame in set(frames):
            if "prefect/server" in frame or "sqlalchemy" in frame or "aiosqlite" in frame:
                inclusive[frame] = inclusive.get(frame, 0) + count
            if "prefect/server/api/" in frame:
                routes[frame] = routes.get(frame, 0) + count

    def top(table: dict[str, int]) -> list[tuple[str, float]]:
        ranked = sorted(table.items(), key=lambda item: -item[1])[:limit]
        return [(frame, count / samples) for frame, count in ranked]

    return {"samples": samples, "self": top(own), "inclusive": top(inclusive),
            "routes": top(routes)}  # fmt: skip


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def scale_and_rerun(
    harness: Harness, sizes: list[int], runs: int, rerun_size: int
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    scale: dict[str, Any] = {}
    rerun: dict[str, list[Any]] = {"ours": [], "baseline": []}
    for n in sizes:
        scale[str(n)] = {"ours": [], "baseline": []}
        for repeat in range(runs):
            # Alternate which goes first, so neither always meets a warmer (or busier) machine.
            order = KINDS if repeat % 2 == 0 else KINDS[::-1]
            for kind in order:
                bucket = harness.new_bucket()
                rows = manifest_rows(n, tag=f"n{n}")
                result = harness.run(kind, rows, bucket=bucket, prefix=f"scale-{n}")
                scale[str(n)][kind].append(result)
                log(f"N={n} {kind} run {repeat + 1}: wall {result['wall']:.2f} s, "
                    f"{result['succeeded']} stored, cpu {result['cpu']:.1f} s, "
                    f"server cpu {result['server_cpu']:.1f} s")  # fmt: skip
                if n == rerun_size:
                    again = harness.run(kind, rows, bucket=bucket, prefix=f"scale-{n}")
                    rerun[kind].append(again)
                    log(f"  re-run {kind}: wall {again['wall']:.2f} s, "
                        f"creates {again['emulator']['creates_total']}, "
                        f"downloads {again['emulator']['downloads']}")  # fmt: skip
                harness.drop_bucket(bucket)
    return scale, rerun


def streaming(harness: Harness, size: int, runs: int) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {"ours": [], "baseline": []}
    for repeat in range(runs):
        order = KINDS if repeat % 2 == 0 else KINDS[::-1]
        for kind in order:
            bucket = harness.new_bucket()
            rows = manifest_rows(1, tag="stream")
            result = harness.run(kind, rows, bucket=bucket, prefix="stream", output_bytes=size,
                                 phases=True)  # fmt: skip
            out[kind].append(result)
            rate = size / transfer_seconds(result) / 2**20
            log(f"stream {size >> 20} MiB {kind}: {rate:.0f} MiB/s, peak RSS "
                f"{result['peak_rss'] >> 20} MiB, before {result['rss_before'] >> 20}")  # fmt: skip
            harness.drop_bucket(bucket)
    return out


def startup(harness: Harness, runs: int) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {"ours": [], "baseline": []}
    for repeat in range(runs):
        for kind in KINDS if repeat % 2 == 0 else KINDS[::-1]:
            bucket = harness.new_bucket()
            result = harness.run(kind, manifest_rows(1, tag="start"), bucket=bucket,
                                 prefix="startup")  # fmt: skip
            out[kind].append(result)
            log(f"start-up {kind}: first POST {result['first_post_after_spawn']:.2f} s "
                f"after the command")  # fmt: skip
            harness.drop_bucket(bucket)
    return out


def costs(harness: Harness, n: int, runs: int) -> dict[str, list[Any]]:
    """Per-generation costs of ours and the baseline at size ``n``, alternating: S3 requests by
    operation, task runs, events, flow and Prefect server CPU (until idle), Runway requests."""
    out: dict[str, list[Any]] = {"ours": [], "baseline": []}
    for repeat in range(runs):
        for kind in KINDS if repeat % 2 == 0 else KINDS[::-1]:
            bucket = harness.new_bucket()
            rows = manifest_rows(n, tag="cost")
            result = harness.run(kind, rows, bucket=bucket, prefix="cost")
            out[kind].append(result)
            if kind == "ours":  # the same batch again: every generation is done
                again = harness.run(kind, rows, bucket=bucket, prefix="cost")
                out.setdefault("ours_rerun", []).append(again)
                log(f"costs N={n} re-run: S3 {again['s3_ops']}, creates "
                    f"{again['emulator']['creates_total']}")  # fmt: skip
            log(f"costs N={n} {kind}: wall {result['wall']:.1f} s, cpu {result['cpu']:.1f} s, "
                f"server cpu until idle {result['server_cpu_until_idle']:.1f} s, "
                f"S3 {sum(result['s3_ops'].values())}, "
                f"task runs {result['task_runs']}")  # fmt: skip
            harness.drop_bucket(bucket)
    return out


def _profile_entry(result: dict[str, Any], path: Path) -> dict[str, Any]:
    server = Path(str(path) + ".server.txt")
    return {
        "n": result["n"],
        "wall": result["wall"],
        "cpu": result["cpu"],
        "server_cpu": result["server_cpu"],
        "pyinstrument": pyinstrument_text(path),
        "requests": result.get("requests"),
        "phases": result.get("phases"),
        "server": spy_summary(server) if server.exists() else None,
    }


def profiles(harness: Harness, n: int, stream_bytes: int, workdir: Path) -> dict[str, Any]:
    """Profiled runs (not timed figures): each kind at size ``n`` under pyinstrument, ours
    with per-phase timers and py-spy on the Prefect server; ours re-run; one stream each."""
    out: dict[str, Any] = {}
    for kind in KINDS:
        bucket = harness.new_bucket()
        rows = manifest_rows(n, tag="prof")
        path = workdir / f"{kind}.pyinstrument.txt"
        result = harness.run(kind, rows, bucket=bucket, prefix="profile", profile=path)
        out[kind] = _profile_entry(result, path)
        log(f"profiled {kind} at N={n}: wall {result['wall']:.1f} s")
        if kind == "ours":
            path = workdir / "rerun.pyinstrument.txt"
            result = harness.run(kind, rows, bucket=bucket, prefix="profile", profile=path)
            out["ours_rerun"] = _profile_entry(result, path)
        harness.drop_bucket(bucket)
        bucket = harness.new_bucket()
        path = workdir / f"{kind}-stream.pyinstrument.txt"
        result = harness.run(kind, manifest_rows(1, tag="pstream"), bucket=bucket,
                             prefix="pstream", profile=path, output_bytes=stream_bytes)  # fmt: skip
        out[f"{kind}_stream"] = _profile_entry(result, path)
        harness.drop_bucket(bucket)
    return out


def idle_server(harness: Harness, seconds: float = 5.0) -> dict[str, float]:
    assert harness.prefect is not None
    before = harness.prefect.cpu_seconds()
    time.sleep(seconds)
    return {
        "cpu_per_second": (harness.prefect.cpu_seconds() - before) / seconds,
        "rss": harness.prefect.rss(),
    }


def skeleton(
    command: str, *, runs: int, sizes: list[int], rerun_size: int, stream_bytes: int
) -> dict[str, Any]:
    """The results document before any figure: machine, command and parameters."""
    return {
        "machine": machine(),
        "command": command,
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "load_before": os.getloadavg(),
        "params": {
            "scale": SCALE,
            "concurrency": CONCURRENCY,
            "generation_seconds": GENERATION_SECONDS,
            "queue_seconds": QUEUE_SECONDS,
            "run_seconds": RUN_SECONDS,
            "poll_interval": POLL_INTERVAL,
            "sdk_poll_time": SDK_POLL_TIME,
            "sdk_poll_jitter": SDK_POLL_JITTER,
            "output_bytes": OUTPUT_BYTES,
            "runs": runs,
            "sizes": sizes,
            "rerun_size": rerun_size,
            "stream_bytes": stream_bytes,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python3 dev.py bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small N, one run each")
    parser.add_argument("--runs", type=int, help="runs per figure (default 3; --quick: 1)")
    parser.add_argument("--name", help="results/<name>.json (default: quick or latest)")
    parser.add_argument(
        "--before",
        help="results JSON of an earlier run to show beside (default: results/before.json, "
        "the run before the fix, if present)",
    )
    parser.add_argument("--sizes", help="comma-separated N for the scale figure")
    parser.add_argument("--figures", default="startup,scale,stream,profile,costs",
                        help="which to run (default all; re-run comes with scale). "
                        "`--figures costs` alone writes results/<name>.json and replaces only "
                        "BENCHMARKS.md's cost section (see report.COST_RUNS)")  # fmt: skip
    parser.add_argument("--cost-size", type=int, default=200,
                        help="N of the cost figure (default 200)")  # fmt: skip
    parser.add_argument("--waits", type=int, default=2000,
                        help="concurrent waits of the capacity figure (default 2000)")  # fmt: skip
    parser.add_argument("--window", type=float, default=60.0,
                        help="seconds the capacity figure measures its steady state")  # fmt: skip
    parser.add_argument("--realistic-size", type=int, default=100,
                        help="N of the realistic-scale wall figure (default 100)")  # fmt: skip
    parser.add_argument("--realistic-sides",
                        help="comma-separated sides of the realistic-scale figure (default "
                        "ours,sdk,sdk-all; ours-queue-4, a second batch on the same Prefect "
                        "server, only when named)")  # fmt: skip
    parser.add_argument("--output", help="default BENCHMARKS.md; --quick: results/quick.md")
    parser.add_argument("--only-report", action="store_true",
                        help="re-render BENCHMARKS.md from results/<name>.json")  # fmt: skip
    args = parser.parse_args()
    from bench.report import LATER_CUTS, render, splice_costs

    name = args.name or ("quick" if args.quick else "latest")
    results_path = RESULTS / f"{name}.json"
    if not args.only_report:
        runs = args.runs or (1 if args.quick else 3)
        sizes = [20, 60] if args.quick else [20, 200, 1000]
        if args.sizes:
            sizes = [int(size) for size in args.sizes.split(",")]
        figures = set(args.figures.split(","))
        realistic_sides = None
        if "realistic" in figures:  # a wrong side name fails before the servers start
            from bench.realistic import choose

            realistic_sides = choose(args.realistic_sides)
        rerun_size = 20 if args.quick else 200
        stream_bytes = (64 if args.quick else 1024) * 2**20
        workdir = scratch_dir()
        results = skeleton(
            "python3 dev.py bench" + (" --quick" if args.quick else ""),
            runs=runs, sizes=sizes, rerun_size=rerun_size, stream_bytes=stream_bytes,
        )  # fmt: skip
        results["figures"] = sorted(figures)
        log(f"scratch directory {workdir}")
        with Harness(workdir) as harness:
            log(f"servers up: prefect {harness.api_url}, emulator {harness.emulator.base_url}, "
                f"moto {harness.moto.endpoint_url}")  # fmt: skip
            RESULTS.mkdir(parents=True, exist_ok=True)
            partial = results_path.with_suffix(".partial.json")

            def keep() -> None:  # a crash late in a half-hour run keeps what was measured
                partial.write_text(json.dumps(results, indent=1))

            results["idle_server"] = idle_server(harness)
            if "startup" in figures:
                results["startup"] = startup(harness, runs)
                keep()
            if "profile" in figures:
                results["profiles"] = profiles(harness, rerun_size, stream_bytes, workdir)
                keep()
            if "scale" in figures:
                results["scale"], results["rerun"] = scale_and_rerun(
                    harness, sizes, runs, rerun_size
                )
                keep()
            if "costs" in figures:
                results["costs"] = costs(harness, args.cost_size, runs)
                keep()
            if "stream" in figures:
                results["stream"] = streaming(harness, stream_bytes, runs)
                keep()
            if "capacity" in figures:
                from bench import capacity

                results["capacity"] = capacity.measure(
                    harness, args.waits, args.window, 5.0, workdir
                )
                keep()
            if "realistic" in figures:
                from bench import realistic

                results["realistic"] = realistic.measure(
                    harness, workdir, n=args.realistic_size, runs=runs, log=log,
                    chosen=realistic_sides,
                )  # fmt: skip
                keep()
            partial.unlink(missing_ok=True)
        results["load_after"] = os.getloadavg()
        results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
        RESULTS.mkdir(parents=True, exist_ok=True)
        results_path.write_text(json.dumps(results, indent=1))
        log(f"results in {results_path.relative_to(ROOT)}")
    results = json.loads(results_path.read_text())
    if set(results.get("figures", [])) == {"realistic"}:
        from bench.realistic import splice

        output = Path(args.output) if args.output else ROOT / "BENCHMARKS.md"
        splice(output, results, name)
        log(f"wrote the realistic-scale subsection of {output}")
        return
    if set(results.get("figures", [])) == {"capacity"}:
        from bench.capacity import splice_capacity

        output = Path(args.output) if args.output else ROOT / "BENCHMARKS.md"
        splice_capacity(output, results, name)
        log(f"wrote the capacity subsection of {output}")
        return
    if set(results.get("figures", [])) == {"costs"} or (
        args.only_report and "scale" not in results
    ):
        output = Path(args.output) if args.output else ROOT / "BENCHMARKS.md"
        splice_costs(output, results, name)
        log(f"wrote the cost section of {output}")
        return
    before_path: Path | None = Path(args.before) if args.before else RESULTS / "before.json"
    if not args.before and (args.quick or not RESULTS.joinpath("before.json").exists()):
        before_path = None
    before = json.loads(before_path.read_text()) if before_path else None
    output = Path(args.output) if args.output else (
        RESULTS / "quick.md" if args.quick else ROOT / "BENCHMARKS.md"
    )  # fmt: skip
    plots = RESULTS / "quick-plots" if args.quick else ROOT / "bench" / "plots"
    later_cuts = [
        (description, json.loads(RESULTS.joinpath(f"{old}.json").read_text()),
         json.loads(RESULTS.joinpath(f"{new}.json").read_text()))
        for old, new, description in LATER_CUTS
        if RESULTS.joinpath(f"{old}.json").exists() and RESULTS.joinpath(f"{new}.json").exists()
    ] if not args.quick else []  # fmt: skip
    render(results, output, plots=plots, before=before, later_cuts=later_cuts)
    log(f"wrote {output} and {plots}")


if __name__ == "__main__":
    main()
