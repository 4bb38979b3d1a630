"""What each request produces: the media kind, Content-Type and file extension of its outputs.

Storing picks the object key's extension and ``Content-Type`` from here before downloading, and
checks them against what the output link answers (``extension_for``): the link's own
``Content-Type`` wins when it names a known type, since Runway's defaults for some models are
undocumented.

Video endpoints deliver MP4 unless ``outputFormat`` asks for ProRes or another container
(SDK 5.24.0 docstrings: ``prores`` "returns a ProRes .mov", ``png_sequence`` "returns a .zip of
PNG frames", the 10-bit HEVC profiles ".mp4", ``hdr_pq_12bit_master`` and ``hdr_prores`` ".mov",
the EXR and 16-bit PNG sequences ".zip"). Image endpoints deliver PNG unless ``outputFormat``
says otherwise (``recraft_v4_1_vector`` draws SVG). Audio endpoints deliver what ``outputFormat``
or ``format`` asks, MP3 otherwise (Runway does not document a default; MP3 is ElevenLabs').

Example:
    >>> from prefect_runway.api.catalogue import parse_request
    >>> kind = output_kind(parse_request(
    ...     {"model": "gen4.5", "promptText": "Waves", "ratio": "1280:720", "duration": 5,
    ...      "outputFormat": "prores"}))
    >>> kind.media, kind.content_type, kind.extension
    ('video', 'video/quicktime', 'mov')
"""

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

__all__ = ["CONTENT_TYPES", "OutputKind", "extension_for", "output_kind"]

Media = Literal["video", "image", "audio", "archive"]

CONTENT_TYPES: dict[str, str] = {
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "zip": "application/zip",
    "png": "image/png",
    "jpg": "image/jpeg",
    "webp": "image/webp",
    "svg": "image/svg+xml",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
    "m4a": "audio/mp4",
    "aac": "audio/aac",
}
"""The Content-Type of each extension outputs can have."""

_EXTENSIONS: dict[str, str] = {
    **{content_type: extension for extension, content_type in CONTENT_TYPES.items()},
    "video/mov": "mov",
    "image/jpg": "jpg",
    "audio/mp3": "mp3",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/x-flac": "flac",
    "audio/opus": "ogg",
    "application/x-zip-compressed": "zip",
}

_VIDEO_ENDPOINTS = frozenset(
    {
        "image_to_video",
        "text_to_video",
        "video_to_video",
        "character_performance",
        "video_upscale",
        "video_to_hdr",
    }
)
_IMAGE_ENDPOINTS = frozenset({"text_to_image", "image_upscale"})
_AUDIO_ENDPOINTS = frozenset(
    {
        "sound_effect",
        "text_to_speech",
        "speech_to_speech",
        "video_to_audio",
        "voice_dubbing",
        "voice_isolation",
    }
)

_VIDEO_FORMATS: dict[str, str] = {
    "mp4": "mp4",
    "mov": "mov",
    "prores": "mov",
    "png_sequence": "zip",
    "hdr10": "mp4",
    "hlg": "mp4",
    "sdr_rec709_10bit": "mp4",
    "hdr_pq_12bit_master": "mov",
    "hdr_prores": "mov",
    "hdr_png_sequence": "zip",
    "hdr_exr_sequence": "zip",
    "hdr_exr_acescg_sequence_1_3": "zip",
    "hdr_exr_acescg_sequence_2_0": "zip",
}
_IMAGE_FORMATS: dict[str, str] = {"png": "png", "jpeg": "jpg", "webp": "webp"}
_AUDIO_FORMATS: dict[str, str] = {"mp3": "mp3", "wav": "wav", "flac": "flac", "ogg_opus": "ogg"}


@dataclass(frozen=True)
class OutputKind:
    """What a request's outputs are expected to be.

    Attributes:
        media: ``video``, ``image``, ``audio``, or ``archive`` (a .zip of frames).
        content_type: The expected ``Content-Type``.
        extension: The file extension, without the dot.
        count: How many outputs are asked for (``outputCount``, ``numVariants``; 1 otherwise).
            A frame sequence with audio also brings a separate ``.wav``: Runway's ``output``
            list is the authority on the number of links.
    """

    media: Media
    content_type: str
    extension: str
    count: int = 1


def _kind(extension: str, count: int = 1) -> OutputKind:
    media: Media
    if extension == "zip":
        media = "archive"
    elif extension in ("mp4", "mov"):
        media = "video"
    elif extension in ("png", "jpg", "webp", "svg"):
        media = "image"
    else:
        media = "audio"
    return OutputKind(media, CONTENT_TYPES[extension], extension, count)


def output_kind(request: BaseModel) -> OutputKind:
    """The kind of output ``request`` produces.

    Args:
        request: A catalogue request (anything with ``endpoint`` and ``model``).

    Raises:
        ValueError: the request's endpoint is not a generation endpoint of the catalogue.
    """
    endpoint = str(getattr(request, "endpoint", ""))
    model = str(getattr(request, "model", ""))
    count = getattr(request, "output_count", None) or getattr(request, "num_variants", None) or 1
    if endpoint in _VIDEO_ENDPOINTS:
        default = "hdr10" if endpoint == "video_to_hdr" else "mp4"
        output_format = getattr(request, "output_format", None) or default
        return _kind(_VIDEO_FORMATS.get(output_format, "mp4"))
    if endpoint in _IMAGE_ENDPOINTS:
        if model == "recraft_v4_1_vector":
            return _kind("svg", count)
        default = "webp" if model == "recraft_v4_1_flash" else "png"
        output_format = getattr(request, "output_format", None) or default
        return _kind(_IMAGE_FORMATS.get(output_format, "png"), count)
    if endpoint in _AUDIO_ENDPOINTS:
        output_format = (
            getattr(request, "output_format", None) or getattr(request, "format", None) or "mp3"
        )
        return _kind(_AUDIO_FORMATS.get(output_format, "mp3"), count)
    raise ValueError(f"no output kind for endpoint {endpoint!r}")


def extension_for(content_type: str | None, expected: OutputKind) -> str:
    """The extension to store an output under, from the link's ``Content-Type``.

    A known type names its own extension; an unknown or missing one (``binary/octet-stream``)
    keeps the expected extension.

    Example:
        >>> extension_for("image/jpeg; charset=binary", OutputKind("image", "image/png", "png"))
        'jpg'
    """
    if content_type:
        base = content_type.split(";", 1)[0].strip().lower()
        if base in _EXTENSIONS:
            return _EXTENSIONS[base]
    return expected.extension
