"""The recover flow: land the outputs of Runway tasks made elsewhere in S3, paying nothing.

Example:
    ```python
    from prefect_runway.flows.recover import recover

    await recover(["0f1c...", "8a2d..."], destination_block="renders", prefix="recovered")
    ```
"""

from __future__ import annotations

import asyncio
from typing import cast

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_table_artifact
from prefect_aws import S3Bucket
from pydantic import Field

from prefect_runway.blocks import RunwayCredentials
from prefect_runway.tasks.recover import RecoveryResult, recover_task

__all__ = ["recover"]


@flow(name="runway-recover", log_prints=False)
async def recover(
    task_ids: list[str] = Field(  # noqa: B008 - pydantic Field is how Prefect reads descriptions
        description="Runway task ids whose outputs should be stored in S3.", min_length=1
    ),
    destination_block: str = Field(description="Name of the prefect-aws S3Bucket block."),
    prefix: str = Field(default="recovered", description="Key prefix under the bucket folder."),
    credentials_block: str = Field(
        default="runway", description="Name of the RunwayCredentials block."
    ),
    concurrency: int = Field(default=4, ge=1, le=32, description="Outputs stored at once."),
) -> list[RecoveryResult]:
    """Store each task's outputs and sidecar exactly as a generation would; submit nothing.

    Tasks still running are reported ``pending`` (run again later); failed or deleted ones are
    reported with Runway's reason. Already recovered tasks are skipped.
    """
    logger = get_run_logger()
    destination = cast(S3Bucket, await S3Bucket.aload(destination_block))
    credentials = cast(RunwayCredentials, await RunwayCredentials.aload(credentials_block))
    limit = asyncio.Semaphore(concurrency)
    async with credentials.get_client() as client:

        async def one(task_id: str) -> RecoveryResult:
            async with limit:
                return await recover_task(
                    task_id, client=client, destination=destination, prefix=prefix
                )

        results = list(await asyncio.gather(*(one(task_id) for task_id in task_ids)))
    await acreate_table_artifact(
        key="runway-recover",
        table=[
            {
                "task id": r.task_id,
                "status": r.status,
                "S3 URI": r.output_uri or "",
                "credits": r.credits if r.credits is not None else "",
                "detail": r.detail or "",
            }
            for r in results
        ],
        description="Runway tasks recovered into S3",
    )
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    logger.info("recover: %s", ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
    return results
