"""CometAPI mode: the proxy's routes, bare and wrapped task details, task_not_exist, limits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from prefect_runway.testing.emulator import EmulatorConfig, Fault, FaultPlan, RunwayEmulator
from prefect_runway.testing.emulator.__main__ import _parse, config_from_args
from tests.testing.emulator.support import (
    VERSION,
    ManualClock,
    act_two_body,
    client,
    decode_video,
    i2v_body,
)

API = "/runwayml/v1"
NOT_EXIST = {"code": "task_not_exist", "message": "task_not_exist", "data": None}


def create(http: httpx.Client, body: dict[str, Any], endpoint: str = "image_to_video") -> str:
    response = http.post(f"{API}/{endpoint}", json=body)
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    assert created == {"id": created["id"]}  # bare {"id"}: no wrapper, no estimatedCost
    return str(created["id"])


def details(http: httpx.Client, task_id: str) -> dict[str, Any]:
    response = http.get(f"{API}/tasks/{task_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


_CLOCK = ManualClock()


@pytest.fixture(scope="module")
def comet_server() -> Iterator[RunwayEmulator]:
    """One CometAPI-mode emulator for the module, on a hand-driven clock."""
    config = EmulatorConfig(
        mode="cometapi",
        queue_seconds=1.0,
        run_seconds=10.0,
        max_concurrent={"gen4_turbo": 1},
        cometapi_not_exist_seconds=0.5,
    )
    with RunwayEmulator(config, clock=_CLOCK) as emulator:
        yield emulator


@pytest.fixture
def clock() -> ManualClock:
    return _CLOCK


@pytest.fixture
def comet(comet_server: RunwayEmulator) -> RunwayEmulator:
    """CometAPI mode, reset: 1 s queued, 10 s running, one gen4_turbo slot, 0.5 s not_exist."""
    comet_server.reset()
    return comet_server


def test_only_the_proxy_routes_exist(comet: RunwayEmulator) -> None:
    with client(comet) as http:
        task_id = create(http, i2v_body())
        create(http, act_two_body(), "character_performance")
        # Runway's own paths, and what CometAPI does not document, answer 404.
        assert http.post("/v1/image_to_video", json=i2v_body()).status_code == 404
        assert http.post("/v1/character_performance", json=act_two_body()).status_code == 404
        assert http.get(f"/v1/tasks/{task_id}").status_code == 404
        assert http.delete(f"/v1/tasks/{task_id}").status_code == 404
        assert http.delete(f"{API}/tasks/{task_id}").status_code == 404
        for path in ("/v1/uploads", f"{API}/uploads"):
            assert http.post(path, json={"filename": "a.png", "type": "ephemeral"}).status_code == (
                404
            )
        for path in ("/v1/organization", f"{API}/organization"):
            assert http.get(path).status_code == 404
        assert http.post("/v1/organization/usage", json={}).status_code == 404
        stats = comet.stats()
    assert stats["creates_total"] == 2
    assert stats["creates"] == {"image_to_video": 1, "character_performance": 1}
    assert stats["deletes"] == 0 and stats["upload_requests"] == 0
    assert stats["organization_reads"] == 0


def test_the_version_header_is_required_on_creates_only(
    comet: RunwayEmulator, clock: ManualClock
) -> None:
    auth = {"Authorization": f"Bearer {comet.api_key}"}
    with httpx.Client(base_url=comet.base_url, headers=auth) as http:
        response = http.post(f"{API}/image_to_video", json=i2v_body())
        assert response.status_code == 400
        assert "X-Runway-Version" in response.json()["error"]
        versioned = {"X-Runway-Version": VERSION}
        response = http.post(f"{API}/image_to_video", json=i2v_body(), headers=versioned)
        task_id = response.json()["id"]
        # The GET works without it (after the task_not_exist window)...
        assert http.get(f"{API}/tasks/{task_id}").status_code == 400  # task_not_exist yet
        clock.advance(0.5)
        assert http.get(f"{API}/tasks/{task_id}").status_code == 200
        # ...and with the right one; a wrong one is still refused.
        assert http.get(f"{API}/tasks/{task_id}", headers={"X-Runway-Version": VERSION}).is_success
        wrong = http.get(f"{API}/tasks/{task_id}", headers={"X-Runway-Version": "2023-09-06"})
        assert wrong.status_code == 400
        # The key is checked first, on both.
        bad_key = {"Authorization": "Bearer key_wrong"}
        assert http.get(f"{API}/tasks/{task_id}", headers=bad_key).status_code == 401
        assert http.post(f"{API}/image_to_video", json=i2v_body(), headers=bad_key).status_code == (
            401
        )
    assert comet.stats()["rejected_creates"] == 2


def test_a_fresh_or_unknown_task_answers_task_not_exist(
    comet: RunwayEmulator, clock: ManualClock
) -> None:
    with client(comet) as http:
        task_id = create(http, i2v_body())
        for _ in range(2):
            response = http.get(f"{API}/tasks/{task_id}")
            assert response.status_code == 400
            assert response.json() == NOT_EXIST
        clock.advance(0.49)
        assert http.get(f"{API}/tasks/{task_id}").status_code == 400
        clock.advance(0.01)
        assert details(http, task_id)["data"]["status"] == "QUEUED"
        unknown = http.get(f"{API}/tasks/00000000-0000-4000-8000-000000000000")
        assert (unknown.status_code, unknown.json()) == (400, NOT_EXIST)
        # A poll fault of kind not_found answers the proxy's way too.
        comet.set_faults(FaultPlan(rules=[Fault(operation="poll", kind="not_found")]))
        faulted = http.get(f"{API}/tasks/{task_id}")
        assert (faulted.status_code, faulted.json()) == (400, NOT_EXIST)
        stats = comet.stats()
    assert stats["task_not_exist_answers"] == 5
    assert stats["gets"] == 6


def test_wrapped_details_follow_the_task_to_success(
    comet: RunwayEmulator, clock: ManualClock
) -> None:
    with client(comet) as http:
        first = create(http, i2v_body())
        second = create(http, i2v_body(seed=7))
        clock.advance(0.5)

        queued = details(http, first)
        assert queued["code"] == "success" and queued["message"] == ""
        wrapper = queued["data"]
        assert set(wrapper) == {
            "task_id",
            "action",
            "status",
            "fail_reason",
            "submit_time",
            "start_time",
            "finish_time",
            "progress",
            "data",
        }
        assert wrapper["task_id"] == first and wrapper["action"] == "IMAGE_TO_VIDEO"
        assert wrapper["status"] == "QUEUED" and wrapper["progress"] == "0%"
        assert wrapper["fail_reason"] == "" and wrapper["start_time"] == 0
        assert wrapper["finish_time"] == 0 and wrapper["submit_time"] > 1_700_000_000
        inner = wrapper["data"]
        assert inner["id"] == first and inner["status"] == "PENDING"
        assert inner["createdAt"].endswith("Z")

        clock.advance(0.5 + 4.0)  # first RUNNING for 4 s of 10; second waits for the slot
        running = details(http, first)["data"]
        assert running["status"] == "IN_PROGRESS" and running["progress"] == "40%"
        assert running["start_time"] >= running["submit_time"] > 0
        assert running["data"]["status"] == "RUNNING" and running["data"]["progress"] == 0.4
        throttled = details(http, second)["data"]
        # Runway's THROTTLED is queued for the wrapper; the inner task keeps Runway's word.
        assert throttled["status"] == "QUEUED" and throttled["data"]["status"] == "THROTTLED"

        clock.advance(6.0)
        done = details(http, first)["data"]
        assert done["status"] == "SUCCESS" and done["progress"] == "100%"
        assert done["finish_time"] >= done["start_time"]
        assert done["data"]["status"] == "SUCCEEDED"
        assert done["result_url"] == done["data"]["output"][0]
        assert done["data"]["cost"] == {"credits": 50}
        video = httpx.get(done["result_url"])
        assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
        width, height, _, _ = decode_video(video.content)
        assert width / height == pytest.approx(1280 / 720, rel=0.02)


def test_a_failed_act_two_task_wrapped_and_bare(comet: RunwayEmulator, clock: ManualClock) -> None:
    comet.set_faults(
        FaultPlan(
            rules=[Fault(operation="task", kind="fail", failure_code="SAFETY.INPUT.IMAGE", times=1)]
        )
    )
    with client(comet) as http:
        task_id = create(http, act_two_body(), "character_performance")
        clock.advance(11.5)
        wrapper = details(http, task_id)["data"]
        assert wrapper["action"] == "CHARACTER_PERFORMANCE"
        assert wrapper["status"] == "FAILURE" and wrapper["progress"] == "100%"
        assert "result_url" not in wrapper
        inner = wrapper["data"]
        assert inner["status"] == "FAILED" and inner["failureCode"] == "SAFETY.INPUT.IMAGE"
        assert wrapper["fail_reason"] == inner["failure"] and inner["failure"]

        comet.configure(cometapi_task_shape="bare")
        bare = details(http, task_id)
        assert bare == inner


def test_bare_details_use_the_documented_status_set(
    comet: RunwayEmulator, clock: ManualClock
) -> None:
    emu = comet
    emu.configure(cometapi_task_shape="bare", cometapi_not_exist_seconds=0.0)
    with client(emu) as http:
        first = create(http, i2v_body())
        second = create(http, i2v_body(seed=1))
        pending = details(http, first)
        assert pending["status"] == "PENDING" and pending["id"] == first
        assert pending["estimatedCost"] == {"credits": 50}
        clock.advance(3.5)
        running = details(http, first)
        assert running["status"] == "RUNNING" and running["progress"] == 0.25
        # THROTTLED is not in the proxy's documented set: it shows as PENDING.
        assert emu.task(second)["status"] == "THROTTLED"
        assert details(http, second)["status"] == "PENDING"
        clock.advance(10.0)
        done = details(http, first)
        assert done["status"] == "SUCCEEDED" and len(done["output"]) == 1
        assert "code" not in done and "data" not in done


def test_alternate_switches_shape_on_each_get(comet: RunwayEmulator, clock: ManualClock) -> None:
    emu = comet
    emu.configure(cometapi_task_shape="alternate", cometapi_not_exist_seconds=0.1)
    with client(emu) as http:
        one = create(http, i2v_body())
        two = create(http, i2v_body(seed=2))
        assert http.get(f"{API}/tasks/{one}").status_code == 400  # not counted as a shape
        clock.advance(0.1)
        shapes = []
        for task_id in (one, one, two, one, two):
            body = details(http, task_id)
            shapes.append("wrapped" if "code" in body else "bare")
            status = body["data"]["data"]["status"] if "code" in body else body["status"]
            assert status == "PENDING"
    # Each task alternates on its own GETs, starting wrapped.
    assert shapes == ["wrapped", "bare", "wrapped", "wrapped", "bare"]


@pytest.mark.parametrize(
    ("endpoint", "body", "path", "ok"),
    [
        ("image_to_video", i2v_body(seed=1_000_000_000), ["seed"], i2v_body(seed=999_999_999)),
        (
            "image_to_video",
            i2v_body(promptText="x" * 513),
            ["promptText"],
            i2v_body(promptText="x" * 512),
        ),
        (
            "image_to_video",
            i2v_body(promptText="\U0001f600" * 257),  # 514 UTF-16 code units
            ["promptText"],
            i2v_body(promptText="\U0001f600" * 256),
        ),
        (
            "character_performance",
            act_two_body(seed=4_000_000_000),
            ["seed"],
            act_two_body(seed=999_999_999),
        ),
    ],
)
def test_cometapi_limits_are_tighter_than_runways(
    comet: RunwayEmulator,
    endpoint: str,
    body: dict[str, Any],
    path: list[str],
    ok: dict[str, Any],
) -> None:
    with client(comet) as http:
        response = http.post(f"{API}/{endpoint}", json=body)
        assert response.status_code == 400
        error = response.json()
        assert error["error"] == "Validation of body failed"
        assert [issue["path"] for issue in error["issues"]] == [path]
        assert error["issues"][0]["code"] == "too_big"
        create(http, ok, endpoint)
        # Beyond Runway's own limit too, the field gets one issue, not two.
        too_big = {**body, "seed": 5_000_000_000} if path == ["seed"] else body
        issues = http.post(f"{API}/{endpoint}", json=too_big).json()["issues"]
        assert [issue["path"] for issue in issues] == [path]
    assert comet.stats()["creates_total"] == 1


def test_runway_mode_keeps_runways_limits(http: httpx.Client) -> None:
    response = http.post("/v1/image_to_video", json=i2v_body(seed=1_000_000_000))
    assert response.status_code == 200
    assert set(response.json()) == {"id", "estimatedCost"}
    assert http.post(f"{API}/image_to_video", json=i2v_body()).status_code == 404


def test_the_mode_is_fixed_but_the_shape_can_change(comet: RunwayEmulator) -> None:
    response = httpx.post(f"{comet.base_url}/_emulator/config", json={"mode": "runway"})
    assert response.status_code == 400
    response = httpx.post(
        f"{comet.base_url}/_emulator/config", json={"cometapi_task_shape": "bare"}
    )
    assert response.status_code == 200
    assert response.json()["cometapi_task_shape"] == "bare"
    bad = httpx.post(f"{comet.base_url}/_emulator/config", json={"cometapi_task_shape": "odd"})
    assert bad.status_code == 400


def test_the_command_line_chooses_the_mode(tmp_path: Path) -> None:
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"cometapi_task_shape": "bare"}))
    config = config_from_args(_parse(["--mode", "cometapi", "--config", str(settings)]))
    assert (config.mode, config.cometapi_task_shape) == ("cometapi", "bare")
    assert config_from_args(_parse([])).mode == "runway"
