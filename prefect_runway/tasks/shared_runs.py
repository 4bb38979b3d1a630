"""One Prefect task run shared by the calls of one kind in flight in a flow run (issue 20).

A task run costs the flow process about 3 ms of CPU and the Prefect server 17-70 ms (its three
state changes, sent as events, and its "Finished" line; BENCHMARKS.md 7.2, 7.11), so
``generate`` gives its waits (``tasks/wait.py``, ``runway-wait``) and its submits
(``tasks/submit.py``, ``runway-submit``) no task run each: the calls of one kind in flight in a
flow run (one set of Prefect tags) share one. The first call starts it, the last one in flight
ends it, and a later call starts a new one; a batch or a storyboard holds its flow run's shared
task runs open from its first row to its last (``shared_task_runs_held``), so its rows share
one of each kind however they are spaced in time (unless under Prefect tags: an idle task run
must not keep its tags' concurrency slots).

Each call stays its own coroutine with all it does alone: its caller's context variables, its
outcome (its caller gets exactly what it returns or raises), its own handling of a cancellation
(a wait's DELETE decision; a submit's create and its ledger record, which end first). A caller
cancelled cancels its own call only and returns once that has ended; a SIGTERM or a
cancellation of the shared task run stops every call (each ends its own way) and then reaches
every caller. Nothing here waits forever: cancelled again, the waiting side gives the calls
``CLEAN_UP_GRACE_SECONDS`` (``uninterrupted``), then cancels them again.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, ClassVar, TypeVar

from prefect_runway.tasks._uninterrupted import uninterrupted

__all__ = ["SharedCalls", "SharedTaskRun", "hold_calls", "shared_task_runs_held"]

T = TypeVar("T")
_Self = TypeVar("_Self", bound="SharedTaskRun")

#: What one shared task run is for: the flow run, the task run the calls are made in (if any)
#: and the callers' Prefect tags.
_SharedKey = tuple[str | None, str | None, tuple[str, ...]]
#: What ``shared_task_runs_held`` holds: the flow run and the task run the calls are made in.
_Scope = tuple[str | None, str | None]


class SharedCalls:
    """One shared task run and the calls it holds.

    Everything here runs on one event loop thread: no lock is needed, and every change of
    ``members`` is synchronous, so "the last call ended" and "a new call joined" never race.
    """

    def __init__(self, first: str) -> None:
        self.first = first  # names the task run: what the first call is about
        self.members = 0  # joined and not ended (a call still starting included)
        self.started = 0  # calls started under this task run
        # What the task run's engine set in its context (its ``TaskRunContext``...), laid by
        # each call over its own caller's context; the engine's context began as this one.
        self.base = contextvars.copy_context()
        self.context: asyncio.Future[dict[contextvars.ContextVar[Any], Any]] = (
            asyncio.get_running_loop().create_future()
        )
        self.calls: set[asyncio.Task[Any]] = set()
        self.changed = asyncio.Event()
        self.settled = asyncio.Event()
        self.closed = False
        self.terminated: BaseException | None = None
        self.stopped = False  # ``stop_all`` was called: the calls are ending
        self.runner: asyncio.Task[None] | None = None

    def terminate(self, error: BaseException) -> None:
        if self.terminated is None:
            self.terminated = error
        self.closed = True
        self.changed.set()

    async def stop_all(self) -> None:
        """Cancel every call and let each end its own way (a wait's DELETE decision...).

        A call already cancelled (by its caller) is ending already: it is not cancelled
        again, which would start its clean-up's grace. The calls are awaited through
        ``uninterrupted``: once this task run is cancelled again meanwhile (a second SIGTERM,
        the event loop closing), they get ``CLEAN_UP_GRACE_SECONDS`` more, then are cancelled
        again (a WARNING), so a call that never ends cannot hold the process's shutdown.
        """
        self.stopped = True
        pending = [call for call in self.calls if not call.done()]
        for call in pending:
            if not call.cancelling():
                call.cancel()
        if pending:
            # The calls' outcomes are their callers' (``_ended`` retrieved them): none raised.
            await uninterrupted(asyncio.gather(*pending, return_exceptions=True))


async def hold_calls(shared: SharedCalls) -> int:
    """The body of a shared task run: it lasts while any of its calls is in flight.

    The calls run as asyncio tasks in their callers' contexts with this task run's laid over
    them (their logs land in it; a caller's own context variables stay its own), each
    awaited by its own caller. A SIGTERM (``TerminationSignal``) or a cancellation reaching
    this body, or any call, stops every call (each ends its own way) before it propagates.

    Returns:
        How many calls it held.
    """
    missing = object()
    engine = contextvars.copy_context()
    shared.context.set_result(
        {var: value for var, value in engine.items() if shared.base.get(var, missing) is not value}
    )
    try:
        while not shared.closed:
            await shared.changed.wait()
            shared.changed.clear()
    except BaseException as error:
        shared.terminate(error)
    if shared.terminated is not None:
        await shared.stop_all()
        shared.settled.set()  # the callers need not wait for the engine's crash report
        raise shared.terminated
    return shared.started


async def _until_settled(shared: SharedCalls) -> None:
    """Wait until every call of a stopped task run has ended.

    A cancellation of the caller meanwhile gives the calls the clean-up grace
    (``uninterrupted``), then raises: the caller does not wait on them forever.
    """
    await uninterrupted(shared.settled.wait())


async def _finished(call: asyncio.Task[Any]) -> None:
    """Wait for a cancelled call's end (a wait's DELETE decision...), whatever cancels the caller.

    Once the caller is cancelled again meanwhile, the call gets the clean-up grace
    (``uninterrupted``), then is cancelled again (its own clean-up's grace starts) and
    ``CancelledError`` raised.

    Raises:
        asyncio.CancelledError: The caller was cancelled again meanwhile.
    """
    caller = asyncio.current_task()
    cancelled = caller.cancelling() if caller is not None else 0
    # Its outcome (its cancellation, mostly) is not the caller's: ``_ended`` retrieved it.
    with contextlib.suppress(BaseException):
        await uninterrupted(call)
    if caller is not None and caller.cancelling() > cancelled:
        raise asyncio.CancelledError


async def _closed(shared: SharedCalls) -> None:
    """The last call of a task run returns once the task run has ended, as a call in a task
    run of its own returned once that had (so a flow that returns next leaves none open)."""
    runner = shared.runner
    if shared.closed and shared.terminated is None and runner is not None and not runner.done():
        await asyncio.wait([runner])


def _scope() -> _Scope:
    from prefect.context import TaskRunContext
    from prefect.runtime import flow_run

    parent = TaskRunContext.get()
    return flow_run.get_id(), str(parent.task_run.id) if parent else None


#: Holds of ``shared_task_runs_held`` per event loop and scope.
_holds: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, collections.Counter[_Scope]] = (
    weakref.WeakKeyDictionary()
)


def _held(scope: _Scope) -> bool:
    return _holds.get(asyncio.get_running_loop(), collections.Counter())[scope] > 0


class SharedTaskRun:
    """The calls of one kind in one flow run, held by one shared task run while any is in flight.

    A subclass names the kind: ``_task_run`` calls its Prefect task (whose body is
    ``hold_calls``), ``runner_name`` names the asyncio task that awaits it, and
    ``_not_begun`` says what a caller cancelled before its call began leaves behind. Callers
    under other Prefect tags share another task run (it carries the tags of the caller that
    starts it). The registry keeps a flow run's entry only while a call is in flight or the
    flow run holds its shared task runs open (``shared_task_runs_held``).

    Example:
        ```python
        task = await SharedWaits.current().run(task_id, lambda: wait_for_it(task_id))
        ```
    """

    # Written by hand: Prefect has no task run that several callers' coroutines join and leave
    # (a task run is one call), and an anyio task group cannot hold coroutines whose callers
    # live in other asyncio tasks and must each get their own outcome and cancellation.
    _by_loop: ClassVar[
        weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[_SharedKey, Any]]
    ] = weakref.WeakKeyDictionary()
    _kinds: ClassVar[list[type[SharedTaskRun]]] = []
    #: The asyncio task that calls the shared task run: ``<this> (first <what>)``.
    runner_name: ClassVar[str] = "runway-shared"
    #: Each call's asyncio task: ``<this>-<what>``.
    call_name: ClassVar[str] = "runway-call"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._by_loop = weakref.WeakKeyDictionary()  # each kind its own registry
        SharedTaskRun._kinds.append(cls)

    def __init__(self, key: _SharedKey = (None, None, ())) -> None:
        self._shared: SharedCalls | None = None
        self._key = key

    async def _task_run(self, shared: SharedCalls) -> int:
        """Call this kind's Prefect task, whose body is ``hold_calls(shared)``."""
        raise NotImplementedError

    def _not_begun(self, first: str) -> None:
        """Say what a caller cancelled before its call about ``first`` began leaves behind."""

    @classmethod
    def current(cls: type[_Self]) -> _Self:
        """The shared calls of the current flow run (and task run, when called inside one)
        under the current Prefect tags (``prefect.tags``)."""
        from prefect.context import TagsContext

        # The task run takes the tags of the caller that starts it: callers under other tags
        # get a task run of their own, so a tag's concurrency limit or an automation sees
        # exactly the calls of its tag (a call in a task run of its own had its caller's).
        key = (*_scope(), tuple(sorted(TagsContext.get().current_tags)))
        # Registered by its first ``run`` only: asking leaves nothing behind.
        return cls._by_loop.get(asyncio.get_running_loop(), {}).get(key) or cls(key)

    def _registered(self: _Self, *, register: bool = False) -> _Self:
        """The handle the registry holds for this flow run, if any: this one, or one made
        since this one went idle and was forgotten (it holds the flow run's task run now).

        Args:
            register: Register this one when the registry holds none (a call is joining).
        """
        runs = self._by_loop.setdefault(asyncio.get_running_loop(), {})
        if register:
            return runs.setdefault(self._key, self)  # type: ignore[no-any-return]
        return runs.get(self._key, self)  # type: ignore[no-any-return]

    def _forget(self) -> None:
        """Out of the registry once idle (a process may run many flow runs on one loop)."""
        if self._shared is None:
            runs = self._by_loop.get(asyncio.get_running_loop(), {})
            if runs.get(self._key) is self:
                del runs[self._key]

    @property
    def in_flight(self) -> int:
        """Calls joined to the current task run and not ended."""
        shared = self._registered()._shared
        return shared.members if shared is not None else 0

    async def run(self, first: str, call: Callable[[], Awaitable[T]]) -> T:
        """Run ``call()`` (a call about ``first``: a task id, an attempt key) under the shared
        task run.

        Returns:
            What ``call()`` returns.

        Raises:
            What ``call()`` raises; ``TerminationSignal`` (or ``CancelledError``) once every
            call has ended, when the shared task run was stopped.
        """
        handle = self._registered(register=True)
        if handle is not self:  # a handle kept while idle: the flow run's task run is there
            return await handle.run(first, call)
        shared = self._join(first)
        try:
            task_run = await asyncio.shield(shared.context)
        except BaseException as stopped:
            self._leave(shared)
            if isinstance(stopped, asyncio.CancelledError) and not shared.context.cancelled():
                self._not_begun(first)  # the caller, not the task run, was cancelled
            await _closed(shared)  # the last caller returns once the task run has ended
            raise
        if shared.terminated is not None:
            self._leave(shared)
            await _until_settled(shared)
            raise shared.terminated

        async def called() -> T:
            return await call()

        # The caller's own context, inside the shared task run (as a call in a task run of its
        # own had): its context variables (a logger's bound row, say) reach its callbacks.
        context = contextvars.copy_context()
        for var, value in task_run.items():
            context.run(var.set, value)
        work = asyncio.get_running_loop().create_task(
            called(), name=f"{self.call_name}-{first}", context=context
        )
        shared.calls.add(work)
        shared.started += 1
        work.add_done_callback(lambda done: self._ended(shared, done))
        try:
            result = await asyncio.shield(work)
        except asyncio.CancelledError:
            caller = asyncio.current_task()
            if (
                work.done()
                and shared.terminated is not None
                and not (caller is not None and caller.cancelling())
            ):
                await _until_settled(shared)  # every other call ends first
                raise shared.terminated from None
            if not work.cancelling():
                work.cancel()  # the caller was cancelled: its own call ends its own way
            await _finished(work)
            await _closed(shared)
            raise
        except Exception:
            # This call's own outcome (QueueTimeout, AmbiguousSubmission...): its caller's only.
            await _closed(shared)
            raise
        except BaseException as error:
            if shared.terminated is None:
                # Not raised in this call (``_ended`` would have stopped the others): Prefect
                # raised the SIGTERM in this caller as it resumed. It stops every call all the
                # same; else this caller would wait for the others to end of themselves (a
                # wait: the whole generation) and, the task run held open by a batch whose
                # rows wait for this one, forever.
                self._terminate(shared, error)
            await _until_settled(shared)  # the others end first
            raise
        await _closed(shared)
        return result

    def _join(self, first: str) -> SharedCalls:
        shared = self._shared
        if shared is None or shared.closed:
            shared = self._shared = SharedCalls(first)
            shared.runner = asyncio.get_running_loop().create_task(
                self._run(shared), name=f"{self.runner_name} (first {first})"
            )
        shared.members += 1
        return shared

    def _leave(self, shared: SharedCalls) -> None:
        shared.members -= 1
        if shared.members <= 0 and not self._kept_open(shared):
            self._close(shared)

    def _kept_open(self, shared: SharedCalls) -> bool:
        """Left open while idle: its flow run holds its shared task runs
        (``shared_task_runs_held``), and its callers are under no Prefect tags.

        A task run holds a concurrency slot of each of its tags (Prefect's tag concurrency
        limits) while it lasts: one kept open idle would keep that slot from every other task
        run of the tag for the whole batch, other flow runs' included, and with a limit of 1
        from the ``runway-wait`` task run its own rows need next, which hung the batch.
        """
        return shared is self._shared and not self._key[2] and _held(self._key[:2])

    def _close(self, shared: SharedCalls) -> None:
        shared.closed = True  # a call joining from now on starts a new task run
        if self._shared is shared:
            self._shared = None
        shared.changed.set()
        self._forget()

    def _release(self) -> asyncio.Task[None] | None:
        """Once no longer held: close the idle task run; the runner to await for its end."""
        shared = self._shared
        if shared is None or shared.members > 0:
            return None  # the last call to leave closes it
        self._close(shared)
        return shared.runner

    def _ended(self, shared: SharedCalls, work: asyncio.Task[Any]) -> None:
        shared.calls.discard(work)
        error = None if work.cancelled() else work.exception()  # retrieved: never logged
        if error is not None and not isinstance(error, Exception):
            self._terminate(shared, error)  # a SIGTERM in this call stops the others
        self._leave(shared)

    def _terminate(self, shared: SharedCalls, error: BaseException) -> None:
        """Stop every call of ``shared`` (its body does, then ends); a later call starts a
        new task run."""
        shared.terminate(error)
        if self._shared is shared:
            self._shared = None
            self._forget()  # whoever leaves last finds it closed already

    async def _run(self, shared: SharedCalls) -> None:
        try:
            await self._task_run(shared)
        except BaseException as error:
            if not shared.context.done():  # the task run never started: the calls neither
                # Every caller gets what stopped it: a SIGTERM as itself (not wrapped in a
                # RuntimeError), a cancellation as a cancellation.
                if isinstance(error, asyncio.CancelledError):
                    shared.context.cancel()
                else:
                    shared.context.set_exception(error)
            if not isinstance(error, Exception) or shared.calls:
                shared.terminate(error)
            if self._shared is shared:
                self._shared = None
                self._forget()
            if not shared.stopped:
                await shared.stop_all()
        finally:
            shared.settled.set()


@contextlib.asynccontextmanager
async def shared_task_runs_held() -> AsyncIterator[None]:
    """Keep the current flow run's shared task runs open until the block ends.

    Without it, a shared task run ends when its last call in flight does, and the next call
    starts another: a batch whose rows submit one at a time (a slot freed, the next row
    submits) would start a ``runway-submit`` task run per row. Held, each kind has one task run
    from the block's first call to its end (a SIGTERM or a cancellation of one still stops it,
    and the next call starts a new one). Callers under Prefect tags (``prefect.tags``) are not
    held: their task runs hold their tags' concurrency slots, which an idle one must not keep.
    On leaving, every idle one is ended and awaited (within the clean-up grace, when the caller
    is cancelled meanwhile), so the flow run that returns next leaves none open.

    Example:
        ```python
        async with shared_task_runs_held():
            await asyncio.gather(*(generate(spec, ...) for spec in specs))
        ```
    """
    scope = _scope()
    holds = _holds.setdefault(asyncio.get_running_loop(), collections.Counter())
    holds[scope] += 1
    try:
        yield
    finally:
        holds[scope] -= 1
        if holds[scope] <= 0:
            del holds[scope]
            runners = [
                runner
                for kind in SharedTaskRun._kinds
                for key, handle in list(kind._by_loop.get(asyncio.get_running_loop(), {}).items())
                if key[:2] == scope and (runner := handle._release()) is not None
            ]
            if runners:
                await uninterrupted(asyncio.wait(runners))
