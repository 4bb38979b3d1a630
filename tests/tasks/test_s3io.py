"""The S3 pool (issue 20): S3 calls run on their own bounded threads, and the client they use
has a connection pool at least that large, built by prefect-aws from the user's block."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from prefect_aws import AwsCredentials, S3Bucket
from prefect_aws.client_parameters import AwsClientParameters

from prefect_runway.tasks import s3io
from prefect_runway.tasks.s3io import S3_THREADS, pooled_credentials, run_s3, s3_client


def _credentials(**config: object) -> AwsCredentials:
    return AwsCredentials(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
        aws_client_parameters=AwsClientParameters(
            endpoint_url="http://127.0.0.1:9", config=dict(config) or None
        ),
    )


def test_a_default_block_gets_a_pool_as_large_as_the_threads_and_keeps_its_own_config() -> None:
    credentials = _credentials(s3={"addressing_style": "path"})
    client = s3_client(credentials)
    assert client.meta.config.max_pool_connections == S3_THREADS
    assert client.meta.config.s3 == {"addressing_style": "path"}  # the user's config kept
    assert client.meta.endpoint_url == "http://127.0.0.1:9"
    # The block itself is not changed, and prefect-aws caches the pooled client: one client
    # (one connection pool) per block, however many calls ask for it.
    assert credentials.aws_client_parameters.config == {"s3": {"addressing_style": "path"}}
    assert s3_client(credentials) is client
    assert s3_client(S3Bucket(bucket_name="b", credentials=credentials)) is client


def test_a_block_whose_pool_is_large_enough_is_used_as_it_is() -> None:
    credentials = _credentials(max_pool_connections=S3_THREADS + 1)
    assert pooled_credentials(credentials) is credentials
    assert s3_client(credentials) is credentials.get_s3_client()
    smaller = _credentials(max_pool_connections=S3_THREADS - 1)
    assert pooled_credentials(smaller) is not smaller
    assert s3_client(smaller).meta.config.max_pool_connections == S3_THREADS


def test_the_test_buckets_client_is_the_one_the_package_uses(s3_bucket: S3Bucket) -> None:
    # Tests and the storm hook faults and counters on ``credentials.get_s3_client()``: were
    # the package to use another client, they would pass without seeing a request.
    assert s3_client(s3_bucket) is s3_bucket.credentials.get_s3_client()


async def test_s3_calls_run_on_their_own_threads_at_most_s3_threads_at_once() -> None:
    lock = threading.Lock()
    release = threading.Event()
    active = 0
    peak = 0
    names: set[str] = set()

    def call() -> None:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
            names.add(threading.current_thread().name)
        assert release.wait(60), "never released"
        with lock:
            active -= 1

    calls = [asyncio.ensure_future(run_s3(call)) for _ in range(S3_THREADS + 8)]
    for _ in range(6000):  # until the pool is full (a condition, not a time)
        if active >= S3_THREADS:
            break
        await asyncio.sleep(0.01)
    with lock:
        full = active
    release.set()
    await asyncio.gather(*calls)
    assert full == S3_THREADS
    assert peak == S3_THREADS  # the 8 beyond it waited for a thread
    assert all(name.startswith("runway-s3") for name in names)
    assert s3io._pool() is s3io._pool()  # one pool per process


def _expect_headers(client: Any, puts: dict[str, bytes], bucket: str) -> dict[str, str | None]:
    """Each PUT's ``Expect`` header as sent (read from the prepared request, after signing)."""
    sent: dict[str, str | None] = {}

    def record(request: Any, **_: Any) -> None:
        key = request.url.rsplit("/", 1)[-1]
        expect = request.headers.get("Expect")
        sent[key] = expect.decode() if isinstance(expect, bytes) else expect

    client.meta.events.register("before-send.s3.PutObject", record)
    try:
        for key, body in puts.items():
            client.put_object(Bucket=bucket, Key=key, Body=body)
    finally:
        client.meta.events.unregister("before-send.s3.PutObject", record)
    return sent


def test_small_bodies_go_without_expect_continue_large_ones_keep_it(s3_bucket: S3Bucket) -> None:
    # botocore asks every PUT to wait for "100 Continue": a round trip, and the interim answer
    # read a byte per recv (issue 20). A small body goes at once; a large one still waits.
    client = s3_client(s3_bucket)
    name = s3_bucket.bucket_name
    large = b"L" * s3io.EXPECT_CONTINUE_BYTES
    puts = {"ledger.json": b"{}" * 300, "output.mp4": b"o" * 1_000_000, "large.mp4": large}
    sent = _expect_headers(client, puts, name)
    assert sent == {"ledger.json": None, "output.mp4": None, "large.mp4": "100-continue"}
    for key, body in puts.items():  # stored whole either way
        assert client.get_object(Bucket=name, Key=key)["Body"].read() == body


def test_over_https_the_decoded_length_decides() -> None:
    # Over HTTPS botocore sends the body aws-chunked (a wrapper with no length); the header
    # X-Amz-Decoded-Content-Length carries the body's. Answered before it leaves the process.
    from botocore.awsrequest import AWSResponse

    client = s3_client(
        AwsCredentials(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
            aws_client_parameters=AwsClientParameters(endpoint_url="https://s3.example.invalid"),
        )
    )

    class _Raw:
        def stream(self, **_: Any) -> Any:
            return iter([b""])

    def answer(request: Any, **_: Any) -> AWSResponse:
        assert request.headers.get("X-Amz-Decoded-Content-Length") is not None
        return AWSResponse(request.url, 200, {"ETag": '"e"'}, _Raw())

    client.meta.events.register_last("before-send.s3.PutObject", answer)
    try:
        sent = _expect_headers(
            client, {"small": b"s" * 600, "large": b"L" * s3io.EXPECT_CONTINUE_BYTES}, "b"
        )
    finally:
        client.meta.events.unregister("before-send.s3.PutObject", answer)
    assert sent == {"small": None, "large": "100-continue"}
