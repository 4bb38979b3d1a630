"""The task life: PENDING -> (THROTTLED) -> RUNNING -> SUCCEEDED, on a hand-driven clock."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from prefect_runway.testing.emulator import RunwayEmulator
from tests.testing.emulator.conftest import MakeEmulator
from tests.testing.emulator.support import ManualClock, act_two_body, client, i2v_body, wait_status

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def _create(http: httpx.Client, **fields: Any) -> str:
    response = http.post("/v1/image_to_video", json=i2v_body(**fields))
    assert response.status_code == 200, response.text
    task_id: str = response.json()["id"]
    return task_id


def _get(http: httpx.Client, task_id: str) -> dict[str, Any]:
    response = http.get(f"/v1/tasks/{task_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_task_goes_pending_running_succeeded_with_exact_shapes(
    make_emulator: MakeEmulator,
) -> None:
    clock = ManualClock()
    emu = make_emulator(clock, queue_seconds=1.0, run_seconds=4.0)
    with client(emu) as http:
        created = http.post("/v1/image_to_video", json=i2v_body(duration=4))
        assert created.status_code == 200
        assert set(created.json()) == {"id", "estimatedCost"}
        assert created.json()["estimatedCost"] == {"credits": 20}
        task_id = created.json()["id"]

        pending = _get(http, task_id)
        assert set(pending) == {"id", "createdAt", "status", "estimatedCost"}
        assert pending["status"] == "PENDING"
        assert pending["id"] == task_id
        assert ISO_UTC.match(str(pending["createdAt"]))
        assert pending["estimatedCost"] == {"credits": 20}

        clock.advance(1.0)
        running = _get(http, task_id)
        assert set(running) == {"id", "createdAt", "status", "progress", "estimatedCost"}
        assert running["status"] == "RUNNING"
        assert running["progress"] == 0.0

        clock.advance(1.0)
        assert _get(http, task_id)["progress"] == 0.25
        clock.advance(2.0)
        assert _get(http, task_id)["progress"] == 0.75
        clock.advance(1.0)
        succeeded = _get(http, task_id)
        assert succeeded["status"] == "SUCCEEDED"
        assert set(succeeded) == {"id", "createdAt", "status", "output", "cost"}
        assert succeeded["cost"] == {"credits": 20}
        assert succeeded["createdAt"] == pending["createdAt"]
        output = succeeded["output"]
        assert isinstance(output, list) and len(output) == 1
        assert str(output[0]).startswith(f"{emu.base_url}/_outputs/{task_id}/0.mp4?_jwt=")

    record = emu.task(task_id)
    assert record["status"] == "SUCCEEDED"
    assert record["succeeded_at"]["monotonic"] == clock()
    assert record["started_at"]["monotonic"] == record["created_at"]["monotonic"] + 1.0
    assert record["request"] == i2v_body(duration=4)


def test_progress_grows_from_zero_to_one(make_emulator: MakeEmulator) -> None:
    clock = ManualClock()
    emu = make_emulator(clock, queue_seconds=0.0, run_seconds=10.0)
    with client(emu) as http:
        task_id = _create(http)
        seen: list[float] = []
        for _ in range(10):
            body = _get(http, task_id)
            assert body["status"] == "RUNNING"
            seen.append(body["progress"])
            clock.advance(1.0)
        assert seen == sorted(seen) and seen[0] == 0.0 and seen[-1] == 0.9
        assert _get(http, task_id)["status"] == "SUCCEEDED"


def test_beyond_max_concurrent_tasks_are_throttled_and_start_in_submission_order(
    make_emulator: MakeEmulator,
) -> None:
    clock = ManualClock()
    emu = make_emulator(clock, queue_seconds=0.5, run_seconds=2.0, max_concurrent={"gen4_turbo": 2})
    with client(emu) as http:
        ids = [_create(http) for _ in range(5)]
        other = _create(http, model="veo3.1")  # another model has its own slots
        assert [_get(http, i)["status"] for i in ids] == ["PENDING"] * 5
        clock.advance(0.5)
        assert [_get(http, i)["status"] for i in ids] == [
            "RUNNING",
            "RUNNING",
            "THROTTLED",
            "THROTTLED",
            "THROTTLED",
        ]
        assert _get(http, other)["status"] == "RUNNING"
        throttled = _get(http, ids[2])
        assert set(throttled) == {"id", "createdAt", "status", "estimatedCost"}
        clock.advance(2.0)
        assert [_get(http, i)["status"] for i in ids] == [
            "SUCCEEDED",
            "SUCCEEDED",
            "RUNNING",
            "RUNNING",
            "THROTTLED",
        ]
        clock.advance(2.0)
        assert [_get(http, i)["status"] for i in ids][4] == "RUNNING"
        clock.advance(2.0)
        assert {_get(http, i)["status"] for i in ids} == {"SUCCEEDED"}
        assert emu.stats()["tasks_by_status"] == {"SUCCEEDED": 6}

    starts = [emu.task(i)["started_at"]["monotonic"] for i in ids]
    assert starts == sorted(starts)
    # A freed slot goes to the next task at the very moment it frees.
    assert starts[2] == emu.task(ids[0])["ended_at"]["monotonic"]


def test_throttled_tasks_are_promoted_when_a_slot_is_freed_by_a_cancel(
    make_emulator: MakeEmulator,
) -> None:
    clock = ManualClock()
    emu = make_emulator(clock, queue_seconds=0.0, run_seconds=30.0, max_concurrent={"gen4.5": 1})
    with client(emu) as http:
        ids = [_create(http, model="gen4.5") for _ in range(3)]
        assert [_get(http, i)["status"] for i in ids] == ["RUNNING", "THROTTLED", "THROTTLED"]
        assert http.delete(f"/v1/tasks/{ids[0]}").status_code == 204
        assert [_get(http, i)["status"] for i in ids[1:]] == ["RUNNING", "THROTTLED"]
        assert http.delete(f"/v1/tasks/{ids[1]}").status_code == 204
        assert _get(http, ids[2])["status"] == "RUNNING"


def test_raising_max_concurrent_at_runtime_starts_throttled_tasks(
    make_emulator: MakeEmulator,
) -> None:
    clock = ManualClock()
    emu = make_emulator(clock, queue_seconds=0.0, run_seconds=30.0, max_concurrent={"act_two": 1})
    with client(emu) as http:
        ids = []
        for _ in range(3):
            response = http.post("/v1/character_performance", json=act_two_body())
            ids.append(response.json()["id"])
        assert [_get(http, i)["status"] for i in ids] == ["RUNNING", "THROTTLED", "THROTTLED"]
        changed = httpx.post(
            f"{emu.base_url}/_emulator/config", json={"max_concurrent": {"act_two": 3}}
        )
        assert changed.status_code == 200
        assert changed.json()["max_concurrent"] == {"act_two": 3}
        assert [_get(http, i)["status"] for i in ids] == ["RUNNING"] * 3


@pytest.mark.parametrize("count", [1500])
def test_holds_many_tasks_cheaply(make_emulator: MakeEmulator, count: int) -> None:
    clock = ManualClock()
    emu = make_emulator(clock, queue_seconds=0.0, run_seconds=1.0, default_max_concurrent=10)
    state = emu.state

    async def create_many() -> list[str]:
        from prefect_runway.testing.emulator.validation import validate_image_to_video

        ids = []
        for _ in range(count):
            request = validate_image_to_video(i2v_body(duration=2), state.resolve_upload)
            assert not isinstance(request, list)
            ids.append((await state.create_task(request)).id)
        return ids

    ids = emu.call(create_many())
    clock.advance(count / 10 + 1)
    stats = emu.stats()
    assert stats["creates_total"] == count
    assert stats["tasks_by_status"] == {"SUCCEEDED": count}
    assert stats["credits_charged"] == count * 10
    last = emu.task(ids[-1])
    assert last["started_at"]["monotonic"] == last["created_at"]["monotonic"] + count / 10 - 1


def test_real_clock_task_completes(runway_emulator: RunwayEmulator, http: httpx.Client) -> None:
    task_id = _create(http)
    body = wait_status(http, task_id, "SUCCEEDED")
    assert body["cost"] == {"credits": 50}
