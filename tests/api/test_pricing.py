"""Credit estimates: the published rates, the Act-Two rule, price unknown for every model without
a published price, and agreement with the emulator."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from prefect_runway.api import (
    CreditEstimate,
    PriceUnknown,
    RunwayClient,
    estimate,
    parse_generation_request,
)
from prefect_runway.api.pricing import (
    PRICE_UNKNOWN,
    PriceUnknownError,
    credits_per_second,
    estimate_credits,
)
from prefect_runway.testing.emulator import RunwayEmulator
from tests.catalogue_samples import VARIANTS, minimal_body
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


# ------------------------------------------------------------------ the whole catalogue


PUBLISHED = {
    "gen4_turbo",
    "gen4.5",
    "veo3.1",
    "veo3.1_fast",
    "seedance2",
    "act_two",
    "ruby",
    "gen4_image",
    "gen4_image_turbo",
    "gemini_2.5_flash",
    "muse_image",
    "ideogram_4_0",
    "ideogram_4_5",
    "bria_fibo_1_5",
}


@pytest.mark.parametrize(("endpoint", "model"), VARIANTS)
def test_every_model_is_priced_or_says_price_unknown(endpoint: str, model: str) -> None:
    request = parse_generation_request(minimal_body(endpoint, model), endpoint=endpoint)
    seconds = 5.0 if model in ("act_two", "ruby") else None
    price = estimate(request, output_seconds=seconds)
    if model in PUBLISHED:
        assert isinstance(price, CreditEstimate)
        assert 0 < price.at_least <= price.credits
        assert price.basis and str(price).endswith(f"({price.basis})")
        assert estimate_credits(request, output_seconds=seconds) == price.credits
    else:
        # A value of its own, never a number: a budget can never be passed by it.
        assert isinstance(price, PriceUnknown)
        assert str(price).startswith(PRICE_UNKNOWN) and model in str(price)
        with pytest.raises(PriceUnknownError, match="price unknown"):
            estimate_credits(request)
        with pytest.raises(ValueError, match="price unknown"):  # still a ValueError
            estimate_credits(request)


@pytest.mark.parametrize(
    ("body", "endpoint", "low", "high"),
    [
        ({"model": "gen4.5", "promptText": "x", "ratio": "720:1280", "duration": 3}, None, 36, 36),
        (
            {
                "model": "gen4.5",
                "promptText": "x",
                "ratio": "1280:720",
                "duration": 2,
                "outputFormat": "hdr10",
            },
            None,
            64,
            64,
        ),
        ({"model": "veo3.1", "promptText": "x", "ratio": "1280:720"}, None, 320, 320),
        (
            {
                "model": "veo3.1_fast",
                "promptText": "x",
                "ratio": "1280:720",
                "duration": 4,
                "audio": False,
            },
            None,
            40,
            40,
        ),
        ({"model": "seedance2", "promptText": "x", "duration": 10}, None, 360, 360),
        ({"model": "seedance2", "promptText": "x", "duration": "auto"}, None, 540, 540),
        ({"model": "seedance2", "promptText": "x"}, None, 144, 540),
        ({"model": "seedance2", "promptVideo": VIDEO, "duration": 4}, None, 144, 144),
        ({"model": "gen4_image", "promptText": "x", "ratio": "1280:720"}, None, 5, 5),
        ({"model": "gen4_image", "promptText": "x", "ratio": "1920:1080"}, None, 8, 8),
        ({"model": "gen4_image", "promptText": "x", "ratio": "1680:720"}, None, 5, 5),
        (
            {
                "model": "gen4_image_turbo",
                "promptText": "x",
                "ratio": "1024:1024",
                "referenceImages": [{"uri": IMAGE}],
            },
            None,
            2,
            2,
        ),
        ({"model": "gemini_2.5_flash", "promptText": "x", "ratio": "1024:1024"}, None, 5, 5),
        ({"model": "muse_image", "promptText": "x", "ratio": "auto", "outputCount": 3}, None, 3, 3),
        (
            {"model": "ideogram_4_0", "promptText": "x", "quality": "medium", "outputCount": 2},
            None,
            14,
            14,
        ),
        ({"model": "ideogram_4_0", "promptText": "x"}, None, 4, 11),
        ({"model": "ideogram_4_5", "promptText": "x"}, None, 25, 25),
        (
            {"model": "ideogram_4_5", "promptText": "x", "referenceImages": [{"uri": IMAGE}]},
            None,
            8,
            8,
        ),
        (
            {
                "model": "ideogram_4_5",
                "promptText": "x",
                "referenceImages": [{"uri": IMAGE}],
                "preciseEdit": True,
            },
            None,
            25,
            25,
        ),
        (
            {"model": "ideogram_4_5", "promptText": "x", "quality": "low", "outputCount": 3},
            None,
            12,
            12,
        ),
        ({"model": "bria_fibo_1_5", "promptText": "x", "ratio": "1024:1024"}, None, 5, 5),
        ({"model": "bria_fibo_1_5", "promptText": "x", "ratio": "2048:2048"}, None, 10, 10),
    ],
)
def test_published_rates_of_the_newer_models(
    body: dict[str, Any], endpoint: str | None, low: float, high: float
) -> None:
    price = estimate(body)
    assert isinstance(price, CreditEstimate)
    assert (price.at_least, price.credits) == (low, high), price.basis


def test_ruby_is_priced_over_its_source() -> None:
    body = {"model": "ruby", "videoUri": VIDEO}
    with pytest.raises(ValueError, match="without the source video's length"):
        estimate(body)
    unknown_size = estimate(body, output_seconds=4.2)
    assert isinstance(unknown_size, CreditEstimate)
    assert (unknown_size.at_least, unknown_size.credits) == (100, 200)  # 20 or 40 credits/s
    small = estimate(body, output_seconds=4.2, source_pixels=1920 * 1080)
    large = estimate(body, output_seconds=4.2, source_pixels=3840 * 2160)
    assert isinstance(small, CreditEstimate) and isinstance(large, CreditEstimate)
    assert (small.credits, large.credits) == (100, 200)


@pytest.mark.parametrize(
    "body",
    [
        {"model": "veo3.1", "promptText": "x", "ratio": "1920:1080", "duration": 6, "audio": False},
        {
            "model": "gen4.5",
            "promptText": "x",
            "ratio": "720:1280",
            "duration": 4,
            "outputFormat": "prores",
        },
        {"model": "seedance2", "promptText": "x", "duration": "auto"},
        {"model": "ideogram_4_5", "promptText": "x", "outputCount": 2},
        {"model": "muse_image", "promptText": "x", "ratio": "auto", "outputCount": 4},
        {"model": "gen4_image", "promptText": "x", "ratio": "720:960"},
    ],
    ids=["veo3.1-t2v", "gen4.5-t2v-prores", "seedance2-auto", "ideogram_4_5", "muse", "gen4_image"],
)
async def test_newer_estimates_equal_the_emulators_estimated_cost(
    body: dict[str, Any], client: RunwayClient, emulator: RunwayEmulator
) -> None:
    request = parse_generation_request(body)
    created = await client.create(request)
    price = estimate(request)
    assert isinstance(price, CreditEstimate) and created.estimated_cost is not None
    assert price.at_least == price.credits == created.estimated_cost.credits
