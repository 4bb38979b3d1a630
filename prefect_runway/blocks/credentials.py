"""The Runway credentials block."""

from __future__ import annotations

from typing import ClassVar, Literal, Self

import httpx
from prefect.blocks.abstract import CredentialsBlock
from pydantic import Field, HttpUrl, SecretStr, field_validator, model_validator

from prefect_runway.api import API_VERSION, RetryPolicy, RunwayClient, get_provider
from prefect_runway.api.api_key import clean_api_key
from prefect_runway.api.client import DEFAULT_TIMEOUT

__all__ = ["RunwayCredentials"]


class RunwayCredentials(CredentialsBlock):
    """Credentials for Runway's API, or for a Runway-compatible proxy such as CometAPI.

    The API key is stored encrypted by Prefect and never shown: not in the UI, the logs, the
    results or the errors of this package. It is stripped of surrounding whitespace and checked
    for its provider's shape when the block is made or loaded (Runway's keys are ``key_`` and
    128 hex digits), and again by the client; a refusal (``InvalidApiKey``) never quotes it.

    Attributes:
        api_key: The API key (Runway's start with ``key_``).
        provider: ``runway`` for Runway's own API, ``cometapi`` for the CometAPI proxy.
        base_url: Overrides the provider's URL (an emulator, a staging server).
        api_version: The ``X-Runway-Version`` header.
        create_timeout_seconds: How long a create's answer is awaited before the create counts
            as ambiguous (it may have been billed with its task id unknown).
        input_roots: Folders whose files runs using this block may send to Runway (besides
            ``RUNWAY_INPUT_ROOTS`` on the worker).
        input_buckets: Buckets whose objects runs using this block may send (besides the
            destination bucket and ``RUNWAY_INPUT_BUCKETS``).

    Example:
        Load saved credentials and use the client in an async flow or task:
        ```python
        from prefect_runway.blocks import RunwayCredentials

        runway_credentials = RunwayCredentials.load("BLOCK_NAME")
        async with runway_credentials.get_client() as client:
            task = await client.get_task("TASK_ID")
        ```

        Save them once (or create the block in the Prefect UI):
        ```python
        from pydantic import SecretStr
        from prefect_runway.blocks import RunwayCredentials

        RunwayCredentials(api_key=SecretStr("key_...")).save("BLOCK_NAME")
        ```
    """

    _block_type_name: ClassVar[str] = "Runway Credentials"
    _block_type_slug: ClassVar[str] = "runway-credentials"
    # No logo: a link to someone else's server breaks when they move it (the UI shows
    # Prefect's default block icon instead).
    _logo_url: ClassVar[HttpUrl | None] = None
    _documentation_url: ClassVar[HttpUrl | None] = HttpUrl("https://docs.dev.runwayml.com/api/")
    _description: ClassVar[str] = (
        "Credentials for Runway's generation API (or the CometAPI proxy), used by "
        "prefect-runway to submit, poll and download video generations."
    )

    api_key: SecretStr = Field(
        default=...,
        title="API key",
        description="The Runway API key (it starts with 'key_'), or the proxy's key.",
    )
    provider: Literal["runway", "cometapi"] = Field(
        default="runway",
        description="Who serves the API: Runway itself, or the CometAPI proxy.",
    )
    base_url: str | None = Field(
        default=None,
        title="Base URL",
        description="Overrides the provider's URL, for example a local emulator's.",
    )
    api_version: str = Field(
        default=API_VERSION,
        title="API version",
        description="The X-Runway-Version header; Runway accepts only 2024-11-06.",
    )

    create_timeout_seconds: float = Field(
        default=120.0,
        ge=1.0,
        le=900.0,
        allow_inf_nan=False,
        title="Create timeout (seconds)",
        description="How long to wait for Runway's answer to a create. A create that times out "
        "may have been billed with its task id unknown: the run then stops (AmbiguousSubmission) "
        "rather than risk paying twice. Creates usually answer in a second or two.",
    )
    input_roots: list[str] = Field(
        default_factory=list,
        title="Allowed input folders",
        description="Folders on the worker whose files runs may send to Runway, besides those in "
        "RUNWAY_INPUT_ROOTS. A deployment run reads no other local file; a run's parameters "
        "cannot add any.",
    )
    input_buckets: list[str] = Field(
        default_factory=list,
        title="Allowed input buckets",
        description="S3 buckets whose objects runs may send to Runway, besides the destination "
        "bucket and those in RUNWAY_INPUT_BUCKETS.",
    )

    @field_validator("api_key")
    @classmethod
    def _strip_key(cls, value: SecretStr) -> SecretStr:
        # Stripped, not refused: a key pasted with a trailing newline is the same key.
        return SecretStr(value.get_secret_value().strip())

    @model_validator(mode="after")
    def _key_has_its_shape(self) -> Self:
        # InvalidApiKey is no ValueError: pydantic's ValidationError would quote the raw key.
        self.api_key = clean_api_key(self.api_key, get_provider(self.provider))
        return self

    def get_client(
        self,
        *,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> RunwayClient:
        """A new async client for the provider with this block's settings, as ``async with``.

        Args:
            retry: Retry budget and backoff for retryable failures.
            timeout: Per-request timeouts of polls, deletes, uploads and downloads.

        Raises:
            InvalidApiKey: the key is empty or not the provider's shape (never quoted).
        """
        return RunwayClient(
            self.api_key,
            provider=get_provider(self.provider),
            base_url=self.base_url,
            api_version=self.api_version,
            timeout=timeout,
            create_timeout=httpx.Timeout(self.create_timeout_seconds, connect=timeout.connect),
            retry=retry,
        )
