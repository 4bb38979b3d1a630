"""Create Prefect global concurrency limits per model from the organization's tier.

The batch, storyboard and fan-out flows hold a slot of the limit ``runway-<model>`` when one
exists, so generations of a model across every run, worker and machine stay within Runway's
``maxConcurrentGenerations``; beyond it Runway would only queue them (THROTTLED) while workers
wait. Run it once, and again when the tier changes:

    python -m prefect_runway.deployments.limits --credentials-block runway
"""

from __future__ import annotations

import argparse
import asyncio
from typing import cast

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import (
    GlobalConcurrencyLimitCreate,
    GlobalConcurrencyLimitUpdate,
)
from prefect.exceptions import ObjectNotFound

from prefect_runway.blocks import RunwayCredentials

__all__ = ["sync_concurrency_limits"]


async def sync_concurrency_limits(credentials: RunwayCredentials) -> dict[str, int]:
    """Create or update ``runway-<model>`` for every model the tier limits.

    Returns:
        The limits set, by model.
    """
    async with credentials.get_client() as runway:
        organization = await runway.get_organization()
    wanted = {
        model: limits.max_concurrent_generations
        for model, limits in organization.tier.models.items()
        if limits.max_concurrent_generations
    }
    async with get_client() as prefect:
        for model, limit in sorted(wanted.items()):
            name = f"runway-{model}"
            try:
                await prefect.read_global_concurrency_limit_by_name(name)
            except ObjectNotFound:
                await prefect.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=name, limit=limit)
                )
            else:
                await prefect.update_global_concurrency_limit(
                    name, GlobalConcurrencyLimitUpdate(limit=limit)
                )
    return wanted


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--credentials-block", default="runway")
    args = parser.parse_args()
    credentials = cast(RunwayCredentials, RunwayCredentials.load(args.credentials_block))
    for model, limit in asyncio.run(sync_concurrency_limits(credentials)).items():
        print(f"runway-{model}: {limit}")


if __name__ == "__main__":
    main()
