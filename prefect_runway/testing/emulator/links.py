"""Signed, expiring output links, shaped like Runway's (``...?_jwt=<token>``).

The token is a compact HS256 JWT whose claims name the task, the output index and the expiry
(``exp``, Unix seconds, fractional so tests can use sub-second lifetimes). The link needs no
``Authorization`` header: whoever holds it can download until it expires, like Runway's
CloudFront links. Each ``GET /v1/tasks/{id}`` mints fresh links.

Runway documents neither the status of an expired link nor whether links answer HEAD and
Range requests (UNCONFIRMED); the emulator answers HEAD and single-range requests, and an
expired or forged link answers **403** ``{"error": ...}`` (what CloudFront's signed URLs do).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from enum import Enum
from typing import Any

__all__ = ["LinkCheck", "sign_link", "verify_link"]


class LinkCheck(Enum):
    """Outcome of checking a link's token."""

    OK = "ok"
    EXPIRED = "expired"
    INVALID = "invalid"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_HEADER = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())


def sign_link(secret: bytes, task_id: str, index: int, expires_at: float) -> str:
    """Return the token for output ``index`` of ``task_id``, valid until ``expires_at``.

    Args:
        secret: The server's signing key.
        task_id: The task.
        index: Which output.
        expires_at: Unix time (seconds, may be fractional).
    """
    claims = {"sub": task_id, "idx": index, "exp": round(expires_at, 3)}
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{_HEADER}.{payload}".encode("ascii")
    signature = _b64(hmac.new(secret, signing_input, hashlib.sha256).digest())
    return f"{_HEADER}.{payload}.{signature}"


def verify_link(secret: bytes, token: str, task_id: str, index: int, now: float) -> LinkCheck:
    """Check a token against the task and output it is used for, at Unix time ``now``."""
    try:
        header, payload, signature = token.split(".")
        expected = _b64(
            hmac.new(secret, f"{header}.{payload}".encode("ascii"), hashlib.sha256).digest()
        )
        if not hmac.compare_digest(expected, signature):
            return LinkCheck.INVALID
        claims: Any = json.loads(_unb64(payload))
    except (ValueError, UnicodeError):
        return LinkCheck.INVALID
    if not isinstance(claims, dict) or claims.get("sub") != task_id or claims.get("idx") != index:
        return LinkCheck.INVALID
    expires = claims.get("exp")
    if not isinstance(expires, int | float):
        return LinkCheck.INVALID
    return LinkCheck.OK if now < expires else LinkCheck.EXPIRED
