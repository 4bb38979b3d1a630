from pathlib import Path

import pytest

from prefect_runway.api import (
    COMETAPI,
    Gen4TurboImageToVideo,
    ProviderCapabilityMissing,
    RunwayClient,
    TaskStatus,
)
from prefect_runway.api.uploads import MAX_UPLOAD_BYTES, check_upload
from prefect_runway.testing.emulator import RunwayEmulator
from tests.conftest import FAST_RETRY
from tests.media_samples import png_bytes


def test_check_upload_refusals(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file"):
        check_upload(tmp_path / "missing.png")
    gif = tmp_path / "a.gif"
    gif.write_bytes(b"x" * 1000)
    with pytest.raises(ValueError, match=r"extension '\.gif'"):
        check_upload(gif)
    tiny = tmp_path / "tiny.png"
    tiny.write_bytes(b"x" * 100)
    with pytest.raises(ValueError, match="100 bytes; uploads must be at least 512"):
        check_upload(tiny)
    big = tmp_path / "big.mp4"
    with big.open("wb") as file:
        file.truncate(MAX_UPLOAD_BYTES + 1)  # sparse: no 200 MB written
    with pytest.raises(ValueError, match="at most 200 MB"):
        check_upload(big)
    ok = tmp_path / "ok.mp4"
    ok.write_bytes(b"x" * 600)
    assert check_upload(ok) == ("ok.mp4", "video/mp4", 600)


async def test_upload_then_generate_from_it(
    client: RunwayClient, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    still = tmp_path / "still.png"
    still.write_bytes(png_bytes(width=96, height=96) + b"\0" * 512)
    uploaded = await client.upload_file(still)
    assert uploaded.uri.startswith("runway://") and uploaded.size == still.stat().st_size
    assert uploaded.fresh_for(23 * 3600)
    created = await client.create(
        Gen4TurboImageToVideo(prompt_image=uploaded.uri, ratio="960:960", duration=2)
    )
    for _ in range(500):
        if (await client.get_task(created.id)).status is TaskStatus.SUCCEEDED:
            break
    assert emulator.stats()["uploads"] == 1


async def test_upload_429_is_retried(
    client: RunwayClient, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    from prefect_runway.testing.emulator import Fault, FaultPlan

    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\0" * 2048)
    emulator.set_faults(
        FaultPlan(rules=[Fault(operation="upload", kind="status", status=429, retry_after=0.1)])
    )
    uploaded = await client.upload_file(clip)
    assert uploaded.uri.startswith("runway://")


async def test_provider_without_uploads_refuses_clearly(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\0" * 2048)
    async with RunwayClient(
        "key_x", provider=COMETAPI, base_url="http://127.0.0.1:9", retry=FAST_RETRY
    ) as client:
        with pytest.raises(
            ProviderCapabilityMissing, match="'cometapi' does not support POST /uploads"
        ):
            await client.upload_file(clip)
        with pytest.raises(ProviderCapabilityMissing, match="DELETE"):
            await client.delete_task("abc")
        with pytest.raises(ProviderCapabilityMissing, match="organization"):
            await client.get_organization()
