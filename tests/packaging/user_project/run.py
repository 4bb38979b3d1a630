"""A throwaway user project beside prefect-runway: its own `flows/` and `tasks/` packages.

Run from the project's folder (so its packages come first on sys.path) with an interpreter where
prefect-runway[testing] is installed. It starts the emulator, moto's S3 and a temporary Prefect
server, runs the user's flow (which calls our `generate`) and our image-to-video flow, and prints
one JSON line with what it found. Exits non-zero when anything is wrong.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

import flows
import tasks
from flows.harbour import harbour_scene
from prefect.testing.utilities import prefect_test_harness
from pydantic import SecretStr

import prefect_runway
from prefect_runway import ImageToVideoParams, RunwayCredentials, image_to_video
from prefect_runway.testing import MotoServer, RunwayEmulator
from prefect_runway.testing.samples import write_samples

HERE = Path(__file__).resolve().parent


def _sha256(s3: MotoServer, uri: str) -> str:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    body = s3.credentials().get_s3_client().get_object(Bucket=bucket, Key=key)["Body"].read()
    return hashlib.sha256(body).hexdigest()


async def _both(emulator: RunwayEmulator, s3: MotoServer) -> dict[str, object]:
    samples = write_samples(HERE / "inputs")
    await s3.new_bucket(folder="renders").asave("renders", overwrite=True)
    await RunwayCredentials(api_key=SecretStr(emulator.api_key), base_url=emulator.base_url).asave(
        "runway", overwrite=True
    )
    users = await harbour_scene(str(samples["harbour.png"]), "renders", "runway")
    ours = await image_to_video(
        ImageToVideoParams(
            image=str(samples["coast.png"]),
            ratio="960:960",
            duration=2,
            destination_block="renders",
            prefix="ours",
            name="coast",
            poll_interval=0.2,
        )
    )
    outputs = [emulator.task(i)["outputs"][0]["sha256"] for i in emulator.stats()["task_ids"]]
    return {
        "users_flow": users,
        "our_flow": ours.output_uri,
        "stored_intact": sorted(_sha256(s3, u) for u in (users, ours.output_uri or ""))
        == sorted(outputs),
        "creates": emulator.stats()["creates_total"],
    }


def main() -> None:
    with (
        RunwayEmulator() as emulator,
        MotoServer() as s3,
        prefect_test_harness(server_startup_timeout=120),
    ):
        found = asyncio.run(_both(emulator, s3))
    found.update(
        flows_owner=flows.OWNER,
        tasks_owner=tasks.OWNER,
        package_file=prefect_runway.__file__,
        version=prefect_runway.__version__,
    )
    print(json.dumps(found))
    ok = (
        found["stored_intact"] is True
        and found["creates"] == 2
        and str(found["users_flow"]).endswith("/mine/user-harbour.mp4")
        and str(found["our_flow"]).endswith("/ours/coast.mp4")
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
