"""Preparing inputs: local paths and ``s3://`` objects become URIs Runway accepts.

* A file whose base64 data URI is at most 5 MB is sent inline as a data URI.
* A larger file (up to 200 MB) goes through the uploads API for a ``runway://`` URI. An upload of
  the same content is reused only while it is young (one hour by default, well under the URI's
  24 h): a THROTTLED task may fetch its input long after it was submitted.
* ``s3://`` objects are streamed to a temporary file first, not presigned: Runway needs HEAD
  support and a media Content-Type, which presigned GET URLs do not give.
* https URLs, data URIs and ``runway://`` URIs are passed through as given.

Before anything is sent, every input this package can read is checked
(``prefect_runway.tasks.allowed_inputs`` says which may be read at all;
``prefect_runway.api.probe`` what they hold):

* **local files**: inside the allowed roots, a regular file, at most 200 MB by ``fstat`` before a
  byte is read (a 4 GB sparse file is refused at once, never hashed), then probed whole: type
  by content, the field's kind, image header and size, completeness, a decode (an Act-Two
  reference: its duration too);
* **``s3://`` objects**: in an allowed bucket, at most 200 MB by a HEAD, and their header by one
  ranged GET when the generation is identified; probed whole once downloaded, before upload;
* **data URIs**: at most 5 MB (checked with the request), then their payload probed whole, and
  the type they declare must be the type they hold (an Act-Two reference: its duration too);
* **https URLs**: https on a domain name, at most 2048 characters (checked with the request).
  Their content is not fetched here (Runway fetches it; a worker fetching URLs named by
  parameters would be a way into its network), so their type and size are Runway's to check;
* **``runway://`` uploads**: their length only; Runway checked them when they were uploaded.

Media read here are held to the catalogue's per-model ``MEDIA_LIMITS`` (an Act-Two reference
clip lasts 3-30 s, Aleph's source video at most 30 s, Seedance's reference audio at most 15 s
together...), their durations and sizes read with PyAV.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import logging
import os
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prefect_runway.api import RunwayClient
from prefect_runway.api.catalogue import MEDIA_LIMITS, MediaLimit
from prefect_runway.api.media import MAX_DATA_URI_CHARS, data_uri_media_type
from prefect_runway.api.probe import (
    MediaFacts,
    MediaRejected,
    probe_bytes,
    probe_file,
    probe_head,
    same_media_type,
)
from prefect_runway.api.providers import Capability
from prefect_runway.api.uploads import MAX_UPLOAD_BYTES, UPLOAD_LIFETIME_SECONDS
from prefect_runway.tasks.allowed_inputs import InputPolicy, open_checked
from prefect_runway.tasks.ledger import SubmissionLedger, UploadRecord
from prefect_runway.tasks.spec import GenerationSpec, InputError, MediaRef, RefKind

__all__ = [
    "DEFAULT_UPLOAD_REUSE_SECONDS",
    "InputError",
    "PreparedInputs",
    "S3Reader",
    "check_media_limits",
    "check_reference",
    "identify_inputs",
    "needs_preparation",
    "prepare_inputs",
    "probe_input",
]

logger = logging.getLogger(__name__)

DEFAULT_UPLOAD_REUSE_SECONDS = 3600.0


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

    def read_range(self, uri: str, offset: int, size: int) -> bytes:
        """Up to ``size`` bytes from ``offset`` (one ranged GET; blocking: call in a thread)."""
        if size <= 0:
            return b""
        bucket, key = self.split(uri)
        try:
            response = self._s3.get_object(
                Bucket=bucket, Key=key, Range=f"bytes={offset}-{offset + size - 1}"
            )
        except Exception as error:  # 416: the range starts past the end
            if "InvalidRange" in str(error) or "416" in str(error):
                return b""
            raise
        body: bytes = response["Body"].read()
        return body

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


# -- local files: checked, probed and hashed once per version of a file ----------------------

_CACHE_SIZE = 1024
_checked: OrderedDict[tuple[Any, ...], tuple[str, MediaFacts]] = OrderedDict()
_checked_lock = threading.Lock()


def _check_local(ref: MediaRef, path: Path) -> tuple[str, MediaFacts]:
    """A local file's sha256 and what it holds (blocking: run in a thread).

    Its size is read by ``fstat`` before anything else, so an over-size file is refused before
    a byte is read. A file unchanged since it was last checked (same inode, size, times) is not
    read again: a batch of 1000 rows on one still reads it once.

    Raises:
        InputError: over 200 MB, not media of the field's kind, damaged, or out of limits.
    """
    file, size = open_checked(path, ref.field, ref.value, MAX_UPLOAD_BYTES)
    with file:
        info = os.fstat(file.fileno())
        version = (info.st_dev, info.st_ino, size, info.st_mtime_ns, info.st_ctime_ns, ref.kind)
        with _checked_lock:
            known = _checked.get(version)
            if known is not None:
                _checked.move_to_end(version)
                return known
        try:
            facts = probe_file(file, size, ref.kind)
        except MediaRejected as refusal:
            raise InputError(ref, str(refusal)) from None
        file.seek(0)
        digest = hashlib.file_digest(file, "sha256").hexdigest()
    checked = ("sha256:" + digest, facts)
    with _checked_lock:
        _checked[version] = checked
        while len(_checked) > _CACHE_SIZE:
            _checked.popitem(last=False)
    return checked


def _check_data_uri(ref: MediaRef) -> MediaFacts:
    """A data URI's payload probed whole; it must hold the type it declares."""
    if len(ref.value) > MAX_DATA_URI_CHARS:
        raise InputError(
            ref, f"the data URI is {len(ref.value)} characters; at most {MAX_DATA_URI_CHARS}"
        )
    header, _, payload = ref.value.partition(",")
    declared = data_uri_media_type(ref.value)
    if declared is None or ";base64" not in header.lower():
        raise InputError(ref, "write a data URI as data:<type>;base64,<payload>")
    try:
        content = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise InputError(ref, "the data URI's payload is not valid base64") from None
    try:
        facts = probe_bytes(content, ref.kind)
    except MediaRejected as refusal:
        raise InputError(ref, str(refusal)) from None
    if not same_media_type(declared, facts.media_type):
        raise InputError(
            ref,
            f"the data URI declares {declared} but holds a {facts.name}; declare "
            f"{facts.media_type}",
        )
    return facts


def _check_s3_head(ref: MediaRef, s3: S3Reader, uri: str) -> MediaFacts:
    """An S3 object's type and image header, read with a ranged GET (blocking)."""
    try:
        return probe_head(lambda offset, length: s3.read_range(uri, offset, length), ref.kind)
    except MediaRejected as refusal:
        raise InputError(ref, str(refusal)) from None


async def identify_inputs(
    spec: GenerationSpec, s3: S3Reader | None = None, *, policy: InputPolicy | None = None
) -> dict[tuple[str | int, ...], str]:
    """The content identity of each media field, for the generation key; no upload.

    Every input is checked on the way, so a refusal comes before anything is paid for: local
    paths and S3 objects against ``policy``; their size before their content; their content by
    type, kind, header and (local files, data URIs) a whole decode.

    Args:
        spec: The generation.
        s3: Reader for ``s3://`` inputs.
        policy: Where inputs may be read from; by default this machine's
            (``InputPolicy.for_run()``: ``RUNWAY_INPUT_ROOTS``, ``RUNWAY_INPUT_BUCKETS``, and the
            working directory of a script run; no bucket but those).

    Raises:
        InputError: naming the field, the value and the rule (``InputNotAllowed`` when the
            input lies outside what may be read).
    """
    policy = policy if policy is not None else InputPolicy.for_run()
    ids: dict[tuple[str | int, ...], str] = {}
    probed: list[tuple[MediaRef, MediaFacts]] = []
    for ref in spec.media():
        kind = ref.ref_kind
        if kind is RefKind.LOCAL:
            path = policy.local_file(ref.field, ref.value)
            ids[ref.path], facts = await asyncio.to_thread(_check_local, ref, path)
            probed.append((ref, facts))
        elif kind is RefKind.S3:
            policy.s3_object(ref.field, ref.value)
            if s3 is None:
                raise InputError(ref, "s3:// inputs need S3 credentials (the destination's)")
            head = await _head(ref, s3)
            size = int(head.get("ContentLength", 0))
            if size > MAX_UPLOAD_BYTES:
                raise InputError(ref, f"the object is {size} bytes; Runway takes at most 200 MB")
            if size == 0:
                raise InputError(ref, "the object is empty")
            await asyncio.to_thread(_check_s3_head, ref, s3, ref.value)
            ids[ref.path] = f"s3-etag:{head.get('ETag', '').strip(chr(34))}:{size}"
        elif kind is RefKind.DATA:
            facts = await asyncio.to_thread(_check_data_uri, ref)
            probed.append((ref, facts))
            ids[ref.path] = "sha256:" + hashlib.sha256(ref.value.encode()).hexdigest()
        else:
            ids[ref.path] = ref.value
    check_media_limits(spec.model, probed)
    return ids


async def _head(ref: MediaRef, s3: S3Reader) -> dict[str, Any]:
    try:
        return await s3.head(ref.value)
    except Exception as error:
        code = str(getattr(error, "response", {}).get("Error", {}).get("Code", "")) or str(error)
        raise InputError(ref, f"cannot read the S3 object ({code[:200]})") from None


@contextlib.asynccontextmanager
async def _local_copy(
    ref: MediaRef, s3: S3Reader | None, policy: InputPolicy
) -> AsyncIterator[Path]:
    """The input as a checked local file (an S3 object downloaded to a temporary one)."""
    if ref.ref_kind is RefKind.LOCAL:
        yield policy.local_file(ref.field, ref.value)
        return
    policy.s3_object(ref.field, ref.value)
    assert s3 is not None  # identify_inputs refused s3:// without a reader
    head = await _head(ref, s3)
    size = int(head.get("ContentLength", 0))
    if size > MAX_UPLOAD_BYTES:
        raise InputError(ref, f"the object is {size} bytes; Runway takes at most 200 MB")
    handle, name = tempfile.mkstemp(suffix=".input")
    os.close(handle)
    try:
        await s3.download(ref.value, Path(name))
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


# References read and sent as data URIs or uploads; the others go to Runway as they are.
_READ_KINDS = (RefKind.LOCAL, RefKind.S3)


def needs_preparation(spec: GenerationSpec) -> bool:
    """Whether any media reference of ``spec`` is a local file or an S3 object to read."""
    return any(ref.ref_kind in _READ_KINDS for ref in spec.media())


def _read_checked(ref: MediaRef, path: Path) -> bytes:
    file, _ = open_checked(path, ref.field, ref.value, MAX_UPLOAD_BYTES)
    with file:
        return file.read()


async def prepare_inputs(
    spec: GenerationSpec,
    client: RunwayClient,
    *,
    content_ids: Mapping[tuple[str | int, ...], str],
    s3: S3Reader | None = None,
    ledger: SubmissionLedger | None = None,
    upload_reuse_seconds: float = DEFAULT_UPLOAD_REUSE_SECONDS,
    policy: InputPolicy | None = None,
) -> PreparedInputs:
    """Turn every media reference of ``spec`` into a URI Runway accepts.

    Local files and S3 objects are checked again as they are read (an S3 object is probed
    whole once downloaded), and sent under the media type their content has.

    Args:
        spec: The generation.
        client: For uploads.
        content_ids: From ``identify_inputs``; keys uploads for reuse.
        s3: Reader for ``s3://`` inputs.
        ledger: Where reusable uploads are remembered; None disables reuse.
        upload_reuse_seconds: How old an upload may be and still be reused.
        policy: Where inputs may be read from (as for ``identify_inputs``).

    Raises:
        InputError: an input outside what may be read, missing, not media of the field's
            kind, damaged, over 200 MB, an Act-Two reference outside 3-30 s, or uploads needed
            from a provider without them.
    """
    if upload_reuse_seconds >= UPLOAD_LIFETIME_SECONDS:
        raise ValueError("upload_reuse_seconds must be well under the 24 h an upload lives")
    policy = policy if policy is not None else InputPolicy.for_run()
    prepared = PreparedInputs()
    probed: list[tuple[MediaRef, MediaFacts]] = []
    for ref in spec.media():
        if ref.ref_kind not in _READ_KINDS:
            prepared.uris[ref.path] = ref.value
            continue
        async with _local_copy(ref, s3, policy) as path:
            _, facts = await asyncio.to_thread(_check_local, ref, path)
            size = path.stat().st_size
            check_media_limits(spec.model, [(ref, facts)])
            probed.append((ref, facts))
            if spec.model == "act_two" and ref.pattern == "reference.uri":
                prepared.reference_seconds = facts.seconds
            media_type = facts.media_type
            encoded_chars = len(f"data:{media_type};base64,") + 4 * -(-size // 3)
            if encoded_chars <= MAX_DATA_URI_CHARS:
                body = await asyncio.to_thread(_read_checked, ref, path)
                prepared.uris[ref.path] = (
                    f"data:{media_type};base64,{base64.b64encode(body).decode()}"
                )
                continue
            # The upload's name carries the content's type (Runway reads it from the name).
            named = S3Reader.split(ref.value)[1] if ref.ref_kind is RefKind.S3 else str(path)
            stem = Path(named).stem[:200] or "input"
            prepared.uris[ref.path] = await _upload(
                ref,
                path,
                f"{stem}{facts.extension}",
                client,
                content_ids[ref.path],
                ledger,
                upload_reuse_seconds,
                prepared,
            )
    check_media_limits(spec.model, probed)
    return prepared


def _limits(model: str, ref: MediaRef) -> list[MediaLimit]:
    return [limit for limit in MEDIA_LIMITS if model in limit.models and limit.field == ref.pattern]


def _who(model: str) -> str:
    return "Act-Two" if model == "act_two" else model


def check_media_limits(model: str, probed: Sequence[tuple[MediaRef, MediaFacts]]) -> None:
    """Refuse media outside the catalogue's ``MEDIA_LIMITS`` for ``model``, before any upload.

    Each clip's length and each picture's size and aspect are checked where they were read; a
    list's combined length is summed over the clips probed (those Runway fetches by URL are
    unknown here, so a sum already over the limit is refused, never one that might be).

    Raises:
        InputError: naming the field, what the media is, and the limit with its source.

    Example:
        >>> from prefect_runway.api.media import MediaKind
        >>> ref = MediaRef(("reference", "uri"), "take.mp4", MediaKind.VIDEO, "reference.uri")
        >>> check_media_limits("act_two", [(ref, MediaFacts("video/mp4", 64, 64, 12.0))])
    """
    totals: dict[str, list[tuple[MediaRef, float]]] = {}
    for ref, facts in probed:
        for limit in _limits(model, ref):
            _check_one(model, ref, facts, limit)
            if limit.max_total_seconds is not None and facts.seconds is not None:
                totals.setdefault(limit.field, []).append((ref, facts.seconds))
    for field_path, clips in totals.items():
        total = sum(seconds for _, seconds in clips)
        for limit in MEDIA_LIMITS:
            most = limit.max_total_seconds
            if model in limit.models and limit.field == field_path and most is not None:
                if total > most + 1e-6:
                    raise InputError(
                        clips[-1][0],
                        f"the clips of {field_path.removesuffix('[].uri').removesuffix('[]')} "
                        f"last {total:.2f} s together; {_who(model)} takes at most {most:g} s "
                        f"({limit.source})",
                    )


def _check_one(model: str, ref: MediaRef, facts: MediaFacts, limit: MediaLimit) -> None:
    who = _who(model)
    clip = "the reference clip" if model == "act_two" else "the clip"
    if limit.min_seconds is not None or limit.max_seconds is not None:
        seconds = facts.seconds
        if seconds is None:
            if facts.complete:
                raise InputError(ref, "cannot read the clip's duration; is it a media file?")
        else:
            low = limit.min_seconds if limit.min_seconds is not None else 0.0
            high = limit.max_seconds if limit.max_seconds is not None else float("inf")
            if not low - 1e-6 <= seconds <= high + 1e-6:
                allowed = (
                    f"{low:g} to {high:g} s"
                    if limit.min_seconds is not None and limit.max_seconds is not None
                    else f"at most {high:g} s"
                    if limit.max_seconds is not None
                    else f"at least {low:g} s"
                )
                raise InputError(ref, f"{clip} lasts {seconds:.2f} s; {who} needs {allowed}")
    width, height = facts.width, facts.height
    if width is None or height is None:
        return
    short, long = min(width, height), max(width, height)
    if limit.min_side is not None and short < limit.min_side:
        raise InputError(
            ref,
            f"the picture is {width}x{height} pixels; {who} needs at least {limit.min_side} "
            f"on each side ({limit.source})",
        )
    if limit.max_side is not None and long > limit.max_side:
        raise InputError(
            ref,
            f"the picture is {width}x{height} pixels; {who} takes at most {limit.max_side} on "
            f"each side ({limit.source})",
        )
    aspect = width / height
    low_aspect = limit.min_aspect if limit.min_aspect is not None else 0.0
    high_aspect = limit.max_aspect if limit.max_aspect is not None else float("inf")
    if not low_aspect - 1e-9 <= aspect <= high_aspect + 1e-9:
        raise InputError(
            ref,
            f"the picture is {width}x{height} pixels (width / height {aspect:.2f}); {who} takes "
            f"{low_aspect:g} to {high_aspect:g} ({limit.source})",
        )


def probe_input(ref: MediaRef, path: Path, model: str | None = None) -> MediaFacts:
    """What a local media file holds (PyAV), held to ``model``'s media limits when given.

    Blocking: run it in a thread.

    Raises:
        InputError: the file is not media of the field's kind, damaged, or out of limits.
    """
    file, size = open_checked(path, ref.field, ref.value, MAX_UPLOAD_BYTES)
    with file:
        try:
            facts = probe_file(file, size, ref.kind)
        except MediaRejected as refusal:
            raise InputError(ref, str(refusal)) from None
    if model is not None:
        check_media_limits(model, [(ref, facts)])
    return facts


def check_reference(ref: MediaRef, path: Path) -> float:
    """The Act-Two reference clip's length in seconds, probed with PyAV.

    Raises:
        InputError: the clip is unreadable or outside Act-Two's 3-30 s.
    """
    seconds = probe_input(ref, path, "act_two").seconds
    if seconds is None:
        raise InputError(ref, "cannot read the clip's duration; is it a video file?")
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
