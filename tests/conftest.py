"""Fixtures shared by the whole suite: one emulator for the session, reset before each test."""

from __future__ import annotations

import os

# No network but the package registries: Prefect's telemetry would only log errors.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# A re-run right after a crash finds a fresh intent and waits this long for a task id that
# will never come (30 s by default); the concurrent-submit tests set their own wait.
os.environ.setdefault("RUNWAY_CLAIM_WAIT_SECONDS", "1")

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from prefect_runway.api import RetryPolicy, RunwayClient
from prefect_runway.tasks.allowed_inputs import ROOTS_ENV
from prefect_runway.testing.emulator import EmulatorConfig, RunwayEmulator

FAST_CONFIG = EmulatorConfig(queue_seconds=0.05, run_seconds=0.2)

# Quick retries keep fault tests short; the shape of the backoff is tested on its own.
FAST_RETRY = RetryPolicy(max_attempts=4, base_delay=0.02, max_delay=0.1, max_retry_after=0.5)


@pytest.fixture(scope="session", autouse=True)
def input_roots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The suite runs its flows as a worker whose operator allows pytest's temporary folders.

    Inputs are read only under allowed roots (``prefect_runway.tasks.allowed_inputs``); the
    tests' inputs live in ``tmp_path``, outside the working directory. Subprocesses started by
    tests inherit the setting. Tests of the rule itself set their own.
    """
    base = tmp_path_factory.getbasetemp()
    before = os.environ.get(ROOTS_ENV)
    os.environ[ROOTS_ENV] = os.pathsep.join(filter(None, [str(base), before]))
    yield base
    if before is None:
        os.environ.pop(ROOTS_ENV, None)
    else:
        os.environ[ROOTS_ENV] = before


@pytest.fixture(scope="session")
def emulator_session() -> Iterator[RunwayEmulator]:
    with RunwayEmulator(FAST_CONFIG) as emulator:
        yield emulator


@pytest.fixture
def emulator(emulator_session: RunwayEmulator) -> RunwayEmulator:
    emulator_session.reset()
    return emulator_session


@pytest.fixture
async def client(emulator: RunwayEmulator) -> AsyncIterator[RunwayClient]:
    async with RunwayClient(
        emulator.api_key, base_url=emulator.base_url, retry=FAST_RETRY
    ) as runway_client:
        yield runway_client


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[str]:
    """One temporary Prefect server for the whole run (it takes ~11 s to start here).

    Yields the API URL, so subprocesses started by a test can point ``PREFECT_API_URL`` at it.
    """
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield str(PREFECT_API_URL.value())


pytest_plugins = ["tests.s3"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep each file's tests in one xdist worker (``dev.py test`` runs ``--dist loadgroup``).

    Module-scoped fixtures (a Prefect server with workers, runs cancelled together) then start
    once; a file that names its own group (``tests/ui``: one stack for both files) keeps it.
    """
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))
