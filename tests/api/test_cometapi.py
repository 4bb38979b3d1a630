"""The client with the CometAPI profile against the emulator in CometAPI mode."""

from __future__ import annotations

import hashlib

import pytest

from prefect_runway.api import (
    COMETAPI,
    ActTwoCharacterPerformance,
    CharacterImage,
    Gen4TurboImageToVideo,
    ReferenceVideo,
    RunwayClient,
    TaskStatus,
    WaitPolicy,
    wait_for_task,
)
from prefect_runway.testing.emulator import EmulatorConfig, RunwayEmulator
from tests.conftest import FAST_RETRY
from tests.media_samples import png_data_uri

FAST = WaitPolicy(poll_interval=0.02, jitter=0.1, not_found_tolerance=50)


@pytest.mark.parametrize("shape", ["bare", "wrapped", "alternate"])
async def test_generation_through_the_proxy(shape: str) -> None:
    config = EmulatorConfig(
        mode="cometapi", cometapi_task_shape=shape, run_seconds=0.2, cometapi_not_exist_seconds=0.1
    )
    with RunwayEmulator(config) as emulator:
        async with RunwayClient(
            emulator.api_key, provider=COMETAPI, base_url=emulator.base_url, retry=FAST_RETRY
        ) as client:
            created = await client.create(
                Gen4TurboImageToVideo(prompt_image=png_data_uri(), ratio="960:960", duration=2)
            )
            assert created.estimated_cost is None  # the proxy answers a bare {"id"}
            task = await wait_for_task(client, created.id, FAST)
            assert task.status is TaskStatus.SUCCEEDED and task.output
            body = bytearray()
            async for chunk in client.output_stream(task.output[0]):
                body += chunk
        stats = emulator.stats()
        assert stats["creates_total"] == 1
        assert hashlib.sha256(body).hexdigest() == emulator.task(created.id)["outputs"][0]["sha256"]


async def test_task_not_exist_right_after_create_is_waited_out() -> None:
    config = EmulatorConfig(mode="cometapi", run_seconds=0.1, cometapi_not_exist_seconds=0.3)
    with RunwayEmulator(config) as emulator:
        async with RunwayClient(
            emulator.api_key, provider=COMETAPI, base_url=emulator.base_url, retry=FAST_RETRY
        ) as client:
            request = ActTwoCharacterPerformance(
                character=CharacterImage(uri=png_data_uri()),
                reference=ReferenceVideo(uri="https://example.com/performance.mp4"),
            )
            created = await client.create(request)
            task = await wait_for_task(client, created.id, FAST)
            assert task.status is TaskStatus.SUCCEEDED
        assert emulator.stats()["creates_total"] == 1
