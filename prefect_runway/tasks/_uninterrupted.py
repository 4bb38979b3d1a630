"""Clean-up that a second cancellation cannot stop half-way.

anyio's ``CancelScope(shield=True)`` stops anyio's own cancellation, not a plain
``Task.cancel()``: a task cancelled twice (a flow's rows when the run is torn down, the event
loop closing, a second SIGTERM's teardown) is interrupted inside the shielded scope. A DELETE
of a paid Runway task, an abort of a multipart upload or a slot given back must not stop there:
``uninterrupted`` runs them as a task of their own, waits for it to its end whatever cancels
the caller meanwhile, and raises the cancellation after.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

__all__ = ["uninterrupted"]

T = TypeVar("T")


async def uninterrupted(awaitable: Awaitable[T]) -> T:
    """Await ``awaitable`` to its end even if the caller is cancelled meanwhile.

    The caller's cancellations are held back until the awaitable is done, then one
    ``CancelledError`` is raised in place of its result. Use it inside anyio's shielded scope
    where anyio cancels too (anyio re-delivers its cancellation at every step otherwise).

    Args:
        awaitable: The clean-up; it must end on its own, in bounded time.

    Returns:
        What the awaitable returned, when the caller was not cancelled meanwhile.

    Example:
        ```python
        with anyio.CancelScope(shield=True):
            await uninterrupted(cancel_unless_finished(client, task_id, attachment))
        ```
    """
    work = asyncio.ensure_future(awaitable)
    interrupted = False
    while not work.done():
        try:
            await asyncio.shield(work)
        except asyncio.CancelledError:
            if work.cancelled():
                raise
            interrupted = True
    result = work.result()
    if interrupted:
        raise asyncio.CancelledError
    return result
