"""Run the emulator: in a background thread (:class:`RunwayEmulator`) or in the foreground.

:class:`RunwayEmulator` serves the app with uvicorn on its own event loop in a daemon thread,
so test code on any loop (or none) talks to it over real HTTP on loopback::

    with RunwayEmulator(EmulatorConfig(run_seconds=0.2)) as emu:
        httpx.get(f"{emu.base_url}/v1/tasks/...", headers={"Authorization": f"Bearer {emu.api_key}",
                                                          "X-Runway-Version": "2024-11-06"})
        emu.stats()["creates_total"]

``async with RunwayEmulator(...)`` works too (start and stop run in a worker thread so the
caller's loop is not blocked).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, TypeVar

import uvicorn

from prefect_runway.testing.emulator.app import create_app
from prefect_runway.testing.emulator.config import EmulatorConfig
from prefect_runway.testing.emulator.faults import FaultPlan
from prefect_runway.testing.emulator.protocol import EmulatorH11Protocol
from prefect_runway.testing.emulator.state import EmulatorState

__all__ = ["RunwayEmulator", "bind_socket", "uvicorn_config"]

T = TypeVar("T")
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind a listening TCP socket (port 0: the OS picks a free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto given explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto is
    # IPPROTO_TCP, and without it every small answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def uvicorn_config(state: EmulatorState, *, log_level: str = "warning") -> uvicorn.Config:
    """The uvicorn settings the emulator runs with (shared by the thread and the CLI)."""
    return uvicorn.Config(
        create_app(state),
        http=EmulatorH11Protocol,
        ws="none",
        lifespan="off",
        # Leave the host application's logging alone.
        log_config=None,
        log_level=log_level,
        access_log=False,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=1,
    )


class RunwayEmulator:
    """A Runway-compatible server on loopback, for tests, the demo and benchmarks.

    Args:
        config: How it behaves; defaults suit fast tests.
        clock: The monotonic clock the task schedule follows (default ``time.monotonic``).
            Tests pass a clock they advance by hand to observe each status deterministically;
            it must be safe to call from the server thread.

    Attributes:
        config: The config it was started with.
    """

    def __init__(
        self, config: EmulatorConfig | None = None, *, clock: Callable[[], float] | None = None
    ) -> None:
        self.config = config or EmulatorConfig()
        self._clock = clock or time.monotonic
        self._state: EmulatorState | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._socket: socket.socket | None = None
        self._failure: BaseException | None = None
        self._port: int | None = None

    # ------------------------------------------------------------------------------ running

    def start(self) -> RunwayEmulator:
        """Start serving; returns once the server accepts connections.

        Raises:
            RuntimeError: Already started, or the server did not come up.
            OSError: The port could not be bound.
        """
        if self._thread is not None:
            raise RuntimeError("the emulator is already running")
        sock = bind_socket(self.config.host, self.config.port)
        self._socket = sock
        self._port = sock.getsockname()[1]
        state = EmulatorState(self.config, clock=self._clock)
        self._state = state
        server = uvicorn.Server(uvicorn_config(state))
        self._server = server
        self._thread = threading.Thread(
            target=self._run,
            args=(server, sock),
            name=f"runway-emulator-{self._port}",
            daemon=True,
        )
        self._thread.start()
        # uvicorn sets ``started`` once it listens; poll it with a deadline.
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        if not server.started:
            self.stop()
            raise RuntimeError("the emulator did not start") from self._failure
        return self

    def _run(self, server: uvicorn.Server, sock: socket.socket) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.serve(sockets=[sock]))
        except BaseException as error:  # reported by start() or stop()
            self._failure = error
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                loop.close()

    def stop(self) -> None:
        """Stop serving and release the port and threads. Safe to call twice."""
        server, thread = self._server, self._thread
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(STOP_TIMEOUT)
            if thread.is_alive():  # pragma: no cover - a hung app
                if server is not None:
                    server.force_exit = True
                thread.join(STOP_TIMEOUT)
        if self._socket is not None:
            self._socket.close()
        if self._state is not None:
            self._state.close()
        self._server = self._thread = self._loop = self._socket = None
        self._state = None

    def __enter__(self) -> RunwayEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> RunwayEmulator:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    # ---------------------------------------------------------------------------- identity

    @property
    def running(self) -> bool:
        """Whether the server thread is up."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def port(self) -> int:
        """The TCP port it listens on."""
        if self._port is None:
            raise RuntimeError("the emulator is not running")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://<host>:<port>``, what a client uses as its base URL."""
        host = self.config.host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @property
    def api_key(self) -> str:
        """The key the API accepts."""
        return self.config.api_key

    @property
    def state(self) -> EmulatorState:
        """The live state (touch it only through :meth:`call` from another thread)."""
        if self._state is None:
            raise RuntimeError("the emulator is not running")
        return self._state

    # ------------------------------------------------------------------------------- admin

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        """Run ``coroutine`` on the server's loop (where the state lives) and return its result."""
        loop = self._loop
        if loop is None or not self.running:
            coroutine.close()
            raise RuntimeError("the emulator is not running")
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout)

    def stats(self) -> dict[str, Any]:
        """The counters of ``GET /_emulator/stats``."""
        state = self.state

        async def read() -> dict[str, Any]:
            return state.stats()

        return self.call(read())

    def task(self, task_id: str) -> dict[str, Any]:
        """The internal record of ``GET /_emulator/tasks/{id}``.

        Raises:
            KeyError: No task has that id.
        """
        record = self.call(self.state.task_record(task_id))
        if record is None:
            raise KeyError(task_id)
        return record

    def set_faults(self, plan: FaultPlan) -> None:
        """Replace the fault plan."""
        state = self.state

        async def apply() -> None:
            state.faults.set_plan(plan)

        self.call(apply())

    def configure(self, **changes: Any) -> EmulatorConfig:
        """Change settings while running (as ``POST /_emulator/config``); returns the new config."""
        state = self.state

        async def apply() -> EmulatorConfig:
            return state.update_config(changes)

        return self.call(apply())

    def reset(self) -> None:
        """Forget tasks, uploads, counters and faults; restore the starting config."""
        state = self.state

        async def apply() -> None:
            state.reset()

        self.call(apply())
