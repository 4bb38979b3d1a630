"""The bench's pieces run: both child scripts, the measurements and the report (tiny N).

Figures are never asserted here (they belong to BENCHMARKS.md); only that each piece produces
what the report reads.
"""

from __future__ import annotations

from pathlib import Path

from prefect_runway.testing.emulator import RunwayEmulator
from tests.s3 import MotoServer


def test_both_sides_run_and_the_report_renders(
    prefect_harness: str, emulator: RunwayEmulator, s3_server: MotoServer, tmp_path: Path
) -> None:
    from bench.__main__ import skeleton
    from bench.common import manifest_rows
    from bench.harness import Harness
    from bench.report import render

    results = skeleton("pytest", runs=1, sizes=[2], rerun_size=2, stream_bytes=1)
    rows = manifest_rows(2, tag="smoke")
    with Harness(tmp_path, api_url=prefect_harness, emulator=emulator, moto=s3_server) as h:
        runs: dict[str, list[dict[str, object]]] = {}
        for kind in ("ours", "baseline"):
            bucket = h.new_bucket()
            runs[kind] = [h.run(kind, rows, bucket=bucket, prefix="smoke")]
        profiled = h.run("ours", manifest_rows(2, tag="prof"), bucket=bucket, prefix="p",
                         profile=tmp_path / "ours.txt")  # fmt: skip
    for kind, (run,) in runs.items():
        assert run["succeeded"] == 2, kind
        assert run["emulator"]["creates_total"] == 2, kind  # type: ignore[index]
        assert run["emulator"]["downloads"] == 2, kind  # type: ignore[index]
        assert len(run["latencies"]) == 2, kind  # type: ignore[arg-type]
        # The latency's two parts add up to it, generation by generation.
        parts = zip(run["poll_delays"], run["handoffs"], strict=True)  # type: ignore[call-overload]
        assert [round(a + b, 6) for a, b in parts] == [round(x, 6) for x in run["latencies"]]  # type: ignore[attr-defined]
        assert min(run["poll_delays"]) >= 0, kind  # type: ignore[type-var]
        assert run["peak_rss"] >= run["rss_before"] > 0, kind  # type: ignore[operator]
    phases = {row["phase"]: row["calls"] for row in profiled["phases"]}  # type: ignore[attr-defined]
    assert phases["generate (all)"] == 2 and phases["POST create"] == 2
    assert "profiled" in (tmp_path / "ours.txt").read_text()  # pyinstrument's report

    results.update(
        idle_server={"cpu_per_second": 0.0, "rss": 0},
        scale={"2": runs},
        rerun={"ours": runs["ours"], "baseline": runs["baseline"]},
        startup=runs,
        stream=runs,
        profiles={"ours": {**profiled, "pyinstrument": "", "server": None}},
    )
    output = tmp_path / "BENCH.md"
    render(results, output, plots=tmp_path / "plots", before=results)
    text = output.read_text()
    for heading in ("## 1.", "## 2.", "## 3.", "## 4.", "## 5."):
        assert heading in text
    assert "| ours | " in text.split("poll delay median")[1]  # the measured split is reported
    assert (tmp_path / "plots" / "scale.png").stat().st_size > 0
    assert (tmp_path / "plots" / "latency.png").stat().st_size > 0


def test_the_capacity_figure_holds_its_waits_and_renders(
    prefect_harness: str, emulator: RunwayEmulator, s3_server: MotoServer, tmp_path: Path
) -> None:
    """``--figures capacity`` at a tiny size: every wait polled, a window measured, the
    subsection rendered and spliced (no figure asserted)."""
    from bench import capacity
    from bench.__main__ import skeleton
    from bench.harness import Harness

    with Harness(tmp_path, api_url=prefect_harness, emulator=emulator, moto=s3_server) as h:
        # A ramp bounded: polls the probe cannot see fail the test instead of hanging it.
        result = capacity.measure(h, waits=3, window=2.0, poll_interval=0.5, workdir=tmp_path,
                                  spy=False, ramp_timeout=120.0)  # fmt: skip
    assert result["ended_early"] == 0
    last = result["window"]["last"]
    assert last["polled"] == 3 and last["polls"] > result["window"]["first"]["polls"]
    assert emulator.stats()["creates_total"] == 0  # reset after: the held tasks end there
    doc = {**skeleton("pytest", runs=1, sizes=[3], rerun_size=3, stream_bytes=1),
           "capacity": result}  # fmt: skip
    output = tmp_path / "BENCHMARKS.md"
    output.write_text("# Benchmarks\n\nbefore\n")
    capacity.splice_capacity(output, doc, "smoke")
    capacity.splice_capacity(output, doc, "smoke")  # replaced, not added twice
    text = output.read_text()
    assert text.count(capacity.CAPACITY_START) == 1 and "before" in text
    assert "| CPU per poll |" in text


def test_the_s3_pool_microbenchmark_measures_every_variant() -> None:
    from bench.s3threads import measure

    doc = measure([1, 2], generations=2, concurrency=2, rounds=2, latency=0.0,
                  clients=["botocore", "s3io"])  # fmt: skip
    assert set(doc["variants"]) == {"botocore/1", "botocore/2", "s3io/1", "s3io/2"}
    for figures in doc["variants"].values():
        assert len(figures["cpu_ms_per_put_all"]) == 2
        assert figures["cpu_ms_per_put"] > 0
