"""A storyboard from words (issue 19, part 2), end to end against the emulator and moto's S3.

A scene without an image is made from its prompt: a still (text-to-image) then the clip that
animates it, or the clip directly (text-to-video); a voice-over line is spoken with
text-to-speech and a described effect made with sound_effect, all laid in the cut. Every stage
is planned and priced before the first POST (a budget that covers the stills but not the clips
spends nothing), a still refused for content fails its shot without paying for its clip, and a
re-run pays for nothing stored, per endpoint in the emulator's books.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from prefect_runway.flows.soundtrack import SAMPLE_RATE
from prefect_runway.flows.storyboard import (
    Scene,
    Shot,
    ShotRefused,
    StoryboardIncomplete,
    StoryboardParams,
    storyboard,
)
from prefect_runway.tasks.cost import OverBudget
from prefect_runway.testing.emulator import Fault, FaultPlan, RunwayEmulator
from tests.flows.conftest import SavedBlocks, read_artifacts
from tests.flows.test_cut import HEARD, SILENT, rms
from tests.flows.test_storyboard_sound import cut_sound, read
from tests.media_samples import png_bytes

FRAME = 1 / 24
LINE = "Every morning the boats come home."  # the emulator speaks 15 characters a second
VOICE_SECONDS = round(len(LINE) / 15, 1)


def words(blocks: SavedBlocks, **changes: Any) -> StoryboardParams:
    fields: dict[str, Any] = {
        "title": "harbour",
        "shots": [
            # 0-3 s: a still from words, then the clip; the voice-over from 1.0 s.
            Scene(camera_movement="Slow push in", establishing_scene="a harbour at dawn",
                  additional_details="boats rock at their moorings", duration=3,
                  voice_over=LINE, voice="Bernard", voice_over_start=1.0),
            # 3-6 s: the clip from the words alone; a gull from 4.5 s, 6 dB down.
            Scene(prompt_text="Static wide shot: gulls over a breakwater", duration=3,
                  from_prompt="text_to_video", model="gen4.5", name="gulls",
                  sound_effect="a gull cries", sound_effect_start=1.5,
                  sound_effect_level=-6.0),
        ],
        "frame_size": "1280:720",
        "destination_block": blocks.destination,
        "credentials_block": blocks.credentials,
        "prefix": "words",
        "poll_interval": 0.05,
    }  # fmt: skip
    return StoryboardParams.model_validate(fields | changes)


def books(emulator: RunwayEmulator) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = emulator.stats()["creates_by_endpoint_and_model"]
    return found


EVERY_STEP_ONCE = {
    "image_to_video": {"gen4_turbo": 1},
    "sound_effect": {"eleven_text_to_sound_v2": 1},
    "text_to_image": {"gen4_image": 1},
    "text_to_speech": {"eleven_multilingual_v2": 1},
    "text_to_video": {"gen4.5": 1},
}


async def test_a_storyboard_from_words_speaks_its_line_and_lays_its_effect_in_the_cut(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    state = await storyboard(words(saved_blocks), return_state=True)
    result = await state.result()

    assert books(emulator) == EVERY_STEP_ONCE
    first, second = result.shots
    assert (first.made_from, second.made_from) == ("still_then_clip", "text_to_video")
    assert first.still_uri and first.still_uri.endswith("/words/harbour/01-scene-still.png")
    assert second.still_uri is None
    assert first.s3_uri and first.s3_uri.endswith("/words/harbour/01-scene.mp4")
    assert first.credits == 5 + 15 and second.credits == 36  # still + 3 s gen4_turbo; gen4.5
    steps = {step.name: step for step in result.steps}
    assert [(s.step, s.endpoint, s.status) for s in result.steps] == [
        ("still", "text_to_image", "succeeded"),
        ("clip", "image_to_video", "succeeded"),
        ("clip", "text_to_video", "succeeded"),
        ("voice", "text_to_speech", "succeeded"),
        ("sound", "sound_effect", "succeeded"),
    ]
    assert steps["01-scene-still"].estimate == "5 credits"
    assert steps["01-scene"].estimate == "15 credits"
    assert steps["01-scene-voice"].estimate == "price unknown"
    assert result.estimated_credits == 5 + 15 + 36 and result.unknown_price == 2
    voice, gull = result.sounds
    assert voice.recording and voice.recording.endswith("/01-scene-voice.mp3")
    assert gull.recording and gull.recording.endswith("/gulls-sound.mp3")
    assert voice.credits > 0 and gull.credits > 0  # the emulator's nominal audio price
    assert result.credits == emulator.stats()["credits_charged"]
    assert [(s.status, s.start) for s in result.sounds] == [("mixed", 1.0), ("mixed", 4.5)]

    # The still is stored with its own sidecar and shown among the thumbnails.
    still_sidecar = json.loads(read(saved_blocks, first.still_uri[:-4] + ".json"))
    assert still_sidecar["model"] == "gen4_image"
    assert first.still_thumbnail_uri and read(saved_blocks, first.still_thumbnail_uri)[:4] == (
        b"\x89PNG"
    )
    artifact = (await read_artifacts(state.state_details.flow_run_id))[
        "runway-storyboard-thumbnails"
    ]["data"]
    assert "01-scene-still" in artifact

    # The cut's sound: as long as its picture, the line where the storyboard put it.
    samples, audio_seconds, video_seconds = cut_sound(saved_blocks, result.cut_uri or "", tmp_path)
    assert video_seconds == result.cut_seconds == 6.0
    assert abs(audio_seconds - video_seconds) <= FRAME
    assert abs(samples.shape[1] / SAMPLE_RATE - video_seconds) <= FRAME
    assert rms(samples, 0.0, 1.0 - FRAME) < SILENT  # silence before the line
    assert rms(samples, 1.0 + FRAME, 1.0 + VOICE_SECONDS - 0.1) > HEARD  # the line from 1.0 s
    assert rms(samples, 1.0 + VOICE_SECONDS + 0.1, 4.5 - FRAME) < SILENT
    assert rms(samples, 4.5 + FRAME, 6.0 - FRAME) > HEARD / 2  # the gull, 6 dB down

    document = json.loads(read(saved_blocks, result.storyboard_uri or ""))
    assert [(s["name"], s["credits"]) for s in document["steps"]][:3] == [
        ("01-scene-still", 5.0), ("01-scene", 15.0), ("gulls", 36.0),
    ]  # fmt: skip
    assert document["estimate"] == "56 credits + 2 generations of price unknown"
    assert [s["recording"] for s in document["sounds"]] == [voice.recording, gull.recording]

    # A re-run makes no create of any kind and pays nothing.
    again = await storyboard(words(saved_blocks))
    assert books(emulator) == EVERY_STEP_ONCE
    assert again.credits_spent == 0 and again.estimated_credits == 0
    assert again.unknown_price == 0 and again.cut_uri == result.cut_uri
    assert [s.status for s in again.sounds] == ["mixed", "mixed"]


async def test_a_budget_for_the_stills_but_not_the_clips_spends_nothing(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator
) -> None:
    params = words(saved_blocks)
    quiet = {"voice_over": None, "voice": None, "sound_effect": None, "sound_effect_level": None}
    silent = [shot.model_copy(update=quiet) for shot in params.shots]
    with pytest.raises(OverBudget, match=r"2 generations may cost up to 20 credits.*max_credits=5"):
        await storyboard(params.model_copy(update={"shots": silent[:1], "max_credits": 5}))
    assert emulator.stats()["creates_total"] == 0

    # Speech and effects have no published price: refused under a budget unless capped.
    with pytest.raises(OverBudget, match=r"no published price.*price_caps"):
        await storyboard(words(saved_blocks, max_credits=1_000))
    assert emulator.stats()["creates_total"] == 0
    caps = {"eleven_multilingual_v2": 10, "eleven_text_to_sound_v2": 1}
    with pytest.raises(OverBudget, match=r"5 generations may cost up to 67 credits"):
        await storyboard(words(saved_blocks, max_credits=66, price_caps=caps))
    assert emulator.stats()["creates_total"] == 0


async def test_a_dry_run_prices_every_stage_and_submits_nothing(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator
) -> None:
    params = words(saved_blocks, dry_run=True)
    shots = [params.shots[0].model_copy(update={"upscale": True}), params.shots[1]]
    state = await storyboard(params.model_copy(update={"shots": shots}), return_state=True)
    result = await state.result()
    assert emulator.stats()["creates_total"] == 0
    assert result.dry_run and result.estimated_credits == 5 + 15 + 36
    assert result.unknown_price == 3
    assert result.estimate == "56 credits + 3 generations of price unknown"
    by_name = {step.name: step for step in result.steps}
    assert by_name["01-scene-upscaled"].estimate == "price unknown"
    assert by_name["01-scene"].action == (
        "submit once its still (01-scene-still) is stored (priced now, keyed then)"
    )
    assert by_name["01-scene-upscaled"].action == (
        "submit once its clip (01-scene) is stored (priced now, keyed then)"
    )
    table = (await read_artifacts(state.state_details.flow_run_id))["runway-storyboard-estimate"]
    # Every attempt the run may pay (max_attempts 3), stages that wait included.
    assert [(row["name"], row["at most"]) for row in table["data"]] == [
        ("01-scene-still", 15.0), ("gulls", 108.0), ("01-scene-voice", "price unknown"),
        ("gulls-sound", "price unknown"), ("01-scene", 45.0),
        ("01-scene-upscaled", "price unknown"),
    ]  # fmt: skip


async def test_a_still_refused_for_its_content_fails_its_shot_without_paying_for_its_clip(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    still = tmp_path / "coast.png"
    still.write_bytes(png_bytes())
    emulator.set_faults(
        FaultPlan(rules=[Fault(operation="task", kind="fail", endpoint="text_to_image",
                               failure_code="SAFETY.INPUT.TEXT")])
    )  # fmt: skip
    shots = [
        Scene(prompt_text="A harbour at dawn", duration=2),
        Scene(image=str(still), prompt_text="The coast", duration=2),
    ]
    params = words(saved_blocks, shots=shots)
    with pytest.raises(StoryboardIncomplete, match=r"shot 1 \(01-scene\): still: .*SAFETY"):
        await storyboard(params)
    assert books(emulator) == {
        "image_to_video": {"gen4_turbo": 1},
        "text_to_image": {"gen4_image": 1},
    }

    # Allowed a partial cut, the other shot is cut: the refused still is not asked for again
    # (a content failure is final until the shot changes) and nothing is paid twice.
    emulator.set_faults(FaultPlan())
    result = await storyboard(params.model_copy(update={"allow_partial_cut": True}))
    assert [shot.status for shot in result.shots] == ["failed", "succeeded"]
    assert result.cut_uri is not None and result.shots[0].s3_uri is None
    assert books(emulator) == {
        "image_to_video": {"gen4_turbo": 1},
        "text_to_image": {"gen4_image": 1},
    }


async def test_a_re_run_after_a_failed_clip_reuses_its_stored_still(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator
) -> None:
    emulator.set_faults(
        FaultPlan(rules=[Fault(operation="task", kind="fail", endpoint="image_to_video",
                               failure_code="INTERNAL")])
    )  # fmt: skip
    params = words(
        saved_blocks, shots=[Scene(prompt_text="A harbour at dawn", duration=2)], max_attempts=1
    )
    with pytest.raises(StoryboardIncomplete, match="ATTEMPTS_EXHAUSTED"):
        await storyboard(params)
    assert books(emulator) == {
        "image_to_video": {"gen4_turbo": 1},
        "text_to_image": {"gen4_image": 1},
    }

    # The still is stored, so the clip is planned for real with it: only the clip is priced.
    again = params.model_copy(update={"max_attempts": 2})
    dry = await storyboard(again.model_copy(update={"dry_run": True}))
    still, clip = dry.steps
    assert (still.name, still.estimate) == ("01-scene-still", None)
    assert (still.action or "").endswith("/words/harbour/01-scene-still.png: nothing to pay")
    assert (clip.name, clip.estimate, clip.action) == (
        "01-scene", "10 credits", "submit attempt 2 (attempt 1 failed: INTERNAL)"
    )  # fmt: skip
    result = await storyboard(again.model_copy(update={"max_credits": 10}))
    assert result.shots[0].status == "succeeded" and result.credits_spent == 10
    assert books(emulator) == {
        "image_to_video": {"gen4_turbo": 2},
        "text_to_image": {"gen4_image": 1},
    }


def test_a_shot_from_words_is_a_form_with_a_dropdown_for_how_it_is_made() -> None:
    shot = Shot.model_json_schema()["properties"]
    assert shot["from_prompt"]["enum"] == ["still_then_clip", "text_to_video"]
    assert shot["upscale"]["type"] == "boolean"
    assert Shot(prompt_text="A harbour").made_from == "still_then_clip"
    assert Shot(prompt_text="A harbour", image="s3://a/b.png").made_from == "image"
    with pytest.raises(ValidationError, match=r"needs an image .* or a prompt"):
        Shot()
    with pytest.raises(ValidationError, match="model 'gen4_turbo': from_prompt text_to_video"):
        Shot(prompt_text="A harbour", from_prompt="text_to_video")
    with pytest.raises(ValidationError, match=r"ratio '960:960': gen4\.5 makes video from text"):
        Shot(prompt_text="A harbour", from_prompt="text_to_video", model="gen4.5", ratio="960:960")
    with pytest.raises(ValidationError, match="from the prompt alone: leave image empty"):
        Shot(prompt_text="A harbour", image="s3://a/b.png", from_prompt="text_to_video")
    spoken = Shot(prompt_text="A harbour", voice_over="Hello.", sound_effect="rain")
    assert spoken.voice_over == "Hello." and spoken.has_sound_effect


async def test_an_upscaled_shot_is_cut_from_its_upscaled_clip_and_a_re_run_pays_nothing(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator
) -> None:
    shots = [Scene(prompt_text="A harbour at dawn", duration=2, upscale=True, name="dawn")]
    params = words(saved_blocks, shots=shots)
    with pytest.raises(OverBudget, match="magnific_video_upscaler_creative have no published"):
        await storyboard(params.model_copy(update={"max_credits": 100}))
    assert emulator.stats()["creates_total"] == 0

    capped = params.model_copy(
        update={"max_credits": 100, "price_caps": {"magnific_video_upscaler_creative": 50}}
    )
    result = await storyboard(capped)
    upscaled = {
        "image_to_video": {"gen4_turbo": 1},
        "text_to_image": {"gen4_image": 1},
        "video_upscale": {"magnific_video_upscaler_creative": 1},
    }
    assert books(emulator) == upscaled
    shot = result.shots[0]
    assert shot.s3_uri and shot.s3_uri.endswith("/words/harbour/dawn-upscaled.mp4")
    assert [s.name for s in result.steps] == ["dawn-still", "dawn", "dawn-upscaled"]
    assert shot.credits == sum(s.credits or 0 for s in result.steps)
    assert result.cut_uri is not None

    again = await storyboard(capped.model_copy(update={"max_credits": 0}))
    assert books(emulator) == upscaled and again.credits_spent == 0


shot_strategy = st.builds(
    Shot,
    image=st.sampled_from([None, "s3://stills/coast.png"]),
    prompt_text=st.sampled_from(["A harbour at dawn", "Gulls over the pier"]),
    from_prompt=st.just("still_then_clip"),
    model=st.sampled_from(["gen4_turbo", "gen4.5"]),
    upscale=st.booleans(),
    voice_over=st.sampled_from([None, "Hello."]),
    voice_over_audio=st.sampled_from([None, "s3://sound/line.wav"]),
    sound_effect=st.sampled_from([None, "rain"]),
    name=st.sampled_from([None, "dawn", "pier"]),
)


@settings(max_examples=200, deadline=None)
@given(shots=st.lists(shot_strategy, min_size=1, max_size=6))
def test_every_step_needs_an_earlier_step_of_its_own_shot(shots: list[Shot]) -> None:
    """The plan's shape, for any storyboard: what the stages planner relies on."""
    try:
        params = StoryboardParams(title="t", shots=shots, destination_block="d")
    except ValidationError:
        return
    steps = params.steps()
    by_line = {step.line: step for step in steps}
    assert len(by_line) == len(steps)  # one line per step
    for number, shot in enumerate(params.shots, start=1):
        mine = [s for s in steps if s.shot == number]
        clip = by_line[number]
        assert clip.step == "clip" and clip.name == params.shot_name(number - 1)
        still = [s for s in mine if s.step == "still"]
        assert len(still) == (1 if shot.image is None else 0)
        assert (clip.needs, clip.field) == (
            (still[0].line, "promptImage") if still else (None, None)
        )
        assert "promptImage" not in clip.request or shot.image is not None
        upscale = [s for s in mine if s.step == "upscale"]
        assert [(s.needs, s.field) for s in upscale] == ([(number, "videoUri")] * shot.upscale)
        voice = [s for s in mine if s.step == "voice"]
        assert len(voice) == int(shot.voice_over is not None and shot.voice_over_audio is None)
    for step in steps:
        if step.needs is not None:
            needed = by_line[step.needs]
            assert needed.shot == step.shot
            assert needed.needs is None or needed.step == "clip"  # at most still -> clip -> upscale
            assert step.spec().request[step.field or ""].startswith("https://stand-in.")
            assert step.spec("s3://b/k.png").request[step.field or ""] == "s3://b/k.png"


async def test_two_runs_of_one_storyboard_from_words_at_once_pay_for_each_step_once(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator
) -> None:
    params = words(saved_blocks)
    first, second = await asyncio.gather(storyboard(params), storyboard(params))
    assert books(emulator) == EVERY_STEP_ONCE
    assert first.cut_uri == second.cut_uri and first.cut_uri is not None
    assert first.credits_spent + second.credits_spent == emulator.stats()["credits_charged"]
    assert [s.s3_uri for s in first.steps] == [s.s3_uri for s in second.steps]


async def test_a_clip_that_would_break_a_rule_refuses_the_storyboard_before_its_still_is_paid(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator
) -> None:
    # The clip waits for its still, yet its request is checked before anything is sent.
    shots = [Scene(prompt_text="A harbour at dawn", model="veo3.1", duration=3)]
    with pytest.raises(ShotRefused, match=r"(?s)shot 1 \(01-scene\): .*duration.*4, 6 or 8"):
        await storyboard(words(saved_blocks, shots=shots))
    assert emulator.stats()["creates_total"] == 0
