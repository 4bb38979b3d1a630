"""Credits (estimates, final costs, refunds), the balance and daily limits."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from prefect_runway.testing.emulator import Fault, FaultPlan, RunwayEmulator
from tests.testing.emulator.conftest import MakeEmulator
from tests.testing.emulator.support import ManualClock, act_two_body, client, i2v_body


def _created(response: httpx.Response) -> tuple[str, int]:
    assert response.status_code == 200, response.text
    body = response.json()
    return body["id"], body["estimatedCost"]["credits"]


@pytest.mark.parametrize(
    ("body", "credits"),
    [
        (i2v_body("gen4_turbo", duration=5), 25),
        (i2v_body("gen4_turbo"), 50),  # duration defaults to 10 s
        (i2v_body("gen4.5", duration=10), 120),
        (i2v_body("gen4.5", duration=4, outputFormat="prores"), 68),
        (i2v_body("gen4.5", duration=2, outputFormat="hdr10"), 64),
        (i2v_body("veo3.1"), 320),  # 8 s, audio on by default
        (i2v_body("veo3.1", audio=False, duration=4), 80),
        (i2v_body("veo3.1_fast", duration=6), 90),
        (i2v_body("veo3.1_fast", audio=False), 80),
    ],
)
def test_estimates_per_model(http: httpx.Client, body: dict[str, Any], credits: int) -> None:
    _, estimate = _created(http.post("/v1/image_to_video", json=body))
    assert estimate == credits


def test_act_two_without_a_readable_reference_is_priced_for_5_seconds(http: httpx.Client) -> None:
    _, estimate = _created(http.post("/v1/character_performance", json=act_two_body()))
    assert estimate == 25


# (failure code, charged?) per the rule: moderation and invalid assets keep their charge.
FAILURES = [
    ("SAFETY.INPUT.TEXT", True),
    ("SAFETY.OUTPUT.VIDEO", True),
    ("INPUT_PREPROCESSING.SAFETY.TEXT", True),
    ("ASSET.INVALID", True),
    ("INTERNAL.BAD_OUTPUT.CODE01", False),
    ("INTERNAL", False),
    ("THIRD_PARTY.UNAVAILABLE", False),
    ("INPUT_PREPROCESSING.INTERNAL", False),
    (None, False),
]


@pytest.mark.parametrize(("code", "charged"), FAILURES)
def test_failed_tasks_are_charged_or_refunded_by_code(
    make_emulator: MakeEmulator, code: str | None, charged: bool
) -> None:
    clock = ManualClock()
    emu = make_emulator(clock, queue_seconds=0, run_seconds=1, credit_balance=1000)
    emu.set_faults(FaultPlan(rules=[Fault(operation="task", kind="fail", failure_code=code)]))
    with client(emu) as http:
        task_id, estimate = _created(http.post("/v1/image_to_video", json=i2v_body(duration=4)))
        assert emu.stats()["credit_balance"] == 1000 - estimate  # held while it runs
        clock.advance(1)
        body = http.get(f"/v1/tasks/{task_id}").json()
    assert body["status"] == "FAILED"
    assert body["cost"] == {"credits": estimate if charged else 0}
    assert isinstance(body["failure"], str) and body["failure"]
    if code is None:
        assert "failureCode" not in body
        assert set(body) == {"id", "createdAt", "status", "failure", "cost"}
    else:
        assert body["failureCode"] == code
    stats = emu.stats()
    assert stats["credits_charged"] == (estimate if charged else 0)
    assert stats["credit_balance"] == 1000 - stats["credits_charged"]
    assert stats["faults_injected"] == {"task:fail": 1}


def test_fail_fault_uses_the_given_failure_text(make_emulator: MakeEmulator) -> None:
    clock = ManualClock()
    emu = make_emulator(clock, queue_seconds=0, run_seconds=1)
    emu.set_faults(
        FaultPlan(
            rules=[
                Fault(
                    operation="task",
                    kind="fail",
                    endpoint="character_performance",
                    failure_code="SAFETY.INPUT.IMAGE",
                    failure="No face found.",
                )
            ]
        )
    )
    with client(emu) as http:
        i2v_id, _ = _created(http.post("/v1/image_to_video", json=i2v_body()))
        act_id, _ = _created(http.post("/v1/character_performance", json=act_two_body()))
        clock.advance(1)
        assert http.get(f"/v1/tasks/{i2v_id}").json()["status"] == "SUCCEEDED"
        failed = http.get(f"/v1/tasks/{act_id}").json()
    assert failed["failure"] == "No face found."
    assert failed["failureCode"] == "SAFETY.INPUT.IMAGE"


@pytest.mark.parametrize(
    ("advance", "status", "refunded"), [(0.5, "PENDING", True), (1.5, "RUNNING", False)]
)
def test_cancel_refunds_only_tasks_that_never_ran(
    make_emulator: MakeEmulator, advance: float, status: str, refunded: bool
) -> None:
    clock = ManualClock()
    emu = make_emulator(clock, queue_seconds=1, run_seconds=10)
    with client(emu) as http:
        task_id, estimate = _created(http.post("/v1/image_to_video", json=i2v_body()))
        clock.advance(advance)
        assert http.get(f"/v1/tasks/{task_id}").json()["status"] == status
        assert http.delete(f"/v1/tasks/{task_id}").status_code == 204
    record = emu.task(task_id)
    assert record["status"] == "CANCELLED"
    assert record["cancelled_while"] == status
    assert record["cost"] == (0 if refunded else estimate)
    assert emu.stats()["credits_charged"] == (0 if refunded else estimate)


def test_cancel_while_throttled_is_refunded(make_emulator: MakeEmulator) -> None:
    clock = ManualClock()
    emu = make_emulator(clock, queue_seconds=0, run_seconds=10, max_concurrent={"gen4_turbo": 1})
    with client(emu) as http:
        _, estimate = _created(http.post("/v1/image_to_video", json=i2v_body()))
        second, _ = _created(http.post("/v1/image_to_video", json=i2v_body()))
        assert http.get(f"/v1/tasks/{second}").json()["status"] == "THROTTLED"
        assert http.delete(f"/v1/tasks/{second}").status_code == 204
    assert emu.task(second)["cost"] == 0
    assert emu.stats()["credits_charged"] == estimate


def test_deleting_a_finished_task_refunds_nothing(make_emulator: MakeEmulator) -> None:
    clock = ManualClock()
    emu = make_emulator(clock, queue_seconds=0, run_seconds=1)
    with client(emu) as http:
        task_id, estimate = _created(http.post("/v1/image_to_video", json=i2v_body()))
        clock.advance(2)
        assert http.delete(f"/v1/tasks/{task_id}").status_code == 204
    assert emu.task(task_id)["status"] == "SUCCEEDED"
    assert emu.task(task_id)["deleted"] is True
    assert emu.stats()["credits_charged"] == estimate


def test_a_create_beyond_the_balance_is_refused_and_creates_nothing(
    make_emulator: MakeEmulator,
) -> None:
    emu = make_emulator(credit_balance=60)
    with client(emu) as http:
        _created(http.post("/v1/image_to_video", json=i2v_body(duration=10)))  # 50
        refused = http.post("/v1/image_to_video", json=i2v_body(duration=3))  # 15 > 10 left
        assert refused.status_code == 400
        assert "credits" in refused.json()["error"]
        _created(http.post("/v1/image_to_video", json=i2v_body(duration=2)))  # 10 fits
        assert http.get("/v1/organization").json()["creditBalance"] == 0
    stats = emu.stats()
    assert stats["creates_total"] == 2
    assert stats["rejected_creates"] == 1


def test_daily_limit_answers_429_and_creates_nothing_in_a_rolling_window(
    make_emulator: MakeEmulator,
) -> None:
    clock = ManualClock()
    emu = make_emulator(clock, max_daily={"gen4_turbo": 2}, default_max_daily=None)
    with client(emu) as http:
        for _ in range(2):
            _created(http.post("/v1/image_to_video", json=i2v_body()))
        refused = http.post("/v1/image_to_video", json=i2v_body())
        assert refused.status_code == 429
        assert refused.json() == {"error": "Your daily task limit has been reached."}
        # Other models have their own limit.
        _created(http.post("/v1/image_to_video", json=i2v_body("veo3.1_fast")))
        usage = http.get("/v1/organization").json()["usage"]["models"]
        assert usage["gen4_turbo"] == {"dailyGenerations": 2}
        clock.advance(24 * 3600)
        _created(http.post("/v1/image_to_video", json=i2v_body()))
    stats = emu.stats()
    assert stats["creates"]["image_to_video"] == 4
    assert stats["rejected_creates"] == 1


def test_default_daily_limit_applies_to_every_model(make_emulator: MakeEmulator) -> None:
    emu = make_emulator(default_max_daily=1)
    with client(emu) as http:
        _created(http.post("/v1/character_performance", json=act_two_body()))
        assert http.post("/v1/character_performance", json=act_two_body()).status_code == 429
        assert emu.stats()["creates_total"] == 1


def test_stats_report_charges_of_running_and_finished_tasks(
    runway_emulator: RunwayEmulator, http: httpx.Client
) -> None:
    _created(http.post("/v1/image_to_video", json=i2v_body(duration=2)))
    _created(http.post("/v1/image_to_video", json=i2v_body("gen4.5", duration=2)))
    stats = runway_emulator.stats()
    assert stats["credits_charged"] == 10 + 24
    assert stats["credit_balance"] == 1_000_000 - 34
