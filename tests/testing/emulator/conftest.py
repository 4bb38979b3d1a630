"""Fixtures of the emulator's tests (the ``runway_emulator`` fixtures come from its plugin)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from prefect_runway.testing.emulator import EmulatorConfig, RunwayEmulator
from tests.testing.emulator.support import ManualClock, client

MakeEmulator = Callable[..., RunwayEmulator]


@pytest.fixture
def http(runway_emulator: RunwayEmulator) -> Iterator[httpx.Client]:
    """A client of the shared (reset) default emulator."""
    with client(runway_emulator) as http_client:
        yield http_client


@pytest.fixture
def make_emulator() -> Iterator[MakeEmulator]:
    """Start emulators with their own settings (and clock); all stop after the test."""
    started: list[RunwayEmulator] = []

    def make(clock: ManualClock | None = None, **settings: Any) -> RunwayEmulator:
        emulator = RunwayEmulator(EmulatorConfig(**settings), clock=clock).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()
