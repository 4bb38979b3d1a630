"""Credit estimates: the published rates, the Act-Two rule, and agreement with the emulator."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from prefect_runway.api import RunwayClient, parse_generation_request
from prefect_runway.api.pricing import credits_per_second, estimate_credits
from prefect_runway.testing.emulator import RunwayEmulator
from tests.testing.emulator.support import data_uri, mp4_bytes

IMAGE = "https://example.com/still.png"
VIDEO = "https://example.com/take.mp4"


def i2v(model: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "promptImage": IMAGE, "ratio": "1280:720"}
    if model == "gen4.5":
        body |= {"promptText": "waves", "duration": 5}
    return body | fields


def act_two(reference: str = VIDEO) -> dict[str, Any]:
    return {
        "model": "act_two",
        "character": {"type": "image", "uri": IMAGE},
        "reference": {"type": "video", "uri": reference},
    }


@pytest.mark.parametrize(
    ("body", "credits"),
    [
        (i2v("gen4_turbo", duration=2), 10.0),
        (i2v("gen4_turbo"), 50.0),  # duration defaults to 10 and is always sent
        (i2v("gen4.5", duration=7), 84.0),
        (i2v("gen4.5", outputFormat="mp4"), 60.0),
        (i2v("gen4.5", outputFormat="prores"), 85.0),
        (i2v("gen4.5", outputFormat="png_sequence"), 85.0),
        (i2v("gen4.5", outputFormat="hdr10"), 160.0),
        (i2v("gen4.5", outputFormat="hdr_exr_sequence", duration=2), 64.0),
        (i2v("veo3.1", duration=4), 160.0),  # audio is on by default
        (i2v("veo3.1", duration=4, audio=False), 80.0),
        (i2v("veo3.1"), 320.0),  # 8 s by default
        (i2v("veo3.1_fast", duration=6), 90.0),
        (i2v("veo3.1_fast", duration=6, audio=False), 60.0),
    ],
)
def test_published_rates(body: dict[str, Any], credits: float) -> None:
    assert estimate_credits(parse_generation_request(body)) == credits
    assert estimate_credits(body) == credits  # a mapping is validated first


def test_act_two_is_priced_over_the_reference_clip_in_started_seconds() -> None:
    request = parse_generation_request(act_two())
    assert credits_per_second(request) == 5.0
    assert estimate_credits(request, output_seconds=3.0) == 15.0
    assert estimate_credits(request, output_seconds=4.2) == 25.0
    assert estimate_credits(request, output_seconds=5.000000000001) == 25.0
    assert estimate_credits(request, output_seconds=30.0) == 150.0


def test_act_two_without_its_length_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="act_two request without the reference clip's length"):
        estimate_credits(act_two())


@pytest.mark.parametrize("seconds", [0.0, -1.0, float("nan"), float("inf")])
def test_output_seconds_must_be_positive(seconds: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        estimate_credits(act_two(), output_seconds=seconds)


def test_output_seconds_that_contradict_the_duration_are_refused() -> None:
    with pytest.raises(ValueError, match="requests 5 s of video; output_seconds=6 contradicts"):
        estimate_credits(i2v("gen4_turbo", duration=5), output_seconds=6)
    assert estimate_credits(i2v("gen4_turbo", duration=5), output_seconds=5) == 25.0


def test_an_invalid_mapping_is_refused_by_validation() -> None:
    with pytest.raises(ValidationError, match="ratio"):
        estimate_credits(i2v("veo3.1", ratio="960:960"))


@pytest.mark.parametrize(
    "body",
    [
        i2v("gen4_turbo", duration=3),
        i2v("gen4.5", outputFormat="prores", duration=2),
        i2v("gen4.5", outputFormat="hlg", duration=2),
        i2v("veo3.1", duration=4, ratio="1920:1080"),
        i2v("veo3.1_fast", duration=4, audio=False, ratio="1080:1920"),
    ],
    ids=["gen4_turbo", "gen4.5-prores", "gen4.5-hlg", "veo3.1", "veo3.1_fast"],
)
async def test_estimate_equals_the_emulators_estimated_cost(
    body: dict[str, Any], client: RunwayClient, emulator: RunwayEmulator
) -> None:
    created = await client.create(parse_generation_request(body))
    assert created.estimated_cost is not None
    assert estimate_credits(body) == created.estimated_cost.credits


async def test_act_two_estimate_equals_the_emulators_for_a_probed_clip(
    client: RunwayClient, emulator: RunwayEmulator
) -> None:
    import io

    import av

    clip = mp4_bytes(4.5)
    with av.open(io.BytesIO(clip)) as container:
        assert container.duration is not None
        seconds = container.duration / 1_000_000
    body = act_two(data_uri("video/mp4", clip))
    created = await client.create(parse_generation_request(body))
    assert created.estimated_cost is not None
    assert estimate_credits(body, output_seconds=seconds) == created.estimated_cost.credits == 25
