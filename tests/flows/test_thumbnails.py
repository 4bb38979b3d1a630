"""Image outputs get a thumbnail, as the storyboard's clips do: a small PNG in S3 under the
project's own ``_runway/`` folder, shown by the run's markdown artifact."""

from __future__ import annotations

import io
import re
from pathlib import Path

import av
import pytest

from prefect_runway.flows.endpoints import (
    ImageUpscaleParams,
    TextToImageParams,
    image_upscale,
    text_to_image,
)
from prefect_runway.flows.image_to_video import ImageToVideoParams, image_to_video
from prefect_runway.flows.thumbnails import THUMBNAIL_WIDTH, image_thumbnail_png, thumbnail_key
from prefect_runway.testing.emulator import RunwayEmulator
from tests.flows.conftest import SavedBlocks, read_artifacts
from tests.media_samples import png_bytes


def _size(png: bytes) -> tuple[int, int]:
    with av.open(io.BytesIO(png)) as container:
        frame = next(container.decode(video=0))
        return frame.width, frame.height


def _expected(output: bytes) -> tuple[int, int]:
    width, height = _size(output)
    scale = min(1.0, THUMBNAIL_WIDTH / width)
    return max(2, int(width * scale)), max(2, int(height * scale))


def _object(saved: SavedBlocks, uri: str) -> bytes:
    s3 = saved.bucket.credentials.get_s3_client()
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    body: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return body


def blocks(saved: SavedBlocks) -> dict[str, object]:
    return {
        "destination_block": saved.destination,
        "credentials_block": saved.credentials,
        "poll_interval": 0.05,
        "prefix": "stills",
    }


@pytest.mark.parametrize(
    ("width", "height", "expected"), [(1920, 1080, (320, 180)), (200, 100, (200, 100))]
)
def test_an_image_is_scaled_down_to_the_thumbnail_width_keeping_its_aspect(
    tmp_path: Path, width: int, height: int, expected: tuple[int, int]
) -> None:
    image = tmp_path / "big.png"
    image.write_bytes(png_bytes(width, height))
    assert _size(image_thumbnail_png(image)) == expected


def test_a_thumbnail_never_shares_a_key_an_output_can_have() -> None:
    from prefect_runway.tasks.locations import check_prefix

    key = thumbnail_key("stills", "abc")
    assert key == "stills/_runway/thumbnails/abc.png"
    # No prefix a user may give reaches the project's folder, so no output lands there.
    with pytest.raises(ValueError, match="_runway"):
        check_prefix("stills/_runway/thumbnails")


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
async def test_a_text_to_image_run_shows_a_thumbnail_of_its_image(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, fmt: str
) -> None:
    params = TextToImageParams(
        model="muse_image", prompt_text="A fox in the snow", ratio="1600:1600",
        output_format=fmt, name=f"fox-{fmt}", price_cap=50, **blocks(saved_blocks),
    )  # fmt: skip
    state = await text_to_image(params, return_state=True)
    outcome = await state.result()
    assert outcome.result is not None
    key = outcome.result.key
    bucket = saved_blocks.bucket
    s3 = bucket.credentials.get_s3_client()
    full_key = f"{bucket.bucket_folder}/stills/_runway/thumbnails/{key}.png"
    stored = s3.get_object(Bucket=bucket.bucket_name, Key=full_key)
    assert stored["ContentType"] == "image/png"
    assert outcome.output_uri is not None
    assert _size(stored["Body"].read()) == _expected(_object(saved_blocks, outcome.output_uri))

    artifacts = await read_artifacts(state.state_details.flow_run_id)
    preview = artifacts["runway-text-to-image-preview"]
    assert preview["type"] == "markdown"
    link = re.search(r"!\[[^\]]*\]\(([^)]+)\)", preview["data"])
    assert link is not None and full_key in link.group(1)
    assert outcome.output_uri is not None and outcome.output_uri in preview["data"]
    assert emulator.api_key not in preview["data"]


async def test_an_upscaled_image_gets_a_thumbnail_too(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    still = tmp_path / "small.png"
    still.write_bytes(png_bytes(400, 300))
    params = ImageUpscaleParams(
        model="magnific_precision_upscaler_v2", image_uri=str(still), name="sharp",
        price_cap=50, **blocks(saved_blocks),
    )  # fmt: skip
    state = await image_upscale(params, return_state=True)
    outcome = await state.result()
    artifacts = await read_artifacts(state.state_details.flow_run_id)
    assert "runway-image-upscale-preview" in artifacts
    bucket = saved_blocks.bucket
    s3 = bucket.credentials.get_s3_client()
    key = f"{bucket.bucket_folder}/stills/_runway/thumbnails/{outcome.result.key}.png"
    thumbnail = _size(s3.get_object(Bucket=bucket.bucket_name, Key=key)["Body"].read())
    output = _object(saved_blocks, outcome.output_uri)
    assert thumbnail == _expected(output) and thumbnail[0] <= THUMBNAIL_WIDTH


async def test_a_video_run_makes_no_image_thumbnail(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    still = tmp_path / "harbour.png"
    still.write_bytes(png_bytes())
    state = await image_to_video(
        ImageToVideoParams(image=str(still), duration=2, name="clip", **blocks(saved_blocks)),
        return_state=True,
    )
    await state.result()
    artifacts = await read_artifacts(state.state_details.flow_run_id)
    assert not any(key.endswith("-preview") for key in artifacts)


async def test_a_thumbnail_that_cannot_be_made_never_fails_the_paid_run(
    saved_blocks: SavedBlocks, emulator: RunwayEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    import prefect_runway.flows.thumbnails as thumbnails

    def broken(_image: Path, **_: object) -> bytes:
        raise ValueError("not an image PyAV can decode")

    monkeypatch.setattr(thumbnails, "image_thumbnail_png", broken)
    params = TextToImageParams(
        model="muse_image", prompt_text="A heron", ratio="1600:1600", name="heron",
        price_cap=50, **blocks(saved_blocks),
    )  # fmt: skip
    state = await text_to_image(params, return_state=True)
    outcome = await state.result()
    assert outcome.status == "succeeded" and outcome.output_uri is not None
    assert emulator.stats()["creates_total"] == 1
    artifacts = await read_artifacts(state.state_details.flow_run_id)
    assert "runway-text-to-image-preview" not in artifacts
    assert "runway-text-to-image-results" in artifacts
