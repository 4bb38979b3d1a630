"""Media probed by content: real media pass, everything else is refused saying what it is.

The properties matter more than the examples: a PNG, JPEG or WebP cut short at *any* byte is
refused; no byte string makes the probe raise anything but ``MediaRejected``; a header claiming
a huge picture is refused without a pixel being decoded.
"""

from __future__ import annotations

import io
import resource
import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prefect_runway.api.media import MediaKind
from prefect_runway.api.probe import (
    MAX_SIDE,
    MediaRejected,
    probe_bytes,
    probe_file,
    probe_head,
    same_media_type,
    sniff,
)
from tests.media_samples import (
    gif_bytes,
    jpeg_bytes,
    mp4_bytes,
    png_bytes,
    png_header_claiming,
    webp_bytes,
)

IMAGE, VIDEO = MediaKind.IMAGE, MediaKind.VIDEO
PNG, JPEG, WEBP, MP4 = png_bytes(), jpeg_bytes(), webp_bytes(), mp4_bytes(3.5)


@pytest.mark.parametrize(
    ("content", "kind", "media_type", "size"),
    [
        (PNG, IMAGE, "image/png", (64, 36)),
        (JPEG, IMAGE, "image/jpeg", (64, 36)),
        (WEBP, IMAGE, "image/webp", (64, 36)),
        (MP4, VIDEO, "video/mp4", (32, 32)),
    ],
)
def test_real_media_pass_with_their_type_and_size(
    content: bytes, kind: MediaKind, media_type: str, size: tuple[int, int]
) -> None:
    facts = probe_bytes(content, kind)
    assert facts.media_type == media_type and (facts.width, facts.height) == size
    assert facts.complete
    if kind is VIDEO:
        assert facts.seconds is not None and 3.4 <= facts.seconds <= 3.6


@pytest.mark.parametrize(
    ("content", "kind", "says"),
    [
        (b"this is a text file, not a picture\n" * 20, IMAGE, "not an image or video"),
        (PNG[: len(PNG) // 2], IMAGE, "PNG is truncated"),
        (png_header_claiming(100_000, 100_000), IMAGE, "100000x100000 pixels"),
        (png_header_claiming(MAX_SIDE + 1, 10), IMAGE, f"at most {MAX_SIDE} pixels"),
        (png_header_claiming(0, 10), IMAGE, "damaged"),
        (gif_bytes(), IMAGE, "a GIF image"),
        (b"just words in a file named keeper.mp4\n" * 10, VIDEO, "not an image or video"),
        (MP4, IMAGE, "a video (MP4); this field takes a JPEG, PNG or WebP image"),
        (PNG, VIDEO, "an image (PNG); this field takes an MP4, MOV, WebM or Ogg video"),
        (JPEG[:-2], IMAGE, "JPEG is truncated"),
        (WEBP[:-4], IMAGE, "WebP is truncated"),
        (MP4[: len(MP4) // 2], VIDEO, "cannot be decoded"),
        (PNG[:8] + PNG[8:29] + b"\0\0\0\0" + PNG[33:], IMAGE, "fails its checksum"),
        (b"%PDF-1.7\n" + b"\0" * 100, IMAGE, "a PDF document"),
        (b"ID3\x04" + b"\0" * 100, VIDEO, "an MP3 audio file"),
        (b"\x1a\x45\xdf\xa3\x93\x42\x82\x88matroska" + b"\0" * 80, VIDEO, "Matroska"),
        (b"", IMAGE, "not an image or video"),
    ],
)
def test_refusals_say_what_the_content_is(content: bytes, kind: MediaKind, says: str) -> None:
    with pytest.raises(MediaRejected, match=says.replace("(", r"\(").replace(")", r"\)")):
        probe_bytes(content, kind)


def test_a_png_whose_image_data_is_garbage_is_refused_by_the_decode() -> None:
    # Chunks and checksums in order, but the deflated data is not what IHDR promises.
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 64, 36, 8, 2, 0, 0, 0)
    broken = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", b"not deflate data at all")
        + chunk(b"IEND", b"")
    )
    with pytest.raises(MediaRejected, match="cannot be decoded"):
        probe_bytes(broken, IMAGE)


def test_a_huge_claimed_picture_is_refused_before_any_pixel_is_decoded() -> None:
    # A real, valid 12000x12000 PNG: 420 KB of deflated zeros. Decoding it takes ~460 MB; the
    # header says it is over the limit, so the refusal comes without the decode.
    width = height = 12_000
    raw = zlib.compressobj(9)
    body = b"".join(raw.compress(b"\0" * (width * 3 + 1)) for _ in range(height)) + raw.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", body)
        + chunk(b"IEND", b"")
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(MediaRejected, match="12000x12000 pixels"):
        probe_bytes(bomb, IMAGE)
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 100 * 1024  # the 460 MB decode never happened


@pytest.mark.parametrize("content", [PNG, JPEG, WEBP], ids=["png", "jpeg", "webp"])
def test_an_image_cut_at_any_byte_is_refused(content: bytes) -> None:
    # Every proper prefix, not a sample: the header reader and the decode between them refuse
    # each one. (PNG's trailer is IEND; JPEG's the EOI marker; WebP's RIFF size.)
    for length in range(len(content)):
        with pytest.raises(MediaRejected):
            probe_bytes(content[:length], IMAGE)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prefix=st.sampled_from([b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"RIFF\0\0\0\0WEBP",
                            b"\0\0\0\x18ftypmp42", b"GIF89a", b"OggS", b"\x1a\x45\xdf\xa3"]),
    body=st.binary(max_size=600),
    kind=st.sampled_from([IMAGE, VIDEO]),
)  # fmt: skip
def test_no_bytes_make_the_probe_fail_in_any_other_way(
    prefix: bytes, body: bytes, kind: MediaKind
) -> None:
    # Arbitrary content behind every magic number: refused or accepted, never a crash, and
    # accepted only as the field's kind.
    try:
        facts = probe_bytes(prefix + body, kind)
    except MediaRejected:
        return
    assert facts.media_type.startswith(kind.value)


@settings(max_examples=200, deadline=None)
@given(cut=st.integers(min_value=0, max_value=len(PNG) - 1), flip=st.integers(0, 255))
def test_a_damaged_png_is_refused_or_decodes(cut: int, flip: int) -> None:
    # One byte changed anywhere: either still a good picture (a changed pixel value), or
    # refused; never a crash, never a picture of another size.
    damaged = bytearray(PNG)
    damaged[cut] ^= flip or 1
    try:
        facts = probe_bytes(bytes(damaged), IMAGE)
    except MediaRejected:
        return
    assert (facts.width, facts.height) == (64, 36)


def test_a_header_read_needs_only_the_start() -> None:
    reads: list[tuple[int, int]] = []

    def read_at(offset: int, size: int) -> bytes:
        reads.append((offset, size))
        return JPEG[offset : offset + size]

    facts = probe_head(read_at, IMAGE)
    assert (facts.media_type, facts.width, facts.height, facts.complete) == (
        "image/jpeg", 64, 36, False,
    )  # fmt: skip
    assert reads == [(0, 256 * 1024)]  # one ranged read
    with pytest.raises(MediaRejected, match="100000x100000"):
        probe_head(lambda o, n: png_header_claiming(100_000, 100_000)[o : o + n], IMAGE)


def test_probe_file_reads_a_file_object() -> None:
    facts = probe_file(io.BytesIO(WEBP), len(WEBP), IMAGE)
    assert facts.media_type == "image/webp"


def test_sniff_and_same_type() -> None:
    assert sniff(b"\0\0\0\x14ftypqt  ") == "video/quicktime"
    assert sniff(b"\0\0\0\x14ftypheic") == "image/heic"
    assert sniff(b"hello") is None
    assert same_media_type("video/mov", "video/mp4")
    assert not same_media_type("image/png", "image/jpeg")
