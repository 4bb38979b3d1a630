"""Joining clips into one cut, and first-frame thumbnails, with PyAV.

Clips from different models differ in frame size, rate and codec; the cut has one of each:
every clip is scaled to fit the chosen frame size (its aspect kept) and padded with black, and
re-timed to one frame rate by showing, at each output frame's time, the clip's latest frame. So
the cut lasts exactly the sum of its clips (to a frame), and plays anywhere H.264 does. Audio
is not carried over: clips with and without sound cannot share one track here.

Frames are decoded and encoded one at a time: memory does not grow with the clips' length.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.frame import VideoFrame

__all__ = ["CutSummary", "first_frame_png", "join_clips", "parse_frame_size"]


@dataclass(frozen=True)
class CutSummary:
    """What ``join_clips`` wrote.

    Attributes:
        seconds: The cut's duration (frames / fps).
        frames: Frames written.
        width: Frame width.
        height: Frame height.
        clip_seconds: Each clip's duration as read from its file, in order.
    """

    seconds: float
    frames: int
    width: int
    height: int
    clip_seconds: tuple[float, ...]


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


def join_clips(
    clips: Sequence[Path], output: Path, *, width: int, height: int, fps: int = 24
) -> CutSummary:
    """Join ``clips`` in order into one H.264 MP4 of ``width`` x ``height`` at ``fps``.

    Args:
        clips: MP4 (or any PyAV-readable) files, in cut order.
        output: Where to write the cut.
        width: The cut's frame width (even).
        height: The cut's frame height (even).
        fps: The cut's frame rate.

    Returns:
        What was written.

    Raises:
        ValueError: no clips, or a clip without a readable duration.

    Example:
        ```python
        summary = join_clips([Path("01.mp4"), Path("02.mp4")], Path("cut.mp4"),
                             width=1280, height=720)
        ```
    """
    if not clips:
        raise ValueError("no clips to join")
    durations = tuple(_clip_seconds(path) for path in clips)
    written = 0
    with av.open(str(output), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, fps)
        for path, seconds in zip(clips, durations, strict=True):
            wanted = max(1, round(seconds * fps))
            shown: VideoFrame | None = None
            frames = _timed_frames(path)
            pending = next(frames, None)
            for index in range(wanted):
                at = index / fps
                # Advance to the latest source frame at or before this output frame's time.
                while pending is not None and (shown is None or pending[0] <= at + 1e-6):
                    shown = _fit(pending[1], width, height)
                    pending = next(frames, None)
                assert shown is not None  # a clip with a duration has a first frame
                shown.pts = written
                written += 1
                container.mux(stream.encode(shown))
            frames.close()  # closes the clip's container before the next is opened
        container.mux(stream.encode(None))
    return CutSummary(
        seconds=written / fps, frames=written, width=width, height=height, clip_seconds=durations
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
