"""The README's first command: the storyboard over the shipped samples leaves clips and a cut.

The test runs ``python3 dev.py demo`` itself, as a new user would, in a child process: the
emulator, moto's S3 server and the temporary Prefect server are the demo's own.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import av

from prefect_runway.testing.samples import SAMPLES as MADE

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"  # the committed copies the README's examples use


def _probe(path: Path) -> tuple[float, int, int]:
    """Seconds (decoded frames / rate), width and height of a playable H.264 MP4."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        assert frames > 0 and stream.codec_context.name == "h264"
        return frames / float(stream.average_rate or 24), stream.width, stream.height


def test_the_demo_command_leaves_clips_a_cut_and_thumbnails(tmp_path: Path) -> None:
    out = tmp_path / "demo-output"
    users_prefect = tmp_path / "users-prefect-home"
    env = {
        **os.environ,
        # The user's own Prefect: a home the demo must not touch, and a profile setting that
        # breaks any run on a temporary server (its block does not exist there).
        "PREFECT_HOME": str(users_prefect),
        "PREFECT_RESULTS_DEFAULT_STORAGE_BLOCK": "s3-bucket/production",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    completed = subprocess.run(
        [sys.executable, str(ROOT / "dev.py"), "demo", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert not users_prefect.exists()

    names = sorted(path.relative_to(out).as_posix() for path in out.rglob("*") if path.is_file())
    assert names == [
        "coast-still.png", "coast-voice.mp3", "coast.mp4", "harbour-sound.mp3", "harbour.mp4",
        "inputs/coast.png", "inputs/harbour.png", "inputs/keeper-take.mp4", "inputs/keeper.png",
        "keeper.mp4", "lighthouse-cut.mp4", "storyboard.json",
        "thumbnails/coast-still.png", "thumbnails/coast.png", "thumbnails/harbour.png",
        "thumbnails/keeper.png", "thumbnails/lighthouse-cut.png",
    ]  # fmt: skip
    assert all((out / name).read_bytes()[:4] == b"\x89PNG" for name in names if ".png" in name)
    clips = {name: _probe(out / f"{name}.mp4")[0] for name in ("coast", "keeper", "harbour")}
    assert round(clips["coast"]) == 5 and round(clips["harbour"]) == 3  # requested durations
    assert abs(clips["keeper"] - 3.5) < 0.2  # as long as the shipped performance clip
    cut_seconds, width, height = _probe(out / "lighthouse-cut.mp4")
    assert (width, height) == (1280, 720)
    assert abs(cut_seconds - sum(clips.values())) <= 1 / 24 + 1e-6

    document = json.loads((out / "storyboard.json").read_text())
    assert [shot["name"] for shot in document["shots"]] == ["coast", "keeper", "harbour"]
    # The first shot was made from a prompt alone: its still by text-to-image, then the clip.
    first = document["shots"][0]
    assert first["made_from"] == "still_then_clip" and first["still_uri"].endswith(
        "coast-still.png"
    )
    steps = [(s["name"], s["endpoint"], s["credits"]) for s in document["steps"]]
    assert steps[:2] == [("coast-still", "text_to_image", 5.0), ("coast", "image_to_video", 25.0)]
    assert document["credits"] == sum(credits for _, _, credits in steps)
    # With sound: the voice-over and the effect were generated and mixed into the cut.
    assert [(s["role"], s["status"]) for s in document["sounds"]] == [
        ("voice_over", "mixed"), ("sound_effect", "mixed"),
    ]  # fmt: skip
    with av.open(str(out / "lighthouse-cut.mp4")) as container:
        assert [stream.codec_context.name for stream in container.streams.audio] == ["aac"]
    # It prints where each clip, the cut and storyboard.json are in S3.
    printed = completed.stdout
    for uri in [shot["s3_uri"] for shot in document["shots"]] + [document["cut_uri"]]:
        assert uri.startswith("s3://") and uri in printed
    assert "/lighthouse/storyboard.json" in printed and str(out) in printed


def test_the_samples_are_shipped_and_small() -> None:
    shipped = {path.name: path.stat().st_size for path in SAMPLES.iterdir() if path.is_file()}
    assert {"coast.png", "harbour.png", "keeper.png", "keeper-take.mp4"} <= set(shipped)
    assert sum(shipped.values()) < 200_000


def test_the_samples_are_what_the_package_makes() -> None:
    assert set(MADE) == {p.name for p in SAMPLES.iterdir() if p.is_file()}
    for name, make in MADE.items():
        made, shipped = make(), (SAMPLES / name).read_bytes()
        if name.endswith(".png"):
            assert made == shipped, name  # PNG encoding is exact
        else:
            # An H.264 encoder of another version may write other bytes for the same frames.
            assert _frames_and_size(made) == _frames_and_size(shipped), name


def _frames_and_size(data: bytes) -> tuple[int, int, int]:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        return sum(1 for _ in container.decode(stream)), stream.width, stream.height
