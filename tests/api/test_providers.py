import pytest

from prefect_runway.api import (
    COMETAPI,
    RUNWAY,
    Gen4TurboImageToVideo,
    ProviderLimitExceeded,
    Task,
    get_provider,
)
from prefect_runway.api.providers import Capability, unwrap_task

IMAGE = "https://example.com/a.png"


def test_paths() -> None:
    assert RUNWAY.path("tasks", "abc") == "/v1/tasks/abc"
    assert COMETAPI.path("image_to_video") == "/runwayml/v1/image_to_video"


def test_capabilities() -> None:
    assert set(RUNWAY.capabilities) == set(Capability)
    assert not COMETAPI.capabilities


def test_unknown_provider_lists_known_ones() -> None:
    with pytest.raises(
        ValueError, match=r"unknown provider 'x'; known providers: \['cometapi', 'runway'\]"
    ):
        get_provider("x")


def test_cometapi_limits_are_tighter() -> None:
    COMETAPI.check(Gen4TurboImageToVideo(prompt_image=IMAGE, ratio="960:960", seed=999_999_999))
    with pytest.raises(
        ProviderLimitExceeded, match="seed 1000000000 is above cometapi's limit of 999999999"
    ):
        COMETAPI.check(
            Gen4TurboImageToVideo(prompt_image=IMAGE, ratio="960:960", seed=1_000_000_000)
        )
    RUNWAY.check(Gen4TurboImageToVideo(prompt_image=IMAGE, ratio="960:960", seed=1_000_000_000))
    long_prompt = "x" * 513
    with pytest.raises(
        ProviderLimitExceeded,
        match="prompt_text is 513 UTF-16 code units long; cometapi allows at most 512",
    ):
        COMETAPI.check(
            Gen4TurboImageToVideo(prompt_image=IMAGE, ratio="960:960", prompt_text=long_prompt)
        )


def test_bare_body_passes_through() -> None:
    body = {"id": "t", "status": "SUCCEEDED", "output": ["https://x.example.com/o.mp4"]}
    assert unwrap_task(body) is body


def test_wrapped_body_with_inner_task() -> None:
    body = {
        "code": "success",
        "message": "",
        "data": {
            "task_id": "t",
            "status": "QUEUED",
            "progress": "0%",
            "data": {"id": "t", "status": "PENDING", "createdAt": "2026-03-13T09:52:46+08:00"},
        },
    }
    task = Task.model_validate(unwrap_task(body))
    assert task.id == "t" and task.status.value == "PENDING"


@pytest.mark.parametrize(
    ("wrapper_status", "expected"),
    [
        ("NOT_START", "PENDING"),
        ("SUBMITTED", "PENDING"),
        ("QUEUED", "PENDING"),
        ("IN_PROGRESS", "RUNNING"),
        ("SUCCESS", "SUCCEEDED"),
        ("FAILURE", "FAILED"),
    ],
)
def test_wrapped_body_without_inner_task(wrapper_status: str, expected: str) -> None:
    body = {
        "code": "success",
        "data": {
            "task_id": "t",
            "status": wrapper_status,
            "progress": "40%",
            "fail_reason": "bad luck",
            "result_url": "https://x.example.com/o.mp4",
        },
    }
    task = Task.model_validate(unwrap_task(body))
    assert task.status.value == expected
    assert task.progress == 0.4
    if expected == "SUCCEEDED":
        assert task.output == ["https://x.example.com/o.mp4"]
    if expected == "FAILED":
        assert task.failure == "bad luck"
