"""Specs of every catalogue endpoint: media found by the catalogue, keys that tell endpoints apart,
and the keys of the original five models pinned byte for byte (a changed key pays again)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from prefect_runway.api.media import MediaKind
from prefect_runway.tasks.keys import generation_key
from prefect_runway.tasks.spec import GenerationSpec

BASE = "https://api.dev.runwayml.com"

# Computed on main before the catalogue reached `generate` (commit 933ea54). These must never
# change: every stored result and ledger entry of the original models is found by its key.
PINNED: list[tuple[dict[str, Any], dict[tuple[str | int, ...], str], str, str]] = [
    (
        {"model": "gen4_turbo", "promptImage": "stills/a.png", "ratio": "960:960"},
        {("promptImage",): "sha256:aa"},
        "",
        "8295d1e771a914572a0ff70fe87b0264",
    ),
    (
        {"model": "gen4_turbo", "promptImage": "stills/a.png", "ratio": "1280:720",
         "duration": 10, "promptText": "A harbour", "seed": 7},
        {("promptImage",): "sha256:bb"},
        "v2",
        "793b72009fe9d5f9012d33f1c216a22d",
    ),
    (
        {"model": "gen4.5", "promptImage": [{"uri": "a.png", "position": "first"}],
         "ratio": "1280:720", "promptText": "Waves", "duration": 5},
        {("promptImage", 0, "uri"): "sha256:cc"},
        "",
        "6d511b07588ef5bb9a402bcc9c1063b0",
    ),
    (
        {"model": "veo3.1", "promptImage": "https://example.com/a.png", "ratio": "1280:720",
         "promptText": "Rain"},
        {("promptImage",): "https://example.com/a.png"},
        "",
        "47e0775a8e8acafca086577d6d01c2a6",
    ),
    (
        {"model": "veo3.1_fast", "promptImage": "s3://b/a.jpg", "ratio": "720:1280",
         "duration": 4, "audio": False},
        {("promptImage",): "s3-etag:abc:123"},
        "",
        "0192d82753a5566bbfdbc452cd2936b0",
    ),
    (
        {"model": "act_two", "character": {"type": "image", "uri": "face.png"},
         "reference": {"type": "video", "uri": "take.mp4"}, "ratio": "1280:720"},
        {("character", "uri"): "sha256:dd", ("reference", "uri"): "sha256:ee"},
        "",
        "9f5558f13860ed879205047f15d98bc5",
    ),
    (
        {"model": "act_two", "character": {"type": "video", "uri": "https://example.com/c.mp4"},
         "reference": {"type": "video", "uri": "take.mp4"}, "bodyControl": True,
         "expressionIntensity": 5},
        {("character", "uri"): "https://example.com/c.mp4", ("reference", "uri"): "sha256:ff"},
        "",
        "a16c65dc010b2b9a707646bdc8a396e2",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("request_body", "ids", "variant", "expected"), PINNED)
def test_keys_of_the_original_models_are_unchanged(
    request_body: dict[str, Any],
    ids: dict[tuple[str | int, ...], str],
    variant: str,
    expected: str,
) -> None:
    spec = GenerationSpec(request=request_body, variant=variant)
    assert generation_key(spec, base_url=BASE, content_ids=ids) == expected
    # Naming the endpoint the request already goes to changes nothing either.
    endpoint = "character_performance" if request_body["model"] == "act_two" else "image_to_video"
    named = GenerationSpec(request=request_body, variant=variant, endpoint=endpoint)
    assert generation_key(named, base_url=BASE, content_ids=ids) == expected


def test_one_body_on_two_endpoints_is_two_generations() -> None:
    body = {"model": "seed_audio", "promptText": "Rain on a tin roof"}
    with pytest.raises(ValidationError, match="endpoint"):
        GenerationSpec(request=body).validate_request()  # ambiguous: refused, not guessed
    sound = GenerationSpec(request=body, endpoint="sound_effect")
    speech = GenerationSpec(request=body, endpoint="text_to_speech")
    assert sound.validate_request().endpoint == "sound_effect"
    assert speech.validate_request().endpoint == "text_to_speech"
    keys = {generation_key(s, base_url=BASE, content_ids={}) for s in (sound, speech)}
    assert len(keys) == 2


def test_unknown_endpoint_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValidationError, match=r"unknown endpoint 'text_to_music'.*sound_effect"):
        GenerationSpec(request={"model": "seed_audio"}, endpoint="text_to_music")


@pytest.mark.parametrize(
    ("endpoint", "body", "expected"),
    [
        (
            "text_to_image",
            {"model": "gen4_image", "promptText": "A fox", "ratio": "1920:1080",
             "referenceImages": [{"uri": "a.png"}, {"uri": "s3://b/c.jpg", "tag": "fox"}]},
            [(("referenceImages", 0, "uri"), "a.png", MediaKind.IMAGE),
             (("referenceImages", 1, "uri"), "s3://b/c.jpg", MediaKind.IMAGE)],
        ),
        (
            "speech_to_speech",
            {"model": "eleven_multilingual_sts_v2", "media": {"type": "video", "uri": "a.mp4"},
             "voice": {"type": "runway-preset", "presetId": "Maya"}},
            [(("media", "uri"), "a.mp4", MediaKind.VIDEO)],
        ),
        (
            "speech_to_speech",
            {"model": "eleven_multilingual_sts_v2", "media": {"type": "audio", "uri": "a.wav"},
             "voice": {"type": "runway-preset", "presetId": "Maya"}},
            [(("media", "uri"), "a.wav", MediaKind.AUDIO)],
        ),
        (
            "voice_isolation",
            {"model": "eleven_voice_isolation", "audioUri": "take.mp3"},
            [(("audioUri",), "take.mp3", MediaKind.AUDIO)],
        ),
        (
            "video_to_video",
            {"model": "aleph2", "videoUri": "s3://b/in.mp4", "promptText": "Snow"},
            [(("videoUri",), "s3://b/in.mp4", MediaKind.VIDEO)],
        ),
        (
            "image_to_video",
            {"model": "seedance2", "promptImage": "still.png", "ratio": "1280:720",
             "referenceAudio": [{"uri": "a.wav"}, {"uri": "b.mp3"}]},
            [(("promptImage",), "still.png", MediaKind.IMAGE),
             (("referenceAudio", 0, "uri"), "a.wav", MediaKind.AUDIO),
             (("referenceAudio", 1, "uri"), "b.mp3", MediaKind.AUDIO)],
        ),
    ],
)  # fmt: skip
def test_media_are_found_by_the_catalogue(
    endpoint: str, body: dict[str, Any], expected: list[tuple[Any, str, MediaKind]]
) -> None:
    spec = GenerationSpec(request=body)
    assert spec.resolved_endpoint == endpoint
    assert [(ref.path, ref.value, ref.kind) for ref in spec.media()] == expected
    # Local paths and s3:// objects become placeholders: every other rule is checked at once.
    assert spec.validate_request().endpoint == endpoint


def test_snake_case_wire_names_survive_normalisation() -> None:
    # Aleph's keyframe range is snake_case on the wire; camelCasing it would refuse the request.
    spec = GenerationSpec(
        request={
            "model": "aleph2", "videoUri": "https://example.com/in.mp4", "prompt_text": "Snow",
            "keyframes": [{"uri": "https://example.com/k.png", "seconds": 1,
                           "range": {"start_seconds": 0, "end_seconds": 2}}],
        }
    )  # fmt: skip
    assert spec.request["promptText"] == "Snow"
    assert [ref.path for ref in spec.media()] == [("videoUri",), ("keyframes", 0, "uri")]
    assert spec.validate_request().to_api()["keyframes"][0]["range"] == {
        "start_seconds": 0, "end_seconds": 2
    }  # fmt: skip
