"""Every endpoint and model through the API layer against the emulator over real HTTP.

Per endpoint, for every model: a request that breaks a rule is refused before any POST (the
emulator sees nothing), the estimate is the emulator's ``estimatedCost`` where a price is
published and ``PriceUnknown`` where not, the create succeeds, the wait ends SUCCEEDED, and
every output link downloads a real file of the kind ``output_kind`` announced.
"""

from __future__ import annotations

import asyncio
import base64
import io
import zipfile
from typing import Any

import av
import pytest
from pydantic import ValidationError

from prefect_runway.api import (
    CreditEstimate,
    PriceUnknown,
    RunwayClient,
    WaitPolicy,
    estimate,
    output_kind,
    parse_request,
    wait_for_task,
)
from prefect_runway.api.catalogue import CATALOGUE, CatalogueRequest
from prefect_runway.testing.emulator import RunwayEmulator
from tests.catalogue_samples import minimal_body
from tests.testing.emulator.support import mp4_bytes, png_bytes

FAST_WAIT = WaitPolicy(poll_interval=0.05, jitter=0.0, max_queue_seconds=30, max_run_seconds=30)

PUBLISHED = {
    "gen4_turbo",
    "gen4.5",
    "veo3.1",
    "veo3.1_fast",
    "seedance2",
    "act_two",
    "gen4_image",
    "gen4_image_turbo",
    "gemini_2.5_flash",
    "muse_image",
    "ideogram_4_0",
    "ideogram_4_5",
    "bria_fibo_1_5",
}
"""Models with a published price (ruby's depends on its source: priced in test_pricing)."""

SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "mp4": (b"ftyp",),
    "mov": (b"ftyp", b"moov", b"wide", b"mdat"),
    "zip": (b"PK\x03\x04",),
    "png": (b"\x89PNG",),
    "jpg": (b"\xff\xd8\xff",),
    "webp": (b"RIFF",),
    "svg": (b"<svg",),
    "mp3": (b"ID3", b"\xff\xfb", b"\xff\xf3"),
    "wav": (b"RIFF",),
    "flac": (b"fLaC",),
    "ogg": (b"OggS",),
}


def check_media(data: bytes, extension: str) -> None:
    """The bytes are a real file of that type (magic number, then decoded where possible)."""
    head = data[:12]
    assert any(sig in head for sig in SIGNATURES[extension]), (extension, head)
    if extension == "zip":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            assert names and all(name.endswith(".png") for name in names)
            check_media(archive.read(names[0]), "png")
        return
    if extension == "svg":
        assert data.rstrip().endswith(b"</svg>")
        return
    with av.open(io.BytesIO(data)) as container:
        if extension in ("mp3", "wav", "flac", "ogg"):
            assert container.streams.audio and container.duration
        else:
            assert container.streams.video
            frame = next(container.decode(video=0))
            assert frame.width > 0 and frame.height > 0


async def run_one(
    client: RunwayClient, endpoint: str, model: str, body: dict[str, Any]
) -> tuple[CatalogueRequest, float, list[str]]:
    request = parse_request(body, endpoint=endpoint)
    created = await client.create(request)
    assert created.estimated_cost is not None
    task = await wait_for_task(client, created.id, FAST_WAIT)
    assert task.status.value == "SUCCEEDED", (model, task.failure, task.failure_code)
    assert task.output
    return request, created.estimated_cost.credits, list(task.output)


@pytest.mark.parametrize("endpoint", list(CATALOGUE))
async def test_every_model_of_the_endpoint(
    endpoint: str, client: RunwayClient, emulator: RunwayEmulator
) -> None:
    models = list(CATALOGUE[endpoint])

    # A request that breaks a rule never leaves the client.
    for model in models:
        broken = {**minimal_body(endpoint, model), "notAField": True}
        with pytest.raises(ValidationError, match="notAField"):
            parse_request(broken, endpoint=endpoint)
    before = emulator.stats()
    assert before["creates_total"] == 0 and before["rejected_creates"] == 0

    runs = await asyncio.gather(
        *(run_one(client, endpoint, model, minimal_body(endpoint, model)) for model in models)
    )
    stats = emulator.stats()
    assert stats["creates_by_endpoint_and_model"][endpoint] == dict.fromkeys(sorted(models), 1)
    assert stats["rejected_creates"] == 0

    for request, charged, urls in runs:
        if request.model == "ruby":
            price = None  # priced over its probed source (tests/api/test_pricing.py)
        elif request.model == "act_two":
            # An https reference cannot be probed; the emulator takes it as 5 s long.
            price = estimate(request, output_seconds=5.0)
        else:
            price = estimate(request)
        if request.model in PUBLISHED:
            assert isinstance(price, CreditEstimate)
            # The estimate bounds the charge (exact when nothing priced is left unsaid).
            assert price.at_least <= charged <= price.credits, (request.model, str(price))
        elif price is not None:
            assert isinstance(price, PriceUnknown) and str(price).startswith("price unknown")
            assert charged > 0  # the server still charges: only we cannot know it beforehand
        kind = output_kind(request)
        assert len(urls) == kind.count
        for url in urls:
            assert url.split("?")[0].endswith(f".{kind.extension}")
            stream = client.output_stream(url)
            data = b"".join([chunk async for chunk in stream])
            assert stream.content_type == kind.content_type, request.model
            assert stream.size == len(data)
            check_media(data, kind.extension)


def data_uri(media_type: str, payload: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(payload).decode()}"


def wav_bytes(seconds: float) -> bytes:
    from prefect_runway.testing.emulator.media import render_audio

    return render_audio(seconds, fmt="wav", seed="input").data


async def test_outputs_follow_the_inputs_the_emulator_can_read(
    client: RunwayClient, emulator: RunwayEmulator
) -> None:
    clip = data_uri("video/mp4", mp4_bytes(3.0))
    voice = data_uri("audio/wav", wav_bytes(2.0))
    upscaled, _, (video_url,) = await run_one(
        client,
        "video_upscale",
        "magnific_video_upscaler_creative",
        {"model": "magnific_video_upscaler_creative", "videoUri": clip},
    )
    isolated, _, (audio_url,) = await run_one(
        client,
        "voice_isolation",
        "eleven_voice_isolation",
        {"model": "eleven_voice_isolation", "audioUri": voice},
    )
    for url, seconds in ((video_url, 3.0), (audio_url, 2.0)):
        data = b"".join([chunk async for chunk in client.output_stream(url)])
        with av.open(io.BytesIO(data)) as container:
            assert container.duration is not None
            assert container.duration / 1_000_000 == pytest.approx(seconds, abs=0.15)
    # Neither has a published price: the client says so rather than guess.
    assert isinstance(estimate(upscaled), PriceUnknown)
    assert isinstance(estimate(isolated), PriceUnknown)


async def test_an_input_outside_a_media_limit_fails_the_task_with_its_charge(
    client: RunwayClient, emulator: RunwayEmulator
) -> None:
    """image_upscale takes 300-8000 px per side: a 96 px image fails as ASSET.INVALID."""
    small = data_uri("image/png", png_bytes(96, 96))
    request = parse_request({"model": "magnific_precision_upscaler_v2", "imageUri": small})
    created = await client.create(request)
    task = await wait_for_task(client, created.id, FAST_WAIT)
    assert task.status.value == "FAILED" and task.failure_code == "ASSET.INVALID"
    assert "300" in (task.failure or "")
    assert task.cost is not None and task.cost.credits > 0


@pytest.mark.parametrize(
    ("output_format", "extension"),
    [("prores", "mov"), ("hdr_prores", "mov"), ("png_sequence", "zip"), ("hdr10", "mp4")],
)
async def test_gen45_image_to_video_delivers_the_format_it_was_asked_for(
    output_format: str, extension: str, client: RunwayClient, emulator: RunwayEmulator
) -> None:
    body = {
        "model": "gen4.5",
        "promptImage": "https://example.com/still.png",
        "promptText": "x",
        "ratio": "960:960",
        "duration": 2,
        "outputFormat": output_format,
    }
    request, charged, (url,) = await run_one(client, "image_to_video", "gen4.5", body)
    kind = output_kind(request)
    assert kind.extension == extension
    stream = client.output_stream(url)
    data = b"".join([chunk async for chunk in stream])
    assert stream.content_type == kind.content_type
    check_media(data, extension)
    price = estimate(request)
    assert isinstance(price, CreditEstimate) and price.credits == charged
