"""A flow that runs one generation, for tests that run it as a separate process.

The flow's ``credentials_block`` and ``destination_block`` parameters name saved blocks for its
cancellation hook (the served test saves them); the flow itself uses the environment's.
Configured by environment variables (set by the tests): RUNWAY_BASE_URL, RUNWAY_API_KEY,
S3_ENDPOINT_URL, S3_BUCKET, SPEC_JSON, and optionally ALLOW_RESUBMIT=1, POLL_SECONDS, SERVE=1
(serve the flow as a deployment instead of running it once), and RUNWAY_CRASH_AT (a named crash
point). Prints the result as JSON on its last line; exits 3 on AmbiguousSubmission.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from prefect import flow
from prefect_aws import AwsCredentials, S3Bucket
from prefect_aws.client_parameters import AwsClientParameters

from prefect_runway.api import AmbiguousSubmission, RetryPolicy, RunwayClient, WaitPolicy
from prefect_runway.tasks.cancellation import cancel_runway_tasks
from prefect_runway.tasks.generate import generate


def _bucket() -> S3Bucket:
    credentials = AwsCredentials(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
        aws_client_parameters=AwsClientParameters(endpoint_url=os.environ["S3_ENDPOINT_URL"]),
    )
    return S3Bucket(
        bucket_name=os.environ["S3_BUCKET"], bucket_folder="runway-out", credentials=credentials
    )


# The hook is the flows' own (image_to_video and the others carry it): when served, a user's
# cancellation reaches the task through it even if the flow's process deleted nothing.
@flow(name="generate-in-a-process", on_cancellation=[cancel_runway_tasks])
async def generate_in_a_process(
    spec_json: str,
    allow_resubmit: bool = False,
    credentials_block: str = "runway",
    destination_block: str | None = None,
) -> dict[str, object]:
    retry = RetryPolicy(max_attempts=4, base_delay=0.05, max_delay=0.2)
    policy = WaitPolicy(poll_interval=float(os.environ.get("POLL_SECONDS", "0.05")), jitter=0.1)
    async with RunwayClient(
        os.environ["RUNWAY_API_KEY"], base_url=os.environ["RUNWAY_BASE_URL"], retry=retry
    ) as client:
        result = await generate(
            json.loads(spec_json),
            destination=await S3Bucket.aload(destination_block) if destination_block else _bucket(),
            prefix="crash",
            client=client,
            wait_policy=policy,
            allow_resubmit=allow_resubmit,
        )
    return result.model_dump(mode="json")


def main() -> None:
    if os.environ.get("SERVE") == "1":
        generate_in_a_process.serve(name="generate-served", print_starting_message=False)
        return
    try:
        result = asyncio.run(
            generate_in_a_process(
                os.environ["SPEC_JSON"], allow_resubmit=os.environ.get("ALLOW_RESUBMIT") == "1"
            )
        )
    except AmbiguousSubmission as error:
        print(f"AMBIGUOUS {error}", flush=True)
        sys.exit(3)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
