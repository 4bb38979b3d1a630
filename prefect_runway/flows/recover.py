"""The recover flow: land the outputs of Runway tasks made elsewhere in S3, paying nothing.

Example:
    ```python
    from prefect_runway.flows.recover import recover

    await recover(["0f1c...", "8a2d..."], destination_block="renders", prefix="recovered")
    ```
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_table_artifact
from pydantic import Field

from prefect_runway.flows.parameters import (
    CredentialsBlockName,
    DestinationBlock,
    KeyPrefix,
    described,
)
from prefect_runway.flows.user_errors import ends_cleanly, load_credentials, load_destination
from prefect_runway.tasks.recover import RecoveryResult, recover_task

__all__ = ["recover"]


TaskIds = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=100)]],
    described(
        "Runway task ids",
        "The Runway tasks whose outputs should be stored in S3, one per item.",
        min_length=1,
        max_length=1000,
    ),
]


@flow(name="runway-recover", log_prints=False)
@ends_cleanly
async def recover(
    task_ids: TaskIds,
    destination_block: DestinationBlock = "renders",
    prefix: KeyPrefix = "recovered",
    credentials_block: CredentialsBlockName = "runway",
    concurrency: Annotated[
        int, described("Outputs stored at once", "Tasks recovered at the same time.", ge=1, le=32)
    ] = 4,
) -> list[RecoveryResult]:
    """Store each task's outputs and sidecar exactly as a generation would; submit nothing.

    Tasks still running are reported ``pending`` (run again later); failed or deleted ones are
    reported with Runway's reason. Already recovered tasks are skipped.
    """
    logger = get_run_logger()
    destination = await load_destination(destination_block)
    credentials = await load_credentials(credentials_block)
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
