"""The client against the emulator over real HTTP: every endpoint and every row of the matrix."""

from __future__ import annotations

import asyncio
import collections
import hashlib
import io
import logging
import pickle
import socket
import ssl
from typing import Any

import av
import httpx
import pytest

from prefect_runway.api import (
    COMETAPI,
    ActTwoCharacterPerformance,
    AmbiguousSubmission,
    AuthenticationFailed,
    BadRequest,
    CharacterImage,
    CreateRateLimited,
    DailyLimitReached,
    Gen4TurboImageToVideo,
    OutputLinkRejected,
    PermissionDenied,
    ReferenceVideo,
    RetryPolicy,
    RunwayClient,
    RunwayConnectionError,
    TaskNotFound,
    TaskStatus,
)
from prefect_runway.testing.emulator import EmulatorConfig, Fault, FaultPlan, RunwayEmulator
from tests.conftest import FAST_RETRY
from tests.media_samples import png_data_uri

IMAGE = png_data_uri()


def i2v(**overrides: object) -> Gen4TurboImageToVideo:
    fields: dict[str, object] = {"prompt_image": IMAGE, "ratio": "1280:720", "duration": 2}
    fields.update(overrides)
    return Gen4TurboImageToVideo(**fields)  # type: ignore[arg-type]


async def until_succeeded(client: RunwayClient, task_id: str) -> None:
    for _ in range(400):
        task = await client.get_task(task_id)
        if task.status is TaskStatus.SUCCEEDED:
            return
        assert not task.is_terminal, task
        await asyncio.sleep(0.02)
    raise AssertionError(f"task {task_id} did not succeed")


async def download(client: RunwayClient, url: str, **kwargs: object) -> tuple[bytes, object]:
    stream = client.output_stream(url, **kwargs)  # type: ignore[arg-type]
    body = bytearray()
    async for chunk in stream:
        body += chunk
    assert stream.sha256 == hashlib.sha256(body).hexdigest()
    return bytes(body), stream


def output_sha256(emulator: RunwayEmulator, task_id: str) -> str:
    return str(emulator.task(task_id)["outputs"][0]["sha256"])


# -- the happy paths -----------------------------------------------------------------------


async def test_image_to_video_end_to_end(client: RunwayClient, emulator: RunwayEmulator) -> None:
    created = await client.create(i2v(prompt_text="a slow pan"))
    assert created.estimated_cost is not None and created.estimated_cost.credits == 10
    await until_succeeded(client, created.id)
    task = await client.get_task(created.id)
    assert task.cost is not None and task.cost.credits == 10
    body, stream = await download(client, task.output[0])
    assert stream.content_type == "video/mp4"  # type: ignore[attr-defined]
    assert hashlib.sha256(body).hexdigest() == output_sha256(emulator, created.id)
    with av.open(io.BytesIO(body)) as container:
        video = container.streams.video[0]
        frames = sum(1 for _ in container.decode(video))
    assert frames > 0
    assert emulator.stats()["creates"]["image_to_video"] == 1


async def test_act_two_end_to_end(client: RunwayClient, emulator: RunwayEmulator) -> None:
    request = ActTwoCharacterPerformance(
        character=CharacterImage(uri=IMAGE),
        reference=ReferenceVideo(uri="https://example.com/performance.mp4"),
    )
    created = await client.create(request)
    await until_succeeded(client, created.id)
    body, _ = await download(client, (await client.get_task(created.id)).output[0])
    assert hashlib.sha256(body).hexdigest() == output_sha256(emulator, created.id)
    assert emulator.stats()["creates"]["character_performance"] == 1


async def test_delete_cancels_then_404_is_ignored(
    client: RunwayClient, emulator: RunwayEmulator
) -> None:
    created = await client.create(i2v())
    assert await client.delete_task(created.id) is True
    assert await client.delete_task(created.id) is False
    with pytest.raises(TaskNotFound):
        await client.get_task(created.id)
    assert emulator.stats()["deletes"] >= 1


async def test_organization(client: RunwayClient) -> None:
    organization = await client.get_organization()
    assert organization.credit_balance > 0
    assert "gen4_turbo" in organization.tier.models


# -- create: the failure matrix ----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_connect_error_before_sending_is_retried_until_it_connects() -> None:
    port = _free_port()
    retry = RetryPolicy(max_attempts=40, base_delay=0.05, max_delay=0.05)
    emulator = RunwayEmulator(EmulatorConfig(port=port))
    async with RunwayClient(
        emulator.api_key, base_url=f"http://127.0.0.1:{port}", retry=retry
    ) as client:
        submit = asyncio.create_task(client.create(i2v()))
        await asyncio.sleep(0)  # let the first attempts meet a closed port
        with emulator:
            created = await submit
            assert emulator.stats()["creates_total"] == 1
            assert (await client.get_task(created.id)).id == created.id


async def test_connect_error_gives_up_without_ambiguity() -> None:
    port = _free_port()
    async with RunwayClient(
        "key_" + "0" * 128, base_url=f"http://127.0.0.1:{port}", retry=FAST_RETRY
    ) as client:
        with pytest.raises(RunwayConnectionError, match="after 4 attempts"):
            await client.create(i2v())


async def test_reset_after_sending_is_ambiguous_and_not_repeated(
    client: RunwayClient, emulator: RunwayEmulator
) -> None:
    emulator.set_faults(FaultPlan(rules=[Fault(operation="create", kind="reset_after")]))
    with pytest.raises(AmbiguousSubmission, match="not sent again"):
        await client.create(i2v())
    stats = emulator.stats()
    assert stats["creates_total"] == 1  # Runway accepted it: exactly one, never two


async def test_reset_before_reading_is_still_ambiguous_for_the_client(
    client: RunwayClient, emulator: RunwayEmulator
) -> None:
    # The client cannot tell a reset before from one after the server read the request.
    emulator.set_faults(FaultPlan(rules=[Fault(operation="create", kind="reset_before")]))
    with pytest.raises(AmbiguousSubmission):
        await client.create(i2v())
    assert emulator.stats()["creates_total"] == 0


async def test_read_timeout_on_create_is_ambiguous(emulator: RunwayEmulator) -> None:
    emulator.set_faults(FaultPlan(rules=[Fault(operation="create", kind="slow", delay=1.0)]))
    timeout = httpx.Timeout(0.3, connect=2.0)
    async with RunwayClient(
        emulator.api_key, base_url=emulator.base_url, retry=FAST_RETRY, create_timeout=timeout
    ) as client:
        with pytest.raises(AmbiguousSubmission, match="ReadTimeout"):
            await client.create(i2v())
    await asyncio.to_thread(_wait_for_creates, emulator, 1)


def _wait_for_creates(emulator: RunwayEmulator, count: int) -> None:
    import time

    deadline = time.monotonic() + 5
    while emulator.stats()["creates_total"] < count:
        assert time.monotonic() < deadline, emulator.stats()
        time.sleep(0.02)
    assert emulator.stats()["creates_total"] == count


@pytest.mark.parametrize("status", [500, 502, 504])
async def test_5xx_on_create_is_ambiguous(
    client: RunwayClient, emulator: RunwayEmulator, status: int
) -> None:
    emulator.set_faults(
        FaultPlan(rules=[Fault(operation="create", kind="status", status=status, times=3)])
    )
    with pytest.raises(AmbiguousSubmission, match=f"HTTP {status}"):
        await client.create(i2v())
    assert sum(emulator.stats()["faults_injected"].values()) == 1  # one request, no retry


async def test_503_on_create_is_retried_honouring_retry_after(
    client: RunwayClient, emulator: RunwayEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.set_faults(
        FaultPlan(
            rules=[Fault(operation="create", kind="status", status=503, retry_after=0.3, times=2)]
        )
    )
    with caplog.at_level(logging.INFO, logger="prefect_runway.api"):
        created = await client.create(i2v())
    assert created.id
    stats = emulator.stats()
    assert stats["creates_total"] == 1
    assert sum(stats["faults_injected"].values()) == 2
    delays = [r.getMessage() for r in caplog.records if "retry" in r.getMessage()]
    assert len(delays) == 2 and all("in 0.30 s" in d for d in delays)


async def test_429_on_create_is_the_daily_limit_with_numbers(emulator: RunwayEmulator) -> None:
    with RunwayEmulator(EmulatorConfig(max_daily={"gen4_turbo": 1})) as limited:
        async with RunwayClient(limited.api_key, base_url=limited.base_url, retry=FAST_RETRY) as c:
            await c.create(i2v())
            with pytest.raises(DailyLimitReached) as info:
                await c.create(i2v())
        assert limited.stats()["creates_total"] == 1
    error = info.value
    assert error.model == "gen4_turbo"
    assert error.daily_limit == 1 and error.daily_usage == 1
    assert "daily limit 1, used today 1" in str(error)


async def test_429_on_create_with_quota_left_is_retried_honouring_retry_after(
    client: RunwayClient, emulator: RunwayEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    # A 429 proves nothing was created, so a bounded retry cannot pay twice: the organization
    # shows 0 of no limit used, and the third create goes through.
    emulator.set_faults(
        FaultPlan(
            rules=[Fault(operation="create", kind="status", status=429, retry_after=0.2, times=2)]
        )
    )
    with caplog.at_level(logging.INFO, logger="prefect_runway.api"):
        created = await client.create(i2v())
    assert created.id
    stats = emulator.stats()
    assert stats["creates_total"] == 1 and stats["rejected_creates"] == 2
    assert stats["organization_reads"] == 2  # the quota was read before each retry
    delays = [r.getMessage() for r in caplog.records if "retry" in r.getMessage()]
    assert len(delays) == 2 and all("HTTP 429" in d and "in 0.20 s" in d for d in delays)


async def test_429_on_create_that_persists_fails_within_the_bound(
    client: RunwayClient, emulator: RunwayEmulator
) -> None:
    emulator.set_faults(
        FaultPlan(rules=[Fault(operation="create", kind="status", status=429, times=50)])
    )
    with pytest.raises(CreateRateLimited) as info:
        await client.create(i2v())
    stats = emulator.stats()
    assert stats["creates_total"] == 0 and stats["rejected_creates"] == FAST_RETRY.max_attempts
    message = str(info.value)
    assert (
        "gen4_turbo" in message and "not the cause" in message and "Nothing was created" in message
    )
    assert info.value.quota_known and info.value.daily_usage == 0


async def test_429_on_create_with_the_quota_used_up_fails_at_once(
    emulator: RunwayEmulator,
) -> None:
    # 3 used of 3 today (the organization says so): a retry cannot succeed, so there is none,
    # whatever the 429 looks like.
    with RunwayEmulator(EmulatorConfig(max_daily={"gen4_turbo": 3})) as limited:
        async with RunwayClient(limited.api_key, base_url=limited.base_url, retry=FAST_RETRY) as c:
            for _ in range(3):
                await c.create(i2v())
            with pytest.raises(DailyLimitReached) as info:
                await c.create(i2v())
        stats = limited.stats()
    assert stats["creates_total"] == 3 and stats["rejected_creates"] == 1
    assert info.value.daily_limit == 3 and info.value.daily_usage == 3
    assert "model gen4_turbo: daily limit 3, used today 3" in str(info.value)


async def test_429_on_cometapi_create_is_retried_then_says_the_quota_is_unknown(
    emulator: RunwayEmulator,
) -> None:
    with RunwayEmulator(EmulatorConfig(mode="cometapi")) as comet:
        comet.set_faults(
            FaultPlan(rules=[Fault(operation="create", kind="status", status=429, times=50)])
        )
        async with RunwayClient(
            comet.api_key, provider=COMETAPI, base_url=comet.base_url, retry=FAST_RETRY
        ) as c:
            with pytest.raises(CreateRateLimited) as info:
                await c.create(i2v())
        stats = comet.stats()
    assert stats["creates_total"] == 0 and stats["rejected_creates"] == FAST_RETRY.max_attempts
    assert stats["organization_reads"] == 0
    assert not info.value.quota_known
    assert "'cometapi' cannot say whether model gen4_turbo's daily quota" in str(info.value)


async def test_400_carries_runway_error_and_issues(
    client: RunwayClient, emulator: RunwayEmulator
) -> None:
    # model_construct skips local validation, to see what Runway itself would answer.
    invalid = Gen4TurboImageToVideo.model_construct(
        model="gen4_turbo", prompt_image=IMAGE, ratio="16:9", duration=2
    )
    with pytest.raises(BadRequest) as info:
        await client.create(invalid)
    assert info.value.status_code == 400
    assert info.value.issues and "ratio" in str(info.value)
    assert emulator.stats()["creates_total"] == 0


async def test_401_wrong_key(emulator: RunwayEmulator) -> None:
    wrong = "key_" + "0" * 128
    async with RunwayClient(wrong, base_url=emulator.base_url, retry=FAST_RETRY) as client:
        with pytest.raises(AuthenticationFailed) as info:
            await client.create(i2v())
    assert wrong not in str(info.value) and wrong not in repr(info.value)
    assert wrong.encode() not in pickle.dumps(info.value)
    assert emulator.stats()["creates_total"] == 0


# -- poll and delete ----------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
async def test_poll_errors_are_retried(
    client: RunwayClient, emulator: RunwayEmulator, status: int
) -> None:
    created = await client.create(i2v())
    emulator.set_faults(
        FaultPlan(rules=[Fault(operation="poll", kind="status", status=status, times=2)])
    )
    task = await client.get_task(created.id)
    assert task.id == created.id
    assert sum(emulator.stats()["faults_injected"].values()) == 2


async def test_poll_resets_and_timeouts_are_retried(emulator: RunwayEmulator) -> None:
    timeout = httpx.Timeout(0.3, connect=2.0)
    async with RunwayClient(
        emulator.api_key, base_url=emulator.base_url, retry=FAST_RETRY, timeout=timeout
    ) as client:
        created = await client.create(i2v())
        emulator.set_faults(
            FaultPlan(
                rules=[
                    Fault(operation="poll", kind="reset_after"),
                    Fault(operation="poll", kind="slow", delay=1.0),  # after the first is spent
                ]
            )
        )
        assert (await client.get_task(created.id)).id == created.id
    assert sum(emulator.stats()["faults_injected"].values()) == 2


async def test_poll_404_is_reported_not_retried(
    client: RunwayClient, emulator: RunwayEmulator
) -> None:
    created = await client.create(i2v())
    emulator.set_faults(FaultPlan(rules=[Fault(operation="poll", kind="not_found")]))
    with pytest.raises(TaskNotFound):
        await client.get_task(created.id)
    assert (await client.get_task(created.id)).id == created.id


async def test_poll_that_never_recovers_gives_up(
    client: RunwayClient, emulator: RunwayEmulator
) -> None:
    created = await client.create(i2v())
    emulator.set_faults(
        FaultPlan(rules=[Fault(operation="poll", kind="status", status=502, times=50)])
    )
    with pytest.raises(Exception, match="HTTP 502") as info:
        await client.get_task(created.id)
    assert info.value.retryable  # type: ignore[attr-defined]
    assert sum(emulator.stats()["faults_injected"].values()) == FAST_RETRY.max_attempts


async def test_delete_5xx_is_retried(client: RunwayClient, emulator: RunwayEmulator) -> None:
    created = await client.create(i2v())
    emulator.set_faults(FaultPlan(rules=[Fault(operation="delete", kind="status", status=503)]))
    assert await client.delete_task(created.id) is True


# -- download -----------------------------------------------------------------------------


async def succeeded_output(client: RunwayClient) -> tuple[str, str]:
    created = await client.create(i2v())
    await until_succeeded(client, created.id)
    return created.id, (await client.get_task(created.id)).output[0]


async def test_truncated_download_resumes_with_range(
    client: RunwayClient, emulator: RunwayEmulator
) -> None:
    task_id, url = await succeeded_output(client)
    emulator.set_faults(FaultPlan(rules=[Fault(operation="download", kind="truncate")]))
    body, stream = await download(client, url)
    assert hashlib.sha256(body).hexdigest() == output_sha256(emulator, task_id)
    assert stream.resumes == 1 and stream.restarts == 0  # type: ignore[attr-defined]


async def test_200_to_a_range_request_restarts_without_corruption(
    client: RunwayClient, emulator: RunwayEmulator
) -> None:
    task_id, url = await succeeded_output(client)
    emulator.set_faults(
        FaultPlan(
            rules=[
                Fault(operation="download", kind="truncate"),
                Fault(operation="download", kind="ignore_range"),
            ]
        )
    )
    body, stream = await download(client, url)
    assert hashlib.sha256(body).hexdigest() == output_sha256(emulator, task_id)
    assert stream.restarts == 1  # type: ignore[attr-defined]


async def test_expired_link_is_refreshed_once(
    client: RunwayClient, emulator: RunwayEmulator
) -> None:
    task_id, url = await succeeded_output(client)
    emulator.set_faults(FaultPlan(rules=[Fault(operation="download", kind="expire_link")]))
    refreshes = 0

    async def refresh() -> str:
        nonlocal refreshes
        refreshes += 1
        return (await client.get_task(task_id)).output[0]

    body, stream = await download(client, url, refresh=refresh)
    assert refreshes == 1 and stream.refreshed  # type: ignore[attr-defined]
    assert hashlib.sha256(body).hexdigest() == output_sha256(emulator, task_id)


async def test_link_still_rejected_after_refresh_fails(
    client: RunwayClient, emulator: RunwayEmulator
) -> None:
    task_id, url = await succeeded_output(client)
    emulator.set_faults(FaultPlan(rules=[Fault(operation="download", kind="expire_link", times=2)]))

    async def refresh() -> str:
        return (await client.get_task(task_id)).output[0]

    with pytest.raises(OutputLinkRejected) as info:
        await download(client, url, refresh=refresh)
    assert "_jwt" not in str(info.value) and "?" not in info.value.url


async def test_really_expired_link(emulator: RunwayEmulator) -> None:
    with RunwayEmulator(EmulatorConfig(link_ttl_seconds=0.2, run_seconds=0.05)) as short:
        async with RunwayClient(short.api_key, base_url=short.base_url, retry=FAST_RETRY) as client:
            task_id, url = await succeeded_output(client)
            await asyncio.sleep(0.3)  # the link's own lifetime, not a wait for a condition
            with pytest.raises(OutputLinkRejected):
                await download(client, url)

            async def refresh() -> str:
                return (await client.get_task(task_id)).output[0]

            body, _ = await download(client, url, refresh=refresh)
            assert hashlib.sha256(body).hexdigest() == output_sha256(short, task_id)


@pytest.mark.parametrize("kind", ["reset_before", "reset_after"])
async def test_download_resets_are_retried(
    client: RunwayClient, emulator: RunwayEmulator, kind: str
) -> None:
    task_id, url = await succeeded_output(client)
    emulator.set_faults(FaultPlan(rules=[Fault(operation="download", kind=kind)]))  # type: ignore[arg-type]
    body, _ = await download(client, url)
    assert hashlib.sha256(body).hexdigest() == output_sha256(emulator, task_id)


async def test_download_5xx_is_retried(client: RunwayClient, emulator: RunwayEmulator) -> None:
    task_id, url = await succeeded_output(client)
    emulator.set_faults(
        FaultPlan(rules=[Fault(operation="download", kind="status", status=503, times=2)])
    )
    body, _ = await download(client, url)
    assert hashlib.sha256(body).hexdigest() == output_sha256(emulator, task_id)


async def test_downloads_never_send_the_api_key(
    client: RunwayClient, emulator: RunwayEmulator
) -> None:
    _, url = await succeeded_output(client)
    # The emulator's output links need no auth; the client must not send it to a CDN either.
    assert "Authorization" not in client._downloads.headers
    await download(client, url)


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, BadRequest), (401, AuthenticationFailed), (403, PermissionDenied), (422, BadRequest)],
)
@pytest.mark.parametrize("operation", ["create", "poll"])
async def test_client_errors_fail_at_once(
    client: RunwayClient,
    emulator: RunwayEmulator,
    status: int,
    error: type[Exception],
    operation: str,
) -> None:
    created = await client.create(i2v()) if operation == "poll" else None
    emulator.set_faults(
        FaultPlan(rules=[Fault(operation=operation, kind="status", status=status, times=5)])  # type: ignore[arg-type]
    )
    with pytest.raises(error, match=f"HTTP {status}"):
        if created is None:
            await client.create(i2v())
        else:
            await client.get_task(created.id)
    assert sum(emulator.stats()["faults_injected"].values()) == 1  # not retried


async def test_credit_usage_counts_todays_generation(
    client: RunwayClient, emulator: RunwayEmulator
) -> None:
    import datetime as dt

    created = await client.create(i2v())
    await until_succeeded(client, created.id)
    today = dt.datetime.now(dt.UTC).date()
    usage = await client.get_credit_usage(
        start_date=today - dt.timedelta(days=1), before_date=today + dt.timedelta(days=1)
    )
    assert usage.total("gen4_turbo") == 10 == usage.total()
    with pytest.raises(ValueError, match="1 to 90 days"):
        await client.get_credit_usage(start_date=today, before_date=today + dt.timedelta(days=91))


async def test_requests_beyond_the_pool_wait_outside_httpcore_pool(
    emulator: RunwayEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many more creates and polls at once than connections: none waits in httpcore's pool
    (whose queue is O(queued x connections) per freed connection, encode/httpcore#1035), and
    every one is answered; a create still goes out once."""
    import httpcore

    inside = 0
    most = 0
    original = httpcore.AsyncConnectionPool.handle_async_request

    async def counted(pool: httpcore.AsyncConnectionPool, request: httpcore.Request) -> object:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        try:
            return await original(pool, request)
        finally:
            inside -= 1

    monkeypatch.setattr(httpcore.AsyncConnectionPool, "handle_async_request", counted)
    async with RunwayClient(
        emulator.api_key, base_url=emulator.base_url, retry=FAST_RETRY, max_connections=3
    ) as client:
        created = await asyncio.gather(*(client.create(i2v(seed=n)) for n in range(24)))
        polled = await asyncio.gather(*(client.get_task(c.id) for c in created for _ in "ab"))
    assert {task.id for task in polled} == {c.id for c in created}
    assert emulator.stats()["creates_total"] == 24
    # Creates and polls have a pool each: at most 3 requests in each, never queued there.
    assert 1 <= most <= 3


async def test_polls_spread_over_small_pools_and_never_wait_inside_one(
    emulator: RunwayEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Polls go to several small httpcore pools (its housekeeping per request walks every
    pooled connection, and for each idle one every connection again): no pool ever holds
    more requests than its connections, every pool is used, and every poll is answered."""
    import httpcore

    inside: collections.Counter[int] = collections.Counter()
    most: collections.Counter[int] = collections.Counter()
    sizes: dict[int, int] = {}
    original = httpcore.AsyncConnectionPool.handle_async_request

    async def counted(pool: httpcore.AsyncConnectionPool, request: httpcore.Request) -> object:
        key = id(pool)
        sizes[key] = pool._max_connections
        inside[key] += 1
        most[key] = max(most[key], inside[key])
        try:
            return await original(pool, request)
        finally:
            inside[key] -= 1

    async with RunwayClient(
        emulator.api_key, base_url=emulator.base_url, retry=FAST_RETRY, max_connections=20
    ) as client:
        created = [await client.create(i2v(seed=n)) for n in range(6)]
        monkeypatch.setattr(httpcore.AsyncConnectionPool, "handle_async_request", counted)
        polled = await asyncio.gather(*(client.get_task(c.id) for c in created for _ in range(40)))
        pooled = [
            len(pool._transport._pool.connections)  # type: ignore[attr-defined]
            for pool in client._api_pools
        ]
    assert [task.id for task in polled] == [c.id for c in created for _ in range(40)]
    assert sorted(sizes.values()) == [4, 8, 8]  # 20 connections: pools of 8, 8 and 4
    assert all(most[key] <= size for key, size in sizes.items()), (most, sizes)
    assert sum(most.values()) > 8  # more at once than one pool holds: they were spread
    assert all(count <= size for count, size in zip(pooled, [8, 8, 4], strict=True))


def test_a_pool_of_no_connections_is_refused() -> None:
    with pytest.raises(ValueError, match="max_connections must be 1 or more; got 0"):
        RunwayClient("key_" + "0" * 128, max_connections=0)


def test_the_client_loads_the_ca_bundle_once_and_verifies_every_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each httpx client would load the CA bundle itself (~25 ms of CPU apiece, 15 clients at
    # 100 connections), on the event loop before a flow's first create: one context serves all.
    made: list[ssl.SSLContext] = []
    real = ssl.create_default_context

    def counted(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(ssl, "create_default_context", counted)
    client = RunwayClient("key_" + "0" * 128, max_connections=100)
    assert len(made) == 1
    (context,) = made
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    clients = [*client._api_pools, client._creates, client._downloads]
    assert len(clients) == 15  # 13 pools of up to 8 connections, the creates, the downloads
    for each in clients:
        assert each._transport._pool._ssl_context is context  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("base_url", "provider"),
    [("https://api.example.test", None), ("https://proxy.example.test/base/", COMETAPI)],
)
async def test_a_poll_sends_the_request_the_client_would_build(
    base_url: str, provider: Any
) -> None:
    # Polls skip httpx's client layers (BENCHMARKS.md 7.3): the request that reaches the
    # transport must still be the one ``AsyncClient.get`` would send: URL, headers, timeouts.
    seen: list[httpx.Request] = []
    task_id = "0b6c1a3e-0000-4000-8000-00000000a%20b"

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        task = {"id": task_id, "status": "RUNNING", "progress": 0.5}
        return httpx.Response(
            200,
            json=task if provider is None else {"code": "success", "data": {"data": task}},
        )

    kwargs: dict[str, Any] = {"base_url": base_url, "retry": FAST_RETRY}
    if provider is not None:
        kwargs["provider"] = provider
    async with RunwayClient(
        "key_" + "0" * 128 if provider is None else "sk-" + "0" * 48, **kwargs
    ) as c:
        for pool in c._api_pools:
            pool._transport = httpx.MockTransport(answer)
        task = await c.get_task(task_id)
        expected = c._api_pools[0].build_request("GET", c.provider.path("tasks", task_id))
    assert task.id == task_id and task.progress == 0.5
    [sent] = seen
    assert sent.url == expected.url, (sent.url, expected.url)
    assert sent.headers.multi_items() == expected.headers.multi_items()
    assert sent.extensions == expected.extensions
    assert sent.method == "GET" and sent.content == b""


async def test_a_poll_on_a_closed_client_fails_as_httpx_does(emulator: RunwayEmulator) -> None:
    client = RunwayClient(emulator.api_key, base_url=emulator.base_url, retry=FAST_RETRY)
    created = await client.create(i2v())
    assert (await client.get_task(created.id)).id == created.id
    await client.aclose()
    with pytest.raises(RuntimeError, match="client has been closed"):
        await client.get_task(created.id)
