"""uvicorn's h11 protocol, extended so the app can break its own connection on purpose.

Faults need what ASGI cannot express: drop the TCP connection with a reset (RST) instead of
answering, or close it in the middle of a body. Each connection registers itself by its
``(client, server)`` addresses, which the app finds in the ASGI scope.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import MutableMapping
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["EmulatorH11Protocol", "connection_for"]

_Key = tuple[Any, Any]
# Shared by every emulator in the process; keys include the server address, so they do not
# collide. Dict operations are atomic under the GIL, and each server's loop only touches
# its own connections.
_CONNECTIONS: MutableMapping[_Key, EmulatorH11Protocol] = {}


def _key(client: Any, server: Any) -> _Key:
    return (tuple(client) if client else None, tuple(server) if server else None)


class EmulatorH11Protocol(H11Protocol):
    """An ``H11Protocol`` that can be reset or closed by the application."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        _CONNECTIONS[_key(self.client, self.server)] = self

    def connection_lost(self, exc: Exception | None) -> None:
        key = _key(self.client, self.server)
        if _CONNECTIONS.get(key) is self:
            del _CONNECTIONS[key]
        super().connection_lost(exc)

    def _forget_cycle(self) -> None:
        # uvicorn logs "ASGI callable returned without starting response" (and writes a 500)
        # unless the cycle is marked disconnected; it is, on purpose.
        if self.cycle is not None:
            self.cycle.disconnected = True

    def reset(self) -> None:
        """Abort the connection with a TCP reset; nothing buffered is sent."""
        self._forget_cycle()
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            # Linger on, timeout 0: close() sends RST instead of FIN.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()

    def close_after_flush(self) -> None:
        """Close the connection normally (FIN) once what was written has been sent."""
        self._forget_cycle()
        self.transport.close()

    @property
    def closing(self) -> bool:
        """Whether the peer went away (or the connection is being closed)."""
        transport: asyncio.Transport = self.transport
        return transport.is_closing()


def connection_for(scope: MutableMapping[str, Any]) -> EmulatorH11Protocol | None:
    """The connection an ASGI request arrived on, if it is served by this protocol."""
    return _CONNECTIONS.get(_key(scope.get("client"), scope.get("server")))
