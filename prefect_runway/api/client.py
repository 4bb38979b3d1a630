"""An async client for Runway's API, with the failure matrix applied to every call.

Example:
    >>> import asyncio
    >>> from runway import RunwayClient, Gen4TurboImageToVideo
    >>> async def main() -> None:
    ...     async with RunwayClient(api_key="key_...") as client:
    ...         created = await client.create(
    ...             Gen4TurboImageToVideo(prompt_image="https://example.com/a.png", ratio="960:960")
    ...         )
    ...         task = await client.get_task(created.id)
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import weakref
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from pydantic import SecretStr, ValidationError

from prefect_runway.api.api_key import clean_api_key
from prefect_runway.api.download import OutputStream
from prefect_runway.api.errors import (
    AmbiguousSubmission,
    AuthenticationFailed,
    BadRequest,
    CreateRateLimited,
    DailyLimitReached,
    PermissionDenied,
    ProviderCapabilityMissing,
    RunwayAPIError,
    RunwayConnectionError,
    RunwayError,
    RunwayServerError,
    TaskNotFound,
    UnexpectedResponse,
)
from prefect_runway.api.failure_matrix import (
    Action,
    Operation,
    RetryPolicy,
    judge_exception,
    judge_status,
    parse_retry_after,
)
from prefect_runway.api.fields import GenerationRequestBase
from prefect_runway.api.organization import CreditUsage, Organization
from prefect_runway.api.providers import (
    API_VERSION,
    RUNWAY,
    Capability,
    ProviderProfile,
    TaskShape,
    unwrap_task,
)
from prefect_runway.api.task import CreatedTask, Task
from prefect_runway.api.uploads import UploadedFile, UploadForm, check_upload, form_body

__all__ = ["DEFAULT_CREATE_TIMEOUT", "DEFAULT_TIMEOUT", "RunwayClient"]

logger = logging.getLogger(__name__)

_M = TypeVar("_M", CreatedTask, Task, Organization, UploadForm, CreditUsage)

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
"""60 s per request, 5 s to connect (as the official SDK)."""

DEFAULT_CREATE_TIMEOUT = httpx.Timeout(120.0, connect=5.0)
"""A create waits 120 s for its answer: one that times out may have been billed with its task id
never known (``AmbiguousSubmission``), so it waits well beyond a create's usual second or two."""

# Anything that looks like an Authorization header's value, wherever an error quotes it.
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s'\"\\,;]+")

# Below the common 5 s server keep-alive, so a pooled connection is rarely reused just as the
# server closes it (which would look like a reset).
_KEEPALIVE_EXPIRY = 4.0

# Connections per httpcore pool of polls, deletes and reads. httpcore's pool tidies itself twice
# per request (when the request arrives and when its response closes) by walking every pooled
# connection, and for each idle one it polls the socket (a syscall) and counts every connection
# again: O(idle x pooled) per request. One pool of 100 connections, which a burst of polls fills
# and whose idle surplus lingers for the keep-alive, spent 70 % of a polling process's CPU there
# (BENCHMARKS.md 7.3, py-spy), and the slower each poll, the larger the bursts. Several small
# pools (httpx clients) with the same total keep that walk short; the client sends each request
# to the pool with the most free connections, which always has one.
_POOL_CONNECTIONS = 8


class RunwayClient:
    """Async client for Runway's generation API.

    Creates are sent once (see ``prefect_runway.api.failure_matrix``); polls, deletes,
    downloads and reads are retried with backoff and jitter, honouring ``Retry-After``.
    Errors never carry the key.

    Args:
        api_key: The Runway API key (a ``SecretStr`` or a plain string).
        provider: Where the API is served and what it offers.
        base_url: Overrides the provider's URL, for example an emulator's.
        api_version: The ``X-Runway-Version`` header.
        timeout: Per-request timeouts of polls, deletes, uploads and downloads.
        create_timeout: Timeouts of a create; its read timeout is how long an answer is awaited
            before the create counts as ambiguous.
        retry: Retry budget and backoff.
        max_connections: Connections for polls, deletes and reads (spread over pools of 8:
            httpcore's housekeeping per request grows with the square of a pool's size), and
            as many each for creates and for downloads; more requests than this at once wait
            their turn, in order, before reaching a pool.

    Raises:
        InvalidApiKey: the key is empty, not the provider's shape, or unfit for a header.
    """

    def __init__(
        self,
        api_key: SecretStr | str,
        *,
        provider: ProviderProfile = RUNWAY,
        base_url: str | None = None,
        api_version: str = API_VERSION,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        create_timeout: httpx.Timeout = DEFAULT_CREATE_TIMEOUT,
        retry: RetryPolicy | None = None,
        max_connections: int = 100,
    ) -> None:
        secret = clean_api_key(api_key, provider)
        self._secret = secret.get_secret_value()
        self.provider = provider
        self.base_url = (base_url or provider.base_url).rstrip("/")
        self.retry = retry or RetryPolicy()
        headers = {
            "Authorization": f"Bearer {secret.get_secret_value()}",
            "X-Runway-Version": api_version,
        }
        limits = httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=_KEEPALIVE_EXPIRY,
        )
        if max_connections < 1:
            raise ValueError(f"max_connections must be 1 or more; got {max_connections!r}")
        # One TLS context for every client below, made as httpx makes its own (certifi, or
        # SSL_CERT_FILE / SSL_CERT_DIR; certificates and host names verified): each client
        # would otherwise load the CA bundle itself, ~25 ms of CPU on the event loop apiece and
        # 15 of them at 100 connections, before a flow's first create (BENCHMARKS.md 7.7).
        tls = httpx.create_ssl_context()
        # Polls, deletes and reads: max_connections spread over pools of _POOL_CONNECTIONS.
        pools, rest = divmod(max_connections, _POOL_CONNECTIONS)
        sizes = [_POOL_CONNECTIONS] * pools + ([rest] if rest else [])
        self._api_pools = [
            httpx.AsyncClient(
                base_url=self.base_url,
                headers=headers,
                timeout=timeout,
                verify=tls,
                limits=httpx.Limits(
                    max_connections=size,
                    max_keepalive_connections=size,
                    keepalive_expiry=_KEEPALIVE_EXPIRY,
                ),
            )
            for size in sizes
        ]
        self._api_sizes = sizes
        self._api_busy = [0] * len(sizes)  # requests in flight per pool
        # Creates go out on fresh connections: a stale pooled connection that the server has
        # just closed fails like a reset after sending, which would make a good create look
        # ambiguous. One handshake per paid generation is cheap.
        self._creates = httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            timeout=create_timeout,
            verify=tls,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=0),
        )
        # Output links are signed URLs on a CDN: they must never receive the API key.
        self._downloads = httpx.AsyncClient(timeout=timeout, limits=limits, verify=tls)
        # Requests beyond the pool's size wait here, not in httpcore's pool: the pool matches
        # every queued request against every connection each time one frees (O(queued x
        # connections), encode/httpcore#1035), and a flow with 2,000 generations creating or
        # polling at once stalled on it (BENCHMARKS.md 7.3). A semaphore queues in O(1).
        # One pair per event loop: an asyncio.Semaphore belongs to the loop it first waits in.
        self._max_connections = max_connections
        self._slots: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[asyncio.Semaphore, asyncio.Semaphore]
        ] = weakref.WeakKeyDictionary()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pools."""
        await asyncio.gather(
            *(pool.aclose() for pool in self._api_pools),
            self._creates.aclose(),
            self._downloads.aclose(),
        )

    def __repr__(self) -> str:
        return f"RunwayClient(provider={self.provider.name!r}, base_url={self.base_url!r})"

    # -- API calls ---------------------------------------------------------------------------

    async def create(self, request: GenerationRequestBase) -> CreatedTask:
        """Start a generation on the request's endpoint (any model of the catalogue).

        The request is sent at most once unless it provably never reached Runway.

        A 429 proves nothing was created, so it is retried within the retry budget (honouring
        ``Retry-After``) unless ``GET /v1/organization`` shows the model's daily quota used up.

        Returns:
            The task id and the estimated cost.

        Raises:
            AmbiguousSubmission: the request may have been accepted (and billed) but no
                answer came back; it was not sent again.
            DailyLimitReached: 429, and the organization shows the model's daily quota used up.
            CreateRateLimited: 429 on every attempt of the retry budget, the quota not shown
                used up (or, on a provider without the organization endpoint, unknown).
            BadRequest: Runway refused the request (its ``error`` and ``issues`` attached).
            RunwayConnectionError: Runway could not be reached at all.
            ProviderLimitExceeded: the provider's own limits refuse the request (nothing sent).
            ProviderCapabilityMissing: the provider does not serve the request's endpoint
                (nothing sent).
        """
        operation = f"create {request.endpoint} ({request.model})"
        if not self.provider.serves(request.endpoint):
            raise ProviderCapabilityMissing(
                provider=self.provider.name, capability=f"POST /{request.endpoint}"
            )
        self.provider.check(request)
        path = self.provider.path(request.endpoint)
        response = await self._call(
            Operation.CREATE, operation, "POST", path, json=request.to_api(), model=request.model
        )
        return self._parse(CreatedTask, response, operation)

    async def get_task(self, task_id: str) -> Task:
        """A task's current state.

        Raises:
            TaskNotFound: the task does not exist, or was deleted or cancelled.
        """
        operation = f"get task {task_id}"
        response = await self._call(
            Operation.POLL, operation, "GET", self.provider.path("tasks", task_id)
        )
        if self.provider.task_shape is TaskShape.BARE:
            return self._parse(Task, response, operation)
        body = _error_body(response)
        code = body.get("code")
        if code in self.provider.not_found_codes:
            raise TaskNotFound(status_code=response.status_code, operation=operation, error=code)
        if code is not None and code != "success":
            raise UnexpectedResponse(operation=operation, detail=f"gateway answered code {code!r}")
        try:
            return Task.model_validate(unwrap_task(body))
        except ValidationError as error:
            raise UnexpectedResponse(
                operation=operation,
                detail=f"{error.errors(include_url=False, include_input=False)}",
            ) from None

    async def delete_task(self, task_id: str) -> bool:
        """Cancel a queued or running task, or delete a finished one (and its outputs).

        Returns:
            True if Runway cancelled or deleted it, False if it was already gone (404).
        """
        self._require(Capability.DELETE, "DELETE /tasks/{id}")
        operation = f"delete task {task_id}"
        try:
            await self._call(
                Operation.DELETE, operation, "DELETE", self.provider.path("tasks", task_id)
            )
        except TaskNotFound:
            return False
        return True

    async def get_organization(self) -> Organization:
        """The credit balance, tier limits and today's usage."""
        self._require(Capability.ORGANIZATION, "GET /organization")
        operation = "get organization"
        response = await self._call(
            Operation.READ, operation, "GET", self.provider.path("organization")
        )
        return self._parse(Organization, response, operation)

    async def upload_file(self, path: str | Path, *, filename: str | None = None) -> UploadedFile:
        """Upload a local file (512 B to 200 MB), streamed from disk, for a ``runway://`` URI.

        Both steps are retried together on failure: a failed storage POST gets a new upload
        form rather than a replay of the old one. Uploads cost nothing, so repeating is safe.

        Raises:
            FileNotFoundError, ValueError: the file is missing, too small or large, or not media.
            ProviderCapabilityMissing: the provider has no uploads API.
        """
        self._require(Capability.UPLOADS, "POST /uploads")
        local = Path(path)
        name, media_type, size = check_upload(local, filename)
        operation = f"upload {name}"
        attempt = 0
        while True:
            attempt += 1
            response = await self._call(
                Operation.UPLOAD,
                operation,
                "POST",
                self.provider.path("uploads"),
                json=form_body(name),
            )
            form = self._parse(UploadForm, response, operation)
            try:
                # httpx's multipart encoder streams sync file objects in 64 KiB reads; opening a
                # local file is not worth a thread.
                with local.open("rb") as file:  # noqa: ASYNC230
                    # The presigned form's URL takes no API key: use the key-less client.
                    stored = await self._downloads.post(
                        form.upload_url,
                        data=form.fields,
                        files={"file": (name, file, media_type)},
                    )
            except httpx.TransportError as error:
                cause = self._describe(error)
            else:
                if stored.status_code < 300:
                    return UploadedFile(
                        uri=form.runway_uri, filename=name, size=size, uploaded_at=time.time()
                    )
                if stored.status_code < 500 and stored.status_code not in (408, 429):
                    raise RunwayAPIError(
                        status_code=stored.status_code,
                        operation=f"{operation} (storage POST)",
                        error=self._scrub(_error_text(stored)),
                    )
                cause = f"storage answered HTTP {stored.status_code}"
            if attempt >= self.retry.max_attempts:
                raise RunwayConnectionError(
                    operation=operation, cause=f"{cause} (after {attempt} attempts)"
                )
            delay = self.retry.delay(attempt)
            logger.info("%s: %s; new upload form in %.2f s", operation, cause, delay)
            await asyncio.sleep(delay)

    async def get_credit_usage(
        self, *, start_date: date | None = None, before_date: date | None = None
    ) -> CreditUsage:
        """Credits used per model per day (``POST /organization/usage``, up to 90 days).

        Args:
            start_date: First day (UTC); Runway's default is 30 days ago.
            before_date: Day after the last (exclusive); at most 90 days after the start.
        """
        self._require(Capability.ORGANIZATION, "POST /organization/usage")
        if start_date and before_date and not 0 < (before_date - start_date).days <= 90:
            raise ValueError(
                f"before_date {before_date} must be 1 to 90 days after start_date {start_date}"
            )
        body = {
            key: value.isoformat()
            for key, value in (("startDate", start_date), ("beforeDate", before_date))
            if value is not None
        }
        operation = "get credit usage"
        response = await self._call(
            Operation.READ,
            operation,
            "POST",
            self.provider.path("organization", "usage"),
            json=body,
        )
        return self._parse(CreditUsage, response, operation)

    def output_stream(
        self,
        url: str,
        *,
        refresh: Callable[[], Awaitable[str]] | None = None,
    ) -> OutputStream:
        """Stream one output URL, resuming or restarting on failure.

        Args:
            url: A signed output URL from a SUCCEEDED task.
            refresh: Called once if the link answers 4xx (expired), to get a fresh URL for the
                same output (usually by reading the task again).
        """
        return OutputStream(self._downloads, url, retry=self.retry, refresh=refresh)

    # -- the failure matrix ------------------------------------------------------------------

    def _require(self, capability: Capability, what: str) -> None:
        if capability not in self.provider.capabilities:
            raise ProviderCapabilityMissing(provider=self.provider.name, capability=what)

    async def _call(
        self,
        kind: Operation,
        operation: str,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        model: str | None = None,
    ) -> httpx.Response:
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)  # one lookup per call: every poll comes here
        if slots is None:
            slots = self._slots[loop] = (
                asyncio.Semaphore(self._max_connections),
                asyncio.Semaphore(self._max_connections),
            )
        api_slots, create_slots = slots
        attempt = 0
        quota: tuple[int | None, int | None, bool] = (None, None, False)
        while True:
            attempt += 1
            retry_after: float | None = None
            try:
                if kind is Operation.CREATE:
                    async with create_slots:
                        response = await self._creates.request(method, path, json=json)
                else:
                    async with api_slots:
                        response = await self._pooled(method, path, json)
            except httpx.TransportError as error:
                action = judge_exception(kind, error)
                cause = self._describe(error)
                if action is Action.AMBIGUOUS:
                    raise AmbiguousSubmission(operation=operation, cause=cause) from None
                if action is Action.FAIL:
                    raise RunwayConnectionError(operation=operation, cause=cause) from None
                if attempt >= self.retry.max_attempts:
                    raise RunwayConnectionError(
                        operation=operation, cause=f"{cause} (after {attempt} attempts)"
                    ) from None
                last = cause
            else:
                action_or_ok = judge_status(kind, response.status_code)
                if action_or_ok is None:
                    return response
                if action_or_ok is Action.AMBIGUOUS:
                    text = self._scrub(_error_text(response)) or ""
                    raise AmbiguousSubmission(
                        operation=operation, cause=f"HTTP {response.status_code}: {text}".strip()
                    )
                if action_or_ok is Action.CHECK_QUOTA:
                    # Nothing was created; pay for a retry only if the quota is not used up.
                    quota = await self._daily_quota(model)
                    limit, used, known = quota
                    if known and limit is not None and used is not None and used >= limit:
                        raise DailyLimitReached(
                            status_code=response.status_code,
                            operation=operation,
                            error=self._scrub(_error_text(response)),
                            model=model,
                            daily_limit=limit,
                            daily_usage=used,
                        )
                    if attempt >= self.retry.max_attempts:
                        raise CreateRateLimited(
                            operation=operation,
                            error=self._scrub(_error_text(response)),
                            model=model,
                            attempts=attempt,
                            daily_limit=limit,
                            daily_usage=used,
                            quota_known=known,
                            provider=self.provider.name,
                        )
                elif action_or_ok is not Action.RETRY:
                    if _error_body(response).get("code") in self.provider.not_found_codes:
                        # A proxy's "not readable yet" for a task just created.
                        raise TaskNotFound(
                            status_code=response.status_code,
                            operation=operation,
                            error=str(_error_body(response).get("code")),
                        )
                    raise self._status_error(action_or_ok, response, operation)
                elif attempt >= self.retry.max_attempts:
                    raise self._status_error(action_or_ok, response, operation, retryable=True)
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                last = f"HTTP {response.status_code}"
            delay = self.retry.delay(attempt, retry_after)
            logger.info(
                "%s: %s; retry %d of %d in %.2f s",
                operation,
                last,
                attempt,
                self.retry.max_attempts - 1,
                delay,
            )
            await asyncio.sleep(delay)

    async def _pooled(self, method: str, path: str, json: dict[str, Any] | None) -> httpx.Response:
        """Send on the API pool with the most free connections (see ``_POOL_CONNECTIONS``).

        The caller holds one of the ``max_connections`` slots, so fewer requests than the pools'
        connections are in flight and that pool has a free one: nothing waits inside httpcore's
        pool (the smaller last pool fills no further than its size).
        """
        busy = self._api_busy
        index = 0
        if len(busy) > 1:
            free = [size - count for size, count in zip(self._api_sizes, busy, strict=True)]
            index = free.index(max(free))
        busy[index] += 1
        try:
            pool = self._api_pools[index]
            if method == "GET" and json is None:
                # A poll (or a read): the URL the client would merge from its base and the path.
                return await _get(pool, f"{self.base_url}/{path.lstrip('/')}")
            return await pool.request(method, path, json=json)
        finally:
            busy[index] -= 1

    async def _daily_quota(self, model: str | None) -> tuple[int | None, int | None, bool]:
        """The model's daily limit and today's usage, and whether the provider could say."""
        if model is None or Capability.ORGANIZATION not in self.provider.capabilities:
            return None, None, False
        try:
            organization = await self.get_organization()
        except RunwayError as error:
            logger.info("429 on a create; the organization could not be read (%s)", error)
            return None, None, False
        return organization.daily_limit(model), organization.daily_usage(model), True

    def _scrub(self, text: str | None) -> str | None:
        """``text`` without the key or anything shaped like an Authorization header's value."""
        if text is None:
            return None
        if self._secret:
            text = text.replace(self._secret, "***")
        return _BEARER.sub(r"\1***", text)

    def _describe(self, error: httpx.TransportError) -> str:
        # The class name says what happened; the message rarely adds more and may quote a URL
        # or, for a header h11 refuses to send, the header's value (the key).
        if isinstance(error, httpx.LocalProtocolError):
            return (
                f"{type(error).__name__}: the request could not be written (a header or the "
                "body is not valid HTTP); nothing was sent"
            )
        text = str(error).split("\n", 1)[0][:200]
        described = f"{type(error).__name__}: {text}" if text else type(error).__name__
        return self._scrub(described) or described

    def _status_error(
        self,
        action: Action,
        response: httpx.Response,
        operation: str,
        *,
        retryable: bool = False,
    ) -> RunwayAPIError:
        status = response.status_code
        error = self._scrub(_error_text(response))
        issues = _error_body(response).get("issues")
        issues = issues if isinstance(issues, list) else None
        if action is Action.NOT_FOUND or status == 404:
            return TaskNotFound(status_code=status, operation=operation, error=error)
        if status in (400, 422):
            return BadRequest(status_code=status, operation=operation, error=error, issues=issues)
        if status == 401:
            return AuthenticationFailed(status_code=status, operation=operation, error=error)
        if status == 403:
            return PermissionDenied(status_code=status, operation=operation, error=error)
        if status >= 500 or status in (408, 429):
            return RunwayServerError(
                status_code=status, operation=operation, error=error, retryable=retryable
            )
        return RunwayAPIError(status_code=status, operation=operation, error=error, issues=issues)

    @staticmethod
    def _parse(model: type[_M], response: httpx.Response, operation: str) -> _M:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as error:
            raise UnexpectedResponse(
                operation=operation,
                detail=f"HTTP {response.status_code}, {error.error_count()} problem(s): "
                f"{error.errors(include_url=False, include_input=False)}",
            ) from None


async def _get(client: httpx.AsyncClient, url: str) -> httpx.Response:
    """``client.get(url)`` through the client's own transport, without its per-request layers.

    ``AsyncClient.request`` merges the URL, headers and cookies, builds the request, runs auth,
    redirects and event hooks, and extracts cookies from the answer: about 0.1 ms of CPU per
    request (BENCHMARKS.md 7.3), none of which a poll uses (no auth flow, no redirects
    followed, no hooks, no cookies in Runway's API). The request carries the client's headers
    and timeouts; the transport is the one the client would pick (an environment proxy
    included) and maps httpcore's errors to httpx's, so the failure matrix sees the same
    exceptions. The body is read and the connection released as ``client.get`` does.

    Raises:
        httpx.TransportError: as ``client.get`` raises it (with its ``request`` set).
        RuntimeError: the client is closed, as ``client.get`` raises it.
    """
    if client.is_closed:
        raise RuntimeError("Cannot send a request, as the client has been closed.")
    request = httpx.Request(
        "GET", url, headers=client.headers, extensions={"timeout": client.timeout.as_dict()}
    )
    try:
        response = await client._transport_for_url(request.url).handle_async_request(request)
        response.request = request
        try:
            await response.aread()
        finally:
            await response.aclose()
    except httpx.RequestError as error:
        error.request = request  # as the client's request_context sets it
        raise
    return response


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_text(response: httpx.Response) -> str | None:
    body = _error_body(response)
    error = body.get("error")
    if isinstance(error, str):
        return error
    text = response.text.strip()
    return text[:300] or None
