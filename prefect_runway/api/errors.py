"""Errors raised by the Runway client.

Every error carries what a person or a retry decision needs (HTTP status, Runway's ``error``
message and ``issues``, the failure code and whether it is worth retrying) and nothing secret:
no API key, no signed URL query string, and no reference to the ``httpx`` request or response
(their headers carry the key, and Prefect pickles exceptions into results).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AmbiguousSubmission",
    "AuthenticationFailed",
    "BadRequest",
    "CreateRateLimited",
    "DailyLimitReached",
    "InvalidApiKey",
    "OutputDownloadFailed",
    "OutputLinkRejected",
    "PermissionDenied",
    "PrefectRunwayError",
    "ProviderCapabilityMissing",
    "RunwayAPIError",
    "RunwayConnectionError",
    "RunwayError",
    "RunwayServerError",
    "TaskFailed",
    "TaskNotFound",
    "UnexpectedResponse",
]


class PrefectRunwayError(Exception):
    """The root of every error prefect-runway raises on purpose.

    Catch it to handle anything this package refuses or reports: Runway's API answers
    (``RunwayError``), inputs that cannot be sent (``InputError``), cost refusals
    (``RefusedBeforeSubmit``) and failed generations (``GenerationFailed``).
    """


class RunwayError(PrefectRunwayError):
    """Base of every error the API layer raises: Runway's answers and what the client refuses."""

    retryable: bool = False

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors do not survive the default pickling (Prefect pickles
        # exceptions into failed states); rebuild from the instance dict instead.
        return (_rebuild, (type(self), self.__dict__.copy(), self.args))


def _rebuild(cls: type[RunwayError], state: dict[str, Any], args: tuple[Any, ...]) -> RunwayError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class InvalidApiKey(RunwayError):
    """The API key cannot be used: empty, not the provider's shape, or unfit for a header.

    The message never quotes the key. It is not a ``ValueError`` on purpose: pydantic turns a
    ``ValueError`` raised while validating a block into a ``ValidationError`` whose text quotes
    the raw input, the key included.
    """

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class RunwayAPIError(RunwayError):
    """Runway answered with an HTTP error status.

    Attributes:
        status_code: The HTTP status.
        operation: What the client was doing, for example ``create image_to_video``.
        error: Runway's ``error`` message, if any.
        issues: Runway's field-level ``issues`` (400 from request validation), if any.
    """

    def __init__(
        self,
        *,
        status_code: int,
        operation: str,
        error: str | None = None,
        issues: list[dict[str, Any]] | None = None,
        retryable: bool = False,
    ) -> None:
        self.status_code = status_code
        self.operation = operation
        self.error = error
        self.issues = issues or []
        self.retryable = retryable
        super().__init__(self._message())

    def _message(self) -> str:
        text = f"{self.operation}: Runway answered HTTP {self.status_code}"
        if self.error:
            text += f": {self.error}"
        for issue in self.issues:
            path = ".".join(str(part) for part in issue.get("path", []))
            text += f"\n  - {path or '(request)'}: {issue.get('message', issue)}"
        return text


class BadRequest(RunwayAPIError):
    """400 or 422: Runway refused the request itself; sending it again cannot help."""


class AuthenticationFailed(RunwayAPIError):
    """401: the API key is missing, wrong, disabled, or the account is suspended."""


class PermissionDenied(RunwayAPIError):
    """403 on an API call."""


class TaskNotFound(RunwayAPIError):
    """404: the task does not exist, or was deleted or cancelled."""


class DailyLimitReached(RunwayAPIError):
    """429 on a create, and ``/v1/organization`` shows the model's daily quota used up.

    The quota is a rolling 24-hour window, so retrying within minutes cannot help: the create is
    not retried.

    Attributes:
        model: The model asked for.
        daily_limit: The tier's ``maxDailyGenerations`` for the model, when known.
        daily_usage: ``dailyGenerations`` so far, when known.
    """

    def __init__(
        self,
        *,
        status_code: int,
        operation: str,
        error: str | None = None,
        model: str | None = None,
        daily_limit: int | None = None,
        daily_usage: int | None = None,
    ) -> None:
        self.model = model
        self.daily_limit = daily_limit
        self.daily_usage = daily_usage
        super().__init__(status_code=status_code, operation=operation, error=error)

    def _message(self) -> str:
        text = super()._message()
        if self.model:
            text += f"\n  model {self.model}"
            if self.daily_limit is not None:
                text += f": daily limit {self.daily_limit}"
            if self.daily_usage is not None:
                text += f", used today {self.daily_usage}"
        return text + "\n  The limit is a rolling 24-hour window; retrying now cannot succeed."


class CreateRateLimited(RunwayAPIError):
    """429 on every attempt of a create within the retry budget; nothing was created.

    A 429 proves the create was not accepted, so it was retried with backoff (honouring
    ``Retry-After``) while the organization did not show the daily quota used up. On a provider
    without the organization endpoint (CometAPI) whether the quota is the cause is unknown.

    Attributes:
        model: The model asked for.
        attempts: Creates sent, all answered 429.
        daily_limit: The tier's ``maxDailyGenerations`` for the model, when known.
        daily_usage: ``dailyGenerations`` so far, when known.
        quota_known: Whether the organization endpoint could be read.
        provider: The provider's name.
    """

    retryable = True

    def __init__(
        self,
        *,
        operation: str,
        error: str | None = None,
        model: str | None = None,
        attempts: int = 1,
        daily_limit: int | None = None,
        daily_usage: int | None = None,
        quota_known: bool = False,
        provider: str = "runway",
    ) -> None:
        self.model = model
        self.attempts = attempts
        self.daily_limit = daily_limit
        self.daily_usage = daily_usage
        self.quota_known = quota_known
        self.provider = provider
        super().__init__(status_code=429, operation=operation, error=error, retryable=True)

    def _message(self) -> str:
        text = super()._message() + f"\n  {self.attempts} creates in a row were answered 429"
        if self.quota_known:
            limit = "no daily limit" if self.daily_limit is None else f"limit {self.daily_limit}"
            text += (
                f"; model {self.model}: {limit}, used today {self.daily_usage}, so the daily "
                "quota is not the cause"
            )
        else:
            text += (
                f"; provider {self.provider!r} cannot say whether model {self.model}'s daily "
                "quota is used up (it has no organization endpoint, or it could not be read)"
            )
        return text + ". Nothing was created or paid for; run it again later."


class RunwayServerError(RunwayAPIError):
    """5xx (or 429 where it is retryable) that did not clear within the retry budget."""


class RunwayConnectionError(RunwayError):
    """The request could not be completed over the network within the retry budget.

    Only raised where repeating the request is harmless (polls, deletes, downloads, and creates
    that provably never reached Runway).
    """

    retryable = True

    def __init__(self, *, operation: str, cause: str) -> None:
        self.operation = operation
        self.cause = cause
        super().__init__(f"{operation}: {cause}")


class AmbiguousSubmission(RunwayError):
    """A create may have reached Runway, and been billed, but its task id was never received.

    Runway has no idempotency key and no way to list tasks, so sending the request again could
    pay twice. The client stops here; resubmitting is the caller's explicit decision.

    Attributes:
        operation: The create that was attempted, for example ``create image_to_video``.
        cause: What happened after the request was sent.
    """

    def __init__(self, *, operation: str, cause: str) -> None:
        self.operation = operation
        self.cause = cause
        super().__init__(
            f"{operation}: the request was sent but no answer came back ({cause}). Runway may "
            "have accepted and billed it, and it has no idempotency key, so it was not sent "
            "again. Check your Runway dashboard; resubmit only if no task was started."
        )


class TaskFailed(RunwayError):
    """A task ended FAILED or CANCELLED.

    Attributes:
        task_id: Runway's task id.
        status: ``FAILED`` or ``CANCELLED``.
        failure: Runway's human-readable reason.
        failure_code: Runway's machine-readable code, if any.
        retryable: Whether a new attempt may succeed (see ``prefect_runway.api.failures``).
        credits: The task's final cost in credits, if reported.
    """

    def __init__(
        self,
        *,
        task_id: str,
        status: str,
        failure: str | None,
        failure_code: str | None,
        retryable: bool,
        credits: float | None,
    ) -> None:
        self.task_id = task_id
        self.status = status
        self.failure = failure
        self.failure_code = failure_code
        self.retryable = retryable
        self.credits = credits
        reason = failure or ("cancelled" if status == "CANCELLED" else "no reason given")
        code = f" [{failure_code}]" if failure_code else ""
        super().__init__(f"Runway task {task_id} {status}{code}: {reason}")


class OutputLinkRejected(RunwayError):
    """An output link answered 4xx (expired or revoked); fresh links come from a new GET."""

    def __init__(self, *, status_code: int, url: str) -> None:
        self.status_code = status_code
        self.url = url
        super().__init__(f"output link {url} answered HTTP {status_code}")


class OutputDownloadFailed(RunwayError):
    """An output could not be downloaded intact within the retry budget."""

    retryable = True

    def __init__(self, *, url: str, cause: str) -> None:
        self.url = url
        self.cause = cause
        super().__init__(f"download of {url} failed: {cause}")


class UnexpectedResponse(RunwayError):
    """Runway answered 2xx with a body this client cannot read."""

    def __init__(self, *, operation: str, detail: str) -> None:
        self.operation = operation
        self.detail = detail
        super().__init__(f"{operation}: unexpected response: {detail}")


class ProviderCapabilityMissing(RunwayError):
    """The chosen provider does not offer this endpoint (for example DELETE on a proxy)."""

    def __init__(self, *, provider: str, capability: str) -> None:
        self.provider = provider
        self.capability = capability
        super().__init__(f"provider {provider!r} does not support {capability}")
