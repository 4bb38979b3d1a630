"""The README's demo: the storyboard over the shipped samples leaves playable clips and a cut."""

from __future__ import annotations

import json
from pathlib import Path

import av

from emulator.s3 import MotoServer
from flows.demo import DEMO_EMULATOR, SAMPLES, run_demo


def _seconds(path: Path) -> tuple[float, int, int]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        assert frames > 0 and stream.codec_context.name == "h264"
        return frames / float(stream.average_rate or 24), stream.width, stream.height


async def test_the_demo_leaves_clips_and_a_cut(
    prefect_harness: str, s3_server: MotoServer, tmp_path: Path
) -> None:
    fast = DEMO_EMULATOR.model_copy(update={"queue_seconds": 0.05, "run_seconds": 0.3})
    result, paths = await run_demo(tmp_path / "out", s3_server, fast)
    names = sorted(path.relative_to(tmp_path / "out").as_posix() for path in paths)
    assert names == [
        "coast.mp4", "harbour.mp4", "keeper.mp4", "lighthouse-cut.mp4", "storyboard.json",
        "thumbnails/coast.png", "thumbnails/harbour.png", "thumbnails/keeper.png",
        "thumbnails/lighthouse-cut.png",
    ]  # fmt: skip
    out = tmp_path / "out"
    clips = {name: _seconds(out / f"{name}.mp4")[0] for name in ("coast", "keeper", "harbour")}
    assert round(clips["coast"]) == 5 and round(clips["harbour"]) == 3  # requested durations
    assert abs(clips["keeper"] - 3.5) < 0.2  # as long as the shipped performance clip
    cut_seconds, width, height = _seconds(out / "lighthouse-cut.mp4")
    assert (width, height) == (1280, 720)
    assert abs(cut_seconds - sum(clips.values())) <= 3 / 24
    document = json.loads((out / "storyboard.json").read_text())
    assert [shot["name"] for shot in document["shots"]] == ["coast", "keeper", "harbour"]
    assert result.credits == 25 + 20 + 15


def test_the_samples_are_shipped_and_small() -> None:
    shipped = {path.name: path.stat().st_size for path in SAMPLES.iterdir() if path.is_file()}
    assert {"coast.png", "harbour.png", "keeper.png", "keeper-take.mp4"} <= set(shipped)
    assert sum(shipped.values()) < 200_000
