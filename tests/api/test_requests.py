"""The request models: each model's rules, camelCase serialisation, and error messages."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from prefect_runway.api import (
    KNOWN_MODELS,
    ActTwoCharacterPerformance,
    CharacterImage,
    CharacterVideo,
    Gen4TurboImageToVideo,
    Gen45ImageToVideo,
    Keyframe,
    ReferenceVideo,
    Veo31FastImageToVideo,
    Veo31ImageToVideo,
    parse_generation_request,
)
from prefect_runway.api.character_performance import ACT_TWO_RATIOS
from prefect_runway.api.fields import MAX_SEED, utf16_length
from prefect_runway.api.image_to_video import GEN4_RATIOS, VEO_RATIOS

IMAGE = "https://example.com/still.png"
VIDEO = "https://example.com/performance.mp4"


def errors_of(data: dict[str, object]) -> str:
    with pytest.raises(ValidationError) as info:
        parse_generation_request(data)
    return str(info.value)


def test_gen4_turbo_serialises_in_camel_case() -> None:
    request = Gen4TurboImageToVideo(
        prompt_image=IMAGE,
        ratio="1584:672",
        prompt_text="a cat",
        seed=7,
        content_moderation={"public_figure_threshold": "low"},
    )
    assert request.to_api() == {
        "model": "gen4_turbo",
        "promptImage": IMAGE,
        "ratio": "1584:672",
        "promptText": "a cat",
        "duration": 10,
        "seed": 7,
        "contentModeration": {"publicFigureThreshold": "low"},
    }


def test_camel_case_input_round_trips() -> None:
    body = {
        "model": "gen4.5",
        "promptImage": [{"uri": IMAGE, "position": "first"}],
        "promptText": "waves",
        "ratio": "960:960",
        "duration": 5,
        "outputFormat": "prores",
        "proresProfile": "422 HQ",
    }
    assert parse_generation_request(body).to_api() == body


def test_act_two_serialises_in_camel_case() -> None:
    request = ActTwoCharacterPerformance(
        character=CharacterVideo(uri="data:video/mp4;base64,AAAA"),
        reference=ReferenceVideo(uri=VIDEO),
        body_control=True,
        expression_intensity=5,
        ratio="960:960",
    )
    assert request.to_api() == {
        "model": "act_two",
        "character": {"type": "video", "uri": "data:video/mp4;base64,AAAA"},
        "reference": {"type": "video", "uri": VIDEO},
        "bodyControl": True,
        "expressionIntensity": 5,
        "ratio": "960:960",
    }
    assert request.endpoint == "character_performance"


def test_veo_keyframes_and_audio() -> None:
    request = Veo31ImageToVideo(
        prompt_image=[Keyframe(uri=IMAGE, position="first"), Keyframe(uri=IMAGE, position="last")],
        ratio="1080:1920",
        duration=4,
        audio=False,
        negative_prompt="blur",
    )
    body = request.to_api()
    assert body["audio"] is False and body["negativePrompt"] == "blur"
    assert [frame["position"] for frame in body["promptImage"]] == ["first", "last"]


def test_unknown_model_lists_the_known_ones() -> None:
    message = errors_of({"model": "gen5", "promptImage": IMAGE})
    assert "unknown model 'gen5'" in message
    for model in KNOWN_MODELS:
        assert model in message


def test_missing_model_is_refused_the_same_way() -> None:
    assert "known models: gen4_turbo" in errors_of({"promptImage": IMAGE})


@pytest.mark.parametrize(
    ("model", "ratios", "other"),
    [
        ("gen4_turbo", GEN4_RATIOS, {}),
        ("gen4.5", GEN4_RATIOS, {"promptText": "x", "duration": 5}),
        ("veo3.1", VEO_RATIOS, {}),
        ("veo3.1_fast", VEO_RATIOS, {}),
    ],
)
def test_each_model_takes_exactly_its_ratios(
    model: str, ratios: tuple[str, ...], other: dict[str, object]
) -> None:
    every = set(GEN4_RATIOS) | set(VEO_RATIOS) | {"16:9", "1280:768", "1920:1080 "}
    for ratio in sorted(every):
        data = {"model": model, "promptImage": IMAGE, "ratio": ratio, **other}
        if ratio in ratios:
            assert parse_generation_request(data).to_api()["ratio"] == ratio
        else:
            message = errors_of(data)
            assert "ratio" in message and repr(ratio) in message
            assert all(repr(r) in message for r in ratios)


@given(st.integers(min_value=-5, max_value=20))
def test_gen4_durations_are_2_to_10(duration: int) -> None:
    for model, other in (("gen4_turbo", {}), ("gen4.5", {"promptText": "x"})):
        data = {
            "model": model,
            "promptImage": IMAGE,
            "ratio": "960:960",
            "duration": duration,
            **other,
        }
        if 2 <= duration <= 10:
            assert parse_generation_request(data).to_api()["duration"] == duration
        else:
            assert "duration" in errors_of(data)


@given(st.integers(min_value=0, max_value=12))
def test_veo_durations_are_4_6_8(duration: int) -> None:
    for model in ("veo3.1", "veo3.1_fast"):
        data = {"model": model, "promptImage": IMAGE, "ratio": "1280:720", "duration": duration}
        if duration in (4, 6, 8):
            assert parse_generation_request(data).to_api()["duration"] == duration
        else:
            assert "Input should be 4, 6 or 8" in errors_of(data)


def test_durations_must_be_integers() -> None:
    for value in (5.5, "5", True):
        message = errors_of(
            {"model": "gen4_turbo", "promptImage": IMAGE, "ratio": "960:960", "duration": value}
        )
        assert "duration" in message


def test_gen45_needs_a_prompt_and_a_duration() -> None:
    message = errors_of({"model": "gen4.5", "promptImage": IMAGE, "ratio": "960:960"})
    assert "promptText\n  Field required" in message
    assert "duration\n  Field required" in message


def test_prores_profile_needs_prores() -> None:
    message = errors_of(
        {
            "model": "gen4.5",
            "promptImage": IMAGE,
            "ratio": "960:960",
            "promptText": "x",
            "duration": 5,
            "proresProfile": "4444",
        }
    )
    assert "proresProfile '4444' is only allowed with outputFormat 'prores'" in message


@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=0, max_size=1100))
def test_prompt_limit_counts_utf16_code_units(prompt: str) -> None:
    data = {"model": "gen4_turbo", "promptImage": IMAGE, "ratio": "960:960", "promptText": prompt}
    units = utf16_length(prompt)
    if 1 <= units <= 1000:
        assert parse_generation_request(data).to_api()["promptText"] == prompt
    else:
        assert "UTF-16 code units" in errors_of(data)


def test_emoji_prompt_of_600_characters_is_over_the_limit() -> None:
    prompt = "🎬" * 600  # 600 characters, 1200 UTF-16 code units
    message = errors_of(
        {"model": "gen4_turbo", "promptImage": IMAGE, "ratio": "960:960", "promptText": prompt}
    )
    assert "1200 UTF-16 code units long (600 characters" in message


def test_empty_prompt_is_refused() -> None:
    assert "at least 1" in errors_of(
        {"model": "veo3.1", "promptImage": IMAGE, "ratio": "1280:720", "promptText": ""}
    )


@given(st.integers(min_value=-(2**33), max_value=2**33))
def test_seed_range(seed: int) -> None:
    data = {"model": "gen4_turbo", "promptImage": IMAGE, "ratio": "960:960", "seed": seed}
    if 0 <= seed <= MAX_SEED:
        assert parse_generation_request(data).to_api()["seed"] == seed
    else:
        message = errors_of(data)
        assert "seed" in message and str(seed) in message


@given(st.integers(min_value=-3, max_value=9))
def test_expression_intensity_is_1_to_5(intensity: int) -> None:
    data = {
        "model": "act_two",
        "character": {"type": "image", "uri": IMAGE},
        "reference": {"type": "video", "uri": VIDEO},
        "expressionIntensity": intensity,
    }
    if 1 <= intensity <= 5:
        assert parse_generation_request(data).to_api()["expressionIntensity"] == intensity
    else:
        message = errors_of(data)
        assert "expressionIntensity" in message and str(intensity) in message


def test_act_two_ratios_and_default_intensity() -> None:
    request = ActTwoCharacterPerformance(
        character=CharacterImage(uri=IMAGE), reference=ReferenceVideo(uri=VIDEO)
    )
    assert request.to_api()["expressionIntensity"] == 3
    assert "ratio" not in request.to_api()
    for ratio in ACT_TWO_RATIOS:
        assert (
            ActTwoCharacterPerformance(
                character=CharacterImage(uri=IMAGE),
                reference=ReferenceVideo(uri=VIDEO),
                ratio=ratio,
            ).ratio
            == ratio
        )
    message = errors_of(
        {
            "model": "act_two",
            "character": {"type": "image", "uri": IMAGE},
            "reference": {"type": "video", "uri": VIDEO},
            "ratio": "1920:1080",
        }
    )
    assert "ratio" in message and "'1920:1080'" in message


def test_act_two_media_types_per_field() -> None:
    message = errors_of(
        {
            "model": "act_two",
            "character": {"type": "image", "uri": "data:video/mp4;base64,AAAA"},
            "reference": {"type": "video", "uri": "data:image/png;base64,AAAA"},
        }
    )
    assert "character.image.uri" in message and "takes image media" in message
    assert "reference.uri" in message and "takes video media" in message


def test_character_type_must_be_image_or_video() -> None:
    message = errors_of(
        {
            "model": "act_two",
            "character": {"type": "audio", "uri": IMAGE},
            "reference": {"type": "video", "uri": VIDEO},
        }
    )
    assert "'image', 'video'" in message


def test_gen4_takes_only_a_first_frame() -> None:
    message = errors_of(
        {
            "model": "gen4_turbo",
            "ratio": "960:960",
            "promptImage": [{"uri": IMAGE, "position": "last"}],
        }
    )
    assert "position" in message and "'first'" in message
    message = errors_of(
        {
            "model": "gen4_turbo",
            "ratio": "960:960",
            "promptImage": [
                {"uri": IMAGE, "position": "first"},
                {"uri": IMAGE, "position": "first"},
            ],
        }
    )
    assert "at most 1 item" in message


def test_veo_refuses_a_last_frame_alone_or_twice() -> None:
    last_only = [{"uri": IMAGE, "position": "last"}]
    assert "needs a first frame" in errors_of(
        {"model": "veo3.1_fast", "ratio": "1280:720", "promptImage": last_only}
    )
    twice = [{"uri": IMAGE, "position": "first"}, {"uri": IMAGE, "position": "first"}]
    assert "at most one 'first'" in errors_of(
        {"model": "veo3.1", "ratio": "1280:720", "promptImage": twice}
    )


def test_unknown_fields_are_refused() -> None:
    message = errors_of(
        {"model": "gen4_turbo", "promptImage": IMAGE, "ratio": "960:960", "audio": True}
    )
    assert "audio\n  Extra inputs are not permitted" in message


def test_veo_fast_is_its_own_model() -> None:
    assert (
        Veo31FastImageToVideo(prompt_image=IMAGE, ratio="1280:720").to_api()["model"]
        == "veo3.1_fast"
    )
    assert (
        Gen45ImageToVideo(
            prompt_image=IMAGE, prompt_text="x", ratio="960:960", duration=2
        ).output_seconds
        == 2.0
    )


def test_requests_are_immutable() -> None:
    request = Gen4TurboImageToVideo(prompt_image=IMAGE, ratio="960:960")
    with pytest.raises(ValidationError):
        request.ratio = "1280:720"  # type: ignore[misc]
