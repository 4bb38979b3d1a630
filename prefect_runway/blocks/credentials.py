"""The Runway credentials block."""

from __future__ import annotations

from typing import ClassVar, Literal

import httpx
from prefect.blocks.abstract import CredentialsBlock
from pydantic import Field, HttpUrl, SecretStr, field_validator

from prefect_runway.api import API_VERSION, RetryPolicy, RunwayClient, get_provider
from prefect_runway.api.client import DEFAULT_TIMEOUT

__all__ = ["RunwayCredentials"]


class RunwayCredentials(CredentialsBlock):
    """Credentials for Runway's API, or for a Runway-compatible proxy such as CometAPI.

    The API key is stored encrypted by Prefect and never shown: not in the UI, the logs, the
    results or the errors of this package.

    Attributes:
        api_key: The API key (Runway's start with ``key_``).
        provider: ``runway`` for Runway's own API, ``cometapi`` for the CometAPI proxy.
        base_url: Overrides the provider's URL (an emulator, a staging server).
        api_version: The ``X-Runway-Version`` header.

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

    @field_validator("api_key")
    @classmethod
    def _key_is_not_blank(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("api_key is empty")
        return value

    def get_client(
        self,
        *,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> RunwayClient:
        """A new async client for the provider, to be used as ``async with``.

        Args:
            retry: Retry budget and backoff for retryable failures.
            timeout: Per-request timeouts.
        """
        return RunwayClient(
            self.api_key,
            provider=get_provider(self.provider),
            base_url=self.base_url,
            api_version=self.api_version,
            timeout=timeout,
            retry=retry,
        )
