"""Deployment definitions: prefect.yaml and the serve entry agree; the helpers do what they say."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from prefect_runway.blocks import RunwayCredentials
from prefect_runway.deployments.announce import assets_ready_event
from prefect_runway.deployments.limits import sync_concurrency_limits
from prefect_runway.deployments.serve import deployments
from prefect_runway.deployments.write_yaml import PREFECT_YAML, main
from prefect_runway.testing.emulator import RunwayEmulator


def _yaml() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(PREFECT_YAML.read_text())
    return loaded


def test_serve_offers_the_deployments_of_prefect_yaml() -> None:
    entries = _yaml()["deployments"]
    served = deployments()
    assert [(d.name, d.entrypoint) for d in served] == [
        (e["name"], e["entrypoint"]) for e in entries
    ]
    for deployment, entry in zip(served, entries, strict=True):
        assert deployment.parameters == (entry.get("parameters") or {})
        assert deployment.description == entry["description"]
        assert [s.active for s in deployment.schedules or []] == [
            s["active"] for s in entry.get("schedules") or []
        ]
        assert len(deployment.triggers) == len(entry.get("triggers") or [])
    assert {d.parameters.get("destination_block") for d in deployments("mine")} == {None, "mine"}


def test_every_entrypoint_is_a_module_path_to_a_flow_and_nothing_is_pulled() -> None:
    from prefect.flows import Flow, load_flow_from_entrypoint

    loaded = _yaml()
    # Left out or null, `prefect deploy` adds a step into the deploy-time folder.
    assert loaded["pull"] == []
    for entry in loaded["deployments"]:
        assert ":" not in entry["entrypoint"] and "/" not in entry["entrypoint"]
        assert entry["entrypoint"].startswith("prefect_runway.flows.")
        assert isinstance(load_flow_from_entrypoint(entry["entrypoint"]), Flow)
        assert entry["work_pool"]["name"] == "runway-process"
        env = entry["work_pool"]["job_variables"]["env"]
        assert "prefect_runway" in env["PREFECT_LOGGING_EXTRA_LOGGERS"]


def test_the_yaml_is_written_where_the_user_deploys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main([str(tmp_path)])
    assert (tmp_path / "prefect.yaml").read_bytes() == PREFECT_YAML.read_bytes()
    assert "prefect deploy --all --prefect-file" in capsys.readouterr().out


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
