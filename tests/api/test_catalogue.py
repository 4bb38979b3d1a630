"""The catalogue's models: picking the endpoint, the hand-checked rules (client and emulator
agreeing), output kinds and media limits."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from prefect_runway.api import (
    COMETAPI,
    ENDPOINTS,
    KNOWN_MODELS,
    ProviderCapabilityMissing,
    ProviderLimitExceeded,
    RunwayClient,
    endpoints_of,
    output_kind,
    parse_generation_request,
    parse_request,
    request_class,
)
from prefect_runway.api.catalogue import CATALOGUE, MEDIA_LIMITS
from prefect_runway.api.catalogue.outputs import OutputKind, extension_for
from prefect_runway.testing.emulator import EmulatorConfig, RunwayEmulator
from tests.catalogue_samples import VARIANTS, minimal_body, rules_of
from tests.emulator_validation import emulator_accepts

IMAGE = "https://example.com/still.png"
VIDEO = "https://example.com/clip.mp4"


def client_accepts(endpoint: str, body: dict[str, Any]) -> bool:
    try:
        parse_request(body, endpoint=endpoint)
    except ValidationError:
        return False
    return True


# ---------------------------------------------------------------------- picking the endpoint


@pytest.mark.parametrize(
    ("body", "endpoint"),
    [
        (
            {"model": "gen4.5", "promptText": "x", "ratio": "1280:720", "duration": 5},
            "text_to_video",
        ),
        (
            {
                "model": "gen4.5",
                "promptImage": IMAGE,
                "promptText": "x",
                "ratio": "1280:720",
                "duration": 5,
            },
            "image_to_video",
        ),
        ({"model": "seedance2", "promptText": "x"}, "text_to_video"),
        ({"model": "seedance2", "promptImage": IMAGE}, "image_to_video"),
        ({"model": "seedance2", "promptVideo": VIDEO}, "video_to_video"),
        ({"model": "mirelo_sfx_2_0", "promptText": "rain", "duration": 3}, "sound_effect"),
        ({"model": "mirelo_sfx_2_0", "videoUri": VIDEO, "duration": 3}, "video_to_audio"),
        ({"model": "kling_4", "promptText": "x", "videoUri": VIDEO}, "video_to_video"),
        # snake_case keys pick the same way
        ({"model": "seedance2", "prompt_video": VIDEO}, "video_to_video"),
        ({"model": "ruby", "videoUri": VIDEO}, "video_to_hdr"),
    ],
)
def test_the_keys_given_pick_the_endpoint(body: dict[str, Any], endpoint: str) -> None:
    assert parse_request(body).endpoint == endpoint
    assert parse_generation_request(body).endpoint == endpoint


def test_a_request_that_fits_two_endpoints_is_refused_not_guessed() -> None:
    body = {"model": "seed_audio", "promptText": "rain on a tin roof"}
    with pytest.raises(ValidationError, match="served by sound_effect and text_to_speech"):
        parse_request(body)
    assert parse_request(body, endpoint="sound_effect").endpoint == "sound_effect"
    assert parse_generation_request(body, endpoint="text_to_speech").endpoint == "text_to_speech"


def test_keys_that_fit_no_endpoint_are_explained_by_the_closest_one() -> None:
    with pytest.raises(ValidationError) as refused:
        parse_request({"model": "gen4.5", "promptImage": IMAGE, "ratio": "1280:720"})
    message = str(refused.value)
    assert "promptText\n  Field required" in message and "duration\n  Field required" in message


def test_unknown_endpoint_and_model_name_what_is_known() -> None:
    with pytest.raises(ValidationError, match="unknown endpoint 'image_to_3d'; known endpoints"):
        parse_request({"model": "gen4_turbo"}, endpoint="image_to_3d")
    with pytest.raises(ValidationError, match="unknown model 'gen4_turbo' for text_to_video"):
        parse_request({"model": "gen4_turbo"}, endpoint="text_to_video")
    with pytest.raises(ValidationError, match="unknown model 'gen5'; known models: gen4_turbo"):
        parse_request({"model": "gen5"})
    with pytest.raises(ValueError, match="endpoint 'text_to_video' has no model 'act_two'"):
        request_class("text_to_video", "act_two")


def test_model_names_and_endpoints() -> None:
    assert KNOWN_MODELS[:5] == ("gen4_turbo", "gen4.5", "veo3.1", "veo3.1_fast", "act_two")
    assert len(KNOWN_MODELS) == len(set(KNOWN_MODELS)) == 61
    assert endpoints_of("gen4.5") == ("image_to_video", "text_to_video")
    assert endpoints_of("nope") == ()
    assert ENDPOINTS[0] == "image_to_video" and len(ENDPOINTS) == 14


@pytest.mark.parametrize(("endpoint", "model"), VARIANTS)
def test_every_model_has_a_class_that_names_its_endpoint_and_media(
    endpoint: str, model: str
) -> None:
    cls = request_class(endpoint, model)
    assert cls.endpoint == endpoint
    request = cls.model_validate(minimal_body(endpoint, model))
    body = request.to_api()
    assert body["model"] == model
    # Every media path names a field the class has.
    fields = {info.alias or name for name, info in cls.model_fields.items()}
    for path, kind in cls.media_fields:
        assert path.split(".")[0].split("[")[0] in fields
        assert kind in ("image", "video", "audio")
    assert cls.rules == tuple(rules_of(endpoint, model))


# ------------------------------------------------------------------ the hand-checked rules


def i2v(model: str, frames: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    return {"model": model, "promptImage": frames, **more}


RULE_CASES: list[tuple[str, str, dict[str, Any], bool]] = [
    # keyframes: a first frame, each position once
    (
        "image_to_video",
        "keyframes",
        i2v("klingO3_pro", [{"uri": IMAGE, "position": "last"}]),
        False,
    ),
    (
        "image_to_video",
        "keyframes",
        i2v("kling3.0_pro", [{"uri": IMAGE, "position": "first"}] * 2),
        False,
    ),
    (
        "image_to_video",
        "keyframes",
        i2v(
            "h3_max",
            [{"uri": IMAGE, "position": "first"}, {"uri": IMAGE, "position": "last"}],
            promptText="x",
        ),
        True,
    ),
    # keyframes or references, never mixed
    (
        "image_to_video",
        "keyframes_or_references",
        i2v("seedance2", [{"uri": IMAGE, "position": "first"}, {"uri": IMAGE}]),
        False,
    ),
    ("image_to_video", "keyframes_or_references", i2v("seedance2", [{"uri": IMAGE}] * 3), True),
    (
        "image_to_video",
        "keyframes_or_references",
        i2v("hailuo3", [{"uri": IMAGE, "position": "last"}] * 2, promptText="x"),
        False,
    ),
    # proresProfile only with ProRes; hdr_prores takes three profiles
    (
        "text_to_video",
        "prores_profile",
        {
            "model": "gen4.5",
            "promptText": "x",
            "ratio": "1280:720",
            "duration": 2,
            "proresProfile": "4444",
        },
        False,
    ),
    (
        "text_to_video",
        "prores_profile",
        {
            "model": "gen4.5",
            "promptText": "x",
            "ratio": "1280:720",
            "duration": 2,
            "outputFormat": "hdr_prores",
            "proresProfile": "422 LT",
        },
        False,
    ),
    (
        "text_to_video",
        "prores_profile",
        {
            "model": "gen4.5",
            "promptText": "x",
            "ratio": "1280:720",
            "duration": 2,
            "outputFormat": "prores",
            "proresProfile": "422 LT",
        },
        True,
    ),
    (
        "video_to_video",
        "prores_profile",
        {"model": "aleph2", "videoUri": VIDEO, "proresProfile": "4444"},
        False,
    ),
    (
        "video_to_hdr",
        "prores_profile",
        {"model": "ruby", "videoUri": VIDEO, "outputFormat": "hdr_prores", "proresProfile": "4444"},
        True,
    ),
    (
        "video_to_hdr",
        "prores_profile",
        {"model": "ruby", "videoUri": VIDEO, "proresProfile": "4444"},
        False,
    ),
    # Kling's shots add up to 3-15 s; "intelligence" needs a prompt
    (
        "text_to_video",
        "kling_shots",
        {
            "model": "kling3.0_pro",
            "ratio": "1920:1080",
            "providerSettings": {
                "multiPrompt": [{"duration": 1, "prompt": "a"}, {"duration": 1, "prompt": "b"}]
            },
        },
        False,
    ),
    (
        "text_to_video",
        "kling_shots",
        {
            "model": "kling3.0_pro",
            "ratio": "1920:1080",
            "providerSettings": {
                "multiPrompt": [{"duration": 3, "prompt": "a"}, {"duration": 4, "prompt": "b"}]
            },
        },
        True,
    ),
    (
        "text_to_video",
        "kling_shots",
        {
            "model": "klingO3_pro",
            "ratio": "1920:1080",
            "providerSettings": {"shotType": "intelligence"},
        },
        False,
    ),
    # Seedance 2.5: drafts are mp4; extend and edit need a prompt and no ratio; edit is auto
    (
        "text_to_video",
        "seedance_draft",
        {"model": "seedance2_5", "draft": True, "outputFormat": "mov"},
        False,
    ),
    (
        "video_to_video",
        "seedance_mode",
        {"model": "seedance2_5", "promptVideo": VIDEO, "mode": "extend"},
        False,
    ),
    (
        "video_to_video",
        "seedance_mode",
        {
            "model": "seedance2_5",
            "promptVideo": VIDEO,
            "mode": "edit",
            "promptText": "x",
            "duration": 5,
        },
        False,
    ),
    (
        "video_to_video",
        "seedance_mode",
        {
            "model": "seedance2_5",
            "promptVideo": VIDEO,
            "mode": "edit",
            "promptText": "x",
            "duration": "auto",
        },
        True,
    ),
    (
        "video_to_video",
        "seedance_mode",
        {
            "model": "seedance2_5",
            "promptVideo": VIDEO,
            "mode": "extend",
            "promptText": "x",
            "ratio": "1280:720",
        },
        False,
    ),
    # Aleph keyframes: a range on every keyframe or on none
    (
        "video_to_video",
        "keyframe_ranges",
        {
            "model": "aleph2",
            "videoUri": VIDEO,
            "keyframes": [
                {"uri": IMAGE, "seconds": 1, "range": {"start_seconds": 0, "end_seconds": 2}},
                {"uri": IMAGE, "at": 0.5},
            ],
        },
        False,
    ),
    (
        "video_to_video",
        "keyframe_ranges",
        {
            "model": "aleph2",
            "videoUri": VIDEO,
            "keyframes": [{"uri": IMAGE, "seconds": 1}, {"uri": IMAGE, "at": 0.5}],
        },
        True,
    ),
    # hailuo3 text-only needs a concrete ratio
    (
        "text_to_video",
        "adaptive_ratio",
        {"model": "hailuo3", "promptText": "x", "ratio": "adaptive"},
        False,
    ),
    ("text_to_video", "adaptive_ratio", {"model": "hailuo3", "promptText": "x"}, False),
    (
        "text_to_video",
        "adaptive_ratio",
        {
            "model": "hailuo3",
            "promptText": "x",
            "ratio": "adaptive",
            "references": [{"uri": IMAGE}],
        },
        True,
    ),
    # wan3 keyframes follow the first frame: auto_* ratios only
    (
        "image_to_video",
        "keyframe_auto_ratio",
        i2v("wan3", [{"uri": IMAGE, "position": "first"}], promptText="x", ratio="1280:720"),
        False,
    ),
    (
        "image_to_video",
        "keyframe_auto_ratio",
        i2v("wan3", [{"uri": IMAGE, "position": "first"}], promptText="x", ratio="auto_720p"),
        True,
    ),
    # gpt-image-2.5 tags are unique
    (
        "text_to_image",
        "unique_tags",
        {
            "model": "gpt_image_2_5_flare",
            "promptText": "x",
            "ratio": "auto",
            "referenceImages": [{"uri": IMAGE, "tag": "hero"}, {"uri": IMAGE, "tag": "hero"}],
        },
        False,
    ),
    # Ideogram 4.5 editing
    (
        "text_to_image",
        "ideogram_edit",
        {"model": "ideogram_4_5", "promptText": "x", "quality": "very_low"},
        False,
    ),
    (
        "text_to_image",
        "ideogram_edit",
        {"model": "ideogram_4_5", "promptText": "x", "preciseEdit": True},
        False,
    ),
    (
        "text_to_image",
        "ideogram_edit",
        {
            "model": "ideogram_4_5",
            "promptText": "x",
            "maskUri": IMAGE,
            "ratio": "1024:1024",
            "referenceImages": [{"uri": IMAGE}],
        },
        False,
    ),
    (
        "text_to_image",
        "ideogram_edit",
        {
            "model": "ideogram_4_5",
            "promptText": "x",
            "quality": "very_low",
            "referenceImages": [{"uri": IMAGE}],
        },
        True,
    ),
    # Bria edit: a size needs two references
    (
        "text_to_image",
        "bria_edit_ratio",
        {
            "model": "bria_fibo_edit_1_5",
            "promptText": "x",
            "ratio": "1024:1024",
            "referenceImages": [{"uri": IMAGE}],
        },
        False,
    ),
    (
        "text_to_image",
        "bria_edit_ratio",
        {
            "model": "bria_fibo_edit_1_5",
            "promptText": "x",
            "ratio": "1024:1024",
            "referenceImages": [{"uri": IMAGE}, {"uri": IMAGE}],
        },
        True,
    ),
]


@pytest.mark.parametrize(
    ("endpoint", "rule", "body", "valid"),
    RULE_CASES,
    ids=[f"{case[1]}-{index}" for index, case in enumerate(RULE_CASES)],
)
def test_client_and_emulator_agree_on_each_hand_checked_rule(
    endpoint: str, rule: str, body: dict[str, Any], valid: bool
) -> None:
    assert rule in request_class(endpoint, body["model"]).rules
    assert client_accepts(endpoint, body) is valid
    assert emulator_accepts(endpoint, body) is valid


def test_every_rule_has_a_case_either_way() -> None:
    named = {rule for rules in (cls.rules for m in CATALOGUE.values() for cls in m.values())
             for rule in rules}  # fmt: skip
    assert {case[1] for case in RULE_CASES if not case[3]} == named


def test_rule_errors_name_the_field_value_and_what_is_allowed() -> None:
    with pytest.raises(ValidationError) as refused:
        parse_request(
            {
                "model": "gen4.5",
                "promptText": "x",
                "ratio": "1280:720",
                "duration": 2,
                "outputFormat": "hdr_prores",
                "proresProfile": "422 LT",
            }
        )
    assert "proresProfile '422 LT' is not available with outputFormat 'hdr_prores'" in str(
        refused.value
    )
    assert "'422', '422 HQ', '4444'" in str(refused.value)


# ------------------------------------------------------------------------------- outputs


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (
            {"model": "veo3.1", "promptText": "x", "ratio": "1280:720"},
            ("video", "video/mp4", "mp4", 1),
        ),
        (
            {
                "model": "gen4.5",
                "promptText": "x",
                "ratio": "1280:720",
                "duration": 2,
                "outputFormat": "png_sequence",
            },
            ("archive", "application/zip", "zip", 1),
        ),
        (
            {
                "model": "gen4.5",
                "promptText": "x",
                "ratio": "1280:720",
                "duration": 2,
                "outputFormat": "hdr_pq_12bit_master",
            },
            ("video", "video/quicktime", "mov", 1),
        ),
        ({"model": "ruby", "videoUri": VIDEO}, ("video", "video/mp4", "mp4", 1)),
        (
            {"model": "seedance2_5", "promptText": "x", "outputFormat": "mov"},
            ("video", "video/quicktime", "mov", 1),
        ),
        (
            {"model": "gpt_image_2", "promptText": "x", "ratio": "auto", "outputCount": 4},
            ("image", "image/png", "png", 4),
        ),
        (
            {
                "model": "seedream5_pro",
                "promptText": "x",
                "ratio": "auto_2k",
                "outputFormat": "jpeg",
            },
            ("image", "image/jpeg", "jpg", 1),
        ),
        (
            {"model": "recraft_v4_1_flash", "promptText": "x", "ratio": "1024:1024"},
            ("image", "image/webp", "webp", 1),
        ),
        ({"model": "recraft_v4_1_vector", "promptText": "x"}, ("image", "image/svg+xml", "svg", 1)),
        (
            {"model": "magnific_precision_upscaler_v2", "imageUri": IMAGE},
            ("image", "image/png", "png", 1),
        ),
        (
            {
                "model": "mirelo_sfx_2_0",
                "videoUri": VIDEO,
                "duration": 3,
                "format": "flac",
                "numVariants": 2,
            },
            ("audio", "audio/flac", "flac", 2),
        ),
        (
            {"model": "seed_audio", "promptText": "x", "outputFormat": "ogg_opus"},
            ("audio", "audio/ogg", "ogg", 1),
        ),
        (
            {"model": "eleven_voice_isolation", "audioUri": "https://example.com/a.mp3"},
            ("audio", "audio/mpeg", "mp3", 1),
        ),
    ],
)
def test_output_kind_by_endpoint_and_format(
    body: dict[str, Any], kind: tuple[str, str, str, int]
) -> None:
    endpoint = "text_to_speech" if body["model"] == "seed_audio" else None
    found = output_kind(parse_request(body, endpoint=endpoint))
    assert (found.media, found.content_type, found.extension, found.count) == kind


@pytest.mark.parametrize(("endpoint", "model"), VARIANTS)
def test_every_model_has_an_output_kind_of_its_endpoints_family(endpoint: str, model: str) -> None:
    kind = output_kind(parse_request(minimal_body(endpoint, model), endpoint=endpoint))
    family = {"text_to_image": "image", "image_upscale": "image"}.get(endpoint)
    if endpoint in ("sound_effect", "text_to_speech", "speech_to_speech", "video_to_audio",
                    "voice_dubbing", "voice_isolation"):  # fmt: skip
        family = "audio"
    assert kind.media == (family or "video")


def test_the_links_content_type_names_the_extension() -> None:
    png = OutputKind("image", "image/png", "png")
    assert extension_for("image/jpeg", png) == "jpg"
    assert extension_for("audio/x-wav", png) == "wav"
    assert extension_for("binary/octet-stream", png) == "png"
    assert extension_for(None, png) == "png"


def test_media_limits_name_media_fields_of_their_models() -> None:
    for limit in MEDIA_LIMITS:
        for model in limit.models:
            paths = {
                path
                for endpoint in endpoints_of(model)
                for path, _ in CATALOGUE[endpoint][model].media_fields
            }
            assert limit.field in paths, (model, limit.field)


# ------------------------------------------------------------------------------ providers


async def test_a_provider_without_the_endpoint_refuses_before_sending() -> None:
    with RunwayEmulator(EmulatorConfig(mode="cometapi")) as comet:
        async with RunwayClient(
            comet.api_key, provider=COMETAPI, base_url=comet.base_url
        ) as client:
            request = parse_request({"model": "wan3", "promptText": "x", "ratio": "1280:720"})
            with pytest.raises(ProviderCapabilityMissing, match="POST /text_to_video"):
                await client.create(request)
            created = await client.create(
                parse_request({"model": "gen4_image", "promptText": "x", "ratio": "1024:1024"})
            )
            assert created.id
        stats = comet.stats()
    assert stats["creates_total"] == 1 and stats["rejected_creates"] == 0
    assert stats["creates"]["text_to_image"] == 1


async def test_cometapi_keeps_runways_limits_beyond_image_to_video() -> None:
    """Its 512-character prompt limit is documented for image_to_video only: a 600-character
    video-to-video prompt goes through on both sides, a 600-character image-to-video one on
    neither."""
    long_prompt = "x" * 600
    with RunwayEmulator(EmulatorConfig(mode="cometapi")) as comet:
        async with RunwayClient(
            comet.api_key, provider=COMETAPI, base_url=comet.base_url
        ) as client:
            edit = parse_request({"model": "aleph2", "videoUri": VIDEO, "promptText": long_prompt})
            assert (await client.create(edit)).id
            scene = parse_request(
                {
                    "model": "gen4_turbo",
                    "promptImage": IMAGE,
                    "ratio": "960:960",
                    "promptText": long_prompt,
                }
            )
            with pytest.raises(ProviderLimitExceeded, match="cometapi allows at most 512"):
                await client.create(scene)
        stats = comet.stats()
    assert stats["creates_total"] == 1 and stats["rejected_creates"] == 0


# ------------------------------------------------------------------------- hostile media

HOSTILE_URIS = [
    "http://example.com/voice.mp3",
    "https://127.0.0.1/voice.mp3",
    "https://[::1]/voice.mp3",
    "https://2130706433/voice.mp3",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "",
    "https://example.com/" + "a" * 2040,
    "runway://" + "u" * 5000,
    "data:image/png;base64,AAAA",  # an image where audio is asked
    "data:audio/mpeg,not-base64",
    "data:audio/mpeg;base64,!!!!",
    "data:audio/mpeg;base64," + "A" * (5 * 1024 * 1024),
]


def with_uri(endpoint: str, model: str, uri: str) -> dict[str, Any]:
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("voice_isolation", "eleven_voice_isolation"): {"audioUri": uri},
        ("text_to_speech", "seed_audio"): {
            "promptText": "x",
            "voice": {"type": "reference-audio", "audioUri": uri},
        },
        ("sound_effect", "seed_audio"): {"promptText": "x", "referenceAudios": [uri]},
        ("speech_to_speech", "eleven_multilingual_sts_v2"): {
            "media": {"type": "audio", "uri": uri},
            "voice": {"type": "runway-preset", "presetId": "Maya"},
        },
    }
    return {"model": model, **bodies[(endpoint, model)]}


@pytest.mark.parametrize("uri", HOSTILE_URIS, ids=range(len(HOSTILE_URIS)))
@pytest.mark.parametrize(
    ("endpoint", "model"),
    [
        ("voice_isolation", "eleven_voice_isolation"),
        ("text_to_speech", "seed_audio"),
        ("sound_effect", "seed_audio"),
        ("speech_to_speech", "eleven_multilingual_sts_v2"),
    ],
)
def test_hostile_audio_uris_are_refused_by_both_sides(endpoint: str, model: str, uri: str) -> None:
    body = with_uri(endpoint, model, uri)
    assert not client_accepts(endpoint, body)
    assert not emulator_accepts(endpoint, body)
    # ... and a good one in the same place passes both.
    good = with_uri(endpoint, model, "data:audio/mpeg;base64,AAAA")
    assert client_accepts(endpoint, good) and emulator_accepts(endpoint, good)
