"""Hostile and bad input: every case is refused before any POST, naming field, value and rule.

Each case is validated the way the flows do it (``parse_generation_request``, then the provider's
own limits inside ``client.create``); the emulator must then have counted no request at all.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from pydantic import ValidationError

from prefect_runway.api import (
    COMETAPI,
    ProviderLimitExceeded,
    RunwayClient,
    parse_generation_request,
)
from prefect_runway.testing.emulator import RunwayEmulator
from tests.conftest import FAST_RETRY

IMAGE = "https://example.com/still.png"
VIDEO = "https://example.com/performance.mp4"
BIG_PNG = "data:image/png;base64," + "A" * (5 * 1024 * 1024)
BIG_MP4 = "data:video/mp4;base64," + base64.b64encode(b"\0" * (4 * 1024 * 1024)).decode()
LONG_URL = "https://example.com/" + "a" * 2030


def i2v(model: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"model": model, "promptImage": IMAGE}
    base["ratio"] = "1280:720"
    if model == "gen4.5":
        base.update(promptText="a scene", duration=5)
    base.update(fields)
    return base


def act_two(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "model": "act_two",
        "character": {"type": "image", "uri": IMAGE},
        "reference": {"type": "video", "uri": VIDEO},
    }
    base.update(fields)
    return base


# (case, field named in the error, value shown in the error)
CASES: list[tuple[dict[str, Any], str, str]] = [
    # unknown or missing model
    ({"model": "gen5", "promptImage": IMAGE}, "model", "gen5"),
    ({"model": "gen3a_turbo", "promptImage": IMAGE}, "model", "gen3a_turbo"),
    ({"promptImage": IMAGE, "ratio": "1280:720"}, "model", "None"),
    # every model's wrong ratios
    (i2v("gen4_turbo", ratio="16:9"), "ratio", "'16:9'"),
    (i2v("gen4_turbo", ratio="1920:1080"), "ratio", "'1920:1080'"),
    (i2v("gen4_turbo", ratio="1280:768"), "ratio", "'1280:768'"),
    (i2v("gen4.5", ratio="1080:1920"), "ratio", "'1080:1920'"),
    (i2v("gen4.5", ratio="1280x720"), "ratio", "'1280x720'"),
    (i2v("veo3.1", ratio="960:960"), "ratio", "'960:960'"),
    (i2v("veo3.1", ratio="1584:672"), "ratio", "'1584:672'"),
    (i2v("veo3.1_fast", ratio="1104:832"), "ratio", "'1104:832'"),
    (act_two(ratio="1920:1080"), "ratio", "'1920:1080'"),
    (act_two(ratio="16:9"), "ratio", "'16:9'"),
    # every model's wrong durations
    (i2v("gen4_turbo", duration=1), "duration", "1"),
    (i2v("gen4_turbo", duration=11), "duration", "11"),
    (i2v("gen4_turbo", duration=5.5), "duration", "5.5"),
    (i2v("gen4.5", duration=0), "duration", "0"),
    (i2v("gen4.5", duration=30), "duration", "30"),
    (i2v("veo3.1", duration=5), "duration", "5"),
    (i2v("veo3.1", duration=10), "duration", "10"),
    (i2v("veo3.1_fast", duration=2), "duration", "2"),
    (i2v("veo3.1_fast", duration="8"), "duration", "'8'"),
    # prompts over the UTF-16 limit built from emoji, and empty ones
    (i2v("gen4_turbo", promptText="🎬" * 501), "promptText", "1002 UTF-16 code units"),
    (i2v("gen4.5", promptText="👩‍👩‍👧‍👦" * 100), "promptText", "1100 UTF-16 code units"),
    (i2v("veo3.1", promptText="𝔸" * 600), "promptText", "1200 UTF-16 code units"),
    (i2v("veo3.1_fast", negativePrompt="🙂" * 700), "negativePrompt", "1400 UTF-16 code units"),
    (i2v("gen4_turbo", promptText=""), "promptText", "0 UTF-16 code units"),
    (i2v("gen4.5", promptText=None), "promptText", "None"),
    # seeds out of range
    (i2v("gen4_turbo", seed=-1), "seed", "-1"),
    (i2v("gen4.5", seed=4_294_967_296), "seed", "4294967296"),
    (i2v("veo3.1", seed=2**63), "seed", str(2**63)),
    (act_two(seed=-100), "seed", "-100"),
    (i2v("gen4_turbo", seed="12"), "seed", "'12'"),
    # expressionIntensity 0 and 6
    (act_two(expressionIntensity=0), "expressionIntensity", "0"),
    (act_two(expressionIntensity=6), "expressionIntensity", "6"),
    (act_two(expressionIntensity=2.5), "expressionIntensity", "2.5"),
    # http and IP-host URLs, URLs over 2048 characters
    (
        i2v("gen4_turbo", promptImage="http://example.com/a.png"),
        "promptImage",
        "http://example.com/a.png",
    ),
    (i2v("gen4_turbo", promptImage="https://10.0.0.1/a.png"), "promptImage", "10.0.0.1"),
    (i2v("gen4.5", promptImage="https://[2001:db8::1]/a.png"), "promptImage", "2001:db8::1"),
    (i2v("veo3.1", promptImage="https://192.168.1.1:8443/a.png"), "promptImage", "192.168.1.1"),
    (
        act_two(character={"type": "image", "uri": "https://127.0.0.1/face.png"}),
        "character",
        "127.0.0.1",
    ),
    (
        act_two(reference={"type": "video", "uri": "http://example.com/r.mp4"}),
        "reference",
        "http://example.com/r.mp4",
    ),
    (i2v("gen4_turbo", promptImage=LONG_URL), "promptImage", "2050 characters long; at most 2048"),
    (act_two(reference={"type": "video", "uri": LONG_URL}), "reference", "2050 characters long"),
    (i2v("gen4_turbo", promptImage="file:///etc/passwd"), "promptImage", "file:///etc/passwd"),
    (i2v("gen4_turbo", promptImage="s3://bucket/a.png"), "promptImage", "s3://bucket/a.png"),
    # data URIs over 5 MB or without a media type
    (i2v("gen4_turbo", promptImage=BIG_PNG), "promptImage", "5 MB encoded"),
    (
        act_two(reference={"type": "video", "uri": BIG_MP4 + "A" * (5 * 1024 * 1024)}),
        "reference",
        "5 MB encoded",
    ),
    (
        i2v("gen4_turbo", promptImage="data:;base64,iVBORw0KGgo="),
        "promptImage",
        "declares no media type",
    ),
    (
        i2v("gen4_turbo", promptImage="data:base64,iVBORw0KGgo="),
        "promptImage",
        "declares no media type",
    ),
    (
        i2v("gen4_turbo", promptImage="data:image/png,iVBORw0KGgo="),
        "promptImage",
        "not base64-encoded",
    ),
    # unsupported media types
    (i2v("gen4_turbo", promptImage="data:image/gif;base64,R0lGODlh"), "promptImage", "'image/gif'"),
    (
        i2v("gen4_turbo", promptImage="data:image/svg+xml;base64,PHN2Zz4="),
        "promptImage",
        "'image/svg+xml'",
    ),
    (i2v("veo3.1", promptImage="data:video/mp4;base64,AAAA"), "promptImage", "'video/mp4'"),
    (
        act_two(reference={"type": "video", "uri": "data:image/png;base64,AAAA"}),
        "reference",
        "'image/png'",
    ),
    (
        act_two(character={"type": "video", "uri": "data:video/x-msvideo;base64,AAAA"}),
        "character",
        "'video/x-msvideo'",
    ),
    (
        act_two(reference={"type": "video", "uri": "data:audio/mpeg;base64,AAAA"}),
        "reference",
        "'audio/mpeg'",
    ),
    # structure: keyframes, unknown fields, wrong kinds
    (i2v("gen4_turbo", promptImage=[{"uri": IMAGE, "position": "last"}]), "position", "'last'"),
    (i2v("veo3.1", promptImage=[{"uri": IMAGE, "position": "last"}]), "promptImage", "['last']"),
    (i2v("gen4_turbo", audio=True), "audio", "True"),
    (act_two(character={"type": "audio", "uri": IMAGE}), "character", "'audio'"),
    (act_two(reference={"type": "image", "uri": IMAGE}), "reference", "'image'"),
    (i2v("gen4.5", proresProfile="4444"), "proresProfile", "'4444'"),
    (i2v("gen4.5", outputFormat="gif"), "outputFormat", "'gif'"),
]

# CometAPI's tighter limits: valid for Runway, refused for CometAPI before any POST.
COMETAPI_CASES: list[tuple[dict[str, Any], str, str]] = [
    (i2v("gen4_turbo", seed=1_000_000_000), "seed", "1000000000"),
    (i2v("gen4.5", seed=4_294_967_295), "seed", "4294967295"),
    (i2v("gen4_turbo", promptText="x" * 513), "prompt_text", "513 UTF-16"),
    (i2v("veo3.1", promptText="🎬" * 257), "prompt_text", "514 UTF-16"),
    (i2v("veo3.1_fast", negativePrompt="n" * 600), "negative_prompt", "600 UTF-16"),
]


def test_there_are_at_least_50_cases() -> None:
    assert len(CASES) + len(COMETAPI_CASES) >= 50


@pytest.mark.parametrize(("data", "field", "value"), CASES)
def test_refused_naming_field_and_value(data: dict[str, Any], field: str, value: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_generation_request(data)
    message = str(info.value)
    assert field in message, message
    assert value in message, message


@pytest.mark.parametrize(("data", "field", "value"), COMETAPI_CASES)
async def test_cometapi_limits_refused_before_any_post(
    emulator: RunwayEmulator, data: dict[str, Any], field: str, value: str
) -> None:
    request = parse_generation_request(data)  # fine for Runway itself
    async with RunwayClient(
        emulator.api_key, provider=COMETAPI, base_url=emulator.base_url, retry=FAST_RETRY
    ) as client:
        with pytest.raises(ProviderLimitExceeded) as info:
            await client.create(request)
    assert field in str(info.value) and value in str(info.value)
    assert emulator.stats()["creates_total"] == 0


async def test_no_case_reaches_the_server(client: RunwayClient, emulator: RunwayEmulator) -> None:
    for data, _, _ in CASES:
        try:
            await client.create(parse_generation_request(data))
        except ValidationError:
            continue
        raise AssertionError(f"accepted: {data}")
    stats = emulator.stats()
    assert stats["creates_total"] == 0
    assert stats["rejected_creates"] == 0  # not even a refused request was sent
