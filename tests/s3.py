"""S3 for tests: one moto server for the session (``prefect_runway.testing.s3``), a fresh bucket
per test."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from prefect_aws import S3Bucket

from prefect_runway.testing.s3 import MotoServer

__all__ = ["LostAnswers", "MotoServer", "s3_bucket", "s3_server"]


@pytest.fixture(scope="session")
def s3_server() -> Iterator[MotoServer]:
    """One moto server for the session (it takes a second or two to import and start)."""
    with MotoServer() as server:
        yield server


@pytest.fixture
def s3_bucket(s3_server: MotoServer) -> S3Bucket:
    """A fresh, empty bucket whose outputs go under ``runway-out/``."""
    return s3_server.new_bucket()


class LostAnswers:
    """S3 writes that reach S3 and then lose their answer, as a dropped connection does.

    On botocore's ``before-send`` event of the client, the first attempt of a matching call is
    sent to S3 for real and its answer thrown away; the hook then raises
    ``ConnectionClosedError``, which botocore retries: the retry of a conditional write meets
    the write it already made (412).

    Example:
        ```python
        with LostAnswers(client, "PutObject", lambda key: "/ledger/" in key, times=1) as lost:
            ...
        assert lost.lost == 1
        ```
    """

    def __init__(
        self,
        client: Any,
        operation: str,
        matches: Callable[[str], bool] = lambda _key: True,
        *,
        times: int = 1,
    ) -> None:
        from botocore.httpsession import URLLib3Session

        self._client = client
        self._operation = operation
        self._matches = matches
        self._left = times
        self._session = URLLib3Session()
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self.lost = 0

    def __enter__(self) -> LostAnswers:
        self._client.meta.events.register(
            f"before-send.s3.{self._operation}", self._before_send, unique_id="lost-answers"
        )
        return self

    def __exit__(self, *_: object) -> None:
        self._client.meta.events.unregister(
            f"before-send.s3.{self._operation}", unique_id="lost-answers"
        )

    def _before_send(self, request: Any, **_: Any) -> None:
        from urllib.parse import unquote, urlsplit

        from botocore.exceptions import ConnectionClosedError

        key = unquote(urlsplit(request.url).path)
        invocation = str((request.context.get("retries") or {}).get("invocation-id"))
        with self._lock:
            if self._left <= 0 or invocation in self._seen or not self._matches(key):
                return None
            self._left -= 1
            self._seen.add(invocation)
        self._session.send(request)  # it reaches S3 and is applied...
        with self._lock:
            self.lost += 1
        raise ConnectionClosedError(endpoint_url=request.url)  # ...and its answer is lost
