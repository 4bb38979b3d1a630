"""Pins: a task called inside another task commits its cache record together with its parent.

Setup (``_flow_nested_kill.py``): one cached child task (``cache_policy=INPUTS``,
``persist_result=True``, local result storage) is called twice in one flow run: once directly from
the flow body (``child("direct")``), then from inside a parent task (``parent("nested")``, which has
``cache_policy=NO_CACHE`` and caches nothing itself). The process SIGKILLs itself after both
children have returned, while the parent is still running.

Observed, identically for async tasks in an async flow and for sync tasks in a sync flow:

* the child called from the flow has its record on disk: the re-run does not run its body
  (state ``Cached``);
* the child called inside the still-running parent has NO record: its transaction became a child
  of the parent task's transaction and handed its commit to the parent, which never committed. The
  re-run runs its body again (state ``Completed``), although it had returned in the killed run;
* when the parent finishes, its commit writes the child's record (two records after the re-run);
* if the parent raises after its child returned, the parent's transaction rolls back and the
  child's record is discarded too: a later run runs the child again.

The parent needs no cache policy for this: every task run opens a transaction, and a nested task's
transaction defers to whichever transaction encloses it. By the same code
(``prefect/transactions.py``, not exercised here) a task called inside a user's
``with transaction():`` block in the flow also commits only when that block exits.

What the product builds on: a Runway submission must be cached by a task called from the flow, not
from inside another task, or the "already submitted" record exists only once the outer task ends
(and not at all if the outer task fails).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.prefect_behaviour._support import (
    files_in,
    lines_of,
    run_to_end,
    script,
    subprocess_env,
    tail,
)

SCRIPT = script("_flow_nested_kill.py")
SIGKILLED = -9


def _run(api_url: str, tmp_path: Path, work: Path, label: str, **extra: str) -> int:
    env = subprocess_env(api_url, tmp_path, WORK_DIR=str(work), **extra)
    return run_to_end([SCRIPT], env, work / f"{label}.log")


@pytest.mark.parametrize("mode", ["async", "sync"])
def test_nested_child_is_rerun_after_kill_but_direct_child_is_not(
    prefect_harness: str, tmp_path: Path, mode: str
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    results = work / "results"

    code = _run(
        prefect_harness, tmp_path, work, "killed",
        MODE=mode, KILL_AT="parent_running_after_child_returned",
    )  # fmt: skip
    assert code == SIGKILLED, tail(work / "killed.log")
    # Both children returned before the kill...
    assert lines_of(work / "executions") == ["direct", "nested"]
    # ...but only the one called from the flow has a record.
    assert len(files_in(results)) == 1, files_in(results)

    code = _run(prefect_harness, tmp_path, work, "rerun", MODE=mode)
    assert code == 0, tail(work / "rerun.log")
    states = json.loads((work / "outcome.json").read_text())

    assert lines_of(work / "executions") == ["direct", "nested", "nested"]
    assert states == {"direct": "Cached", "nested": "Completed", "parent": "COMPLETED"}
    # The parent's commit, at its end, wrote the nested child's record.
    assert len(files_in(results)) == 2, files_in(results)


def test_failing_parent_discards_its_childs_record(prefect_harness: str, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    results = work / "results"

    code = _run(
        prefect_harness, tmp_path, work, "failing",
        MODE="async", FAIL_AT="parent_after_child_returned",
    )  # fmt: skip
    assert code == 0, tail(work / "failing.log")
    states = json.loads((work / "outcome.json").read_text())
    assert states == {"direct": "Completed", "nested": "Completed", "parent": "FAILED"}
    assert len(files_in(results)) == 1, files_in(results)

    code = _run(prefect_harness, tmp_path, work, "rerun", MODE="async")
    assert code == 0, tail(work / "rerun.log")
    states = json.loads((work / "outcome.json").read_text())
    assert lines_of(work / "executions") == ["direct", "nested", "nested"]
    assert states == {"direct": "Cached", "nested": "Completed", "parent": "COMPLETED"}
