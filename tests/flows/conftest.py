"""Fixtures for flow tests: saved blocks, captured events, and the artifacts of a run."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
from prefect.events import Event
from prefect.events.clients import AssertingEventsClient
from prefect.events.worker import EventsWorker
from prefect_aws import S3Bucket
from pydantic import SecretStr

from prefect_runway.blocks import RunwayCredentials
from prefect_runway.testing.emulator import RunwayEmulator


@dataclass(frozen=True)
class SavedBlocks:
    """Names of a saved S3Bucket block and RunwayCredentials block for one test."""

    destination: str
    credentials: str
    bucket: S3Bucket


@pytest.fixture
async def saved_blocks(
    prefect_harness: str, emulator: RunwayEmulator, s3_bucket: S3Bucket
) -> SavedBlocks:
    suffix = uuid.uuid4().hex[:8]
    await s3_bucket.asave(f"dest-{suffix}", overwrite=True)
    await RunwayCredentials(api_key=SecretStr(emulator.api_key), base_url=emulator.base_url).asave(
        f"runway-{suffix}", overwrite=True
    )
    return SavedBlocks(f"dest-{suffix}", f"runway-{suffix}", s3_bucket)


@pytest.fixture
def captured_events(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], list[Event]]]:
    """Every event the code under test emits, read after the workers drained."""
    AssertingEventsClient.reset()
    worker = EventsWorker.instance(AssertingEventsClient)
    monkeypatch.setattr(EventsWorker, "instance", lambda *_: worker)

    def read() -> list[Event]:
        worker.drain()
        return [event for client in AssertingEventsClient.all for event in client.events]

    yield read
    worker.drain()
    AssertingEventsClient.reset()


async def read_artifacts(flow_run_id: UUID) -> dict[str, Any]:
    """The run's artifacts by key (progress: the last percentage; tables: the decoded rows)."""
    async with get_client() as prefect:
        artifacts = await prefect.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    found: dict[str, Any] = {}
    for artifact in artifacts:
        data = artifact.data
        if artifact.type == "table" and isinstance(data, str):
            data = json.loads(data)
        found[artifact.key or f"{artifact.type}:{artifact.id}"] = {
            "type": artifact.type,
            "data": data,
            "description": artifact.description,
        }
    return found
