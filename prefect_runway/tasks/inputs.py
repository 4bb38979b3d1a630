"""Preparing inputs: local paths and ``s3://`` objects become URIs Runway accepts.

* A file whose base64 data URI is at most 5 MB is sent inline as a data URI.
* A larger file (up to 200 MB) goes through the uploads API for a ``runway://`` URI. An upload of
  the same content is reused only while it is young (one hour by default, well under the URI's
  24 h): a THROTTLED task may fetch its input long after it was submitted.
* ``s3://`` objects are streamed to a temporary file first, not presigned: Runway needs HEAD
  support and a media Content-Type, which presigned GET URLs do not give.
* https URLs, data URIs and ``runway://`` URIs are passed through as given.

Before anything is sent: a missing file, an unsupported media type, a file over 200 MB and an
Act-Two reference clip outside 3-30 seconds (probed with PyAV) are refused, naming the field.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import os
import tempfile
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av

from prefect_runway.api import RunwayClient
from prefect_runway.api.character_performance import REFERENCE_MAX_SECONDS, REFERENCE_MIN_SECONDS
from prefect_runway.api.errors import PrefectRunwayError
from prefect_runway.api.media import MAX_DATA_URI_CHARS
from prefect_runway.api.providers import Capability
from prefect_runway.api.uploads import (
    MAX_UPLOAD_BYTES,
    MEDIA_TYPES_BY_EXTENSION,
    UPLOAD_LIFETIME_SECONDS,
)
from prefect_runway.tasks.ledger import SubmissionLedger, UploadRecord
from prefect_runway.tasks.spec import GenerationSpec, MediaRef, RefKind

__all__ = [
    "DEFAULT_UPLOAD_REUSE_SECONDS",
    "InputError",
    "PreparedInputs",
    "S3Reader",
    "check_reference",
    "identify_inputs",
    "needs_preparation",
    "prepare_inputs",
]

logger = logging.getLogger(__name__)

DEFAULT_UPLOAD_REUSE_SECONDS = 3600.0


class InputError(PrefectRunwayError, ValueError):
    """An input cannot be sent to Runway; nothing was spent."""

    def __init__(self, ref: MediaRef, problem: str) -> None:
        self.field = ref.field
        self.value = ref.value
        super().__init__(f"{ref.field} ({ref.value!r}): {problem}")


class S3Reader:
    """Reads ``s3://`` inputs with a boto3 S3 client (usually the destination's credentials)."""

    def __init__(self, s3_client: Any) -> None:
        self._s3 = s3_client

    @staticmethod
    def split(uri: str) -> tuple[str, str]:
        bucket, _, key = uri[len("s3://") :].partition("/")
        return bucket, key

    async def head(self, uri: str) -> dict[str, Any]:
        bucket, key = self.split(uri)
        result: dict[str, Any] = await asyncio.to_thread(
            self._s3.head_object, Bucket=bucket, Key=key
        )
        return result

    async def download(self, uri: str, path: Path) -> None:
        bucket, key = self.split(uri)
        await asyncio.to_thread(self._s3.download_file, bucket, key, str(path))


@dataclass
class PreparedInputs:
    """What ``prepare_inputs`` produced.

    Attributes:
        uris: The URI to send for each media field, by path.
        uploads: How many files were uploaded (not reused).
        reference_seconds: The Act-Two reference clip's length, when it could be probed.
    """

    uris: dict[tuple[str | int, ...], str] = field(default_factory=dict)
    uploads: int = 0
    reference_seconds: float | None = None


def _media_type(ref: MediaRef, name: str, declared: str | None = None) -> str:
    media_type = declared or MEDIA_TYPES_BY_EXTENSION.get(Path(name).suffix.lower())
    allowed = sorted(ref.kind.media_types)
    if media_type is None or media_type not in ref.kind.media_types:
        raise InputError(
            ref,
            f"unsupported media type {media_type or Path(name).suffix or '(unknown)'!r}; this "
            f"field takes {ref.kind.value} files of type {allowed}",
        )
    return media_type


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _probe_seconds(path: Path) -> float | None:
    try:
        with av.open(str(path)) as container:
            if container.duration is not None:
                return float(container.duration) / 1_000_000
            stream = container.streams.video[0]
            if stream.duration is not None and stream.time_base is not None:
                return float(stream.duration * stream.time_base)
    except (av.error.FFmpegError, IndexError):
        return None
    return None


async def identify_inputs(
    spec: GenerationSpec, s3: S3Reader | None = None
) -> dict[tuple[str | int, ...], str]:
    """The content identity of each media field, for the generation key (cheap: no upload)."""
    ids: dict[tuple[str | int, ...], str] = {}
    for ref in spec.media():
        kind = ref.ref_kind
        if kind is RefKind.LOCAL:
            path = Path(ref.value).expanduser()
            if not path.is_file():
                raise InputError(ref, f"no such file: {path.resolve()}")
            ids[ref.path] = "sha256:" + await asyncio.to_thread(_sha256_file, path)
        elif kind is RefKind.S3:
            if s3 is None:
                raise InputError(ref, "s3:// inputs need S3 credentials (the destination's)")
            try:
                head = await s3.head(ref.value)
            except Exception as error:
                raise InputError(ref, f"cannot read the S3 object: {error}") from None
            ids[ref.path] = f"s3-etag:{head.get('ETag', '').strip(chr(34))}:{head['ContentLength']}"
        elif kind is RefKind.DATA:
            ids[ref.path] = "sha256:" + hashlib.sha256(ref.value.encode()).hexdigest()
        else:
            ids[ref.path] = ref.value
    return ids


@contextlib.asynccontextmanager
async def _local_copy(
    ref: MediaRef, s3: S3Reader | None
) -> AsyncIterator[tuple[Path, str, str | None]]:
    """The input as a local file, its file name, and a media type its source declares."""
    if ref.ref_kind is RefKind.LOCAL:
        path = Path(ref.value).expanduser()
        yield path, path.name, None
        return
    assert s3 is not None  # identify_inputs refused s3:// without a reader
    head = await s3.head(ref.value)
    size = int(head["ContentLength"])
    if size > MAX_UPLOAD_BYTES:
        raise InputError(ref, f"the object is {size} bytes; Runway takes at most 200 MB")
    _, key = S3Reader.split(ref.value)
    handle, name = tempfile.mkstemp(suffix=Path(key).suffix)
    os.close(handle)
    try:
        await s3.download(ref.value, Path(name))
        declared = head.get("ContentType")
        generic = declared in (None, "", "binary/octet-stream", "application/octet-stream")
        yield Path(name), Path(key).name, None if generic else declared
    finally:
        Path(name).unlink(missing_ok=True)


# References read and sent as data URIs or uploads; the others go to Runway as they are.
_READ_KINDS = (RefKind.LOCAL, RefKind.S3)


def needs_preparation(spec: GenerationSpec) -> bool:
    """Whether any media reference of ``spec`` is a local file or an S3 object to read."""
    return any(ref.ref_kind in _READ_KINDS for ref in spec.media())


async def prepare_inputs(
    spec: GenerationSpec,
    client: RunwayClient,
    *,
    content_ids: Mapping[tuple[str | int, ...], str],
    s3: S3Reader | None = None,
    ledger: SubmissionLedger | None = None,
    upload_reuse_seconds: float = DEFAULT_UPLOAD_REUSE_SECONDS,
) -> PreparedInputs:
    """Turn every media reference of ``spec`` into a URI Runway accepts.

    Args:
        spec: The generation.
        client: For uploads.
        content_ids: From ``identify_inputs``; keys uploads for reuse.
        s3: Reader for ``s3://`` inputs.
        ledger: Where reusable uploads are remembered; None disables reuse.
        upload_reuse_seconds: How old an upload may be and still be reused.

    Raises:
        InputError: missing file, unsupported media type, over 200 MB, Act-Two reference
            outside 3-30 s, or uploads needed from a provider without them.
    """
    if upload_reuse_seconds >= UPLOAD_LIFETIME_SECONDS:
        raise ValueError("upload_reuse_seconds must be well under the 24 h an upload lives")
    prepared = PreparedInputs()
    for ref in spec.media():
        if ref.ref_kind not in _READ_KINDS:
            prepared.uris[ref.path] = ref.value
            continue
        async with _local_copy(ref, s3) as (path, file_name, declared):
            if not path.is_file():
                raise InputError(ref, f"no such file: {path.resolve()}")
            media_type = _media_type(ref, file_name, declared)
            size = path.stat().st_size
            if size > MAX_UPLOAD_BYTES:
                raise InputError(
                    ref, f"the file is {size / 2**20:.1f} MiB; Runway takes at most 200 MB"
                )
            if ref.path[0] == "reference":
                prepared.reference_seconds = check_reference(ref, path)
            encoded_chars = len(f"data:{media_type};base64,") + 4 * -(-size // 3)
            if encoded_chars <= MAX_DATA_URI_CHARS:
                body = await asyncio.to_thread(path.read_bytes)
                prepared.uris[ref.path] = (
                    f"data:{media_type};base64,{base64.b64encode(body).decode()}"
                )
                continue
            prepared.uris[ref.path] = await _upload(
                ref,
                path,
                file_name,
                client,
                content_ids[ref.path],
                ledger,
                upload_reuse_seconds,
                prepared,
            )
    return prepared


def check_reference(ref: MediaRef, path: Path) -> float:
    """The Act-Two reference clip's length in seconds, probed with PyAV.

    Raises:
        InputError: the clip is unreadable or outside Act-Two's 3-30 s.
    """
    seconds = _probe_seconds(path)
    if seconds is None:
        raise InputError(ref, "cannot read the clip's duration; is it a video file?")
    if not REFERENCE_MIN_SECONDS <= seconds <= REFERENCE_MAX_SECONDS:
        raise InputError(
            ref,
            f"the reference clip lasts {seconds:.2f} s; Act-Two needs "
            f"{REFERENCE_MIN_SECONDS:g} to {REFERENCE_MAX_SECONDS:g} s",
        )
    return seconds


async def _upload(
    ref: MediaRef,
    path: Path,
    file_name: str,
    client: RunwayClient,
    content_id: str,
    ledger: SubmissionLedger | None,
    reuse_seconds: float,
    prepared: PreparedInputs,
) -> str:
    if Capability.UPLOADS not in client.provider.capabilities:
        raise InputError(
            ref,
            f"the file is over 5 MB encoded, and provider {client.provider.name!r} has no "
            "uploads API; pass an https URL instead",
        )
    reuse_id = hashlib.sha256(f"{client.base_url}|{content_id}".encode()).hexdigest()[:32]
    if ledger is not None:
        record = await ledger.read_upload(reuse_id)
        if record is not None and time.time() - record.uploaded_at < reuse_seconds:
            logger.info(
                "%s: reusing an upload from %.0f s ago", ref.field, time.time() - record.uploaded_at
            )
            return record.uri
    name = file_name if len(file_name) >= 3 else f"input{path.suffix}"
    uploaded = await client.upload_file(path, filename=name)
    prepared.uploads += 1
    logger.info("%s: uploaded %d bytes", ref.field, uploaded.size)
    if ledger is not None:
        await ledger.write_upload(
            UploadRecord(content_id=reuse_id, uri=uploaded.uri, uploaded_at=uploaded.uploaded_at)
        )
    return uploaded.uri
