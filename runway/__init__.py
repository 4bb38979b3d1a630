"""Runway's generation API with no Prefect in it: typed requests, the task model, an async client
with the failure matrix, output streaming and waiting.

Example:
    >>> from runway import RunwayClient, Gen4TurboImageToVideo, wait_for_task
"""

from runway import logs as _logs
from runway.character_performance import (
    ActTwoCharacterPerformance,
    CharacterImage,
    CharacterVideo,
    ReferenceVideo,
)
from runway.client import RunwayClient
from runway.download import OutputStream
from runway.errors import (
    AmbiguousSubmission,
    AuthenticationFailed,
    BadRequest,
    DailyLimitReached,
    OutputDownloadFailed,
    OutputLinkRejected,
    PermissionDenied,
    ProviderCapabilityMissing,
    RunwayAPIError,
    RunwayConnectionError,
    RunwayError,
    RunwayServerError,
    TaskFailed,
    TaskNotFound,
    UnexpectedResponse,
)
from runway.failure_matrix import RetryPolicy
from runway.failures import FailureClass, classify_failure_code, is_retryable_failure
from runway.generation import KNOWN_MODELS, GenerationRequest, parse_generation_request
from runway.image_to_video import (
    FirstFrame,
    Gen4TurboImageToVideo,
    Gen45ImageToVideo,
    Keyframe,
    Veo31FastImageToVideo,
    Veo31ImageToVideo,
)
from runway.organization import Organization
from runway.providers import (
    API_VERSION,
    COMETAPI,
    RUNWAY,
    ProviderLimitExceeded,
    ProviderProfile,
    get_provider,
)
from runway.task import CreatedTask, Task, TaskStatus
from runway.uploads import UploadedFile
from runway.waiting import (
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
    "KNOWN_MODELS",
    "RUNWAY",
    "ActTwoCharacterPerformance",
    "AmbiguousSubmission",
    "AuthenticationFailed",
    "BadRequest",
    "CharacterImage",
    "CharacterVideo",
    "CreatedTask",
    "DailyLimitReached",
    "FailureClass",
    "FirstFrame",
    "Gen4TurboImageToVideo",
    "Gen45ImageToVideo",
    "GenerationRequest",
    "Keyframe",
    "Organization",
    "OutputDownloadFailed",
    "OutputLinkRejected",
    "OutputStream",
    "PermissionDenied",
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
    "get_provider",
    "is_retryable_failure",
    "parse_generation_request",
    "wait_for_task",
]

_logs.install()
