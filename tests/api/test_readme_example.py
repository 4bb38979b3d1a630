"""The README's example of a user's own test with the runway_emulator fixture, run as is."""

from prefect_runway.api import AmbiguousSubmission, Gen4TurboImageToVideo, RunwayClient
from prefect_runway.testing.emulator import Fault, FaultPlan


async def test_a_lost_answer_is_never_resubmitted(runway_emulator):  # type: ignore[no-untyped-def]
    runway_emulator.set_faults(FaultPlan(rules=[Fault(operation="create", kind="reset_after")]))
    request = Gen4TurboImageToVideo(prompt_image="https://example.com/a.png", ratio="960:960")
    async with RunwayClient(runway_emulator.api_key, base_url=runway_emulator.base_url) as client:
        try:
            await client.create(request)
        except AmbiguousSubmission:
            pass
    assert runway_emulator.stats()["creates_total"] == 1  # accepted once, never sent again
