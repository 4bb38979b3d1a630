"""The batch flow: every row of a manifest generated once, bounded per model, nothing lost.

* Malformed rows are reported with their line number; the others go on.
* Identical rows (same generation key) are generated once and share the output.
* At most ``concurrency_per_model`` generations of a model run at once in this flow run, and a
  Prefect global concurrency limit named ``runway-<model>`` (when one exists) bounds them across
  runs, workers and machines.
* A failed generation is reported with Runway's reason; successes are kept. A results manifest
  (JSONL, one line per manifest row) is written to S3 beside the outputs.

Example:
    ```python
    from flows.batch import batch

    report = await batch("s3://inbox/2026-11-22.jsonl", destination_block="renders")
    ```
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_table_artifact
from prefect.concurrency.asyncio import concurrency
from prefect_aws import S3Bucket
from pydantic import BaseModel, ConfigDict, Field

from blocks import RunwayCredentials
from flows.manifest import ManifestRow, parse_manifest
from runway import AmbiguousSubmission, RunTimeout, RunwayClient, WaitPolicy
from runway.providers import Capability
from tasks.generate import GenerationResult, generate
from tasks.inputs import InputError, S3Reader, identify_inputs
from tasks.keys import generation_key
from tasks.spec import GenerationSpec

__all__ = ["BatchReport", "DailyLimitWouldBeCrossed", "RowResult", "batch", "check_daily_limits"]

logger = logging.getLogger("flows.batch")


class RowResult(BaseModel):
    """What became of one manifest row."""

    model_config = ConfigDict(frozen=True)

    line: int
    name: str | None = None
    model: str | None = None
    status: str
    s3_uri: str | None = None
    credits: float | None = None
    seconds: float | None = None
    reason: str | None = None
    duplicate_of: int | None = None


class BatchReport(BaseModel):
    """Counts and per-row results of a batch."""

    rows: int
    succeeded: int
    failed: int
    malformed: int
    duplicates: int
    credits: float
    results: list[RowResult]
    results_manifest_uri: str | None = None


async def _read_manifest(manifest: str, destination: S3Bucket) -> str:
    if manifest.startswith("s3://"):
        reader = S3Reader(destination.credentials.get_s3_client())
        bucket, key = reader.split(manifest)
        s3 = destination.credentials.get_s3_client()
        response = await asyncio.to_thread(s3.get_object, Bucket=bucket, Key=key)
        body: bytes = await asyncio.to_thread(response["Body"].read)
        return body.decode("utf-8-sig")
    return await asyncio.to_thread(Path(manifest).expanduser().read_text, encoding="utf-8-sig")


def _kind(manifest: str) -> str:
    suffix = Path(manifest.split("?", 1)[0]).suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise ValueError(f"manifest {manifest!r}: use a .jsonl or .csv file")


def _row_result(row: ManifestRow, result: GenerationResult, duplicate_of: int | None) -> RowResult:
    return RowResult(
        line=row.line,
        name=row.spec.name if row.spec else None,
        model=result.model,
        status=result.status,
        s3_uri=result.output_uri,
        credits=None if duplicate_of else result.total_credits,
        seconds=round(result.seconds, 2),
        reason=(f"{result.failure_code}: {result.failure}" if result.status == "failed" else None),
        duplicate_of=duplicate_of,
    )


@flow(name="runway-batch")
async def batch(
    manifest: str = Field(description="A .jsonl or .csv manifest: a local path or s3:// URI."),
    destination_block: str = Field(description="Name of the prefect-aws S3Bucket block."),
    prefix: str = Field(default="batch", description="Key prefix under the bucket folder."),
    credentials_block: str = Field(
        default="runway", description="Name of the RunwayCredentials block."
    ),
    concurrency_per_model: int = Field(
        default=4, ge=1, le=100, description="Generations of one model at once in this run."
    ),
    max_attempts: int = Field(
        default=3, ge=1, le=10, description="Attempts per row for retryable failures."
    ),
    poll_interval: float = Field(default=5.0, gt=0, description="Seconds between polls."),
    max_queue_minutes: float | None = Field(
        default=None, gt=0, description="Cancel a generation still queued after this long."
    ),
) -> BatchReport:
    """Generate every row of a manifest into S3, once each; report every row."""
    run_logger = get_run_logger()
    destination = await S3Bucket.aload(destination_block)
    credentials = await RunwayCredentials.aload(credentials_block)
    rows = parse_manifest(await _read_manifest(manifest, destination), kind=_kind(manifest))
    policy = WaitPolicy(
        poll_interval=poll_interval,
        max_queue_seconds=max_queue_minutes * 60 if max_queue_minutes else None,
    )
    async with credentials.get_client() as client:
        results = await _run_rows(
            rows, client, destination, prefix, policy, concurrency_per_model, max_attempts
        )
    report = BatchReport(
        rows=len(rows),
        succeeded=sum(r.status == "succeeded" for r in results),
        failed=sum(r.status == "failed" for r in results),
        malformed=sum(r.status == "malformed" for r in results),
        duplicates=sum(r.duplicate_of is not None for r in results),
        credits=sum(r.credits or 0.0 for r in results),
        results=results,
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    results_key = "/".join(p for p in (prefix.strip("/"), f"_results/batch-{stamp}.jsonl") if p)
    lines = "".join(r.model_dump_json() + "\n" for r in results).encode()
    full_key = await destination.awrite_path(results_key, lines)
    report = report.model_copy(
        update={"results_manifest_uri": f"s3://{destination.bucket_name}/{full_key}"}
    )
    await acreate_table_artifact(
        key="runway-batch-results",
        table=[
            {
                "row": r.line,
                "model": r.model or "",
                "seconds": r.seconds if r.seconds is not None else "",
                "credits": r.credits if r.credits is not None else "",
                "S3 URI": r.s3_uri or "",
                "status": r.status,
                "reason": r.reason or "",
            }
            for r in results
        ],
        description=f"Batch of {report.rows} rows: {report.succeeded} stored, "
        f"{report.failed} failed, {report.malformed} malformed",
    )
    run_logger.info(
        "batch: %d rows, %d stored, %d failed, %d malformed, %d duplicates, %.0f credits",
        report.rows, report.succeeded, report.failed, report.malformed, report.duplicates,
        report.credits,
    )  # fmt: skip
    return report


class DailyLimitWouldBeCrossed(RuntimeError):
    """The batch needs more generations of a model than its daily limit has left."""


async def check_daily_limits(client: RunwayClient, models: list[str]) -> None:
    """Refuse, before any POST, a batch that would cross a model's daily generation limit.

    A provider without the organization endpoint gets a log line instead.
    """
    if Capability.ORGANIZATION not in client.provider.capabilities:
        logger.info("provider %s has no organization endpoint: daily limits not checked",
                    client.provider.name)  # fmt: skip
        return
    organization = await client.get_organization()
    needed: dict[str, int] = defaultdict(int)
    for model in models:
        needed[model] += 1
    problems = []
    for model, count in sorted(needed.items()):
        limit = organization.daily_limit(model)
        used = organization.daily_usage(model)
        if limit is not None and used + count > limit:
            problems.append(
                f"{model}: {count} new generation(s) needed, {used} of {limit} used today"
            )
    if problems:
        raise DailyLimitWouldBeCrossed(
            "the batch would cross the daily generation limit (a rolling 24 h window), so "
            "nothing was submitted: " + "; ".join(problems)
        )
    logger.info("organization balance %d credits; daily limits allow this batch",
                organization.credit_balance)  # fmt: skip


async def _run_rows(
    rows: list[ManifestRow],
    client: RunwayClient,
    destination: S3Bucket,
    prefix: str,
    policy: WaitPolicy,
    per_model: int,
    max_attempts: int,
) -> list[RowResult]:
    results: dict[int, RowResult] = {}
    first_by_key: dict[str, ManifestRow] = {}
    duplicates: dict[str, list[ManifestRow]] = defaultdict(list)
    reader = S3Reader(destination.credentials.get_s3_client())
    for row in rows:
        if row.spec is None:
            results[row.line] = RowResult(line=row.line, status="malformed", reason=row.error)
            continue
        try:
            ids = await identify_inputs(row.spec, reader)
        except InputError as error:
            results[row.line] = RowResult(
                line=row.line, name=row.spec.name, model=row.spec.model, status="failed",
                reason=str(error),
            )  # fmt: skip
            continue
        key = generation_key(row.spec, base_url=client.base_url, content_ids=ids)
        if key in first_by_key:
            duplicates[key].append(row)
        else:
            first_by_key[key] = row

    limits: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(per_model))

    async def run(key: str, row: ManifestRow) -> None:
        spec: GenerationSpec = row.spec  # type: ignore[assignment]
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(limits[spec.model])
            # Across runs and machines, when the operator created such a limit.
            await stack.enter_async_context(concurrency(f"runway-{spec.model}", strict=False))
            try:
                result = await generate(
                    spec, destination=destination, prefix=prefix, client=client,
                    wait_policy=policy, max_attempts=max_attempts,
                )  # fmt: skip
            except (AmbiguousSubmission, RunTimeout, InputError, ValueError) as error:
                results[row.line] = RowResult(
                    line=row.line, name=spec.name, model=spec.model, status="failed",
                    reason=f"{type(error).__name__}: {error}",
                )  # fmt: skip
                for twin in duplicates[key]:
                    results[twin.line] = results[row.line].model_copy(
                        update={"line": twin.line, "duplicate_of": row.line}
                    )
                return
        results[row.line] = _row_result(row, result, None)
        for twin in duplicates[key]:
            results[twin.line] = _row_result(twin, result, row.line)

    await check_daily_limits(client, [row.spec.model for row in first_by_key.values() if row.spec])
    await asyncio.gather(*(run(key, row) for key, row in first_by_key.items()))
    return [results[row.line] for row in rows]
