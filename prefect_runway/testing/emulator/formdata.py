"""A small streaming ``multipart/form-data`` reader for the upload URL.

Starlette's form parser needs ``python-multipart``, which the project does not depend on, and
it would spool files its own way. This one streams the ``file`` part straight into a file
(hashing as it goes) and keeps only the small text fields in memory, so a 200 MB upload costs
constant memory.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

__all__ = ["FormData", "FormDataError", "boundary_of", "read_form_data"]

MAX_FIELD_BYTES = 64 * 1024
_BOUNDARY = re.compile(r'boundary=(?:"([^"]+)"|([^;,\s]+))', re.IGNORECASE)
_DISPOSITION_PARAM = re.compile(r';\s*([A-Za-z*]+)="?([^";]*)"?')


class FormDataError(Exception):
    """The body is not well-formed multipart/form-data."""


@dataclass
class FormData:
    """The text fields and the streamed file of a form.

    Attributes:
        fields: Text fields by name.
        file_name: The ``filename`` of the ``file`` part, if one came.
        file_size: Bytes received for the file (counted past ``max_file_bytes`` too).
        file_sha256: sha256 of the file's bytes as written.
        file_type: The ``Content-Type`` of the file part.
    """

    fields: dict[str, str] = field(default_factory=dict)
    file_name: str | None = None
    file_size: int = 0
    file_sha256: str | None = None
    file_type: str | None = None


def boundary_of(content_type: str) -> str | None:
    """The boundary of a ``multipart/form-data`` Content-Type, or None."""
    if not content_type.lower().startswith("multipart/form-data"):
        return None
    match = _BOUNDARY.search(content_type)
    if match is None:
        return None
    return match.group(1) or match.group(2)


def _part_headers(raw: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in raw.decode("utf-8", "replace").split("\r\n"):
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers


async def read_form_data(
    chunks: AsyncIterator[bytes],
    boundary: str,
    file_path: Path,
    *,
    max_file_bytes: int,
) -> FormData:
    """Read a multipart body, writing the part named ``file`` to ``file_path``.

    Bytes of the file beyond ``max_file_bytes`` are counted but not written, so the caller can
    refuse the upload after the body was drained (answering early would break the client's
    send).

    Raises:
        FormDataError: The body is malformed or a text field is too large.
    """
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    # Prefixing CRLF lets the first boundary be found like every later one.
    buffer = bytearray(b"\r\n")
    form = FormData()
    state = "preamble"
    headers: dict[str, str] = {}
    field_value = bytearray()
    sink: BinaryIO | None = None
    digest = hashlib.sha256()
    is_file = False
    done = False

    def write(data: bytes) -> None:
        nonlocal field_value
        if not data:
            return
        if is_file:
            assert sink is not None
            room = max_file_bytes - form.file_size
            if room > 0:
                kept = data[:room]
                sink.write(kept)
                digest.update(kept)
            form.file_size += len(data)
        else:
            field_value += data
            if len(field_value) > MAX_FIELD_BYTES:
                raise FormDataError("a form field is too large")

    def finish_part() -> None:
        nonlocal field_value, sink
        disposition = headers.get("content-disposition", "")
        params = dict(_DISPOSITION_PARAM.findall(disposition))
        name = params.get("name", "")
        if is_file:
            form.file_name = params.get("filename")
            form.file_type = headers.get("content-type")
            form.file_sha256 = digest.hexdigest()
        elif name:
            form.fields[name] = field_value.decode("utf-8", "replace")
        field_value = bytearray()

    try:
        async for chunk in chunks:
            if done:
                continue  # drain the epilogue so the client's send completes
            buffer += chunk
            while True:
                if state in ("preamble", "data"):
                    at = buffer.find(delimiter)
                    if at < 0:
                        # Keep a tail that might be the start of a delimiter.
                        keep = len(delimiter)
                        if len(buffer) > keep:
                            if state == "data":
                                write(bytes(buffer[:-keep]))
                            del buffer[:-keep]
                        break
                    if state == "data":
                        write(bytes(buffer[:at]))
                        finish_part()
                    del buffer[:at]
                    state = "delimiter"
                if state == "delimiter":
                    need = len(delimiter) + 2
                    if len(buffer) < need:
                        break
                    tail = bytes(buffer[len(delimiter) : need])
                    if tail == b"--":
                        done = True
                        buffer.clear()
                        break
                    if tail != b"\r\n":
                        raise FormDataError("malformed boundary line")
                    del buffer[:need]
                    state = "headers"
                if state == "headers":
                    end = buffer.find(b"\r\n\r\n")
                    if end < 0:
                        if len(buffer) > MAX_FIELD_BYTES:
                            raise FormDataError("part headers too large")
                        break
                    headers = _part_headers(bytes(buffer[:end]))
                    del buffer[: end + 4]
                    params = dict(
                        _DISPOSITION_PARAM.findall(headers.get("content-disposition", ""))
                    )
                    is_file = params.get("name") == "file"
                    if is_file:
                        if sink is not None:
                            raise FormDataError("more than one file part")
                        sink = file_path.open("wb")
                        digest = hashlib.sha256()
                    state = "data"
    finally:
        if sink is not None:
            sink.close()
    if not done:
        raise FormDataError("the body ended before the closing boundary")
    return form
