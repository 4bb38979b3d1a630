"""RunwayCredentials: registration, save and load with the key kept secret, and a working client."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest
from prefect.testing.standard_test_suites import BlockStandardTestSuite
from pydantic import SecretStr

from prefect_runway.api import COMETAPI, RUNWAY, Gen4TurboImageToVideo
from prefect_runway.api.errors import InvalidApiKey
from prefect_runway.blocks import RunwayCredentials
from prefect_runway.testing.emulator import RunwayEmulator
from tests.media_samples import png_data_uri

KEY = "key_" + "feedfacecafe" * 10 + "feedfacecafebeef"[:8]  # 'key_' and 128 hex digits


class TestBlockStandards(BlockStandardTestSuite):
    @pytest.fixture
    def block(self) -> type[RunwayCredentials]:
        return RunwayCredentials

    def test_has_a_valid_image(self, block: type[RunwayCredentials]) -> None:  # type: ignore[override]
        # The standard test fetches the logo over the network; we ship no external link at all.
        assert block._logo_url is None


def test_slug_and_secret_fields() -> None:
    assert RunwayCredentials.get_block_type_slug() == "runway-credentials"
    assert RunwayCredentials.model_json_schema()["secret_fields"] == ["api_key"]


def test_key_is_masked_everywhere_but_the_client() -> None:
    block = RunwayCredentials(api_key=SecretStr(KEY))
    assert KEY not in repr(block) and KEY not in str(block.model_dump())
    assert KEY not in block.model_dump_json()


def test_blank_key_refused() -> None:
    # Not a ValidationError: pydantic's would quote the raw input, and a key is never quoted.
    with pytest.raises(InvalidApiKey, match="api_key is empty"):
        RunwayCredentials(api_key=SecretStr("  "))


def test_provider_and_base_url() -> None:
    assert RunwayCredentials(api_key=SecretStr(KEY)).get_client().base_url == RUNWAY.base_url
    comet = RunwayCredentials(api_key=SecretStr(KEY), provider="cometapi").get_client()
    assert comet.provider is COMETAPI and comet.base_url == COMETAPI.base_url
    local = RunwayCredentials(api_key=SecretStr(KEY), base_url="http://127.0.0.1:1/").get_client()
    assert local.base_url == "http://127.0.0.1:1"


async def test_save_load_and_use(prefect_harness: str, emulator: RunwayEmulator) -> None:
    await RunwayCredentials(api_key=SecretStr(emulator.api_key), base_url=emulator.base_url).asave(
        "emulator", overwrite=True
    )
    loaded = await RunwayCredentials.aload("emulator")
    assert loaded.api_key.get_secret_value() == emulator.api_key
    # The server hands the document out masked.
    async with httpx.AsyncClient(base_url=prefect_harness) as api:
        response = await api.post("/block_documents/filter", json={})
        documents = [d for d in response.json() if d["name"] == "emulator"]
    assert documents and documents[0]["data"]["api_key"] != emulator.api_key
    async with loaded.get_client() as client:
        created = await client.create(
            Gen4TurboImageToVideo(prompt_image=png_data_uri(), ratio="960:960", duration=2)
        )
        assert (await client.get_task(created.id)).id == created.id
    assert emulator.stats()["creates_total"] == 1


def test_registers_with_the_cli(prefect_harness: str) -> None:
    env = {**os.environ, "PREFECT_API_URL": prefect_harness}
    result = subprocess.run(
        [sys.executable, "-m", "prefect", "block", "register", "-m", "prefect_runway"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Runway Credentials" in result.stdout


def test_collection_entry_point_names_the_package() -> None:
    # A Prefect server imports every prefect.collections entry point at start and registers
    # the blocks it finds, so installing the package is enough on a local server.
    from importlib.metadata import entry_points

    found = {ep.name: ep.value for ep in entry_points(group="prefect.collections")}
    assert found.get("prefect_runway") == "prefect_runway"


def test_prefect_finds_the_block_by_its_slug_in_a_fresh_process() -> None:
    # What a worker does when it loads a saved block: only Prefect imported, then a lookup by
    # slug, which loads the collections.
    script = (
        "from prefect.blocks.core import Block; "
        "print(Block.get_block_class_from_key('runway-credentials').__module__)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "prefect_runway.blocks.credentials"
