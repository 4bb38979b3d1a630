"""How an upstream pipeline announces new assets, so a triggered batch generates them.

The ``on-assets-ready`` deployment (``deployments/prefect.yaml``) runs the batch flow when a
``media.assets.ready`` event arrives whose resource id starts with ``media.assets.``; the
event's payload names the manifest (and optionally the key prefix).

Three ways to start a run from upstream, from least to most coupled:

1. From a Prefect flow or task: ``announce_assets_ready`` (emits the event with Prefect's
   client, which the run's API settings already point at).
2. From any process (a cron job, another orchestrator, a shell): ``post_assets_ready`` sends the
   same event with a plain HTTP POST to the server's ``/api/events``.
3. From Python with API access, without events: ``run_deployment("runway-batch/batch",
   parameters={...}, timeout=0, idempotency_key="<upstream batch id>")``; the key makes a
   retried trigger start one run, not two.

Example:
    ```python
    from prefect_runway.deployments.announce import post_assets_ready

    post_assets_ready(
        "http://prefect.internal:4200/api",
        manifest="s3://inbox/2026-11-22.jsonl",
        batch_id="2026-11-22",
    )
    ```
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from prefect.events import Event, emit_event

__all__ = ["ASSETS_READY", "announce_assets_ready", "assets_ready_event", "post_assets_ready"]

ASSETS_READY = "media.assets.ready"


def assets_ready_event(manifest: str, batch_id: str, prefix: str = "batch") -> dict[str, Any]:
    """The event as JSON: resource ``media.assets.<batch_id>``, payload manifest and prefix."""
    return {
        "id": str(uuid.uuid4()),
        "occurred": datetime.now(UTC).isoformat(),
        "event": ASSETS_READY,
        "resource": {"prefect.resource.id": f"media.assets.{batch_id}"},
        "payload": {"manifest": manifest, "prefix": prefix},
    }


def announce_assets_ready(manifest: str, batch_id: str, prefix: str = "batch") -> Event | None:
    """Emit ``media.assets.ready`` from Prefect code (returns None when no API is configured)."""
    event = assets_ready_event(manifest, batch_id, prefix)
    return emit_event(event["event"], resource=event["resource"], payload=event["payload"])


def post_assets_ready(
    api_url: str,
    manifest: str,
    batch_id: str,
    prefix: str = "batch",
    *,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """POST ``media.assets.ready`` to a Prefect server's events API from any process.

    Args:
        api_url: The server's API URL (``PREFECT_API_URL``), e.g. ``http://host:4200/api``.
        manifest: The manifest's URI (``s3://...``) or a path the workers can read.
        batch_id: The upstream batch's id (the event's resource is ``media.assets.<id>``).
        prefix: Key prefix for the outputs.
        headers: Extra headers, e.g. an ``Authorization`` for a server behind a proxy.
        timeout: Seconds to wait for the server.

    Returns:
        The event that was sent.

    Raises:
        httpx.HTTPStatusError: the server refused it.
    """
    event = assets_ready_event(manifest, batch_id, prefix)
    response = httpx.post(
        f"{api_url.rstrip('/')}/events", json=[event], headers=headers, timeout=timeout
    )
    response.raise_for_status()
    return event
