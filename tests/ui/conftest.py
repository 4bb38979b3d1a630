"""The local stack (``python3 dev.py up``) for the UI and worker tests, and a browser.

Pointed at a running stack with ``RUNWAY_UI_STACK=<its folder>`` (for example
``.runway-stack`` after ``python3 dev.py up``), the tests use it and leave it running;
otherwise they start one in a temporary folder on free ports and stop it at the end, checking
that ``down`` left no process behind.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from prefect_runway.testing.stack import BUCKET, DEFAULT_PORTS, Stack, _alive, down, up

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "ui"
CHROMIUM = os.environ.get("RUNWAY_CHROMIUM", "/usr/bin/chromium")
# Chromium as root in a container, with nothing reaching for the network it does not have.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# Package scope: the stack (a Prefect server with its UI, a worker, the emulator, S3) serves
# both UI files, which run one after the other on one xdist worker (tests/conftest.py), and
# stops when they are done. At session scope it stayed up, idle, until that worker's last
# file: its server's loops took ~7% of a core for the rest of the run.
@pytest.fixture(scope="package")
async def ui_stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    pointed = os.environ.get("RUNWAY_UI_STACK")
    if pointed:
        stack = Stack.load(Path(pointed).resolve())
        assert stack is not None, f"no running stack in {pointed} (python3 dev.py up)"
        yield stack
        return
    folder = tmp_path_factory.mktemp("stack")
    ports = {name: _free_port() for name in DEFAULT_PORTS}
    # In a thread: `up` runs commands and an event loop of its own.
    stack = await asyncio.to_thread(up, folder, ports)
    try:
        yield stack
    finally:
        stopped = await asyncio.to_thread(down, folder)
        assert stopped, "down stopped nothing"
        assert not [pid for pid in stopped if _alive(pid)], "down left processes running"


class _RetryBusy(httpx.AsyncBaseTransport):
    """Asks again when the Prefect server is busy (503 on SQLite under load), as Prefect's own
    client does; each call here either changes nothing or is checked by its caller."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        for attempt in range(6):
            response = await self._inner.handle_async_request(request)
            if response.status_code not in (429, 502, 503) or attempt == 5:
                return response
            await response.aclose()
            await asyncio.sleep(1 + attempt)
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        await self._inner.aclose()


@pytest.fixture(scope="package")
async def api(ui_stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=ui_stack.api_url, timeout=30, transport=_RetryBusy()
    ) as client:
        yield client


@pytest.fixture(scope="package")
def s3(ui_stack: Stack) -> Any:
    return boto3.client(
        "s3", endpoint_url=ui_stack.s3_url, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip


async def deployment_ids(api: httpx.AsyncClient) -> dict[str, str]:
    """``flow-name/deployment-name`` -> deployment id, for every deployment of the stack."""
    flows = {f["id"]: f["name"] for f in (await api.post("/flows/filter", json={})).json()}
    return {
        f"{flows[d['flow_id']]}/{d['name']}": d["id"]
        for d in (await api.post("/deployments/filter", json={})).json()
    }


async def wait_for_run(
    api: httpx.AsyncClient, flow_run_id: str, patience: float = 300
) -> dict[str, Any]:
    deadline = time.monotonic() + patience
    while True:
        run: dict[str, Any] = (await api.get(f"/flow_runs/{flow_run_id}")).json()
        if run.get("state") and run["state"]["type"] in TERMINAL:
            return run
        assert time.monotonic() < deadline, f"flow run {flow_run_id} is {run.get('state')}"
        await asyncio.sleep(1)


def stored_keys(s3: Any, prefix: str) -> list[str]:
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return sorted(item["Key"] for item in listed)
