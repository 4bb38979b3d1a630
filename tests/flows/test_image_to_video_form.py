"""The image-to-video form built from the catalogue: every model, and the old four unchanged.

The form offered four models before it offered all 25. A run of those four must send the very
body it sent before (its generation key, and so its stored output, depends on it): the old
form's ``request()`` is kept here, verbatim, as the model the new one is checked against.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from prefect_runway.api.catalogue import CATALOGUE
from prefect_runway.flows.image_to_video import ImageToVideoParams, image_to_video
from prefect_runway.flows.user_errors import ParameterError
from prefect_runway.tasks.keys import generation_key
from prefect_runway.testing.emulator import RunwayEmulator
from tests.flows.conftest import SavedBlocks
from tests.media_samples import png_bytes

_VEO = ("veo3.1", "veo3.1_fast")
OLD_MODELS = ("gen4_turbo", "gen4.5", "veo3.1", "veo3.1_fast")
OLD_RATIOS = ("1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672",
              "1080:1920", "1920:1080")  # fmt: skip
OLD_FORMATS = ("mp4", "prores", "png_sequence")


def old_request(fields: dict[str, Any]) -> dict[str, Any]:
    """The body the four-model form (before the catalogue form) sent, from its parameters."""
    image = fields["image"]
    last_frame = fields.get("last_frame")
    model = fields.get("model", "gen4_turbo")
    prompt_image: Any = image
    if last_frame is not None:
        prompt_image = [
            {"uri": image, "position": "first"},
            {"uri": last_frame, "position": "last"},
        ]
    body: dict[str, Any] = {
        "model": model,
        "promptImage": prompt_image,
        "ratio": fields.get("ratio", "1280:720"),
    }
    optional = {
        "promptText": fields.get("prompt_text"),
        "duration": fields.get("duration"),
        "audio": False if model in _VEO and not fields.get("audio", True) else None,
        "negativePrompt": fields.get("negative_prompt"),
        "outputFormat": fields.get("output_format"),
        "seed": fields.get("seed"),
    }
    body.update({field: value for field, value in optional.items() if value is not None})
    return body


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


old_parameters = st.fixed_dictionaries(
    {"image": st.sampled_from(["stills/a.png", "s3://b/a.jpg", "https://example.com/a.png"])},
    optional={
        "model": st.sampled_from(OLD_MODELS),
        "ratio": st.sampled_from(OLD_RATIOS),
        "duration": _maybe(st.integers(2, 10)),
        "prompt_text": _maybe(st.text("abc ", min_size=1, max_size=20)),
        "last_frame": _maybe(st.sampled_from(["stills/z.png", "s3://b/z.png"])),
        "audio": st.booleans(),
        "negative_prompt": _maybe(st.text("xyz", min_size=1, max_size=10)),
        "output_format": _maybe(st.sampled_from(OLD_FORMATS)),
        "seed": _maybe(st.integers(0, 4_294_967_295)),
    },
)


@settings(max_examples=300, deadline=None)
@given(fields=old_parameters)
def test_the_old_four_models_send_the_body_they_always_sent(fields: dict[str, Any]) -> None:
    """Any parameters the old form took give the same body, so the same key: nothing is paid
    again for a run repeated after the upgrade."""
    params = ImageToVideoParams.model_validate({k: v for k, v in fields.items() if v is not None})
    assert params.request() == old_request({k: v for k, v in fields.items() if v is not None})


def test_a_run_saved_with_the_old_defaults_keeps_its_key() -> None:
    """The old form's defaults (ratio 1280:720, audio on) as a saved deployment sends them."""
    saved = {
        "image": "stills/a.png",
        "model": "veo3.1",
        "ratio": "1280:720",
        "audio": True,
        "prompt_text": "Rain",
        "variant": "",
        "destination_block": "renders",
        "max_attempts": 3,
        "poll_interval": 5.0,
        "allow_resubmit": False,
        "dry_run": False,
    }
    spec = ImageToVideoParams.model_validate(saved).spec()
    ids = {("promptImage",): "https://example.com/a.png"}
    # The key pinned in tests/tasks/test_catalogue_spec.py for this request.
    assert spec.request == {"model": "veo3.1", "promptImage": "stills/a.png",
                            "ratio": "1280:720", "promptText": "Rain"}  # fmt: skip
    key = generation_key(spec, base_url="https://api.dev.runwayml.com", content_ids=ids)
    assert key == "47e0775a8e8acafca086577d6d01c2a6"


def _minimal(model: str) -> dict[str, Any]:
    """The fewest form fields the model needs: an image, a prompt, gen4.5's duration."""
    fields: dict[str, Any] = {"model": model, "image": "s3://b/still.png"}
    cls = CATALOGUE["image_to_video"][model]
    wires = {info.alias or name: info for name, info in cls.model_fields.items()}
    if "promptText" in wires:
        fields["prompt_text"] = "Waves roll in"
    if "duration" in wires and wires["duration"].is_required():
        fields["duration"] = 5
    return fields


@pytest.mark.parametrize("model", list(CATALOGUE["image_to_video"]))
def test_every_model_is_offered_and_a_minimal_request_is_accepted(model: str) -> None:
    params = ImageToVideoParams.model_validate(_minimal(model))
    request = params.spec().validate_request()
    assert request.model == model and request.endpoint == "image_to_video"


@pytest.mark.parametrize("model", list(CATALOGUE["image_to_video"]))
def test_a_last_frame_is_taken_exactly_by_the_models_the_form_names(model: str) -> None:
    schema = ImageToVideoParams.model_json_schema()["properties"]["last_frame"]
    named = schema["description"].split("Only for: ")[1].rstrip(".").split(", ")
    params = ImageToVideoParams.model_validate(_minimal(model) | {"last_frame": "s3://b/z.png"})
    if model in named:
        assert params.spec().validate_request().model == model
    else:
        with pytest.raises(ParameterError, match="image"):
            params.spec()


def test_a_field_the_model_does_not_take_is_refused_by_its_form_name() -> None:
    params = ImageToVideoParams(image="s3://b/a.png", model="gen4_turbo", cfg_scale=0.5)
    with pytest.raises(ParameterError, match=r"cfg_scale \(0\.5\)"):
        params.spec()
    params = ImageToVideoParams(image="s3://b/a.png", model="veo3.1", ratio="16:9")
    with pytest.raises(ParameterError, match="ratio"):
        params.spec()


def test_a_model_that_needs_no_ratio_is_sent_none() -> None:
    params = ImageToVideoParams(image="s3://b/a.png", model="hailuo3", prompt_text="Dusk")
    assert "ratio" not in params.request()
    wan = ImageToVideoParams(image="s3://b/a.png", model="wan3", prompt_text="Dusk", audio=False)
    assert wan.request()["audio"] is False
    # A model without sound ignores the switch, as gen4_turbo always did.
    assert "audio" not in ImageToVideoParams(image="a.png", audio=False).request()


async def test_a_partner_model_runs_through_the_flow_with_keyframes(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    first, last = tmp_path / "first.png", tmp_path / "last.png"
    first.write_bytes(png_bytes())
    last.write_bytes(png_bytes(rgb=(10, 200, 30)))
    params = ImageToVideoParams.model_validate(
        {
            "model": "seedance2",
            "image": str(first),
            "last_frame": str(last),
            "prompt_text": "The harbour wakes",
            "duration": "5",
            "ratio": "1280:720",
            "destination_block": saved_blocks.destination,
            "credentials_block": saved_blocks.credentials,
            "name": "seedance",
            "poll_interval": 0.05,
            "price_cap": 200,
        }
    )
    outcome = await image_to_video(params)
    again = await image_to_video(params)
    stats = emulator.stats()
    assert stats["creates_total"] == 1 and again.credits_spent == 0
    assert outcome.output_uri is not None and outcome.output_uri.endswith("/seedance.mp4")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {"model": "wan3", "duration": 20},  # within the form's 1-30, above wan3's 15
            r"duration \(20\): Input should be less than or equal to 15",
        ),
        ({"model": "kling3.0_pro", "cfg_scale": 7.5}, r"cfg_scale \(7\.5\): Input should be less"),
        ({"model": "gen4_turbo", "duration": 11}, r"duration \(11\): Input should be less"),
    ],
)
async def test_a_number_out_of_bounds_is_refused_before_any_upload_or_post(
    saved_blocks: SavedBlocks,
    emulator: RunwayEmulator,
    tmp_path: Path,
    changes: dict[str, Any],
    field: str,
) -> None:
    # No file there: refused for the number, not the file, shows nothing was read first.
    still = tmp_path / "not-there.png"
    params = ImageToVideoParams.model_validate(
        {
            "image": str(still),
            "prompt_text": "Dusk",
            "destination_block": saved_blocks.destination,
            "credentials_block": saved_blocks.credentials,
            "poll_interval": 0.05,
        }
        | changes
    )
    with pytest.raises(ParameterError, match=field):
        await image_to_video(params)
    stats = emulator.stats()
    assert stats["creates_total"] == 0 and stats["uploads"] == 0


def test_the_duration_stays_a_whole_number_runs_started_through_the_api_send() -> None:
    # A run started with {"duration": 5} before the form offered every model must still pass
    # the server's schema check: the schema says integer, with the widest bounds of any model.
    schema = ImageToVideoParams.model_json_schema()["properties"]["duration"]
    assert schema["type"] == "integer" and "anyOf" not in schema
    assert schema["minimum"] >= 1 and schema["maximum"] >= 15
    assert (
        ImageToVideoParams.model_validate(
            {"image": "s3://b/k.png", "duration": 5, "destination_block": "renders"}
        ).request()["duration"]
        == 5
    )
    with pytest.raises(ValidationError, match="duration"):
        ImageToVideoParams.model_validate(
            {"image": "s3://b/k.png", "duration": schema["maximum"] + 1,
             "destination_block": "renders"}
        )  # fmt: skip
