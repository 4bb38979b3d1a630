"""Per-phase wall times of each generation in the batch flow, for the profile run only.

pyinstrument and cProfile see CPU and the event loop's idle time, but not which ``await`` a
generation spent its wall time in when hundreds run at once. This wraps the lifecycle's named
steps (and the global concurrency limit's acquisition) with timers, in the child process of a
profile run only: the product code is not changed for it.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import time
from collections.abc import AsyncIterator
from typing import Any

EVENTS: list[tuple[str, float, float]] = []  # (phase, start, seconds)
# perf_counter's reading as an epoch second, for :func:`timeline`'s absolute starts.
_EPOCH = time.time() - time.perf_counter()

# (module, attribute, phase name)
STEPS = [
    # The flow's own steps before the first POST: where the realistic figure's head goes.
    ("prefect_runway.flows.batch", "load_destination", "load destination block"),
    ("prefect_runway.flows.batch", "load_credentials", "load credentials block"),
    ("prefect_runway.flows.batch", "read_manifest", "read manifest"),
    ("prefect_runway.flows.batch", "plan_rows", "plan rows"),
    ("prefect_runway.flows.batch", "refuse_if_unaffordable", "affordability"),
    ("prefect_runway.flows.batch", "models_with_global_limits", "global limits lookup"),
    ("prefect_runway.flows.batch", "BatchProgress.start", "progress artifact"),
    # The flow's early label write (``announcing_early``: its module's own name, which
    # generate's imported one is not), then each generation's wait for it before its claim.
    ("prefect_runway.tasks.run_ledgers", "announce_ledger", "ledger label write (early)"),
    ("prefect_runway.tasks.generate", "announce_ledger", "announce ledger (run label)"),
    ("prefect_runway.tasks.generate", "_PrefectSteps.submit", "submit task run (all)"),
    ("prefect_runway.tasks.ledger", "SubmissionLedger.claim_name", "name claim"),
    ("prefect_runway.flows.batch", "identify_inputs", "identify inputs"),
    ("prefect_runway.tasks.plan", "read_sidecar", "read sidecar"),
    ("prefect_runway.tasks.ledger", "SubmissionLedger.read", "ledger read"),
    ("prefect_runway.tasks.ledger", "SubmissionLedger.claim", "ledger claim"),
    ("prefect_runway.api.client", "RunwayClient.create", "POST create"),
    ("prefect_runway.tasks.ledger", "SubmissionLedger.record_submitted", "ledger task id"),
    ("prefect_runway.tasks.submit", "submit_once", "submit (ledger + POST)"),
    ("prefect_runway.tasks.wait", "wait_for_task", "wait (polls)"),
    ("prefect_runway.tasks.generate", "store_output", "store output"),
    ("prefect_runway.tasks.generate", "write_sidecar", "write sidecar"),
    ("prefect_runway.tasks.generate", "_generate", "generate (all)"),
]


def _timed(phase: str, original: Any) -> Any:
    @functools.wraps(original)
    async def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return await original(*args, **kwargs)
        finally:
            EVENTS.append((phase, start, time.perf_counter() - start))

    return timed


def install() -> None:
    """Wrap the steps (call before the flow runs)."""
    for module_name, attribute, phase in STEPS:
        owner: Any = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        setattr(owner, name, _timed(phase, getattr(owner, name)))
    batch_module: Any = importlib.import_module("prefect_runway.flows.batch")
    if hasattr(batch_module, "concurrency"):
        original = batch_module.concurrency

        @contextlib.asynccontextmanager
        async def timed_concurrency(*args: Any, **kwargs: Any) -> AsyncIterator[None]:
            start = time.perf_counter()
            async with original(*args, **kwargs):
                EVENTS.append(("global limit acquire", start, time.perf_counter() - start))
                yield

        batch_module.concurrency = timed_concurrency


def timeline(since: float, seconds: float) -> list[tuple[str, float, float]]:
    """Every timed step that started within ``seconds`` of epoch second ``since``: (phase,
    epoch start, seconds), in order of start."""
    return sorted(
        ((phase, _EPOCH + start, took) for phase, start, took in EVENTS
         if _EPOCH + start - since <= seconds),
        key=lambda event: event[1],  # by start (a tuple's own order would put the name first)
    )  # fmt: skip


def summary() -> list[dict[str, Any]]:
    """Per phase: calls, median, 90th percentile and total seconds."""
    by_phase: dict[str, list[float]] = {}
    for phase, _start, seconds in EVENTS:
        by_phase.setdefault(phase, []).append(seconds)
    order = ["global limit acquire"] + [phase for _m, _a, phase in STEPS]
    rows = []
    for phase in order:
        values = sorted(by_phase.get(phase, []))
        if not values:
            continue
        rows.append({
            "phase": phase, "calls": len(values), "median": values[len(values) // 2],
            "p90": values[int(len(values) * 0.9)], "total": sum(values),
        })  # fmt: skip
    return rows
