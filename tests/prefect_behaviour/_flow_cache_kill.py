"""A flow with one cached task, SIGKILLed at a named point (run as a script by the tests).

Environment:
    WORK_DIR  directory for ``executions``, ``results/`` (result storage) and ``outcome.json``
    KILL_AT   ``inside_task`` or ``after_task_returned``: SIGKILL this process at that point
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import INPUTS

WORK = Path(os.environ["WORK_DIR"])
KILL_AT = os.environ.get("KILL_AT", "")


def kill_point(name: str) -> None:
    if KILL_AT == name:
        os.kill(os.getpid(), signal.SIGKILL)


def record_execution(label: str) -> None:
    with open(WORK / "executions", "a") as executions:
        executions.write(f"{label}\n")


@task(cache_policy=INPUTS - "note", persist_result=True, result_storage=WORK / "results")
async def generate(prompt: str, note: str = "") -> str:
    record_execution(prompt)
    kill_point("inside_task")
    return f"video for {prompt}"


@flow
async def pipeline(prompt: str) -> None:
    state = await generate(prompt, note=f"pid {os.getpid()}", return_state=True)
    kill_point("after_task_returned")
    outcome = {
        "state_name": state.name,
        "state_type": state.type.value,
        "result": await state.result(),
    }
    (WORK / "outcome.json").write_text(json.dumps(outcome))


if __name__ == "__main__":
    asyncio.run(pipeline("a cat on a skateboard"))
