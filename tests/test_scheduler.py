"""The suite's xdist scheduler (``tests/conftest.py``), run against workers modelled on xdist's.

A modelled worker behaves as ``xdist.remote`` does: it runs a test only once it knows the next
one (or has been told to shut down), because the test's teardown depends on what runs next.
Hypothesis picks the units (files of 1 to 6 tests, the UI files as one unit) and which busy
worker finishes a test next. Every run must end with every test run once, on the worker its
unit went to, and no worker may take a new unit while two or more of its tests are unfinished
(xdist's own rule, which held the next-longest unit on a worker busy for minutes).
"""

from __future__ import annotations

from collections import deque
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import _group, pytest_xdist_make_scheduler

pytest.importorskip("xdist")


class Worker:
    """What the scheduler sees of an xdist worker, and the worker's own queue of tests."""

    def __init__(self, name: str) -> None:
        self.gateway = SimpleNamespace(id=name)
        self.shutting_down = False
        self.queue: deque[int] = deque()
        self.ran: list[int] = []
        self.most_unfinished_at_assign = 0

    def send_runtest_some(self, indices: list[int]) -> None:
        self.most_unfinished_at_assign = max(self.most_unfinished_at_assign, len(self.queue))
        self.queue.extend(indices)

    def shutdown(self) -> None:
        self.shutting_down = True

    def can_run(self) -> bool:
        # xdist.remote: the head test runs when the next is known, or the worker is shut down.
        return len(self.queue) >= 2 or (len(self.queue) == 1 and self.shutting_down)

    def __repr__(self) -> str:
        return f"Worker({self.gateway.id})"


def _collection(sizes: list[int], ui_tests: int) -> list[str]:
    nodeids = [f"tests/ui/test_{i}.py::t" for i in range(ui_tests)]
    for unit, size in enumerate(sizes):
        nodeids += [f"tests/unit_{unit}.py::t{i}" for i in range(size)]
    return nodeids


def _scheduler(workers: int) -> Any:
    config = SimpleNamespace(
        getoption=lambda name: {"dist": "loadfile"}[name],
        getvalue=lambda name: {"tx": [f"{workers}*popen"]}[name],
        option=SimpleNamespace(loadscopereorder=False),
    )
    return pytest_xdist_make_scheduler(config, None)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 6), min_size=1, max_size=12),
    ui_tests=st.integers(0, 7),
    workers=st.integers(1, 4),
    choices=st.lists(st.integers(0, 3), max_size=200),
)
def test_every_test_runs_once_and_a_worker_takes_a_unit_only_at_its_last_test(
    sizes: list[int], ui_tests: int, workers: int, choices: list[int]
) -> None:
    collection = _collection(sizes, ui_tests)
    scheduler = _scheduler(workers)
    nodes = [Worker(f"gw{i}") for i in range(workers)]
    for node in nodes:
        scheduler.add_node(node)
    for node in nodes:
        scheduler.add_node_collection(node, collection)
    assert scheduler.collection_is_completed
    scheduler.schedule()

    picks = iter(choices)
    for _ in range(len(collection) + 1):
        ready = [node for node in nodes if node.can_run()]
        if not ready:
            break
        node = ready[next(picks, 0) % len(ready)]
        index = node.queue.popleft()
        node.ran.append(index)
        scheduler.mark_test_complete(node, index)

    ran = sorted(index for node in nodes for index in node.ran)
    assert ran == list(range(len(collection))), "a test never ran, or ran twice"
    assert all(not node.queue for node in nodes)
    assert all(node.shutting_down for node in nodes)
    # One unit, one worker: a unit's module fixtures (a server with workers) start once.
    unit_of = {}
    for node in nodes:
        for index in node.ran:
            unit = _group(collection[index])
            assert unit_of.setdefault(unit, node) is node, f"{unit} split over workers"
    # A new unit arrives when at most one test (the one the worker holds) is unfinished.
    assert all(node.most_unfinished_at_assign <= 1 for node in nodes), nodes
