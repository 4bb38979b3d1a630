"""Overriding ``runway_emulator_config`` gives a fresh emulator with those settings."""

from __future__ import annotations

import pytest

from prefect_runway.testing.emulator import EmulatorConfig, RunwayEmulator


@pytest.fixture
def runway_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(run_seconds=5.0, max_concurrent={"gen4_turbo": 1})


def test_overridden_config_starts_a_dedicated_emulator(
    runway_emulator: RunwayEmulator, runway_emulator_session: RunwayEmulator
) -> None:
    assert runway_emulator is not runway_emulator_session
    assert runway_emulator.config.run_seconds == 5.0
    assert runway_emulator.stats()["creates_total"] == 0
