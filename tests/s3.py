"""S3 for tests: one moto server for the session (``prefect_runway.testing.s3``), a fresh bucket
per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prefect_aws import S3Bucket

from prefect_runway.testing.s3 import MotoServer

__all__ = ["MotoServer", "s3_bucket", "s3_server"]


@pytest.fixture(scope="session")
def s3_server() -> Iterator[MotoServer]:
    """One moto server for the session (it takes a second or two to import and start)."""
    with MotoServer() as server:
        yield server


@pytest.fixture
def s3_bucket(s3_server: MotoServer) -> S3Bucket:
    """A fresh, empty bucket whose outputs go under ``runway-out/``."""
    return s3_server.new_bucket()
