"""Runway's official Python SDK (``runwayml`` 5.24.0) against the emulator, as against Runway:
every model of every in-scope endpoint is created and retrieved through the SDK's own
serialization, and each endpoint's output waited for and downloaded.

Every client here validates responses strictly (``_strict_response_validation=True``): a body
missing a field the SDK's models require, or with a wrong type, fails the call instead of
parsing leniently, so these tests prove the emulator's bodies match the SDK's models.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import runwayml
import runwayml.lib.polling as polling
from runwayml.types import (
    CharacterPerformanceCreateResponse,
    ImageToVideoCreateResponse,
    TaskRetrieveResponse,
)
from runwayml.types.task_retrieve_response import Failed, Pending, Running, Succeeded, Throttled

from prefect_runway.api import output_kind, parse_request
from prefect_runway.testing.emulator import Fault, FaultPlan, RunwayEmulator
from tests.catalogue_samples import VARIANTS, minimal_body
from tests.testing.emulator.conftest import MakeEmulator
from tests.testing.emulator.support import (
    HTTPS_IMAGE,
    HTTPS_VIDEO,
    ManualClock,
    decode_video,
    mp4_bytes,
    png_bytes,
)


@pytest.fixture(autouse=True)
def fast_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    """``wait_for_task_output`` sleeps POLL_TIME +- POLL_JITTER / 2 (6 +- 1.5 s) per poll."""
    monkeypatch.setattr(polling, "POLL_TIME", 0.02)
    monkeypatch.setattr(polling, "POLL_JITTER", 0)


@pytest.fixture(autouse=True)
def quick_tasks(runway_emulator: RunwayEmulator) -> None:
    """Tasks finish in a tenth of a second (the shared emulator's reset restores the config)."""
    runway_emulator.configure(queue_seconds=0.02, run_seconds=0.08)


def sdk_options(emu: RunwayEmulator, api_key: str | None = None) -> dict[str, Any]:
    return {
        "api_key": api_key or emu.api_key,
        "base_url": emu.base_url,
        "max_retries": 0,
        "_strict_response_validation": True,
    }


def estimated_credits(created: object) -> float:
    """``estimatedCost.credits`` of a create's answer.

    The SDK declares ``create`` to return a model with only ``id``; at run time the answer is
    the endpoint's create response (a subclass), which carries the estimate.
    """
    assert isinstance(created, ImageToVideoCreateResponse | CharacterPerformanceCreateResponse)
    return created.estimated_cost.credits


def succeeded(details: TaskRetrieveResponse) -> Succeeded:
    assert isinstance(details, Succeeded), details
    return details


async def download(url: str) -> httpx.Response:
    """Fetch an output link as a client would: no API key (links are signed)."""
    async with httpx.AsyncClient() as client:
        return await client.get(url)


@pytest.fixture
async def sdk(runway_emulator: RunwayEmulator) -> AsyncIterator[runwayml.AsyncRunwayML]:
    async with runwayml.AsyncRunwayML(**sdk_options(runway_emulator)) as client:
        yield client


@pytest.fixture
def sync_sdk(runway_emulator: RunwayEmulator) -> Iterator[runwayml.RunwayML]:
    with runwayml.RunwayML(**sdk_options(runway_emulator)) as client:
        yield client


async def test_image_to_video_create_retrieve_and_wait(
    sdk: runwayml.AsyncRunwayML, runway_emulator: RunwayEmulator
) -> None:
    created = await sdk.image_to_video.create(
        model="gen4_turbo",
        prompt_image=HTTPS_IMAGE,
        ratio="1280:720",
        duration=5,
        prompt_text="A calm sea",
        seed=42,
    )
    assert estimated_credits(created) == 25

    details = await sdk.tasks.retrieve(created.id)
    assert details.id == created.id  # each status's own model: see test_every_status_parses...
    assert details.created_at.tzinfo is not None
    assert abs((datetime.now(UTC) - details.created_at).total_seconds()) < 60

    done = succeeded(await created.wait_for_task_output(timeout=30))
    assert done.id == created.id
    assert done.cost.credits == 25 and len(done.output) == 1
    video = await download(done.output[0])
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    assert decode_video(video.content)[3] == pytest.approx(5.0, abs=0.1)

    record = runway_emulator.task(created.id)
    assert record["request"] == {
        "model": "gen4_turbo",
        "promptImage": HTTPS_IMAGE,
        "ratio": "1280:720",
        "duration": 5,
        "promptText": "A calm sea",
        "seed": 42,
    }
    assert runway_emulator.stats()["creates_total"] == 1


async def test_every_image_to_video_model_with_its_own_parameters(
    sdk: runwayml.AsyncRunwayML, runway_emulator: RunwayEmulator
) -> None:
    gen45 = await sdk.image_to_video.create(
        model="gen4.5",
        prompt_image=[{"position": "first", "uri": HTTPS_IMAGE}],
        prompt_text="A slow pan",
        ratio="1584:672",
        duration=3,
        output_format="prores",
        prores_profile="422 HQ",
        content_moderation={"public_figure_threshold": "auto"},
    )
    assert estimated_credits(gen45) == (12 + 5) * 3
    veo = await sdk.image_to_video.create(
        model="veo3.1",
        prompt_image=[
            {"position": "first", "uri": HTTPS_IMAGE},
            {"position": "last", "uri": "https://example.com/last.png"},
        ],
        ratio="1080:1920",
        duration=6,
        negative_prompt="blur",
    )
    assert estimated_credits(veo) == 40 * 6  # audio on unless turned off
    body = runway_emulator.task(gen45.id)["request"]
    assert body["outputFormat"] == "prores" and body["proresProfile"] == "422 HQ"
    assert body["contentModeration"] == {"publicFigureThreshold": "auto"}
    assert runway_emulator.task(veo.id)["request"]["negativePrompt"] == "blur"


async def test_character_performance_create_and_wait(
    sdk: runwayml.AsyncRunwayML, runway_emulator: RunwayEmulator
) -> None:
    created = await sdk.character_performance.create(
        model="act_two",
        character={"type": "image", "uri": HTTPS_IMAGE},
        reference={"type": "video", "uri": HTTPS_VIDEO},
        ratio="960:960",
        body_control=True,
        expression_intensity=4,
        content_moderation={"public_figure_threshold": "low"},
    )
    assert estimated_credits(created) == 25
    done = succeeded(await created.wait_for_task_output(timeout=30))
    assert done.cost.credits == 25
    request = runway_emulator.task(created.id)["request"]
    assert request["bodyControl"] is True and request["expressionIntensity"] == 4
    assert request["contentModeration"] == {"publicFigureThreshold": "low"}
    # wait_for_task_output also hangs off a retrieved task (to resume waiting by id).
    again = await (await sdk.tasks.retrieve(created.id)).wait_for_task_output(timeout=30)
    assert again.status == "SUCCEEDED"


def test_the_sync_client(sync_sdk: runwayml.RunwayML, runway_emulator: RunwayEmulator) -> None:
    created = sync_sdk.image_to_video.create(
        model="veo3.1_fast", prompt_image=HTTPS_IMAGE, ratio="720:1280", duration=4, audio=False
    )
    assert estimated_credits(created) == 40
    done = succeeded(created.wait_for_task_output(timeout=30))
    assert done.output
    assert sync_sdk.tasks.retrieve(created.id).status == "SUCCEEDED"
    sync_sdk.tasks.delete(created.id)  # 204, no body
    with pytest.raises(runwayml.NotFoundError):
        sync_sdk.tasks.retrieve(created.id)
    assert runway_emulator.stats()["deleted_task_ids"] == [created.id]


async def test_every_status_parses_and_delete_cancels(
    make_emulator: MakeEmulator,
) -> None:
    clock = ManualClock()
    emu = make_emulator(
        clock, queue_seconds=1.0, run_seconds=10.0, max_concurrent={"gen4_turbo": 1}
    )
    async with runwayml.AsyncRunwayML(**sdk_options(emu)) as client:
        first, second, third = [
            await client.image_to_video.create(
                model="gen4_turbo", prompt_image=HTTPS_IMAGE, ratio="1280:720", duration=5
            )
            for _ in range(3)
        ]
        pending = await client.tasks.retrieve(first.id)
        assert isinstance(pending, Pending) and pending.estimated_cost.credits == 25
        clock.advance(5.0)
        running = await client.tasks.retrieve(first.id)
        assert isinstance(running, Running) and running.progress == pytest.approx(0.4)
        assert running.estimated_cost.credits == 25
        throttled = await client.tasks.retrieve(second.id)
        assert isinstance(throttled, Throttled) and throttled.estimated_cost.credits == 25

        # DELETE cancels a queued task; it is gone (404) from then on.
        await client.tasks.delete(third.id)
        with pytest.raises(runwayml.NotFoundError) as gone:
            await client.tasks.retrieve(third.id)
        assert gone.value.status_code == 404
        assert gone.value.body == {"error": "Task not found."}
        with pytest.raises(runwayml.NotFoundError):
            await client.tasks.delete(third.id)

        clock.advance(6.0)
        finished = succeeded(await client.tasks.retrieve(first.id))
        assert finished.cost.credits == 25
        assert (await client.tasks.retrieve(second.id)).status == "RUNNING"
    assert emu.stats()["cancelled_task_ids"] == [third.id]


async def test_uploads_feed_creates(
    sdk: runwayml.AsyncRunwayML, runway_emulator: RunwayEmulator, tmp_path: Path
) -> None:
    picture = tmp_path / "portrait.png"
    picture.write_bytes(png_bytes(96, 96))
    by_path = await sdk.uploads.create_ephemeral(file=picture)
    assert by_path.uri.startswith("runway://") and by_path.uri.endswith("/portrait.png")
    reference = await sdk.uploads.create_ephemeral(
        file=("dance.mp4", mp4_bytes(3.0), "video/mp4"), file_metadata='{"take": 1}'
    )

    image_task = await sdk.image_to_video.create(
        model="gen4_turbo", prompt_image=by_path.uri, ratio="960:960", duration=5
    )
    act_two = await sdk.character_performance.create(
        model="act_two",
        character={"type": "image", "uri": by_path.uri},
        reference={"type": "video", "uri": reference.uri},
    )
    # The uploaded 3 s reference sets Act-Two's length and price (5 credits/s).
    assert estimated_credits(act_two) == 15
    assert (await image_task.wait_for_task_output(timeout=30)).status == "SUCCEEDED"
    done = succeeded(await act_two.wait_for_task_output(timeout=30))
    video = await download(done.output[0])
    width, height, _, seconds = decode_video(video.content)
    assert width == height and seconds == pytest.approx(3.0, abs=0.1)
    stats = runway_emulator.stats()
    assert stats["uploads"] == 2 and stats["upload_requests"] == 2


async def test_organization_and_usage(
    sdk: runwayml.AsyncRunwayML, runway_emulator: RunwayEmulator
) -> None:
    await sdk.image_to_video.create(
        model="gen4_turbo", prompt_image=HTTPS_IMAGE, ratio="1280:720", duration=5
    )
    organization = await sdk.organization.retrieve()
    config = runway_emulator.config
    assert organization.credit_balance == config.credit_balance - 25
    assert organization.tier.max_monthly_credit_spend == config.max_monthly_credit_spend
    limits = organization.tier.models["gen4_turbo"]
    assert limits.max_concurrent_generations == config.default_max_concurrent
    assert limits.max_daily_generations is None
    assert set(organization.tier.models) >= {"gen4_turbo", "gen4.5", "veo3.1", "act_two"}
    assert organization.usage.models["gen4_turbo"].daily_generations == 1
    assert organization.usage.models["act_two"].daily_generations == 0

    today = datetime.now(UTC).date()
    usage = await sdk.organization.retrieve_usage(start_date=today)
    assert usage.models == ["gen4_turbo"]
    assert usage.results[0].date == today
    assert [(used.model, used.amount) for used in usage.results[0].used_credits] == [
        ("gen4_turbo", 25)
    ]


async def test_errors_raise_the_sdks_own_exceptions(
    sdk: runwayml.AsyncRunwayML, runway_emulator: RunwayEmulator
) -> None:
    with pytest.raises(runwayml.BadRequestError) as bad:
        await sdk.image_to_video.create(  # type: ignore[call-overload]
            model="gen4_turbo", prompt_image=HTTPS_IMAGE, ratio="1:1"
        )
    assert bad.value.status_code == 400
    assert isinstance(bad.value.body, dict)
    assert bad.value.body["error"] == "Validation of body failed"
    assert [issue["path"] for issue in bad.value.body["issues"]] == [["ratio"]]

    async with runwayml.AsyncRunwayML(
        **sdk_options(runway_emulator, api_key="key_" + "0" * 128)
    ) as wrong_key:
        with pytest.raises(runwayml.AuthenticationError) as unauthorized:
            await wrong_key.organization.retrieve()
    assert unauthorized.value.status_code == 401
    assert isinstance(unauthorized.value.body, dict) and "error" in unauthorized.value.body

    with pytest.raises(runwayml.NotFoundError) as missing:
        await sdk.tasks.retrieve("00000000-0000-4000-8000-000000000000")
    assert missing.value.status_code == 404
    assert missing.value.body == {"error": "Task not found."}

    # A finished task that was deleted is gone too.
    created = await sdk.image_to_video.create(
        model="gen4_turbo", prompt_image=HTTPS_IMAGE, ratio="1280:720", duration=5
    )
    await created.wait_for_task_output(timeout=30)
    await sdk.tasks.delete(created.id)
    with pytest.raises(runwayml.NotFoundError) as deleted:
        await sdk.tasks.retrieve(created.id)
    assert deleted.value.body == {"error": "Task not found."}
    assert runway_emulator.stats()["creates_total"] == 1


async def test_wait_raises_task_failed_on_a_failed_task(
    sdk: runwayml.AsyncRunwayML,
    sync_sdk: runwayml.RunwayML,
    runway_emulator: RunwayEmulator,
) -> None:
    runway_emulator.set_faults(
        FaultPlan(
            rules=[Fault(operation="task", kind="fail", failure_code="SAFETY.INPUT.IMAGE", times=2)]
        )
    )
    created = await sdk.image_to_video.create(
        model="gen4_turbo", prompt_image=HTTPS_IMAGE, ratio="1280:720", duration=5
    )
    with pytest.raises(runwayml.TaskFailedError) as failed:
        await created.wait_for_task_output(timeout=30)
    details = failed.value.task_details
    assert isinstance(details, Failed)
    assert details.failure_code == "SAFETY.INPUT.IMAGE" and details.failure
    assert details.cost.credits == 25  # a moderation failure keeps its charge

    sync_created = sync_sdk.character_performance.create(
        model="act_two",
        character={"type": "image", "uri": HTTPS_IMAGE},
        reference={"type": "video", "uri": HTTPS_VIDEO},
    )
    with pytest.raises(runwayml.TaskFailedError) as sync_failed:
        sync_created.wait_for_task_output(timeout=30)
    sync_details = sync_failed.value.task_details
    assert isinstance(sync_details, Failed)
    assert sync_details.failure_code == "SAFETY.INPUT.IMAGE"


# --------------------------------------------------------- every endpoint of the catalogue


def sdk_kwargs(endpoint: str, model: str) -> dict[str, Any]:
    """A minimal valid request as the SDK's keyword arguments (its snake_case names)."""
    request = parse_request(minimal_body(endpoint, model), endpoint=endpoint)
    kwargs: dict[str, Any] = request.model_dump(mode="json", exclude_none=True)
    return kwargs


@pytest.mark.parametrize(("endpoint", "model"), VARIANTS)
async def test_the_sdk_creates_and_retrieves_every_model(
    endpoint: str, model: str, sdk: runwayml.AsyncRunwayML, runway_emulator: RunwayEmulator
) -> None:
    resource = getattr(sdk, endpoint)
    created = await resource.create(**sdk_kwargs(endpoint, model))
    # The create answer carries the estimate at run time (its declared type does not).
    assert created.estimated_cost.credits > 0  # type: ignore[attr-defined]
    details = await sdk.tasks.retrieve(created.id)
    assert details.id == created.id
    record = runway_emulator.task(created.id)
    assert (record["endpoint"], record["model"]) == (endpoint, model)
    assert runway_emulator.stats()["creates_by_endpoint_and_model"] == {endpoint: {model: 1}}


@pytest.mark.parametrize("endpoint", sorted({endpoint for endpoint, _ in VARIANTS}))
async def test_the_sdk_waits_for_and_downloads_each_endpoints_output(
    endpoint: str, sdk: runwayml.AsyncRunwayML, runway_emulator: RunwayEmulator
) -> None:
    model = next(model for ep, model in VARIANTS if ep == endpoint)
    created = await getattr(sdk, endpoint).create(**sdk_kwargs(endpoint, model))
    done = succeeded(await created.wait_for_task_output(timeout=30))
    kind = output_kind(parse_request(minimal_body(endpoint, model), endpoint=endpoint))
    assert len(done.output) == kind.count
    response = await download(done.output[0])
    assert response.status_code == 200
    assert response.headers["content-type"] == kind.content_type
    assert done.cost.credits == created.estimated_cost.credits  # type: ignore[attr-defined]
