"""The failure matrix of DESIGN.md: what the client does when an HTTP call goes wrong.

This is the only HTTP retry layer in the project. Creates are special: Runway has no idempotency
key, so a create is repeated only when it provably never reached Runway (the connection was
never made, or the request was never fully written), or when Runway said it did not act on it
(503: load shed; 408: never read; 429: not accepted). Anything after the request was sent is an
``AMBIGUOUS`` submission.

| what happened                              | create       | poll, delete  | download      |
|--------------------------------------------|--------------|---------------|---------------|
| connect error, or request not fully sent   | retry        | retry         | retry         |
| request refused locally (invalid header)   | fail         | fail          | fail          |
| read timeout or reset after sending        | ambiguous    | retry         | retry         |
| 500, 502, 504 and other 5xx                | ambiguous    | retry         | retry         |
| 503, 408                                   | retry        | retry         | retry         |
| 429                                        | check quota  | retry         | retry         |
| 400, 401, 403, 422, other 4xx              | fail         | fail          | refresh links |
| 404                                        | fail         | not found     | refresh links |

*check quota*: a 429 on a create proves nothing was created, so a retry cannot pay twice. The
client reads ``GET /v1/organization``: when the model's ``dailyGenerations`` has reached its
``maxDailyGenerations`` it fails at once (``DailyLimitReached``, naming model, limit and
usage); otherwise it retries with backoff, honouring ``Retry-After``, within the same bounded
budget as every retry, then fails (``CreateRateLimited``). A provider without the organization
endpoint (CometAPI) is retried within the same bound, and the failure says the quota could not
be read.

Uploads and organization reads follow the poll column: they start nothing billable.
"""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass
from enum import StrEnum

import httpx

__all__ = [
    "Action",
    "Operation",
    "RetryPolicy",
    "judge_exception",
    "judge_status",
    "parse_retry_after",
]


class Operation(StrEnum):
    """The kinds of HTTP call, which the matrix treats differently."""

    CREATE = "create"
    POLL = "poll"
    DELETE = "delete"
    DOWNLOAD = "download"
    UPLOAD = "upload"
    READ = "read"


class Action(StrEnum):
    """What to do about one failed call."""

    RETRY = "retry"
    AMBIGUOUS = "ambiguous"
    FAIL = "fail"
    CHECK_QUOTA = "check_quota"
    NOT_FOUND = "not_found"
    REFRESH_LINKS = "refresh_links"


# The request never reached the server complete, so it cannot have been acted on.
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    # A failed write means the body was not fully delivered; an HTTP server does not act on
    # a request whose body it has not received.
    httpx.WriteError,
    httpx.WriteTimeout,
)


def judge_exception(operation: Operation, error: httpx.TransportError) -> Action:
    """The action for a transport error (no HTTP status was received).

    Example:
        >>> judge_exception(Operation.CREATE, httpx.ReadTimeout("timed out"))
        <Action.AMBIGUOUS: 'ambiguous'>
        >>> judge_exception(Operation.CREATE, httpx.ConnectError("refused"))
        <Action.RETRY: 'retry'>
    """
    if isinstance(error, httpx.LocalProtocolError):
        # h11 refused to write the request (an invalid header value, for one): nothing was
        # sent, and sending it again would be refused the same way.
        return Action.FAIL
    if isinstance(error, _NOT_SENT):
        return Action.RETRY
    if operation is Operation.CREATE:
        return Action.AMBIGUOUS
    return Action.RETRY


def judge_status(operation: Operation, status: int) -> Action | None:
    """The action for an HTTP status, or None when the call succeeded.

    Example:
        >>> judge_status(Operation.CREATE, 502)
        <Action.AMBIGUOUS: 'ambiguous'>
        >>> judge_status(Operation.POLL, 502)
        <Action.RETRY: 'retry'>
    """
    if status < 400:
        return None
    if status in (503, 408):
        return Action.RETRY
    if status == 429:
        # Not accepted, so nothing was created: retry, unless the daily quota is used up.
        return Action.CHECK_QUOTA if operation is Operation.CREATE else Action.RETRY
    if status >= 500:
        return Action.AMBIGUOUS if operation is Operation.CREATE else Action.RETRY
    if operation is Operation.DOWNLOAD:
        return Action.REFRESH_LINKS
    if status == 404 and operation in (Operation.POLL, Operation.DELETE):
        return Action.NOT_FOUND
    return Action.FAIL


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), or None.

    Example:
        >>> parse_retry_after("2.5")
        2.5
    """
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = parsed.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long the client retries what the matrix calls retryable.

    The delay before retry ``n`` (from 1) is ``min(max_delay, base_delay * 2**(n-1))`` with
    full jitter down to half of it, unless the server sent ``Retry-After``, which is honoured up
    to ``max_retry_after`` seconds.

    Attributes:
        max_attempts: Attempts per call, the first included.
        base_delay: Seconds before the first retry (before jitter).
        max_delay: Cap on the backoff delay.
        max_retry_after: Cap on an honoured ``Retry-After``.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def delay(self, retry_number: int, retry_after: float | None = None) -> float:
        """Seconds to sleep before retry number ``retry_number`` (1 for the first retry)."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        backoff = min(self.max_delay, self.base_delay * 2.0 ** (retry_number - 1))
        return backoff * (0.5 + random.random() / 2)
