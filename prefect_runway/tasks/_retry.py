"""Retrying an idempotent write to the destination storage over a brief outage.

botocore already retries each S3 call a few times within about a second; a ledger record or a
sidecar is worth more patience than that: losing one loses a paid task id, or leaves a stored
output looking unstored. The writes retried here replace a whole object with the same bytes,
so repeating them is safe.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["STORAGE_ATTEMPTS", "retry_storage"]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

#: Attempts of one write, the first included (each is itself retried by botocore).
STORAGE_ATTEMPTS = 5
_BASE_DELAY = 0.5
_MAX_DELAY = 8.0


async def retry_storage(
    write: Callable[[], Awaitable[_T]],
    *,
    what: str,
    permanent: Callable[[Exception], bool] = lambda _: False,
    attempts: int = STORAGE_ATTEMPTS,
) -> _T:
    """Await ``write()``, again after a failure, with backoff and jitter, up to ``attempts``.

    Args:
        write: The idempotent write.
        what: Named in the log line of each retry (no secrets: a key or a path).
        permanent: True for an error that repeating cannot fix (raised at once).
        attempts: Attempts in all.

    Example:
        ```python
        await retry_storage(lambda: bucket.awrite_path(path, body), what=path)
        ```
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return await write()
        except Exception as error:
            if permanent(error) or attempt >= attempts:
                raise
            delay = min(_MAX_DELAY, _BASE_DELAY * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)
            logger.warning(
                "writing %s failed (%s); retry %d of %d in %.1f s",
                what, type(error).__name__, attempt, attempts - 1, delay,
            )  # fmt: skip
            await asyncio.sleep(delay)
