"""Child process: one run of prefect-runway's batch flow (flows/batch.py) against a Prefect server.

``python -m bench.ours --manifest rows.jsonl --destination-block b --credentials-block c
--prefix p --result out.json [--profile out.prof]``. PREFECT_API_URL names the server. Writes
wall, CPU and peak RSS of this process and the batch's counts to ``--result``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import re
import time

from bench.common import (
    CONCURRENCY,
    POLL_INTERVAL,
    Counts,
    Meter,
    cpu_seconds,
    profiled,
    write_result,
)

STARTED = time.time()


def _count_requests() -> collections.Counter[str]:
    """Count every httpx request by host and path shape (ids folded), to name the chatty calls.

    Counted at the transport: the Runway client sends its polls there, not through
    ``AsyncClient.send``.
    """
    import httpx

    counts: collections.Counter[str] = collections.Counter()
    original = httpx.AsyncHTTPTransport.handle_async_request
    ident = re.compile(r"/[0-9a-f]{8}-[0-9a-f-]{27,}|/[0-9]+(?=/|$)")

    async def send(self: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
        path = ident.sub("/{id}", request.url.path)
        counts[f"{request.method} {request.url.port} {path}"] += 1
        return await original(self, request)

    httpx.AsyncHTTPTransport.handle_async_request = send  # type: ignore[method-assign]
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--destination-block", required=True)
    parser.add_argument("--credentials-block", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--result", required=True)
    parser.add_argument("--profile")
    parser.add_argument("--phases", action="store_true", help="time the steps (no profiler)")
    parser.add_argument("--poll-interval", type=float, default=POLL_INTERVAL)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--queue-ahead", type=int, help="default: the batch's own default")
    args = parser.parse_args()
    timed = bool(args.profile or args.phases)

    counts = _count_requests() if args.profile else None
    from prefect_runway.flows.batch import batch

    tallies = Counts().install(events=True)

    if timed:
        from bench import phases

        phases.install()

    imported = time.time()
    import_cpu = cpu_seconds()

    async def run() -> dict[str, object]:
        report = await batch(
            manifest=args.manifest,
            destination_block=args.destination_block,
            credentials_block=args.credentials_block,
            prefix=args.prefix,
            concurrency_per_model=args.concurrency,
            poll_interval=args.poll_interval,
            **({} if args.queue_ahead is None else {"queue_ahead": args.queue_ahead}),
        )
        return {"succeeded": report.succeeded, "failed": report.failed, "rows": report.rows}

    meter = Meter()
    if args.profile:
        report = profiled(args.profile, run)
    else:
        report = asyncio.run(run())
    write_result(
        args.result,
        meter.result(
            **report,
            process_start=STARTED,
            imported_at=imported,
            import_cpu=import_cpu,
            requests=dict(counts) if counts is not None else None,
            phases=phases.summary() if timed else None,
            # The steps of the run's first 60 s (its head: plan, claims, first POSTs).
            phase_events=phases.timeline(meter.wall_start, 60.0) if timed else None,
            **tallies.result(),
        ),
    )


if __name__ == "__main__":
    main()
