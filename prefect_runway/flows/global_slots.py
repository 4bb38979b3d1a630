"""Slots of a Prefect global concurrency limit, handed from one generation to the next.

Prefect's ``concurrency()`` acquires a slot per use: one ``increment-with-lease`` call, 423
answers retried while the limit is full, a lease-renewal thread, one ``decrement-with-lease``
call. Its client also serializes the acquisitions of one limit name in a process (one service
per name, one request in flight). A batch of N generations through ``concurrency()`` therefore
made N acquisitions in a row, each waiting for a slot to free on the server, and two releases
and acquisitions (and their server-side state changes) at every slot change (BENCHMARKS.md,
figure 1).

``SharedSlots`` keeps that cost per *slot*, not per generation: a slot the run holds is handed
straight to the next generation of the run that waits for one (no Prefect call at all), and is
given back to the server only when no generation of the run waits. A generation that needs a
slot no generation of the run holds starts one more holder, which acquires it with Prefect's own
``concurrency()`` (its retries, lease and renewal). So a run makes at most as many acquisitions
as slots it ever holds at once (plus one per time its demand drops to nothing and comes back),
however many generations pass through them, and a slot change inside a run costs O(1) local
work and no server call.

What it does not do: share fairly between runs. A run keeps the slots it holds while it has
generations waiting for them; another run waiting on the same limit gets a slot when this one
gives one back (its queue running dry) or from the limit's free slots. Leases expire when a
holder's process dies, as with ``concurrency()``.

Example:
    ```python
    slots = SharedSlots("runway-gen4_turbo")
    async with slots:
        async with slots.slot():
            ...  # one generation
    ```
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType

from prefect.concurrency.asyncio import concurrency

__all__ = ["SharedSlots"]

logger = logging.getLogger(__name__)

#: Seconds a slot's lease lasts without renewal (Prefect renews it at 3/4 of this): a crashed
#: holder's slots come back this long after its death. Prefect's own default.
DEFAULT_LEASE_SECONDS = 300.0


class SharedSlots:
    """The slots one flow run holds of one global concurrency limit.

    Args:
        name: The limit's name, for example ``runway-gen4_turbo``.
        lease_duration: Seconds a slot's lease lasts unrenewed (a crashed holder's slot frees
            this long after).

    Attributes:
        acquisitions: Slots acquired from the server so far (one Prefect acquisition each).
        handoffs: Times a held slot went straight to the next generation (no Prefect call).
        holding: Slots held now (in use or being handed on).
    """

    def __init__(self, name: str, *, lease_duration: float = DEFAULT_LEASE_SECONDS) -> None:
        self.name = name
        self.lease_duration = lease_duration
        self.acquisitions = 0
        self.handoffs = 0
        self.holding = 0
        # Generations waiting for a slot: each future receives the event its user sets when done.
        self._waiters: deque[asyncio.Future[asyncio.Event]] = deque()
        self._acquiring = 0
        self._holders: set[asyncio.Task[None]] = set()
        self._closed = False

    async def __aenter__(self) -> SharedSlots:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Give every slot back: the holders leave ``concurrency()``, which releases each lease."""
        self._closed = True
        for holder in list(self._holders):
            holder.cancel()
        if self._holders:
            await asyncio.gather(*self._holders, return_exceptions=True)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one slot for the body: a slot this run holds if one is free, else a new one."""
        waiter: asyncio.Future[asyncio.Event] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._start_acquiring()
        try:
            done = await waiter
        except BaseException:
            # Cancelled while waiting: a slot handed to us in that instant goes on at once.
            if waiter.done() and not waiter.cancelled():
                waiter.result().set()
            else:
                waiter.cancel()
            raise
        try:
            yield
        finally:
            done.set()

    def _start_acquiring(self) -> None:
        """Start one holder if a generation waits and none is acquiring already.

        One at a time: Prefect's client serializes the acquisitions of a name in a process
        anyway, and a holder still acquiring when the run ends is cancelled, which leaves its
        slot held until its lease expires if the server granted it meanwhile.
        """
        if self._closed or self._acquiring or not any(not w.done() for w in self._waiters):
            return
        self._acquiring += 1
        holder = asyncio.ensure_future(self._hold())
        self._holders.add(holder)
        holder.add_done_callback(self._holders.discard)

    async def _hold(self) -> None:
        """Acquire one slot, lend it to waiting generations one after another, give it back."""
        acquired = False
        try:
            async with concurrency(
                self.name, occupy=1, lease_duration=self.lease_duration, strict=False
            ):
                acquired = True
                self._acquiring -= 1
                self.acquisitions += 1
                self.holding += 1
                try:
                    lent = 0
                    while self._waiters:
                        waiter = self._waiters.popleft()
                        if waiter.done():  # its generation was cancelled while waiting
                            continue
                        done = asyncio.Event()
                        waiter.set_result(done)
                        if lent:
                            self.handoffs += 1
                        lent += 1
                        await done.wait()
                finally:
                    self.holding -= 1
        except Exception as error:
            if acquired:
                raise
            # The acquisition failed (the server refused or could not be reached): the
            # generation this holder was started for fails with it, as with ``concurrency()``.
            while self._waiters:
                waiter = self._waiters.popleft()
                if not waiter.done():
                    waiter.set_exception(error)
                    break
        finally:
            if not acquired:
                self._acquiring -= 1
                self._start_acquiring()  # the failure served one waiter; others may wait
