"""The fan-out flow: a large batch split into chunk runs of the batch deployment, for many workers.

``source`` is one manifest or a folder of them (``s3://bucket/inbox/`` or a local folder, with a
trailing slash). Each manifest is cut into chunks of ``chunk_rows`` rows, written to S3 under
``<prefix>/_chunks/<flow run id>/``, and each chunk becomes a run of the ``runway-batch/batch``
deployment, which any worker of its pool picks up. The chunk runs are started with an
idempotency key (this run's id and the chunk's number), so a retried fan-out starts no chunk
twice; identical rows in different chunks pay once (the ledger's create-only intent).

Example:
    ```python
    from prefect_runway.flows.fan_out import fan_out

    report = await fan_out("s3://inbox/manifests/", destination_block="renders", chunk_rows=200)
    print(report.chunks, report.completed)
    ```
"""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Annotated

from prefect import flow, get_run_logger
from prefect.client.orchestration import get_client
from prefect.deployments import arun_deployment
from prefect.runtime import flow_run
from prefect_aws import S3Bucket
from pydantic import BaseModel

from prefect_runway.flows.batch import manifest_kind, read_manifest
from prefect_runway.flows.parameters import (
    CredentialsBlockName,
    DestinationBlock,
    KeyPrefix,
    PollInterval,
    described,
)
from prefect_runway.flows.user_errors import ends_cleanly, load_credentials, load_destination
from prefect_runway.tasks.allowed_inputs import InputPolicy
from prefect_runway.tasks.inputs import S3Reader

__all__ = ["ChunkRun", "FanOutReport", "fan_out", "split_manifest"]

TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


class ChunkRun(BaseModel):
    """One chunk and the batch run it became."""

    manifest: str
    flow_run_id: str
    state: str | None = None


class FanOutReport(BaseModel):
    """The chunk runs started, and how they ended when waited for."""

    manifests: int
    chunks: int
    completed: int = 0
    failed: int = 0
    runs: list[ChunkRun]


def split_manifest(text: str, kind: str, chunk_rows: int) -> list[str]:
    """Cut a manifest into chunks of at most ``chunk_rows`` rows (CSV chunks keep the header).

    Blank lines are dropped; a malformed line stays, as written, in its chunk, where the batch
    reports it (a CSV row Python's csv cannot read, a cell over its field limit, included).

    Example:
        >>> split_manifest('{"a": 1}\\n{"a": 2}\\n{"a": 3}\\n', "jsonl", 2)
        ['{"a": 1}\\n{"a": 2}\\n', '{"a": 3}\\n']
    """
    if kind == "csv":
        # Rows are cut from the text as written (a quoted cell may span lines): the reader
        # says where each row ends, and the lines up to there are copied untouched.
        lines = list(io.StringIO(text, newline=""))
        reader = csv.reader(iter(lines))
        records: list[str] = []
        taken = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error:
                cells = ["unreadable"]
            raw = "".join(lines[taken : reader.line_num])
            taken = reader.line_num
            if any(cell.strip() for cell in cells):
                records.append(raw if raw.endswith(("\n", "\r")) else raw + "\n")
        if not records:
            return []
        header, body = records[0], records[1:]
        return ["".join([header, *body[start : start + chunk_rows]])
                for start in range(0, len(body), chunk_rows)]  # fmt: skip
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    lines = [line for line in lines if line.strip()]
    return ["".join(f"{line}\n" for line in lines[i:i + chunk_rows])
            for i in range(0, len(lines), chunk_rows)]  # fmt: skip


async def _manifests(source: str, destination: S3Bucket, policy: InputPolicy) -> list[str]:
    if not source.endswith("/"):
        return [source]
    if source.startswith("s3://"):
        s3 = destination.credentials.get_s3_client()
        bucket, prefix = S3Reader.split(source)
        policy.s3_object("source", f"s3://{bucket}/{prefix}listing")  # only allowed buckets
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        keys = [item["Key"] for page in await asyncio.to_thread(list, pages)
                for item in page.get("Contents", [])]  # fmt: skip
        return [f"s3://{bucket}/{key}" for key in sorted(keys)
                if key.endswith((".jsonl", ".ndjson", ".csv"))]  # fmt: skip
    # A folder is listed only inside the allowed roots; each manifest is checked when read.
    folder = policy.local_folder("source", source)
    return [str(path) for path in sorted(folder.iterdir())
            if path.suffix in (".jsonl", ".ndjson", ".csv")]  # fmt: skip


@flow(name="runway-fan-out")
@ends_cleanly
async def fan_out(
    source: Annotated[
        str,
        described(
            "Source",
            "A manifest, or a folder of them ending in '/': s3://bucket/prefix/ or a folder on "
            "the machine that runs the flow.",
            min_length=1,
            max_length=2048,
        ),
    ],
    destination_block: DestinationBlock = "renders",
    prefix: KeyPrefix = "batch",
    credentials_block: CredentialsBlockName = "runway",
    chunk_rows: Annotated[
        int, described("Rows per chunk", "Rows per chunk run of the batch deployment.", ge=1)
    ] = 200,
    deployment: Annotated[
        str,
        described(
            "Batch deployment",
            "The batch deployment the chunks run on, as flow-name/deployment-name.",
            min_length=3,
            max_length=255,
        ),
    ] = "runway-batch/batch",
    wait: Annotated[
        bool, described("Wait", "Wait for the chunk runs and report how they ended.")
    ] = True,
    poll_interval: PollInterval = 5.0,
) -> FanOutReport:
    """Split manifests into chunk runs of the batch deployment; wait for them if asked.

    Manifests are read only inside the allowed folders and buckets (as the batch's inputs).
    """
    run_logger = get_run_logger()
    destination = await load_destination(destination_block)
    credentials = await load_credentials(credentials_block)
    policy = InputPolicy.for_blocks(destination, credentials)
    run_id = flow_run.get_id() or "local"
    manifests = await _manifests(source, destination, policy)
    runs: list[ChunkRun] = []
    for number, manifest in enumerate(manifests):
        kind = manifest_kind(manifest)
        raw = await read_manifest(manifest, destination, policy, field="source")
        # Bytes that are not UTF-8 are carried through unchanged; the batch refuses their rows.
        text = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "surrogateescape")
        chunks = split_manifest(text, kind, chunk_rows)
        for index, chunk in enumerate(chunks):
            key = "/".join(p for p in (prefix.strip("/"), "_chunks", str(run_id),
                                       f"{number:03d}-{index:04d}.{kind}") if p)  # fmt: skip
            full_key = await destination.awrite_path(key, chunk.encode("utf-8", "surrogateescape"))
            chunk_uri = f"s3://{destination.bucket_name}/{full_key}"
            started = await arun_deployment(
                deployment,
                parameters={
                    "manifest": chunk_uri, "destination_block": destination_block,
                    "prefix": prefix, "credentials_block": credentials_block,
                },
                timeout=0,
                idempotency_key=f"{run_id}-{number}-{index}",
                as_subflow=True,
            )  # fmt: skip
            runs.append(ChunkRun(manifest=chunk_uri, flow_run_id=str(started.id)))
    run_logger.info("fan-out: %d manifests, %d chunk runs of %s", len(manifests), len(runs),
                    deployment)  # fmt: skip
    if wait:
        runs = await _wait(runs, poll_interval)
    return FanOutReport(
        manifests=len(manifests), chunks=len(runs), runs=runs,
        completed=sum(r.state == "COMPLETED" for r in runs),
        failed=sum(r.state in ("FAILED", "CRASHED", "CANCELLED") for r in runs),
    )  # fmt: skip


async def _wait(runs: list[ChunkRun], poll_interval: float) -> list[ChunkRun]:
    pending = {run.flow_run_id: run for run in runs}
    async with get_client() as prefect:
        while True:
            for run_id, run in list(pending.items()):
                state = (await prefect.read_flow_run(run_id)).state  # type: ignore[arg-type]
                if state is not None and state.type.value in TERMINAL:
                    run.state = state.type.value
                    del pending[run_id]
            if not pending:
                return runs
            await asyncio.sleep(poll_interval)
