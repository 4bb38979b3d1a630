"""Serve the flows without a work pool: ``python -m deployments.serve``.

For users without workers: this process polls the Prefect server and runs each flow run in a
subprocess. The deployments are those of ``prefect.yaml`` (same names, parameters, schedules
and trigger), so the UI, schedules and upstream events start runs the same way.
"""

from __future__ import annotations

import argparse

from prefect import serve
from prefect.events import DeploymentEventTrigger
from prefect.schedules import Cron, Interval

from flows.batch import batch
from flows.character_performance import character_performance
from flows.fan_out import fan_out
from flows.image_to_video import image_to_video
from flows.recover import recover
from flows.storyboard import storyboard
from flows.sweep import sweep

__all__ = ["deployments", "main"]


def deployments(destination_block: str = "renders") -> list[object]:
    """The ``RunnerDeployment`` of each entry of ``prefect.yaml``."""
    batch_defaults = {"destination_block": destination_block}
    return [
        image_to_video.to_deployment("ui", tags=["runway", "ui"]),
        character_performance.to_deployment("ui", tags=["runway", "ui"]),
        storyboard.to_deployment("ui", tags=["runway", "ui"]),
        recover.to_deployment("ui", tags=["runway", "ui"]),
        batch.to_deployment("batch", tags=["runway", "batch"], parameters=batch_defaults),
        fan_out.to_deployment(
            "nightly",
            tags=["runway", "scheduled"],
            parameters={"source": "s3://my-inbox/manifests/", **batch_defaults},
            schedules=[Cron("0 2 * * *", timezone="Europe/London", active=False)],
        ),
        sweep.to_deployment(
            "every-10-minutes",
            tags=["runway", "scheduled"],
            parameters={"manifest": "s3://my-inbox/manifests/today.jsonl", **batch_defaults},
            schedules=[Interval(600, active=False)],
        ),
        batch.to_deployment(
            "on-assets-ready",
            tags=["runway", "event"],
            parameters=batch_defaults,
            triggers=[
                DeploymentEventTrigger(
                    match={"prefect.resource.id": "media.assets.*"},
                    expect={"media.assets.ready"},
                    parameters={
                        "manifest": "{{ event.payload.manifest }}",
                        "prefix": "{{ event.payload.prefix }}",
                    },
                )
            ],
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--destination-block", default="renders")
    parser.add_argument("--limit", type=int, default=4, help="flow runs at once")
    args = parser.parse_args()
    serve(*deployments(args.destination_block), limit=args.limit)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
