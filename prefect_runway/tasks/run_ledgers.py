"""Which ledgers a flow run writes to, recorded on the flow run itself for the cancellation hook.

The ``on_cancellation`` hook (``tasks/cancellation.py``) runs in the runner's process after the
flow's process is gone, and must find every Runway task the run still had in flight. The
run's wait task runs are not a complete record: Prefect 3 sends task-run creations and states
to the server as events, which reach its database late under load and are lost with a killed
process, and a task submitted just before the kill has no wait yet. The ledger is complete
(an attempt's entry holds its task id and the run attached to it before the wait starts), but
the hook must know where it is: a run's prefix, a storyboard's title or a user's own flow put
it anywhere in any bucket.

So before a run's first claim in a ledger, ``announce_ledger`` adds a label to the flow run
(``prefect-runway.ledger.<hash>``: the destination block's name, when it is a saved block, and
the ledger's folder). A label is written by a plain API call the server commits before it
answers, not an event, so it cannot lag behind the claim it precedes. It costs one Prefect
API call per flow run and ledger (none per generation) and no S3 request, which every first
claim waits for: a busy server takes seconds to answer it, so the batch and the storyboard
start it as soon as their destination is loaded, beside their plan (``announcing_early``).

Example:
    ```python
    async with get_client() as prefect:
        run = await prefect.read_flow_run(flow_run_id)
    for announced in announced_ledgers(run.labels):
        print(announced.block, announced.folder)
    ```
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from prefect.client.orchestration import get_client

from prefect_runway.tasks.ledger import SubmissionLedger
from prefect_runway.tasks.locations import OutputLocation
from prefect_runway.tasks.submit import current_run

__all__ = [
    "LABEL_PREFIX",
    "AnnouncedLedger",
    "announce_ledger",
    "announced_ledgers",
    "announcing_early",
]

#: Labels naming a run's ledgers start with this; the rest is a hash of the ledger's location.
LABEL_PREFIX = "prefect-runway.ledger."

logger = logging.getLogger(__name__)

# (flow run id, label key) already on the server, and one lock per pair so that a batch's
# first generations, starting together, write the label once rather than once each.
_announced: set[tuple[str, str]] = set()
_locks: dict[tuple[str, str], asyncio.Lock] = {}


@dataclass(frozen=True)
class AnnouncedLedger:
    """A ledger a flow run wrote to, as its label tells.

    Attributes:
        folder: The ledger's folder, relative to the destination's bucket folder.
        location: Where the ledger lives (``s3://bucket/folder/_runway``).
        block: The destination ``S3Bucket`` block's name, when the run loaded it from one.
    """

    folder: str
    location: str
    block: str | None = None


def _label(destination: Any, folder: str, location: str) -> tuple[str, str]:
    block = getattr(destination, "_block_document_name", None)
    value = {"folder": folder, "location": location, "block": block}
    digest = hashlib.sha256(location.encode()).hexdigest()[:16]
    return f"{LABEL_PREFIX}{digest}", json.dumps(value, separators=(",", ":"), sort_keys=True)


async def announce_ledger(destination: Any, folder: str, location: str, run: str) -> None:
    """Label flow run ``run`` with a ledger it is about to write to (once per run and ledger).

    Outside a flow run (``run`` is not a flow run id) there is no hook to tell: nothing is done.
    An API error is logged and not raised (the next generation tries again): the generation
    itself is not at risk, only a later cancellation's reach, which the run's wait task runs
    still give in most cases.

    Args:
        destination: The ``S3Bucket`` the ledger lives in.
        folder: The ledger's folder, relative to the bucket folder.
        location: The ledger's location (``SubmissionLedger.location``).
        run: The current flow run's id (``current_run()``).
    """
    try:
        run_id = UUID(run)
    except ValueError:
        return
    key, value = _label(destination, folder, location)
    pair = (run, key)
    if pair in _announced:
        return
    lock = _locks.setdefault(pair, asyncio.Lock())
    async with lock:
        if pair in _announced:
            return
        try:
            async with get_client() as prefect:
                await prefect.update_flow_run_labels(run_id, {key: value})
        except Exception as error:
            logger.warning(
                "could not label flow run %s with its ledger %s (%s); a cancellation may miss "
                "a task whose wait the Prefect API has not recorded", run, location,
                type(error).__name__,
            )  # fmt: skip
            return
        _announced.add(pair)
    _locks.pop(pair, None)


@asynccontextmanager
async def announcing_early(destination: Any, prefix: str, *, now: bool) -> AsyncIterator[None]:
    """Start labelling the run with its ledger (``announce_ledger``) now, beside the plan.

    Every generation's claim waits for that label: one Prefect API write, which a busy server
    answers in seconds (BENCHMARKS.md 7.7: 2 to 6 s while it commits another run's burst).
    Started as the destination is known, it overlaps the credentials, the inputs, the plan
    and the checks instead of following them. Nothing is claimed before it still: each
    generation awaits ``announce_ledger`` for the same ledger before its claim, which waits
    for this write (one write per run and ledger) or, if it failed, makes it again.

    Args:
        destination: The run's destination ``S3Bucket``.
        prefix: The key prefix every generation of the run is stored under (the batch's
            ``prefix``, the storyboard's folder): its ledger is the prefix's
            (``OutputLocation``).
        now: False for a run that submits nothing (a dry run): no label.

    Yields:
        Nothing: the body runs while the label is written.
    """
    if not now:
        yield
        return
    folder = OutputLocation.of(prefix=prefix, name=None, key="run").ledger_folder
    ledger = SubmissionLedger(destination, folder)
    early = asyncio.ensure_future(
        announce_ledger(destination, ledger.folder, ledger.location, current_run())
    )
    try:
        yield
    finally:
        # Long done when a generation was submitted; a run refused or failed before any
        # submit (over budget, a bad manifest, a refused shot) has no ledger to announce.
        early.cancel()
        await asyncio.gather(early, return_exceptions=True)


def announced_ledgers(labels: Mapping[str, Any] | None) -> list[AnnouncedLedger]:
    """The ledgers a flow run announced, from its labels (malformed ones are skipped)."""
    found: list[AnnouncedLedger] = []
    for key, value in sorted((labels or {}).items()):
        if not key.startswith(LABEL_PREFIX) or not isinstance(value, str):
            continue
        try:
            parsed = json.loads(value)
            folder, location = parsed["folder"], parsed["location"]
            block = parsed.get("block")
        except (ValueError, KeyError, TypeError):
            continue
        if isinstance(folder, str) and isinstance(location, str):
            found.append(
                AnnouncedLedger(folder, location, block if isinstance(block, str) else None)
            )
    return found
