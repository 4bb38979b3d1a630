"""Storing outputs in S3: streamed, hashed, multipart, in constant memory, never half-written.

An output goes from its signed URL into S3 as it downloads: nothing touches the disk and memory
stays bounded whatever the output's size. The bridge between the async download and boto3's
(synchronous, threaded) managed upload::

    download chunks (event loop)
      -> _ChunkPipe: a queue bounded in bytes (PIPE_BYTES), a RawIOBase to its reader
      -> io.BufferedReader: full reads, so s3transfer sees a stream longer than its threshold
      -> s3transfer in an upload thread: PART_SIZE parts, at most IN_MEMORY_PARTS held at once

Backpressure runs the other way: when S3 is slower than the download, s3transfer stops reading
once ``IN_MEMORY_PARTS`` parts wait for a connection, the pipe fills, the download loop waits
for room before it takes the next chunk off the socket, and TCP flow control slows the sender.

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
import io
import json
import logging
import re
import threading
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from boto3.s3.transfer import (  # type: ignore[import-untyped, unused-ignore]
    S3Transfer,
    TransferConfig,
    create_transfer_manager,
)
from prefect_aws import S3Bucket
from pydantic import BaseModel, ConfigDict
from pydantic_core import to_jsonable_python

from prefect_runway.api.catalogue import OutputKind
from prefect_runway.api.download import OutputStream
from prefect_runway.api.errors import OutputDownloadFailed
from prefect_runway.tasks._crash import crash_point
from prefect_runway.tasks._retry import retry_storage
from prefect_runway.tasks.s3io import run_s3, s3_client

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = [
    "IN_MEMORY_PARTS",
    "PART_SIZE",
    "PIPE_BYTES",
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
#: Parts uploaded at once.
UPLOAD_CONCURRENCY = 2
#: Parts s3transfer may hold in memory (queued or uploading). boto3's default of 10 would let
#: 80 MiB pile up whenever S3 is slower than the download.
IN_MEMORY_PARTS = 2
#: Bytes the pipe between the download and the upload thread may hold.
PIPE_BYTES = 2 * MiB

#: Bytes handed to the upload after which its multipart upload certainly exists: s3transfer
#: holds at most IN_MEMORY_PARTS parts before it must send one, and the pipe and the reader's
#: buffer hold the rest (for the ``mid_upload`` crash point).
_MULTIPART_UNDER_WAY = (IN_MEMORY_PARTS + 1) * PART_SIZE + PIPE_BYTES + 256 * 1024

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


def _transfer_config() -> Any:
    config = TransferConfig(
        multipart_threshold=PART_SIZE,
        multipart_chunksize=PART_SIZE,
        max_concurrency=UPLOAD_CONCURRENCY,
        use_threads=True,
        # The CRT client (used by "auto" when awscrt is installed) manages its own buffers
        # and ignores the memory cap below.
        preferred_transfer_client="classic",
    )
    # TransferConfig's constructor refuses this argument (TypeError), but s3transfer reads the
    # attribute: it bounds the parts held in memory for a non-seekable stream.
    config.max_in_memory_upload_chunks = IN_MEMORY_PARTS
    return config


class _Transfer(Protocol):
    def done(self) -> bool: ...


class _SourceFailed(Exception):
    """Raised to s3transfer when the data source failed; the upload aborts."""


class _UploadEnded(Exception):
    """The upload thread is over before the data was: its own outcome says why."""


class _ChunkPipe(io.RawIOBase):
    """Byte chunks fed from the event loop, read by s3transfer in another thread.

    The writer side is async and never blocks the loop: when the pipe holds ``capacity`` bytes
    it awaits an event the reader sets (through ``call_soon_threadsafe``) once it took some.
    The reader side blocks on a condition until there is data, the end, or a failure.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, capacity: int) -> None:
        super().__init__()
        self._loop = loop
        self._capacity = capacity
        self._cond = threading.Condition()
        self._chunks: deque[memoryview] = deque()
        self._buffered = 0
        self._eof = False
        self._failure: BaseException | None = None
        self._upload_over = False
        self._writer_waiting = False
        self._reader_waiting = False
        self._room = asyncio.Event()
        self._transfer: _Transfer | None = None

    def readable(self) -> bool:
        return True

    def watch(self, transfer: _Transfer) -> None:
        """Stop reading once ``transfer`` is done (a part failed): s3transfer would otherwise
        read, and so download, the rest of the stream before it reports the failure."""
        with self._cond:
            self._transfer = transfer

    def readinto(self, buffer: WriteableBuffer) -> int:
        target = memoryview(buffer).cast("B")
        if not target:
            return 0
        with self._cond:
            while True:
                if self._failure is not None:
                    raise _SourceFailed(f"the data source failed: {type(self._failure).__name__}")
                if self._transfer is not None and self._transfer.done():
                    raise _SourceFailed("the upload failed; reading stopped")
                if self._chunks:
                    break
                if self._eof:
                    return 0
                self._reader_waiting = True
                self._cond.wait()
                self._reader_waiting = False
            filled = 0
            while self._chunks and filled < len(target):
                chunk = self._chunks[0]
                take = min(len(chunk), len(target) - filled)
                target[filled : filled + take] = chunk[:take]
                filled += take
                if take == len(chunk):
                    self._chunks.popleft()
                else:
                    self._chunks[0] = chunk[take:]
            self._buffered -= filled
            if self._writer_waiting:
                self._writer_waiting = False
                with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits
                    self._loop.call_soon_threadsafe(self._room.set)
            return filled

    async def feed(self, chunk: bytes) -> None:
        """Queue ``chunk``, waiting while the pipe is full.

        Raises:
            _UploadEnded: The upload thread finished (it failed) and will read no more.
        """
        view = memoryview(chunk)
        while True:
            with self._cond:
                if self._upload_over:
                    raise _UploadEnded
                # One chunk may take the pipe past its capacity: chunks are network reads of
                # at most a few hundred KiB, and refusing a chunk larger than the room would
                # wait forever.
                if self._buffered < self._capacity:
                    self._chunks.append(view)
                    self._buffered += len(view)
                    # A notification per network chunk is most of the pipe's cost; only a
                    # reader that waits needs one (it checks for chunks under the lock).
                    if self._reader_waiting:
                        self._cond.notify_all()
                    return
                self._writer_waiting = True
                self._room.clear()
            await self._room.wait()

    def finish(self) -> None:
        """No more data: the reader sees the end once it has read what is queued."""
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def fail(self, error: BaseException) -> None:
        """The source failed: the reader raises at its next read, so s3transfer aborts."""
        with self._cond:
            if self._failure is None:
                self._failure = error
            self._chunks.clear()
            self._buffered = 0
            self._cond.notify_all()

    def end_if_open(self) -> None:
        """Never leave the reader waiting for data that will not come."""
        with self._cond:
            if not self._eof and self._failure is None:
                self._failure = RuntimeError("the data source stopped")
                self._cond.notify_all()

    def upload_over(self) -> None:
        """Called on the loop when the upload thread ends: wake a writer waiting for room."""
        with self._cond:
            self._upload_over = True
        self._room.set()


def _in_thread(
    loop: asyncio.AbstractEventLoop, function: Callable[[], None], name: str
) -> asyncio.Future[None]:
    """Run ``function`` in a thread of its own; the future settles on ``loop`` when it ends.

    A dedicated thread rather than the loop's default executor: an upload holds its thread for
    as long as the download lasts, and a batch of them would starve every ``to_thread`` call.
    """
    future: asyncio.Future[None] = loop.create_future()

    def settle(error: BaseException | None) -> None:
        if future.done():
            return
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)

    def run() -> None:
        outcome: BaseException | None = None
        try:
            function()
        except BaseException as error:  # handed to the loop, which re-raises it
            outcome = error
        with contextlib.suppress(RuntimeError):  # the loop was closed: nobody is waiting
            loop.call_soon_threadsafe(settle, outcome)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future


def _upload(client: Any, pipe: _ChunkPipe, bucket: str, key: str, args: dict[str, Any]) -> None:
    """boto3's managed upload (what ``upload_fileobj`` does), reading from the pipe.

    The transfer manager is used directly, rather than through ``upload_fileobj``, to hand its
    future to the pipe so reading stops as soon as a part fails.
    """
    # BufferedReader.read(n) returns n bytes unless the stream ended; the pipe's own reads are
    # short. s3transfer reads the threshold once to decide between one PUT and a multipart
    # upload: a short first read makes it PUT, after reading the whole stream into memory.
    reader = io.BufferedReader(pipe, buffer_size=256 * 1024)
    with create_transfer_manager(client, _transfer_config()) as manager:
        transfer = manager.upload(fileobj=reader, bucket=bucket, key=key, extra_args=args)
        pipe.watch(transfer)
        # On failure this raises after s3transfer ran its cleanups: AbortMultipartUpload.
        transfer.result()


async def _settle(upload: asyncio.Future[None]) -> None:
    """Wait for the upload thread to finish (and abort) after a failure, ignoring its error."""
    with contextlib.suppress(Exception):
        await asyncio.shield(upload)


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
    length and a checksum S3 verifies), so no HEAD follows. A larger one is boto3's managed
    multipart transfer, with the block's S3 client, at most ``IN_MEMORY_PARTS`` parts in
    memory, after aborting any incomplete multipart upload a killed process left at the key.
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
    first, then the rest of ``iterator``, through boto3's managed transfer."""
    loop = asyncio.get_running_loop()
    pipe = _ChunkPipe(loop, PIPE_BYTES)
    upload = _in_thread(
        loop,
        lambda: _upload(client, pipe, bucket.bucket_name, full_key, upload_args),
        name=f"s3-upload {full_key}",
    )
    upload.add_done_callback(lambda _: pipe.upload_over())
    try:
        for chunk in held:
            await pipe.feed(chunk)
        held.clear()
        async for chunk in iterator:
            if not isinstance(chunk, bytes):
                chunk = bytes(chunk)  # the pipe keeps a view: a reused buffer would change
            if digest is not None:
                digest.update(chunk)
            size += len(chunk)
            await pipe.feed(chunk)
            if size > _MULTIPART_UNDER_WAY:
                crash_point("mid_upload")  # parts of a multipart upload are in S3 by now
        crash_point("mid_upload")  # every byte handed over, the upload not completed
        pipe.finish()
    except _UploadEnded:
        # The upload failed (and aborted) while data was still coming: its error is the one.
        await _close(iterator)
        await upload
        raise RuntimeError(f"the upload of {full_key} ended before its data") from None
    except (Exception, asyncio.CancelledError) as error:
        pipe.fail(error)
        await _close(iterator)
        await _settle(upload)
        raise
    finally:
        pipe.end_if_open()  # e.g. KeyboardInterrupt, or this coroutine closed unfinished
    await upload

    head = await run_s3(client.head_object, Bucket=bucket.bucket_name, Key=full_key)
    stored_size = int(head["ContentLength"])
    if stored_size != size:
        # Should never happen; a wrong object must not stay where a good one is expected.
        await run_s3(client.delete_object, Bucket=bucket.bucket_name, Key=full_key)
        raise RuntimeError(f"{full_key}: S3 holds {stored_size} bytes, {size} were sent")
    etag = head.get("ETag")
    return _stored(
        bucket, full_key, size=size, sha256=sha256() if sha256 is not None else _hex(digest),
        content_type=content_type, etag=etag,
    )  # fmt: skip


async def store_output(
    stream: OutputStream,
    bucket: S3Bucket,
    key_without_extension: str,
    *,
    extra_args: Mapping[str, Any] | None = None,
    expected: OutputKind | None = None,
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
