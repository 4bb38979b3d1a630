"""prefect-runway: generate video with Runway's API from Prefect flows, into S3.

Everything a user imports is here; each name is imported on first use, so importing the
package itself is cheap (the Prefect server, every process that loads a block and, through the
pytest plugin, every pytest session import it).

Example:
    ```python
    from prefect import flow
    from prefect_aws import S3Bucket

    from prefect_runway import RunwayCredentials, cancel_runway_tasks, generate


    @flow(on_cancellation=[cancel_runway_tasks])
    async def harbour_scene() -> str:
        result = await generate(
            {
                "request": {
                    "model": "gen4_turbo",
                    "promptImage": "stills/harbour.png",
                    "ratio": "1280:720",
                },
                "name": "harbour",
            },
            destination=await S3Bucket.aload("renders"),
            credentials=await RunwayCredentials.aload("runway"),
        )
        return result.raise_for_status().output_uri
    ```
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

if TYPE_CHECKING:
    from prefect_runway.api import (
        AmbiguousSubmission,
        CreateRateLimited,
        DailyLimitReached,
        InvalidApiKey,
        PrefectRunwayError,
        QueueTimeout,
        RunTimeout,
        RunwayAPIError,
        RunwayError,
        TaskFailed,
        TaskVanished,
        WaitPolicy,
    )
    from prefect_runway.blocks import RunwayCredentials
    from prefect_runway.flows.batch import BatchIncomplete, BatchReport, batch
    from prefect_runway.flows.character_performance import (
        CharacterPerformanceParams,
        character_performance,
    )
    from prefect_runway.flows.fan_out import fan_out
    from prefect_runway.flows.image_to_video import ImageToVideoParams, image_to_video
    from prefect_runway.flows.recover import recover
    from prefect_runway.flows.storyboard import (
        CloseUp,
        Scene,
        Shot,
        SoundRefused,
        StoryboardIncomplete,
        StoryboardParams,
        storyboard,
    )
    from prefect_runway.flows.sweep import sweep
    from prefect_runway.flows.user_errors import BlockNotFound, BucketNotReachable, ParameterError
    from prefect_runway.tasks import GenerationFailed, GenerationResult, GenerationSpec, generate
    from prefect_runway.tasks.allowed_inputs import InputNotAllowed, InputPolicy
    from prefect_runway.tasks.cancellation import cancel_runway_tasks
    from prefect_runway.tasks.cost import (
        DailyLimitWouldBeCrossed,
        InsufficientCredits,
        OverBudget,
        RefusedBeforeSubmit,
    )
    from prefect_runway.tasks.inputs import InputError
    from prefect_runway.tasks.submit import SubmitNotStarted

# Where each public name lives: imported on first access (PEP 562).
_WHERE = {
    # blocks
    "RunwayCredentials": "prefect_runway.blocks",
    # one generation
    "generate": "prefect_runway.tasks",
    "GenerationSpec": "prefect_runway.tasks",
    "GenerationResult": "prefect_runway.tasks",
    "WaitPolicy": "prefect_runway.api",
    "cancel_runway_tasks": "prefect_runway.tasks.cancellation",
    "InputPolicy": "prefect_runway.tasks.allowed_inputs",
    # flows and their parameters
    "image_to_video": "prefect_runway.flows.image_to_video",
    "ImageToVideoParams": "prefect_runway.flows.image_to_video",
    "character_performance": "prefect_runway.flows.character_performance",
    "CharacterPerformanceParams": "prefect_runway.flows.character_performance",
    "storyboard": "prefect_runway.flows.storyboard",
    "StoryboardParams": "prefect_runway.flows.storyboard",
    "Scene": "prefect_runway.flows.storyboard",
    "CloseUp": "prefect_runway.flows.storyboard",
    "Shot": "prefect_runway.flows.storyboard",
    "batch": "prefect_runway.flows.batch",
    "BatchReport": "prefect_runway.flows.batch",
    "recover": "prefect_runway.flows.recover",
    "sweep": "prefect_runway.flows.sweep",
    "fan_out": "prefect_runway.flows.fan_out",
    # errors: one root, PrefectRunwayError
    "PrefectRunwayError": "prefect_runway.api",
    "RunwayError": "prefect_runway.api",
    "RunwayAPIError": "prefect_runway.api",
    "AmbiguousSubmission": "prefect_runway.api",
    "DailyLimitReached": "prefect_runway.api",
    "CreateRateLimited": "prefect_runway.api",
    "InvalidApiKey": "prefect_runway.api",
    "TaskFailed": "prefect_runway.api",
    "TaskVanished": "prefect_runway.api",
    "QueueTimeout": "prefect_runway.api",
    "RunTimeout": "prefect_runway.api",
    "InputError": "prefect_runway.tasks.inputs",
    "InputNotAllowed": "prefect_runway.tasks.allowed_inputs",
    "GenerationFailed": "prefect_runway.tasks",
    "SubmitNotStarted": "prefect_runway.tasks.submit",
    "RefusedBeforeSubmit": "prefect_runway.tasks.cost",
    "OverBudget": "prefect_runway.tasks.cost",
    "InsufficientCredits": "prefect_runway.tasks.cost",
    "DailyLimitWouldBeCrossed": "prefect_runway.tasks.cost",
    "StoryboardIncomplete": "prefect_runway.flows.storyboard",
    "SoundRefused": "prefect_runway.flows.storyboard",
    "BatchIncomplete": "prefect_runway.flows.batch",
    "ParameterError": "prefect_runway.flows.user_errors",
    "BlockNotFound": "prefect_runway.flows.user_errors",
    "BucketNotReachable": "prefect_runway.flows.user_errors",
}

__all__ = [
    "AmbiguousSubmission",
    "BatchIncomplete",
    "BatchReport",
    "BlockNotFound",
    "BucketNotReachable",
    "CharacterPerformanceParams",
    "CloseUp",
    "CreateRateLimited",
    "DailyLimitReached",
    "DailyLimitWouldBeCrossed",
    "GenerationFailed",
    "GenerationResult",
    "GenerationSpec",
    "ImageToVideoParams",
    "InputError",
    "InputNotAllowed",
    "InputPolicy",
    "InsufficientCredits",
    "InvalidApiKey",
    "OverBudget",
    "ParameterError",
    "PrefectRunwayError",
    "QueueTimeout",
    "RefusedBeforeSubmit",
    "RunTimeout",
    "RunwayAPIError",
    "RunwayCredentials",
    "RunwayError",
    "Scene",
    "Shot",
    "SoundRefused",
    "StoryboardIncomplete",
    "StoryboardParams",
    "SubmitNotStarted",
    "TaskFailed",
    "TaskVanished",
    "WaitPolicy",
    "__version__",
    "batch",
    "cancel_runway_tasks",
    "character_performance",
    "fan_out",
    "generate",
    "image_to_video",
    "recover",
    "storyboard",
    "sweep",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'prefect_runway' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


# Prefect finds a block class by its slug only once the class is defined. Prefect imports this
# package (the `prefect.collections` entry point) before it looks a slug up, so with Prefect
# already loaded, define the block now; without it (a bare pytest session through the plugin),
# stay cheap: importing `RunwayCredentials` defines it then.
if "prefect.blocks.core" in sys.modules:
    importlib.import_module("prefect_runway.blocks")
