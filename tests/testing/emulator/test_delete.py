"""DELETE /v1/tasks/{id}: cancel unfinished tasks, delete finished ones, 404 afterwards."""

from __future__ import annotations

import httpx

from prefect_runway.testing.emulator import RunwayEmulator
from tests.testing.emulator.conftest import MakeEmulator
from tests.testing.emulator.support import ManualClock, client, i2v_body, wait_status


def test_cancel_then_everything_answers_404(make_emulator: MakeEmulator) -> None:
    clock = ManualClock()
    emu = make_emulator(clock, queue_seconds=0, run_seconds=10)
    with client(emu) as http:
        task_id = http.post("/v1/image_to_video", json=i2v_body()).json()["id"]
        assert http.get(f"/v1/tasks/{task_id}").json()["status"] == "RUNNING"
        deleted = http.delete(f"/v1/tasks/{task_id}")
        assert deleted.status_code == 204
        assert deleted.content == b""
        gone = http.get(f"/v1/tasks/{task_id}")
        assert gone.status_code == 404
        assert isinstance(gone.json()["error"], str)
        assert http.delete(f"/v1/tasks/{task_id}").status_code == 404
        clock.advance(60)  # it never comes back, even once its run time is over
        assert http.get(f"/v1/tasks/{task_id}").status_code == 404
    stats = emu.stats()
    assert stats["deletes"] == 2
    assert stats["deleted_task_ids"] == [task_id]
    assert stats["cancelled_task_ids"] == [task_id]
    assert stats["tasks_by_status"] == {"CANCELLED": 1}


def test_deleting_a_succeeded_task_removes_its_outputs(
    runway_emulator: RunwayEmulator, http: httpx.Client
) -> None:
    task_id = http.post("/v1/image_to_video", json=i2v_body(duration=2)).json()["id"]
    link = wait_status(http, task_id, "SUCCEEDED")["output"][0]
    assert httpx.head(link).status_code == 200
    assert http.delete(f"/v1/tasks/{task_id}").status_code == 204
    assert http.get(f"/v1/tasks/{task_id}").status_code == 404
    assert httpx.get(link).status_code == 404
    assert http.delete(f"/v1/tasks/{task_id}").status_code == 404
    stats = runway_emulator.stats()
    assert stats["deleted_task_ids"] == [task_id]
    assert stats["cancelled_task_ids"] == []
    assert runway_emulator.task(task_id)["deleted"] is True


def test_unknown_ids_answer_404(http: httpx.Client) -> None:
    assert http.get("/v1/tasks/00000000-0000-4000-8000-000000000000").status_code == 404
    assert http.delete("/v1/tasks/00000000-0000-4000-8000-000000000000").status_code == 404
    admin = httpx.get(f"{http.base_url}/_emulator/tasks/nope")
    assert admin.status_code == 404
