"""The pytest plugin's fixtures with the default config: one shared, reset emulator."""

from __future__ import annotations

import httpx

from prefect_runway.testing.emulator import RunwayEmulator
from tests.testing.emulator.support import headers, i2v_body


def test_function_fixture_is_the_reset_session_emulator(
    runway_emulator: RunwayEmulator, runway_emulator_session: RunwayEmulator
) -> None:
    assert runway_emulator is runway_emulator_session
    assert runway_emulator.stats()["creates_total"] == 0
    response = httpx.post(
        f"{runway_emulator.base_url}/v1/image_to_video",
        headers=headers(runway_emulator),
        json=i2v_body(),
    )
    assert response.status_code == 200
    assert runway_emulator.stats()["creates_total"] == 1


def test_the_next_test_starts_clean(runway_emulator: RunwayEmulator) -> None:
    assert runway_emulator.stats()["creates_total"] == 0
