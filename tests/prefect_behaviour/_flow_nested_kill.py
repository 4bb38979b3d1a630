"""One cached child task called from the flow and from inside a parent task (run as a script).

The flow first calls ``child("direct")`` from the flow body, then ``parent("nested")``, which calls
``child("nested")`` and then reaches the kill point while the parent is still running. So a single
SIGKILL lands at the same moment for both children: each has returned, one to the flow, one to a
parent that has not.

Environment:
    WORK_DIR  directory for ``executions``, ``results/`` and ``outcome.json``
    MODE      ``async`` (async flow and tasks) or ``sync`` (sync flow and tasks)
    KILL_AT   ``parent_running_after_child_returned``: SIGKILL this process there
    FAIL_AT   ``parent_after_child_returned``: make the parent raise there instead
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import INPUTS, NO_CACHE

WORK = Path(os.environ["WORK_DIR"])
MODE = os.environ["MODE"]
KILL_AT = os.environ.get("KILL_AT", "")
FAIL_AT = os.environ.get("FAIL_AT", "")

STATES: dict[str, str] = {}


class ParentFailed(Exception):
    pass


def record_execution(label: str) -> None:
    with open(WORK / "executions", "a") as executions:
        executions.write(f"{label}\n")


def parent_checkpoint() -> None:
    if KILL_AT == "parent_running_after_child_returned":
        os.kill(os.getpid(), signal.SIGKILL)
    if FAIL_AT == "parent_after_child_returned":
        raise ParentFailed("the parent failed after its child returned")


def write_outcome() -> None:
    (WORK / "outcome.json").write_text(json.dumps(STATES))


CACHED = {"cache_policy": INPUTS, "persist_result": True, "result_storage": WORK / "results"}


# --- async -------------------------------------------------------------------------------------


@task(**CACHED)
async def child_async(label: str) -> str:
    record_execution(label)
    return f"video for {label}"


@task(cache_policy=NO_CACHE)
async def parent_async(label: str) -> str:
    state = await child_async(label, return_state=True)
    STATES[label] = state.name
    parent_checkpoint()
    return await state.result()


@flow
async def pipeline_async() -> None:
    state = await child_async("direct", return_state=True)
    STATES["direct"] = state.name
    parent_state = await parent_async("nested", return_state=True)
    STATES["parent"] = parent_state.type.value
    write_outcome()


# --- sync --------------------------------------------------------------------------------------


@task(**CACHED)
def child_sync(label: str) -> str:
    record_execution(label)
    return f"video for {label}"


@task(cache_policy=NO_CACHE)
def parent_sync(label: str) -> str:
    state = child_sync(label, return_state=True)
    STATES[label] = state.name
    parent_checkpoint()
    return state.result()


@flow
def pipeline_sync() -> None:
    state = child_sync("direct", return_state=True)
    STATES["direct"] = state.name
    parent_state = parent_sync("nested", return_state=True)
    STATES["parent"] = parent_state.type.value
    write_outcome()


if __name__ == "__main__":
    if MODE == "async":
        asyncio.run(pipeline_async())
    else:
        pipeline_sync()
