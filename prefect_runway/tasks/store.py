"""Storing outputs in S3: streamed, hashed, multipart, in constant memory, never half-written.

An output goes from its signed URL into S3 as it downloads: nothing touches the disk and memory
stays bounded whatever the output's size. Below ``PART_SIZE`` it is one PutObject of the bytes
received; from ``PART_SIZE`` on, a multipart upload driven from the event loop::

    download chunks (event loop, hashed as they arrive)
      -> the part being filled: a PART_SIZE bytearray the chunks are copied into
      -> UploadPart on the S3 thread pool, at most UPLOAD_CONCURRENCY parts on their way
      -> the part's buffer, once S3 answered, filled again with a later part

Backpressure runs the other way: when S3 is slower than the download, the loop waits for a
part to be stored before it sends the next, so it takes no chunk off the socket meanwhile, and
TCP flow control slows the sender.

Nothing is visible in S3 before the upload completes (PutObject, or CompleteMultipartUpload),
and that happens only after the last byte arrived and its count was checked. Any failure before
that, in the download or in S3, aborts the multipart upload, so a failed store leaves neither
an object nor an incomplete upload (whose parts would be stored, and billed, invisibly). An
object already at the key from an earlier run is left alone by a failed store; a successful one
replaces it atomically.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from boto3.s3.transfer import S3Transfer  # type: ignore[import-untyped, unused-ignore]
from prefect_aws import S3Bucket
from pydantic import BaseModel, ConfigDict
from pydantic_core import to_jsonable_python
from s3transfer.constants import (  # type: ignore[import-untyped, unused-ignore]
    FULL_OBJECT_CHECKSUM_ARGS,
)
from s3transfer.upload import (  # type: ignore[import-untyped, unused-ignore]
    UploadSubmissionTask,
)
from s3transfer.utils import (  # type: ignore[import-untyped, unused-ignore]
    get_filtered_dict,
    set_default_checksum_algorithm,
)

from prefect_runway.api.catalogue import OutputKind
from prefect_runway.api.download import OutputStream
from prefect_runway.api.errors import OutputDownloadFailed
from prefect_runway.tasks._crash import crash_point
from prefect_runway.tasks._retry import retry_storage
from prefect_runway.tasks.s3io import run_s3, s3_client

__all__ = [
    "PART_SIZE",
    "UPLOAD_CONCURRENCY",
    "StoredObject",
    "output_extension",
    "read_sidecar",
    "resolve_key",
    "store_output",
    "stream_to_s3",
    "write_sidecar",
]

logger = logging.getLogger(__name__)

MiB = 1024 * 1024

#: Multipart threshold and part size. 8 MiB is boto3's default; with S3's 10,000-part limit it
#: allows outputs up to 78 GiB, far beyond anything Runway returns.
PART_SIZE = 8 * MiB
#: Parts on their way to S3 at once. With the part being filled from the download, at most
#: ``(UPLOAD_CONCURRENCY + 1) x PART_SIZE`` bytes of the output are in memory (24 MiB), in as
#: many buffers, allocated once per upload and reused.
UPLOAD_CONCURRENCY = 2

_DEFAULT_CONTENT_TYPE = "application/octet-stream"
_SIDECAR_CONTENT_TYPE = "application/json"
_MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
_URL_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,8})$")

#: File extension by media type (parameters such as ``; codecs=...`` stripped, lower case).
EXTENSIONS: Mapping[str, str] = {
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/webm": "webm",
    "video/x-matroska": "mkv",
    "video/x-msvideo": "avi",
    "application/zip": "zip",
    "application/x-zip-compressed": "zip",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/vnd.wave": "wav",
    "audio/mpeg": "mp3",
    "audio/mp4": "m4a",
    "audio/aac": "aac",
    "audio/ogg": "ogg",
    "audio/flac": "flac",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
    "image/svg+xml": "svg",
    "application/json": "json",
}


class StoredObject(BaseModel):
    """An object written to S3.

    Attributes:
        bucket: The bucket's name.
        key: The full key, bucket folder included.
        uri: ``s3://bucket/key``.
        size: Bytes stored.
        sha256: Hex sha256 of the bytes stored, computed while they streamed through.
        content_type: The object's ``Content-Type``.
        etag: S3's ETag, without quotes (``<md5>-<parts>`` for a multipart upload).
    """

    model_config = ConfigDict(frozen=True)

    bucket: str
    key: str
    uri: str
    size: int
    sha256: str
    content_type: str
    etag: str | None = None


def resolve_key(bucket: S3Bucket, key: str) -> str:
    """The full key for ``key``, relative to the bucket's folder, as the block resolves it.

    The block's upload and download methods (``_join_bucket_folder``) always prefix
    ``bucket_folder``, so objects written here can be read back with
    ``bucket.download_object_to_path(key)`` and the same relative key.

    Args:
        bucket: The destination block.
        key: A key relative to ``bucket.bucket_folder``.

    Returns:
        The key in the bucket.

    Raises:
        ValueError: ``key`` is empty or names a folder.

    Example:
        >>> from prefect_aws import S3Bucket
        >>> resolve_key(S3Bucket(bucket_name="b", bucket_folder="runway"), "a/b.mp4")
        'runway/a/b.mp4'
    """
    if not key or key.endswith("/"):
        raise ValueError(f"an object key must name a file, not {key!r}")
    if not bucket.bucket_folder:
        return key
    return (PurePosixPath(bucket.bucket_folder) / key).as_posix()


def _uri(bucket: S3Bucket, full_key: str) -> str:
    return f"s3://{bucket.bucket_name}/{full_key}"


def _stored(
    bucket: S3Bucket,
    full_key: str,
    *,
    size: int,
    sha256: str,
    content_type: str | None,
    etag: str | None,
) -> StoredObject:
    """What S3 holds at ``full_key``, as S3 answered (its ETag without quotes)."""
    return StoredObject(
        bucket=bucket.bucket_name,
        key=full_key,
        uri=_uri(bucket, full_key),
        size=size,
        sha256=sha256,
        content_type=content_type,
        etag=etag.strip('"') if etag else None,
    )


def _media_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type or None


def output_extension(content_type: str | None, url: str) -> str:
    """The file extension for an output: from its Content-Type, else its URL's path, else bin.

    Args:
        content_type: The response's ``Content-Type`` (parameters are ignored).
        url: The output's URL (its query string is ignored).

    Returns:
        An extension without the dot, in lower case.

    Example:
        >>> output_extension("video/mp4", "https://cdn.example.com/a?_jwt=x")
        'mp4'
        >>> output_extension("application/octet-stream", "https://cdn.example.com/a.MOV?x=1")
        'mov'
        >>> output_extension(None, "https://cdn.example.com/output")
        'bin'
    """
    media_type = _media_type(content_type)
    if media_type is not None and media_type in EXTENSIONS:
        return EXTENSIONS[media_type]
    match = _URL_EXTENSION.search(urlsplit(url).path)
    return match.group(1).lower() if match else "bin"


def _upload_args(content_type: str, extra_args: Mapping[str, Any] | None) -> dict[str, Any]:
    """boto3 ExtraArgs: the user's, checked before any byte moves, plus the Content-Type."""
    args = dict(extra_args or {})
    unknown = sorted(set(args) - set(S3Transfer.ALLOWED_UPLOAD_ARGS))
    if unknown:
        raise ValueError(
            f"extra_args: {unknown} are not boto3 upload arguments; allowed: "
            f"{sorted(S3Transfer.ALLOWED_UPLOAD_ARGS)}"
        )
    if "ContentType" in args:
        # The output's own Content-Type decides its type and extension; a fixed one given for
        # every output would mislabel some of them.
        raise ValueError("extra_args: ContentType is set from the output; leave it out")
    args["ContentType"] = content_type
    return args


def _multipart_args(
    client: Any, upload_args: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The arguments of CreateMultipartUpload, UploadPart and CompleteMultipartUpload.

    Split as boto3's managed upload splits ``ExtraArgs`` (s3transfer's own lists, so a user's
    SSE-C key reaches every part and the checksum the client defaults to, CRC32, is asked for
    at the create and sent with each part).
    """
    args = dict(upload_args)
    if getattr(client.meta.config, "request_checksum_calculation", None) == "when_supported":
        set_default_checksum_algorithm(args)
    for checksum in FULL_OBJECT_CHECKSUM_ARGS:
        if checksum in args:  # a whole-object checksum given by the user
            args["ChecksumType"] = "FULL_OBJECT"
            args["ChecksumAlgorithm"] = checksum.replace("Checksum", "")
    create = get_filtered_dict(
        args, blocklisted_keys=UploadSubmissionTask.CREATE_MULTIPART_BLOCKLIST
    )
    part = get_filtered_dict(args, UploadSubmissionTask.UPLOAD_PART_ARGS)
    complete = get_filtered_dict(args, UploadSubmissionTask.COMPLETE_MULTIPART_ARGS)
    return create, part, complete


class _Parts:
    """The parts of one multipart upload, at most ``UPLOAD_CONCURRENCY`` on their way at once,
    each filled in a buffer of ``PART_SIZE`` that is filled again once S3 answered its part.

    Each part is sent whole by one ``UploadPart`` on the S3 pool. boto3's managed upload
    (s3transfer) would copy each part of a non-seekable stream into a ``BytesIO`` behind a
    ``ReadFileChunk``, which botocore then reads back three times (checksum, signature, and the
    socket in 16 KiB reads with a callback each), with a thread of its own reading our stream:
    measured, that was most of the client CPU this stream spent above boto3's own upload
    (BENCHMARKS.md 7.5). A buffer body is hashed in one call and sent in one ``sendall``.
    The arguments are split as s3transfer splits them (``_multipart_args``).

    Why reused ``bytearray`` buffers rather than a ``bytes`` joined from the chunks: a join
    holds the chunks and the part at once (one part more at every part's end), and a fresh
    8 MiB allocation per part lets glibc's dynamic mmap threshold move them onto the heap,
    whose freed memory it keeps; the buffers here are allocated once per upload, at most
    ``UPLOAD_CONCURRENCY + 1`` of them (BENCHMARKS.md 7.5, third pass). botocore sends a
    ``bytearray`` as it is over plain HTTP (the CRC32 and the SigV4 payload hash read it in
    place; urllib3 2 passes it to ``sendall``). Over HTTPS its aws-chunked trailer path
    (``botocore.httpchecksum._apply_request_trailer_checksum``) wraps the body in a
    ``BytesIO``, which copies a ``bytearray`` for the whole request but shares a ``bytes``:
    there each part is sent as a ``bytes`` copy and its buffer is free at once.
    """

    def __init__(
        self, client: Any, bucket: str, key: str, upload_id: str, part_args: dict[str, Any]
    ) -> None:
        self._client = client
        self._bucket = bucket
        self._key = key
        self._upload_id = upload_id
        self._part_args = part_args
        self._algorithm = part_args.get("ChecksumAlgorithm")
        endpoint = str(getattr(client.meta, "endpoint_url", "") or "")
        self._copy_to_bytes = endpoint.lower().startswith("https:")
        # Each part on its way, and the buffer it is sent from (None: sent from a copy).
        self._sending: dict[asyncio.Future[dict[str, Any]], bytearray | None] = {}
        self._free: list[bytearray] = []
        self._done: list[dict[str, Any]] = []
        self._number = 0
        #: Buffers allocated so far (at most ``UPLOAD_CONCURRENCY + 1``).
        self.allocated = 0

    def buffer(self) -> bytearray:
        """A buffer of ``PART_SIZE`` to fill: one whose part S3 answered, else a new one."""
        if self._free:
            return self._free.pop()
        self.allocated += 1
        return bytearray(PART_SIZE)

    async def send(self, buffer: bytearray, size: int) -> None:
        """Send ``buffer[:size]`` as the next part, once fewer than ``UPLOAD_CONCURRENCY`` are
        on their way (the download waits meanwhile: backpressure). The buffer is S3's until
        ``buffer()`` hands it out again. Raises a failed part's error."""
        self._collect()
        while len(self._sending) >= UPLOAD_CONCURRENCY:
            await asyncio.wait(self._sending, return_when=asyncio.FIRST_COMPLETED)
            self._collect()
        self._number += 1
        body: bytes | bytearray
        owner: bytearray | None
        if self._copy_to_bytes:
            body, owner = bytes(memoryview(buffer)[:size]), None
            self._free.append(buffer)
        else:
            if size < len(buffer):
                del buffer[size:]  # the last part: shrunk in place, never filled again
            body, owner = buffer, buffer
        future = asyncio.ensure_future(run_s3(self._upload_part, self._number, body))
        self._sending[future] = owner

    def _upload_part(self, number: int, body: bytes | bytearray) -> dict[str, Any]:
        response = self._client.upload_part(
            Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, PartNumber=number,
            Body=body, **self._part_args,
        )  # fmt: skip
        part = {"ETag": response["ETag"], "PartNumber": number}
        if self._algorithm:  # CompleteMultipartUpload wants each part's checksum back
            member = f"Checksum{str(self._algorithm).upper()}"
            if member in response:
                part[member] = response[member]
        return part

    def _collect(self) -> None:
        """Take the parts S3 answered and free their buffers; raise the first failure."""
        finished = [future for future in self._sending if future.done()]
        failure: BaseException | None = None
        for future in finished:
            owner = self._sending.pop(future)
            error = future.exception()  # every one retrieved, not only the first failure's
            if error is None:
                self._done.append(future.result())
                if owner is not None and len(owner) == PART_SIZE:
                    self._free.append(owner)  # botocore is done with it: it answered
            elif failure is None:
                failure = error
        if failure is not None:
            raise failure
        if finished:
            crash_point("mid_upload")  # a part of this multipart upload is in S3

    async def finish(self) -> list[dict[str, Any]]:
        """Wait for every part; return them in order for CompleteMultipartUpload."""
        while self._sending:
            await asyncio.wait(self._sending, return_when=asyncio.FIRST_COMPLETED)
            self._collect()
        self._free.clear()
        return sorted(self._done, key=lambda part: int(part["PartNumber"]))

    async def settle(self) -> None:
        """Wait for the parts still on their way, whatever their outcome (before an abort:
        a part stored after AbortMultipartUpload would stay, billed)."""
        self._free.clear()
        if self._sending:
            await asyncio.wait(self._sending)
            for future in self._sending:
                if not future.cancelled():
                    future.exception()  # retrieved: no "exception never retrieved" warning
            self._sending.clear()


async def _abort(client: Any, bucket: str, key: str, upload_id: str, parts: _Parts) -> None:
    """Abort a multipart upload after its parts on their way settled; never raises.

    Runs as a task of its own under ``asyncio.shield``: a second cancellation of the store
    cannot stop it half-way and leave the parts stored.
    """

    async def abort() -> None:
        await parts.settle()
        await run_s3(client.abort_multipart_upload, Bucket=bucket, Key=key, UploadId=upload_id)

    task = asyncio.ensure_future(abort())
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        task.add_done_callback(_log_abort_outcome(bucket, key))
        raise
    except Exception as error:
        logger.warning(
            "could not abort the multipart upload to s3://%s/%s (%s): its parts stay until a "
            "re-run stores this key or a lifecycle rule removes them",
            bucket, key, type(error).__name__,
        )  # fmt: skip


def _log_abort_outcome(bucket: str, key: str) -> Callable[[asyncio.Future[None]], None]:
    def done(task: asyncio.Future[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.warning("could not abort the multipart upload to s3://%s/%s", bucket, key)

    return done


async def _close(iterator: AsyncIterator[bytes]) -> None:
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        # Releases the HTTP connection of a download abandoned because S3 failed.
        with contextlib.suppress(Exception):
            await aclose()


async def stream_to_s3(
    chunks: AsyncIterable[bytes],
    bucket: S3Bucket,
    key: str,
    *,
    content_type: str,
    extra_args: Mapping[str, Any] | None = None,
    sha256: Callable[[], str] | None = None,
) -> StoredObject:
    """Stream byte chunks into one S3 object, in constant memory, hashing them on the way.

    An object below ``PART_SIZE`` is one ``PutObject`` of the bytes held in memory (as
    s3transfer would do after reading them): its answer proves the object (botocore sends the
    length and a checksum S3 verifies), so no HEAD follows. A larger one is a multipart upload
    with the block's S3 client, in parts of ``PART_SIZE`` with ``ExtraArgs`` split as boto3's
    managed upload splits them, at most ``UPLOAD_CONCURRENCY`` parts on their way (and one
    filling) in memory, after aborting any incomplete multipart upload a killed process left
    at the key; its size is checked with a HEAD once completed.
    If ``chunks`` raises, the upload fails or the call is cancelled, the multipart upload is
    aborted before the error propagates: no object and no incomplete upload are left.

    Args:
        chunks: The object's bytes, in order.
        bucket: The destination block; its credentials' S3 client does the upload.
        key: The key relative to ``bucket.bucket_folder``.
        content_type: The object's ``Content-Type``.
        extra_args: boto3 ExtraArgs for the upload: ``ServerSideEncryption``,
            ``SSEKMSKeyId``, ``StorageClass``, ``Metadata``, ``Tagging``... (not
            ``ContentType``).
        sha256: The hex sha256 of the bytes ``chunks`` yielded, when the caller hashes them
            already (``OutputStream.sha256``): the bytes are then not hashed a second time.

    Returns:
        The object stored, with its full key, size, sha256 and ETag.

    Raises:
        ValueError: ``key`` names no file, or ``extra_args`` has an unknown argument or
            ``ContentType``; nothing was read.
        Exception: Whatever ``chunks`` or boto3 raised, after the upload was aborted.

    Example:
        ```python
        from prefect_aws import S3Bucket
        from prefect_runway.tasks.store import stream_to_s3

        async def copy(http, url: str) -> str:
            bucket = await S3Bucket.aload("renders")
            async with http.stream("GET", url) as response:
                stored = await stream_to_s3(
                    response.aiter_raw(), bucket, "clips/intro.mp4",
                    content_type="video/mp4", extra_args={"StorageClass": "STANDARD_IA"},
                )
            return stored.uri  # s3://<bucket>/<bucket_folder>/clips/intro.mp4
        ```
    """
    full_key = resolve_key(bucket, key)
    upload_args = _upload_args(content_type, extra_args)
    client = s3_client(bucket)
    digest = None if sha256 is not None else hashlib.sha256()
    iterator = aiter(chunks)
    # Below PART_SIZE the bytes are held, as s3transfer holds them before its single PUT.
    held: list[bytes] = []
    size = 0
    try:
        async for chunk in iterator:
            if not isinstance(chunk, bytes):
                chunk = bytes(chunk)  # a reused buffer would change under us
            if digest is not None:
                digest.update(chunk)
            size += len(chunk)
            held.append(chunk)
            if size >= PART_SIZE:
                break
        else:
            crash_point("mid_upload")  # every byte received, nothing sent to S3
            body = b"".join(held)
            held.clear()
            response = await run_s3(
                client.put_object, Bucket=bucket.bucket_name, Key=full_key, Body=body,
                **upload_args,
            )  # fmt: skip
            etag = response.get("ETag")
            return _stored(
                bucket, full_key, size=size,
                sha256=sha256() if sha256 is not None else _hex(digest),
                content_type=content_type, etag=etag,
            )  # fmt: skip
    except (Exception, asyncio.CancelledError):
        await _close(iterator)
        raise
    await _abort_stale_uploads(bucket, full_key)
    return await _multipart(
        held, iterator, client, bucket, full_key, upload_args, content_type, digest, size, sha256
    )


def _hex(digest: Any) -> str:
    assert digest is not None
    return str(digest.hexdigest())


async def _multipart(
    held: list[bytes],
    iterator: AsyncIterator[bytes],
    client: Any,
    bucket: S3Bucket,
    full_key: str,
    upload_args: dict[str, Any],
    content_type: str,
    digest: Any,
    size: int,
    sha256: Callable[[], str] | None,
) -> StoredObject:
    """The rest of ``stream_to_s3`` for an object of ``PART_SIZE`` or more: the bytes held
    first, then the rest of ``iterator``, as parts of exactly ``PART_SIZE`` (the last one
    shorter) sent as they fill."""
    name = bucket.bucket_name
    create_args, part_args, complete_args = _multipart_args(client, upload_args)
    try:
        created = await run_s3(
            client.create_multipart_upload, Bucket=name, Key=full_key, **create_args
        )
    except (Exception, asyncio.CancelledError):
        await _close(iterator)
        raise
    upload_id = str(created["UploadId"])
    parts = _Parts(client, name, full_key, upload_id, part_args)
    # The part being filled: each network chunk is copied into it once, the one copy of the
    # bytes between the socket and the request.
    buffer = parts.buffer()
    filled = 0
    try:
        held.reverse()
        while held:  # each held chunk let go once copied: they and the part are not both kept
            buffer, filled = await _fill(parts, buffer, filled, held.pop())
        async for chunk in iterator:
            if digest is not None:
                digest.update(chunk)
            size += len(chunk)
            buffer, filled = await _fill(parts, buffer, filled, chunk)
        if filled:
            await parts.send(buffer, filled)
        buffer = bytearray()  # the last part's buffer is S3's; an unused one is let go
        done = await parts.finish()
        crash_point("mid_upload")  # every part stored, the upload not completed
        await run_s3(
            client.complete_multipart_upload, Bucket=name, Key=full_key, UploadId=upload_id,
            MultipartUpload={"Parts": done}, **complete_args,
        )  # fmt: skip
    except (Exception, asyncio.CancelledError):
        await _close(iterator)
        await _abort(client, name, full_key, upload_id, parts)
        raise

    head = await run_s3(client.head_object, Bucket=name, Key=full_key)
    stored_size = int(head["ContentLength"])
    if stored_size != size:
        # Should never happen; a wrong object must not stay where a good one is expected.
        await run_s3(client.delete_object, Bucket=name, Key=full_key)
        raise RuntimeError(f"{full_key}: S3 holds {stored_size} bytes, {size} were sent")
    etag = head.get("ETag")
    return _stored(
        bucket, full_key, size=size, sha256=sha256() if sha256 is not None else _hex(digest),
        content_type=content_type, etag=etag,
    )  # fmt: skip


async def _fill(
    parts: _Parts, buffer: bytearray, filled: int, chunk: bytes
) -> tuple[bytearray, int]:
    """Copy ``chunk`` into the part being filled; send each part that reaches ``PART_SIZE``.

    Every byte of ``chunk`` is copied before this returns (a source may then reuse it).

    Returns:
        The part being filled now and the bytes in it.
    """
    view = memoryview(chunk)
    while filled + len(view) >= PART_SIZE:
        cut = PART_SIZE - filled
        buffer[filled:PART_SIZE] = view[:cut]
        await parts.send(buffer, PART_SIZE)
        buffer, filled, view = parts.buffer(), 0, view[cut:]
    if view:
        end = filled + len(view)
        buffer[filled:end] = view
        filled = end
    return buffer, filled


async def store_output(
    stream: OutputStream,
    bucket: S3Bucket,
    key_without_extension: str,
    *,
    extra_args: Mapping[str, Any] | None = None,
    expected: OutputKind | None = None,
    log_stored: bool = True,
) -> StoredObject:
    """Store one Runway output in S3 as ``{key_without_extension}.{ext}``.

    The Content-Type and the extension come from the download's response, so the upload
    starts once the first chunk arrived. A response that names no known type
    (``binary/octet-stream``) is stored as ``expected`` says (the request's output kind,
    ``prefect_runway.api.catalogue.output_kind``), else by its URL's extension. The size
    Runway's server announced is checked before the upload completes: a short or long output
    is never stored.

    Args:
        stream: The output's download (``RunwayClient.output_stream``), not yet started.
        bucket: The destination block.
        key_without_extension: The key relative to ``bucket.bucket_folder``, without extension.
        extra_args: boto3 ExtraArgs (SSE, StorageClass, Metadata...; not ContentType).
        expected: What the request produces, for a response of no known type.
        log_stored: Log a "stored" line (object, size, sha256). ``generate`` passes False and
            reports the generation in one line of its own (with its credits): a second line
            per output costs the flow process about 1 ms of CPU for nothing new (issue 20).
            A failure is logged either way.

    Returns:
        The stored object.

    Raises:
        runway.OutputDownloadFailed: The download failed for good, or the output is empty or
            not the announced size; nothing was stored.
        runway.OutputLinkRejected: The link stayed rejected after a refresh.
        botocore.exceptions.ClientError: S3 refused the upload (aborted).

    Example:
        ```python
        from prefect_runway.tasks.store import store_output

        async def keep(client, task, bucket) -> str:
            async def fresh_link() -> str:
                return (await client.get_task(task.id)).output[0]

            stream = client.output_stream(task.output[0], refresh=fresh_link)
            stored = await store_output(stream, bucket, f"renders/{task.id}")
            return stored.uri  # s3://<bucket>/<bucket_folder>/renders/<task id>.mp4
        ```
    """
    _upload_args(_DEFAULT_CONTENT_TYPE, extra_args)  # refuse bad arguments before downloading
    resolve_key(bucket, key_without_extension)  # a bad key fails before the download starts
    try:
        stored = await _store(stream, bucket, key_without_extension, extra_args, expected)
    except Exception as error:
        # The type only: an exception's text is not ours to vouch for (it could hold a URL).
        logger.warning(
            "storing %s failed (%s); nothing was stored", stream.url, type(error).__name__
        )
        raise
    if log_stored:
        logger.info("stored %s: %d bytes, sha256 %s", stored.uri, stored.size, stored.sha256)
    return stored


async def _store(
    stream: OutputStream,
    bucket: S3Bucket,
    key_without_extension: str,
    extra_args: Mapping[str, Any] | None,
    expected: OutputKind | None = None,
) -> StoredObject:
    iterator = aiter(stream)
    try:
        first = await anext(iterator)
    except StopAsyncIteration:
        first = b""
    if not first:
        await _close(iterator)
        raise OutputDownloadFailed(url=stream.url, cause="the output is empty")
    crash_point("mid_download")  # the download started, nothing sent to S3 yet
    # Known only now that the server answered: the type and the extension come from it.
    content_type = _media_type(stream.content_type) or _DEFAULT_CONTENT_TYPE
    extension = output_extension(stream.content_type, stream.url)
    if expected is not None and content_type not in EXTENSIONS:
        # No known type in the answer: the request says what it makes (a URL's name need not).
        content_type, extension = expected.content_type, expected.extension
    key = f"{key_without_extension}.{extension}"
    if stream.size is None or stream.size >= PART_SIZE:
        # Announced only for a transfer that takes a while (a multipart upload, or a size not
        # known): a smaller one is one PUT, and its "stored" line follows at once (issue 20:
        # each line costs the flow process about 1 ms of CPU).
        logger.info(
            "storing %s (%s, %s bytes) as %s",
            stream.url,
            content_type,
            stream.size if stream.size is not None else "unknown",
            _uri(bucket, resolve_key(bucket, key)),
        )

    async def checked() -> AsyncIterator[bytes]:
        try:
            yield first
            async for chunk in iterator:
                yield chunk
        finally:
            await _close(iterator)
        # Before the end is signalled, so a wrong size aborts the upload instead of storing.
        if stream.size is not None and stream.received != stream.size:
            raise OutputDownloadFailed(
                url=stream.url,
                cause=f"{stream.received} bytes received, {stream.size} announced",
            )

    # The download hashes what it yields (``OutputStream.sha256``, checked against the size
    # Runway announced): the upload does not hash the same bytes again.
    stored = await stream_to_s3(
        checked(), bucket, key, content_type=content_type, extra_args=extra_args,
        sha256=lambda: stream.sha256,
    )  # fmt: skip
    if stored.size != stream.received or (stream.size is not None and stored.size != stream.size):
        # Cannot happen unless this module has a bug; a wrong object must not look stored.
        client = s3_client(bucket)
        await run_s3(client.delete_object, Bucket=stored.bucket, Key=stored.key)
        raise RuntimeError(f"{stored.uri}: the stored bytes differ from the download")
    return stored


async def _abort_stale_uploads(bucket: S3Bucket, full_key: str) -> None:
    """Abort the incomplete multipart uploads to exactly this key.

    Only a process killed mid-upload leaves one (any other failure aborts its own); its parts
    are stored, and billed, invisibly. Whoever stores this key again is its heir. A listing
    that fails only costs the clean-up, never the store.
    """
    client = s3_client(bucket)

    def abort() -> int:
        listed = client.list_multipart_uploads(Bucket=bucket.bucket_name, Prefix=full_key)
        stale = [u for u in listed.get("Uploads", []) if u.get("Key") == full_key]
        for upload in stale:
            client.abort_multipart_upload(
                Bucket=bucket.bucket_name, Key=full_key, UploadId=upload["UploadId"]
            )
        return len(stale)

    try:
        aborted = await run_s3(abort)
    except Exception as error:
        logger.info("could not look for stale uploads to %s (%s)", full_key, type(error).__name__)
        return
    if aborted:
        logger.info("aborted %d incomplete multipart upload(s) to %s left by a crash",
                    aborted, _uri(bucket, full_key))  # fmt: skip


def _is_missing(error: Exception) -> bool:
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return False
    return str(response.get("Error", {}).get("Code", "")) in _MISSING_CODES


async def write_sidecar(
    bucket: S3Bucket,
    key: str,
    sidecar: Mapping[str, Any],
    *,
    extra_args: Mapping[str, Any] | None = None,
) -> StoredObject:
    """Write a generation's sidecar: JSON with sorted keys, indented, ``application/json``.

    Args:
        bucket: The destination block.
        key: The key relative to ``bucket.bucket_folder`` (e.g. ``renders/harbour.json``).
        sidecar: JSON-able values; datetimes, UUIDs and pydantic models are converted.
        extra_args: boto3 ExtraArgs, e.g. the outputs' SSE settings where a bucket policy
            requires them on every object.

    Returns:
        The stored sidecar.

    Example:
        ```python
        stored = await write_sidecar(bucket, "renders/harbour.json", {"task_id": "abc"})
        assert await read_sidecar(bucket, "renders/harbour.json") == {"task_id": "abc"}
        ```
    """
    full_key = resolve_key(bucket, key)
    args = _upload_args(_SIDECAR_CONTENT_TYPE, extra_args)
    body = (
        json.dumps(to_jsonable_python(sidecar), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    ).encode("utf-8")
    client = s3_client(bucket)
    # The sidecar is what makes a stored output count as stored: worth more than botocore's
    # own few retries. Rewriting the same bytes is harmless.
    response = await retry_storage(
        lambda: run_s3(
            client.put_object, Bucket=bucket.bucket_name, Key=full_key, Body=body, **args
        ),
        what=_uri(bucket, full_key),
    )
    etag = response.get("ETag")
    return _stored(
        bucket, full_key, size=len(body), sha256=hashlib.sha256(body).hexdigest(),
        content_type=_SIDECAR_CONTENT_TYPE, etag=etag,
    )  # fmt: skip


async def read_sidecar(bucket: S3Bucket, key: str) -> dict[str, Any] | None:
    """Read a sidecar written by ``write_sidecar``; None when there is none.

    Only "no such key" means absent. Any other error (access denied, throttling, a network
    failure) raises: taking it for "absent" would generate, and pay for, the output again.

    Args:
        bucket: The destination block.
        key: The key relative to ``bucket.bucket_folder``.

    Returns:
        The sidecar, or None.

    Raises:
        botocore.exceptions.ClientError: S3 failed other than with NoSuchKey/404.
        ValueError: The object is not a JSON object.

    Example:
        ```python
        sidecar = await read_sidecar(bucket, "renders/harbour.json")
        if sidecar is not None:
            print("already stored:", sidecar["output_uri"])
        ```
    """
    full_key = resolve_key(bucket, key)
    client = s3_client(bucket)

    def get() -> bytes | None:
        try:
            response = client.get_object(Bucket=bucket.bucket_name, Key=full_key)
        except Exception as error:
            if _is_missing(error):
                return None
            raise
        body: bytes = response["Body"].read()
        return body

    body = await run_s3(get)
    if body is None:
        return None
    value = json.loads(body)
    if not isinstance(value, dict):
        raise ValueError(f"{_uri(bucket, full_key)} is not a JSON object")
    return value
