"""A served async flow that watches its own flow run's state (run as a script: it calls ``serve``).

The flow polls its own flow run every ``poll_seconds`` and appends what it saw to
``observations.jsonl``, noting whether the test had already requested cancellation (the file
``cancel_requested-<flow run id>`` exists) before the read. If anything interrupts its body, it
records the exception chain, the control intent Prefect recorded (a private detail, for
diagnostics only) and the flow run's state read right then with a sync client, and re-raises.

With ``own_sigterm_handler=True`` the flow installs a SIGTERM handler that records a marker and
then calls the handler it replaced (Prefect's), as a product might to notice termination.

Flow hooks append their name, the state and the pid of the process they ran in. The serving
process records its own pid first.

Environment: WORK_DIR, plus the runner's settings the test chooses (PREFECT_RUNNER_POLL_FREQUENCY).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from prefect import flow, get_client
from prefect.runtime import flow_run as current_flow_run

DEPLOYMENT_NAME = "behaviour"
FLOW_NAME = "served-watcher"


def observe(**fields: Any) -> None:
    fields.update(pid=os.getpid(), at=time.time())
    with open(Path(os.environ["WORK_DIR"]) / "observations.jsonl", "a") as observations:
        observations.write(json.dumps(fields) + "\n")


def hook(name: str):  # type: ignore[no-untyped-def]
    def run_hook(flow, flow_run, state) -> None:  # type: ignore[no-untyped-def]
        observe(hook=name, state=state.type.value, flow_run_id=str(flow_run.id))

    run_hook.__name__ = name
    return run_hook


def state_now(flow_run_id: str) -> str:
    try:
        with get_client(sync_client=True) as client:
            return client.read_flow_run(flow_run_id).state.type.value
    except Exception as exc:
        return f"unreadable: {exc!r}"


def control_intent() -> str | None:
    try:
        from prefect._internal.control_listener import get_intent

        return get_intent()
    except Exception as exc:
        return f"unavailable: {exc!r}"


@flow(
    name=FLOW_NAME,
    on_cancellation=[hook("on_cancellation")],
    on_crashed=[hook("on_crashed")],
    on_completion=[hook("on_completion")],
    on_failure=[hook("on_failure")],
)
async def watcher(
    poll_seconds: float = 0.2, max_polls: int = 600, own_sigterm_handler: bool = False
) -> str:
    flow_run_id = str(current_flow_run.id)
    marker = Path(os.environ["WORK_DIR"]) / f"cancel_requested-{flow_run_id}"

    if own_sigterm_handler:
        replaced = signal.getsignal(signal.SIGTERM)

        def on_sigterm(signum, frame):  # type: ignore[no-untyped-def]
            observe(sigterm_handler=True, flow_run_id=flow_run_id)
            if callable(replaced):
                replaced(signum, frame)
            raise SystemExit(128 + signum)

        signal.signal(signal.SIGTERM, on_sigterm)

    observe(started=True, flow_run_id=flow_run_id)
    try:
        async with get_client() as client:
            for i in range(max_polls):
                requested = marker.exists()
                flow_run = await client.read_flow_run(flow_run_id)
                observe(
                    poll=i,
                    flow_run_id=flow_run_id,
                    cancel_requested_before_read=requested,
                    seen=flow_run.state.type.value,
                )
                await asyncio.sleep(poll_seconds)
    except BaseException as exc:
        chain = [type(exc).__name__]
        linked = exc.__cause__ or exc.__context__
        while linked is not None and len(chain) < 5:
            chain.append(type(linked).__name__)
            linked = linked.__cause__ or linked.__context__
        observe(
            interrupted=chain,
            flow_run_id=flow_run_id,
            intent=control_intent(),
            state_when_interrupted=state_now(flow_run_id),
        )
        raise
    return "gave up polling"


if __name__ == "__main__":
    observe(serving=True)
    watcher.serve(name=DEPLOYMENT_NAME, print_starting_message=False)
