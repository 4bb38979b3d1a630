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
