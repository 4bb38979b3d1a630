"""generate() in a Prefect flow, against the emulator and moto's S3: the lifecycle's promises."""

from __future__ import annotations

import json
import logging
import pickle
from pathlib import Path
from typing import Any

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect_aws import S3Bucket

from prefect_runway.api import AmbiguousSubmission, RunTimeout, RunwayClient, WaitPolicy
from prefect_runway.tasks.generate import GenerationResult, generate
from prefect_runway.testing.emulator import Fault, FaultPlan, RunwayEmulator
from tests.media_samples import png_bytes, png_data_uri

FAST = WaitPolicy(poll_interval=0.05, jitter=0.1)
SPEC = {
    "request": {
        "model": "gen4_turbo",
        "promptImage": png_data_uri(),
        "ratio": "1280:720",
        "duration": 2,
    },
    "name": "harbour",
}


@flow(name="generate-one")
async def generate_one(
    spec: dict[str, Any],
    bucket: S3Bucket,
    client: RunwayClient,
    policy: WaitPolicy = FAST,
    allow_resubmit: bool = False,
) -> GenerationResult:
    return await generate(
        spec,
        destination=bucket,
        prefix="renders",
        client=client,
        wait_policy=policy,
        allow_resubmit=allow_resubmit,
        extra_args={"Metadata": {"project": "harbour"}},
    )


def s3_object(bucket: S3Bucket, uri: str) -> dict[str, Any]:
    key = uri.split("/", 3)[3]
    s3 = bucket.credentials.get_s3_client()
    return dict(s3.get_object(Bucket=bucket.bucket_name, Key=key))


async def test_same_flow_twice_creates_once_and_downloads_once(
    prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient, s3_bucket: S3Bucket
) -> None:
    first = await generate_one(SPEC, s3_bucket, client)
    assert first.status == "succeeded" and not first.from_sidecar
    assert first.output_uri == f"s3://{s3_bucket.bucket_name}/runway-out/renders/harbour.mp4"
    downloads = emulator.stats()["downloads"]
    second = await generate_one(SPEC, s3_bucket, client)
    assert second.from_sidecar and second.output_uri == first.output_uri
    stats = emulator.stats()
    assert stats["creates_total"] == 1
    assert stats["downloads"] == downloads  # the second run read the sidecar, nothing else
    stored = s3_object(s3_bucket, first.output_uri)  # type: ignore[arg-type]
    body = stored["Body"].read()
    assert stored["ContentType"] == "video/mp4"
    assert stored["Metadata"] == {"project": "harbour"}
    assert first.sha256 == emulator.task(first.task_id)["outputs"][0]["sha256"]  # type: ignore[arg-type]
    import hashlib

    assert hashlib.sha256(body).hexdigest() == first.sha256
    sidecar = json.loads(s3_object(s3_bucket, first.sidecar_uri)["Body"].read())  # type: ignore[arg-type]
    assert sidecar["task_id"] == first.task_id and sidecar["credits"] == 10
    assert sidecar["request"]["promptImage"].startswith("data:image/png;base64,...")


async def test_a_done_generation_costs_one_sidecar_read_and_one_head(
    prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient, s3_bucket: S3Bucket
) -> None:
    # Issue 20: the re-run's plan reads the sidecar and checks the output with a HEAD; the
    # result comes from that read, not from a second one. Nothing is written or created.
    first = await generate_one(SPEC, s3_bucket, client)
    s3 = s3_bucket.credentials.get_s3_client()
    counts: dict[str, int] = {}

    def count(model: Any, **_: Any) -> None:
        counts[model.name] = counts.get(model.name, 0) + 1

    s3.meta.events.register("before-call.s3", count)
    try:
        second = await generate_one(SPEC, s3_bucket, client)
    finally:
        s3.meta.events.unregister("before-call.s3", count)
    assert second.from_sidecar and second.output_uri == first.output_uri
    assert second.sha256 == first.sha256 and second.task_id == first.task_id
    assert counts == {"GetObject": 1, "HeadObject": 1}
    assert emulator.stats()["creates_total"] == 1


async def test_retryable_failure_costs_exactly_one_more_create(
    prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient, s3_bucket: S3Bucket
) -> None:
    emulator.set_faults(
        FaultPlan(
            rules=[Fault(operation="task", kind="fail", failure_code="INTERNAL.BAD_OUTPUT.CODE01")]
        )
    )
    result = await generate_one(SPEC, s3_bucket, client)
    assert result.status == "succeeded" and result.attempts == 2
    assert emulator.stats()["creates_total"] == 2


async def test_safety_failure_is_not_retried(
    prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient, s3_bucket: S3Bucket
) -> None:
    emulator.set_faults(
        FaultPlan(
            rules=[
                Fault(
                    operation="task",
                    kind="fail",
                    failure_code="SAFETY.INPUT.IMAGE",
                    failure="The input image was flagged.",
                )
            ]
        )
    )
    result = await generate_one(SPEC, s3_bucket, client)
    assert result.status == "failed" and result.attempts == 1
    assert result.failure_code == "SAFETY.INPUT.IMAGE"
    assert result.failure == "The input image was flagged."
    assert emulator.stats()["creates_total"] == 1
    with pytest.raises(Exception, match=r"\[SAFETY.INPUT.IMAGE\]: The input image was flagged"):
        result.raise_for_status()


async def test_expired_link_at_store_time_is_refreshed(
    prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient, s3_bucket: S3Bucket
) -> None:
    emulator.set_faults(
        FaultPlan(
            rules=[
                Fault(operation="download", kind="expire_link"),
                Fault(operation="download", kind="truncate"),
                Fault(operation="download", kind="ignore_range"),
            ]
        )
    )
    result = await generate_one(SPEC, s3_bucket, client)
    assert result.status == "succeeded"
    assert result.sha256 == emulator.task(result.task_id)["outputs"][0]["sha256"]  # type: ignore[arg-type]
    assert emulator.stats()["creates_total"] == 1


async def test_ambiguous_create_stops_and_opt_in_resubmits_once(
    prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient, s3_bucket: S3Bucket
) -> None:
    emulator.set_faults(FaultPlan(rules=[Fault(operation="create", kind="reset_after")]))
    with pytest.raises(AmbiguousSubmission):
        await generate_one(SPEC, s3_bucket, client)
    with pytest.raises(AmbiguousSubmission):
        await generate_one(SPEC, s3_bucket, client)
    assert emulator.stats()["creates_total"] == 1
    result = await generate_one(SPEC, s3_bucket, client, allow_resubmit=True)
    assert result.status == "succeeded"
    assert emulator.stats()["creates_total"] == 2


async def test_run_timeout_never_deletes_and_keeps_the_task_id(
    prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient, s3_bucket: S3Bucket
) -> None:
    emulator.configure(run_seconds=30)
    policy = WaitPolicy(poll_interval=0.05, max_run_seconds=0.3)
    with pytest.raises(RunTimeout) as info:
        await generate_one(SPEC, s3_bucket, client, policy)
    assert emulator.stats()["deletes"] == 0
    # The task id is in the ledger, so a later run (or the recover flow) can reattach.
    s3 = s3_bucket.credentials.get_s3_client()
    listed = s3.list_objects_v2(
        Bucket=s3_bucket.bucket_name, Prefix="runway-out/renders/_runway/ledger/"
    )
    entries = [
        json.loads(s3.get_object(Bucket=s3_bucket.bucket_name, Key=item["Key"])["Body"].read())
        for item in listed.get("Contents", [])
    ]
    assert [entry["task_id"] for entry in entries] == [info.value.task_id]
    assert "recover it later" in str(info.value)


@pytest.mark.usefixtures("prefect_harness", "emulator")
async def test_a_generation_is_reported_in_one_stored_line(
    client: RunwayClient, s3_bucket: S3Bucket, caplog: pytest.LogCaptureFixture
) -> None:
    # Issue 20: each line costs the flow process about 1 ms of CPU. One line per generation
    # says where its output went, its size, its sha256, its task and what it cost; a small
    # output is not announced before it is stored (its "stored" line follows at once), and the
    # task's SUCCEEDED status line is that same line.
    with caplog.at_level(logging.INFO, logger="prefect_runway"):
        result = await generate_one(SPEC, s3_bucket, client)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("prefect_runway")]
    stored = [m for m in ours if "stored" in m]
    assert stored == [
        f"harbour: stored {result.output_uri}: {result.size} bytes, sha256 {result.sha256} "
        f"(Runway task {result.task_id} SUCCEEDED, {result.credits} credits)"
    ]
    assert not [m for m in ours if m.startswith("storing")]
    assert not [m for m in ours if m.endswith(": SUCCEEDED")]
    # That the other status lines stay is tested in tests/api/test_waiting.py, where the wait
    # polls at once: here the first poll comes one interval after the create and, on a loaded
    # machine, may already find the task SUCCEEDED (no RUNNING line to see).


@pytest.mark.usefixtures("prefect_harness", "emulator")
async def test_a_task_that_succeeded_but_was_not_stored_is_logged_as_succeeded(
    client: RunwayClient,
    s3_bucket: S3Bucket,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The SUCCEEDED status line is left to the "stored" line; when no stored line comes, the
    # run's logs must still say the task succeeded (it was paid) before the error.
    import importlib

    # The module, not the ``generate`` function its package exports under the same name.
    generate_module = importlib.import_module("prefect_runway.tasks.generate")

    async def failing_store(*args: Any, **kwargs: Any) -> GenerationResult:
        raise RuntimeError("S3 is down")

    monkeypatch.setattr(generate_module, "_store", failing_store)
    with caplog.at_level(logging.INFO, logger="prefect_runway"), pytest.raises(RuntimeError):
        await generate_one(SPEC, s3_bucket, client)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("prefect_runway")]
    succeeded = [m for m in ours if m.endswith(": SUCCEEDED")]
    assert len(succeeded) == 1 and succeeded[0].startswith("task ")
    assert not [m for m in ours if "stored" in m]


async def test_secrets_appear_nowhere(
    prefect_harness: str,
    emulator: RunwayEmulator,
    client: RunwayClient,
    s3_bucket: S3Bucket,
    caplog: pytest.LogCaptureFixture,
) -> None:
    emulator.set_faults(FaultPlan(rules=[Fault(operation="download", kind="expire_link")]))
    with caplog.at_level(logging.DEBUG):
        result = await generate_one(SPEC, s3_bucket, client)
    key = emulator.api_key
    signature_marker = "_jwt="
    leaks = [
        f"{record.name}: {record.getMessage()[:300]}"
        for record in caplog.records
        if key in record.getMessage() or signature_marker in record.getMessage()
    ]
    assert leaks == []
    assert key.encode() not in pickle.dumps(result)
    s3 = s3_bucket.credentials.get_s3_client()
    for item in s3.list_objects_v2(Bucket=s3_bucket.bucket_name).get("Contents", []):
        body = s3.get_object(Bucket=s3_bucket.bucket_name, Key=item["Key"])["Body"].read()
        assert key.encode() not in body and signature_marker.encode() not in body


async def _task_run_names(flow_run_id: Any) -> list[str]:
    async with get_client() as prefect:
        runs = await prefect.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
    return sorted(run.name for run in runs)


async def test_inputs_are_prepared_in_a_task_run_only_when_a_file_must_be_read(
    prefect_harness: str,
    emulator: RunwayEmulator,
    client: RunwayClient,
    s3_bucket: S3Bucket,
    tmp_path: Path,
) -> None:
    # A data URI goes to Runway as it is: no preparation task run (one fewer per generation).
    state = await generate_one(SPEC, s3_bucket, client, return_state=True)
    assert (await state.result()).status == "succeeded"
    names = await _task_run_names(state.state_details.flow_run_id)
    assert not any(n.startswith("runway-prepare-inputs") for n in names), names
    assert any(n.startswith("runway-submit (first ") for n in names), names

    # A local file is read (and sent as a data URI or uploaded) in its own retried task run.
    image = tmp_path / "harbour.png"
    image.write_bytes(png_bytes())
    local = {**SPEC, "name": "harbour-local",
             "request": {**SPEC["request"], "promptImage": str(image)}}  # fmt: skip
    state = await generate_one(local, s3_bucket, client, return_state=True)
    result = await state.result()
    assert result.status == "succeeded"
    assert emulator.task(result.task_id)["request"]["promptImage"].startswith("data:image/png")
    names = await _task_run_names(state.state_details.flow_run_id)
    assert any(n.startswith("runway-prepare-inputs") for n in names), names


async def test_task_runs_pass_blocks_and_requests_on_without_walking_into_them(
    client: RunwayClient, s3_bucket: S3Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 20: Prefect's engine walks each task run's arguments twice (visit_collection) for
    # futures and states; ours hold none, so the walk into a block's fields, its credentials
    # and the request is skipped (``opaque``). The flow takes no parameter: whatever the walk
    # visits comes from the task runs.
    import prefect.task_engine
    import prefect.utilities.collections
    import prefect.utilities.engine

    original = prefect.utilities.collections.visit_collection
    visited: list[str] = []

    def spy(expr: Any, *args: Any, **kwargs: Any) -> Any:
        visited.append(type(expr).__name__)
        return original(expr, *args, **kwargs)

    for module in (prefect.utilities.collections, prefect.task_engine, prefect.utilities.engine):
        monkeypatch.setattr(module, "visit_collection", spy)

    @flow(name="generate-closed-over")
    async def generate_closed_over() -> GenerationResult:
        return await generate(
            SPEC, destination=s3_bucket, prefix="renders", client=client, wait_policy=FAST
        )

    assert (await generate_closed_over()).status == "succeeded"
    # (A task run's result is still walked, one level: a SubmittedTask's entry may show up.)
    walked = {"S3Bucket", "AwsCredentials", "AwsClientParameters", "Gen4TurboImageToVideo"}
    assert not walked & set(visited)
    assert "opaque" in visited  # the spy saw the task runs' arguments
