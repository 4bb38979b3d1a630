"""BENCHMARKS.md and its plots, from the results JSON that ``python -m bench`` writes.

Every figure is a median over runs, shown with the baseline's beside it, its ratio to the
baseline and to the ideal, and the measurement that names what limits it.
"""

from __future__ import annotations

import math
import os
import statistics
from pathlib import Path
from typing import Any


def median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def pct(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def mib(value: float) -> str:
    return f"{value / 2**20:.0f} MiB"


def ideal(n: int, params: dict[str, Any]) -> float:
    return math.ceil(n / params["concurrency"]) * params["generation_seconds"]


def scale_row(runs: list[dict[str, Any]], n: int) -> dict[str, float]:
    return {
        "wall": median([r["wall"] for r in runs]),
        "cpu": median([r["cpu"] / n for r in runs]),
        "server_cpu": median([r["server_cpu"] / n for r in runs]),
        "rss": median([r["peak_rss"] for r in runs]),
        "requests": median([r["requests_total"] / n for r in runs]),
        # All CPU the run made the machine spend: the process, the server, moto, the emulator.
        "all_cpu": median(
            [
                (r["cpu"] + r["server_cpu"] + r.get("moto_cpu", 0.0) + r.get("emulator_cpu", 0.0))
                / n
                for r in runs
            ]
        ),
        "runs": len(runs),
    }


def transfer_seconds(result: dict[str, Any]) -> float:
    """Download + upload time of a one-output run: ours from its phase timer (store output),
    the baseline's from its own stopwatch; the same span on both sides."""
    if result["kind"] == "ours":
        if not result.get("phases"):  # not timed: end to end is all there is
            return float(result["wall_end"] - result["first_download"])
        return sum(p["total"] for p in result["phases"] if p["phase"] == "store output")
    return float(sum(result["transfers"]))


# ------------------------------------------------------------------------------------ plots


def plot_scale(results: dict[str, Any], before: dict[str, Any] | None, plots: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    params = results["params"]
    sizes = sorted(int(n) for n in results["scale"])
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    lines = [("ours", "prefect-runway batch flow", "C0", results)]
    if before:
        lines.append(("ours", "prefect-runway, before the fix", "C3", before))
    lines.append(("baseline", "runwayml SDK + boto3 script", "C2", results))
    for kind, label, colour, source in lines:
        points = sorted(int(n) for n in source.get("scale", {}))
        walls = [scale_row(source["scale"][str(n)][kind], n)["wall"] for n in points]
        over = [
            (w - ideal(n, params)) / n for n, w in zip(points, walls, strict=True)
        ]  # fmt: skip
        left.plot(points, walls, "o-", color=colour, label=label)
        right.plot(points, over, "o-", color=colour, label=label)
    left.plot(sizes, [ideal(n, params) for n in sizes], "k--", label="ideal ceil(N/C) x gen")
    for axis in (left, right):
        axis.set_xscale("log")
        axis.set_xlabel("generations N")
        axis.grid(True, alpha=0.3)
    left.set_yscale("log")
    left.set_ylabel("wall time, s (median)")
    left.set_title("Wall time against the ideal schedule")
    right.set_ylabel("overhead, s per generation")
    right.set_title("(wall - ideal) / N")
    left.legend(fontsize=8)
    fig.tight_layout()
    path = plots / "scale.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_latency(latencies: dict[str, list[float]], plots: Path, poll: float) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axis = plt.subplots(figsize=(6.5, 4))
    for kind, label, colour in (("ours", "prefect-runway", "C0"),
                                ("baseline", "runwayml SDK", "C2")):  # fmt: skip
        values = sorted(latencies.get(kind, []))
        if values:
            axis.plot(values, [(i + 1) / len(values) for i in range(len(values))],
                      color=colour, label=label)  # fmt: skip
    axis.axvline(poll, color="k", ls="--", lw=0.8, label=f"poll interval {poll:g} s")
    axis.set_xlabel("SUCCEEDED -> first output GET, s")
    axis.set_ylabel("fraction of generations")
    axis.set_title("Detection latency (CDF)")
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize=8)
    fig.tight_layout()
    path = plots / "latency.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# ----------------------------------------------------------------------------------- tables


def _scale_section(results: dict[str, Any], before: dict[str, Any] | None) -> list[str]:
    params = results["params"]
    out = [
        "| N | ideal | ours wall | baseline wall | ours / baseline | ours / ideal | "
        "baseline / ideal | overhead s/gen ours (baseline) | flow CPU s/gen ours (baseline) | "
        "server CPU s/gen | peak RSS ours (baseline) | runs |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n_text in sorted(results["scale"], key=int):
        n = int(n_text)
        ours = scale_row(results["scale"][n_text]["ours"], n)
        base = scale_row(results["scale"][n_text]["baseline"], n)
        best = ideal(n, params)
        out.append(
            f"| {n} | {best:.1f} s | {ours['wall']:.2f} s | {base['wall']:.2f} s | "
            f"{ours['wall'] / base['wall']:.2f}x | {ours['wall'] / best:.2f}x | "
            f"{base['wall'] / best:.2f}x | {(ours['wall'] - best) / n:.3f} "
            f"({(base['wall'] - best) / n:.3f}) | {ours['cpu']:.3f} ({base['cpu']:.3f}) | "
            f"{ours['server_cpu']:.3f} | {mib(ours['rss'])} ({mib(base['rss'])}) | "
            f"{ours['runs']} + {base['runs']} |"
        )
    nproc = results["machine"]["nproc"]
    out += [
        "",
        "CPU floor: every CPU second the run cost the machine (the process, the Prefect "
        f"server, moto and the emulator), per generation, times N / {nproc} cores, is the "
        "shortest wall time these {nproc} cores allow; when it nears the measured wall, the "
        "run is CPU-bound.".replace("{nproc}", str(nproc)),
        "",
        "| N | ours: all CPU s/gen | ours CPU floor | ours wall | baseline: all CPU s/gen | "
        "baseline CPU floor | baseline wall |",
        "|---|---|---|---|---|---|---|",
    ]
    for n_text in sorted(results["scale"], key=int):
        n = int(n_text)
        ours = scale_row(results["scale"][n_text]["ours"], n)
        base = scale_row(results["scale"][n_text]["baseline"], n)
        out.append(
            f"| {n} | {ours['all_cpu']:.3f} | {ours['all_cpu'] * n / nproc:.1f} s | "
            f"{ours['wall']:.1f} s | {base['all_cpu']:.3f} | "
            f"{base['all_cpu'] * n / nproc:.1f} s | {base['wall']:.1f} s |"
        )
    if before and before.get("scale"):
        out += [
            "",
            f"Before the fix (commit {before['machine']['commit']}, same machine, "
            f"{before['started']}). That run was on this branch's earlier base; main has "
            "since added per-generation work to the batch (an event, a create-only intent "
            "claim) and made cuts of its own (section 6), all in the after column: the ratio "
            "is of the two runs, not of the fix alone.",
            "",
            "| N | ours wall before | ours wall after | before / after | overhead s/gen "
            "before -> after | flow CPU s/gen before -> after | server CPU s/gen before -> "
            "after | baseline wall (before run) |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for n_text in sorted(before["scale"], key=int):
            n = int(n_text)
            old = scale_row(before["scale"][n_text]["ours"], n)
            base = scale_row(before["scale"][n_text]["baseline"], n)
            new_runs = results["scale"].get(n_text)
            if not new_runs:
                continue
            new = scale_row(new_runs["ours"], n)
            best = ideal(n, params)
            out.append(
                f"| {n} | {old['wall']:.2f} s | {new['wall']:.2f} s | "
                f"{old['wall'] / new['wall']:.1f}x | {(old['wall'] - best) / n:.3f} -> "
                f"{(new['wall'] - best) / n:.3f} | {old['cpu']:.3f} -> {new['cpu']:.3f} | "
                f"{old['server_cpu']:.3f} -> {new['server_cpu']:.3f} | {base['wall']:.2f} s |"
            )
        missing = sorted(set(results["scale"]) - set(before["scale"]), key=int)
        if missing:
            largest = max(before["scale"], key=int)
            rate = scale_row(before["scale"][largest]["ours"], int(largest))["wall"] / int(largest)
            out += [
                "",
                f"The before run skipped N = {', '.join(missing)}: at its rate of {rate:.2f} s "
                f"per generation that is about {rate * int(missing[-1]) / 60:.0f} min per run.",
            ]
    return out


def _phases_table(phases: list[dict[str, Any]] | None) -> list[str]:
    if not phases:
        return ["(no phase timings)"]
    out = ["| phase | calls | median s | p90 s | total s |", "|---|---|---|---|---|"]
    for row in phases:
        out.append(
            f"| {row['phase']} | {row['calls']} | {row['median']:.3f} | {row['p90']:.3f} | "
            f"{row['total']:.1f} |"
        )
    return out


def _server_table(server: dict[str, Any] | None) -> list[str]:
    if not server or not server.get("samples"):
        return ["(no server samples)"]
    out = [
        f"py-spy, {server['samples']} samples of the Prefect server at 100 Hz (all threads).",
        "",
        "| frame (inclusive: server, SQLAlchemy, aiosqlite) | share |",
        "|---|---|",
    ]
    out += [f"| `{frame}` | {share:.0%} |" for frame, share in server["inclusive"][:10]]
    if server.get("routes"):
        out += ["", "| API route handler (inclusive) | share |", "|---|---|"]
        out += [f"| `{frame}` | {share:.0%} |" for frame, share in server["routes"][:8]]
    return out


def _requests_table(requests: dict[str, int] | None, n: int) -> list[str]:
    if not requests:
        return []
    out = ["| request (from the flow's process, httpx) | count | per generation |",
           "|---|---|---|"]  # fmt: skip
    for name, count in sorted(requests.items(), key=lambda item: -item[1])[:14]:
        out.append(f"| `{name}` | {count} | {count / n:.2f} |")
    return out


def _largest(phases: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    """The costliest phase a generation waits in, other than the generation itself."""
    skip = {"generate (all)", "wait (polls)", "submit (ledger + POST)"}
    rows = [row for row in phases or [] if row["phase"] not in skip]
    return max(rows, key=lambda row: row["median"], default=None)


def _fix_text(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    before_top, after_top = _largest(old.get("phases")), _largest(new.get("phases"))
    if before_top is None or after_top is None:
        return []
    return [
        f"**The largest overhead and its fix.** Before, the costliest step outside the "
        f"generation itself was *{before_top['phase']}*: median {before_top['median']:.2f} s, "
        f"p90 {before_top['p90']:.2f} s per generation (N = {old['n']}). With no "
        "`runway-<model>` global concurrency limit configured (the default), each generation "
        "still asked the Prefect server for a slot, and Prefect's client serializes those "
        "requests per limit name in the process, so generations queued behind each other's "
        "round trips to a server busy recording task runs. The fix (`flows/batch.py`, "
        "`models_with_global_limits`): read the limits once when the batch starts and hold "
        "slots only of limits that exist. Now the costliest such step is "
        f"*{after_top['phase']}*: median {after_top['median']:.3f} s.",
        "",
    ]


def _details(summary: str, text: str) -> list[str]:
    return ["<details><summary>" + summary + "</summary>", "", "```", text, "```", "",
            "</details>"]  # fmt: skip


def render(
    results: dict[str, Any],
    output: Path,
    *,
    plots: Path,
    before: dict[str, Any] | None,
    later_cuts: list[tuple[str, dict[str, Any], dict[str, Any]]] | None = None,
) -> None:
    """Write ``output`` (markdown) and its PNG plots into ``plots``."""
    plots.mkdir(parents=True, exist_ok=True)

    def link(path: Path) -> str:
        return os.path.relpath(path, output.parent)

    params = results["params"]
    machine = results["machine"]
    profiles = results.get("profiles", {})
    lines: list[str] = [
        "# Benchmarks",
        "",
        "Written by `" + results["command"] + "` (the `bench/` package; the numbers below are "
        "this file's only source). Everything runs on loopback: the emulator (in the bench "
        "process), moto's S3 server and `prefect server start` (each in a child process), and "
        "every measured run is a fresh child process, so its CPU time and peak RSS (VmHWM "
        "from /proc) are its own.",
        "",
        "## Machine and run",
        "",
        f"- {machine['nproc']} CPUs ({machine['cpu']}), {machine['ram_gib']} GiB RAM, "
        f"Python {machine['python']}, {machine['platform']}",
        "- " + ", ".join(f"{k} {v}" for k, v in machine["versions"].items()),
        f"- commit {machine['commit']}; started {results['started']}, finished "
        f"{results.get('finished', '?')}",
        f"- load average before {results['load_before'][0]:.2f}, after "
        f"{results.get('load_after', [math.nan])[0]:.2f} (the latter counts the bench's own "
        "processes). Absolute times move by tens of percent with other work on these cores "
        "(this machine is shared), so compare ours with the baseline of the same run: the "
        "bench alternates which side runs first and reports medians.",
        f"- idle Prefect server: {results['idle_server']['cpu_per_second']:.3f} CPU s per s, "
        f"RSS {mib(results['idle_server']['rss'])}",
        "",
        "Fixed parameters: per-model concurrency C = "
        f"{params['concurrency']} (ours: `concurrency_per_model`; baseline: a semaphore; "
        f"emulator: `max_concurrent`), a generation takes {params['generation_seconds']:g} s "
        f"(10 s / time scale {params['scale']:g}: PENDING {params['queue_seconds']:g} s + "
        f"RUNNING {params['run_seconds']:g} s), our poll interval {params['poll_interval']:g} s "
        f"(5 s / {params['scale']:g}, +-20 % jitter), the SDK's `POLL_TIME` "
        f"{params['sdk_poll_time']:g} s and `POLL_JITTER` {params['sdk_poll_jitter']:g} s "
        f"(6 s and 3 s / {params['scale']:g}), outputs of {params['output_bytes']:,} bytes. "
        f"Medians of {params['runs']} runs unless a row says otherwise.",
        "",
        "The baseline (`bench/baseline.py`) is what a careful user would write without this "
        "project: `AsyncRunwayML` + `create` + `wait_for_task_output`, C at once, each output "
        "downloaded with httpx into a spooled temporary file and put with boto3 "
        "`upload_fileobj`. It keeps no ledger and no sidecar and talks to no Prefect server, "
        "so it cannot resume, deduplicate or avoid paying twice; the figures show what those "
        "guarantees cost.",
        "",
    ]

    # 1 ------------------------------------------------------------------------------------
    if results.get("scale"):
        lines += [
            "## 1. Overhead and scale",
            "",
            "Ours: `flows/batch.py` over an N-row JSONL manifest (distinct seeds), "
            "`concurrency_per_model=C`, against the Prefect server. Wall = the flow call "
            "(imports excluded; start-up is figure 5). Overhead = (wall - ideal) / N. CPU "
            "per generation: the flow's process (user + system, all threads) and the Prefect "
            "server's (from /proc, over the child's whole life, idle CPU included).",
            "",
            *_scale_section(results, before),
            "",
            f"![wall time and overhead against N]({link(plot_scale(results, before, plots))})",
            "",
        ]
        prof = profiles.get("ours")
        if prof:
            lines += [
                f"**What limits it (measured)**: one profiled run of ours at N = {prof['n']} "
                f"(wall {prof['wall']:.1f} s under the profilers). Per-phase wall times of "
                "each generation (timers wrapped around the lifecycle's steps, "
                "`bench/phases.py`):",
                "",
                *_phases_table(prof.get("phases")),
                "",
                *_server_table(prof.get("server")),
                "",
                *_requests_table(prof.get("requests"), prof["n"]),
                "",
                *_details("pyinstrument, the flow's process (main thread)", prof["pyinstrument"]),
                "",
            ]
            if before and before.get("profiles", {}).get("ours"):
                old = before["profiles"]["ours"]
                lines += _fix_text(old, prof)
                lines += [
                    f"Before the fix, the same profile (N = {old['n']}, wall {old['wall']:.1f} s):",
                    "",
                    *_phases_table(old.get("phases")),
                    "",
                    *_server_table(old.get("server")),
                    "",
                ]
        base = profiles.get("baseline")
        if base:
            lines += [
                *_details(
                    f"pyinstrument, the baseline at N = {base['n']} (wall {base['wall']:.1f} s)",
                    base["pyinstrument"],
                ),
                "",
            ]

    # 2 ------------------------------------------------------------------------------------
    scale = results.get("scale", {})
    if scale:
        n_text = str(params["rerun_size"]) if str(params["rerun_size"]) in scale else max(
            scale, key=int
        )  # fmt: skip
        latencies = {
            kind: [x for run in scale[n_text][kind] for x in run["latencies"]] for kind in
            ("ours", "baseline")
        }  # fmt: skip
        n = int(n_text)
        lines += [
            "## 2. Detection latency and requests per generation",
            "",
            f"From the emulator's SUCCEEDED moment (its schedule: the end of RUNNING) to the "
            f"first GET of the output at the emulator, every generation of the N = {n} runs "
            "of figure 1. Requests: everything the emulator served, per generation.",
            "",
            "| | median | p90 | max | per gen: creates | polls (GET task) | downloads | "
            "other | total |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for kind in ("ours", "baseline"):
            values = latencies[kind]
            runs = scale[n_text][kind]
            creates = median([r["emulator"]["creates_total"] / n for r in runs])
            gets = median([r["emulator"]["gets"] / n for r in runs])
            downloads = median([r["emulator"]["downloads"] / n for r in runs])
            total = median([r["requests_total"] / n for r in runs])
            lines.append(
                f"| {kind} | {median(values):.3f} s | {pct(values, 0.9):.3f} s | "
                f"{max(values, default=math.nan):.3f} s | {creates:.2f} | {gets:.2f} | "
                f"{downloads:.2f} | {total - creates - gets - downloads:.3f} | {total:.2f} |"
            )
        poll = params["poll_interval"]
        split = {
            kind: {
                part: [x for run in scale[n_text][kind] for x in run.get(part, [])]
                for part in ("poll_delays", "handoffs")
            }
            for kind in ("ours", "baseline")
        }
        lines += [
            "",
            f"![detection latency CDF]({link(plot_latency(latencies, plots, poll))})",
            "",
        ]
        if all(split[kind]["poll_delays"] for kind in split):
            lines += [
                "**What limits it (measured)**: the emulator also notes when a GET of the task "
                "first answered SUCCEEDED, which splits each latency in two: *poll delay*, "
                "from SUCCEEDED to that poll (set by the poll interval), and *hand-off*, from "
                "that poll to the first GET of the output (the client's own work in between).",
                "",
                "| | poll delay median | p90 | hand-off median | p90 | expected poll delay |",
                "|---|---|---|---|---|---|",
            ]
            expected = {"ours": poll / 2, "baseline": params["sdk_poll_time"] / 2}
            for kind in ("ours", "baseline"):
                delays, handoffs = split[kind]["poll_delays"], split[kind]["handoffs"]
                lines.append(
                    f"| {kind} | {median(delays):.3f} s | {pct(delays, 0.9):.3f} s | "
                    f"{median(handoffs):.3f} s | {pct(handoffs, 0.9):.3f} s | "
                    f"{expected[kind]:.2f} s |"
                )
            lines += [
                "",
                "A task succeeds at a uniformly random moment of a poll cycle, so the expected "
                f"poll delay is half an interval: {poll / 2:.2f} s for ours ({poll:g} s "
                f"+-20 %), {params['sdk_poll_time'] / 2:.2f} s for the SDK's "
                f"({params['sdk_poll_time']:g} s +- {params['sdk_poll_jitter'] / 2:g} s). "
                "Ours' hand-off is the end of the wait's Prefect task run and the start of the "
                "store's (two task-run state changes recorded by the server, see the phase "
                "table of figure 1) before the download is asked for; the baseline goes "
                "straight from `wait_for_task_output` to the GET. Polls per generation are "
                "about generation time / interval + 1.",
                "",
            ]
        else:  # results recorded before the emulator noted the first SUCCEEDED answer
            lines += [
                "**What limits it**: the poll interval (half an interval on average: "
                f"{poll / 2:.2f} s for ours, {params['sdk_poll_time'] / 2:.2f} s for the SDK's) "
                "plus the time from the poll's answer to the download's first byte. These "
                "results predate the split of the two; re-run the bench to measure it.",
                "",
            ]

    # 3 ------------------------------------------------------------------------------------
    stream = results.get("stream")
    if stream:
        size = params["stream_bytes"]
        lines += [
            "## 3. Streaming a large output into S3",
            "",
            f"One generation whose output is {mib(size)} (the emulator's `output_bytes`: "
            "pseudo-random bytes made chunk by chunk), from the emulator into moto's S3. "
            "Throughput = size / transfer time (from asking for the first byte to the end of "
            "the S3 upload: ours' `store output` step, timed by `bench/phases.py`; the "
            "baseline's download + `upload_fileobj`, timed by the script). End to end = size / "
            "(end of the run - first output GET at the emulator), which adds the sidecar, "
            "results manifest and the flow's end for ours. RSS growth = peak RSS (VmHWM) - "
            "RSS just before the run.",
            "",
            "| | throughput | ours / baseline | end to end | peak RSS growth | peak RSS | CPU of "
            "the process | moto CPU | emulator CPU |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        rates: dict[str, float] = {}
        for kind in ("ours", "baseline"):
            runs = stream[kind]
            rates[kind] = median([size / transfer_seconds(r) / 2**20 for r in runs])
        for kind in ("ours", "baseline"):
            runs = stream[kind]
            growth = median([r["peak_rss"] - r["rss_before"] for r in runs])
            end_to_end = median([size / (r["wall_end"] - r["first_download"]) for r in runs])
            end_to_end /= 2**20
            lines.append(
                f"| {kind} | {rates[kind]:.0f} MiB/s | "
                f"{rates[kind] / rates['baseline']:.2f}x | "
                f"{end_to_end:.0f} MiB/s | {mib(growth)} | "
                f"{mib(median([r['peak_rss'] for r in runs]))} | "
                f"{median([r['cpu'] for r in runs]):.1f} s | "
                f"{median([r['moto_cpu'] for r in runs]):.1f} s | "
                f"{median([r['emulator_cpu'] for r in runs]):.1f} s |"
            )
        ours_stream = profiles.get("ours_stream")
        lines += [
            "",
            "**What limits it (measured)**: CPU, on 2 cores shared by three busy processes. "
            "Per run, the CPU seconds of the process under test, of moto's server (it parses "
            "and keeps every part in memory) and of the emulator (it generates the bytes) are "
            "in the table: together they exceed the wall time, so the cores are saturated and "
            "the slowest stage sets the pace. The baseline writes the output to a spooled "
            "temporary file on disk and uploads it afterwards (two sequential stages); ours "
            "pipes the download into a multipart upload while it arrives (the stages overlap, "
            "memory stays bounded).",
            "",
        ]
        if ours_stream:
            lines += [
                *_details(
                    "pyinstrument, ours streaming (main thread)", ours_stream["pyinstrument"]
                ),
                "",
            ]

    # 4 ------------------------------------------------------------------------------------
    rerun = results.get("rerun")
    if rerun and rerun.get("ours"):
        n = params["rerun_size"]
        first = scale[str(n)]
        lines += [
            f"## 4. Re-running a completed batch of {n}",
            "",
            "The same manifest and destination again, right after the first run completed.",
            "",
            "| | creates | downloads | polls | wall first run | wall re-run | re-run / first |",
            "|---|---|---|---|---|---|---|",
        ]
        for kind in ("ours", "baseline"):
            runs = rerun[kind]
            wall = median([r["wall"] for r in runs])
            wall_first = median([r["wall"] for r in first[kind]])
            lines.append(
                f"| {kind} | {median([r['emulator']['creates_total'] for r in runs]):.0f} | "
                f"{median([r['emulator']['downloads'] for r in runs]):.0f} | "
                f"{median([r['emulator']['gets'] for r in runs]):.0f} | {wall_first:.2f} s | "
                f"{wall:.2f} s | {wall / wall_first:.2f}x |"
            )
        again = profiles.get("ours_rerun")
        lines += [
            "",
            "The baseline pays for every generation again; ours reads each row's sidecar "
            "(one S3 GET per row) and stops there: no POST, no GET to Runway, no download.",
            "",
        ]
        if again:
            lines += [
                f"**What limits it (measured)**: profiled re-run, N = {again['n']}, wall "
                f"{again['wall']:.2f} s:",
                "",
                *_phases_table(again.get("phases")),
                "",
                *_details("pyinstrument, ours re-run (main thread)", again["pyinstrument"]),
                "",
            ]

    # 5 ------------------------------------------------------------------------------------
    startup = results.get("startup")
    if startup:
        lines += [
            "## 5. Start-up: from the command to the first POST",
            "",
            "A one-generation run, from `subprocess` start of the child's command to the "
            "emulator's receipt of the create, split by the child's own timestamps.",
            "",
            "| | command -> first POST | of which: interpreter + imports | imports -> flow "
            "call | flow call -> first POST | import CPU | runs |",
            "|---|---|---|---|---|---|---|",
        ]
        for kind in ("ours", "baseline"):
            runs = startup[kind]
            total = median([r["first_post_after_spawn"] for r in runs])
            imports = median([r["imported_at"] - r["spawned"] for r in runs])
            gap = median([r["wall_start"] - r["imported_at"] for r in runs])
            rest = median([r["first_post_after_spawn"] - (r["wall_start"] - r["spawned"])
                           for r in runs])  # fmt: skip
            lines.append(
                f"| {kind} | {total:.2f} s | {imports:.2f} s | {gap:.2f} s | {rest:.2f} s | "
                f"{median([r['import_cpu'] for r in runs]):.2f} s | {len(runs)} |"
            )
        lines += [
            "",
            "**What limits it (measured)**: the split above. Ours imports prefect "
            "(settings, client, pydantic models), prefect-aws and boto3 before anything "
            "runs; then the flow call creates a flow run on the server, loads two blocks, "
            "reads the manifest, checks the organization's daily limits and prepares "
            "inputs before its POST. The SDK script imports only httpx-based runwayml and "
            "boto3.",
            "",
        ]
    lines += _later_cuts_section(later_cuts or [])
    lines += ["", *costs_section(Path(__file__).resolve().parent / "results", results)]
    output.write_text("\n".join(lines).rstrip() + "\n")


# Smaller changes made after the full run's fix, each measured back to back: the first run of
# the pair on the commit before the change, the second on the change (results/<name>.json).
LATER_CUTS = [
    (
        "prep-before",
        "prep-after",
        "no `runway-prepare-inputs` task run when every input is a URI (`tasks/generate.py`)",
    ),
    (
        "progress-before",
        "progress-after",
        "the batch's progress artifact moves per whole percent and folds together the "
        "generations that finish during an update, instead of one serialized PATCH per "
        "generation (`flows/batch.py`, `BatchProgress`)",
    ),
]


def _later_cuts_section(
    cuts: list[tuple[str, dict[str, Any], dict[str, Any]]],
) -> list[str]:
    if not cuts:
        return []
    lines = [
        "## 6. Later cuts, measured back to back",
        "",
        "Each change below was measured by two runs of `python3 dev.py bench --figures scale "
        "--sizes 200 --name <name> --output /tmp/<name>.md`, one right after the other on "
        "the same machine: before the change, then with it (`bench/results/<name>.json`). "
        "Medians of 3 runs of ours; the baseline of each run beside it shows how the "
        "machine's load moved between the two.",
        "",
        "| change | ours wall before -> after | ours re-run before -> after | flow CPU s/gen "
        "before -> after | server CPU s/gen before -> after | baseline wall before, after |",
        "|---|---|---|---|---|---|",
    ]
    for description, old, new in cuts:
        n_text = min(set(old["scale"]) & set(new["scale"]), key=int)
        n = int(n_text)
        was, now = (
            scale_row(old["scale"][n_text]["ours"], n),
            scale_row(new["scale"][n_text]["ours"], n),
        )
        rerun_was = median([r["wall"] for r in old["rerun"]["ours"]])
        rerun_now = median([r["wall"] for r in new["rerun"]["ours"]])
        base_was = scale_row(old["scale"][n_text]["baseline"], n)["wall"]
        base_now = scale_row(new["scale"][n_text]["baseline"], n)["wall"]
        lines.append(
            f"| {description} (N = {n}) | {was['wall']:.2f} -> {now['wall']:.2f} s | "
            f"{rerun_was:.2f} -> {rerun_now:.2f} s | {was['cpu']:.3f} -> {now['cpu']:.3f} | "
            f"{was['server_cpu']:.3f} -> {now['server_cpu']:.3f} | {base_was:.2f} s, "
            f"{base_now:.2f} s |"
        )
    lines.append("")
    return lines


# The cost figure's runs, oldest first: ``python3 dev.py bench --figures costs --name <name>``
# for each, one right after the other's change (results/<name>.json). The last present is shown
# in full; all present make the before/after table.
COST_RUNS = [
    ("costs-main", "main before issue 20's cuts (ab90285)"),
    (
        "costs-ledger",
        "ledger: claims create-only, changes start from our own last write, renewals read nothing",
    ),
    (
        "costs-store",
        "store: one PutObject below 8 MiB (no HEAD, no TransferManager, no "
        "thread), stale multipart uploads looked for only before a multipart upload, one "
        "SHA-256 pass",
    ),
    (
        "costs-store2",
        "the same code as costs-store again, with the re-run measured",
    ),
    (
        "costs-final",
        "re-run: a done generation's result comes from the plan's sidecar read (no second GET)",
    ),
]
COSTS_START = "<!-- costs:start (python3 dev.py bench --figures costs) -->"
COSTS_END = "<!-- costs:end -->"


def cost_row(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-generation medians of one kind's cost runs."""
    n = runs[0]["n"]

    def per(value: Any) -> float:
        return median([float(value(r)) / n for r in runs])

    operations = sorted({op for r in runs for op in r.get("s3_ops", {})})
    return {
        "n": n,
        "runs": len(runs),
        "wall": median([r["wall"] for r in runs]),
        "cpu": per(lambda r: r["cpu"]),
        "server_cpu": per(lambda r: r["server_cpu"]),
        "server_idle": per(lambda r: r.get("server_cpu_until_idle", 0.0)),
        "moto_cpu": per(lambda r: r["moto_cpu"]),
        # Task runs the process started (its Pending events): exact, where the server's count
        # lags while it works through its backlog.
        "task_runs": per(lambda r: r.get("events", {}).get("prefect.task-run.Pending", 0)),
        "events": per(lambda r: sum(r.get("events", {}).values())),
        "state_events": per(
            lambda r: sum(v for k, v in r.get("events", {}).items() if ".task-run." in k)
        ),
        "threads": per(lambda r: r.get("threads_started", 0)),
        "s3": per(lambda r: sum(r.get("s3_ops", {}).values())),
        "s3_ops": {op: per(lambda r, op=op: r.get("s3_ops", {}).get(op, 0)) for op in operations},
        "runway": {
            key: per(lambda r, key=key: r["emulator"][key])
            for key in ("creates_total", "gets", "downloads", "organization_reads", "deletes")
        },
        "runway_total": per(lambda r: r["requests_total"]),
    }


def costs_section(results_dir: Path, latest: dict[str, Any] | None = None) -> list[str]:
    """BENCHMARKS.md's cost section, from the COST_RUNS files present (``latest``: a run not
    yet listed, shown last)."""
    import json

    present = [
        (name, description, json.loads((results_dir / f"{name}.json").read_text()))
        for name, description in COST_RUNS
        if (results_dir / f"{name}.json").exists()
    ]
    if (
        latest is not None
        and latest.get("costs")
        and not any(latest.get("started") == doc.get("started") for _, _, doc in present)
    ):
        present.append(("(unlisted)", "this run", latest))
    present = [item for item in present if item[2].get("costs")]
    if not present:
        return []
    name, description, doc = present[-1]
    ours, base = cost_row(doc["costs"]["ours"]), cost_row(doc["costs"]["baseline"])
    params = doc["params"]
    lines = [
        COSTS_START,
        "## 7. Cost per generation (issue 20)",
        "",
        f"`python3 dev.py bench --figures costs --name {name}` ({description}; commit "
        f"{doc['machine']['commit']}, {doc['started']}): N = {ours['n']}, C = "
        f"{params['concurrency']}, {params['generation_seconds']:g} s generations, medians of "
        f"{ours['runs']} runs per side, alternating. Counted in the run's own process: S3 "
        "requests at botocore's `_make_api_call` (one per HTTP request, multipart parts "
        "included), events at Prefect's events worker, threads at `Thread.start`; task runs "
        "as the process's `prefect.task-run.Pending` events; Runway requests at the "
        "emulator; server CPU from /proc, at the child's exit and until the server is idle "
        "again (its backlog of events), including its idle rate "
        f"({doc['idle_server']['cpu_per_second']:.3f} CPU s/s).",
        "",
        "| per generation | ours | SDK script | ours / SDK |",
        "|---|---|---|---|",
    ]

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}x" if b else "-"

    rows = [
        ("wall of the run (s, not per generation)", ours["wall"], base["wall"], "{:.2f}"),
        ("flow process CPU s", ours["cpu"], base["cpu"], "{:.3f}"),
        ("Prefect server CPU s, at exit", ours["server_cpu"], 0.0, "{:.3f}"),
        ("Prefect server CPU s, until idle", ours["server_idle"], 0.0, "{:.3f}"),
        ("moto CPU s", ours["moto_cpu"], base["moto_cpu"], "{:.3f}"),
        ("Prefect task runs", ours["task_runs"], 0.0, "{:.2f}"),
        ("events (of which task-run states)", ours["events"], 0.0, "{:.2f}"),
        ("threads started", ours["threads"], base["threads"], "{:.2f}"),
        ("S3 requests", ours["s3"], base["s3"], "{:.2f}"),
        ("Runway requests", ours["runway_total"], base["runway_total"], "{:.2f}"),
    ]
    for label, a, b, form in rows:
        shown_a = form.format(a)
        if label.startswith("events"):
            shown_a += f" ({ours['state_events']:.2f})"
        lines.append(f"| {label} | {shown_a} | {form.format(b)} | {ratio(a, b)} |")
    for op in sorted(set(ours["s3_ops"]) | set(base["s3_ops"])):
        a, b = ours["s3_ops"].get(op, 0.0), base["s3_ops"].get(op, 0.0)
        lines.append(f"| S3 `{op}` | {a:.2f} | {b:.2f} | {ratio(a, b)} |")
    for key, label in (("creates_total", "create"), ("gets", "GET task (polls)"),
                       ("downloads", "output download"), ("organization_reads", "organization"),
                       ("deletes", "DELETE")):  # fmt: skip
        a, b = ours["runway"][key], base["runway"][key]
        lines.append(f"| Runway {label} | {a:.2f} | {b:.2f} | {ratio(a, b)} |")
    if len(present) > 1:
        lines += [
            "",
            "Before and after, each row a run of the same command right after its change "
            "(the SDK script's flow CPU beside it shows how the machine's load moved):",
            "",
            "| run | S3 req/gen | S3 by operation | task runs/gen | events/gen | flow CPU s/gen "
            "(SDK) | server CPU s/gen until idle | moto CPU s/gen | wall s (SDK) |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for name, description, doc in present:
            o, b = cost_row(doc["costs"]["ours"]), cost_row(doc["costs"]["baseline"])
            ops = ", ".join(f"{op} {v:.2f}" for op, v in o["s3_ops"].items() if v >= 0.005)
            lines.append(
                f"| {description} (`{name}`) | {o['s3']:.2f} | {ops} | {o['task_runs']:.2f} | "
                f"{o['events']:.2f} | {o['cpu']:.3f} ({b['cpu']:.3f}) | {o['server_idle']:.3f} | "
                f"{o['moto_cpu']:.3f} | {o['wall']:.1f} ({b['wall']:.1f}) |"
            )
    lines += [
        "",
        "**Where the S3 requests of a new generation go** (the last run, by key): the plan "
        "reads the sidecar, the name's holder and the attempt's ledger entry (3 GETs: each "
        "decides something before any credit is spent); the ledger writes the intent "
        "(create-only), the name claim, the task id and the outcome (4 conditional PUTs: "
        "intent and task id are what make a create happen at most once, the outcome detaches "
        "the run); then the output and its sidecar (2 PUTs). The issue's target is 6; "
        "reaching it means folding writes together (the name claim into the intent, the "
        "outcome into the sidecar), which changes what a crash between them leaves: not done "
        "in this pass. Prefect is now the larger cost: 3 task runs and 9 task-run state events "
        "per generation, and the server's CPU until idle per generation exceeds the flow "
        "process's own; fewer or cheaper task runs are the next cut (not done in this pass).",
    ]
    if any(doc["costs"].get("ours_rerun") for _, _, doc in present):
        lines += [
            "",
            "Re-run of the same batch right after (every generation done), per generation:",
            "",
            "| run | S3 req/gen | S3 by operation | Runway creates | Runway requests/gen | "
            "task runs/gen | flow CPU s/gen | wall s |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name, description, doc in present:
            if not doc["costs"].get("ours_rerun"):
                continue
            again = cost_row(doc["costs"]["ours_rerun"])
            creates = sum(r["emulator"]["creates_total"] for r in doc["costs"]["ours_rerun"])
            ops = ", ".join(f"{op} {v:.2f}" for op, v in again["s3_ops"].items() if v >= 0.005)
            lines.append(
                f"| {description} (`{name}`) | {again['s3']:.2f} | {ops} | {creates} | "
                f"{again['runway_total']:.2f} | {again['task_runs']:.2f} | {again['cpu']:.3f} | "
                f"{again['wall']:.1f} |"
            )
    lines += _stream_cuts(results_dir)
    lines += ["", COSTS_END]
    return lines


# ``python3 dev.py bench --figures stream --runs 1 --name <name> --output /tmp/<name>.md``,
# before and after issue 20's streaming changes.
STREAM_RUNS = [
    (
        "stream-before",
        "before (85ca964: TransferManager for every output, two SHA-256 passes, "
        "a notification per network chunk)",
    ),
    ("stream-after", "after (one SHA-256 pass, the pipe notifies only a waiting reader)"),
]


def _stream_cuts(results_dir: Path) -> list[str]:
    import json

    present = [
        (name, description, json.loads((results_dir / f"{name}.json").read_text()))
        for name, description in STREAM_RUNS
        if (results_dir / f"{name}.json").exists()
    ]
    if not present:
        return []
    lines = [
        "",
        "The 1 GiB stream (figure 3's run, one output from the emulator into moto), client "
        "CPU per GiB and peak RSS growth of the process, ours beside the SDK script's boto3 "
        "`upload_fileobj` in the same run (`python3 dev.py bench --figures stream --runs 1 "
        "--name <name>`):",
        "",
        "| run | ours CPU s/GiB | SDK CPU s/GiB | ours / SDK | ours RSS growth | SDK RSS growth "
        "| ours wall s | SDK wall s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, description, doc in present:
        size = doc["params"]["stream_bytes"] / 2**30
        ours, base = doc["stream"]["ours"], doc["stream"]["baseline"]
        o_cpu = median([r["cpu"] for r in ours]) / size
        b_cpu = median([r["cpu"] for r in base]) / size
        o_rss = median([r["peak_rss"] - r["rss_before"] for r in ours])
        b_rss = median([r["peak_rss"] - r["rss_before"] for r in base])
        lines.append(
            f"| {description} (`{name}`) | {o_cpu:.2f} | {b_cpu:.2f} | {o_cpu / b_cpu:.2f}x | "
            f"{mib(o_rss)} | {mib(b_rss)} | {median([r['wall'] for r in ours]):.1f} | "
            f"{median([r['wall'] for r in base]):.1f} |"
        )
    return lines


def splice_costs(output: Path, results: dict[str, Any], name: str) -> None:
    """Replace (or append) BENCHMARKS.md's cost section, leaving the rest as the full run
    wrote it."""
    section = "\n".join(costs_section(Path(__file__).resolve().parent / "results", results))
    text = output.read_text() if output.exists() else "# Benchmarks\n"
    if COSTS_START in text and COSTS_END in text:
        head, rest = text.split(COSTS_START, 1)
        tail = rest.split(COSTS_END, 1)[1]
        text = head + section + tail
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    output.write_text(text)
