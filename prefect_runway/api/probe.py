"""What a media file really holds, checked by content before Runway is paid to find out.

Runway charges for a task whose input turns out not to be media (it fails ``ASSET.INVALID``, and
its docs promise no refund), so every input this package reads is probed first:

1. **Type by content**, never by name: the first bytes say JPEG, PNG, WebP (the images Runway
   takes), MP4, MOV, WebM or Ogg (its videos), or something else (GIF, BMP, HEIC, MKV, text...),
   which is refused with what it is.
2. **The field's kind**: an image field takes an image, a video field (an Act-Two reference, a
   character of ``type`` video) takes a video, an audio field (``audioUri``, ``referenceAudio``)
   takes MP3, WAV, M4A (AAC in MP4), raw AAC (ADTS) or FLAC.
3. **Image headers** are read by hand (PNG's IHDR, JPEG's SOF marker, WebP's VP8/VP8L/VP8X
   chunk), not decoded: the stack's only decoder, PyAV, decodes the whole picture just to report
   its size (a 420 KB PNG claiming 12000x12000 pixels costs 460 MB and 4 s in ``av.open``), so
   a header that claims more than :data:`MAX_SIDE` pixels a side is refused before any pixel is
   touched. The header also says whether the file is whole: a PNG must reach its IEND chunk, a
   JPEG its end-of-image marker, a WebP its RIFF size.
4. **A decode** with PyAV, capped at :data:`MAX_SIDE` squared pixels (ffmpeg's ``max_pixels``),
   proves the picture, or the video's first frame, is readable; a video's duration comes with it.
   Audio is decoded up to its first frame, and its duration read from the container.

Limits: Runway documents no pixel limits for gen4/Veo/Act-Two inputs (runway-api.md §6, §15,
UNCONFIRMED); the only input maximum its spec states is 8000 px a side (``image_upscale``), so
that is the cap here, for images and video frames alike. The aspect-ratio windows quoted for
gen4_turbo and Act-Two come from a third party only; they are not enforced (Runway crops to the
requested ratio).

Example:
    >>> from prefect_runway.api.media import MediaKind
    >>> sniff(b"GIF89a\\x01\\x00\\x01\\x00")
    'image/gif'
    >>> try:
    ...     probe_bytes(b"hello, this is text", MediaKind.IMAGE)
    ... except MediaRejected as refusal:
    ...     print(refusal)
    the content is not an image or video Runway takes (its first bytes are those of no JPEG, PNG, \
WebP, MP4, MOV, WebM or Ogg file)
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

import av

from prefect_runway.api.media import (
    AUDIO_MEDIA_TYPES,
    IMAGE_MEDIA_TYPES,
    VIDEO_MEDIA_TYPES,
    MediaKind,
)

__all__ = [
    "EXTENSIONS",
    "HEADER_BYTES",
    "MAX_SIDE",
    "MediaFacts",
    "MediaRejected",
    "ReadAt",
    "canonical_media_type",
    "probe_bytes",
    "probe_file",
    "probe_head",
    "same_media_type",
    "sniff",
]

MAX_SIDE = 8000
"""The most pixels a side of an input image or video frame may have (see the module's notes)."""

HEADER_BYTES = 256 * 1024
"""What a remote object's header read fetches at first (a JPEG's SOF may follow large EXIF)."""

# Runway's image and video types, and what they are called for people.
_NAMES = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WebP",
    "video/mp4": "MP4",
    "video/quicktime": "MOV",
    "video/webm": "WebM",
    "video/ogg": "Ogg",
    "audio/mpeg": "MP3",
    "audio/wav": "WAV",
    "audio/mp4": "M4A",
    "audio/aac": "AAC",
    "audio/flac": "FLAC",
}
# Types we recognise only to say what a refused file is.
_OTHER_NAMES = {
    "image/gif": "a GIF image",
    "image/bmp": "a BMP image",
    "image/tiff": "a TIFF image",
    "image/heic": "a HEIC image",
    "image/avif": "an AVIF image",
    "image/svg+xml": "an SVG document",
    "video/x-matroska": "a Matroska (MKV) video",
    "video/x-msvideo": "an AVI video",
    "audio/mpeg": "an MP3 audio file",
    "audio/wav": "a WAV audio file",
    "audio/mp4": "an M4A audio file",
    "audio/aac": "an AAC audio file",
    "audio/flac": "a FLAC audio file",
    "application/pdf": "a PDF document",
    "application/zip": "a ZIP archive",
}

EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "video/ogg": ".ogv",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
    "audio/mp4": ".m4a",
    "audio/aac": ".aac",
    "audio/flac": ".flac",
}
"""The file extension that names each accepted type (upload file names follow the content)."""

_ALIASES = {
    "image/jpg": "image/jpeg",
    "video/mov": "video/quicktime",
    "audio/mp3": "audio/mpeg",
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
    "audio/vnd.wave": "audio/wav",
    "audio/x-m4a": "audio/mp4",
    "audio/m4a": "audio/mp4",
    "audio/x-flac": "audio/flac",
}
_ISO_BMFF = {"video/mp4", "video/quicktime"}
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P "}

_SNIFF_BYTES = 1024

ReadAt = Callable[[int, int], bytes]
"""``read_at(offset, size)``: up to ``size`` bytes of the content from ``offset``."""


class MediaRejected(ValueError):
    """The content is not media Runway takes for the field; the message says what it is."""


@dataclass(frozen=True)
class MediaFacts:
    """What an input holds.

    Attributes:
        media_type: Its type by content, e.g. ``image/png`` (one Runway accepts).
        width: Pixels across (a video's frame), when read.
        height: Pixels down, when read.
        seconds: A video's or a sound's duration, when read.
        complete: Whether the whole content was checked (a header read checks only the start).
    """

    media_type: str
    width: int | None = None
    height: int | None = None
    seconds: float | None = None
    complete: bool = False

    @property
    def name(self) -> str:
        """The type as people call it (``PNG``, ``MP4``...)."""
        return _NAMES.get(self.media_type, self.media_type)

    @property
    def extension(self) -> str:
        """The file extension for this type, e.g. ``.png``."""
        return EXTENSIONS[self.media_type]


def canonical_media_type(media_type: str) -> str:
    """``image/jpg`` and ``video/mov`` under their registered names."""
    lowered = media_type.lower()
    return _ALIASES.get(lowered, lowered)


def same_media_type(declared: str, found: str) -> bool:
    """Whether a declared type names the content found (MP4 and MOV are one family).

    Example:
        >>> same_media_type("image/jpg", "image/jpeg"), same_media_type("image/png", "image/gif")
        (True, False)
    """
    declared, found = canonical_media_type(declared), canonical_media_type(found)
    return declared == found or {declared, found} <= _ISO_BMFF


def sniff(head: bytes) -> str | None:
    """The media type the first bytes announce (accepted or not), or None when unknown.

    Example:
        >>> sniff(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(8))
        'image/png'
    """
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and len(head) >= 12:
        return {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}.get(
            head[8:12]
        )
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"BM") and len(head) >= 14:
        return "image/bmp"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIF_BRANDS:
            return "image/heic"
        if brand in _AVIF_BRANDS:
            return "image/avif"
        if brand in _AUDIO_BRANDS:
            return "audio/mp4"
        return "video/quicktime" if brand == b"qt  " else "video/mp4"
    if len(head) >= 8 and head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "video/quicktime"  # old QuickTime files start with an atom other than ftyp
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        # EBML: the DocType element (0x4282) says webm or matroska.
        return "video/webm" if b"webm" in head[:64] else "video/x-matroska"
    if head.startswith(b"OggS"):
        return "video/ogg"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "audio/aac"  # an ADTS frame: 12 sync bits, then layer 00 (MPEG audio's is not)
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if head.startswith(b"%PDF"):
        return "application/pdf"
    if head.startswith(b"PK\x03\x04"):
        return "application/zip"
    if head.lstrip()[:5].lower() in (b"<?xml", b"<svg ") and b"<svg" in head[:1024].lower():
        return "image/svg+xml"
    return None


def _kind_of(media_type: str) -> MediaKind | None:
    if media_type in IMAGE_MEDIA_TYPES:
        return MediaKind.IMAGE
    if media_type in VIDEO_MEDIA_TYPES:
        return MediaKind.VIDEO
    if media_type in AUDIO_MEDIA_TYPES:
        return MediaKind.AUDIO
    return None


def _accepted(head: bytes, kind: MediaKind) -> str:
    """The content's type, if Runway takes it in a field of ``kind``.

    Raises:
        MediaRejected: naming what the content is and what the field takes.
    """
    found = sniff(head)
    takes = _takes(kind)
    if found is None:
        raise MediaRejected(
            f"the content is not {_WHAT_RUNWAY_TAKES[kind]} Runway takes (its first bytes are "
            f"those of no {_FILES[kind]} file)"
        )
    found_kind = _kind_of(found)
    if found_kind is None:
        raise MediaRejected(f"the content is {_OTHER_NAMES[found]}; this field takes {takes}")
    if found_kind is MediaKind.AUDIO and kind is not MediaKind.AUDIO:
        raise MediaRejected(f"the content is {_OTHER_NAMES[found]}; this field takes {takes}")
    if found_kind is not kind:
        article = "a" if found_kind is MediaKind.VIDEO else "an"
        raise MediaRejected(
            f"the content is {article} {found_kind.value} ({_NAMES[found]}); this field takes "
            f"{takes}"
        )
    return found


# What a field of each kind takes, for refusals. Image and video fields keep the wording they
# had before audio fields existed.
_WHAT_RUNWAY_TAKES = {
    MediaKind.IMAGE: "an image or video",
    MediaKind.VIDEO: "an image or video",
    MediaKind.AUDIO: "audio",
}
_FILES = {
    MediaKind.IMAGE: "JPEG, PNG, WebP, MP4, MOV, WebM or Ogg",
    MediaKind.VIDEO: "JPEG, PNG, WebP, MP4, MOV, WebM or Ogg",
    MediaKind.AUDIO: "MP3, WAV, M4A, AAC or FLAC",
}


def _takes(kind: MediaKind) -> str:
    if kind is MediaKind.IMAGE:
        return "a JPEG, PNG or WebP image"
    if kind is MediaKind.AUDIO:
        return "an MP3, WAV, M4A, AAC or FLAC audio file"
    return "an MP4, MOV, WebM or Ogg video"


def _check_size(width: int, height: int, what: str) -> None:
    if width < 1 or height < 1:
        raise MediaRejected(f"the {what} header claims {width}x{height} pixels; it is damaged")
    if width > MAX_SIDE or height > MAX_SIDE:
        raise MediaRejected(
            f"the {what} is {width}x{height} pixels; Runway inputs may be at most "
            f"{MAX_SIDE} pixels on a side (scale it down)"
        )


# -- image headers ----------------------------------------------------------------------------


def _png(read_at: ReadAt, size: int | None) -> tuple[int, int, bool]:
    """PNG: IHDR's size (its CRC checked) and, when the size is known, that IEND is reached."""
    head = read_at(0, 33)
    if len(head) < 33 or head[12:16] != b"IHDR" or struct.unpack(">I", head[8:12])[0] != 13:
        raise MediaRejected("the PNG is truncated or damaged: it has no complete IHDR header")
    if zlib.crc32(head[12:29]) != struct.unpack(">I", head[29:33])[0]:
        raise MediaRejected("the PNG is damaged: its IHDR header fails its checksum")
    width, height = struct.unpack(">II", head[16:24])
    _check_size(width, height, "PNG")
    if size is None:
        return width, height, False
    # Walk the chunks by their lengths (8 bytes read per chunk): the file must reach IEND.
    offset, seen_data = 33, False
    while True:
        if offset + 12 > size:
            raise MediaRejected(
                f"the PNG is truncated: it ends at byte {size} before its IEND chunk"
            )
        length, kind = struct.unpack(">I4s", read_at(offset, 8))
        if length > 0x7FFFFFFF:
            raise MediaRejected(f"the PNG is damaged: a chunk at byte {offset} claims {length} B")
        seen_data = seen_data or kind == b"IDAT"
        offset += 12 + length
        if kind == b"IEND":
            break
    if offset > size:
        raise MediaRejected(f"the PNG is truncated: it ends at byte {size} inside its IEND chunk")
    if not seen_data:
        raise MediaRejected("the PNG is damaged: it has no image data (IDAT chunk)")
    return width, height, True


# JPEG markers that start a frame (SOF0-SOF15 but DHT C4, JPG C8, DAC CC), and those without a
# length field (TEM, RST0-7, SOI, EOI).
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_JPEG_NO_LENGTH = {0x01, *range(0xD0, 0xDA)}
_SCAN_BLOCK = 1 << 20


def _jpeg(read_at: ReadAt, size: int | None) -> tuple[int, int, bool]:
    """JPEG: the SOF marker's size and, when the size is known, an end-of-image marker."""
    offset = 2
    dimensions: tuple[int, int] | None = None
    for _ in range(10_000):  # markers before the image data; a real file has a few dozen
        marker = read_at(offset, 4)
        if len(marker) < 2:
            break
        if marker[0] != 0xFF:
            raise MediaRejected(f"the JPEG is damaged: no marker at byte {offset}")
        code = marker[1]
        if code == 0xFF:  # fill byte
            offset += 1
            continue
        if code in _JPEG_NO_LENGTH:
            offset += 2
            continue
        if len(marker) < 4:
            break
        length = struct.unpack(">H", marker[2:4])[0]
        if length < 2:
            raise MediaRejected(f"the JPEG is damaged: a segment at byte {offset} is {length} B")
        if code in _JPEG_SOF:
            frame = read_at(offset + 4, 5)
            if len(frame) < 5:
                break
            height, width = struct.unpack(">HH", frame[1:5])
            dimensions = (width, height)
            _check_size(width, height, "JPEG")
        offset += 2 + length
        if code == 0xDA:  # start of scan: entropy-coded data follows
            if dimensions is None:
                raise MediaRejected("the JPEG is damaged: its image data comes before its size")
            if size is None:
                return dimensions[0], dimensions[1], False
            return dimensions[0], dimensions[1], _jpeg_has_end(read_at, offset, size)
    if dimensions is not None and size is None:
        return dimensions[0], dimensions[1], False
    raise MediaRejected("the JPEG is truncated or damaged: it has no complete header and image")


def _jpeg_has_end(read_at: ReadAt, offset: int, size: int) -> bool:
    # Entropy-coded data escapes 0xFF as FF 00 and only RSTn markers (FFD0-FFD7) interrupt it,
    # so the first FF D9 after the scan starts is the end of image.
    previous = b""
    while offset < size:
        block = read_at(offset, _SCAN_BLOCK)
        if not block:
            break
        if b"\xff\xd9" in previous[-1:] + block:
            return True
        previous, offset = block, offset + len(block)
    raise MediaRejected(
        f"the JPEG is truncated: it ends at byte {size} with no end-of-image marker"
    )


def _webp(read_at: ReadAt, size: int | None) -> tuple[int, int, bool]:
    """WebP: the VP8/VP8L/VP8X chunk's size and, when the size is known, the whole RIFF."""
    head = read_at(0, 30)
    if len(head) < 30:
        raise MediaRejected("the WebP is truncated: it has no complete header")
    riff_size = struct.unpack("<I", head[4:8])[0]
    chunk = head[12:16]
    if chunk == b"VP8 ":
        if head[23:26] != b"\x9d\x01\x2a":
            raise MediaRejected("the WebP is damaged: its VP8 frame has no start code")
        width = struct.unpack("<H", head[26:28])[0] & 0x3FFF
        height = struct.unpack("<H", head[28:30])[0] & 0x3FFF
    elif chunk == b"VP8L":
        if head[20] != 0x2F:
            raise MediaRejected("the WebP is damaged: its VP8L image has no signature")
        bits = struct.unpack("<I", head[21:25])[0]
        width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    elif chunk == b"VP8X":
        width = int.from_bytes(head[24:27], "little") + 1
        height = int.from_bytes(head[27:30], "little") + 1
    else:
        raise MediaRejected(f"the WebP is damaged: unknown first chunk {chunk!r}")
    _check_size(width, height, "WebP")
    if size is None:
        return width, height, False
    if riff_size + 8 > size:
        raise MediaRejected(
            f"the WebP is truncated: its header says {riff_size + 8} bytes, the file has {size}"
        )
    return width, height, True


_IMAGE_HEADERS = {"image/png": _png, "image/jpeg": _jpeg, "image/webp": _webp}


# -- decoding ---------------------------------------------------------------------------------


def _decode(source: BinaryIO, media_type: str) -> tuple[int, int, float | None]:
    """Decode the first picture with PyAV (capped at MAX_SIDE squared pixels); its size and,
    for a video, its duration.

    Raises:
        MediaRejected: PyAV cannot read a picture from it.
    """
    cap = {"max_pixels": str(MAX_SIDE * MAX_SIDE)}
    source.seek(0)
    try:
        with av.open(source, mode="r", options=cap) as container:
            if not container.streams.video:
                raise MediaRejected(f"the {_NAMES[media_type]} file holds no picture")
            stream = container.streams.video[0]
            seconds: float | None = None
            if media_type in VIDEO_MEDIA_TYPES:
                if container.duration is not None:
                    seconds = float(container.duration) / 1_000_000
                elif stream.duration is not None and stream.time_base is not None:
                    seconds = float(stream.duration * stream.time_base)
            for frame in container.decode(stream):
                return frame.width, frame.height, seconds
    except MediaRejected:
        raise
    except (av.FFmpegError, ValueError, IndexError, OSError) as error:
        raise MediaRejected(
            f"the {_NAMES[media_type]} cannot be decoded ({type(error).__name__}); it is "
            "damaged, truncated or not what it claims to be"
        ) from None
    raise MediaRejected(f"the {_NAMES[media_type]} file holds no picture PyAV can decode")


def _decode_audio(source: BinaryIO, media_type: str) -> float | None:
    """Decode the first audio frame with PyAV; the duration, when the container says it.

    Raises:
        MediaRejected: PyAV cannot read a sound from it.
    """
    source.seek(0)
    try:
        with av.open(source, mode="r") as container:
            if not container.streams.audio:
                raise MediaRejected(f"the {_NAMES[media_type]} file holds no sound")
            stream = container.streams.audio[0]
            seconds: float | None = None
            if container.duration is not None:
                seconds = float(container.duration) / 1_000_000
            elif stream.duration is not None and stream.time_base is not None:
                seconds = float(stream.duration * stream.time_base)
            for _frame in container.decode(stream):
                return seconds
    except MediaRejected:
        raise
    except (av.FFmpegError, ValueError, IndexError, OSError) as error:
        raise MediaRejected(
            f"the {_NAMES[media_type]} cannot be decoded ({type(error).__name__}); it is "
            "damaged, truncated or not what it claims to be"
        ) from None
    raise MediaRejected(f"the {_NAMES[media_type]} file holds no sound PyAV can decode")


# -- entry points -----------------------------------------------------------------------------


def probe_head(read_at: ReadAt, kind: MediaKind) -> MediaFacts:
    """Type and, for an image, size from the start of the content only (a remote object).

    Args:
        read_at: Reads the content (each call may be a ranged GET: a header read makes a few).
        kind: What the field takes.

    Raises:
        MediaRejected: the content is not what the field takes, or its header is out of limits.
    """
    first = read_at(0, HEADER_BYTES)
    media_type = _accepted(first[:_SNIFF_BYTES], kind)
    if media_type in _IMAGE_HEADERS:
        width, height, _ = _IMAGE_HEADERS[media_type](_header_reader(first, read_at), None)
        return MediaFacts(media_type, width, height)
    return MediaFacts(media_type)


def _header_reader(first: bytes, read_at: ReadAt) -> ReadAt:
    """Serve header reads from the first block, fetching beyond it only if a header runs on,
    and never past ``4 * HEADER_BYTES`` (each further read may be a request)."""

    def read(offset: int, size: int) -> bytes:
        if offset + size <= len(first) or len(first) < HEADER_BYTES:
            return first[offset : offset + size]
        if offset + size > 4 * HEADER_BYTES:
            raise MediaRejected(
                f"the image's header runs past its first {4 * HEADER_BYTES} bytes; store it "
                "with less metadata, or pass it as a local file"
            )
        return read_at(offset, size)

    return read


def probe_file(source: BinaryIO, size: int, kind: MediaKind) -> MediaFacts:
    """Check a whole local file: type by content, header, completeness, and a decode.

    Args:
        source: The file, opened for binary reading (seekable).
        size: Its size in bytes.
        kind: What the field takes.

    Raises:
        MediaRejected: naming what the content is, and what is wrong with it.
    """

    def read_at(offset: int, length: int) -> bytes:
        source.seek(offset)
        return source.read(length)

    media_type = _accepted(read_at(0, _SNIFF_BYTES), kind)
    if media_type in _IMAGE_HEADERS:
        # The header first: a decode of a header claiming a huge picture is never attempted.
        width, height, _ = _IMAGE_HEADERS[media_type](read_at, size)
        _decode(source, media_type)
        return MediaFacts(media_type, width, height, complete=True)
    if media_type in AUDIO_MEDIA_TYPES:
        return MediaFacts(media_type, seconds=_decode_audio(source, media_type), complete=True)
    width, height, seconds = _decode(source, media_type)
    _check_size(width, height, f"{_NAMES[media_type]} video's frame")
    return MediaFacts(media_type, width, height, seconds, complete=True)


def probe_bytes(data: bytes, kind: MediaKind) -> MediaFacts:
    """Check content held in memory (a data URI's payload), as :func:`probe_file` does.

    Example:
        >>> from prefect_runway.api.media import MediaKind
        >>> probe_bytes(b"GIF89a" + bytes(20), MediaKind.IMAGE)
        Traceback (most recent call last):
        ...
        prefect_runway.api.probe.MediaRejected: the content is a GIF image; this field takes a \
JPEG, PNG or WebP image
    """
    return probe_file(io.BytesIO(data), len(data), kind)
