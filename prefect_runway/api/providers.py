"""Provider profiles: where the Runway API is served, in what shape, and what that server offers.

Two profiles exist:

* ``runway``: Runway's own API (``https://api.dev.runwayml.com``, paths under ``/v1``).
* ``cometapi``: the CometAPI proxy (``https://api.cometapi.com``, paths under ``/runwayml/v1``;
  reference/cometapi.md). Its task details come bare, as Runway's, or wrapped in a gateway
  envelope (``{"code": "success", "data": {"status": "QUEUED", "data": {<Runway task>}}}``); a task
  just created may answer ``task_not_exist`` for a few seconds; its documented limits are tighter
  (seed up to 999999999, prompt up to 512 characters on image-to-video); no documentation shows
  uploads, DELETE or the organization endpoints, so the client refuses those clearly rather than
  guess. Of the generation endpoints it documents image_to_video, character_performance,
  video_to_video, text_to_image and video_upscale (reference/cometapi.md section 1.1); a request
  for any other endpoint is refused before anything is sent.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from prefect_runway.api.errors import PrefectRunwayError
from prefect_runway.api.fields import MAX_SEED, GenerationRequestBase, utf16_length

__all__ = [
    "API_VERSION",
    "COMETAPI",
    "PROVIDERS",
    "RUNWAY",
    "Capability",
    "ProviderLimitExceeded",
    "ProviderProfile",
    "TaskShape",
    "get_provider",
    "unwrap_task",
]

API_VERSION = "2024-11-06"
"""The only value of ``X-Runway-Version`` the API accepts."""


class Capability(StrEnum):
    """Endpoints beyond create and get that a provider may or may not offer."""

    DELETE = "delete"
    UPLOADS = "uploads"
    ORGANIZATION = "organization"


class TaskShape(StrEnum):
    """How a provider returns task details."""

    BARE = "bare"
    """Runway's task object as is."""

    BARE_OR_WRAPPED = "bare_or_wrapped"
    """Either Runway's object, or a gateway envelope with Runway's object inside."""


class ProviderLimitExceeded(PrefectRunwayError, ValueError):
    """A request breaks a limit of the chosen provider that Runway itself does not have."""


class ProviderProfile(BaseModel):
    """Where and how to reach a Runway-compatible API.

    Attributes:
        name: The profile's name, as chosen in the credentials block.
        base_url: Default server URL.
        path_prefix: Prefix of every API path, for example ``/v1``.
        capabilities: The optional endpoints the provider serves.
        task_shape: How task details come back.
        not_found_codes: Error codes in a 4xx body that mean "not readable yet" (fresh task).
        max_seed: The highest seed the provider accepts.
        max_prompt_units: The longest prompt (UTF-16 code units) the provider accepts.
        endpoints: The generation endpoints the provider serves (None: every endpoint of the
            catalogue).
        tighter_limits_on: The endpoints ``max_seed`` and ``max_prompt_units`` apply to (None:
            all); elsewhere Runway's own limits, checked by the request models, hold.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    base_url: str
    path_prefix: str = "/v1"
    capabilities: frozenset[Capability] = frozenset(Capability)
    task_shape: TaskShape = TaskShape.BARE
    not_found_codes: frozenset[str] = frozenset()
    max_seed: int = MAX_SEED
    max_prompt_units: int = 1000
    endpoints: frozenset[str] | None = None
    tighter_limits_on: frozenset[str] | None = None

    def serves(self, endpoint: str) -> bool:
        """Whether the provider offers the generation endpoint ``endpoint``."""
        return self.endpoints is None or endpoint in self.endpoints

    def path(self, *parts: str) -> str:
        """An API path under the provider's prefix, for example ``/v1/tasks/abc``."""
        return "/".join([self.path_prefix.rstrip("/"), *(p.strip("/") for p in parts)])

    def check(self, request: GenerationRequestBase) -> None:
        """Refuse a request that this provider's own limits would reject.

        Raises:
            ProviderLimitExceeded: naming the field, the value and the provider's limit.
        """
        endpoint = getattr(request, "endpoint", "")
        if self.tighter_limits_on is not None and endpoint not in self.tighter_limits_on:
            return
        seed = getattr(request, "seed", None)
        if seed is not None and seed > self.max_seed:
            raise ProviderLimitExceeded(
                f"seed {seed} is above {self.name}'s limit of {self.max_seed} "
                f"(Runway itself allows up to {MAX_SEED})"
            )
        for field in ("prompt_text", "negative_prompt"):
            text = getattr(request, field, None)
            if text is not None and utf16_length(text) > self.max_prompt_units:
                raise ProviderLimitExceeded(
                    f"{field} is {utf16_length(text)} UTF-16 code units long; {self.name} "
                    f"allows at most {self.max_prompt_units}"
                )


RUNWAY = ProviderProfile(name="runway", base_url="https://api.dev.runwayml.com")
"""Runway's own API."""

COMETAPI = ProviderProfile(
    name="cometapi",
    base_url="https://api.cometapi.com",
    path_prefix="/runwayml/v1",
    capabilities=frozenset(),
    task_shape=TaskShape.BARE_OR_WRAPPED,
    not_found_codes=frozenset({"task_not_exist"}),
    max_seed=999_999_999,
    max_prompt_units=512,
    endpoints=frozenset(
        {
            "image_to_video",
            "character_performance",
            "video_to_video",
            "text_to_image",
            "video_upscale",
        }
    ),
    # The seed and 512-character limits are documented for image_to_video; the emulator applies
    # the seed limit to character_performance too (its page gives no range: UNCONFIRMED).
    tighter_limits_on=frozenset({"image_to_video", "character_performance"}),
)
"""The CometAPI proxy's official-format Runway routes."""

PROVIDERS: dict[str, ProviderProfile] = {RUNWAY.name: RUNWAY, COMETAPI.name: COMETAPI}


def get_provider(name: str) -> ProviderProfile:
    """The profile called ``name``.

    Raises:
        ValueError: naming the known profiles.
    """
    try:
        return PROVIDERS[name]
    except KeyError:
        known = sorted(PROVIDERS)
        raise ValueError(f"unknown provider {name!r}; known providers: {known}") from None


# The gateway's own statuses (new-api vocabulary), for when the inner Runway task is absent.
_WRAPPER_STATUS = {
    "NOT_START": "PENDING",
    "SUBMITTED": "PENDING",
    "QUEUED": "PENDING",
    "IN_PROGRESS": "RUNNING",
    "SUCCESS": "SUCCEEDED",
    "FAILURE": "FAILED",
}


def unwrap_task(body: Any) -> Any:
    """Runway's task object from a bare or a wrapped task-details body.

    A wrapped body is ``{"code": "success", "data": {"task_id", "status", "fail_reason",
    "progress": "40%", "result_url", "data": {<Runway task>}}}``. The inner Runway task wins when
    present; otherwise the wrapper's fields are mapped onto Runway's.

    Example:
        >>> unwrap_task({"code": "success", "data": {"task_id": "t", "status": "IN_PROGRESS",
        ...              "progress": "40%", "data": None}})
        {'id': 't', 'status': 'RUNNING', 'progress': 0.4}
    """
    if not (isinstance(body, dict) and "code" in body and isinstance(body.get("data"), dict)):
        return body
    wrapper: dict[str, Any] = body["data"]
    inner = wrapper.get("data")
    if isinstance(inner, dict) and "status" in inner:
        return inner
    task: dict[str, Any] = {
        "id": wrapper.get("task_id"),
        "status": _WRAPPER_STATUS.get(str(wrapper.get("status")), wrapper.get("status")),
    }
    progress = wrapper.get("progress")
    if isinstance(progress, str) and progress.endswith("%"):
        try:
            task["progress"] = float(progress[:-1]) / 100
        except ValueError:
            pass
    if task["status"] == "SUCCEEDED" and wrapper.get("result_url"):
        task["output"] = [wrapper["result_url"]]
    if task["status"] == "FAILED":
        task["failure"] = wrapper.get("fail_reason") or None
    return task
