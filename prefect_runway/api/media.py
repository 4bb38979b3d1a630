"""Media URIs as Runway accepts them, checked before anything is sent.

Runway takes media in three forms (runway-api.md §4, §6, §7):

* ``https://`` URLs on a domain name (not an IP address), 13 to 2048 characters;
* ``data:<media type>;base64,<payload>`` URIs that declare their media type, at most 5 MB encoded
  (SDK 5.24.0 caps every media type at 5 MB; larger files go through the uploads API);
* ``runway://`` URIs returned by the uploads API, at most 5000 characters, valid 24 h.

A field takes images, videos or audio (its ``MediaKind``); a data URI must declare a media type
of that kind.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator

__all__ = [
    "AUDIO_MEDIA_TYPES",
    "IMAGE_MEDIA_TYPES",
    "MAX_DATA_URI_CHARS",
    "MAX_HTTPS_URL_CHARS",
    "MAX_RUNWAY_URI_CHARS",
    "MIN_URI_CHARS",
    "VIDEO_MEDIA_TYPES",
    "AudioUri",
    "ImageUri",
    "MediaKind",
    "VideoUri",
    "check_media_uri",
    "data_uri_media_type",
    "redact_url",
]

MIN_URI_CHARS = 13
MAX_HTTPS_URL_CHARS = 2048
MAX_RUNWAY_URI_CHARS = 5000
MAX_DATA_URI_CHARS = 5 * 1024 * 1024

# runway-api.md §6: JPEG, PNG and WebP images ("no GIF"); MP4, MOV, WebM and Ogg videos.
IMAGE_MEDIA_TYPES = frozenset({"image/jpeg", "image/jpg", "image/png", "image/webp"})
VIDEO_MEDIA_TYPES = frozenset(
    {"video/mp4", "video/quicktime", "video/mov", "video/webm", "video/ogg"}
)
# runway-api.md §6: "Audio MP3, AAC, FLAC, PCM/WAV, ALAC", under the media types browsers and
# encoders commonly declare for them.
AUDIO_MEDIA_TYPES = frozenset(
    {
        "audio/mpeg",
        "audio/mp3",
        "audio/aac",
        "audio/mp4",
        "audio/x-m4a",
        "audio/m4a",
        "audio/flac",
        "audio/x-flac",
        "audio/wav",
        "audio/x-wav",
        "audio/wave",
    }
)

_DATA_URI = re.compile(r"^data:(?P<type>[^;,]*)(?P<params>(;[^;,]*)*),", re.IGNORECASE)


class MediaKind(StrEnum):
    """What a media field holds, which decides the media types it accepts."""

    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"

    @property
    def media_types(self) -> frozenset[str]:
        return {
            MediaKind.IMAGE: IMAGE_MEDIA_TYPES,
            MediaKind.VIDEO: VIDEO_MEDIA_TYPES,
            MediaKind.AUDIO: AUDIO_MEDIA_TYPES,
        }[self]


def _shown(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else f"{value[:limit]}... ({len(value)} characters)"


def data_uri_media_type(uri: str) -> str | None:
    """The media type a data URI declares, lower-cased, or None if it declares none."""
    match = _DATA_URI.match(uri[:300])
    if not match or "/" not in match.group("type"):
        return None  # "data:base64,..." names an encoding, not a media type
    return match.group("type").lower()


def _is_ip_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        # "127.1" or "2130706433" are IPv4 addresses too in most resolvers; no real top-level
        # domain is all digits, so such a host is an address, not a domain name.
        return host.rsplit(".", 1)[-1].isdigit()
    return True


def _check_https(uri: str) -> None:
    if len(uri) > MAX_HTTPS_URL_CHARS:
        raise ValueError(
            f"the https URL is {len(uri)} characters long; at most {MAX_HTTPS_URL_CHARS} are "
            "allowed (upload the file instead)"
        )
    if len(uri) < MIN_URI_CHARS:
        raise ValueError(f"the URL {uri!r} is shorter than {MIN_URI_CHARS} characters")
    host = urlsplit(uri).hostname
    if not host:
        raise ValueError(f"the URL {_shown(uri)!r} has no host name")
    if _is_ip_host(host):
        raise ValueError(
            f"the URL {_shown(uri)!r} uses the IP address {host}; Runway fetches only URLs "
            "on a domain name"
        )


def _check_data_uri(uri: str, kind: MediaKind) -> None:
    if len(uri) > MAX_DATA_URI_CHARS:
        raise ValueError(
            f"the data URI is {len(uri)} characters long; at most {MAX_DATA_URI_CHARS} "
            "(5 MB encoded) are allowed; larger files go through the uploads API"
        )
    match = _DATA_URI.match(uri[:300])
    media_type = data_uri_media_type(uri)
    if match is None or media_type is None:
        raise ValueError(
            f"the data URI {_shown(uri, 40)!r} declares no media type; write it as "
            f"data:<type>;base64,<payload> with a type in {sorted(kind.media_types)}"
        )
    if media_type not in kind.media_types:
        raise ValueError(
            f"the data URI declares {media_type!r}; this field takes {kind.value} media of "
            f"type {sorted(kind.media_types)}"
        )
    params = [p.strip().lower() for p in match.group("params").split(";") if p.strip()]
    if "base64" not in params:
        raise ValueError("the data URI is not base64-encoded; write data:<type>;base64,<payload>")
    payload = uri[match.end() :]
    if not payload:
        raise ValueError("the data URI has an empty payload")
    try:
        base64.b64decode(payload, validate=True)
    except binascii.Error as error:
        raise ValueError(f"the data URI's payload is not valid base64 ({error})") from None


def _check_runway_uri(uri: str) -> None:
    if len(uri) > MAX_RUNWAY_URI_CHARS:
        raise ValueError(
            f"the runway:// URI is {len(uri)} characters long; at most "
            f"{MAX_RUNWAY_URI_CHARS} are allowed"
        )
    if len(uri) < MIN_URI_CHARS:
        raise ValueError(f"the runway:// URI {uri!r} is shorter than {MIN_URI_CHARS} characters")


def check_media_uri(uri: str, kind: MediaKind) -> str:
    """Check that ``uri`` is a media URI Runway accepts for a field of ``kind``.

    Args:
        uri: The URI as it would be sent.
        kind: Whether the field takes an image, a video or audio.

    Returns:
        The URI, unchanged.

    Raises:
        ValueError: naming the value and what is allowed.

    Example:
        >>> check_media_uri("https://example.com/cat.png", MediaKind.IMAGE)
        'https://example.com/cat.png'
    """
    scheme = uri.split(":", 1)[0].lower() if ":" in uri else ""
    if scheme == "https":
        _check_https(uri)
    elif scheme == "data":
        _check_data_uri(uri, kind)
    elif uri.startswith("runway://"):
        _check_runway_uri(uri)
    elif scheme == "http":
        raise ValueError(f"the URL {_shown(uri)!r} is http; Runway fetches only https URLs")
    else:
        raise ValueError(
            f"{_shown(uri, 40)!r} is not a media URI; use an https:// URL on a domain name, "
            "a data:<type>;base64,... URI of at most 5 MB, or a runway:// upload URI"
        )
    return uri


def _image(uri: str) -> str:
    return check_media_uri(uri, MediaKind.IMAGE)


def _video(uri: str) -> str:
    return check_media_uri(uri, MediaKind.VIDEO)


def _audio(uri: str) -> str:
    return check_media_uri(uri, MediaKind.AUDIO)


ImageUri = Annotated[str, AfterValidator(_image)]
"""A media URI that holds an image (JPEG, PNG or WebP)."""

VideoUri = Annotated[str, AfterValidator(_video)]
"""A media URI that holds a video (MP4, MOV, WebM or Ogg)."""

AudioUri = Annotated[str, AfterValidator(_audio)]
"""A media URI that holds audio (MP3, AAC, FLAC or WAV)."""


def redact_url(url: str) -> str:
    """The URL without its query string and fragment, for logs.

    Output links are signed in their query string (``?_jwt=...``), which makes them secrets.

    Example:
        >>> redact_url("https://cdn.example.com/out.mp4?_jwt=abc")
        'https://cdn.example.com/out.mp4'
    """
    if url.startswith("data:"):
        header = url[: url.find(",") + 1] if "," in url[:300] else "data:"
        return f"{header}... ({len(url)} characters)"
    parts = urlsplit(url)
    return parts._replace(query="", fragment="").geturl()
