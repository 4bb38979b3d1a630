"""An in-memory Prefect global concurrency limit: the three lease endpoints ``GlobalSlots`` calls.

Same rules as Prefect's server (``prefect/server/api/concurrency_limits_v2.py``): a slot is
granted all-or-nothing with a lease, ``423 Locked`` with ``Retry-After`` when the limit is
full, ``decrement-with-lease`` frees a lease's slot once (a second call is a no-op),
``renew`` answers ``410 Gone`` for a lease it does not hold. Faults are scripted per call:
``"before"`` fails before the server acts (a connect error), ``"lost"`` acts and loses the
answer (a reset after sending), ``"5xx"`` answers 503 without acting. Each client view counts
its calls in flight, so a test can assert how many acquisitions one run keeps at once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx

BASE = "http://prefect.test/api"


def _raise_for(status: int, path: str, headers: dict[str, str] | None = None) -> None:
    request = httpx.Request("POST", f"{BASE}{path}")
    response = httpx.Response(status, headers=headers or {}, request=request)
    raise httpx.HTTPStatusError(f"{status}", request=request, response=response)


@dataclass
class LeaseServer:
    """One limit's books: the leases held, the calls made, the faults to play.

    Attributes:
        limit: Slots the limit allows.
        leases: Live leases (lease id -> the client view that acquired it).
        most_active: The most slots held at once.
        lost_grants: Leases granted whose answer was lost (no client can give them back).
        calls: Calls per endpoint and outcome, e.g. ``("increment", "granted")``.
    """

    limit: int
    retry_after: float = 0.001
    leases: dict[UUID, str] = field(default_factory=dict)
    most_active: int = 0
    lost_grants: set[UUID] = field(default_factory=set)
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    # Next fault per endpoint, popped per call; None means answer normally.
    faults: Callable[[str], str | None] = lambda endpoint: None
    # Event-loop turns each call takes (interleavings): a function of the endpoint.
    latency: Callable[[str], int] = lambda endpoint: 0
    deleted: bool = False
    # Leases no client will give back (grant lost, release failed): they expire in time.
    stranded: set[UUID] = field(default_factory=set)
    expired: set[UUID] = field(default_factory=set)

    @property
    def active(self) -> int:
        return len(self.leases)

    def client(self, name: str) -> LeaseClientView:
        return LeaseClientView(self, name)

    def expire(self, lease: UUID) -> None:
        """The lease ran out (its holder stopped renewing)."""
        if self.leases.pop(lease, None) is not None:
            self.expired.add(lease)


@dataclass
class LeaseClientView:
    """One process's Prefect client on the server: the calls ``GlobalSlots`` makes."""

    server: LeaseServer
    name: str
    in_flight: int = 0
    most_in_flight: int = 0

    async def _turns(self, endpoint: str) -> str | None:
        for _ in range(self.server.latency(endpoint)):
            await asyncio.sleep(0)
        fault = self.server.faults(endpoint)
        if fault == "before":
            raise httpx.ConnectError("connection refused")
        if fault == "5xx":
            self.server.calls[(endpoint, "5xx")] += 1
            _raise_for(503, f"/{endpoint}")
        return fault

    async def increment_concurrency_slots_with_lease(
        self, names: list[str], slots: int, mode: Any, lease_duration: float
    ) -> httpx.Response:
        assert slots == 1 and mode == "concurrency" and lease_duration >= 60
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            fault = await self._turns("increment")
            server = self.server
            if server.deleted:
                server.calls[("increment", "no limit")] += 1
                return httpx.Response(200, json={"lease_id": str(uuid.uuid4()), "limits": []})
            stranded = [lease for lease in server.leases if lease in server.stranded]
            if server.active + slots > server.limit and stranded:
                # Time passes while the limit is full: a lease no client can give back (its
                # grant's answer lost, its release never arrived) runs out, as on the server.
                server.expire(stranded[0])
            if server.active + slots > server.limit:
                server.calls[("increment", "denied")] += 1
                _raise_for(423, "/increment", {"Retry-After": str(server.retry_after)})
            lease = uuid.uuid4()
            server.leases[lease] = self.name
            server.most_active = max(server.most_active, server.active)
            if fault == "lost":
                server.lost_grants.add(lease)
                server.stranded.add(lease)
                server.calls[("increment", "lost")] += 1
                raise httpx.ReadError("connection reset after the request was sent")
            server.calls[("increment", "granted")] += 1
            limit = {"id": str(uuid.uuid4()), "name": names[0], "limit": server.limit}
            return httpx.Response(200, json={"lease_id": str(lease), "limits": [limit]})
        finally:
            self.in_flight -= 1

    async def renew_concurrency_lease(
        self, lease_id: UUID, lease_duration: float
    ) -> httpx.Response:
        await self._turns("renew")
        if lease_id not in self.server.leases:
            _raise_for(410, "/renew")
        self.server.calls[("renew", "ok")] += 1
        return httpx.Response(204)

    async def release_concurrency_slots_with_lease(self, lease_id: UUID) -> httpx.Response:
        try:
            fault = await self._turns("release")
        except httpx.HTTPError:
            if lease_id in self.server.leases:
                self.server.stranded.add(lease_id)
            raise
        self.server.leases.pop(lease_id, None)
        self.server.calls[("release", "ok")] += 1
        if fault == "lost":
            raise httpx.ReadError("connection reset after the request was sent")
        return httpx.Response(204)
