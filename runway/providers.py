"""Provider profiles: where the Runway API is served and what that server offers.

Runway itself is the only profile so far; proxies such as CometAPI serve the same requests under
other paths with fewer endpoints, and get their own profile.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

__all__ = ["API_VERSION", "PROVIDERS", "RUNWAY", "Capability", "ProviderProfile", "get_provider"]

API_VERSION = "2024-11-06"
"""The only value of ``X-Runway-Version`` the API accepts."""


class Capability(StrEnum):
    """Endpoints beyond create and get that a provider may or may not offer."""

    DELETE = "delete"
    UPLOADS = "uploads"
    ORGANIZATION = "organization"


class ProviderProfile(BaseModel):
    """Where and how to reach a Runway-compatible API.

    Attributes:
        name: The profile's name, as chosen in the credentials block.
        base_url: Default server URL.
        path_prefix: Prefix of every API path, for example ``/v1``.
        capabilities: The optional endpoints the provider serves.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    base_url: str
    path_prefix: str = "/v1"
    capabilities: frozenset[Capability] = frozenset(Capability)

    def path(self, *parts: str) -> str:
        """An API path under the provider's prefix, for example ``/v1/tasks/abc``."""
        return "/".join([self.path_prefix.rstrip("/"), *(p.strip("/") for p in parts)])


RUNWAY = ProviderProfile(name="runway", base_url="https://api.dev.runwayml.com")
"""Runway's own API."""

PROVIDERS: dict[str, ProviderProfile] = {RUNWAY.name: RUNWAY}


def get_provider(name: str) -> ProviderProfile:
    """The profile called ``name``.

    Raises:
        ValueError: naming the known profiles.
    """
    try:
        return PROVIDERS[name]
    except KeyError:
        raise ValueError(
            f"unknown provider {name!r}; known providers: {sorted(PROVIDERS)}"
        ) from None
