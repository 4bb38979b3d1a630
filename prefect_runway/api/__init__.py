"""Runway's generation API with no Prefect in it: typed requests, the task model, an async client
with the failure matrix, output streaming and waiting.

The typed requests are the catalogue (``prefect_runway.api.catalogue``): every model of every
task-based media generation endpoint, generated from the official SDK's types.

Example:
    >>> from prefect_runway.api import RunwayClient, Gen4TurboImageToVideo, wait_for_task
"""

from prefect_runway.api import logs as _logs
from prefect_runway.api.catalogue import (
    ENDPOINTS,
    CatalogueRequest,
    OutputKind,
    endpoints_of,
    output_kind,
    parse_request,
    request_class,
)
from prefect_runway.api.character_performance import (
    ActTwoCharacterPerformance,
    CharacterImage,
    CharacterVideo,
    ReferenceVideo,
)
from prefect_runway.api.client import RunwayClient
from prefect_runway.api.download import OutputStream
from prefect_runway.api.errors import (
    AmbiguousSubmission,
    AuthenticationFailed,
    BadRequest,
    CreateRateLimited,
    DailyLimitReached,
    InvalidApiKey,
    OutputDownloadFailed,
    OutputLinkRejected,
    PermissionDenied,
    PrefectRunwayError,
    ProviderCapabilityMissing,
    RunwayAPIError,
    RunwayConnectionError,
    RunwayError,
    RunwayServerError,
    TaskFailed,
    TaskNotFound,
    UnexpectedResponse,
)
from prefect_runway.api.failure_matrix import RetryPolicy
from prefect_runway.api.failures import FailureClass, classify_failure_code, is_retryable_failure
from prefect_runway.api.generation import KNOWN_MODELS, GenerationRequest, parse_generation_request
from prefect_runway.api.image_to_video import (
    FirstFrame,
    Gen4TurboImageToVideo,
    Gen45ImageToVideo,
    Keyframe,
    Veo31FastImageToVideo,
    Veo31ImageToVideo,
)
from prefect_runway.api.organization import Organization
from prefect_runway.api.pricing import (
    PRICE_UNKNOWN,
    CreditEstimate,
    PriceUnknown,
    PriceUnknownError,
    estimate,
    estimate_credits,
)
from prefect_runway.api.providers import (
    API_VERSION,
    COMETAPI,
    RUNWAY,
    ProviderLimitExceeded,
    ProviderProfile,
    get_provider,
)
from prefect_runway.api.task import CreatedTask, Task, TaskStatus
from prefect_runway.api.uploads import UploadedFile
from prefect_runway.api.waiting import (
    NOT_FOUND_WINDOW_SECONDS,
    QueueTimeout,
    RunTimeout,
    TaskVanished,
    WaitCancelled,
    WaitPolicy,
    wait_for_task,
)

__all__ = [
    "API_VERSION",
    "COMETAPI",
    "ENDPOINTS",
    "KNOWN_MODELS",
    "NOT_FOUND_WINDOW_SECONDS",
    "PRICE_UNKNOWN",
    "RUNWAY",
    "ActTwoCharacterPerformance",
    "AmbiguousSubmission",
    "AuthenticationFailed",
    "BadRequest",
    "CatalogueRequest",
    "CharacterImage",
    "CharacterVideo",
    "CreateRateLimited",
    "CreatedTask",
    "CreditEstimate",
    "DailyLimitReached",
    "FailureClass",
    "FirstFrame",
    "Gen4TurboImageToVideo",
    "Gen45ImageToVideo",
    "GenerationRequest",
    "InvalidApiKey",
    "Keyframe",
    "Organization",
    "OutputDownloadFailed",
    "OutputKind",
    "OutputLinkRejected",
    "OutputStream",
    "PermissionDenied",
    "PrefectRunwayError",
    "PriceUnknown",
    "PriceUnknownError",
    "ProviderCapabilityMissing",
    "ProviderLimitExceeded",
    "ProviderProfile",
    "QueueTimeout",
    "ReferenceVideo",
    "RetryPolicy",
    "RunTimeout",
    "RunwayAPIError",
    "RunwayClient",
    "RunwayConnectionError",
    "RunwayError",
    "RunwayServerError",
    "Task",
    "TaskFailed",
    "TaskNotFound",
    "TaskStatus",
    "TaskVanished",
    "UnexpectedResponse",
    "UploadedFile",
    "Veo31FastImageToVideo",
    "Veo31ImageToVideo",
    "WaitCancelled",
    "WaitPolicy",
    "classify_failure_code",
    "endpoints_of",
    "estimate",
    "estimate_credits",
    "get_provider",
    "is_retryable_failure",
    "output_kind",
    "parse_generation_request",
    "parse_request",
    "request_class",
    "wait_for_task",
]

_logs.install()
