"""Deployment definitions: prefect.yaml and the serve entry agree; the helpers do what they say."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from blocks import RunwayCredentials
from deployments.announce import assets_ready_event
from deployments.limits import sync_concurrency_limits
from deployments.serve import deployments
from emulator import RunwayEmulator

ROOT = Path(__file__).resolve().parents[2]


def _yaml() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "deployments" / "prefect.yaml").read_text())
    return loaded


def test_serve_offers_the_deployments_of_prefect_yaml() -> None:
    from_yaml = sorted(
        (entry["entrypoint"].rsplit(":", 1)[1], entry["name"]) for entry in _yaml()["deployments"]
    )
    served = sorted((d.flow_name.removeprefix("runway-").replace("-", "_"), d.name)  # type: ignore[attr-defined]
                    for d in deployments())  # fmt: skip
    assert served == from_yaml


def test_every_entrypoint_exists_and_runs_on_the_process_pool() -> None:
    for entry in _yaml()["deployments"]:
        path, _, function = entry["entrypoint"].partition(":")
        assert f"async def {function}(" in (ROOT / path).read_text(), entry["entrypoint"]
        assert entry["work_pool"]["name"] == "runway-process"
        env = entry["work_pool"]["job_variables"]["env"]
        assert "runway" in env["PREFECT_LOGGING_EXTRA_LOGGERS"]


def test_the_trigger_maps_the_event_payload_to_the_batch() -> None:
    (entry,) = [e for e in _yaml()["deployments"] if e["name"] == "on-assets-ready"]
    (trigger,) = entry["triggers"]
    event = assets_ready_event("s3://inbox/a.jsonl", batch_id="b-1", prefix="today")
    assert event["event"] in trigger["expect"]
    assert event["resource"]["prefect.resource.id"].startswith(
        trigger["match"]["prefect.resource.id"].rstrip("*")
    )
    assert trigger["parameters"]["manifest"] == "{{ event.payload.manifest }}"
    assert set(event["payload"]) == {"manifest", "prefix"}


async def test_concurrency_limits_follow_the_tier(
    prefect_harness: str, emulator: RunwayEmulator
) -> None:
    from prefect.client.orchestration import get_client

    emulator.configure(max_concurrent={"gen4_turbo": 3, "act_two": 2})
    credentials = RunwayCredentials(api_key=emulator.api_key, base_url=emulator.base_url)
    limits = await sync_concurrency_limits(credentials)
    try:
        assert limits["gen4_turbo"] == 3 and limits["act_two"] == 2
        emulator.configure(max_concurrent={"gen4_turbo": 5})
        await sync_concurrency_limits(credentials)  # updated, not duplicated
        async with get_client() as prefect:
            limit = await prefect.read_global_concurrency_limit_by_name("runway-gen4_turbo")
        assert limit.limit == 5
    finally:  # the other tests' batches must not meet these limits
        async with get_client() as prefect:
            for model in limits:
                await prefect.delete_global_concurrency_limit_by_name(f"runway-{model}")
