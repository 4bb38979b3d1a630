"""Serve the flows without a work pool: ``python -m prefect_runway.deployments.serve``.

For users without workers: this process polls the Prefect server and runs each flow run in a
subprocess. The deployments are read from the packaged ``prefect.yaml`` (same names,
descriptions, parameters, schedules and triggers), so the UI, schedules and upstream events
start runs the same way, and the two can never drift apart.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any, cast

import yaml
from prefect import serve
from prefect.deployments.runner import RunnerDeployment
from prefect.events import DeploymentEventTrigger
from prefect.flows import Flow
from prefect.schedules import Cron, Interval, Schedule
from prefect.types.entrypoint import EntrypointType

from prefect_runway.deployments.write_yaml import PREFECT_YAML

__all__ = ["deployments", "main"]


def _flow(entrypoint: str) -> Flow[..., Any]:
    module, _, name = entrypoint.rpartition(".")
    found = getattr(importlib.import_module(module), name)
    if not isinstance(found, Flow):
        raise TypeError(f"{entrypoint} is not a flow")
    return found


def _schedule(entry: dict[str, Any]) -> Schedule:
    active = bool(entry.get("active", True))
    if "cron" in entry:
        return Cron(entry["cron"], timezone=entry.get("timezone"), active=active)
    return Interval(entry["interval"], active=active)


def _trigger(entry: dict[str, Any]) -> DeploymentEventTrigger:
    fields = {key: value for key, value in entry.items() if key != "type"}
    return DeploymentEventTrigger(**fields)


def deployments(destination_block: str | None = None) -> list[RunnerDeployment]:
    """A ``RunnerDeployment`` per entry of the packaged ``prefect.yaml``.

    Args:
        destination_block: Replaces the S3Bucket block name of the entries that set one.

    Example:
        ```python
        from prefect import serve
        from prefect_runway.deployments.serve import deployments

        serve(*deployments("renders"), limit=4)
        ```
    """
    loaded: dict[str, Any] = yaml.safe_load(PREFECT_YAML.read_text())
    found = []
    for entry in loaded["deployments"]:
        parameters = dict(entry.get("parameters") or {})
        if destination_block is not None and "destination_block" in parameters:
            parameters["destination_block"] = destination_block
        deployment = _flow(entry["entrypoint"]).to_deployment(
            entry["name"],
            description=entry.get("description"),
            tags=entry.get("tags"),
            parameters=parameters,
            schedules=[_schedule(s) for s in entry.get("schedules") or []],
            triggers=[_trigger(t) for t in entry.get("triggers") or []],
            # Runs import the installed package, whatever the working directory.
            entrypoint_type=EntrypointType.MODULE_PATH,
        )
        found.append(cast(RunnerDeployment, deployment))  # sync form: never a coroutine here
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--destination-block", default=None)
    parser.add_argument("--limit", type=int, default=4, help="flow runs at once")
    args = parser.parse_args()
    serve(*deployments(args.destination_block), limit=args.limit)


if __name__ == "__main__":
    main()
