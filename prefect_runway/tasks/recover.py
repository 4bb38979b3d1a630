"""Recovering outputs of Runway tasks made elsewhere: stored exactly as ``generate`` stores them.

Given a task id (from an earlier script, another tool, a run that timed out, a detached run),
read the task and, if it SUCCEEDED, stream its outputs into S3 and write the sidecar last. No
request is ever submitted. A task already recovered (its sidecar names the same task id) is
left alone; one still running, failed or gone is reported as such.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any, Literal

from prefect_aws import S3Bucket
from pydantic import BaseModel, ConfigDict

from prefect_runway.api import RunwayClient, TaskNotFound, TaskStatus
from prefect_runway.tasks.generate import store_task
from prefect_runway.tasks.store import read_sidecar, resolve_key

__all__ = ["RecoveryResult", "recover_task"]

logger = logging.getLogger(__name__)


class RecoveryResult(BaseModel):
    """What became of one task id.

    Attributes:
        task_id: The Runway task.
        status: ``stored`` (now in S3), ``already_stored``, ``pending`` (not finished yet),
            ``failed`` (FAILED or CANCELLED at Runway) or ``not_found`` (deleted or unknown).
        output_uri: The output's ``s3://`` URI when stored.
        sidecar_uri: The sidecar's ``s3://`` URI when stored.
        credits: What Runway charged, when reported.
        detail: Runway's status, reason or code.
    """

    model_config = ConfigDict(frozen=True)

    task_id: str
    status: Literal["stored", "already_stored", "pending", "failed", "not_found"]
    output_uri: str | None = None
    sidecar_uri: str | None = None
    sha256: str | None = None
    credits: float | None = None
    detail: str | None = None
    seconds: float = 0.0


async def recover_task(
    task_id: str,
    *,
    client: RunwayClient,
    destination: S3Bucket,
    prefix: str = "",
    name: str | None = None,
    extra_args: Mapping[str, Any] | None = None,
) -> RecoveryResult:
    """Land one task's outputs and sidecar in S3, with no new generation.

    Args:
        task_id: The Runway task id.
        client: The Runway client (the same account that made the task).
        destination: The prefect-aws S3Bucket.
        prefix: Key prefix under the bucket's folder.
        name: Output stem; defaults to the task id.
        extra_args: boto3 ExtraArgs for the output and sidecar.
    """
    started = time.monotonic()
    name = name or task_id
    stem = "/".join(p.strip("/") for p in (prefix, name) if p.strip("/"))
    sidecar_key = f"{stem}.json"
    existing = await read_sidecar(destination, sidecar_key)
    if existing is not None and existing.get("task_id") == task_id:
        return RecoveryResult(
            task_id=task_id, status="already_stored", output_uri=existing.get("output_uri"),
            sidecar_uri=f"s3://{destination.bucket_name}/{resolve_key(destination, sidecar_key)}",
            sha256=existing.get("sha256"), credits=existing.get("credits"),
            seconds=time.monotonic() - started,
        )  # fmt: skip
    try:
        task = await client.get_task(task_id)
    except TaskNotFound:
        return RecoveryResult(
            task_id=task_id, status="not_found", detail="Runway answered 404: deleted or unknown",
            seconds=time.monotonic() - started,
        )  # fmt: skip
    if task.status in (TaskStatus.FAILED, TaskStatus.CANCELLED):
        error = task.to_error()
        return RecoveryResult(
            task_id=task_id, status="failed", credits=task.credits, detail=str(error),
            seconds=time.monotonic() - started,
        )  # fmt: skip
    if task.status is not TaskStatus.SUCCEEDED:
        return RecoveryResult(
            task_id=task_id, status="pending", detail=task.status.value,
            seconds=time.monotonic() - started,
        )  # fmt: skip
    sidecar, written = await store_task(
        task,
        client=client,
        destination=destination,
        stem=stem,
        extra_args=extra_args,
        fields={
            "key": f"task:{task_id}",
            "name": name,
            "model": None,  # Runway's task object does not say which model made it
            "recovered": True,
            "total_credits": task.cost.credits if task.cost is not None else None,
        },
    )
    credits = sidecar["credits"]
    sidecar_object = written
    logger.info("recovered Runway task %s into %s", task_id, sidecar["output_uri"])
    return RecoveryResult(
        task_id=task_id, status="stored", output_uri=sidecar["output_uri"],
        sidecar_uri=sidecar_object.uri, sha256=sidecar["sha256"], credits=credits,
        seconds=time.monotonic() - started,
    )  # fmt: skip
