"""An async flow called directly (no runner) that watches its own flow run (run as a script).

Each iteration it notes whether the test has already requested cancellation (the file
``cancel_requested`` exists), reads its own flow run from the API, runs a small task, and appends
what it saw to ``observations.jsonl``. What it does once it sees CANCELLING depends on BEHAVIOUR:

    keep_going        carry on; return normally after three polls that saw CANCELLING
    raise             raise an exception (as a wait loop that gives up would)
    return_cancelled  return a ``Cancelled`` state

Flow hooks append the hook name, the state and the pid of the process they ran in. The script
itself records what the direct call of the flow returned or raised.

Environment: WORK_DIR, BEHAVIOUR.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

from prefect import flow, get_client, task
from prefect.runtime import flow_run as current_flow_run
from prefect.states import Cancelled

WORK = Path(os.environ["WORK_DIR"])
BEHAVIOUR = os.environ["BEHAVIOUR"]
POLL_SECONDS = 0.2
MAX_POLLS = 300


def observe(**fields: Any) -> None:
    fields.update(pid=os.getpid(), at=time.time())
    with open(WORK / "observations.jsonl", "a") as observations:
        observations.write(json.dumps(fields) + "\n")


def hook(name: str):  # type: ignore[no-untyped-def]
    def run_hook(flow, flow_run, state) -> None:  # type: ignore[no-untyped-def]
        observe(hook=name, state=state.type.value)

    run_hook.__name__ = name
    return run_hook


@task
async def step(i: int) -> int:
    return i


@flow(
    on_cancellation=[hook("on_cancellation")],
    on_completion=[hook("on_completion")],
    on_failure=[hook("on_failure")],
    on_crashed=[hook("on_crashed")],
)
async def watcher() -> Any:
    flow_run_id = str(current_flow_run.id)
    observe(started=True, flow_run_id=flow_run_id)
    seen_cancelling = 0
    async with get_client() as client:
        for i in range(MAX_POLLS):
            requested = (WORK / "cancel_requested").exists()
            flow_run = await client.read_flow_run(flow_run_id)
            step_state = await step(i, return_state=True)
            observe(
                poll=i,
                cancel_requested_before_read=requested,
                seen=flow_run.state.type.value,
                task_state=step_state.type.value,
            )
            if flow_run.state.is_cancelling():
                seen_cancelling += 1
                if BEHAVIOUR == "raise":
                    raise RuntimeError("saw CANCELLING")
                if BEHAVIOUR == "return_cancelled":
                    return Cancelled(message="the flow saw CANCELLING and stopped")
                if seen_cancelling >= 3:
                    return "finished on its own"
            await asyncio.sleep(POLL_SECONDS)
    return "gave up polling"


if __name__ == "__main__":
    try:
        value = asyncio.run(watcher())
    except BaseException as exc:
        observe(caller="raised", exception=type(exc).__name__, message=str(exc))
        raise
    observe(caller="returned", value=value)
