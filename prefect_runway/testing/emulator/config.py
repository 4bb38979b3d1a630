"""Settings of the emulator: timings, limits, credits, output media and links.

Every field has a default tuned for fast tests, so ``EmulatorConfig()`` is a working server.
Timings and limits can also be changed while the server runs (``POST /_emulator/config``).
"""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from prefect_runway.testing.emulator.catalogue import ENDPOINT_MODELS

__all__ = [
    "API_VERSION",
    "CHARACTER_PERFORMANCE_MODELS",
    "DEFAULT_API_KEY",
    "ENDPOINTS",
    "IMAGE_TO_VIDEO_MODELS",
    "MODELS",
    "EmulatorConfig",
]

#: A key of Runway's documented shape (``^key_[0-9a-f]{128}$``), fixed so that tests, the demo
#: and users' own tests agree on it without passing it around.
DEFAULT_API_KEY = "key_" + hashlib.sha512(b"prefect-runway emulator").hexdigest()

#: The only ``X-Runway-Version`` the API accepts (the spec declares it as a constant).
API_VERSION = "2024-11-06"

#: The original five models, validated by the emulator's hand-written rules (validation.py).
IMAGE_TO_VIDEO_MODELS: tuple[str, ...] = ("gen4_turbo", "gen4.5", "veo3.1", "veo3.1_fast")
CHARACTER_PERFORMANCE_MODELS: tuple[str, ...] = ("act_two",)
#: Every generation endpoint the emulator serves (catalogue.json).
ENDPOINTS: tuple[str, ...] = tuple(ENDPOINT_MODELS)
#: Every model, once: the original five first. Concurrency and daily limits are per model,
#: shared by the endpoints that serve it (as Runway's tier limits are).
MODELS: tuple[str, ...] = tuple(
    dict.fromkeys(
        [
            *IMAGE_TO_VIDEO_MODELS,
            *CHARACTER_PERFORMANCE_MODELS,
            *(model for models in ENDPOINT_MODELS.values() for model in models),
        ]
    )
)


class EmulatorConfig(BaseModel):
    """How the emulated Runway behaves.

    Attributes:
        host: Interface to listen on. Loopback only by default: the emulator has no TLS and
            accepts a well-known key.
        port: TCP port; 0 lets the OS choose a free one (read it back from ``base_url``).
        api_key: The bearer key the API accepts.
        queue_seconds: Time a task stays PENDING once it holds a concurrency slot.
        run_seconds: Time a task stays RUNNING; its progress is elapsed / run_seconds.
        run_seconds_by_model: Per-model overrides of ``run_seconds``.
        default_max_concurrent: Concurrency slots per model unless ``max_concurrent`` names it.
        max_concurrent: Per-model concurrency; tasks beyond it wait in THROTTLED.
        default_max_daily: Daily generations per model unless ``max_daily`` names it
            (None = unlimited).
        max_daily: Per-model daily limits (rolling 24 h window); over it a create answers 429.
        credit_balance: The organization's balance before any task.
        max_monthly_credit_spend: Reported as ``tier.maxMonthlyCreditSpend`` (informational).
        link_ttl_seconds: Lifetime of each signed output link handed out by ``GET /v1/tasks``.
        upload_ttl_seconds: Lifetime of a ``runway://`` URI after its file was uploaded
            (Runway: 24 h).
        upload_url_ttl_seconds: Lifetime of the presigned upload URL returned by
            ``POST /v1/uploads``.
        frame_width: Width of output videos in pixels, even (height follows the ratio, also even).
        fps: Frame rate of output videos.
        output_bytes: When set, outputs are deterministic pseudo-random bytes of exactly this
            size instead of an MP4 (streamed in constant memory, for large-download benchmarks).
            A task keeps what was set when it was created: changing it later does not change
            the outputs of tasks already made.
        mode: Which provider's API shape to serve: ``"runway"`` (Runway's own, ``/v1/...``) or
            ``"cometapi"`` (the CometAPI proxy's official-format routes, ``/runwayml/v1/...``;
            see the README). Fixed while running.
        cometapi_task_shape: CometAPI mode: how task details come back. ``"bare"`` is Runway's
            task object with the proxy's documented statuses (THROTTLED shows as PENDING);
            ``"wrapped"`` is the gateway envelope ``{"code": "success", "data": {...}}`` with
            Runway's task object inside; ``"alternate"`` answers wrapped, then bare, then
            wrapped... on successive GETs of the same task, to prove a client parses both.
        cometapi_not_exist_seconds: CometAPI mode: how long a task just created answers
            ``400 {"code": "task_not_exist"}`` before its details can be read.
    """

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535)
    api_key: str = DEFAULT_API_KEY

    queue_seconds: float = Field(default=0.05, ge=0)
    run_seconds: float = Field(default=0.3, gt=0)
    run_seconds_by_model: dict[str, float] = Field(default_factory=dict)

    default_max_concurrent: int = Field(default=2, ge=1)
    max_concurrent: dict[str, int] = Field(default_factory=dict)
    default_max_daily: int | None = Field(default=None, ge=0)
    max_daily: dict[str, int | None] = Field(default_factory=dict)

    credit_balance: int = 1_000_000
    max_monthly_credit_spend: int = Field(default=10_000_000, ge=0)

    link_ttl_seconds: float = Field(default=3600.0, gt=0)
    upload_ttl_seconds: float = Field(default=24 * 3600.0, gt=0)
    upload_url_ttl_seconds: float = Field(default=3600.0, gt=0)

    frame_width: int = Field(default=192, ge=16, le=3840)
    fps: int = Field(default=12, ge=1, le=60)
    output_bytes: int | None = Field(default=None, ge=1)

    mode: Literal["runway", "cometapi"] = "runway"
    cometapi_task_shape: Literal["bare", "wrapped", "alternate"] = "wrapped"
    cometapi_not_exist_seconds: float = Field(default=0.1, ge=0)

    @model_validator(mode="after")
    def _check_per_model(self) -> EmulatorConfig:
        # A typo in a model name would silently do nothing; name it instead.
        for name, mapping in (
            ("run_seconds_by_model", self.run_seconds_by_model),
            ("max_concurrent", self.max_concurrent),
            ("max_daily", self.max_daily),
        ):
            unknown = sorted(set(mapping) - set(MODELS))
            if unknown:
                raise ValueError(f"{name}: unknown model(s) {unknown}; known: {list(MODELS)}")
        if self.frame_width % 2:
            # H.264 in yuv420p needs even frame sizes.
            raise ValueError("frame_width must be even")
        for model, seconds in self.run_seconds_by_model.items():
            if seconds <= 0:
                raise ValueError(f"run_seconds_by_model[{model!r}] must be > 0")
        for model, slots in self.max_concurrent.items():
            if slots < 1:
                raise ValueError(f"max_concurrent[{model!r}] must be >= 1")
        for model, daily in self.max_daily.items():
            if daily is not None and daily < 0:
                raise ValueError(f"max_daily[{model!r}] must be >= 0 or null")
        return self

    def run_seconds_for(self, model: str) -> float:
        """Return how long a task of ``model`` stays RUNNING."""
        return self.run_seconds_by_model.get(model, self.run_seconds)

    def max_concurrent_for(self, model: str) -> int:
        """Return the concurrency slots of ``model``."""
        return self.max_concurrent.get(model, self.default_max_concurrent)

    def max_daily_for(self, model: str) -> int | None:
        """Return the daily generation limit of ``model`` (None = unlimited)."""
        if model in self.max_daily:
            return self.max_daily[model]
        return self.default_max_daily
