"""A user's flow that calls prefect-runway's `generate`, importing only from `prefect_runway`."""

from __future__ import annotations

from prefect import flow
from prefect_aws import S3Bucket
from tasks import scene_name

from prefect_runway import RunwayCredentials, WaitPolicy, cancel_runway_tasks, generate


@flow(on_cancellation=[cancel_runway_tasks])
async def harbour_scene(image: str, destination_block: str, credentials_block: str) -> str:
    result = await generate(
        {
            "request": {
                "model": "gen4_turbo",
                "promptImage": image,
                "ratio": "960:960",
                "duration": 2,
            },
            "name": scene_name("harbour"),
        },
        destination=await S3Bucket.aload(destination_block),
        prefix="mine",
        credentials=await RunwayCredentials.aload(credentials_block),
        wait_policy=WaitPolicy(poll_interval=0.2),
    )
    return result.raise_for_status().output_uri
