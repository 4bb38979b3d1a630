"""This package's INFO lines reach a worker run's stored logs (what the UI shows), and the API.

On the local stack (a real Prefect server, a process worker started as the README says, with
no logging variable): run A submits and waits; run B of the same request, started while A
waits, reattaches to A's Runway task; run C, after both, finds the output stored. Each run's
logs, read back from the Prefect API, hold the line of ``prefect_runway``'s own loggers that
says so: the Runway task id at submit, "reattaching", "already stored". Then the API path of a
form: an empty text or number field may be left out or sent as ``null``; a value outside the
form's choices (``null`` included) is refused by the server, naming the field.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
import pytest

from prefect_runway.testing.stack import BUCKET, BUCKET_FOLDER, Stack
from tests.ui.conftest import deployment_ids, stored_keys, wait_for_run

# One stack for both UI files: under xdist they run in one worker (tests/conftest.py).
pytestmark = pytest.mark.slow

RUN_SECONDS = 90.0


async def run_logs(api: httpx.AsyncClient, flow_run_id: str) -> list[dict[str, Any]]:
    found = await api.post(
        "/logs/filter", json={"logs": {"flow_run_id": {"any_": [flow_run_id]}}, "limit": 200}
    )
    logs: list[dict[str, Any]] = found.json()
    return logs


async def start(api: httpx.AsyncClient, deployment_id: str, params: dict[str, Any]) -> str:
    created = await api.post(
        f"/deployments/{deployment_id}/create_flow_run", json={"parameters": {"params": params}}
    )
    assert created.status_code == 201, created.text
    run_id: str = created.json()["id"]
    return run_id


async def ours(api: httpx.AsyncClient, run_id: str, text: str, patience: float = 60) -> list[str]:
    """The run's log lines from this package's loggers that contain ``text``, once stored."""
    deadline = time.monotonic() + patience
    while True:  # a finished run's last lines reach the API a moment later
        lines = [
            log["message"]
            for log in await run_logs(api, run_id)
            if log["name"].startswith("prefect_runway") and text in log["message"]
        ]
        if lines or time.monotonic() > deadline:
            return lines
        await asyncio.sleep(0.5)


async def test_a_worker_runs_logs_hold_the_task_id_the_reattach_and_already_stored(
    ui_stack: Stack, api: httpx.AsyncClient, s3: Any
) -> None:
    emulator = httpx.AsyncClient(base_url=ui_stack.emulator_url)
    before = (await emulator.get("/_emulator/config")).json()
    # A's task runs long enough for B to start while it runs, even on a loaded machine.
    await emulator.post("/_emulator/config", json={"run_seconds": RUN_SECONDS})
    try:
        i2v = (await deployment_ids(api))["runway-image-to-video/ui"]
        prefix = f"logs-{uuid.uuid4().hex[:8]}"
        params = {
            "image": f"s3://{BUCKET}/samples/harbour.png", "prompt_text": "Boats rock gently.",
            "ratio": "960:960", "duration": 2, "name": "harbour", "prefix": prefix,
            "poll_interval": 1,
        }  # fmt: skip
        creates = (await emulator.get("/_emulator/stats")).json()["creates_total"]
        first = await start(api, i2v, params)
        deadline = time.monotonic() + 180
        while (await emulator.get("/_emulator/stats")).json()["creates_total"] == creates:
            assert time.monotonic() < deadline, "run A never submitted"
            await asyncio.sleep(0.5)
        second = await start(api, i2v, params)  # while A's task runs
        reattached = await ours(api, second, "reattaching", patience=RUN_SECONDS)
        runs = [await wait_for_run(api, run_id) for run_id in (first, second)]
        assert [run["state"]["type"] for run in runs] == ["COMPLETED", "COMPLETED"]
        third = await start(api, i2v, params)
        assert (await wait_for_run(api, third))["state"]["type"] == "COMPLETED"
        stats = (await emulator.get("/_emulator/stats")).json()
        assert stats["creates_total"] == creates + 1  # three runs, one paid generation
    finally:
        await emulator.post("/_emulator/config", json={"run_seconds": before["run_seconds"]})
        await emulator.aclose()

    submitted = await ours(api, first, "as Runway task")
    assert len(submitted) == 1, submitted
    task_id = submitted[0].split("as Runway task ")[1].split()[0]
    assert reattached and all(task_id in line for line in reattached), reattached
    assert await ours(api, third, "already stored"), await run_logs(api, third)
    folder = f"{BUCKET_FOLDER}/{prefix}/"
    keys = stored_keys(s3, folder)
    assert f"{folder}harbour.mp4" in keys and f"{folder}harbour.json" in keys, keys


async def test_the_api_may_leave_an_empty_field_out_or_send_null(
    ui_stack: Stack, api: httpx.AsyncClient, s3: Any
) -> None:
    # The form's optional fields have no default in the schema, so the server's check lets a
    # null through (Prefect allows null for a field that is neither required nor defaulted),
    # and the flow reads null as empty, as it reads a missing key.
    i2v = (await deployment_ids(api))["runway-image-to-video/ui"]
    prefix = f"api-{uuid.uuid4().hex[:8]}"
    left_out = {"image": f"s3://{BUCKET}/samples/coast.png", "ratio": "960:960",
                "duration": 2, "name": "coast", "prefix": prefix, "poll_interval": 1}  # fmt: skip
    nulls = {**left_out, "name": "coast-nulls", "seed": None, "max_credits": None,
             "prompt_text": None, "max_queue_minutes": None}  # fmt: skip
    runs = [await start(api, i2v, params) for params in (left_out, nulls)]
    for run_id in runs:
        run = await wait_for_run(api, run_id)
        assert run["state"]["type"] == "COMPLETED", run["state"]
    folder = f"{BUCKET_FOLDER}/{prefix}/"
    keys = stored_keys(s3, folder)
    for stem in ("coast", "coast-nulls"):
        assert f"{folder}{stem}.mp4" in keys and f"{folder}{stem}.json" in keys, keys
    # A value the form would not offer is refused by the server, naming the field; so is a
    # null for a choice (null is not among its values): leave an empty choice out.
    for field, value in (("ratio", "5:4"), ("output_format", None)):  # no model takes 5:4
        refused = await api.post(
            f"/deployments/{i2v}/create_flow_run",
            json={"parameters": {"params": {**left_out, field: value}}},
        )
        assert refused.status_code == 409, refused.text
        assert f"params.{field}" in refused.text
