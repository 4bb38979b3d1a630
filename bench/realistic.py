"""Issue 20's wall at realistic scale: 60 s generations, every side polling every 5 s, C = 20.

``python3 dev.py bench --figures realistic --name realistic`` (N = 100, 3 rounds; ``--runs``
and ``--realistic-size`` change them). Each round starts every side at the same moment, each
against its own emulator (its own organization: ``gen4_turbo`` runs 20 at once and tasks
beyond wait THROTTLED, as Runway's do; RUNNING 60 s, no PENDING, so a slot is held exactly
G = 60 s and ``ceil(N/C) x G`` is what no client can beat), so the sides share the machine's
load but never each other's slots. The sides:

* ``ours``: the batch flow as a user runs it (``concurrency_per_model=20``, the default
  ``queue_ahead``: one wave, C), polling every 5 s with 20 % jitter;
  with ``bench.phases``' step timers (a clock reading around each step, no profiler) to
  show where the head goes;
* ``sdk``: the SDK script of ``bench/baseline.py``, C at a time (a semaphore around create,
  wait, download, upload), the SDK's poll set to 5 s +- 1 s (its own jitter, the same spread
  as ours);
* ``sdk-all``: the same script submitting all N at once and letting Runway's queue hold them
  ("You do not need to add rate-limiting logic"), ``wait_for_task_output(timeout=None)``.

Opt-in (``--realistic-sides ours,ours-queue-4,sdk,sdk-all``): ``ours-queue-4``, the batch
with ``queue_ahead`` = 4, the default before it followed C. It is not in the default run
because it is a second batch on the same Prefect server: two batches started at the same
moment on one SQLite server (one writer) make whichever reaches it second wait out the
other's first wave at one write (BENCHMARKS.md 7.7), which is not the one user's batch the
issue measures.

The emulator's books give every task's create, start, end, first poll that saw it SUCCEEDED
and first output GET; :func:`analyse` turns them into where the wall went beyond the ideal.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import (
    CONCURRENCY,
    MODEL,
    OUTPUT_BYTES,
    child_env,
    emulator_timeline,
    manifest_rows,
)

GENERATION_SECONDS = 60.0
POLL_SECONDS = 5.0
SIZE = 100
# A start this soon after the slot it takes freed came from Runway's own queue (a THROTTLED
# task started by the emulator at the slot's end), not from a client's detection and POST.
AT_ONCE = 0.05
START = "<!-- realistic:start (python3 dev.py bench --figures realistic) -->"
END = "<!-- realistic:end -->"


@dataclass(frozen=True)
class Side:
    name: str
    kind: str  # "ours" or "baseline"
    args: tuple[str, ...] = ()
    label: str = ""


def sides(concurrency: int = CONCURRENCY, poll: float = POLL_SECONDS) -> list[Side]:
    # The SDK sleeps POLL_TIME + uniform(-POLL_JITTER / 2, +POLL_JITTER / 2): ours is +-20 %.
    c = ("--concurrency", str(concurrency))
    sdk_poll = (*c, "--poll-time", str(poll), "--poll-jitter", str(0.4 * poll))
    return [
        Side("ours", "ours", (*c, "--poll-interval", str(poll), "--phases"),
             f"prefect-runway batch, default queue_ahead (= C = {concurrency})"),
        Side("ours-queue-4", "ours",
             (*c, "--poll-interval", str(poll), "--queue-ahead", "4", "--phases"),
             "prefect-runway batch, queue_ahead = 4 (the old default)"),
        Side("sdk", "baseline", sdk_poll, "SDK script, C at a time"),
        Side("sdk-all", "baseline", (*sdk_poll, "--submit-all"),
             "SDK script, all N submitted at once"),
    ]  # fmt: skip


# One user's batch beside the two SDK scripts, as issue 20 measures it; ``ours-queue-4`` only
# when asked for (a second batch on the one Prefect server slows the first: see the docstring).
DEFAULT_SIDES = ("ours", "sdk", "sdk-all")


def choose(
    names: str | None, concurrency: int = CONCURRENCY, poll: float = POLL_SECONDS
) -> list[Side]:
    """The sides named in ``names`` (comma-separated, in :func:`sides`' order), or the default.

    Args:
        names: e.g. ``"ours,ours-queue-4,sdk,sdk-all"``; None or empty for :data:`DEFAULT_SIDES`.
        concurrency: C, passed to :func:`sides`.
        poll: the poll interval, passed to :func:`sides`.

    Returns:
        The chosen sides.

    Raises:
        ValueError: a name that is not a side, or no name at all.
    """
    every = sides(concurrency, poll)
    wanted = [n.strip() for n in names.split(",") if n.strip()] if names else list(DEFAULT_SIDES)
    unknown = sorted(set(wanted) - {side.name for side in every})
    if unknown or not wanted:
        raise ValueError(f"unknown realistic sides {unknown or wanted}: choose among "
                         f"{', '.join(side.name for side in every)}")  # fmt: skip
    return [side for side in every if side.name in wanted]


def ideal(n: int, concurrency: int, generation: float) -> float:
    return math.ceil(n / concurrency) * generation


# ----------------------------------------------------------------------------- analysis


def analyse(
    result: dict[str, Any], timeline: list[dict[str, Any]], *, concurrency: int, generation: float
) -> dict[str, Any]:
    """Where one run's wall went, from the child's clock and the emulator's books.

    ``result``: the child's ``wall``, ``wall_start`` and ``wall_end`` (epoch seconds).
    ``timeline``: per task ``created``, ``started``, ``ended``, ``first_seen`` (the first poll
    that answered SUCCEEDED) and ``first_download``, epoch seconds or None.

    The wall splits into *head* (the run's start to its first create), *span* (the first create
    to the last task's end at Runway) and *tail* (that end to the run's end: the last detection,
    its store and the run's own finish). Slots are matched to starts in order: the k-th task to
    end frees the slot the (C + k)-th task to start takes, and the gap between the two is time
    a paid-for slot stood idle while work was left (``idle_slot_seconds``, their sum: the span
    exceeds ``ceil(N/C) x G`` by about ``idle_slot_seconds / C``). Exactly, slot by slot:
    ``C x span = N x G + idle_slot_seconds + ramp + drain``, where *ramp* is the first C
    starts' lateness after the first create and *drain* the time the last C tasks' slots stand
    empty before the last end.
    """
    n = len(timeline)
    created = sorted(t["created"] for t in timeline if t["created"] is not None)
    starts = sorted(t["started"] for t in timeline if t["started"] is not None)
    ends = sorted(t["ended"] for t in timeline if t["ended"] is not None)
    best = ideal(n, concurrency, generation)
    gaps = [start - end for start, end in zip(starts[concurrency:], ends, strict=False)]
    detections = [
        t["first_seen"] - t["ended"]
        for t in timeline
        if t["first_seen"] is not None and t["ended"] is not None
    ]
    handoffs = [
        t["first_download"] - t["first_seen"]
        for t in timeline
        if t["first_download"] is not None and t["first_seen"] is not None
    ]
    queued = [t["started"] - t["created"] for t in timeline
              if t["started"] is not None and t["created"] is not None]  # fmt: skip
    head = created[0] - result["wall_start"] if created else math.nan
    span = ends[-1] - created[0] if ends and created else math.nan
    tail = result["wall_end"] - ends[-1] if ends else math.nan
    return {
        "n": n,
        "wall": result["wall"],
        "ideal": best,
        "ratio": result["wall"] / best,
        "head": head,
        "span": span,
        "span_excess": span - best,
        "tail": tail,
        "idle_slot_seconds": sum(max(0.0, gap) for gap in gaps),
        "ramp": sum(start - created[0] for start in starts[:concurrency]) if created else 0.0,
        "drain": sum(ends[-1] - end for end in ends[max(0, len(ends) - concurrency) :]),
        "refills": len(gaps),
        "refilled_at_once": sum(1 for gap in gaps if gap <= AT_ONCE),
        "gap_median": statistics.median(gaps) if gaps else math.nan,
        "gap_max": max(gaps, default=math.nan),
        "detection_median": statistics.median(detections) if detections else math.nan,
        "detection_max": max(detections, default=math.nan),
        "handoff_median": statistics.median(handoffs) if handoffs else math.nan,
        "max_queued": max(queued, default=math.nan),
        "max_submitted": _most_at_once(timeline),
    }


def _most_at_once(timeline: list[dict[str, Any]]) -> int:
    """The most tasks created and not yet ended at one moment (submitted ahead, queued
    included)."""
    moments = sorted(
        [(t["created"], 1) for t in timeline if t["created"] is not None]
        + [(t["ended"], -1) for t in timeline if t["ended"] is not None]
    )
    most = now = 0
    for _at, step in moments:
        now += step
        most = max(most, now)
    return most


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over one side's runs of every figure :func:`analyse` gives."""
    keys = [k for k, v in runs[0].items() if isinstance(v, (int, float))]
    return {k: statistics.median(r[k] for r in runs) for k in keys} | {"runs": len(runs)}


# ------------------------------------------------------------------------------ the runs


@dataclass
class _Running:
    side: Side
    emulator: Any
    run_dir: Path
    bucket: Any = None
    process: subprocess.Popen[bytes] | None = None
    log: Any = None
    started: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def _emulator(concurrency: int, generation: float) -> Any:
    from prefect_runway.testing.emulator import EmulatorConfig, RunwayEmulator

    return RunwayEmulator(
        EmulatorConfig(
            queue_seconds=0.0,
            run_seconds=generation,
            max_concurrent={MODEL: concurrency},
            output_bytes=OUTPUT_BYTES,
            credit_balance=10**9,
        )
    ).start()


def _command(run: _Running, harness: Any, manifest: Path, result: Path) -> list[str]:
    side = run.side
    if side.kind == "ours":
        return [sys.executable, "-m", "bench.ours", "--manifest", str(manifest),
                "--destination-block", f"bench-dest-{side.name}",
                "--credentials-block", f"bench-runway-{side.name}",
                "--prefix", "realistic", "--result", str(result), *side.args]  # fmt: skip
    return [sys.executable, "-m", "bench.baseline", "--manifest", str(manifest),
            "--base-url", run.emulator.base_url, "--api-key", run.emulator.api_key,
            "--endpoint-url", harness.moto.endpoint_url, "--bucket", run.bucket.bucket_name,
            "--prefix", "bench/realistic", "--result", str(result), *side.args]  # fmt: skip


def measure(
    harness: Any,
    workdir: Path,
    *,
    n: int = SIZE,
    runs: int = 3,
    concurrency: int = CONCURRENCY,
    generation: float = GENERATION_SECONDS,
    poll: float = POLL_SECONDS,
    chosen: list[Side] | None = None,
    log: Any = print,
) -> dict[str, Any]:
    """``runs`` rounds, each starting every side at once on its own emulator; per side the
    child's result, the emulator's timeline and :func:`analyse`'s figures."""
    from pydantic import SecretStr

    from prefect_runway.blocks import RunwayCredentials

    chosen = chosen or choose(None, concurrency, poll)
    out: dict[str, Any] = {
        "n": n, "concurrency": concurrency, "generation_seconds": generation,
        "poll_seconds": poll, "sdk_poll_jitter": 0.4 * poll,
        "ideal": ideal(n, concurrency, generation),
        "sides": {s.name: {"label": s.label, "kind": s.kind, "args": list(s.args)}
                  for s in chosen},
        "rounds": [],
    }  # fmt: skip
    emulators = {side.name: _emulator(concurrency, generation) for side in chosen}
    try:
        for side in chosen:
            if side.kind == "ours":
                RunwayCredentials(
                    api_key=SecretStr(emulators[side.name].api_key),
                    base_url=emulators[side.name].base_url,
                    input_roots=[str(workdir)],
                ).save(f"bench-runway-{side.name}", overwrite=True)
        for repeat in range(runs):
            figures = _round(harness, workdir, chosen, emulators, n, repeat, concurrency,
                             generation, log)  # fmt: skip
            out["rounds"].append(figures)
    finally:
        for emulator in emulators.values():
            emulator.stop()
    out["summary"] = {
        name: summarise([r["sides"][name]["figures"] for r in out["rounds"]])
        for name in out["sides"]
    }
    return out


def _round(
    harness: Any,
    workdir: Path,
    chosen: list[Side],
    emulators: dict[str, Any],
    n: int,
    repeat: int,
    concurrency: int,
    generation: float,
    log: Any,
) -> dict[str, Any]:
    harness.settle()
    # Rotate who is launched first; the launches are milliseconds apart anyway.
    order = chosen[repeat % len(chosen) :] + chosen[: repeat % len(chosen)]
    running: list[_Running] = []
    for side in order:
        emulator = emulators[side.name]
        emulator.reset()
        run_dir = workdir / f"realistic-{repeat}-{side.name}"
        run_dir.mkdir(parents=True, exist_ok=True)
        run = _Running(side, emulator, run_dir)
        run.bucket = harness.moto.new_bucket(folder="bench", stem="real")
        if side.kind == "ours":
            run.bucket.save(f"bench-dest-{side.name}", overwrite=True)
        running.append(run)
    loads: list[tuple[float, tuple[float, float, float]]] = []
    done = threading.Event()

    def sample_load() -> None:
        while not done.wait(10.0):
            loads.append((time.time(), os.getloadavg()))

    sampler = threading.Thread(target=sample_load, daemon=True)
    load_start = os.getloadavg()
    sampler.start()
    rows = manifest_rows(n, tag="real")
    for run in running:
        manifest = run.run_dir / "rows.jsonl"
        manifest.write_text("".join(json.dumps(row) + "\n" for row in rows))
        run.log = open(run.run_dir / "output.log", "wb")  # closed after the wait
        run.started = time.time()
        run.process = subprocess.Popen(
            _command(run, harness, manifest, run.run_dir / "result.json"),
            cwd=Path(__file__).resolve().parent.parent,
            env=child_env({"PREFECT_API_URL": harness.api_url}),
            stdout=run.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    deadline = time.monotonic() + 4 * ideal(n, concurrency, generation) + 600
    try:
        for run in running:
            assert run.process is not None
            run.process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        for run in running:
            if run.process is not None and run.process.poll() is None:
                run.process.kill()  # a child of ours, by its own handle
                run.process.wait()
            run.log.close()
        done.set()
        sampler.join()
    out: dict[str, Any] = {
        "load_start": load_start, "load_end": os.getloadavg(),
        "load_mean_1min": statistics.mean(x[1][0] for x in loads) if loads else load_start[0],
        "sides": {},
    }  # fmt: skip
    for run in running:
        result_path = run.run_dir / "result.json"
        assert run.process is not None
        if run.process.returncode != 0 or not result_path.exists():
            tail = (run.run_dir / "output.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{run.side.name} failed ({run.process.returncode}):\n{tail}")
        result = json.loads(result_path.read_text())
        timeline = emulator_timeline(run.emulator)
        stats = run.emulator.stats()
        figures = analyse(result, timeline, concurrency=concurrency, generation=generation)
        out["sides"][run.side.name] = {
            "figures": figures,
            "timeline": timeline,
            "succeeded": result["succeeded"],
            "cpu": result["cpu"],
            "wall_start": result["wall_start"],
            "wall_end": result["wall_end"],
            "spawned": run.started,
            "creates": stats["creates_total"],
            "polls": stats["gets"],
            "downloads": stats["downloads"],
            "phases": result.get("phases"),
            "phase_events": result.get("phase_events"),
        }
        log(f"realistic round {repeat + 1} {run.side.name}: wall {figures['wall']:.1f} s "
            f"({figures['ratio']:.3f}x ideal), {result['succeeded']} stored, head "
            f"{figures['head']:.1f} s, span +{figures['span_excess']:.1f} s, tail "
            f"{figures['tail']:.1f} s, refills at once {figures['refilled_at_once']}/"
            f"{figures['refills']}")  # fmt: skip
        with contextlib.suppress(Exception):  # moto keeps objects in memory
            harness.drop_bucket(run.bucket)
    return out


# ----------------------------------------------------------------------------- the report


def section(doc: dict[str, Any], name: str) -> list[str]:
    """BENCHMARKS.md's subsection 7.7 from ``doc`` (results/<name>.json)."""
    real = doc["realistic"]
    summary = real["summary"]
    best = real["ideal"]
    reference = summary.get("sdk", {}).get("wall")
    loads = [r["load_mean_1min"] for r in real["rounds"]]
    lines = [
        START,
        "### 7.7 Wall at realistic scale",
        "",
        f"`python3 dev.py bench --figures realistic --name {name}` (commit "
        f"{doc['machine']['commit']}, {doc['started']}; load average {min(loads):.1f} to "
        f"{max(loads):.1f} during the rounds (1-minute, sampled every 10 s), on "
        f"{doc['machine']['nproc']} cores shared with other work). N = {real['n']} "
        f"generations, C = {real['concurrency']} per model, G = "
        f"{real['generation_seconds']:g} s (RUNNING {real['generation_seconds']:g} s, no "
        "PENDING: a task holds a slot exactly G), THROTTLED beyond C as Runway does; every side "
        f"polls every {real['poll_seconds']:g} s +- 20 % (ours: `poll_interval`, the SDK: "
        f"`POLL_TIME` {real['poll_seconds']:g}, `POLL_JITTER` {real['sdk_poll_jitter']:g}, "
        f"its own spread). Ideal ceil(N/C) x G = {best:g} s. Each of "
        f"{len(real['rounds'])} rounds starts every side at the same moment, each against "
        "its own emulator (its own organization), so the sides meet the same machine load "
        "and never take each other's slots; medians over the rounds. Wall: the run's own "
        "clock in its process, after imports (ours: the flow run from its start, plan and "
        "results manifest included; the SDK script: from its first line of work).",
        "",
        "| side | wall | / ideal | / SDK C at a time | head: start -> first create | span: "
        "first create -> last end, over the ideal | tail: last end -> run's end | idle "
        "slot-s (/ C) | slots refilled at once from Runway's queue | most submitted at once "
        "| detection median |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for side, info in real["sides"].items():
        s = summary[side]
        versus = f"{s['wall'] / reference:.3f}x" if reference else "-"
        lines.append(
            f"| {info['label']} (`{side}`) | {s['wall']:.1f} s | {s['ratio']:.3f}x | {versus} | "
            f"{s['head']:.1f} s | +{s['span_excess']:.1f} s | {s['tail']:.1f} s | "
            f"{s['idle_slot_seconds']:.0f} ({s['idle_slot_seconds'] / real['concurrency']:.1f} "
            f"s) | {s['refilled_at_once']:.0f} of {s['refills']:.0f} | "
            f"{s['max_submitted']:.0f} | {s['detection_median']:.1f} s |"
        )
    lines += [
        "",
        "Every run, wall (/ ideal):",
        "",
        "| round | load (1-min mean) | " + " | ".join(f"`{s}`" for s in real["sides"]) + " |",
        "|---|---|" + "---|" * len(real["sides"]),
    ]
    for index, round_ in enumerate(real["rounds"]):
        cells = [
            f"{round_['sides'][s]['figures']['wall']:.1f} s "
            f"({round_['sides'][s]['figures']['ratio']:.3f}x)"
            for s in real["sides"]
        ]
        lines.append(f"| {index + 1} | {round_['load_mean_1min']:.1f} | " + " | ".join(cells)
                     + " |")  # fmt: skip
    lines += ["", END]
    return lines


def splice(output: Path, doc: dict[str, Any], name: str) -> None:
    """Replace (or append) BENCHMARKS.md's subsection 7.7, leaving the rest as it is."""
    text = output.read_text() if output.exists() else "# Benchmarks\n"
    new = "\n".join(section(doc, name))
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + new + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + new + "\n"
    output.write_text(text)
