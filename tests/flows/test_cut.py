"""The cut's sound, decoded back from the written MP4: each clip's own audio, silence where a
clip has none, cues at their times and levels, limited not clipped, as long as the picture,
in bounded memory."""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prefect_runway.flows import soundtrack
from prefect_runway.flows.cut import AudioCue, join_clips
from prefect_runway.flows.soundtrack import SAMPLE_RATE, UnreadableSound, probe_sound
from prefect_runway.testing.emulator.media import render_audio, render_mp4
from tests.media_samples import png_bytes

ROOT = Path(__file__).resolve().parents[2]
PICTURE = np.full((48, 64, 3), 120, dtype=np.uint8)
# The emulator's tone is 0.3 peak: 0.21 RMS. Silence is digital zero; AAC's noise floor on
# silence stays far below this.
HEARD = 0.05
SILENT = 0.002

Samples = npt.NDArray[np.float32]


def clip(folder: Path, name: str, seconds: float, *, fps: int = 24, sound: bool) -> Path:
    path = folder / f"{name}.mp4"
    rendered = render_mp4(
        PICTURE, None, width=64, height=48, frames=round(seconds * fps), fps=fps,
        sound=name if sound else None,
    )  # fmt: skip
    path.write_bytes(rendered.data)
    return path


def recording(folder: Path, name: str, seconds: float, fmt: str = "wav") -> Path:
    path = folder / f"{name}.{fmt}"
    path.write_bytes(render_audio(seconds, fmt=fmt, seed=name).data)
    return path


def decoded(path: Path) -> tuple[Samples, float, float]:
    """The cut's audio (2, n) at 48 kHz, its stream's duration and the picture's, in seconds."""
    with av.open(str(path)) as container:
        audio, video = container.streams.audio, container.streams.video
        assert len(audio) == 1 and len(video) == 1
        assert audio[0].codec_context.name == "aac" and video[0].codec_context.name == "h264"
        assert audio[0].rate == SAMPLE_RATE
        video_seconds = float((video[0].duration or 0) * (video[0].time_base or 0))
        audio_seconds = float((audio[0].duration or 0) * (audio[0].time_base or 0))
        samples = np.concatenate(
            [np.asarray(f.to_ndarray(), dtype=np.float32) for f in container.decode(audio[0])],
            axis=1,
        )
    return samples, audio_seconds, video_seconds


def rms(samples: Samples, start: float, stop: float) -> float:
    window = samples[:, round(start * SAMPLE_RATE) : round(stop * SAMPLE_RATE)]
    assert window.size, (start, stop)
    return float(np.sqrt(np.mean(np.square(window, dtype=np.float64))))


def test_each_clip_keeps_its_own_sound_and_a_clip_without_any_is_silence(tmp_path: Path) -> None:
    clips = [
        clip(tmp_path, "quiet", 2, sound=False),
        clip(tmp_path, "veo", 2, fps=25, sound=True),  # another rate: re-timed to the cut's
        clip(tmp_path, "quiet-again", 1.5, sound=False),
    ]
    output = tmp_path / "cut.mp4"
    summary = join_clips(clips, output, width=64, height=48, fps=24)

    assert summary.clip_audio == (False, True, False)
    assert summary.clip_starts == (0.0, 2.0, 4.0)
    samples, audio_seconds, video_seconds = decoded(output)
    assert video_seconds == summary.seconds == 5.5
    assert abs(audio_seconds - video_seconds) <= 1 / 24
    assert abs(samples.shape[1] / SAMPLE_RATE - video_seconds) <= 1 / 24
    assert rms(samples, 0.0, 1.95) < SILENT
    assert rms(samples, 2.1, 3.9) > HEARD  # the Veo clip's tone, where it plays
    assert rms(samples, 4.05, 5.5) < SILENT


def test_a_cue_starts_at_its_shot_and_offset_or_at_seconds_from_the_start(
    tmp_path: Path,
) -> None:
    clips = [clip(tmp_path, f"c{i}", 2, sound=False) for i in range(3)]
    voice = recording(tmp_path, "voice", 0.8, "mp3")
    bang = recording(tmp_path, "bang", 0.5, "aac")
    output = tmp_path / "cut.mp4"
    summary = join_clips(
        clips, output, width=64, height=48, fps=24,
        cues=[AudioCue(voice, shot=2, offset=0.5, label="voice"),
              AudioCue(bang, offset=5.0, level_db=-6.0, label="bang")],
    )  # fmt: skip

    assert [(c.label, c.start, c.heard) for c in summary.cues] == [
        ("voice", 2.5, True),
        ("bang", 5.0, True),
    ]
    samples, _, _ = decoded(output)
    assert rms(samples, 0.0, 2.5 - 1 / 24) < SILENT
    assert rms(samples, 2.5 + 1 / 24, 3.2) > HEARD
    assert rms(samples, 3.4, 5.0 - 1 / 24) < SILENT
    # -6 dB: half the amplitude of the same tone at 0 dB.
    assert rms(samples, 5.1, 5.4) == pytest.approx(rms(samples, 2.6, 3.1) / 2, rel=0.15)
    assert rms(samples, 5.6, 6.0) < SILENT


def test_sounds_that_add_up_past_full_scale_are_limited_not_clipped(tmp_path: Path) -> None:
    clips = [clip(tmp_path, "veo", 3, sound=True)]
    loud = [recording(tmp_path, f"loud{i}", 2.0) for i in range(3)]
    output = tmp_path / "cut.mp4"
    summary = join_clips(
        clips, output, width=64, height=48,
        cues=[AudioCue(path, offset=0.5, level_db=12.0) for path in loud],
        clip_level_db=12.0,
    )  # fmt: skip

    assert summary.peak_db is not None and summary.peak_db > 6.0  # the sum went far over
    samples, _, _ = decoded(output)
    # Under -1 dBFS plus what AAC adds between samples; a clipped sum would sit at 1.0.
    assert float(np.abs(samples).max()) < 0.99
    assert rms(samples, 1.0, 2.0) > 0.3  # turned down, not muted


def test_a_cue_past_the_end_is_not_heard_and_one_running_over_is_cut_off(
    tmp_path: Path,
) -> None:
    clips = [clip(tmp_path, "only", 2, sound=False)]
    long = recording(tmp_path, "long", 5.0)
    output = tmp_path / "cut.mp4"
    summary = join_clips(
        clips, output, width=64, height=48,
        cues=[AudioCue(long, offset=1.0, label="runs over"),
              AudioCue(long, offset=2.5, label="too late")],
    )  # fmt: skip

    assert [(c.start, c.heard) for c in summary.cues] == [(1.0, True), (2.5, False)]
    samples, audio_seconds, video_seconds = decoded(output)
    assert video_seconds == 2.0 and abs(audio_seconds - video_seconds) <= 1 / 24
    assert rms(samples, 1.1, 1.95) > HEARD


def test_a_cue_in_a_shot_the_cut_has_not_or_before_the_start_is_refused(tmp_path: Path) -> None:
    clips = [clip(tmp_path, "only", 1, sound=False)]
    voice = recording(tmp_path, "voice", 0.5)
    with pytest.raises(ValueError, match=r"voice: shot 2: the cut has clips 1 to 1"):
        join_clips(clips, tmp_path / "cut.mp4", width=64, height=48,
                   cues=[AudioCue(voice, shot=2, label="voice")])  # fmt: skip
    with pytest.raises(ValueError, match=r"offset -0.5"):
        join_clips(clips, tmp_path / "cut.mp4", width=64, height=48,
                   cues=[AudioCue(voice, offset=-0.5)])  # fmt: skip


@pytest.mark.parametrize("fmt", ["wav", "mp3", "aac", "flac", "ogg_opus"])
def test_audio_files_are_recognised_by_content(tmp_path: Path, fmt: str) -> None:
    path = recording(tmp_path, "line", 1.0, fmt)
    renamed = path.rename(tmp_path / "line.bin")  # the name does not matter, the content does
    facts = probe_sound(renamed)
    assert facts.seconds == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (png_bytes(), "not audio the cut takes"),
        (b"RIFF\x00\x00\x00\x00WAVEnot really", "not audio the cut takes"),
        (b"", "not audio the cut takes"),
    ],
)
def test_a_file_that_is_not_audio_is_refused_whatever_its_name(
    tmp_path: Path, content: bytes, says: str
) -> None:
    path = tmp_path / "voice.wav"
    path.write_bytes(content)
    with pytest.raises(UnreadableSound, match=says):
        probe_sound(path)


def test_a_raw_aac_stream_is_a_recording_and_plays_where_placed(tmp_path: Path) -> None:
    # An .aac file is usually ADTS: AAC frames with no container around them.
    path = tmp_path / "line.aac"
    with av.open(str(path), mode="w", format="adts") as container:
        stream: Any = container.add_stream("aac", rate=SAMPLE_RATE)
        stream.codec_context.layout = "mono"
        t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
        tone = (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
        for start in range(0, SAMPLE_RATE, 1024):
            frame = av.AudioFrame.from_ndarray(
                tone[None, start : start + 1024], format="fltp", layout="mono"
            )
            frame.sample_rate, frame.pts = SAMPLE_RATE, start
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    assert probe_sound(path).container == "AAC"
    output = tmp_path / "cut.mp4"
    join_clips([clip(tmp_path, "mute", 3, sound=False)], output, width=64, height=48,
               cues=[AudioCue(path, offset=1.0)])  # fmt: skip
    samples, _, _ = decoded(output)
    assert rms(samples, 0.0, 1.0 - 1 / 24) < SILENT
    assert rms(samples, 1.0 + 1 / 24, 1.9) > HEARD


def test_a_recording_longer_than_the_limit_is_refused_when_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(soundtrack, "MAX_SOUND_SECONDS", 2)
    with pytest.raises(UnreadableSound, match="plays for more than"):
        probe_sound(recording(tmp_path, "long", 3.0, "mp3"))
    assert probe_sound(recording(tmp_path, "short", 1.5, "mp3")).channels == 1


def test_a_video_without_sound_is_not_a_recording(tmp_path: Path) -> None:
    with pytest.raises(UnreadableSound):
        probe_sound(clip(tmp_path, "mute", 1, sound=False))


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    shape=st.lists(
        st.tuples(st.integers(3, 30), st.sampled_from([10, 24, 25, 30]), st.booleans()),
        min_size=1,
        max_size=4,
    ),
    fps=st.sampled_from([24, 25, 30]),
    cue_at=st.tuples(st.integers(0, 3), st.floats(0, 1.5, allow_nan=False)),
)
def test_the_sound_is_as_long_as_the_picture_and_every_clip_plays_in_its_place(
    tmp_path_factory: pytest.TempPathFactory,
    shape: list[tuple[int, int, bool]],
    fps: int,
    cue_at: tuple[int, float],
) -> None:
    folder = tmp_path_factory.mktemp("cut")
    clips = [
        clip(folder, f"c{i}", frames / rate, fps=rate, sound=sound)
        for i, (frames, rate, sound) in enumerate(shape)
    ]
    shot, offset = min(cue_at[0], len(clips) - 1) + 1, cue_at[1]
    voice = recording(folder, "voice", 0.3)
    output = folder / "cut.mp4"
    summary = join_clips(clips, output, width=64, height=48, fps=fps,
                         cues=[AudioCue(voice, shot=shot, offset=offset)])  # fmt: skip

    samples, audio_seconds, video_seconds = decoded(output)
    assert summary.audio_samples * fps == summary.frames * SAMPLE_RATE  # to the sample
    assert abs(audio_seconds - video_seconds) <= 1 / fps
    assert abs(samples.shape[1] / SAMPLE_RATE - video_seconds) <= 1 / fps
    assert summary.clip_audio == tuple(sound for _, _, sound in shape)
    start = summary.clip_starts[shot - 1] + offset
    assert summary.cues[0].start == pytest.approx(start, abs=1 / SAMPLE_RATE)
    edges = [*summary.clip_starts, summary.seconds]
    for index, (_, _, sound) in enumerate(shape):
        first, last = edges[index] + 0.06, edges[index + 1] - 0.06
        if last - first < 0.05:
            continue
        cue_inside = start - 0.05 < last and start + 0.35 > first
        if sound:
            assert rms(samples, first, last) > HEARD / 2, index
        elif not cue_inside:
            assert rms(samples, first, last) < SILENT, index


_RECORDINGS = {
    fmt: render_audio(1.5, fmt=fmt, seed=fmt).data for fmt in ("wav", "mp3", "aac", "flac")
}
_MUTE = render_mp4(PICTURE, None, width=64, height=48, frames=48, fps=24).data


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fmt=st.sampled_from(sorted(_RECORDINGS)),
    damage=st.lists(st.tuples(st.floats(0.1, 1.0, exclude_max=True), st.integers(0, 255)),
                    min_size=1, max_size=30),
    keep=st.one_of(st.none(), st.floats(0.3, 1.0)),
)  # fmt: skip
def test_a_damaged_recording_is_refused_when_checked_or_mixed_whole(
    tmp_path_factory: pytest.TempPathFactory,
    fmt: str,
    damage: list[tuple[float, int]],
    keep: float | None,
) -> None:
    """Damage past a recording's start: the check made before anything is paid refuses it, or
    the cut takes it; never a cut that stops halfway with its clips paid for."""
    data = bytearray(_RECORDINGS[fmt])
    for where, value in damage:
        data[int(where * len(data))] = value
    if keep is not None:
        data = data[: int(keep * len(data))]
    folder = tmp_path_factory.mktemp("damaged")
    path = folder / f"line.{fmt}"
    path.write_bytes(bytes(data))
    (folder / "mute.mp4").write_bytes(_MUTE)
    try:
        probe_sound(path)
    except UnreadableSound as refused:
        assert (
            "damaged" in str(refused)
            or "not audio the cut takes" in str(refused)
            or ("holds no sound" in str(refused))
        )
        return
    output = folder / "cut.mp4"
    summary = join_clips([folder / "mute.mp4"], output, width=64, height=48,
                         cues=[AudioCue(path, offset=0.2)])  # fmt: skip
    _, audio_seconds, video_seconds = decoded(output)
    assert summary.audio_samples == 2 * SAMPLE_RATE and video_seconds == 2.0
    assert abs(audio_seconds - video_seconds) <= 1 / 24


# Runs in a child process so its peak RSS is the join's alone (see tests/tasks/test_store.py).
_CHILD = """
import json, sys
from pathlib import Path

from prefect_runway.flows import soundtrack
from prefect_runway.flows.cut import AudioCue, join_clips


def memory_kib(field):
    # /proc, not getrusage: VmHWM is this process image's own peak.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)


job = json.loads(sys.stdin.read())
baseline = memory_kib("VmRSS")
summary = join_clips(
    [Path(p) for p in job["clips"]], Path(job["output"]), width=320, height=180, fps=24,
    cues=[AudioCue(Path(job["voice"]), shot=1, offset=0.5),
          AudioCue(Path(job["voice"]), offset=30.0, level_db=-6.0)],
)
print(json.dumps({"seconds": summary.seconds, "samples": summary.audio_samples,
                  "baseline_kib": baseline, "peak_kib": memory_kib("VmHWM")}))
"""

# Measured at the commit adding it (320x180 at 24 fps, under load): +30 MiB above the child's
# imports for a 20 s cut, +33 MiB for 120 s. Holding the decoded frames would take ~170 KiB a
# frame (480 MiB for 120 s), and any one source's sound as one array 44 MiB for 120 s: the
# bounds leave room for allocator and library differences and still catch either.
MAX_GROWTH_MIB = 100
MAX_GROWTH_WITH_LENGTH_MIB = 30


def _long_clip(path: Path, seconds: int) -> None:
    """A 320x180 clip with a soundtrack, written with PyAV (the emulator renders in memory)."""
    with av.open(str(path), mode="w", format="mp4") as container:
        video = container.add_stream("libx264", rate=24)
        video.width, video.height, video.pix_fmt = 320, 180, "yuv420p"
        video.time_base = Fraction(1, 24)
        video.options = {"preset": "ultrafast"}
        audio: Any = container.add_stream("aac", rate=SAMPLE_RATE)
        audio.codec_context.layout = "stereo"
        t = np.arange(1024) / SAMPLE_RATE
        tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        written = 0
        for index in range(seconds * 24):
            picture = np.full((180, 320, 3), index % 256, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = index
            container.mux(video.encode(frame))
            while written < (index + 1) * SAMPLE_RATE // 24:
                chunk = av.AudioFrame.from_ndarray(
                    np.stack([tone, tone]), format="fltp", layout="stereo"
                )
                chunk.sample_rate, chunk.pts = SAMPLE_RATE, written
                container.mux(audio.encode(chunk))
                written += 1024
        container.mux(video.encode(None))
        container.mux(audio.encode(None))


async def _peak_growth_mib(job: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _CHILD, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await child.communicate(json.dumps(job).encode())
    assert child.returncode == 0, err.decode()[-3000:]
    report: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return (report["peak_kib"] - report["baseline_kib"]) / 1024, report


@pytest.mark.slow
async def test_a_long_cut_is_joined_in_bounded_memory(tmp_path: Path) -> None:
    piece = tmp_path / "piece.mp4"
    _long_clip(piece, 20)
    # A voice-over as long as the long cut: a source read whole would show.
    voice = tmp_path / "voice.wav"
    voice.write_bytes(render_audio(120, fmt="wav", seed="voice").data)
    short, _ = await _peak_growth_mib(
        {"clips": [str(piece)], "output": str(tmp_path / "short.mp4"), "voice": str(voice)}
    )
    long, report = await _peak_growth_mib(
        {"clips": [str(piece)] * 6, "output": str(tmp_path / "long.mp4"), "voice": str(voice)}
    )
    print(f"peak RSS growth: 20 s cut +{short:.0f} MiB, 120 s cut +{long:.0f} MiB")  # with -s
    assert report["seconds"] == 120.0 and report["samples"] == 120 * SAMPLE_RATE
    assert long < MAX_GROWTH_MIB
    assert long - short < MAX_GROWTH_WITH_LENGTH_MIB
    with av.open(io.BytesIO((tmp_path / "long.mp4").read_bytes())) as container:
        assert container.streams.audio[0].duration == 120 * SAMPLE_RATE
