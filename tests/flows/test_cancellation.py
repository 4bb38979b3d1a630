"""The on_cancellation hook: from the Prefect API alone, it cancels the Runway tasks a cancelled run
still waited on, and no task that finished or that a run timeout left for ``recover``.

The runner-driven path (a served batch cancelled with many tasks in flight) is proven end to end
in tests/reliability/test_cancel_at_scale.py; here each case of the hook is pinned directly.
"""

from __future__ import annotations

from uuid import uuid4

import pytest
from prefect.client.orchestration import get_client
from prefect.states import Cancelling, Completed, Failed, Running

from prefect_runway.api import (
    Gen4TurboImageToVideo,
    Gen45ImageToVideo,
    RunwayClient,
    WaitPolicy,
    wait_for_task,
)
from prefect_runway.flows.batch import batch
from prefect_runway.flows.character_performance import character_performance
from prefect_runway.flows.image_to_video import image_to_video
from prefect_runway.flows.storyboard import storyboard
from prefect_runway.tasks.cancellation import cancel_runway_tasks, credentials_block_of
from prefect_runway.tasks.wait import runway_tasks_waited_on, wait_for_generation
from prefect_runway.testing.emulator import RunwayEmulator
from tests.flows.conftest import SavedBlocks
from tests.media_samples import png_data_uri

REQUEST = Gen4TurboImageToVideo(prompt_image=png_data_uri(), ratio="960:960", duration=2)
OTHER_MODEL_REQUEST = Gen45ImageToVideo(
    prompt_image=png_data_uri(), prompt_text="a lighthouse", ratio="960:960", duration=2
)


@pytest.mark.parametrize("waiting_flow", [batch, storyboard, image_to_video, character_performance])
def test_every_flow_that_waits_carries_the_hook(waiting_flow: object) -> None:
    assert cancel_runway_tasks in waiting_flow.on_cancellation_hooks  # type: ignore[attr-defined]


def test_the_credentials_block_is_read_from_either_parameter_shape() -> None:
    assert credentials_block_of({"credentials_block": "prod"}) == "prod"
    assert credentials_block_of({"params": {"credentials_block": "studio"}}) == "studio"
    assert credentials_block_of({"params": {"prompt_text": "x"}}) == "runway"
    assert credentials_block_of({}) == "runway"


async def test_the_hook_cancels_only_unfinished_tasks_of_unfinished_waits(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, client: RunwayClient
) -> None:
    succeeded = await client.create(REQUEST)
    await wait_for_task(client, succeeded.id, WaitPolicy(poll_interval=0.02))
    emulator.configure(run_seconds=120, max_concurrent={"gen4_turbo": 2, "gen4.5": 1})
    running = [await client.create(REQUEST) for _ in range(2)]
    # Its wait FAILED: a run timeout left it running. It holds gen4.5's only slot and is never
    # deleted, so the next gen4.5 task stays THROTTLED whatever order the hook's DELETEs land in.
    abandoned = await client.create(OTHER_MODEL_REQUEST)
    queued = await client.create(OTHER_MODEL_REQUEST)

    async with get_client() as prefect:
        run = await prefect.create_flow_run(
            batch, parameters={"credentials_block": saved_blocks.credentials}, state=Running()
        )
        other_run = await prefect.create_flow_run(batch, state=Running())
        waits = {
            "wait-succeeded": (succeeded.id, Running()),
            "wait-running-0": (running[0].id, Running()),
            "wait-running-1": (running[1].id, Running()),
            "wait-queued": (queued.id, Running()),
            "wait-abandoned": (abandoned.id, Failed()),
        }
        for task_id, state in waits.values():
            await prefect.create_task_run(
                wait_for_generation, run.id, dynamic_key=uuid4().hex,
                name=f"wait-{task_id}", state=state,
            )  # fmt: skip
        # A wait in another run is not this run's to cancel.
        stranger = await client.create(REQUEST)
        await prefect.create_task_run(
            wait_for_generation, other_run.id, dynamic_key=uuid4().hex,
            name=f"wait-{stranger.id}", state=Running(),
        )  # fmt: skip
        # A wait that COMPLETED saw its task finish; never read again.
        await prefect.create_task_run(
            wait_for_generation, run.id, dynamic_key=uuid4().hex,
            name="wait-00000000-0000-4000-8000-000000000000", state=Completed(),
        )  # fmt: skip

        found = await runway_tasks_waited_on(prefect, run.id, page_size=2)  # three pages
        assert found == sorted([succeeded.id, running[0].id, running[1].id, queued.id])

        await cancel_runway_tasks(batch, await prefect.read_flow_run(run.id), Cancelling())

    deleted = set(emulator.stats()["deleted_task_ids"])
    assert deleted == {running[0].id, running[1].id, queued.id}
    assert {emulator.task(t)["cancelled_while"] for t in deleted} == {"RUNNING", "THROTTLED"}
    assert emulator.task(succeeded.id)["status"] == "SUCCEEDED"
    assert emulator.task(abandoned.id)["status"] in ("PENDING", "THROTTLED", "RUNNING")
    assert emulator.task(stranger.id)["status"] in ("PENDING", "THROTTLED", "RUNNING")


async def test_the_hook_does_nothing_for_a_run_with_no_waits(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator
) -> None:
    async with get_client() as prefect:
        run = await prefect.create_flow_run(
            batch, parameters={"credentials_block": "no-such-block"}, state=Running()
        )
        # No wait, so the credentials (here, a block that does not exist) are never loaded.
        await cancel_runway_tasks(batch, await prefect.read_flow_run(run.id), Cancelling())
    assert emulator.stats()["deletes"] == 0
