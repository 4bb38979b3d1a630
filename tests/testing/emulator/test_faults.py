"""The fault plan: every kind, counting, narrowing, and reproducible random faults."""

from __future__ import annotations

import functools
import logging
from typing import Any

import httpx
import pydantic
import pytest

from prefect_runway.testing.emulator import Fault, FaultPlan, RandomFaults, RunwayEmulator
from tests.testing.emulator.conftest import MakeEmulator
from tests.testing.emulator.support import act_two_body, client, i2v_body, wait_for, wait_status


def _plan(*rules: Fault) -> FaultPlan:
    return FaultPlan(rules=list(rules))


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_status_fault_on_create_answers_it_and_creates_nothing(
    runway_emulator: RunwayEmulator, http: httpx.Client, status: int
) -> None:
    runway_emulator.set_faults(
        _plan(Fault(operation="create", kind="status", status=status, retry_after=1.5))
    )
    response = http.post("/v1/image_to_video", json=i2v_body())
    assert response.status_code == status
    assert isinstance(response.json()["error"], str)
    assert response.headers["retry-after"] == "1.5"
    assert response.headers["retry-after-ms"] == "1500"
    assert http.post("/v1/image_to_video", json=i2v_body()).status_code == 200  # spent
    stats = runway_emulator.stats()
    assert stats["creates_total"] == 1
    assert stats["rejected_creates"] == 1
    assert stats["faults_injected"] == {f"create:status:{status}": 1}


def test_skip_times_and_endpoint_narrowing(
    runway_emulator: RunwayEmulator, http: httpx.Client
) -> None:
    runway_emulator.set_faults(
        _plan(
            Fault(
                operation="create",
                kind="status",
                status=503,
                endpoint="character_performance",
                skip=1,
                times=2,
            )
        )
    )
    codes = []
    for _ in range(4):
        assert http.post("/v1/image_to_video", json=i2v_body()).status_code == 200
        codes.append(http.post("/v1/character_performance", json=act_two_body()).status_code)
    assert codes == [200, 503, 503, 200]
    assert runway_emulator.stats()["faults_injected"] == {"create:status:503": 2}


def test_endpoint_can_name_a_model(runway_emulator: RunwayEmulator, http: httpx.Client) -> None:
    runway_emulator.set_faults(
        _plan(Fault(operation="create", kind="status", status=502, endpoint="veo3.1", times=5))
    )
    assert http.post("/v1/image_to_video", json=i2v_body("gen4_turbo")).status_code == 200
    assert http.post("/v1/image_to_video", json=i2v_body("veo3.1")).status_code == 502


def test_rules_apply_in_order_and_a_taken_request_is_not_seen_by_later_rules(
    runway_emulator: RunwayEmulator, http: httpx.Client
) -> None:
    runway_emulator.set_faults(
        _plan(
            Fault(operation="poll", kind="status", status=500),
            Fault(operation="poll", kind="status", status=503),
        )
    )
    task_id = http.post("/v1/image_to_video", json=i2v_body()).json()["id"]
    codes = [http.get(f"/v1/tasks/{task_id}").status_code for _ in range(3)]
    assert codes == [500, 503, 200]


def test_reset_before_drops_the_connection_and_creates_nothing(
    runway_emulator: RunwayEmulator, http: httpx.Client
) -> None:
    runway_emulator.set_faults(_plan(Fault(operation="create", kind="reset_before")))
    with pytest.raises(httpx.TransportError):
        http.post("/v1/image_to_video", json=i2v_body())
    stats = runway_emulator.stats()
    assert stats["creates_total"] == 0
    assert stats["task_ids"] == []
    assert stats["rejected_creates"] == 1
    assert stats["faults_injected"] == {"create:reset_before": 1}
    # The client's pool recovers: the next request works.
    assert http.post("/v1/image_to_video", json=i2v_body()).status_code == 200


def test_reset_after_creates_and_charges_the_task_but_the_client_never_hears(
    runway_emulator: RunwayEmulator, http: httpx.Client
) -> None:
    runway_emulator.set_faults(_plan(Fault(operation="create", kind="reset_after")))
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        http.post("/v1/image_to_video", json=i2v_body(duration=4))
    stats = runway_emulator.stats()
    assert stats["creates_total"] == 1
    assert stats["rejected_creates"] == 0
    assert stats["credits_charged"] == 20
    assert stats["faults_injected"] == {"create:reset_after": 1}
    (task_id,) = stats["task_ids"]
    # The orphan is a real task: it runs to completion and can be fetched by id.
    assert wait_status(http, task_id, "SUCCEEDED")["cost"] == {"credits": 20}


async def test_reset_after_seen_by_an_async_client(runway_emulator: RunwayEmulator) -> None:
    runway_emulator.set_faults(_plan(Fault(operation="create", kind="reset_after")))
    headers = {
        "Authorization": f"Bearer {runway_emulator.api_key}",
        "X-Runway-Version": "2024-11-06",
    }
    async with httpx.AsyncClient(base_url=runway_emulator.base_url, headers=headers) as http:
        with pytest.raises(httpx.TransportError):
            await http.post("/v1/character_performance", json=act_two_body())
        assert (await http.get("/_emulator/stats")).json()["creates_total"] == 1


def test_slow_answers_after_processing(runway_emulator: RunwayEmulator, http: httpx.Client) -> None:
    runway_emulator.set_faults(_plan(Fault(operation="create", kind="slow", delay=2.0)))
    with pytest.raises(httpx.ReadTimeout):
        http.post("/v1/image_to_video", json=i2v_body(), timeout=0.2)
    # Created although the client gave up (the answer was only delayed, not withheld).
    wait_for(runway_emulator.stats, lambda stats: stats["creates_total"] == 1)
    runway_emulator.set_faults(_plan(Fault(operation="poll", kind="slow", delay=0.2)))
    task_id = runway_emulator.stats()["task_ids"][0]
    assert http.get(f"/v1/tasks/{task_id}").status_code == 200  # patient clients get the answer


def test_not_found_blip_on_poll(runway_emulator: RunwayEmulator, http: httpx.Client) -> None:
    task_id = http.post("/v1/image_to_video", json=i2v_body()).json()["id"]
    runway_emulator.set_faults(_plan(Fault(operation="poll", kind="not_found", times=2)))
    codes = [http.get(f"/v1/tasks/{task_id}").status_code for _ in range(3)]
    assert codes == [404, 404, 200]
    assert runway_emulator.stats()["faults_injected"] == {"poll:not_found": 2}


def test_delete_faults(runway_emulator: RunwayEmulator, http: httpx.Client) -> None:
    task_id = http.post("/v1/image_to_video", json=i2v_body()).json()["id"]
    runway_emulator.set_faults(
        _plan(
            Fault(operation="delete", kind="status", status=503),
            Fault(operation="delete", kind="reset_after"),
        )
    )
    assert http.delete(f"/v1/tasks/{task_id}").status_code == 503
    assert http.get(f"/v1/tasks/{task_id}").status_code == 200  # nothing happened
    with pytest.raises(httpx.TransportError):
        http.delete(f"/v1/tasks/{task_id}")
    assert http.get(f"/v1/tasks/{task_id}").status_code == 404  # but this one was processed
    assert http.delete(f"/v1/tasks/{task_id}").status_code == 404


def _output_link(http: httpx.Client) -> str:
    task_id = http.post("/v1/image_to_video", json=i2v_body(duration=2)).json()["id"]
    link: str = wait_status(http, task_id, "SUCCEEDED")["output"][0]
    return link


def test_truncated_download(runway_emulator: RunwayEmulator, http: httpx.Client) -> None:
    link = _output_link(http)
    size = int(httpx.head(link).headers["content-length"])
    runway_emulator.set_faults(_plan(Fault(operation="download", kind="truncate")))
    received = 0
    with pytest.raises(httpx.RemoteProtocolError), httpx.stream("GET", link) as response:
        assert int(response.headers["content-length"]) == size
        for chunk in response.iter_bytes():
            received += len(chunk)
    assert 0 < received < size
    assert len(httpx.get(link).content) == size
    assert runway_emulator.stats()["faults_injected"] == {"download:truncate": 1}


def test_truncated_range_download(runway_emulator: RunwayEmulator, http: httpx.Client) -> None:
    link = _output_link(http)
    runway_emulator.set_faults(_plan(Fault(operation="download", kind="truncate")))
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(link, headers={"Range": "bytes=100-1099"})


def test_ignore_range_and_expire_link(runway_emulator: RunwayEmulator, http: httpx.Client) -> None:
    link = _output_link(http)
    full = httpx.get(link).content
    runway_emulator.set_faults(
        _plan(
            Fault(operation="download", kind="ignore_range"),
            Fault(operation="download", kind="expire_link"),
            Fault(operation="download", kind="status", status=500),
            Fault(operation="download", kind="not_found"),
        )
    )
    whole = httpx.get(link, headers={"Range": "bytes=100-"})
    assert whole.status_code == 200
    assert whole.content == full
    expired = httpx.get(link)
    assert expired.status_code == 403
    assert "error" in expired.json()
    assert httpx.get(link).status_code == 500
    assert httpx.get(link).status_code == 404
    assert httpx.get(link, headers={"Range": "bytes=100-"}).status_code == 206


def test_download_reset(runway_emulator: RunwayEmulator, http: httpx.Client) -> None:
    link = _output_link(http)
    runway_emulator.set_faults(
        _plan(
            Fault(operation="download", kind="reset_before"),
            Fault(operation="download", kind="reset_after"),
        )
    )
    for _ in range(2):
        with pytest.raises(httpx.TransportError):
            httpx.get(link)
    assert httpx.get(link).status_code == 200


def test_organization_and_upload_faults(
    runway_emulator: RunwayEmulator, http: httpx.Client
) -> None:
    runway_emulator.set_faults(
        _plan(
            Fault(operation="organization", kind="status", status=502, endpoint="organization"),
            Fault(operation="upload", kind="status", status=429, endpoint="uploads", retry_after=2),
        )
    )
    assert http.get("/v1/organization").status_code == 502
    assert http.get("/v1/organization").status_code == 200
    refused = http.post("/v1/uploads", json={"filename": "a.png", "type": "ephemeral"})
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "2"
    assert (
        http.post("/v1/uploads", json={"filename": "a.png", "type": "ephemeral"}).status_code == 200
    )


def test_intentional_resets_do_not_log_errors(
    runway_emulator: RunwayEmulator, http: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    link = _output_link(http)
    runway_emulator.set_faults(
        _plan(
            Fault(operation="create", kind="reset_before"),
            Fault(operation="create", kind="reset_after"),
            Fault(operation="download", kind="truncate"),
        )
    )
    with caplog.at_level(logging.INFO):
        for _ in range(2):
            with pytest.raises(httpx.TransportError):
                http.post("/v1/image_to_video", json=i2v_body())
        with pytest.raises(httpx.TransportError):
            httpx.get(link)
        # A request after the faults makes sure the server handled them all.
        assert http.get("/v1/organization").status_code == 200
    assert [r for r in caplog.records if r.name.startswith("uvicorn")] == []


def test_fault_plan_over_http_and_its_validation(runway_emulator: RunwayEmulator) -> None:
    url = f"{runway_emulator.base_url}/_emulator/faults"
    plan = {
        "rules": [{"operation": "poll", "kind": "not_found", "times": 3}],
        "random": {"seed": 4, "rates": {"create:status:503": 0.5}},
    }
    response = httpx.post(url, json=plan)
    assert response.status_code == 200
    assert response.json()["rules"][0]["times"] == 3
    for bad in (
        {"rules": [{"operation": "poll", "kind": "truncate"}]},
        {"rules": [{"operation": "create", "kind": "status"}]},
        {"rules": [{"operation": "task", "kind": "fail", "status": 500}]},
        {"random": {"seed": 1, "rates": {"create:status": 0.1}}},
        {"random": {"seed": 1, "rates": {"create:explode": 0.1}}},
        {"random": {"seed": 1, "rates": {"poll:not_found": 1.5}}},
        {"rules": [], "extra": 1},
    ):
        assert httpx.post(url, json=bad).status_code == 400, bad


def test_fault_models_refuse_impossible_combinations() -> None:
    with pytest.raises(pydantic.ValidationError):
        Fault(operation="create", kind="truncate")
    with pytest.raises(pydantic.ValidationError):
        RandomFaults(seed=1, rates={"task:status:500": 0.1})
    assert Fault(operation="create", kind="status", status=503).label == "create:status:503"


RATES = {
    "create:status:503": 0.15,
    "create:reset_after": 0.1,
    "poll:not_found": 0.2,
    "poll:status:502": 0.1,
    "task:fail:INTERNAL": 0.3,
}


def _random_run(emu: RunwayEmulator, seed: int) -> tuple[list[Any], dict[str, int]]:
    emu.reset()
    emu.set_faults(FaultPlan(random=RandomFaults(seed=seed, rates=RATES)))
    outcomes: list[Any] = []
    with client(emu) as http:
        for _ in range(25):
            try:
                outcomes.append(http.post("/v1/image_to_video", json=i2v_body()).status_code)
            except httpx.TransportError as error:
                outcomes.append(type(error).__name__)
        task_id = emu.stats()["task_ids"][0]
        outcomes += [http.get(f"/v1/tasks/{task_id}").status_code for _ in range(25)]
    for other in emu.stats()["task_ids"]:
        # Through the admin API: polls would draw random faults of their own.
        record = wait_for(
            functools.partial(emu.task, other),
            lambda r: r["status"] in ("SUCCEEDED", "FAILED"),
        )
        outcomes.append((record["status"], record["failure_code"]))
    return outcomes, emu.stats()["faults_injected"]


def test_random_faults_are_reproducible_with_the_same_seed(make_emulator: MakeEmulator) -> None:
    emu = make_emulator(run_seconds=0.05, queue_seconds=0, default_max_concurrent=50)
    first = _random_run(emu, seed=11)
    again = _random_run(emu, seed=11)
    other = _random_run(emu, seed=12)
    assert first == again
    assert first != other
    injected = first[1]
    assert {key.split(":")[0] for key in injected} == {"create", "poll", "task"}
    assert sum(injected.values()) > 5
