"""Small media made on the fly for tests: PNG images as bytes and data URIs."""

from __future__ import annotations

import base64
import struct
import zlib


def png_bytes(
    width: int = 64, height: int = 36, rgb: tuple[int, int, int] = (40, 120, 200)
) -> bytes:
    """A solid-colour RGB PNG with a diagonal stripe, so frames are not uniform."""
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter type 0
        for x in range(width):
            on_stripe = abs(x * height - y * width) < width * 2
            row += bytes((255, 255, 255) if on_stripe else rgb)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def png_data_uri(**kwargs: object) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(**kwargs)).decode()  # type: ignore[arg-type]


def _encode_still(
    codec: str, container_format: str, width: int, height: int, pix_fmt: str
) -> bytes:
    import io

    import av
    import numpy as np

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=1)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        picture = np.zeros((height, width, 3), dtype=np.uint8)
        picture[:, : width // 2] = (200, 60, 30)
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def jpeg_bytes(width: int = 64, height: int = 36) -> bytes:
    """A baseline JPEG made with PyAV's MJPEG encoder."""
    return _encode_still("mjpeg", "image2pipe", width, height, "yuvj420p")


def webp_bytes(width: int = 64, height: int = 36) -> bytes:
    """A lossy WebP (VP8) made with PyAV's libwebp encoder."""
    return _encode_still("libwebp", "webp", width, height, "yuv420p")


def mp4_bytes(seconds: float = 3.5, size: int = 32, fps: int = 10) -> bytes:
    """An H.264 MP4 of ``seconds``, made with PyAV."""
    import io
    from fractions import Fraction

    import av
    import numpy as np

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        for index in range(round(seconds * fps)):
            image = np.full((size, size, 3), index * 7 % 255, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def gif_bytes(width: int = 8, height: int = 8) -> bytes:
    """A tiny GIF (a type Runway does not take)."""
    return _encode_still("gif", "gif", width, height, "rgb8")


def png_header_claiming(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims ``width`` x ``height`` with a little deflated data after it."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 4096))
        + chunk(b"IEND", b"")
    )


def data_uri(media_type: str, payload: bytes) -> str:
    return f"data:{media_type};base64," + base64.b64encode(payload).decode()
