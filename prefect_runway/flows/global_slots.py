"""Slots of a Prefect global concurrency limit, at O(1) Prefect calls per slot change.

Prefect's ``concurrency()`` costs per *generation*: one ``increment-with-lease`` call (and a
``423 Locked`` answer retried every ``Retry-After`` while the limit is full: two database
transactions on the server each time, the refused attempt and the ``denied_slots`` update), a
lease-renewal thread with its own sync client, one ``decrement-with-lease`` call, and an
``acquired`` and a ``released`` event. Its client serializes the acquisitions of one name in a
process, but a waiting generation cancelled in that queue is still acquired later (and released
at once): a run that ends with generations queued keeps polling the server after it, and holds
those slots for a moment (the leak seen in ``git show 42205e8``, the earlier attempt that lent
``concurrency()`` holders between generations).

``GlobalSlots`` keeps the cost per *slot change*, whatever the number of generations waiting:

* **One acquisition in flight per run and limit.** Generations wait locally in FIFO order; one
  loop asks the server for a slot at a time (``increment-with-lease`` for one slot, its own
  lease) and hands each slot granted to the first generation still waiting. While the limit is
  full, that one loop is the only thing polling the server, at the server's ``Retry-After``.
* **A slot freed with a generation waiting goes straight to it**: no Prefect call. A slot
  freed with none waiting is kept ``keep_idle`` seconds (the next generation of the run passes
  the batch's own per-model bound a moment after: as an HTTP pool keeps a connection alive)
  and then given back (one ``decrement-with-lease``).
* **Leases**: one renewal loop for all the slots held (``renew`` every half lease), not a
  thread per slot. A process that dies frees its slots when their leases expire.
* **Nothing is cancelled mid-call.** The acquisition's POST is never interrupted: an answer the
  server sent is always read, so a slot granted as the run ends is given back with the others.
  ``aclose`` stops the loop between attempts, waits for a POST in flight, and gives every slot
  back. A generation cancelled while waiting leaves the queue; a slot handed to it in that
  instant goes on to the next one.

What it cannot do: give back a slot whose grant was lost on the way (the server granted it and
the answer never arrived: a reset, a timeout). Its lease expires ``lease_duration`` seconds
later. Between runs it is not fair: a run keeps its slots while its own generations wait for
them, so a second run sharing the limit gets slots as the first one's demand drops; every
generation of both runs finishes.

Example:
    ```python
    from prefect_runway.flows.global_slots import GlobalSlots

    async with GlobalSlots("runway-gen4_turbo") as slots:
        async with slots.slot():
            ...  # one generation: submitted, waited for, stored
    ```
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol
from uuid import UUID

import httpx

from prefect_runway.api.errors import PrefectRunwayError
from prefect_runway.tasks._uninterrupted import uninterrupted

__all__ = [
    "DEFAULT_KEEP_IDLE_SECONDS",
    "DEFAULT_LEASE_SECONDS",
    "GlobalLimitUnavailable",
    "GlobalSlots",
    "SlotCounts",
]

logger = logging.getLogger(__name__)

#: Seconds a lease lasts unrenewed: a crashed holder's slot frees this long after. Prefect's
#: default (its server accepts 60 s to a day).
DEFAULT_LEASE_SECONDS = 300.0
#: Seconds a slot freed with no generation waiting is kept for the run's next generation.
DEFAULT_KEEP_IDLE_SECONDS = 1.0
# Longest wait between two attempts while the limit is full, whatever Retry-After says; the
# server caps it at 30 s already (``maximum_concurrency_slot_wait_seconds``).
_MAX_RETRY_AFTER = 30.0
# After a failed acquisition (the server unreachable, 5xx past the client's own retries).
_ERROR_BACKOFF = 1.0
_LOCKED = 423


class GlobalLimitUnavailable(PrefectRunwayError, RuntimeError):
    """A slot of a ``runway-<model>`` global concurrency limit could not be acquired.

    The Prefect API refused or could not be reached (its client's retries spent); the
    generation is not submitted. Attributes:
        name: The limit's name.
    """

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(
            f"could not acquire a slot of the global concurrency limit {name!r}: {reason}; "
            "the generation was not submitted"
        )
        self.name = name

    def __reduce__(self) -> tuple[Any, ...]:
        return (_unavailable, (self.name, str(self)))


def _unavailable(name: str, message: str) -> GlobalLimitUnavailable:
    error = GlobalLimitUnavailable(name, "")
    error.args = (message,)
    return error


class LeaseClient(Protocol):
    """The three Prefect client calls ``GlobalSlots`` makes (``PrefectClient`` has them)."""

    async def increment_concurrency_slots_with_lease(
        self, names: list[str], slots: int, mode: Any, lease_duration: float
    ) -> httpx.Response: ...

    async def renew_concurrency_lease(
        self, lease_id: UUID, lease_duration: float
    ) -> httpx.Response: ...

    async def release_concurrency_slots_with_lease(self, lease_id: UUID) -> httpx.Response: ...


@dataclass
class SlotCounts:
    """What a ``GlobalSlots`` did: Prefect calls and local hand-overs.

    Attributes:
        granted: ``increment-with-lease`` calls answered with a slot.
        denied: Those answered ``423 Locked`` (the limit was full).
        failed: Those that failed otherwise (unreachable, 5xx, lost answer).
        released: ``decrement-with-lease`` calls.
        renewed: ``renew`` calls.
        handed_on: Slots that went from one generation to the next with no Prefect call.
        most_in_flight: The most ``increment-with-lease`` calls in flight at once (1).
    """

    granted: int = 0
    denied: int = 0
    failed: int = 0
    released: int = 0
    renewed: int = 0
    handed_on: int = 0
    most_in_flight: int = 0

    @property
    def acquisition_calls(self) -> int:
        """Every ``increment-with-lease`` call, answered or not."""
        return self.granted + self.denied + self.failed


class GlobalSlots:
    """The slots one run holds of one Prefect global concurrency limit.

    Args:
        name: The limit's name, for example ``runway-gen4_turbo``.
        lease_duration: Seconds a lease lasts unrenewed (60 to 86,400).
        keep_idle: Seconds a slot no generation waits for is kept before it is given back.
        client: The Prefect client to call (by default one of its own, opened on entry).

    Attributes:
        counts: Prefect calls made and slots handed on (``SlotCounts``).
    """

    def __init__(
        self,
        name: str,
        *,
        lease_duration: float = DEFAULT_LEASE_SECONDS,
        keep_idle: float = DEFAULT_KEEP_IDLE_SECONDS,
        client: LeaseClient | None = None,
    ) -> None:
        self.name = name
        self.lease_duration = lease_duration
        self.keep_idle = keep_idle
        self.counts = SlotCounts()
        self._client = client
        self._own_client: contextlib.AsyncExitStack | None = None
        self._waiters: deque[asyncio.Future[UUID | None]] = deque()
        self._idle: dict[UUID, asyncio.TimerHandle] = {}
        self._busy: set[UUID] = set()
        self._lost: set[UUID] = set()  # renewal refused: not handed on again
        self._releases: set[asyncio.Task[None]] = set()
        self._acquirer: asyncio.Task[None] | None = None
        self._renewer: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._in_flight = 0
        self._unlimited = False  # the limit was deleted: run without it, as concurrency() does
        self._closing = False
        self._closer: asyncio.Task[None] | None = None

    async def __aenter__(self) -> GlobalSlots:
        if self._client is None:
            from prefect.client.orchestration import get_client

            self._own_client = contextlib.AsyncExitStack()
            self._client = await self._own_client.enter_async_context(get_client())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    @property
    def held(self) -> int:
        """Slots this run holds now (lent to a generation or kept idle)."""
        return len(self._busy) + len(self._idle)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one slot for the body: one kept idle, one handed on, or one newly granted.

        Raises:
            GlobalLimitUnavailable: the Prefect API refused or could not be reached.
        """
        lease = await self._take()
        try:
            yield
        finally:
            if lease is not None:
                self._give_back(lease)

    async def aclose(self) -> None:
        """Stop acquiring and give every slot back; safe to call twice.

        A cancellation of the caller does not interrupt it (anyio's shielded scope does not
        stop a plain ``Task.cancel()``, which is how a cancelled flow's rows end): the
        closing runs as its own task, is waited for to its end, and the cancellation is
        raised after.
        """
        if self._closer is None:
            self._closer = asyncio.ensure_future(self._close())
        await uninterrupted(self._closer)

    async def _close(self) -> None:
        self._closing = True
        self._wake.set()
        for waiter in self._waiters:
            waiter.cancel()
        if self._acquirer is not None:
            # Between attempts it stops at once; a POST in flight is answered first, and a
            # slot it grants is given back below.
            await asyncio.gather(self._acquirer, return_exceptions=True)
        if self._renewer is not None:
            self._renewer.cancel()
            await asyncio.gather(self._renewer, return_exceptions=True)
        for lease in list(self._idle):
            self._idle.pop(lease).cancel()
            self._release(lease)
        # Slots still lent (a generation that outlives its run) are given back as their
        # generations end: _give_back releases them while closing.
        while self._releases:
            await asyncio.gather(*list(self._releases), return_exceptions=True)
        if self._own_client is not None:
            await self._own_client.aclose()
            self._own_client = None

    async def _take(self) -> UUID | None:
        if self._closing:
            raise GlobalLimitUnavailable(self.name, "the run is ending")
        if self._unlimited:
            return None
        if self._idle and not self._waiting():
            lease, timer = self._idle.popitem()
            timer.cancel()
            self._busy.add(lease)
            self.counts.handed_on += 1
            return lease
        waiter: asyncio.Future[UUID | None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._start()
        try:
            return await waiter
        except BaseException:
            # Cancelled (or failed): a slot handed over in that very instant goes on.
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                handed = waiter.result()
                if handed is not None:
                    self._give_back(handed)
            else:
                waiter.cancel()
            raise

    def _give_back(self, lease: UUID, *, fresh: bool = False) -> None:
        """A slot a generation is done with (or, ``fresh``, just granted): on to the first
        generation waiting, else kept idle a moment, else (closing) given back."""
        self._busy.discard(lease)
        if lease in self._lost:
            self._lost.discard(lease)
            self._release(lease)  # the server may still count it; the call is harmless if not
            return
        while self._waiters:
            waiter = self._waiters.popleft()
            if waiter.done():  # its generation was cancelled while waiting
                continue
            self._busy.add(lease)
            if not fresh:
                self.counts.handed_on += 1
            waiter.set_result(lease)
            return
        if self._closing:
            self._release(lease)
            return
        loop = asyncio.get_running_loop()
        self._idle[lease] = loop.call_later(self.keep_idle, self._expire_idle, lease)

    def _expire_idle(self, lease: UUID) -> None:
        if self._idle.pop(lease, None) is not None:
            self._release(lease)

    def _release(self, lease: UUID) -> None:
        task = asyncio.ensure_future(self._release_now(lease))
        self._releases.add(task)
        task.add_done_callback(self._releases.discard)

    async def _release_now(self, lease: UUID) -> None:
        assert self._client is not None
        self.counts.released += 1
        try:
            await self._client.release_concurrency_slots_with_lease(lease)
        except Exception as error:
            # Its lease still expires; the Prefect client has retried transient errors already.
            logger.warning("could not give back a slot of %s (%s); it frees when its lease "
                           "expires in %g s", self.name, error, self.lease_duration)  # fmt: skip

    def _waiting(self) -> int:
        return sum(1 for waiter in self._waiters if not waiter.done())

    def _start(self) -> None:
        if self._acquirer is None or self._acquirer.done():
            self._acquirer = asyncio.ensure_future(self._acquire_loop())

    async def _acquire_loop(self) -> None:
        """Ask the server for one slot at a time while a generation of the run waits."""
        while self._waiting() and not self._closing:
            self._wake.clear()
            wait = 0.0
            try:
                lease = await self._increment()
            except _Locked as locked:
                wait = locked.retry_after
            except Exception as error:
                self.counts.failed += 1
                self._fail_first(error)
                wait = _ERROR_BACKOFF
            else:
                if lease is None:
                    self._run_unlimited()
                    return
                self._granted(lease)
            if wait and self._waiting() and not self._closing:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)

    async def _increment(self) -> UUID | None:
        """One ``increment-with-lease`` call, never interrupted once sent (see the module)."""
        assert self._client is not None
        self._in_flight += 1
        self.counts.most_in_flight = max(self.counts.most_in_flight, self._in_flight)
        call = asyncio.ensure_future(
            self._client.increment_concurrency_slots_with_lease(
                names=[self.name], slots=1, mode="concurrency",
                lease_duration=self.lease_duration,
            )
        )  # fmt: skip
        try:
            # Shielded: cancelling this loop (the event loop closing) leaves the call to finish.
            response = await asyncio.shield(call)
        except asyncio.CancelledError:
            # The event loop is closing under the run: a slot granted now is given back.
            call.add_done_callback(self._release_if_granted)
            raise
        except httpx.HTTPStatusError as error:
            if error.response.status_code != _LOCKED:
                raise
            self.counts.denied += 1
            retry_after = error.response.headers.get("Retry-After", "1")
            raise _Locked(min(max(float(retry_after), 0.0), _MAX_RETRY_AFTER)) from None
        finally:
            self._in_flight -= 1
        body = response.json()
        if not body.get("limits"):
            return None
        self.counts.granted += 1
        return UUID(str(body["lease_id"]))

    def _release_if_granted(self, call: asyncio.Future[httpx.Response]) -> None:
        if call.cancelled() or call.exception() is not None:
            return
        body = call.result().json()
        if body.get("limits"):
            self.counts.granted += 1
            with contextlib.suppress(RuntimeError):  # no event loop left: the lease expires
                self._release(UUID(str(body["lease_id"])))

    def _granted(self, lease: UUID) -> None:
        self._busy.add(lease)
        self._start_renewer()
        self._give_back(lease, fresh=True)

    def _fail_first(self, error: Exception) -> None:
        logger.warning("could not acquire a slot of %s: %s", self.name, error)
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(GlobalLimitUnavailable(self.name, str(error)))
                return

    def _run_unlimited(self) -> None:
        """The limit is gone (deleted after the run started): run as if it never existed."""
        logger.warning("the global concurrency limit %s no longer exists; generations go on "
                       "without it", self.name)  # fmt: skip
        self._unlimited = True
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    def _start_renewer(self) -> None:
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.ensure_future(self._renew_loop())

    async def _renew_loop(self) -> None:
        """Renew every lease held each half lease; a refused renewal marks the slot lost."""
        assert self._client is not None
        while self._busy or self._idle:
            await asyncio.sleep(self.lease_duration / 2)
            for lease in [*self._busy, *self._idle]:
                self.counts.renewed += 1
                try:
                    await self._client.renew_concurrency_lease(lease, self.lease_duration)
                except httpx.HTTPStatusError as error:
                    if error.response.status_code >= 500:
                        continue  # tried again in half a lease, before it expires
                    logger.warning("a slot of %s expired on the server (%s); the generation "
                                   "holding it goes on", self.name, error)  # fmt: skip
                    timer = self._idle.pop(lease, None)
                    if timer is not None:
                        timer.cancel()
                        continue
                    self._lost.add(lease)
                except Exception as error:
                    logger.warning("could not renew a slot of %s (%s); trying again",
                                   self.name, error)  # fmt: skip


class _Locked(Exception):
    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
