"""Clean-up that a second cancellation cannot stop half-way, within a bounded grace.

anyio's ``CancelScope(shield=True)`` stops anyio's own cancellation, not a plain
``Task.cancel()``: a task cancelled twice (a flow's rows when the run is torn down, the event
loop closing, a second SIGTERM's teardown) is interrupted inside the shielded scope. A DELETE
of a paid Runway task, an abort of a multipart upload or a slot given back must not stop there:
``uninterrupted`` runs them as a task of their own, waits for it to its end whatever cancels
the caller meanwhile, and raises the cancellation after.

A clean-up that never ends (an API that stopped answering while its client retries) must not
hold a worker's shutdown forever: once the caller is cancelled, the clean-up gets
``grace`` seconds more, then it is cancelled too and the fact logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

__all__ = ["CLEAN_UP_GRACE_SECONDS", "uninterrupted"]

T = TypeVar("T")

logger = logging.getLogger(__name__)

# Long enough for a state read and a DELETE through the Prefect and Runway clients' own
# retries; short enough that a runner's or a test session's shutdown is not held for minutes.
CLEAN_UP_GRACE_SECONDS = 60.0


async def uninterrupted(awaitable: Awaitable[T], *, grace: float | None = None) -> T:
    """Await ``awaitable`` to its end even if the caller is cancelled meanwhile (within ``grace``).

    The caller's cancellations are held back until the awaitable is done, then one
    ``CancelledError`` is raised in place of its result. Use it inside anyio's shielded scope
    where anyio cancels too (anyio re-delivers its cancellation at every step otherwise).

    Args:
        awaitable: The clean-up.
        grace: Seconds the clean-up may still take once the caller was first cancelled; after
            them the clean-up is cancelled (logged as a warning) and the cancellation raised.
            ``CLEAN_UP_GRACE_SECONDS`` when not given (read at the call: tests shorten it).

    Returns:
        What the awaitable returned, when the caller was not cancelled meanwhile.

    Example:
        ```python
        with anyio.CancelScope(shield=True):
            await uninterrupted(cancel_unless_finished(client, task_id, attachment))
        ```
    """
    if grace is None:
        grace = CLEAN_UP_GRACE_SECONDS
    work = asyncio.ensure_future(awaitable)
    loop = asyncio.get_running_loop()
    deadline: float | None = None
    while not work.done():
        remaining = None if deadline is None else deadline - loop.time()
        if remaining is not None and remaining <= 0:
            work.cancel()
            # Nobody awaits its end now: retrieve it, or asyncio logs it as never retrieved.
            work.add_done_callback(_retrieve)
            logger.warning(
                "a clean-up was still running %.0f s after its caller was cancelled; "
                "cancelled it (%r)", grace, work,
            )  # fmt: skip
            raise asyncio.CancelledError
        try:
            # asyncio.wait never cancels what it waits for: only the caller is interrupted.
            await asyncio.wait([work], timeout=remaining)
        except asyncio.CancelledError:
            if deadline is None:
                deadline = loop.time() + grace
    if work.cancelled():
        raise asyncio.CancelledError
    result = work.result()  # the clean-up's own error, if it failed
    if deadline is not None:
        raise asyncio.CancelledError
    return result


def _retrieve(work: asyncio.Future[Any]) -> None:
    if not work.cancelled():
        work.exception()
