"""Pins: a cached task's record survives a SIGKILL of its process only once the task has returned.

A task with ``cache_policy=INPUTS - "note"``, ``persist_result=True`` and local result storage
(``result_storage=<tmp>/results``, a ``Path``) runs in a flow in a subprocess that SIGKILLs itself:

* killed **after the task returned** (back in the flow body): the cache record is already a file
  in the result storage, one per cache key. A re-run of the flow (a new flow run, same inputs) does
  NOT run the task body again; the task's state is ``Cached`` (type COMPLETED) and its result is the
  one the first run returned.
* killed **inside the task body** (after its side effect, before ``return``): no record exists, and
  the re-run runs the body a second time (state ``Completed``).

Why: every task run is wrapped in its own transaction keyed by the cache key; the record is
written when that transaction commits, which for a task called from the flow (no enclosing
transaction) happens as the task run finishes, before the call returns to the flow. The excluded
input (``note``, different in every process) does not change the key.

What the product builds on: a paid Runway submission wrapped in such a task is not repeated by a
re-run once the task has returned, but a process killed between the POST and the task's return
loses the record, so the submission's task id must be made durable by other means if that window
matters. (See ``test_nested_task_commits_with_parent`` for a task called inside another task.)
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

SCRIPT = script("_flow_cache_kill.py")
SIGKILLED = -9


def _run(api_url: str, work: Path, tmp_path: Path, kill_at: str | None, label: str) -> int:
    extra = {"WORK_DIR": str(work)}
    if kill_at:
        extra["KILL_AT"] = kill_at
    return run_to_end([SCRIPT], subprocess_env(api_url, tmp_path, **extra), work / f"{label}.log")


@pytest.mark.parametrize(
    ("kill_at", "expected_executions", "expected_state", "records_after_kill"),
    [
        pytest.param("after_task_returned", 1, "Cached", 1, id="killed-after-task-returned"),
        pytest.param("inside_task", 2, "Completed", 0, id="killed-inside-task"),
    ],
)
def test_record_survives_sigkill_only_after_task_returned(
    prefect_harness: str,
    tmp_path: Path,
    kill_at: str,
    expected_executions: int,
    expected_state: str,
    records_after_kill: int,
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    results = work / "results"

    code = _run(prefect_harness, work, tmp_path, kill_at, "killed")
    assert code == SIGKILLED, tail(work / "killed.log")
    assert lines_of(work / "executions") == ["a cat on a skateboard"]
    assert len(files_in(results)) == records_after_kill, files_in(results)

    code = _run(prefect_harness, work, tmp_path, None, "rerun")
    assert code == 0, tail(work / "rerun.log")
    outcome = json.loads((work / "outcome.json").read_text())

    assert len(lines_of(work / "executions")) == expected_executions, tail(work / "rerun.log")
    assert outcome["state_name"] == expected_state
    assert outcome["state_type"] == "COMPLETED"
    assert outcome["result"] == "video for a cat on a skateboard"
    # Either way, after a run that returned there is exactly one record for the one cache key.
    assert len(files_in(results)) == 1
