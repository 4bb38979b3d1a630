"""The sweep flow: store the generations a detached batch left running, and say which still wait.

At low Runway tiers a generation can sit THROTTLED for hours, and a worker waiting on it is
wasted. A batch run with ``detach=True`` submits, records each task id in the ledger and ends.
This flow, on a schedule, goes over the same manifest and, for each row that was submitted:

- already stored: nothing (its sidecar says so);
- finished: stores the output and sidecar exactly as ``generate`` does, and emits its event;
- still queued or running: reports it ``waiting`` (one GET, nothing else).

It never submits a row that was never submitted (reported ``not submitted``: run the batch). A
row whose task failed for a retryable reason gets its next attempt, submitted detached, as the
batch would have done (``max_attempts``, the same as the batch's).

Example:
    ```python
    from prefect_runway.flows.sweep import sweep

    report = await sweep("s3://inbox/2026-11-22.jsonl", destination_block="renders")
    print(report.succeeded, report.waiting)
    ```
"""

from __future__ import annotations

from prefect import flow, get_run_logger

from prefect_runway.api import WaitPolicy
from prefect_runway.flows.batch import (
    BatchReport,
    RowResult,
    manifest_kind,
    plan_rows,
    read_manifest,
    run_planned,
)
from prefect_runway.flows.manifest import parse_manifest
from prefect_runway.flows.parameters import (
    ConcurrencyPerModel,
    CredentialsBlockName,
    DestinationBlock,
    KeyPrefix,
    Manifest,
    MaxAttempts,
)
from prefect_runway.flows.reporting import create_results_table, results_row
from prefect_runway.flows.user_errors import ends_cleanly, load_credentials, load_destination
from prefect_runway.tasks.allowed_inputs import InputPolicy

__all__ = ["sweep"]


@flow(name="runway-sweep")
@ends_cleanly
async def sweep(
    manifest: Manifest,
    destination_block: DestinationBlock = "renders",
    prefix: KeyPrefix = "batch",
    credentials_block: CredentialsBlockName = "runway",
    concurrency_per_model: ConcurrencyPerModel = 8,
    max_attempts: MaxAttempts = 3,
) -> BatchReport:
    """Store every finished generation of a detached batch; report the ones still waiting.

    The manifest, prefix and attempts are the batch's: the sweep finds its rows by the same
    keys. A row never submitted is reported "not submitted" and left alone.
    """
    run_logger = get_run_logger()
    destination = await load_destination(destination_block)
    credentials = await load_credentials(credentials_block)
    inputs = InputPolicy.for_blocks(destination, credentials)
    raw = await read_manifest(manifest, destination, inputs)
    rows = parse_manifest(raw, kind=manifest_kind(manifest))
    results: dict[int, RowResult] = {}
    async with credentials.get_client() as client:
        planned = await plan_rows(
            rows, client, destination, prefix, results, inputs, max_attempts=max_attempts
        )
        # Submitted: the ledger holds an attempt of it, or its output is stored (a sidecar).
        submitted = [
            g
            for g in planned
            if g.plan is not None
            and (g.plan.sidecar is not None or any(e is not None for e in g.plan.entries))
        ]
        submitted_keys = {g.key for g in submitted}
        for generation in planned:
            if generation.key in submitted_keys:
                continue
            for row in (generation.row, *generation.twins):
                results[row.line] = RowResult(
                    line=row.line, name=generation.spec.name, model=generation.spec.model,
                    status="not submitted", reason="no submission in the ledger: run the batch",
                )  # fmt: skip
        await run_planned(
            submitted, results, client, destination, prefix, WaitPolicy(),
            concurrency_per_model, max_attempts, flow_label="sweep", detach=True,
            input_policy=inputs,
        )  # fmt: skip
    ordered = [results[row.line] for row in rows]
    report = BatchReport.tally(ordered)
    await create_results_table(
        "runway-sweep-results",
        [
            results_row(r.line, r.model, r.seconds, r.credits, r.s3_uri, r.status, r.reason)
            for r in ordered
        ],
        f"Sweep of {report.rows} rows: {report.succeeded} stored, {report.waiting} waiting, "
        f"{report.failed} failed",
    )
    run_logger.info(
        "sweep: %d stored, %d waiting, %d failed, %d not submitted",
        report.succeeded, report.waiting, report.failed,
        sum(r.status == "not submitted" for r in ordered),
    )  # fmt: skip
    return report
