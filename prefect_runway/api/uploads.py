"""Ephemeral uploads: a local file becomes a ``runway://`` URI (runway-api.md §7).

Two steps: ``POST /v1/uploads`` with the file name returns a presigned form, then the file is
POSTed as ``multipart/form-data`` to that form's URL, streamed from disk. The URI is valid for
24 hours, in any media field. Files must be 512 B to 200 MB with a media extension.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

__all__ = [
    "MAX_UPLOAD_BYTES",
    "MEDIA_TYPES_BY_EXTENSION",
    "MIN_UPLOAD_BYTES",
    "UPLOAD_LIFETIME_SECONDS",
    "UploadForm",
    "UploadedFile",
    "check_upload",
]

MIN_UPLOAD_BYTES = 512
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
UPLOAD_LIFETIME_SECONDS = 24 * 3600

MEDIA_TYPES_BY_EXTENSION: dict[str, str] = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".mp4": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".ogv": "video/ogg",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".flac": "audio/flac",
}


class UploadForm(BaseModel):
    """What ``POST /v1/uploads`` answers: where to send the file, and its future URI."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    upload_url: str
    fields: dict[str, str]
    runway_uri: str


@dataclass(frozen=True)
class UploadedFile:
    """A file uploaded to Runway.

    Attributes:
        uri: The ``runway://`` URI to put in a media field.
        filename: The name it was uploaded under.
        size: Its size in bytes.
        uploaded_at: ``time.time()`` when the upload finished; the URI expires 24 h later.
    """

    uri: str
    filename: str
    size: int
    uploaded_at: float

    def fresh_for(self, seconds: float, *, now: float | None = None) -> bool:
        """Whether the URI stays valid for at least ``seconds`` more."""
        now = time.time() if now is None else now
        return self.uploaded_at + UPLOAD_LIFETIME_SECONDS - now >= seconds


def check_upload(path: Path, filename: str | None = None) -> tuple[str, str, int]:
    """Check a file before uploading it.

    Returns:
        The file name to upload under, its media type and its size.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: naming the file and what is allowed (extension, name length, size).
    """
    name = filename or path.name
    if not path.is_file():
        raise FileNotFoundError(f"no such file to upload: {path}")
    extension = Path(name).suffix.lower()
    media_type = MEDIA_TYPES_BY_EXTENSION.get(extension)
    if media_type is None:
        raise ValueError(
            f"{name!r} has the extension {extension or '(none)'!r}; uploads take "
            f"{sorted(MEDIA_TYPES_BY_EXTENSION)}"
        )
    if not 3 <= len(name) <= 255:
        raise ValueError(f"the upload file name {name!r} must be 3 to 255 characters long")
    size = path.stat().st_size
    if size < MIN_UPLOAD_BYTES:
        raise ValueError(f"{path} is {size} bytes; uploads must be at least {MIN_UPLOAD_BYTES}")
    if size > MAX_UPLOAD_BYTES:
        raise ValueError(
            f"{path} is {size} bytes ({size / 2**20:.1f} MiB); uploads are at most 200 MB"
        )
    return name, media_type, size


def form_body(name: str) -> dict[str, Any]:
    """The JSON body of ``POST /v1/uploads``."""
    return {"filename": name, "type": "ephemeral"}
