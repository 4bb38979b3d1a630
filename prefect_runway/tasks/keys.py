"""The generation key: what makes two generations "the same" for caching and resuming.

The key is a hash of the canonical request (with each media field replaced by the identity of
its content, not by the URI it will be sent as), the provider's URL, the ``variant`` and, for
every endpoint but the original two (image_to_video, character_performance), the endpoint. It is
computed before inputs are prepared, so a re-upload (whose ``runway://`` URI differs every time)
never changes it, and it never includes source code, so a new release does not pay again.

Content identity per reference kind:

* local file: sha256 of its bytes;
* ``s3://`` object: its ETag and size (a HEAD, not a download; an ETag changes with the content);
* data URI: sha256 of the whole URI;
* https URL and ``runway://`` URI: the URI itself (the bytes behind it are Runway's to fetch).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from prefect_runway.tasks.spec import GenerationSpec

__all__ = ["attempt_key", "generation_key"]

KEY_VERSION = 1
"""Bumped only if the canonical form changes; a bump makes every earlier result unreachable."""


_FIRST_ENDPOINTS = frozenset({"image_to_video", "character_performance"})
"""The endpoints whose keys predate the catalogue and carry no endpoint."""


def generation_key(
    spec: GenerationSpec, *, base_url: str, content_ids: Mapping[tuple[str | int, ...], str]
) -> str:
    """The key of a generation, 32 hex characters.

    Args:
        spec: The generation.
        base_url: The provider's URL: the same request to another provider is another generation.
        content_ids: The identity of each media field's content, by field path.

    Example:
        >>> spec = GenerationSpec(request={"model": "gen4_turbo", "promptImage": "a.png",
        ...                                "ratio": "960:960"})
        >>> len(generation_key(spec, base_url="https://x", content_ids={("promptImage",): "h"}))
        32
    """
    request = spec.validate_request()
    canonical_request = request.to_api()
    body = spec.with_media(dict(content_ids))
    for ref in spec.media():
        # Replace in the validated (defaults filled) body, so {"duration": 10} written or not
        # is the same generation.
        target: Any = canonical_request
        for part in ref.path[:-1]:
            target = target[part]
        target[ref.path[-1]] = _content_field(body, ref.path)
    document = {
        "v": KEY_VERSION,
        "request": canonical_request,
        "provider": base_url.rstrip("/"),
        "variant": spec.variant,
    }
    if request.endpoint not in _FIRST_ENDPOINTS:
        # One body can mean two generations (seed_audio on sound_effect and text_to_speech).
        # The original endpoints are left out of the document, so every key computed before
        # the catalogue grew stays byte-identical (a changed key pays again).
        document["endpoint"] = request.endpoint
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()[:32]


def _content_field(body: dict[str, Any], path: tuple[str | int, ...]) -> Any:
    target: Any = body
    for part in path:
        target = target[part]
    return target


def attempt_key(key: str, attempt: int) -> str:
    """The key of one attempt (from 1) at a generation: a retried failure is a new generation."""
    return f"{key}-{attempt}"
