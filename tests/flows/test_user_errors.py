"""Errors a person makes end the run with one line in their words, and no traceback.

Each test runs a flow the way a deployment would end it (its final state and its stored logs),
and checks the message names what the person typed (the form field, the block, the bucket, the
file and where it was looked for), and that no log line of the run carries a traceback.
"""

from __future__ import annotations

import json
import socket
import uuid
from pathlib import Path
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
from prefect.logging.handlers import APILogHandler
from prefect.states import State
from prefect_aws import S3Bucket

from prefect_runway import (
    BatchIncomplete,
    BlockNotFound,
    BucketNotReachable,
    ImageToVideoParams,
    InputError,
    ParameterError,
    batch,
    image_to_video,
)
from prefect_runway.testing.emulator import RunwayEmulator
from tests.flows.conftest import SavedBlocks
from tests.media_samples import png_bytes


async def run_logs(state: State[Any]) -> list[str]:
    """Every log line the run sent to the Prefect API (what the UI shows)."""
    await APILogHandler.aflush()
    async with get_client() as prefect:
        logs = await prefect.read_logs(
            LogFilter(flow_run_id=LogFilterFlowRunId(any_=[state.state_details.flow_run_id]))
        )
    return [log.message for log in logs]


async def ended_cleanly(state: State[Any], *expected: str) -> str:
    """The Failed run's one-line message holds ``expected``; no log line has a traceback."""
    assert state.is_failed(), state
    message = state.message or ""
    assert "\n" not in message
    for text in expected:
        assert text in message, message
    logs = await run_logs(state)
    assert message in logs  # said once, in the run's logs, at the error level
    assert not [line for line in logs if "Traceback" in line], logs
    return message


def i2v(blocks: SavedBlocks, image: str, **changes: Any) -> ImageToVideoParams:
    fields: dict[str, Any] = {
        "image": image,
        "prompt_text": "Waves roll in",
        "ratio": "960:960",
        "duration": 2,
        "destination_block": blocks.destination,
        "credentials_block": blocks.credentials,
        "poll_interval": 0.05,
    }
    return ImageToVideoParams.model_validate(fields | changes)


@pytest.fixture
def still(tmp_path: Path) -> Path:
    path = tmp_path / "still.png"
    path.write_bytes(png_bytes())
    return path


async def test_a_mistyped_destination_block_lists_the_blocks_that_exist(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, still: Path
) -> None:
    wrong = f"{saved_blocks.destination}-typo"
    state = await image_to_video(
        i2v(saved_blocks, str(still), destination_block=wrong), return_state=True
    )
    message = await ended_cleanly(
        state, f"destination_block {wrong!r}", "no S3Bucket block of that name",
        saved_blocks.destination,
    )  # fmt: skip
    assert "Unable to find block document" not in message
    with pytest.raises(BlockNotFound):
        await state.result()
    assert emulator.stats()["creates_total"] == 0


async def test_a_mistyped_credentials_block_names_the_field(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, still: Path
) -> None:
    state = await image_to_video(
        i2v(saved_blocks, str(still), credentials_block="runwy"), return_state=True
    )
    await ended_cleanly(
        state, "credentials_block 'runwy'", "no Runway Credentials block", saved_blocks.credentials
    )


async def test_a_missing_bucket_names_the_bucket_and_the_block(
    prefect_harness: str, saved_blocks: SavedBlocks, emulator: RunwayEmulator, still: Path
) -> None:
    gone = f"no-such-bucket-{uuid.uuid4().hex[:8]}"
    name = f"gone-{uuid.uuid4().hex[:6]}"
    await S3Bucket(bucket_name=gone, credentials=saved_blocks.bucket.credentials).asave(name)
    state = await image_to_video(
        i2v(saved_blocks, str(still), destination_block=name), return_state=True
    )
    message = await ended_cleanly(
        state, f"destination_block {name!r}", f"bucket {gone!r}", "does not exist"
    )
    assert "NoSuchBucket" not in message and "GetObject" not in message
    with pytest.raises(BucketNotReachable):
        await state.result()
    assert emulator.stats()["creates_total"] == 0


async def test_a_prompt_over_runways_limit_names_the_form_field(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, still: Path
) -> None:
    # 600 emoji pass the form's plain 1000-character limit but are 1200 UTF-16 code units,
    # the unit Runway counts in: refused on the worker, in the form's words.
    state = await image_to_video(
        i2v(saved_blocks, str(still), prompt_text="\N{WATER WAVE}" * 600), return_state=True
    )
    message = await ended_cleanly(state, "prompt_text", "1200 UTF-16 code units")
    assert "promptText" not in message
    with pytest.raises(ParameterError):
        await state.result()
    assert emulator.stats()["creates_total"] == 0


async def test_a_missing_file_says_where_on_the_worker_it_was_looked_for(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    missing = tmp_path / "stills" / "not-here.png"
    state = await image_to_video(i2v(saved_blocks, str(missing)), return_state=True)
    message = await ended_cleanly(state, "image", str(missing))
    assert "promptImage" not in message
    with pytest.raises(InputError):
        await state.result()
    assert emulator.stats()["creates_total"] == 0


async def test_a_missing_manifest_names_the_path_and_the_machine(
    saved_blocks: SavedBlocks, tmp_path: Path
) -> None:
    missing = tmp_path / "today.jsonl"
    state = await batch(
        str(missing), destination_block=saved_blocks.destination,
        credentials_block=saved_blocks.credentials, return_state=True,
    )  # fmt: skip
    await ended_cleanly(state, "manifest", str(missing), socket.gethostname())


def _manifest(tmp_path: Path, still: Path, bad_lines: int) -> Path:
    rows = [json.dumps({"name": "good", "model": "gen4_turbo", "promptImage": str(still),
                        "ratio": "960:960", "duration": 2})]  # fmt: skip
    rows += ["{not json"] * bad_lines
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(rows) + "\n")
    return path


async def test_a_batch_with_malformed_rows_says_so_in_its_completed_state(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, still: Path, tmp_path: Path
) -> None:
    manifest = _manifest(tmp_path, still, bad_lines=2)
    common: dict[str, Any] = {
        "destination_block": saved_blocks.destination,
        "credentials_block": saved_blocks.credentials,
        "poll_interval": 0.05,
        "prefix": f"b-{uuid.uuid4().hex[:6]}",
    }
    state = await batch(str(manifest), **common, return_state=True)
    assert state.is_completed()
    assert state.message is not None
    assert state.message.startswith("2 of 3 rows not stored: 0 failed, 2 malformed. line 2")
    report = await state.result()
    assert report.succeeded == 1 and report.malformed == 2

    strict = await batch(str(manifest), **common, strict=True, return_state=True)
    await ended_cleanly(strict, "2 of 3 rows not stored", "line 2", "line 3")
    with pytest.raises(BatchIncomplete) as raised:
        await strict.result()
    assert raised.value.report is not None and raised.value.report.succeeded == 1
    assert emulator.stats()["creates_total"] == 1  # the good row, once: the re-run reused it


async def test_a_batch_with_every_row_stored_says_nothing_more(
    saved_blocks: SavedBlocks, still: Path, tmp_path: Path
) -> None:
    manifest = _manifest(tmp_path, still, bad_lines=0)
    state = await batch(
        str(manifest), destination_block=saved_blocks.destination,
        credentials_block=saved_blocks.credentials, poll_interval=0.05, strict=True,
        return_state=True,
    )  # fmt: skip
    assert state.is_completed() and (state.message or "") in ("", "All states completed.")


async def test_the_bucket_check_builds_the_client_the_generations_use(
    saved_blocks: SavedBlocks, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 20: the HeadBucket at the flow's start goes through the pooled client that the
    # ledger and the store use, so a flow run builds one boto3 client, not two.
    import boto3.session
    from prefect_aws import credentials as aws_credentials

    from prefect_runway.flows.user_errors import load_destination
    from prefect_runway.tasks.s3io import s3_client

    built: list[str] = []
    original = boto3.session.Session.client

    def counted(self: boto3.session.Session, *args: Any, **kwargs: Any) -> Any:
        built.append(str(args[0] if args else kwargs.get("service_name")))
        return original(self, *args, **kwargs)

    # A block as a user saves it: botocore's default pool, not the test helper's 32.
    bucket = saved_blocks.bucket
    parameters = bucket.credentials.aws_client_parameters
    config = dict(parameters.config or {})
    config.pop("max_pool_connections", None)
    plain = bucket.model_copy(
        update={
            "credentials": bucket.credentials.model_copy(
                update={"aws_client_parameters": parameters.model_copy(update={"config": config})}
            )
        }
    )
    await plain.asave(f"{saved_blocks.destination}-plain", overwrite=True)
    monkeypatch.setattr(boto3.session.Session, "client", counted)
    aws_credentials._get_client_cached.cache_clear()
    block = await load_destination(f"{saved_blocks.destination}-plain")
    s3_client(block)  # what the generations' S3 calls use
    assert built == ["s3"]
