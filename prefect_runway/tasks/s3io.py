"""Where a generation's S3 calls run: one bounded thread pool, and a boto3 client whose
connection pool is at least that pool.

boto3 calls block, so each one runs in a thread. asyncio's default executor has
``min(32, cpus + 4)`` threads (6 on 2 cores) and is shared with everything else a flow sends
to a thread (probing media, reading files): a batch at concurrency 20 queued its ledger writes
behind each other there (issue 20). S3 calls get their own pool instead, of
``RUNWAY_S3_THREADS`` threads (default 32, started only as they are needed), so neither starves
the other.

botocore's connection pool defaults to 10 connections per client: with more threads than
connections, the extra calls open a connection, use it once and throw it away ("Connection
pool is full, discarding connection"), a new TCP (and TLS) handshake per request. The client
``s3_client`` hands out is the block's own client when its ``max_pool_connections`` is already
large enough, else the same block's client with the pool raised to the thread count: a copy of
the credentials, so prefect-aws builds it (endpoint, region, role, user config kept) and caches
it like any other.

botocore sends every PutObject and UploadPart with ``Expect: 100-continue`` (it turns even a
``bytes`` body into a file object first), and then waits for the server's interim answer before
the body goes out: one more round trip per request, and an interim answer read one byte per
``recv`` call. The clients ``s3_client`` hands out send bodies below ``EXPECT_CONTINUE_BYTES``
(2 MiB, the threshold AWS's Go and Kotlin SDKs use) without it: the ledger's entries, the
sidecars, the outputs of one PUT below 2 MiB. What the header buys, a refusal before the body
is sent, is worth nothing for a body this small; larger bodies and the multipart upload's parts
keep it (issue 20: about 0.2 ms of the flow's CPU per request on loopback, and a round trip).
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from botocore.utils import determine_content_length  # type: ignore[import-untyped, unused-ignore]

__all__ = ["EXPECT_CONTINUE_BYTES", "S3_THREADS", "pooled_credentials", "run_s3", "s3_client"]

_T = TypeVar("_T")

#: Threads of the S3 pool, and so the smallest connection pool ``s3_client`` gives a client.
S3_THREADS = max(1, int(os.environ.get("RUNWAY_S3_THREADS", "32")))

#: botocore's own default (``botocore.config.Config.max_pool_connections``).
_BOTOCORE_POOL = 10

#: Request bodies from this size on keep botocore's ``Expect: 100-continue``; smaller ones are
#: sent with their headers (the default threshold of AWS's Go v2 and Kotlin SDKs).
EXPECT_CONTINUE_BYTES = 2 * 1024 * 1024

#: botocore's registration id of ``_small_body_without_expect``: registering again is a no-op.
_NO_EXPECT_ID = "prefect-runway-small-body-no-expect"

_executor: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        # Created on first use (not at import): an import must not start threads, and a forked
        # worker process gets a pool of its own.
        _executor = ThreadPoolExecutor(max_workers=S3_THREADS, thread_name_prefix="runway-s3")
    return _executor


async def run_s3(function: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
    """Run a blocking S3 call on the S3 pool, as ``asyncio.to_thread`` runs one on the default.

    Example:
        ```python
        head = await run_s3(client.head_object, Bucket="renders", Key="harbour.mp4")
        ```
    """
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_pool(), functools.partial(function, *args, **kwargs))


def pooled_credentials(credentials: Any, pool: int = S3_THREADS) -> Any:
    """The credentials block, with a botocore connection pool of at least ``pool``.

    Returned as they are when their client config asks for that many already (or they are not
    prefect-aws credentials); else a copy whose ``aws_client_parameters.config`` adds
    ``max_pool_connections`` to what the user set.
    """
    parameters = getattr(credentials, "aws_client_parameters", None)
    if parameters is None or not hasattr(credentials, "model_copy"):
        return credentials
    config = dict(parameters.config or {})
    if int(config.get("max_pool_connections", _BOTOCORE_POOL)) >= pool:
        return credentials
    config["max_pool_connections"] = pool
    return credentials.model_copy(
        update={"aws_client_parameters": parameters.model_copy(update={"config": config})}
    )


def s3_client(bucket: Any) -> Any:
    """The S3 client of an ``S3Bucket`` block (or credentials), pooled for the S3 threads.

    prefect-aws caches clients by the credentials' fields, so every call for one block returns
    the same client (boto3 clients are thread-safe).

    Example:
        ```python
        client = s3_client(bucket)
        await run_s3(client.put_object, Bucket=bucket.bucket_name, Key="a.json", Body=b"{}")
        ```
    """
    credentials = getattr(bucket, "credentials", bucket)
    client = pooled_credentials(credentials).get_s3_client()
    # Once per client (the unique id makes a second registration a no-op); after botocore's
    # own handlers, which add the header before signing (SigV4 never signs ``Expect``).
    client.meta.events.register_last(
        "before-sign.s3", _small_body_without_expect, unique_id=_NO_EXPECT_ID
    )
    return client


def _small_body_without_expect(request: Any, **_: Any) -> None:
    """botocore ``before-sign`` handler: drop ``Expect: 100-continue`` from a small body."""
    if "Expect" not in request.headers:
        return
    # Over HTTPS botocore sends the body aws-chunked (its checksum in a trailer): a wrapper with
    # no length, the body's own length in this header.
    decoded = request.headers.get("X-Amz-Decoded-Content-Length")
    size = int(decoded) if decoded is not None else determine_content_length(request.body)
    if size is not None and size < EXPECT_CONTINUE_BYTES:
        del request.headers["Expect"]
