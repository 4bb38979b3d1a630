"""Fixtures shared by the whole suite: one emulator for the session, reset before each test."""

from __future__ import annotations

import os

# No network but the package registries: Prefect's telemetry would only log errors.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# A re-run right after a crash finds a fresh intent and waits this long for a task id that
# will never come (30 s by default); the concurrent-submit tests set their own wait.
os.environ.setdefault("RUNWAY_CLAIM_WAIT_SECONDS", "1")
# Each xdist worker's Prefect test server keeps its SQLite: with a worker's flow processes and
# the other worker's stacks on 2 cores, it answered 503 ("database is locked", nothing written)
# past the client's 5 retries once in CI. Prefect's client retries a 503 with backoff; the
# suite and every process it starts (they inherit this) retry longer.
os.environ.setdefault("PREFECT_CLIENT_MAX_RETRIES", "10")

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

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

    # Up to 120 s: with three xdist workers, three Prefect servers (this worker's, the UI
    # stack's, the end-to-end one) may start at once on 2 cores, and 60 s ran out once at a
    # load average of 17 (the machine shared with other suites).
    with prefect_test_harness(server_startup_timeout=120):
        yield str(PREFECT_API_URL.value())


pytest_plugins = ["tests.s3"]


def _group(nodeid: str) -> str:
    """The xdist work unit of a test: its file, or ``ui-stack`` for the UI files, which share
    one local stack (a Prefect server with its UI, a worker, the emulator and S3)."""
    path = nodeid.split("::", 1)[0]
    return "ui-stack" if path.startswith("tests/ui/") else path


@pytest.hookimpl(optionalhook=True)  # pytest without xdist (-p no:xdist) runs as well
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadfile`` with the UI files as one unit (``dev.py test`` runs it), a worker
    given its next unit only when one test of its current units is left.

    Module-scoped fixtures (a Prefect server with workers, runs cancelled together) then start
    once per file. Written here because xdist's own ``loadgroup`` marks no longer group
    anything under pytest 9.2 (xdist 3.8 renames ``item._nodeid``, which pytest 9.2 no longer
    reads): every test became its own unit and the stacks started once per worker.
    """
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class FileScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _group(nodeid)

        def _reschedule(self, node: Any) -> None:
            # xdist hands a worker its next unit while two of its tests are left, so a long
            # unit's last-but-one test (the UI stack's is two minutes) held the next-longest
            # unit on a busy worker while another stood idle. A worker runs a test only once
            # it knows the next (for teardown), so the next unit goes when one test is left:
            # the longest unit waiting then goes to the first worker that is free.
            if node.shutting_down:
                return
            if not self.workqueue:
                node.shutdown()
                return
            if self._pending_of(self.assigned_work[node]) > 1:
                return
            self._assign_work_unit(node)

    return FileScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest units first (``dev.py test`` passes ``--no-loadscope-reorder``, so xdist
    hands units out in collection order): started last, one of them would be the run's whole
    tail while the other worker idles. A stable sort keeps every other file in its order."""
    items.sort(key=lambda item: _start_order(_group(item.nodeid)))


# Units by wall time, longest first, as measured with ``--durations`` (CI, 2 cores). A unit
# missing here only starts later; nothing else depends on the order.
LONGEST_FIRST = (
    "ui-stack",
    "tests/deployments/test_end_to_end.py",
    "tests/tasks/test_crash_and_cancel.py",
    "tests/flows/test_demo.py",
    "tests/flows/test_storyboard_words.py",
    "tests/bench/test_bench_smoke.py",
    "tests/prefect_behaviour/test_cancellation_visibility.py",
    "tests/flows/test_storyboard_sound.py",
    "tests/reliability/test_cancel_at_scale.py",
    "tests/flows/test_cut.py",
    "tests/packaging/test_user_project.py",
    "tests/reliability/test_secret_hygiene.py",
    "tests/reliability/test_storm.py",
)


def _start_order(group: str) -> int:
    return LONGEST_FIRST.index(group) if group in LONGEST_FIRST else len(LONGEST_FIRST)
