"""Every endpoint of the catalogue through ``generate`` against the emulator and moto's S3.

Per endpoint, one model (priced or not, one or several outputs), its media given as local files
of the field's kind: refused before any POST when it breaks a rule (0 creates), priced (or
"price unknown", refused under a budget without a cap and allowed with one), stored with the
right Content-Type and extension (every output of a multi-output request, all in the sidecar),
and a re-run pays nothing (0 creates).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from prefect import flow
from prefect_aws import S3Bucket
from pydantic import ValidationError

from prefect_runway.api import RunwayClient, WaitPolicy
from prefect_runway.api.media import MediaKind
from prefect_runway.tasks.generate import GenerationResult, generate
from prefect_runway.tasks.plan import CreditBudget
from prefect_runway.tasks.spec import GenerationSpec, InputError
from prefect_runway.testing.emulator import RunwayEmulator
from prefect_runway.testing.emulator.media import render_audio
from tests.catalogue_samples import minimal_body
from tests.media_samples import mp4_bytes, png_bytes

FAST = WaitPolicy(poll_interval=0.05, jitter=0.1)


@dataclass(frozen=True)
class Case:
    """One endpoint's generation: its model, fields beyond the minimal body, what it makes."""

    endpoint: str
    model: str
    extra: dict[str, Any] = field(default_factory=dict)
    content_type: str = "video/mp4"
    extension: str = "mp4"
    count: int = 1
    credits: float | None = None  # None: no published price
    broken: dict[str, Any] = field(default_factory=dict)  # a rule broken on purpose


CASES = [
    Case("image_to_video", "wan3", {"ratio": "1280:720"}, broken={"ratio": "1:1"}),
    Case("image_to_video", "seedance2", {"ratio": "1280:720", "duration": 4},
         credits=144, broken={"duration": 3}),
    Case("text_to_video", "veo3.1", {"ratio": "1280:720", "duration": 4, "audio": False},
         credits=80, broken={"ratio": "1:1"}),
    Case("video_to_video", "aleph2", {"outputFormat": "prores"}, "video/quicktime", "mov",
         broken={"outputFormat": "avi"}),
    Case("character_performance", "act_two", {}, credits=20, broken={"expressionIntensity": 9}),
    Case("text_to_image", "muse_image", {"outputCount": 2, "outputFormat": "jpeg"},
         "image/jpeg", "jpg", count=2, credits=2, broken={"outputFormat": "gif"}),
    Case("image_upscale", "magnific_precision_upscaler_v2", {}, "image/png", "png",
         broken={"scaleFactor": 99}),
    Case("video_upscale", "enhance_frame_rate", {}, broken={"notAField": 1}),
    Case("video_to_hdr", "ruby", {}, credits=80, broken={"outputFormat": "gif"}),
    Case("sound_effect", "mirelo_sfx_2_0", {"numVariants": 2, "format": "wav"}, "audio/wav",
         "wav", count=2, broken={"format": "aiff"}),
    Case("text_to_speech", "seed_audio", {"promptText": "Hello"}, "audio/mpeg", "mp3",
         broken={"notAField": 1}),
    Case("text_to_speech", "eleven_v3", {}, "audio/mpeg", "mp3", broken={"notAField": 1}),
    Case("speech_to_speech", "eleven_multilingual_sts_v2", {}, "audio/mpeg", "mp3",
         broken={"notAField": 1}),
    Case("video_to_audio", "mirelo_sfx_2_0", {}, "audio/mpeg", "mp3", broken={"notAField": 1}),
    Case("voice_dubbing", "eleven_voice_dubbing", {}, "audio/mpeg", "mp3",
         broken={"notAField": 1}),
    Case("voice_isolation", "eleven_voice_isolation", {}, "audio/mpeg", "mp3",
         broken={"notAField": 1}),
]  # fmt: skip


def media_files(folder: Path) -> dict[MediaKind, Path]:
    files = {
        MediaKind.IMAGE: folder / "still.png",
        MediaKind.VIDEO: folder / "take.mp4",
        MediaKind.AUDIO: folder / "voice.wav",
    }
    files[MediaKind.IMAGE].write_bytes(png_bytes(480, 320))
    files[MediaKind.VIDEO].write_bytes(mp4_bytes(seconds=3.5, size=64))
    files[MediaKind.AUDIO].write_bytes(render_audio(3.0, fmt="wav", seed="voice").data)
    return files


def spec_of(case: Case, folder: Path, **overrides: Any) -> dict[str, Any]:
    """The case's body with every media field a local file of the field's kind."""
    body = {**minimal_body(case.endpoint, case.model), **case.extra, **overrides}
    files = media_files(folder)
    spec = GenerationSpec(request=body, endpoint=case.endpoint)
    local = {ref.path: str(files[ref.kind]) for ref in spec.media()}
    assert local, "every case reads at least one local file, or none when text only"
    return {"request": spec.with_media(local), "endpoint": case.endpoint, "name": case.model}


@flow(name="generate-catalogue")
async def generate_with(
    spec: dict[str, Any], bucket: S3Bucket, client: RunwayClient, budget: CreditBudget | None
) -> GenerationResult:
    return await generate(
        spec, destination=bucket, prefix="catalogue", client=client, wait_policy=FAST,
        budget=budget,
    )  # fmt: skip


TEXT_ONLY = {"text_to_video", "text_to_image", "sound_effect", "text_to_speech"}


def needs_media(case: Case) -> bool:
    return case.endpoint not in TEXT_ONLY


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.endpoint}-{case.model}")
async def test_every_endpoint_through_generate(
    case: Case,
    tmp_path: Path,
    prefect_harness: str,
    emulator: RunwayEmulator,
    client: RunwayClient,
    s3_bucket: S3Bucket,
) -> None:
    if needs_media(case):
        spec = spec_of(case, tmp_path)
    else:
        body = {**minimal_body(case.endpoint, case.model), **case.extra}
        spec = {"request": body, "endpoint": case.endpoint, "name": case.model}

    # A broken rule is refused before anything is read or sent.
    broken = {**spec, "request": {**spec["request"], **case.broken}}
    with pytest.raises(ValidationError):
        await generate_with(broken, s3_bucket, client, None)
    assert emulator.stats()["creates_total"] == 0

    # Priced, or refused under a budget for want of a price; allowed with a cap.
    if case.credits is None:
        refused = await generate_with(spec, s3_bucket, client, CreditBudget(max_credits=10_000))
        assert refused.failure_code == "OVER_BUDGET"
        assert "no published price" in (refused.failure or "")
        assert "price_caps" in (refused.failure or "")
        assert emulator.stats()["creates_total"] == 0
        budget = CreditBudget(max_credits=10_000, price_caps={case.model: 5_000})
    else:
        short = CreditBudget(max_credits=case.credits - 1)
        refused = await generate_with(spec, s3_bucket, client, short)
        assert refused.failure_code == "OVER_BUDGET"
        assert f"may cost {case.credits:g} credits" in (refused.failure or "")
        assert emulator.stats()["creates_total"] == 0
        budget = CreditBudget(max_credits=case.credits)

    result = await generate_with(spec, s3_bucket, client, budget)
    assert result.status == "succeeded", result
    stats = emulator.stats()
    assert stats["creates_total"] == 1
    assert stats["creates_by_endpoint_and_model"][case.endpoint][case.model] == 1
    if case.credits is not None:
        assert result.credits == case.credits  # what the emulator charged: the estimate held

    s3 = s3_bucket.credentials.get_s3_client()
    sidecar_key = result.sidecar_uri.split("/", 3)[3]  # type: ignore[union-attr]
    sidecar_object = s3.get_object(Bucket=s3_bucket.bucket_name, Key=sidecar_key)
    sidecar = json.loads(sidecar_object["Body"].read())
    assert sidecar["endpoint"] == case.endpoint and sidecar["model"] == case.model
    outputs = sidecar["outputs"]
    assert len(outputs) == case.count
    for output in outputs:
        assert output["uri"].endswith(f".{case.extension}"), output["uri"]
        head = s3.head_object(Bucket=s3_bucket.bucket_name, Key=output["key"])
        assert head["ContentType"] == case.content_type
        assert head["ContentLength"] == output["size"] > 0
    assert len({output["uri"] for output in outputs}) == case.count

    # A re-run pays nothing: read from the sidecar, no create.
    again = await generate_with(spec, s3_bucket, client, CreditBudget(max_credits=0))
    assert again.from_sidecar and again.output_uri == result.output_uri
    assert emulator.stats()["creates_total"] == 1


async def test_an_audio_field_refuses_an_image_before_any_post(
    tmp_path: Path, prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient,
    s3_bucket: S3Bucket,
) -> None:  # fmt: skip
    still = tmp_path / "voice.wav"  # named like audio, holds a PNG
    still.write_bytes(png_bytes())
    spec = {
        "request": {"model": "eleven_voice_isolation", "audioUri": str(still)},
        "name": "isolated",
    }
    with pytest.raises(InputError, match=r"audioUri.*PNG.*audio file"):
        await generate_with(spec, s3_bucket, client, None)
    assert emulator.stats()["creates_total"] == 0


async def test_media_limits_refuse_before_any_post(
    tmp_path: Path, prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient,
    s3_bucket: S3Bucket,
) -> None:  # fmt: skip
    # Seedance's reference audio: at most 15 s together (two 8 s clips are 16 s).
    first, second = tmp_path / "a.wav", tmp_path / "b.mp3"
    first.write_bytes(render_audio(8.0, fmt="wav", seed="a").data)
    second.write_bytes(render_audio(8.0, fmt="mp3", seed="b").data)
    still = tmp_path / "still.png"
    still.write_bytes(png_bytes(480, 320))
    spec = {
        "request": {
            "model": "seedance2", "promptImage": str(still), "ratio": "1280:720",
            "referenceAudio": [{"uri": str(first)}, {"uri": str(second)}],
        },
        "name": "long-audio",
    }  # fmt: skip
    with pytest.raises(InputError, match=r"referenceAudio.*last 16\.\d+ s together.*15 s"):
        await generate_with(spec, s3_bucket, client, None)
    # A picture too small for h3_max (256 px a side).
    small = tmp_path / "small.png"
    small.write_bytes(png_bytes(200, 120))
    tiny = {
        "request": {"model": "h3_max", "promptImage": str(small), "promptText": "A fox"},
        "name": "tiny",
    }
    with pytest.raises(InputError, match=r"200x120 pixels; h3_max needs at least 256"):
        await generate_with(tiny, s3_bucket, client, None)
    assert emulator.stats()["creates_total"] == 0


async def test_a_lost_second_output_is_restored_without_paying_again(
    prefect_harness: str, emulator: RunwayEmulator, client: RunwayClient, s3_bucket: S3Bucket
) -> None:
    spec = {
        "request": {"model": "muse_image", "promptText": "A fox", "ratio": "1600:1600",
                    "outputCount": 2},
        "name": "fox",
    }  # fmt: skip
    first = await generate_with(spec, s3_bucket, client, None)
    s3 = s3_bucket.credentials.get_s3_client()
    sidecar_key = first.sidecar_uri.split("/", 3)[3]  # type: ignore[union-attr]
    outputs = json.loads(
        s3.get_object(Bucket=s3_bucket.bucket_name, Key=sidecar_key)["Body"].read()
    )["outputs"]
    assert [o["uri"].rsplit("/", 1)[1] for o in outputs] == ["fox.png", "fox-1.png"]
    s3.delete_object(Bucket=s3_bucket.bucket_name, Key=outputs[1]["key"])  # paid, then lost

    again = await generate_with(spec, s3_bucket, client, None)
    assert again.status == "succeeded" and not again.from_sidecar  # read from its task again
    head = s3.head_object(Bucket=s3_bucket.bucket_name, Key=outputs[1]["key"])
    assert head["ContentLength"] == outputs[1]["size"]
    assert emulator.stats()["creates_total"] == 1  # restored, not paid again
