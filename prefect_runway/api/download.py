"""Streaming an output URL, intact, across resets, truncation, 5xx and expired links.

Chunks are yielded as they arrive (constant memory) and hashed on the way. After a failure the
download resumes with a ``Range`` request; if the server answers 200 instead of 206, the download
restarts from byte 0 and skips what was already yielded, so the consumer never sees a byte twice
or out of place. A 4xx means the signed link expired: ``refresh`` is asked once for a new one.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx

from prefect_runway.api.errors import OutputDownloadFailed, OutputLinkRejected
from prefect_runway.api.failure_matrix import (
    Action,
    Operation,
    RetryPolicy,
    judge_status,
    parse_retry_after,
)
from prefect_runway.api.media import redact_url

__all__ = ["OutputStream"]

logger = logging.getLogger(__name__)

_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


class OutputStream:
    """One output URL as an async iterator of byte chunks, as they arrive from the network.

    Attributes:
        content_type: The ``Content-Type`` of the first answer, e.g. ``video/mp4``.
        size: The full length from ``Content-Length`` (or ``Content-Range``), if announced.
        received: Bytes yielded so far.
        resumes: Ranged requests answered 206.
        restarts: Ranged requests answered 200 (full body, already-yielded part skipped).
        refreshed: Whether the link was replaced after a 4xx.

    Example:
        >>> async def save(client, url, path):  # doctest: +SKIP
        ...     stream = client.output_stream(url)
        ...     with open(path, "wb") as file:
        ...         async for chunk in stream:
        ...             file.write(chunk)
        ...     return stream.sha256
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        url: str,
        *,
        retry: RetryPolicy,
        refresh: Callable[[], Awaitable[str]] | None = None,
    ) -> None:
        self._http = http
        self._url = url
        self._retry = retry
        self._refresh = refresh
        self._hash = hashlib.sha256()
        self.content_type: str | None = None
        self.size: int | None = None
        self.received = 0
        self.resumes = 0
        self.restarts = 0
        self.refreshed = False
        self.complete = False

    @property
    def sha256(self) -> str:
        """Hex sha256 of the bytes yielded so far (of the whole output once complete)."""
        return self._hash.hexdigest()

    @property
    def url(self) -> str:
        """The link in use, without its signature."""
        return redact_url(self._url)

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        failures = 0
        while not self.complete:
            progress_before = self.received
            retry_after: float | None = None
            try:
                async for chunk in self._one_request():
                    yield chunk
            except httpx.TransportError as error:
                cause = f"{type(error).__name__} after {self.received} bytes"
            except _Retryable as error:
                cause, retry_after = error.cause, error.retry_after
            else:
                continue
            if self.received > progress_before:
                failures = 0  # progress was made: the budget is for consecutive failures
            failures += 1
            if failures >= self._retry.max_attempts:
                raise OutputDownloadFailed(
                    url=self.url, cause=f"{cause} ({failures} attempts in a row)"
                ) from None
            delay = self._retry.delay(failures, retry_after)
            logger.info("download %s: %s; retrying in %.2f s", self.url, cause, delay)
            await asyncio.sleep(delay)

    async def _one_request(self) -> AsyncIterator[bytes]:
        headers = {"Accept-Encoding": "identity"}
        if self.received:
            headers["Range"] = f"bytes={self.received}-"
        async with self._http.stream("GET", self._url, headers=headers) as response:
            action = judge_status(Operation.DOWNLOAD, response.status_code)
            if action is Action.REFRESH_LINKS:
                await self._replace_link(response.status_code)
                raise _Retryable(f"link answered HTTP {response.status_code}; refreshed", 0.0)
            if action is not None:
                raise _Retryable(
                    f"HTTP {response.status_code}",
                    parse_retry_after(response.headers.get("Retry-After")),
                )
            skip = self._start(response)
            # Chunks as they come off the network: a re-chunking buffer would lose the bytes
            # before a reset, and the resume would start further back than it needs to.
            async for chunk in response.aiter_raw():
                if skip:
                    if len(chunk) <= skip:
                        skip -= len(chunk)
                        continue
                    chunk, skip = chunk[skip:], 0
                self.received += len(chunk)
                self._hash.update(chunk)
                yield chunk
            if skip:
                raise _Retryable("restarted body ended before the resume point", None)
            if self.size is not None and self.received != self.size:
                # httpx raises on a short body with Content-Length; this guards the rest.
                raise _Retryable(f"body ended at {self.received} of {self.size} bytes", None)
            self.complete = True

    def _start(self, response: httpx.Response) -> int:
        """Check the answer against what was already received; return how many bytes to skip."""
        length = response.headers.get("Content-Length")
        if self.received == 0:
            self.content_type = response.headers.get("Content-Type")
            if response.status_code == 206:
                match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
                total = match.group(3) if match else "*"
                self.size = int(total) if total != "*" else None
            else:
                self.size = int(length) if length is not None else None
            return 0
        if response.status_code == 206:
            match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
            if match and int(match.group(1)) == self.received:
                self.resumes += 1
                return 0
            raise _Retryable(
                f"206 for the wrong range {response.headers.get('Content-Range')!r}", None
            )
        # 200 to a Range request: the server sent everything again.
        full = int(length) if length is not None else None
        if self.size is not None and full is not None and full != self.size:
            raise OutputDownloadFailed(
                url=self.url, cause=f"the output changed size from {self.size} to {full} bytes"
            )
        self.restarts += 1
        logger.info(
            "download %s: server ignored Range; restarting, skipping %d bytes",
            self.url,
            self.received,
        )
        return self.received

    async def _replace_link(self, status: int) -> None:
        if self._refresh is None or self.refreshed:
            raise OutputLinkRejected(status_code=status, url=self.url)
        self._url = await self._refresh()
        self.refreshed = True
        logger.info("download: link answered HTTP %d; got a fresh link %s", status, self.url)


class _Retryable(Exception):
    def __init__(self, cause: str, retry_after: float | None) -> None:
        super().__init__(cause)
        self.cause = cause
        self.retry_after = retry_after
