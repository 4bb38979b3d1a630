"""The realistic-scale wall figure (bench/realistic.py): its analysis of the emulator's books,
its report, and every side run end to end at a tiny size.

No figure is asserted (they belong to BENCHMARKS.md): the analysis is checked against
schedules whose answer is known, and the runs only for producing what the report reads.
"""

from __future__ import annotations

import heapq
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.realistic import analyse, choose, section, sides, splice
from prefect_runway.testing.emulator import RunwayEmulator
from tests.s3 import MotoServer


def _task(created: float, started: float, ended: float, seen: float | None = None,
          download: float | None = None) -> dict[str, Any]:  # fmt: skip
    return {"created": created, "started": started, "ended": ended, "first_seen": seen,
            "first_download": download}  # fmt: skip


def test_the_wall_splits_into_head_span_and_tail_and_the_idle_slots_are_found() -> None:
    # C = 2, G = 10: two run at once, two queued ahead. One queued task starts the moment a
    # slot frees (t = 10); the other slot stands idle 2 s until the client's next create.
    timeline = [
        _task(0.0, 0.0, 10.0, seen=13.0, download=13.5),
        _task(0.0, 0.0, 10.0, seen=11.0, download=11.5),
        _task(0.0, 10.0, 20.0, seen=24.0, download=24.5),
        _task(11.6, 12.0, 22.0, seen=23.0, download=23.5),
    ]
    result = {"wall": 26.0, "wall_start": -1.0, "wall_end": 25.0}
    figures = analyse(result, timeline, concurrency=2, generation=10.0)
    assert figures["ideal"] == 20.0
    assert figures["ratio"] == 26.0 / 20.0
    assert (figures["head"], figures["span"], figures["tail"]) == (1.0, 22.0, 3.0)
    assert figures["span_excess"] == 2.0
    assert figures["idle_slot_seconds"] == 2.0
    assert (figures["refilled_at_once"], figures["refills"]) == (1, 2)
    assert figures["gap_max"] == 2.0
    assert figures["max_submitted"] == 3  # the fourth was created after two had ended
    assert figures["detection_median"] == 2.0  # 3, 1, 4 and 1 s after the end
    assert figures["handoff_median"] == 0.5
    assert figures["max_queued"] == 10.0


def _fifo_schedule(
    creates: list[float], concurrency: int, generation: float
) -> list[dict[str, Any]]:
    """What Runway (and the emulator) does with creates at those moments: C slots, the rest
    THROTTLED and started in submission order the moment a slot frees."""
    slots = [-math.inf] * concurrency  # when each slot is free next
    timeline = []
    for created in sorted(creates):
        started = max(created, heapq.heappop(slots))
        heapq.heappush(slots, started + generation)
        timeline.append(_task(created, started, started + generation))
    return timeline


@settings(max_examples=200, deadline=None)
@given(
    concurrency=st.integers(1, 6),
    extra=st.integers(0, 20),
    generation=st.sampled_from([1.0, 7.5, 60.0]),
    steps=st.lists(st.floats(0, 30, allow_nan=False), min_size=27, max_size=27),
)
def test_slot_seconds_add_up_on_any_fifo_schedule(
    concurrency: int, extra: int, generation: float, steps: list[float]
) -> None:
    """C x span = N x G + idle + ramp + drain, whatever the client's creates look like; and a
    client that has every task queued from the start loses no slot time at all."""
    n = concurrency + extra
    creates = [sum(steps[: i + 1]) for i in range(n)]
    timeline = _fifo_schedule(creates, concurrency, generation)
    result = {"wall": 1.0, "wall_start": 0.0, "wall_end": 1.0}
    figures = analyse(result, timeline, concurrency=concurrency, generation=generation)
    assert min(t["started"] - t["created"] for t in timeline) >= 0
    assert figures["idle_slot_seconds"] >= 0 and figures["refills"] == extra
    assert math.isclose(
        concurrency * figures["span"],
        n * generation + figures["idle_slot_seconds"] + figures["ramp"] + figures["drain"],
        rel_tol=1e-9, abs_tol=1e-6,
    )  # fmt: skip
    queued = _fifo_schedule([creates[0]] * n, concurrency, generation)
    at_once = analyse(result, queued, concurrency=concurrency, generation=generation)
    assert at_once["idle_slot_seconds"] == 0 and at_once["refilled_at_once"] == extra
    assert math.isclose(at_once["span_excess"], 0, abs_tol=1e-9)
    assert at_once["max_submitted"] == n


def test_the_sides_poll_alike_and_differ_only_in_how_they_submit() -> None:
    chosen = {side.name: side for side in sides(concurrency=20, poll=5.0)}
    assert set(chosen) == {"ours", "ours-queue-4", "sdk", "sdk-all"}
    # The batch's own default queue (one wave, C), and the old default of 4 beside it.
    assert chosen["ours"].args == ("--concurrency", "20", "--poll-interval", "5.0", "--phases")
    assert chosen["ours-queue-4"].args == (*chosen["ours"].args[:4], "--queue-ahead", "4",
                                           "--phases")  # fmt: skip
    # The SDK sleeps POLL_TIME +- POLL_JITTER / 2: 4-6 s, ours' 5 s +- 20 %.
    assert chosen["sdk"].args == (
        "--concurrency", "20", "--poll-time", "5.0", "--poll-jitter", "2.0"
    )  # fmt: skip
    assert chosen["sdk-all"].args == (*chosen["sdk"].args, "--submit-all")


def test_the_default_run_is_one_batch_beside_the_sdk_scripts_and_queue_4_is_opt_in() -> None:
    """Two batches on one Prefect server slow each other (BENCHMARKS.md 7.7): the default is
    one user's batch; the old default's side runs only when named."""
    assert [side.name for side in choose(None)] == ["ours", "sdk", "sdk-all"]
    assert [side.name for side in choose("")] == ["ours", "sdk", "sdk-all"]
    named = choose("sdk-all, ours-queue-4,ours", concurrency=20, poll=5.0)
    assert [side.name for side in named] == ["ours", "ours-queue-4", "sdk-all"]  # sides' order
    assert named[1] == {side.name: side for side in sides(20, 5.0)}["ours-queue-4"]
    with pytest.raises(ValueError, match="ours-queue-5"):
        choose("ours,ours-queue-5")


def test_every_side_runs_and_the_subsection_renders(
    prefect_harness: str, emulator: RunwayEmulator, s3_server: MotoServer, tmp_path: Path
) -> None:
    """Tiny N, one round: each side stores every row once, the books are complete, and the
    subsection is spliced into an existing file without touching the rest."""
    from bench.__main__ import skeleton
    from bench.harness import Harness
    from bench.realistic import END, START, measure

    with Harness(tmp_path, api_url=prefect_harness, emulator=emulator, moto=s3_server) as h:
        real = measure(h, tmp_path, n=3, runs=1, concurrency=2, generation=0.5, poll=0.2,
                       chosen=choose("ours,ours-queue-4,sdk,sdk-all", 2, 0.2),
                       log=lambda _: None)  # fmt: skip
    (round_,) = real["rounds"]
    for name, side in round_["sides"].items():
        assert side["succeeded"] == 3, name
        assert side["creates"] == 3 and side["downloads"] == 3, name
        assert all(t["ended"] is not None and t["first_download"] is not None
                   for t in side["timeline"]), name  # fmt: skip
    # C at a time never has more than C submitted; all at once has all N.
    assert round_["sides"]["sdk"]["figures"]["max_submitted"] <= 2
    assert round_["sides"]["sdk-all"]["figures"]["max_submitted"] == 3
    doc = {**skeleton("pytest", runs=1, sizes=[3], rerun_size=3, stream_bytes=1),
           "realistic": real}  # fmt: skip
    text = "\n".join(section(doc, "smoke"))
    assert "### 7.7 Wall at realistic scale" in text
    for name in real["sides"]:
        assert f"(`{name}`)" in text
    output = tmp_path / "BENCH.md"
    output.write_text("# Benchmarks\n\nbefore\n")
    splice(output, doc, "smoke")
    splice(output, doc, "smoke")  # replaced, not appended twice
    written = output.read_text()
    assert written.startswith("# Benchmarks\n\nbefore\n")
    assert written.count(START) == 1 and written.count(END) == 1
