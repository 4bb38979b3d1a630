"""pytest fixtures that start the Runway emulator (registered as the ``runway_emulator`` plugin).

Fixtures:

* ``runway_emulator_session`` (session scope): one emulator with the default config for the
  whole test session.
* ``runway_emulator_config`` (function scope): the :class:`~emulator.EmulatorConfig` the next
  fixture uses; override it in a ``conftest.py`` or a test module to change timings or limits.
* ``runway_emulator`` (function scope): a running :class:`~emulator.RunwayEmulator`. With the
  default config it is the session emulator, ``reset()`` before the test (no tasks, counters,
  faults or uploads from earlier tests; the starting config restored), which saves a server
  start per test. With any other config it is a fresh emulator, stopped after the test.

Example::

    import httpx

    def test_creates_once(runway_emulator):
        headers = {"Authorization": f"Bearer {runway_emulator.api_key}",
                   "X-Runway-Version": "2024-11-06"}
        response = httpx.post(f"{runway_emulator.base_url}/v1/image_to_video", headers=headers,
                              json={"model": "gen4_turbo", "ratio": "1280:720",
                                    "promptImage": "https://example.com/cat.png"})
        assert response.status_code == 200
        assert runway_emulator.stats()["creates_total"] == 1

    # A module with its own timings:
    @pytest.fixture
    def runway_emulator_config():
        return EmulatorConfig(run_seconds=2.0, max_concurrent={"gen4_turbo": 1})
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from prefect_runway.testing.emulator.config import EmulatorConfig
    from prefect_runway.testing.emulator.server import RunwayEmulator

__all__ = ["runway_emulator", "runway_emulator_config", "runway_emulator_session"]


@pytest.fixture(scope="session")
def runway_emulator_session() -> Iterator[RunwayEmulator]:
    """One emulator with the default config for the whole session."""
    # Imported here: this module is loaded by every pytest run of the project.
    from prefect_runway.testing.emulator.config import EmulatorConfig
    from prefect_runway.testing.emulator.server import RunwayEmulator

    with RunwayEmulator(EmulatorConfig()) as emulator:
        yield emulator


@pytest.fixture
def runway_emulator_config() -> EmulatorConfig:
    """The config ``runway_emulator`` starts with; override to change it."""
    from prefect_runway.testing.emulator.config import EmulatorConfig

    return EmulatorConfig()


@pytest.fixture
def runway_emulator(
    request: pytest.FixtureRequest, runway_emulator_config: EmulatorConfig
) -> Iterator[RunwayEmulator]:
    """A running emulator: the reset session one for the default config, else a fresh one."""
    from prefect_runway.testing.emulator.config import EmulatorConfig
    from prefect_runway.testing.emulator.server import RunwayEmulator

    if runway_emulator_config == EmulatorConfig():
        session: RunwayEmulator = request.getfixturevalue("runway_emulator_session")
        session.reset()
        yield session
        return
    with RunwayEmulator(runway_emulator_config) as emulator:
        yield emulator
