"""Output media: real, playable H.264 MP4s made with PyAV, or large pseudo-random blobs.

An output video shows the task's input picture (the prompt image, Act-Two's character image or
the first frame of its character video) center-cropped to the requested ratio, with a slow
zoom and pan, and a crossfade to the last frame when one was given, so a person watching it
sees a video move. Nothing is drawn over the picture: every pixel, edges included, comes from
the input (an earlier progress bar along the bottom showed as a white line there). Inputs the
emulator cannot read (https URLs: it never fetches the internet) get a generated gradient with
the model's name.

Encodes are pure functions of (input content, size, frames, fps, model) and are cached, so a
thousand identical tasks encode once. Decoding and encoding run in worker threads.

A video of a model that makes sound (Veo, Seedance, or any model asked for ``audio: true``)
carries a soundtrack as Runway's do: a stereo tone (pitch from the task's inputs) as long as the
picture, AAC in an MP4 and PCM in a QuickTime movie, so a cut can be checked for each clip's
sound.

The catalogue's other outputs are real files too: PNG, JPEG and WebP images (the input picture,
or a generated one, at the requested size), an SVG for vector models, ProRes QuickTime movies,
zips of PNG frames, and WAV, MP3, FLAC or Ogg Opus audio (a tone whose pitch follows the inputs).

With ``EmulatorConfig.output_bytes`` set, outputs are instead :class:`PseudoRandomBlob` s:
deterministic bytes of exactly that size, produced chunk by chunk (any byte range can be made
without the bytes before it), so a 1 GiB download costs constant memory.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import math
import zipfile
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar, cast

import av
import numpy as np
import numpy.typing as npt
from av.audio.stream import AudioStream
from av.video.codeccontext import VideoCodecContext
from av.video.stream import VideoStream

__all__ = [
    "AUDIO_FORMATS",
    "BLOB_CHUNK",
    "SOUNDTRACK_RATE",
    "AsyncCache",
    "MediaError",
    "PseudoRandomBlob",
    "RenderedVideo",
    "VideoProbe",
    "decode_picture",
    "generated_picture",
    "probe_audio",
    "probe_video",
    "ratio_size",
    "render_audio",
    "render_frames_zip",
    "render_image",
    "render_mov",
    "render_mp4",
    "render_svg",
    "tone_pitch",
]

Picture = npt.NDArray[np.uint8]
T = TypeVar("T")

#: Pictures kept from inputs are scaled down to at most this many pixels per side: the output
#: is small, and 1000 cached inputs must not hold 1000 full-size images.
MAX_PICTURE_SIDE = 1024
#: Chunk size of pseudo-random blobs (also the unit of their seeding).
BLOB_CHUNK = 1 << 20


class MediaError(Exception):
    """An input could not be decoded as the media it claims to be."""


def ratio_size(ratio: str, frame_width: int) -> tuple[int, int]:
    """Return the output ``(width, height)`` for a ``"W:H"`` ratio at ``frame_width``.

    Both are even (yuv420p needs it) and at least 2.
    """
    ratio_w, ratio_h = (int(part) for part in ratio.split(":"))
    height = round(frame_width * ratio_h / ratio_w / 2) * 2
    return frame_width, max(2, height)


def _fit(picture: Picture, max_side: int) -> Picture:
    height, width = picture.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1:
        return picture
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), format="rgb24")
    resized = frame.reformat(
        width=max(2, int(width * scale)), height=max(2, int(height * scale)), format="rgb24"
    )
    out: Picture = np.asarray(resized.to_ndarray(), dtype=np.uint8)
    return out


def _open(source: bytes | Path) -> Any:
    return av.open(io.BytesIO(source) if isinstance(source, bytes) else str(source), mode="r")


def decode_picture(source: bytes | Path) -> Picture:
    """Decode the first frame of an image (or video) into an RGB array.

    Raises:
        MediaError: The data is not a picture PyAV can read.
    """
    try:
        with _open(source) as container:
            if not container.streams.video:
                raise MediaError("no picture in the input")
            for frame in container.decode(video=0):
                return _fit(frame.to_ndarray(format="rgb24"), MAX_PICTURE_SIDE)
    except (av.FFmpegError, ValueError, IndexError, StopIteration) as error:
        raise MediaError(f"unreadable picture: {error}") from None
    raise MediaError("the input has no frames")


@dataclass(frozen=True)
class VideoProbe:
    """What the emulator learns from an input video: its duration and first frame."""

    duration: float | None
    first_frame: Picture | None


def probe_video(source: bytes | Path) -> VideoProbe:
    """Read a video's duration and first frame.

    Raises:
        MediaError: The data is not a video PyAV can read.
    """
    try:
        with _open(source) as container:
            if not container.streams.video:
                raise MediaError("no video stream in the input")
            stream = container.streams.video[0]
            duration: float | None = None
            if container.duration is not None:
                duration = float(container.duration) / 1_000_000
            elif stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            first: Picture | None = None
            for frame in container.decode(stream):
                first = _fit(frame.to_ndarray(format="rgb24"), MAX_PICTURE_SIDE)
                break
    except (av.FFmpegError, ValueError, IndexError) as error:
        raise MediaError(f"unreadable video: {error}") from None
    if first is None:
        raise MediaError("the video has no frames")
    return VideoProbe(duration, first)


# A 3x5 pixel font: enough to write model names on generated pictures without Pillow.
_GLYPHS: dict[str, tuple[str, ...]] = {
    "0": ("###", "#.#", "#.#", "#.#", "###"),
    "1": (".#.", "##.", ".#.", ".#.", "###"),
    "2": ("###", "..#", "###", "#..", "###"),
    "3": ("###", "..#", ".##", "..#", "###"),
    "4": ("#.#", "#.#", "###", "..#", "..#"),
    "5": ("###", "#..", "###", "..#", "###"),
    "6": ("###", "#..", "###", "#.#", "###"),
    "7": ("###", "..#", ".#.", ".#.", ".#."),
    "8": ("###", "#.#", "###", "#.#", "###"),
    "9": ("###", "#.#", "###", "..#", "###"),
    "A": (".#.", "#.#", "###", "#.#", "#.#"),
    "B": ("##.", "#.#", "##.", "#.#", "##."),
    "C": (".##", "#..", "#..", "#..", ".##"),
    "D": ("##.", "#.#", "#.#", "#.#", "##."),
    "E": ("###", "#..", "##.", "#..", "###"),
    "F": ("###", "#..", "##.", "#..", "#.."),
    "G": (".##", "#..", "#.#", "#.#", ".##"),
    "H": ("#.#", "#.#", "###", "#.#", "#.#"),
    "I": ("###", ".#.", ".#.", ".#.", "###"),
    "J": ("..#", "..#", "..#", "#.#", ".#."),
    "K": ("#.#", "#.#", "##.", "#.#", "#.#"),
    "L": ("#..", "#..", "#..", "#..", "###"),
    "M": ("#.#", "###", "###", "#.#", "#.#"),
    "N": ("##.", "#.#", "#.#", "#.#", "#.#"),
    "O": (".#.", "#.#", "#.#", "#.#", ".#."),
    "P": ("##.", "#.#", "##.", "#..", "#.."),
    "Q": (".#.", "#.#", "#.#", "##.", ".##"),
    "R": ("##.", "#.#", "##.", "#.#", "#.#"),
    "S": (".##", "#..", ".#.", "..#", "##."),
    "T": ("###", ".#.", ".#.", ".#.", ".#."),
    "U": ("#.#", "#.#", "#.#", "#.#", "###"),
    "V": ("#.#", "#.#", "#.#", "#.#", ".#."),
    "W": ("#.#", "#.#", "###", "###", "#.#"),
    "X": ("#.#", "#.#", ".#.", "#.#", "#.#"),
    "Y": ("#.#", "#.#", ".#.", ".#.", ".#."),
    "Z": ("###", "..#", ".#.", "#..", "###"),
    ".": ("...", "...", "...", "...", ".#."),
    "_": ("...", "...", "...", "...", "###"),
    "-": ("...", "...", "###", "...", "..."),
    ":": ("...", ".#.", "...", ".#.", "..."),
    " ": ("...", "...", "...", "...", "..."),
}


def _draw_text(picture: Picture, text: str) -> None:
    """Write ``text`` in white, centred, as large as fits in half the picture's width."""
    text = "".join(ch if ch in _GLYPHS else " " for ch in text.upper())
    if not text:
        return
    height, width = picture.shape[:2]
    columns = len(text) * 4 - 1
    scale = max(1, min(width // 2 // columns, height // 4 // 5))
    top = (height - 5 * scale) // 2
    left = (width - columns * scale) // 2
    for index, char in enumerate(text):
        for row, line in enumerate(_GLYPHS[char]):
            for col, cell in enumerate(line):
                if cell == "#":
                    y = top + row * scale
                    x = left + (index * 4 + col) * scale
                    picture[max(0, y) : y + scale, max(0, x) : x + scale] = 255


def generated_picture(label: str, seed: str, width: int, height: int) -> Picture:
    """A diagonal two-colour gradient (colours from ``seed``) with ``label`` written on it."""
    digest = hashlib.sha256(seed.encode()).digest()
    start = np.array(list(digest[0:3]), dtype=np.float32)
    end = np.array(list(digest[3:6]), dtype=np.float32)
    ys = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    xs = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    mix = ((xs + ys) / 2.0)[:, :, None]
    # Darken so white text always reads.
    picture = ((start * (1 - mix) + end * mix) * 0.6).astype(np.uint8)
    _draw_text(picture, label)
    return picture


def _crop_to_aspect(picture: Picture, width: int, height: int) -> Picture:
    """Center-crop to the output's aspect, as Runway auto-crops inputs."""
    src_h, src_w = picture.shape[:2]
    target = width / height
    if src_w / src_h > target:
        new_w = max(2, round(src_h * target))
        left = (src_w - new_w) // 2
        return picture[:, left : left + new_w]
    new_h = max(2, round(src_w / target))
    top = (src_h - new_h) // 2
    return picture[top : top + new_h, :]


def _resize(picture: Picture, width: int, height: int) -> Picture:
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), format="rgb24")
    resized = frame.reformat(width=width, height=height, format="rgb24")
    out: Picture = np.asarray(resized.to_ndarray(), dtype=np.uint8)
    return out


@dataclass(frozen=True)
class RenderedVideo:
    """An encoded output and what the emulator reports about it."""

    data: bytes
    sha256: str
    content_type: str = "video/mp4"

    @property
    def size(self) -> int:
        return len(self.data)


def _moving_frames(
    first: Picture, last: Picture | None, *, width: int, height: int, frames: int
) -> Iterator[Picture]:
    """The frames of an output: a slow zoom and pan over ``first``, crossfading into ``last``."""
    # Work on a canvas 25 % larger than the output so the zoom and pan have room.
    canvas_w, canvas_h = math.ceil(width * 1.25), math.ceil(height * 1.25)
    start = _resize(_crop_to_aspect(first, width, height), canvas_w, canvas_h)
    end = (
        None if last is None else _resize(_crop_to_aspect(last, width, height), canvas_w, canvas_h)
    )
    for index in range(frames):
        t = index / max(1, frames - 1)
        zoom = 1.0 + 0.2 * t
        crop_w = min(canvas_w, max(2, round(canvas_w / zoom)))
        crop_h = min(canvas_h, max(2, round(canvas_h / zoom)))
        left = round((canvas_w - crop_w) * (0.2 + 0.6 * t))
        top = (canvas_h - crop_h) // 2
        window = (slice(top, top + crop_h), slice(left, left + crop_w))
        crop = start[window]
        if end is not None:
            crop = (crop * (1 - t) + end[window] * t).astype(np.uint8)
        yield _resize(crop, width, height)


#: Sample rate of a video's soundtrack (Veo delivers 48 kHz).
SOUNDTRACK_RATE = 48_000
#: Amplitude of the generated tones (about -10 dBFS: audible, with headroom).
TONE_AMPLITUDE = 0.3
_FADE_SECONDS = 0.05


def tone_pitch(seed: str) -> float:
    """The pitch in Hz (220-659) of the tone made for ``seed``."""
    return 220.0 + int(hashlib.sha256(seed.encode()).hexdigest()[:4], 16) % 440


def _tone(pitch: float, start: int, count: int, total: int, rate: int) -> npt.NDArray[np.float64]:
    """Samples ``[start, start + count)`` of a ``total``-sample tone fading in and out."""
    t = np.arange(start, start + count, dtype=np.float64) / rate
    end = (total - 1) / rate
    envelope = np.minimum(1.0, np.minimum(t, end - t + 1 / rate) / _FADE_SECONDS)
    wave: npt.NDArray[np.float64] = TONE_AMPLITUDE * envelope * np.sin(2 * np.pi * pitch * t)
    return wave


class _Soundtrack:
    """A video's soundtrack, encoded in step with its frames so the two streams interleave."""

    def __init__(self, container: Any, codec: str, seed: str, total: int) -> None:
        self.stream = cast(AudioStream, container.add_stream(codec, rate=SOUNDTRACK_RATE))
        self.stream.codec_context.layout = "stereo"
        self.format = self.stream.codec_context.format.name
        # PCM takes any frame size; AAC exactly its own.
        self.size = self.stream.codec_context.frame_size or 1024
        self.pitch = tone_pitch(seed)
        self.total = total
        self.written = 0

    def encode_until(self, sample: int) -> list[Any]:
        """Packets of the samples up to ``sample`` (whole frames; the last one at the end)."""
        packets: list[Any] = []
        limit = min(sample, self.total)
        while self.written < limit and (self.written + self.size <= limit or limit == self.total):
            count = min(self.size, self.total - self.written)
            wave = _tone(self.pitch, self.written, count, self.total, SOUNDTRACK_RATE)
            stereo = np.stack([wave, wave])
            if self.format.startswith("s16"):
                packed = (stereo.T.reshape(1, -1) * 32767).astype(np.int16)
                frame = av.AudioFrame.from_ndarray(packed, format=self.format, layout="stereo")
            else:
                frame = av.AudioFrame.from_ndarray(
                    stereo.astype(np.float32), format=self.format, layout="stereo"
                )
            frame.sample_rate = SOUNDTRACK_RATE
            frame.pts = self.written
            packets.extend(self.stream.encode(frame))
            self.written += count
        return packets

    def flush(self) -> list[Any]:
        return [*self.encode_until(self.total), *self.stream.encode(None)]


def _encode_movie(
    first: Picture,
    last: Picture | None,
    *,
    width: int,
    height: int,
    frames: int,
    fps: int,
    container_format: str,
    codec: str,
    pix_fmt: str,
    options: dict[str, object],
    content_type: str,
    sound: str | None = None,
    audio_codec: str = "aac",
) -> RenderedVideo:
    buffer = io.BytesIO()
    # No "+faststart": it reopens the output by name, which an in-memory buffer has not.
    with av.open(buffer, mode="w", format=container_format) as container:
        stream = cast(VideoStream, container.add_stream(codec, rate=fps))
        stream.width = width
        stream.height = height
        stream.pix_fmt = pix_fmt
        stream.time_base = Fraction(1, fps)
        stream.options = options
        total = frames * SOUNDTRACK_RATE // fps
        soundtrack = None if sound is None else _Soundtrack(container, audio_codec, sound, total)
        for index, picture in enumerate(
            _moving_frames(first, last, width=width, height=height, frames=frames)
        ):
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
            if soundtrack is not None:
                container.mux(soundtrack.encode_until((index + 1) * SOUNDTRACK_RATE // fps))
        container.mux(stream.encode(None))
        if soundtrack is not None:
            container.mux(soundtrack.flush())
    data = buffer.getvalue()
    return RenderedVideo(data, hashlib.sha256(data).hexdigest(), content_type)


def render_mp4(
    first: Picture,
    last: Picture | None,
    *,
    width: int,
    height: int,
    frames: int,
    fps: int,
    sound: str | None = None,
) -> RenderedVideo:
    """Encode an H.264 (yuv420p) MP4 of ``frames`` frames moving over the input picture(s).

    Args:
        first: The picture the video starts from (RGB).
        last: A picture to crossfade into (veo3.1 last frame), or None.
        width: Output width (even).
        height: Output height (even).
        frames: Number of frames (duration * fps).
        fps: Frame rate.
        sound: With a seed, an AAC stereo soundtrack as long as the picture: a tone whose
            pitch follows the seed (:func:`tone_pitch`). None: no audio stream.
    """
    return _encode_movie(
        first,
        last,
        width=width,
        height=height,
        frames=frames,
        fps=fps,
        container_format="mp4",
        codec="libx264",
        pix_fmt="yuv420p",
        options={"preset": "veryfast", "crf": "28", "g": str(fps * 2)},
        content_type="video/mp4",
        sound=sound,
    )


def render_mov(
    first: Picture,
    last: Picture | None,
    *,
    width: int,
    height: int,
    frames: int,
    fps: int,
    sound: str | None = None,
) -> RenderedVideo:
    """The same movement as :func:`render_mp4`, as a ProRes 422 QuickTime movie (.mov), its
    soundtrack (with ``sound``) in 16-bit PCM."""
    return _encode_movie(
        first,
        last,
        width=width,
        height=height,
        frames=frames,
        fps=fps,
        container_format="mov",
        codec="prores_ks",
        pix_fmt="yuv422p10le",
        options={"profile": "0"},
        content_type="video/quicktime",
        sound=sound,
        audio_codec="pcm_s16le",
    )


def _still(picture: Picture, codec: str, pix_fmt: str) -> bytes:
    context = cast(VideoCodecContext, av.CodecContext.create(codec, "w"))
    height, width = picture.shape[:2]
    context.width = width
    context.height = height
    context.pix_fmt = pix_fmt
    context.time_base = Fraction(1, 1)
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), format="rgb24")
    packets = [*context.encode(frame.reformat(format=pix_fmt)), *context.encode(None)]
    return b"".join(bytes(packet) for packet in packets)


_STILLS = {
    "png": ("png", "rgb24", "image/png"),
    "jpeg": ("mjpeg", "yuvj420p", "image/jpeg"),
    "webp": ("libwebp", "yuv420p", "image/webp"),
}


def render_image(picture: Picture, *, width: int, height: int, fmt: str) -> RenderedVideo:
    """One still image (PNG, JPEG or WebP) of ``picture`` cropped and scaled to the size."""
    codec, pix_fmt, content_type = _STILLS[fmt]
    still = _resize(_crop_to_aspect(picture, width, height), width, height)
    data = _still(still, codec, pix_fmt)
    return RenderedVideo(data, hashlib.sha256(data).hexdigest(), content_type)


def render_svg(label: str, seed: str, *, width: int, height: int) -> RenderedVideo:
    """A small SVG drawing (vector models): a two-colour gradient and the model's name."""
    digest = hashlib.sha256(seed.encode()).hexdigest()
    start, end = f"#{digest[:6]}", f"#{digest[6:12]}"
    text = "".join(ch for ch in label if ch.isalnum() or ch in "._- ")
    data = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><defs><linearGradient id="g"><stop offset="0" '
        f'stop-color="{start}"/><stop offset="1" stop-color="{end}"/></linearGradient></defs>'
        f'<rect width="100%" height="100%" fill="url(#g)"/><text x="50%" y="50%" '
        f'text-anchor="middle" fill="white" font-family="sans-serif">{text}</text></svg>\n'
    ).encode()
    return RenderedVideo(data, hashlib.sha256(data).hexdigest(), "image/svg+xml")


def render_frames_zip(
    first: Picture, last: Picture | None, *, width: int, height: int, frames: int
) -> RenderedVideo:
    """A .zip of PNG frames (``frame.0001.png``...), as frame-sequence formats deliver."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for index, picture in enumerate(
            _moving_frames(first, last, width=width, height=height, frames=frames), start=1
        ):
            info = zipfile.ZipInfo(f"frame.{index:04d}.png", date_time=(2024, 11, 6, 0, 0, 0))
            archive.writestr(info, _still(picture, "png", "rgb24"))
    data = buffer.getvalue()
    return RenderedVideo(data, hashlib.sha256(data).hexdigest(), "application/zip")


AUDIO_FORMATS: dict[str, tuple[str, str, int, str]] = {
    "wav": ("wav", "pcm_s16le", 44_100, "audio/wav"),
    "mp3": ("mp3", "libmp3lame", 44_100, "audio/mpeg"),
    "flac": ("flac", "flac", 44_100, "audio/flac"),
    "ogg_opus": ("ogg", "libopus", 48_000, "audio/ogg"),
    "aac": ("ipod", "aac", 44_100, "audio/mp4"),
}
"""Audio outputs: format -> (container, codec, sample rate, Content-Type)."""


def render_audio(seconds: float, *, fmt: str, seed: str) -> RenderedVideo:
    """A mono tone of ``seconds`` (pitch from ``seed``), fading in and out, in ``fmt``."""
    container_format, codec, rate, content_type = AUDIO_FORMATS[fmt]
    samples = max(1, round(seconds * rate))
    wave = _tone(tone_pitch(seed), 0, samples, samples, rate)
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container_format) as container:
        stream = cast(AudioStream, container.add_stream(codec, rate=rate))
        context = stream.codec_context
        context.layout = "mono"
        sample_format = context.format.name
        size = context.frame_size or 1024
        for start in range(0, samples, size):
            chunk = wave[start : start + size]
            if sample_format.startswith("s16"):
                array: Any = (chunk * 32767).astype(np.int16)[None, :]
            elif sample_format.startswith("s32"):
                array = (chunk * 2_000_000_000).astype(np.int32)[None, :]
            else:
                array = chunk.astype(np.float32)[None, :]
            frame = av.AudioFrame.from_ndarray(array, format=sample_format, layout="mono")
            frame.sample_rate = rate
            frame.pts = start
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    data = buffer.getvalue()
    return RenderedVideo(data, hashlib.sha256(data).hexdigest(), content_type)


def probe_audio(source: bytes | Path) -> float | None:
    """An audio (or video) file's duration in seconds.

    Raises:
        MediaError: The data is not media PyAV can read.
    """
    try:
        with _open(source) as container:
            if not container.streams.audio and not container.streams.video:
                raise MediaError("no audio in the input")
            if container.duration is not None:
                return float(container.duration) / 1_000_000
            for stream in container.streams:
                if stream.duration is not None and stream.time_base is not None:
                    return float(stream.duration * stream.time_base)
    except (av.FFmpegError, ValueError, IndexError) as error:
        raise MediaError(f"unreadable audio: {error}") from None
    return None


class PseudoRandomBlob:
    """Deterministic pseudo-random bytes of a given size, made chunk by chunk.

    Chunk ``i`` is drawn from PCG64 seeded with ``(seed, i)``, so any range can be produced
    without the bytes before it and nothing larger than one chunk is held in memory.
    """

    content_type = "video/mp4"

    def __init__(self, size: int, seed: int = 0) -> None:
        self.size = size
        self.seed = seed

    def chunk(self, index: int) -> bytes:
        """Return chunk ``index`` (the last one may be shorter)."""
        length = min(BLOB_CHUNK, self.size - index * BLOB_CHUNK)
        generator = np.random.Generator(np.random.PCG64([self.seed, index]))
        return generator.bytes(length)

    def iter_range(self, start: int, end: int) -> Iterator[bytes]:
        """Yield the bytes ``[start, end)`` in pieces of at most one chunk."""
        position = start
        while position < end:
            index = position // BLOB_CHUNK
            offset = position - index * BLOB_CHUNK
            data = self.chunk(index)
            piece = data[offset : offset + (end - position)]
            yield piece
            position += len(piece)

    def compute_sha256(self) -> str:
        """Hash the whole blob by streaming it once (seconds for 1 GiB; run it in a thread)."""
        digest = hashlib.sha256()
        for piece in self.iter_range(0, self.size):
            digest.update(piece)
        return digest.hexdigest()


class AsyncCache:
    """A bounded LRU of results computed once in an executor, shared by concurrent callers.

    Used from one event loop only. A failed computation is not cached.
    """

    def __init__(self, executor: Executor, max_entries: int) -> None:
        self._executor = executor
        self._max = max_entries
        self._entries: OrderedDict[Any, asyncio.Future[Any]] = OrderedDict()

    def get_or_compute(self, key: Any, compute: Callable[[], T]) -> Awaitable[T]:
        """Return an awaitable of the cached value for ``key``, computing it if absent."""
        future = self._entries.get(key)
        if future is not None and not (
            future.done() and (future.cancelled() or future.exception() is not None)
        ):
            self._entries.move_to_end(key)
            return asyncio.shield(future)
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, compute)
        self._entries[key] = future
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
        return asyncio.shield(future)

    def clear(self) -> None:
        """Forget every entry (computations under way still finish)."""
        self._entries.clear()
