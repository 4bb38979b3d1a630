"""The recover flow lands outputs of tasks made elsewhere, with no new generation."""

from __future__ import annotations

import json

from prefect_aws import S3Bucket
from pydantic import SecretStr

from prefect_runway.api import Gen4TurboImageToVideo, RunwayClient, WaitPolicy, wait_for_task
from prefect_runway.blocks import RunwayCredentials
from prefect_runway.flows.recover import recover
from prefect_runway.testing.emulator import RunwayEmulator
from tests.media_samples import png_data_uri

REQUEST = Gen4TurboImageToVideo(prompt_image=png_data_uri(), ratio="960:960", duration=2)


async def test_recover_stores_finished_tasks_and_reports_the_rest(
    prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient, s3_bucket: S3Bucket
) -> None:
    done = await client.create(REQUEST)
    await wait_for_task(client, done.id, WaitPolicy(poll_interval=0.02))
    emulator.configure(run_seconds=120)
    running = await client.create(REQUEST)
    await s3_bucket.asave("recover-dest", overwrite=True)
    await RunwayCredentials(api_key=SecretStr(emulator.api_key), base_url=emulator.base_url).asave(
        "recover-runway", overwrite=True
    )
    creates = emulator.stats()["creates_total"]

    results = await recover(
        [done.id, running.id, "00000000-0000-4000-8000-000000000000"],
        destination_block="recover-dest",
        credentials_block="recover-runway",
    )
    by_id = {r.task_id: r for r in results}
    assert by_id[done.id].status == "stored"
    assert by_id[running.id].status == "pending"
    assert by_id["00000000-0000-4000-8000-000000000000"].status == "not_found"
    assert emulator.stats()["creates_total"] == creates  # nothing submitted
    assert by_id[done.id].sha256 == emulator.task(done.id)["outputs"][0]["sha256"]
    s3 = s3_bucket.credentials.get_s3_client()
    sidecar = json.loads(
        s3.get_object(Bucket=s3_bucket.bucket_name, Key=f"runway-out/recovered/{done.id}.json")[
            "Body"
        ].read()
    )
    assert sidecar["task_id"] == done.id and sidecar["recovered"] is True

    again = await recover(
        [done.id], destination_block="recover-dest", credentials_block="recover-runway"
    )
    assert again[0].status == "already_stored"
    assert emulator.stats()["creates_total"] == creates
