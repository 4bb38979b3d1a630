"""Input preparation: data URI or upload, reuse, and every refusal before anything is spent."""

from __future__ import annotations

import base64
import io
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from prefect.filesystems import LocalFileSystem

from prefect_runway.api import COMETAPI, RunwayClient
from prefect_runway.tasks.inputs import (
    InputError,
    identify_inputs,
    needs_preparation,
    prepare_inputs,
)
from prefect_runway.tasks.ledger import SubmissionLedger, UploadRecord
from prefect_runway.tasks.spec import GenerationSpec
from prefect_runway.testing.emulator import RunwayEmulator
from tests.conftest import FAST_RETRY
from tests.media_samples import png_bytes, png_data_uri


def clip(seconds: float, size: int = 32, fps: int = 10) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        for index in range(round(seconds * fps)):
            image = np.full((size, size, 3), index * 7 % 255, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def i2v(image: str) -> GenerationSpec:
    return GenerationSpec(request={"model": "gen4_turbo", "promptImage": image, "ratio": "960:960"})


def act_two(character: str, reference: str) -> GenerationSpec:
    return GenerationSpec(
        request={
            "model": "act_two",
            "character": {"type": "image", "uri": character},
            "reference": {"type": "video", "uri": reference},
        }
    )


async def prepare(spec: GenerationSpec, client: RunwayClient, **kwargs: object) -> object:
    ids = await identify_inputs(spec)
    return await prepare_inputs(spec, client, content_ids=ids, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("character", "reference", "expected"),
    [
        ("https://cdn.example/a.png", "runway://upload/b", False),
        ("data:image/png;base64,AAAA", "https://cdn.example/b.mp4", False),
        ("face.png", "https://cdn.example/b.mp4", True),
        ("https://cdn.example/a.png", "s3://bucket/take.mp4", True),
    ],
)
def test_only_files_and_s3_objects_need_preparation(
    character: str, reference: str, expected: bool
) -> None:
    assert needs_preparation(act_two(character, reference)) is expected


async def test_small_file_becomes_a_data_uri(client: RunwayClient, tmp_path: Path) -> None:
    still = tmp_path / "still.png"
    still.write_bytes(png_bytes())
    prepared = await prepare(i2v(str(still)), client)
    uri = prepared.uris[("promptImage",)]  # type: ignore[attr-defined]
    assert uri == "data:image/png;base64," + base64.b64encode(still.read_bytes()).decode()


async def test_large_file_is_uploaded_and_the_upload_reused(
    client: RunwayClient, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    big = tmp_path / "big.png"
    big.write_bytes(png_bytes() + b"\0" * (4 * 1024 * 1024))  # 5.3 MB as base64: over the cap
    ledger = SubmissionLedger(LocalFileSystem(basepath=str(tmp_path / "ledger")))
    first = await prepare(i2v(str(big)), client, ledger=ledger)
    second = await prepare(i2v(str(big)), client, ledger=ledger)
    assert first.uris[("promptImage",)].startswith("runway://")  # type: ignore[attr-defined]
    assert first.uris == second.uris  # type: ignore[attr-defined]
    assert (first.uploads, second.uploads) == (1, 0)  # type: ignore[attr-defined]
    assert emulator.stats()["uploads"] == 1


async def test_old_upload_is_not_reused(
    client: RunwayClient, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    big = tmp_path / "big.png"
    big.write_bytes(png_bytes() + b"\0" * (4 * 1024 * 1024))
    ledger = SubmissionLedger(LocalFileSystem(basepath=str(tmp_path / "ledger")))
    first = await prepare(i2v(str(big)), client, ledger=ledger)
    # Age the record past the reuse window (one hour): a THROTTLED task may fetch it late.
    record_path = next((tmp_path / "ledger" / "_runway" / "uploads").iterdir())
    record = UploadRecord.model_validate_json(record_path.read_text())
    aged = record.model_copy(update={"uploaded_at": time.time() - 2 * 3600})
    record_path.write_text(aged.model_dump_json())
    again = await prepare(i2v(str(big)), client, ledger=ledger)
    assert again.uploads == 1 and again.uris != first.uris  # type: ignore[attr-defined]
    assert emulator.stats()["uploads"] == 2


async def test_refusals_name_the_field(
    client: RunwayClient, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    gif = tmp_path / "still.gif"
    gif.write_bytes(b"GIF89a" + b"\0" * 100)
    with pytest.raises(InputError, match=r"promptImage \('.*still.gif'\): the content is a GIF"):
        await prepare(i2v(str(gif)), client)
    movie = tmp_path / "still.mp4"
    movie.write_bytes(clip(1))
    with pytest.raises(InputError, match="this field takes a JPEG, PNG or WebP image"):
        await prepare(i2v(str(movie)), client)
    huge = tmp_path / "huge.png"
    with huge.open("wb") as file:
        file.truncate(200 * 1024 * 1024 + 1)  # sparse
    with pytest.raises(InputError, match="at most 200 MB"):
        await prepare(i2v(str(huge)), client)
    assert emulator.stats()["uploads"] == 0 and emulator.stats()["creates_total"] == 0


@pytest.mark.parametrize(
    ("seconds", "ok"), [(2.0, False), (3.0, True), (12.0, True), (31.0, False)]
)
async def test_act_two_reference_must_last_3_to_30_seconds(
    client: RunwayClient, tmp_path: Path, seconds: float, ok: bool
) -> None:
    face = tmp_path / "face.png"
    face.write_bytes(png_bytes())
    reference = tmp_path / "performance.mp4"
    reference.write_bytes(clip(seconds, fps=4))
    spec = act_two(str(face), str(reference))
    if ok:
        prepared = await prepare(spec, client)
        assert prepared.reference_seconds == pytest.approx(seconds, abs=0.3)  # type: ignore[attr-defined]
    else:
        with pytest.raises(
            InputError, match=r"reference.uri .*: the reference clip lasts .* 3 to 30 s"
        ):
            await prepare(spec, client)


async def test_provider_without_uploads_refuses_a_large_file(
    tmp_path: Path, emulator: RunwayEmulator
) -> None:
    big = tmp_path / "big.png"
    big.write_bytes(png_bytes() + b"\0" * (4 * 1024 * 1024))
    async with RunwayClient(
        "key_x", provider=COMETAPI, base_url=emulator.base_url, retry=FAST_RETRY
    ) as comet:
        with pytest.raises(InputError, match="'cometapi' has no uploads API; pass an https URL"):
            await prepare(i2v(str(big)), comet)


async def test_uris_pass_through(client: RunwayClient) -> None:
    for uri in ("https://example.com/a.png", "runway://abcdefghijkl", png_data_uri()):
        prepared = await prepare(i2v(uri), client)
        assert prepared.uris[("promptImage",)] == uri  # type: ignore[attr-defined]
