"""The storyboard flow end to end: shots generated together, stored in order, joined in one cut."""

from __future__ import annotations

import json
from pathlib import Path

import av
import httpx
import pytest
from prefect.utilities.schema_tools import validate

from prefect_runway.flows.storyboard import (
    CloseUp,
    Scene,
    ShotRefused,
    StoryboardIncomplete,
    StoryboardParams,
    storyboard,
)
from prefect_runway.tasks.cost import OverBudget
from prefect_runway.testing.emulator import Fault, FaultPlan, RunwayEmulator
from tests.flows.conftest import SavedBlocks, read_artifacts
from tests.media_samples import png_bytes
from tests.testing.emulator.support import mp4_bytes


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    paths = {
        "coast": tmp_path / "coast.png",
        "harbour": tmp_path / "harbour.png",
        "keeper": tmp_path / "keeper.png",
        "take": tmp_path / "take.mp4",
    }
    paths["coast"].write_bytes(png_bytes())
    paths["harbour"].write_bytes(png_bytes(rgb=(10, 80, 160)))
    paths["keeper"].write_bytes(png_bytes(rgb=(160, 120, 90)))
    paths["take"].write_bytes(mp4_bytes(3.4))
    return paths


def board(blocks: SavedBlocks, inputs: dict[str, Path], **changes: object) -> StoryboardParams:
    fields: dict[str, object] = {
        "title": "lighthouse",
        "shots": [
            Scene(image=str(inputs["coast"]), camera_movement="Slow aerial push in",
                  establishing_scene="a lighthouse on a cliff at dusk",
                  additional_details="waves break below", duration=2, ratio="960:960"),
            CloseUp(character=str(inputs["keeper"]), reference=str(inputs["take"]),
                    ratio="960:960", name="keeper"),
            Scene(image=str(inputs["harbour"]), prompt_text="A harbour at dawn", duration=3,
                  ratio="1280:720"),
        ],
        "frame_size": "1280:720",
        "destination_block": blocks.destination,
        "credentials_block": blocks.credentials,
        "prefix": "boards",
        "poll_interval": 0.05,
    }  # fmt: skip
    return StoryboardParams.model_validate(fields | changes)


def _probe(data: bytes) -> tuple[int, int, float]:
    import io

    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return stream.width, stream.height, frames / float(stream.average_rate or 24)


async def test_a_storyboard_is_stored_in_order_and_cut(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, inputs: dict[str, Path]
) -> None:
    state = await storyboard(board(saved_blocks, inputs), return_state=True)
    result = await state.result()
    stats = emulator.stats()
    assert stats["creates_total"] == 3
    assert result.credits == stats["credits_charged"] == 10 + 20 + 15  # 2 s, 3.4 s -> 4, 3 s
    assert [s.name for s in result.shots] == ["01-scene", "keeper", "03-scene"]
    assert result.shots[0].prompt == (
        "Slow aerial push in: a lighthouse on a cliff at dusk. waves break below."
    )
    bucket = saved_blocks.bucket
    s3 = bucket.credentials.get_s3_client()

    def read(uri: str) -> bytes:
        name, _, key = uri.removeprefix("s3://").partition("/")
        body: bytes = s3.get_object(Bucket=name, Key=key)["Body"].read()
        return body

    document = json.loads(read(result.storyboard_uri or ""))
    assert [shot["s3_uri"] for shot in document["shots"]] == [s.s3_uri for s in result.shots]
    assert all(json.loads(read(s.sidecar_uri or ""))["credits"] for s in result.shots)
    clip_seconds = [_probe(read(s.s3_uri or ""))[2] for s in result.shots]
    width, height, seconds = _probe(read(result.cut_uri or ""))
    assert (width, height) == (1280, 720)
    assert abs(seconds - sum(clip_seconds)) <= 1 / 24 + 1e-6  # within one frame of the cut
    assert (
        result.cut_uri
        == f"s3://{bucket.bucket_name}/runway-out/boards/lighthouse/lighthouse-cut.mp4"
    )

    artifact = (await read_artifacts(state.state_details.flow_run_id))[
        "runway-storyboard-thumbnails"
    ]
    links = [line.split("](", 1)[1].split(")", 1)[0] for line in artifact["data"].splitlines()
             if "![" in line]  # fmt: skip
    assert len(links) == 4  # three clips and the cut
    async with httpx.AsyncClient() as http:
        for link in links:
            response = await http.get(link)
            assert response.status_code == 200 and response.content[:4] == b"\x89PNG"
    assert "Slow aerial push in" in artifact["data"] and "| 20 |" in artifact["data"]
    # Our own bucket's presigned links only: no key, no signed Runway link, no emulator address.
    assert emulator.api_key not in artifact["data"]
    assert "_jwt" not in artifact["data"] and emulator.base_url not in artifact["data"]
    assert all(link.startswith(bucket.credentials.aws_client_parameters.endpoint_url or "")
               for link in links)  # fmt: skip


async def test_a_failed_shot_is_named_and_no_cut_is_made_unless_allowed(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, inputs: dict[str, Path]
) -> None:
    emulator.set_faults(
        FaultPlan(rules=[Fault(operation="task", kind="fail", endpoint="act_two",
                               failure_code="SAFETY.INPUT.IMAGE", failure="Face refused.")])
    )  # fmt: skip
    with pytest.raises(StoryboardIncomplete, match=r"shot 2 \(keeper\): SAFETY.INPUT.IMAGE"):
        await storyboard(board(saved_blocks, inputs))
    assert emulator.stats()["creates_total"] == 3

    # Allowed: the cut is made from the two scenes. The re-run pays nothing: the scenes are
    # stored, and the refused close-up is the same Runway task, refused again without a POST.
    result = await storyboard(board(saved_blocks, inputs, allow_partial_cut=True))
    assert [s.name for s in result.failed] == ["keeper"]
    assert "Face refused." in (result.failed[0].reason or "")
    assert emulator.stats()["creates_total"] == 3
    s3 = saved_blocks.bucket.credentials.get_s3_client()
    name, _, key = (result.cut_uri or "").removeprefix("s3://").partition("/")
    _, _, seconds = _probe(s3.get_object(Bucket=name, Key=key)["Body"].read())
    assert abs(seconds - 5.0) <= 2 / 24  # 2 s + 3 s


async def test_a_shot_that_cannot_be_submitted_refuses_the_storyboard_before_any_post(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, inputs: dict[str, Path], tmp_path: Path
) -> None:
    shots = [
        Scene(image=str(tmp_path / "missing.png"), prompt_text="A lost still", name="lost"),
        Scene(image=str(inputs["coast"]), prompt_text="The coast", duration=2, name="coast"),
    ]
    with pytest.raises(ShotRefused, match=r"shot 1 \(lost\): .*missing\.png"):
        await storyboard(board(saved_blocks, inputs, shots=shots))
    assert emulator.stats()["creates_total"] == 0

    # Allowed: the cut is made from the shot that can be made; the other is named with why.
    result = await storyboard(board(saved_blocks, inputs, shots=shots, allow_partial_cut=True))
    assert emulator.stats()["creates_total"] == 1
    assert [(s.name, s.status) for s in result.shots] == [
        ("lost", "failed"),
        ("coast", "succeeded"),
    ]
    assert "missing.png" in (result.shots[0].reason or "") and result.cut_seconds == 2.0


async def test_when_every_shot_fails_there_is_no_cut_even_if_partial_cuts_are_allowed(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, inputs: dict[str, Path]
) -> None:
    emulator.set_faults(
        FaultPlan(rules=[Fault(operation="task", kind="fail", failure_code="SAFETY.INPUT.TEXT",
                               failure="Prompt refused.")])
    )  # fmt: skip
    shots = [Scene(image=str(inputs["coast"]), prompt_text="The coast", duration=2)]
    with pytest.raises(StoryboardIncomplete, match=r"every shot failed.*SAFETY.INPUT.TEXT"):
        await storyboard(board(saved_blocks, inputs, shots=shots, allow_partial_cut=True))
    assert emulator.stats()["creates_total"] == 1


async def test_a_dry_run_prices_the_storyboard_without_any_post(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, inputs: dict[str, Path]
) -> None:
    result = await storyboard(board(saved_blocks, inputs, dry_run=True))
    assert result.dry_run and result.estimated_credits == 45 and result.cut_uri is None
    assert emulator.stats()["creates_total"] == 0


async def test_a_storyboard_above_its_budget_is_refused_before_any_post(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, inputs: dict[str, Path]
) -> None:
    with pytest.raises(OverBudget, match="45"):
        await storyboard(board(saved_blocks, inputs, max_credits=44))
    assert emulator.stats()["creates_total"] == 0


def test_a_prompt_is_whole_or_in_parts_not_both() -> None:
    with pytest.raises(ValueError, match="not both"):
        Scene(image="a.png", prompt_text="x", camera_movement="Pan left")


def test_the_ui_form_offers_both_kinds_of_shot_with_their_choices() -> None:
    schema = storyboard.parameters.model_dump()
    definitions = schema["definitions"]
    shots = definitions["StoryboardParams"]["properties"]["shots"]
    # One flat model: the classic UI renders a union of models as a JSON editor per item.
    assert shots["items"] == {"$ref": "#/definitions/Shot"}
    shot = definitions["Shot"]["properties"]
    assert shot["kind"]["enum"] == ["scene", "close_up"]
    assert "gen4_turbo" in shot["model"]["enum"] and "1280:720" in shot["ratio"]["enum"]
    assert shot["expression_intensity"]["enum"] == [1, 2, 3, 4, 5]
    for fields in (shot, definitions["StoryboardParams"]["properties"]):
        undescribed = [n for n, f in fields.items() if not f.get("description")]
        assert undescribed == []

    # What the form submits: the server's schema check passes, and each shot becomes its kind.
    submitted = {
        "title": "t",
        "destination_block": "renders",
        "shots": [
            {"kind": "close_up", "character": "keeper.png", "reference": "take.mp4"},
            {"kind": "scene", "image": "coast.png", "camera_movement": "Pan left"},
        ],
    }
    assert validate({"params": submitted}, schema) == []
    parsed = StoryboardParams.model_validate(submitted)
    assert [shot.kind for shot in parsed.shots] == ["close_up", "scene"]
    assert parsed.shots[0].request()["model"] == "act_two"
