"""The README's demo leaves playable MP4s of the expected length."""

from __future__ import annotations

from pathlib import Path

import av

from flows.demo import run_demo


async def test_demo_writes_playable_videos(tmp_path: Path) -> None:
    paths = await run_demo(tmp_path / "out")
    assert sorted(p.name for p in paths) == ["closeup-keeper.mp4", "scene-lighthouse.mp4"]
    durations = {}
    for path in paths:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            frames = sum(1 for _ in container.decode(stream))
            assert frames > 0 and stream.codec_context.name == "h264"
            durations[path.name] = container.duration / 1_000_000
    assert round(durations["scene-lighthouse.mp4"]) == 5  # the requested duration
    assert round(durations["closeup-keeper.mp4"]) == 4  # the performance clip's length
