"""The cut's sound: each clip's own audio, audio files laid over it, mixed and limited, with PyAV.

The cut's audio is one stereo track at :data:`SAMPLE_RATE`, exactly as long as its picture:

- under each clip, the clip's own first audio stream (Veo makes sound unless asked not to),
  trimmed or padded with silence to the clip's place in the cut; silence under a clip without
  one;
- over that, *cues*: audio files (a voice-over line, a sound effect) each starting at its own
  time and played at its own level, cut off where the picture ends;
- the sum passes through FFmpeg's ``alimiter`` (a look-ahead peak limiter, its delay
  compensated) so that where voices and effects add up past full scale the mix is turned down
  for that moment instead of clipping; below :data:`LIMIT` nothing changes.

Levels are gains in decibels: 0 plays a file as recorded, -6 at half its amplitude, +6 at
twice (the limiter catches what that pushes over).

Every source is decoded, resampled (libswresample, through :class:`av.AudioResampler`) and
mixed one block at a time, and at most the sources heard at that moment are open: memory does
not grow with the length of the cut or of any file.

Example:
    ```python
    from pathlib import Path
    from prefect_runway.flows.soundtrack import Mix, Placed

    mix = Mix(total=48_000 * 10, sources=[
        Placed(Path("voice.wav"), start=48_000 * 2, level_db=-3.0),
    ])
    for block in mix.blocks():
        ...  # float32 stereo, (2, n)
    ```
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt
from av.audio.frame import AudioFrame

from prefect_runway.api.errors import PrefectRunwayError

__all__ = [
    "BLOCK",
    "LIMIT",
    "MAX_SOUND_SECONDS",
    "SAMPLE_RATE",
    "SOUND_FORMATS",
    "Limiter",
    "Mix",
    "Placed",
    "SoundFacts",
    "UnreadableSound",
    "decibels",
    "probe_sound",
]

SAMPLE_RATE = 48_000
"""The cut's sample rate (Veo's, and video's usual one)."""
MAX_SOUND_SECONDS = 3600
"""The longest recording the cut takes: it is decoded whole when checked, and a cut is minutes."""
BLOCK = 1024
"""Samples per mixed block: one AAC frame."""
LIMIT = 10 ** (-1 / 20)
"""The limiter's ceiling, -1 dBFS: headroom for the peaks AAC's decoding adds between samples."""

SOUND_FORMATS: dict[str, str] = {
    "wav": "WAV",
    "mp3": "MP3",
    "aac": "AAC",
    "mov,mp4,m4a,3gp,3g2,mj2": "AAC in M4A/MP4",
    "flac": "FLAC",
    "ogg": "Ogg",
}
"""The containers a cue may be (FFmpeg's demuxer name -> what people call it): WAV, MP3 and AAC,
and FLAC and Ogg, which Runway's text-to-speech and sound-effect models also deliver."""

Samples = npt.NDArray[np.float32]


class UnreadableSound(PrefectRunwayError, ValueError):
    """An audio file for the cut is not audio this package can mix."""


def decibels(level_db: float) -> float:
    """The amplitude factor of a gain in dB.

    Example:
        >>> round(decibels(-6.0), 3)
        0.501
    """
    return float(10 ** (level_db / 20))


@dataclass(frozen=True)
class SoundFacts:
    """What :func:`probe_sound` found.

    Attributes:
        container: What people call the file's type (``WAV``, ``MP3``...).
        codec: The audio codec.
        seconds: Its duration, when the file says (a raw AAC stream may not).
        channels: Channels of its audio stream.
        sample_rate: Its sample rate.
    """

    container: str
    codec: str
    seconds: float | None
    channels: int
    sample_rate: int


def probe_sound(path: Path) -> SoundFacts:
    """Check by content that ``path`` is a WAV, MP3, AAC, FLAC or Ogg file whose sound decodes.

    Raises:
        UnreadableSound: not one of those, no audio stream, or its first frame does not decode.

    Example:
        ```python
        facts = probe_sound(Path("voice.wav"))
        print(facts.container, facts.seconds)
        ```
    """
    allowed = ", ".join(dict.fromkeys(SOUND_FORMATS.values()))
    try:
        with av.open(str(path)) as container:
            kind = SOUND_FORMATS.get(container.format.name)
            if kind is None:
                raise UnreadableSound(
                    f"its content is {container.format.long_name or container.format.name}, "
                    f"not audio the cut takes ({allowed})"
                )
            if not container.streams.audio:
                raise UnreadableSound(f"the {kind} file has no audio stream")
            stream = container.streams.audio[0]
            first = _decode_whole(container, stream, kind)
            if first is None:
                raise UnreadableSound(f"the {kind} file holds no sound")
            seconds: float | None = None
            if stream.duration is not None and stream.time_base is not None:
                seconds = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                seconds = container.duration / av.time_base
            return SoundFacts(
                container=kind,
                codec=stream.codec_context.name,
                seconds=seconds,
                channels=first.layout.nb_channels,
                sample_rate=first.sample_rate,
            )
    except UnreadableSound:
        raise
    except (av.FFmpegError, ValueError, IndexError, StopIteration) as error:
        raise UnreadableSound(f"it is not audio the cut takes ({allowed}): {error}") from None


def _decode_whole(container: Any, stream: Any, kind: str) -> AudioFrame | None:
    """Decode every packet of ``stream`` (a frame at a time: memory stays flat); the first
    frame, or None if there is none.

    The whole file, not its first frame: a recording damaged past its start would otherwise
    pass the check made before anything is paid for and stop the cut after the clips are.
    """
    first: AudioFrame | None = None
    decoded = 0
    try:
        for packet in container.demux(stream):
            for frame in packet.decode():
                first = first or frame
                decoded += frame.samples
                if decoded > MAX_SOUND_SECONDS * (first.sample_rate or SAMPLE_RATE):
                    raise UnreadableSound(
                        f"the {kind} file plays for more than {MAX_SOUND_SECONDS // 60} minutes; "
                        "the cut takes recordings up to that"
                    )
    except av.FFmpegError as error:
        at = decoded / first.sample_rate if first is not None and first.sample_rate else 0.0
        raise UnreadableSound(
            f"the {kind} file is damaged about {at:.2f} s in ({error.strerror or error})"
        ) from None
    return first


def _start_seconds(stream: Any) -> float:
    if stream.start_time is None or stream.time_base is None:
        return 0.0
    return float(stream.start_time * stream.time_base)


class _Reader:
    """One file's first audio stream as float32 stereo at :data:`SAMPLE_RATE`, decoded as read.

    Reads past the end (or of a file without audio) give silence. With ``align_to_video`` the
    sound starts where the file's picture does: a soundtrack that starts late is preceded by
    silence, one that starts early loses its lead.
    """

    def __init__(self, path: Path, *, align_to_video: bool = False) -> None:
        self._container = av.open(str(path))
        self._pending: Samples = np.zeros((2, 0), dtype=np.float32)
        self.has_audio = bool(self._container.streams.audio)
        self._chunks: Iterator[Samples] = iter(())
        self._decoded_all = False
        if not self.has_audio:
            return
        stream = self._container.streams.audio[0]
        self._chunks = self._decode(stream)
        if align_to_video and self._container.streams.video:
            lead = _start_seconds(stream) - _start_seconds(self._container.streams.video[0])
            shift = round(lead * SAMPLE_RATE)
            if shift > 0:
                self._pending = np.zeros((2, shift), dtype=np.float32)
            elif shift < 0:
                self.read(-shift)

    def _decode(self, stream: Any) -> Iterator[Samples]:
        # A mono file (speech usually is) plays as recorded on both sides. libswresample's
        # mono-to-stereo upmix would lower it 3 dB (its centre mix level), so mono stays mono
        # through the resampler and is doubled here; more channels are mixed down by it.
        mono = stream.codec_context.layout.nb_channels == 1
        resampler = av.AudioResampler(
            format="fltp", layout="mono" if mono else "stereo", rate=SAMPLE_RATE
        )

        def stereo(frame: AudioFrame) -> Samples:
            samples = np.asarray(frame.to_ndarray(), dtype=np.float32)
            return np.repeat(samples, 2, axis=0) if mono else samples

        # A packet that does not decode is skipped (FFmpeg's own tools do the same), and a
        # file that cannot be read further ends there: recordings were decoded whole when
        # checked, so this only guards the cut, whose clips are paid for, against the rest.
        try:
            for packet in self._container.demux(stream):
                try:
                    frames = packet.decode()
                except av.FFmpegError:
                    continue
                for frame in frames:
                    for out in resampler.resample(frame):
                        yield stereo(out)
        except av.FFmpegError:
            pass
        for out in resampler.resample(None):
            yield stereo(out)

    def read(self, count: int) -> Samples:
        """The next ``count`` samples, ``(2, count)``."""
        pieces = [self._pending]
        have = self._pending.shape[1]
        while have < count:
            chunk = next(self._chunks, None)
            if chunk is None:
                self._decoded_all = True
                pieces.append(np.zeros((2, count - have), dtype=np.float32))
                break
            pieces.append(chunk)
            have += chunk.shape[1]
        joined = np.concatenate(pieces, axis=1) if len(pieces) > 1 else pieces[0]
        self._pending = joined[:, count:]
        return joined[:, :count]

    @property
    def ended(self) -> bool:
        """Every sample was read: what follows is silence."""
        return self._decoded_all and self._pending.shape[1] == 0

    def close(self) -> None:
        self._container.close()


@dataclass(frozen=True)
class Placed:
    """A file's sound laid on the cut's timeline.

    Attributes:
        path: The file (its first audio stream; silence if it has none).
        start: The sample of the cut where it starts.
        length: Samples it may play (a clip's place in the cut); None: until it ends.
        level_db: Its gain in dB.
        align_to_video: Start where the file's picture starts (a clip's own soundtrack).
    """

    path: Path
    start: int
    length: int | None = None
    level_db: float = 0.0
    align_to_video: bool = False

    @property
    def end(self) -> float:
        return math.inf if self.length is None else self.start + self.length


@dataclass
class Mix:
    """The sum of placed sources, ``total`` samples long, made block by block.

    Attributes:
        total: Samples of the cut.
        sources: What plays, anywhere on the timeline (they may overlap).
        peak: The largest absolute sample of the sum so far (before any limiting).
        had_audio: For each source, whether its file had an audio stream (once opened).
    """

    total: int
    sources: Sequence[Placed]
    peak: float = 0.0
    had_audio: dict[int, bool] = field(default_factory=dict)

    def blocks(self, size: int = BLOCK) -> Iterator[Samples]:
        """The mix in blocks of ``size`` samples (the last may be shorter), ``(2, n)`` each.

        A source's file is opened when the mix reaches its start and closed at its end.
        """
        order = sorted(range(len(self.sources)), key=lambda i: self.sources[i].start)
        waiting = list(reversed(order))  # pop() gives the next to start
        playing: dict[int, _Reader] = {}
        try:
            position = 0
            while position < self.total:
                count = min(size, self.total - position)
                stop = position + count
                while waiting and self.sources[waiting[-1]].start < stop:
                    index = waiting.pop()
                    source = self.sources[index]
                    if source.end <= position or source.start >= self.total:
                        continue
                    reader = _Reader(source.path, align_to_video=source.align_to_video)
                    self.had_audio[index] = reader.has_audio
                    if reader.has_audio:
                        playing[index] = reader
                    else:
                        reader.close()
                block = np.zeros((2, count), dtype=np.float32)
                for index in list(playing):
                    source = self.sources[index]
                    first = max(position, source.start)
                    last = int(min(stop, source.end))
                    if last > first:
                        block[:, first - position : last - position] += decibels(
                            source.level_db
                        ) * playing[index].read(last - first)
                    if source.end <= stop or playing[index].ended:
                        playing.pop(index).close()
                self.peak = max(self.peak, float(np.abs(block).max(initial=0.0)))
                yield block
                position = stop
        finally:
            for reader in playing.values():
                reader.close()


class Limiter:
    """FFmpeg's ``alimiter`` over the mix: peaks above :data:`LIMIT` are turned down smoothly,
    everything below passes unchanged, and as many samples come out as went in, in frames of
    :data:`BLOCK` (what the AAC encoder takes).

    Example:
        ```python
        limiter = Limiter()
        frames = [*limiter.push(block), *limiter.flush()]
        ```
    """

    def __init__(self) -> None:
        graph = av.filter.Graph()
        source = graph.add_abuffer(
            sample_rate=SAMPLE_RATE, format="fltp", layout="stereo",
            time_base=Fraction(1, SAMPLE_RATE),
        )  # fmt: skip
        # level=0: no automatic make-up gain (it would raise quiet mixes); latency=1: the
        # look-ahead's delay is taken back, so a voice starts where it was placed.
        limiter = graph.add(
            "alimiter", limit=f"{LIMIT:.6f}", level="0", latency="1", attack="5", release="50"
        )
        planar = graph.add(
            "aformat", sample_fmts="fltp", channel_layouts="stereo", sample_rates=str(SAMPLE_RATE)
        )
        graph.link_nodes(source, limiter, planar, graph.add("abuffersink")).configure()
        graph.set_audio_frame_size(BLOCK)
        self._graph = graph
        self._pushed = 0

    def _pull(self) -> list[AudioFrame]:
        frames: list[AudioFrame] = []
        while True:
            try:
                frame = self._graph.pull()
            except (av.error.BlockingIOError, av.error.EOFError):
                return frames
            assert isinstance(frame, AudioFrame)
            frames.append(frame)

    def push(self, block: Samples) -> list[AudioFrame]:
        """Limit ``block``; the frames ready so far (the look-ahead holds a few ms back)."""
        frame = AudioFrame.from_ndarray(np.ascontiguousarray(block), format="fltp", layout="stereo")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._pushed
        self._pushed += block.shape[1]
        self._graph.push(frame)
        return self._pull()

    def flush(self) -> list[AudioFrame]:
        """The frames held back, once the input has ended."""
        self._graph.push(None)
        return self._pull()
