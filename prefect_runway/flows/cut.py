"""Joining clips into one cut with its sound, and first-frame thumbnails, with PyAV.

Clips from different models differ in frame size, rate and codec; the cut has one of each:
every clip is scaled to fit the chosen frame size (its aspect kept) and padded with black, and
re-timed to one frame rate by showing, at each output frame's time, the clip's latest frame. So
the cut lasts exactly the sum of its clips (to a frame), and plays anywhere H.264 does.

The cut always has one AAC stereo track, exactly as long as the picture (to a sample at 24, 25
or 30 fps): under each clip its own sound, silence under a clip without any, and over them the
cues (voice-over lines, sound effects) at their times and levels, mixed and limited by
:mod:`prefect_runway.flows.soundtrack`.

Frames and samples are decoded, mixed and encoded a block at a time, the audio in step with
the picture: memory does not grow with the clips' or the cues' length.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, cast

import av
import numpy as np
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream
from av.video.frame import VideoFrame

from prefect_runway.flows.soundtrack import SAMPLE_RATE, Limiter, Mix, Placed

__all__ = [
    "AudioCue",
    "CutSummary",
    "first_frame_png",
    "join_clips",
    "parse_frame_size",
]


@dataclass(frozen=True)
class AudioCue:
    """An audio file laid over the cut: a voice-over line, a sound effect.

    Its start is given as seconds after the start of one clip of the cut (``shot``, counted
    from 1 in the cut's order), or after the start of the cut (``shot`` None).

    Attributes:
        path: A WAV, MP3, AAC/M4A, FLAC or Ogg file (its first audio stream).
        offset: Seconds after its anchor (0 or more).
        shot: The clip it starts in, 1 for the first; None: counted from the cut's start.
        level_db: Gain in dB: 0 as recorded, -6 half the amplitude, +6 twice.
        label: What it is, for the summary and errors (e.g. ``"shot 2 voice-over"``).

    Example:
        ```python
        voice = AudioCue(Path("line.wav"), shot=2, offset=0.5, level_db=-3.0)
        bang = AudioCue(Path("bang.mp3"), offset=12.0)  # 12 s into the cut
        ```
    """

    path: Path
    offset: float = 0.0
    shot: int | None = None
    level_db: float = 0.0
    label: str = ""


@dataclass(frozen=True)
class CueSummary:
    """Where a cue landed: its start in the cut (seconds), and whether any of it is heard."""

    label: str
    start: float
    heard: bool


@dataclass(frozen=True)
class CutSummary:
    """What ``join_clips`` wrote.

    Attributes:
        seconds: The cut's duration (frames / fps).
        frames: Frames written.
        width: Frame width.
        height: Frame height.
        clip_seconds: Each clip's duration as read from its file, in order.
        clip_starts: Where each clip starts in the cut, in seconds.
        clip_audio: Whether each clip brought its own sound.
        audio_samples: Samples of the cut's audio track (at ``sample_rate``).
        sample_rate: The audio track's rate.
        cues: Each cue's place in the cut, in the order given.
        peak_db: The mix's loudest sample before the limiter, in dBFS (None: silence).
            Above -1 dBFS the limiter turned it down there.
    """

    seconds: float
    frames: int
    width: int
    height: int
    clip_seconds: tuple[float, ...]
    clip_starts: tuple[float, ...] = ()
    clip_audio: tuple[bool, ...] = ()
    audio_samples: int = 0
    sample_rate: int = SAMPLE_RATE
    cues: tuple[CueSummary, ...] = ()
    peak_db: float | None = None


def parse_frame_size(size: str) -> tuple[int, int]:
    """``"1280:720"`` as ``(1280, 720)``.

    Raises:
        ValueError: not two positive even integers joined by ':' (H.264 needs even sizes).

    Example:
        >>> parse_frame_size("1280:720")
        (1280, 720)
    """
    width, _, height = size.partition(":")
    if not (width.isdigit() and height.isdigit()) or int(width) % 2 or int(height) % 2:
        raise ValueError(f"frame size {size!r}: use WIDTH:HEIGHT, both even, e.g. 1280:720")
    if int(width) == 0 or int(height) == 0:
        raise ValueError(f"frame size {size!r}: width and height must be above 0")
    return int(width), int(height)


def _fit(frame: VideoFrame, width: int, height: int) -> VideoFrame:
    """The frame scaled to fit ``width`` x ``height`` (aspect kept), centred on black."""
    scale = min(width / frame.width, height / frame.height)
    fitted_w = max(2, int(frame.width * scale) // 2 * 2)
    fitted_h = max(2, int(frame.height * scale) // 2 * 2)
    scaled = frame.reformat(width=fitted_w, height=fitted_h, format="rgb24").to_ndarray()
    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    top, left = (height - fitted_h) // 2, (width - fitted_w) // 2
    canvas[top : top + fitted_h, left : left + fitted_w] = scaled
    return VideoFrame.from_ndarray(canvas, format="rgb24")


def _timed_frames(path: Path) -> Generator[tuple[float, VideoFrame], None, None]:
    """Each decoded frame of the clip's video stream with its time in seconds from its start."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        start: float | None = None
        for index, frame in enumerate(container.decode(stream)):
            if frame.pts is not None and frame.time_base is not None:
                at = float(frame.pts * frame.time_base)
            else:
                at = index / float(stream.average_rate or 24)
            start = at if start is None else start
            yield at - start, frame


def _clip_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
        if stream.frames and stream.average_rate:
            return stream.frames / float(stream.average_rate)
        if container.duration is not None:
            return container.duration / av.time_base
    raise ValueError(f"{path.name}: cannot read the clip's duration")


class _Soundtrack:
    """The cut's audio stream, mixed, limited and encoded up to wherever the picture is."""

    def __init__(self, container: Any, mix: Mix) -> None:
        self.stream = cast(AudioStream, container.add_stream("aac", rate=SAMPLE_RATE))
        self.stream.codec_context.layout = "stereo"
        self.mix = mix
        self._blocks = mix.blocks()
        self._limiter = Limiter()
        self.mixed = 0
        self.encoded = 0

    def _encode(self, frames: list[AudioFrame]) -> list[Any]:
        packets: list[Any] = []
        for frame in frames:
            room = self.mix.total - self.encoded
            if room <= 0:
                break
            if frame.samples > room:  # never expected: the limiter gives back what it took
                kept = np.asarray(frame.to_ndarray(), dtype=np.float32)[:, :room]
                frame = AudioFrame.from_ndarray(
                    np.ascontiguousarray(kept), format="fltp", layout="stereo"
                )
                frame.sample_rate = SAMPLE_RATE
            frame.pts = self.encoded
            self.encoded += frame.samples
            packets.extend(self.stream.encode(frame))
        return packets

    def until(self, sample: int) -> list[Any]:
        """Packets of the mix up to ``sample`` (less what the limiter's look-ahead holds)."""
        packets: list[Any] = []
        while self.mixed < min(sample, self.mix.total):
            block = next(self._blocks)
            self.mixed += block.shape[1]
            packets.extend(self._encode(self._limiter.push(block)))
        return packets

    def finish(self) -> list[Any]:
        """The rest of the mix, padded with silence to exactly its length, and the encoder's
        last packets."""
        packets = [*self.until(self.mix.total), *self._encode(self._limiter.flush())]
        if self.encoded < self.mix.total:
            silence = np.zeros((2, self.mix.total - self.encoded), dtype=np.float32)
            frame = AudioFrame.from_ndarray(silence, format="fltp", layout="stereo")
            frame.sample_rate = SAMPLE_RATE
            packets.extend(self._encode([frame]))
        return [*packets, *self.stream.encode(None)]


def _samples(seconds: float) -> int:
    return round(seconds * SAMPLE_RATE)


def _placed_cues(
    cues: Sequence[AudioCue], clip_starts: Sequence[int], total: int
) -> tuple[list[Placed], tuple[CueSummary, ...]]:
    placed: list[Placed] = []
    summaries: list[CueSummary] = []
    for number, cue in enumerate(cues, start=1):
        label = cue.label or f"cue {number}"
        if not math.isfinite(cue.offset) or cue.offset < 0:
            raise ValueError(f"{label}: offset {cue.offset!r}: use 0 or more seconds")
        if not math.isfinite(cue.level_db):
            raise ValueError(f"{label}: level {cue.level_db!r}: use a gain in dB")
        anchor = 0
        if cue.shot is not None:
            if not 1 <= cue.shot <= len(clip_starts):
                raise ValueError(
                    f"{label}: shot {cue.shot}: the cut has clips 1 to {len(clip_starts)}"
                )
            anchor = clip_starts[cue.shot - 1]
        start = anchor + _samples(cue.offset)
        placed.append(Placed(cue.path, start=start, level_db=cue.level_db))
        summaries.append(CueSummary(label, start / SAMPLE_RATE, heard=start < total))
    return placed, tuple(summaries)


def join_clips(
    clips: Sequence[Path],
    output: Path,
    *,
    width: int,
    height: int,
    fps: int = 24,
    cues: Sequence[AudioCue] = (),
    clip_level_db: float = 0.0,
) -> CutSummary:
    """Join ``clips`` in order into one MP4 of ``width`` x ``height`` at ``fps``, with sound.

    The picture is H.264; the sound one AAC stereo track as long as the picture: each clip's
    own sound (at ``clip_level_db``) or silence, and the ``cues`` over them.

    Args:
        clips: MP4 (or any PyAV-readable) files, in cut order.
        output: Where to write the cut.
        width: The cut's frame width (even).
        height: The cut's frame height (even).
        fps: The cut's frame rate.
        cues: Audio files laid over the cut (voice-over, sound effects). A cue that starts
            after the cut ends is not heard (its summary says so); one that runs past the end
            is cut off there.
        clip_level_db: Gain of the clips' own sound, in dB.

    Returns:
        What was written.

    Raises:
        ValueError: no clips, a clip without a readable duration, or a cue whose shot is not
            in the cut or whose offset is negative.

    Example:
        ```python
        summary = join_clips(
            [Path("01.mp4"), Path("02.mp4")], Path("cut.mp4"), width=1280, height=720,
            cues=[AudioCue(Path("line.wav"), shot=2, offset=0.5, level_db=-3.0)],
        )
        ```
    """
    if not clips:
        raise ValueError("no clips to join")
    durations = tuple(_clip_seconds(path) for path in clips)
    wanted = [max(1, round(seconds * fps)) for seconds in durations]
    # Each clip's place in samples, from its first frame's place: no gap, no overlap.
    first_frames = [sum(wanted[:index]) for index in range(len(clips) + 1)]
    starts = [frame * SAMPLE_RATE // fps for frame in first_frames]
    total = starts[-1]
    bed = [
        Placed(path, start=starts[i], length=starts[i + 1] - starts[i],
               level_db=clip_level_db, align_to_video=True)
        for i, path in enumerate(clips)
    ]  # fmt: skip
    laid, cue_summaries = _placed_cues(cues, starts[:-1], total)
    mix = Mix(total=total, sources=[*bed, *laid])
    written = 0
    with av.open(str(output), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, fps)
        soundtrack = _Soundtrack(container, mix)
        for path, count in zip(clips, wanted, strict=True):
            shown: VideoFrame | None = None
            frames = _timed_frames(path)
            pending = next(frames, None)
            for index in range(count):
                at = index / fps
                # Advance to the latest source frame at or before this output frame's time.
                while pending is not None and (shown is None or pending[0] <= at + 1e-6):
                    shown = _fit(pending[1], width, height)
                    pending = next(frames, None)
                assert shown is not None  # a clip with a duration has a first frame
                shown.pts = written
                written += 1
                container.mux(stream.encode(shown))
                # The sound in step with the picture, so the file interleaves as it is written.
                container.mux(soundtrack.until(written * SAMPLE_RATE // fps))
            frames.close()  # closes the clip's container before the next is opened
        container.mux(stream.encode(None))
        container.mux(soundtrack.finish())
    return CutSummary(
        seconds=written / fps,
        frames=written,
        width=width,
        height=height,
        clip_seconds=durations,
        clip_starts=tuple(frame / fps for frame in first_frames[:-1]),
        clip_audio=tuple(mix.had_audio.get(index, False) for index in range(len(clips))),
        audio_samples=soundtrack.encoded,
        cues=cue_summaries,
        peak_db=20 * math.log10(mix.peak) if mix.peak > 0 else None,
    )


def first_frame_png(clip: Path, *, max_width: int = 320) -> bytes:
    """The clip's first frame as a PNG, scaled down to ``max_width`` (aspect kept).

    Raises:
        ValueError: the clip has no video frame.
    """
    for _, frame in _timed_frames(clip):
        scale = min(1.0, max_width / frame.width)
        width, height = max(2, int(frame.width * scale)), max(2, int(frame.height * scale))
        codec = av.CodecContext.create("png", "w")
        codec.width, codec.height, codec.pix_fmt = width, height, "rgb24"
        small = frame.reformat(width=width, height=height, format="rgb24")
        return b"".join(bytes(packet) for packet in [*codec.encode(small), *codec.encode(None)])
    raise ValueError(f"{clip.name}: no video frame")
