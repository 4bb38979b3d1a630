"""API keys: stripped, and checked for their provider's shape before they reach a header.

Runway's keys are ``key_`` and 128 hexadecimal digits, and its troubleshooting page warns about
whitespace at the end of a pasted key (runway-api.md §2). A key with a trailing newline is worse
than a 401: ``h11`` refuses the header, and its error quotes the header's value, the key
included, which then lands in logs and flow run states. So a key is stripped, then checked:

* for any provider, it must be visible ASCII only (no spaces, no control characters), which is
  what an HTTP header value can carry as is;
* for Runway itself, it must match ``key_`` and 128 hex digits.

CometAPI documents no key format (reference/cometapi.md), so only the first rule applies to it.
The refusal never quotes the key: it gives its length and what is wrong.

Example:
    >>> from prefect_runway.api.providers import COMETAPI
    >>> clean_api_key("  sk-abc123\\n", COMETAPI).get_secret_value()
    'sk-abc123'
"""

from __future__ import annotations

import re

from pydantic import SecretStr

from prefect_runway.api.errors import InvalidApiKey
from prefect_runway.api.providers import ProviderProfile

__all__ = ["RUNWAY_KEY_PATTERN", "clean_api_key"]

RUNWAY_KEY_PATTERN = re.compile(r"^key_[0-9a-f]{128}$")
"""Runway's key format (docs.dev.runwayml.com/errors/troubleshooting)."""

_VISIBLE_ASCII = re.compile(r"^[\x21-\x7e]+$")
_MAX_KEY_CHARS = 4096


def clean_api_key(key: SecretStr | str, provider: ProviderProfile) -> SecretStr:
    """The key without surrounding whitespace, checked for the provider's shape.

    Args:
        key: The key as saved or passed.
        provider: The provider it is for.

    Returns:
        The stripped key.

    Raises:
        InvalidApiKey: naming what is wrong, never the key itself.
    """
    raw = key.get_secret_value() if isinstance(key, SecretStr) else key
    if not isinstance(raw, str):
        raise InvalidApiKey("api_key must be a string")
    value = raw.strip()
    if not value:
        raise InvalidApiKey("api_key is empty; paste the key from your provider's dashboard")
    if len(value) > _MAX_KEY_CHARS:
        raise InvalidApiKey(
            f"api_key is {len(value)} characters long; keys are at most {_MAX_KEY_CHARS}"
        )
    if not _VISIBLE_ASCII.match(value):
        raise InvalidApiKey(
            f"api_key ({len(value)} characters) contains spaces, control characters or "
            "non-ASCII characters inside it; an HTTP header cannot carry it. Copy the key again "
            "from your provider's dashboard"
        )
    if provider.name == "runway" and not RUNWAY_KEY_PATTERN.match(value):
        starts = "starts with 'key_'" if value.startswith("key_") else "does not start with 'key_'"
        raise InvalidApiKey(
            f"api_key is not a Runway key: Runway's keys are 'key_' followed by 128 lower-case "
            f"hex digits (132 characters); this one has {len(value)} characters and {starts}. "
            "Copy it again from the Runway developer portal, or set the provider of a proxy"
        )
    return SecretStr(value)
