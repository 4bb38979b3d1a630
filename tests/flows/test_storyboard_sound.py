"""The storyboard's cut with sound, end to end: a voice-over and a sound effect laid at their
shots from recordings under the input policy, a Veo clip's own sound kept, silence elsewhere,
decoded back from the stored cut; re-runs pay nothing; a recording that cannot be mixed
refuses the storyboard before any POST."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_args

import numpy.typing as npt
import pytest
from pydantic import ValidationError

from prefect_runway.flows import storyboard as storyboard_module
from prefect_runway.flows.parameters import Voice
from prefect_runway.flows.soundtrack import SAMPLE_RATE
from prefect_runway.flows.storyboard import (
    Scene,
    Shot,
    SoundRefused,
    StoryboardParams,
    storyboard,
)
from prefect_runway.testing.emulator import RunwayEmulator
from prefect_runway.testing.emulator.media import render_audio
from tests.flows.conftest import SavedBlocks, read_artifacts
from tests.flows.test_cut import HEARD, SILENT, decoded, rms
from tests.media_samples import png_bytes

FRAME = 1 / 24


@pytest.fixture
def media(tmp_path: Path) -> dict[str, Path]:
    paths = {
        "coast": tmp_path / "coast.png",
        "harbour": tmp_path / "harbour.png",
        "voice": tmp_path / "line.wav",
        "gull": tmp_path / "gull.mp3",
    }
    paths["coast"].write_bytes(png_bytes())
    paths["harbour"].write_bytes(png_bytes(rgb=(10, 80, 160)))
    paths["voice"].write_bytes(render_audio(1.0, fmt="wav", seed="voice").data)
    paths["gull"].write_bytes(render_audio(0.5, fmt="mp3", seed="gull").data)
    return paths


def board(blocks: SavedBlocks, media: dict[str, Path], **changes: Any) -> StoryboardParams:
    fields: dict[str, Any] = {
        "title": "keeper",
        "shots": [
            # 0-3 s: silent picture; the voice-over from 1.0 s, for 1 s.
            Scene(image=str(media["coast"]), prompt_text="The lighthouse at dusk", duration=3,
                  voice_over="The light still turns.", voice="Bernard",
                  voice_over_audio=str(media["voice"]), voice_over_start=1.0),
            # 3-7 s: Veo makes its own sound.
            Scene(image=str(media["harbour"]), prompt_text="Boats in the harbour",
                  model="veo3.1", duration=4),
            # 7-9 s: silent picture; a gull from 7.5 s for 0.5 s, 6 dB down.
            Scene(image=str(media["coast"]), prompt_text="The cliff", duration=2,
                  sound_effect="a gull cries", sound_effect_audio=str(media["gull"]),
                  sound_effect_start=0.5, sound_effect_level=-6.0),
        ],
        "frame_size": "1280:720",
        "destination_block": blocks.destination,
        "credentials_block": blocks.credentials,
        "prefix": "boards",
        "poll_interval": 0.05,
    }  # fmt: skip
    return StoryboardParams.model_validate(fields | changes)


def read(blocks: SavedBlocks, uri: str) -> bytes:
    name, _, key = uri.removeprefix("s3://").partition("/")
    body: bytes = (
        blocks.bucket.credentials.get_s3_client().get_object(Bucket=name, Key=key)["Body"].read()
    )
    return body


def cut_sound(blocks: SavedBlocks, uri: str, folder: Path) -> tuple[npt.NDArray[Any], float, float]:
    path = folder / "cut.mp4"
    path.write_bytes(read(blocks, uri))
    return decoded(path)


async def test_the_cut_carries_the_voice_over_the_effect_and_each_clips_own_sound(
    saved_blocks: SavedBlocks,
    emulator: RunwayEmulator,
    media: dict[str, Path],
    tmp_path: Path,
) -> None:
    state = await storyboard(board(saved_blocks, media), return_state=True)
    result = await state.result()

    assert emulator.stats()["creates_total"] == 3
    assert [shot.has_sound for shot in result.shots] == [False, True, False]
    artifact = (await read_artifacts(state.state_details.flow_run_id))[
        "runway-storyboard-thumbnails"
    ]["data"]
    assert (
        "- shot 1 (01-scene) voice-over 'The light still turns.' (Bernard): at 1.00 s, 0 dB"
        in artifact
    )
    assert "- shot 3 (03-scene) sound effect 'a gull cries': at 7.50 s, -6 dB" in artifact
    assert [(s.role, s.status, s.start, s.level_db) for s in result.sounds] == [
        ("voice_over", "mixed", 1.0, 0.0),
        ("sound_effect", "mixed", 7.5, -6.0),
    ]
    samples, audio_seconds, video_seconds = cut_sound(saved_blocks, result.cut_uri or "", tmp_path)
    assert video_seconds == result.cut_seconds == 9.0
    assert abs(audio_seconds - video_seconds) <= FRAME
    assert abs(samples.shape[1] / SAMPLE_RATE - video_seconds) <= FRAME
    # The voice-over starts where the storyboard put it: silence before, its sound from then.
    assert rms(samples, 0.0, 1.0 - FRAME) < SILENT
    assert rms(samples, 1.0 + FRAME, 1.9) > HEARD
    assert rms(samples, 2.1, 3.0 - FRAME) < SILENT
    assert rms(samples, 3.0 + FRAME, 7.0 - FRAME) > HEARD  # the Veo clip's own sound
    assert rms(samples, 7.0 + FRAME, 7.5 - FRAME) < SILENT
    gull = rms(samples, 7.5 + FRAME, 7.95)
    assert HEARD / 2 < gull < rms(samples, 1.1, 1.9) * 0.7  # -6 dB: about half the voice
    assert rms(samples, 8.1, 9.0) < SILENT

    document = json.loads(read(saved_blocks, result.storyboard_uri or ""))
    assert document["voice"] == "Maya"
    assert document["levels_db"] == {"voice_over": 0.0, "sound_effect": -6.0, "clip_sound": 0.0}
    assert [
        (s["shot"], s["text"], s["voice"], s["status"], s["start"]) for s in document["sounds"]
    ] == [
        (1, "The light still turns.", "Bernard", "mixed", 1.0),
        (3, "a gull cries", None, "mixed", 7.5),
    ]
    assert [shot["has_sound"] for shot in document["shots"]] == [False, True, False]

    again = await storyboard(board(saved_blocks, media))
    assert emulator.stats()["creates_total"] == 3  # a re-run pays no create
    assert again.credits_spent == 0
    assert [s.status for s in again.sounds] == ["mixed", "mixed"]
    samples, _, _ = cut_sound(saved_blocks, again.cut_uri or "", tmp_path)
    assert rms(samples, 0.0, 1.0 - FRAME) < SILENT < HEARD < rms(samples, 1.0 + FRAME, 1.9)


async def test_a_recording_the_cut_cannot_take_refuses_the_storyboard_before_any_post(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, media: dict[str, Path], tmp_path: Path
) -> None:
    not_audio = tmp_path / "line.wav"
    not_audio.write_bytes(png_bytes())  # named like audio, a picture inside
    params = board(saved_blocks, media)
    shots = [
        params.shots[0].model_copy(update={"voice_over_audio": str(not_audio)}),
        params.shots[1].model_copy(update={"voice_over_audio": "https://example.com/line.wav"}),
        params.shots[2].model_copy(update={"sound_effect_audio": "/etc/passwd"}),
    ]
    with pytest.raises(SoundRefused) as refused:
        await storyboard(params.model_copy(update={"shots": shots}))
    message = str(refused.value)
    assert "3 sound(s)" in message and "nothing was submitted" in message
    assert "shot 1 (01-scene) voice-over: voice_over_audio" in message
    assert "not audio the cut takes" in message
    assert "shot 2 (02-scene) voice-over: voice_over_audio" in message
    assert "not a link" in message
    assert "shot 3 (03-scene) sound effect: sound_effect_audio" in message
    assert "/etc/passwd" in message
    assert emulator.stats()["creates_total"] == 0


async def test_a_dry_run_lists_the_sounds_it_would_lay_without_any_post(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, media: dict[str, Path]
) -> None:
    result = await storyboard(board(saved_blocks, media, dry_run=True))
    assert emulator.stats()["creates_total"] == 0
    assert [(s.shot, s.role, s.status, s.recording) for s in result.sounds] == [
        (1, "voice_over", "planned", str(media["voice"])),
        (3, "sound_effect", "planned", str(media["gull"])),
    ]


def test_a_line_or_an_effect_without_its_recording_is_made_and_the_rest_checked_by_the_form() -> (
    None
):
    image = "s3://stills/coast.png"
    # Without a recording, the line is spoken and the effect made (text_to_speech, sound_effect).
    assert Shot(image=image, voice_over="Hello.").voice_over_audio is None
    assert Shot(image=image, sound_effect="thunder", sound_effect_level=-3).has_sound_effect
    with pytest.raises(ValidationError, match="no voice_over line to speak"):
        Shot(image=image, voice="Maya", voice_over_audio="s3://sound/line.wav")
    with pytest.raises(ValidationError, match="voice_over_start"):
        Shot(image=image, voice_over_audio="s3://sound/line.wav", voice_over_start=-1)
    with pytest.raises(ValidationError, match="sound_effect_level"):
        Shot(image=image, sound_effect_audio="s3://sound/bang.wav", sound_effect_level=30)
    with pytest.raises(ValidationError, match="voice"):
        Shot(image=image, voice_over="Hi.", voice_over_audio="s3://a/b.wav", voice="Nobody")


def test_the_form_offers_the_catalogues_voices_as_a_dropdown_and_levels_as_numbers() -> None:
    schema = StoryboardParams.model_json_schema()
    shot = schema["$defs"]["Shot"]["properties"]
    voices = list(get_args(Voice))
    assert "Maya" in voices and len(voices) > 10
    assert shot["voice"]["enum"] == voices and schema["properties"]["voice"]["enum"] == voices
    for name in ("voice_over_audio", "sound_effect_audio", "voice_over", "sound_effect"):
        assert shot[name]["type"] == "string" and shot[name]["maxLength"]
    for where, name in [(shot, "sound_effect_level"), (schema["properties"], "voice_over_level")]:
        assert where[name]["type"] == "number"
        assert (where[name]["minimum"], where[name]["maximum"]) == (-60.0, 12.0)
    assert shot["voice_over_start"]["type"] == "number" and shot["voice_over_start"]["minimum"] == 0


async def test_a_recording_spoiled_after_the_check_is_left_out_and_the_paid_clips_are_cut(
    saved_blocks: SavedBlocks,
    emulator: RunwayEmulator,
    media: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checked = storyboard_module.check_recordings

    async def check_then_spoil(*args: Any) -> None:
        await checked(*args)
        media["voice"].write_bytes(png_bytes())  # replaced after the check, before the cut

    monkeypatch.setattr(storyboard_module, "check_recordings", check_then_spoil)
    result = await storyboard(board(saved_blocks, media))

    assert emulator.stats()["creates_total"] == 3
    voice, gull = result.sounds
    assert voice.status == "left_out" and "not audio the cut takes" in (voice.reason or "")
    assert gull.status == "mixed" and gull.start == 7.5
    samples, _, _ = cut_sound(saved_blocks, result.cut_uri or "", tmp_path)
    assert rms(samples, 0.0, 3.0 - FRAME) < SILENT  # no voice-over
    assert rms(samples, 7.5 + FRAME, 7.95) > HEARD / 2
    document = json.loads(read(saved_blocks, result.storyboard_uri or ""))
    assert document["sounds"][0]["status"] == "left_out"
