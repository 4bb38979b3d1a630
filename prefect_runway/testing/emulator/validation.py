"""The emulator's own request validation, written from Runway's published rules.

It deliberately shares no code with the client package (``runway/``): the client and this
server each encode the rules once, and a rule that is wrong on either side shows up as a failing
integration test instead of being agreed on silently.

A request that breaks a rule answers 400 with Runway's shape::

    {"error": "Validation of body failed",
     "issues": [{"code": "invalid_value", "path": ["ratio"], "message": "Invalid option: ..."}]}

Issue codes and messages imitate Zod (which Runway's API uses): ``invalid_type``,
``invalid_value``, ``invalid_format``, ``too_small``, ``too_big``, ``unrecognized_keys`` and
``custom``. Every issue is collected, not only the first.

Sources: reference/runway-api.md sections 4.1, 4.2, 6, 7 and runway-openapi-limits.md.
Choices where Runway is silent (all UNCONFIRMED upstream):

* ``gen4_turbo`` without ``duration`` makes 10 s; veo3.1 models default to 8 s.
* Every data URI is capped at 5 MB (5 * 1024 * 1024 characters of the whole URI), as in SDK
  5.24.0, for images and videos alike.
* Accepted data-URI and upload media types: images JPEG/PNG/WebP; videos MP4, QuickTime, WebM,
  Ogg, Matroska, 3GPP. Anything else is "Unsupported asset type.".
* A ``runway://`` URI must name a completed upload of the right family (image or video) at
  create time; whether it is still valid is checked when the task starts (see ``state``).
* gen4.5 accepts every ``outputFormat`` of SDK 5.24.0 and prices its surcharge; the output
  follows it (``products.plan_output``: a ProRes .mov, a .zip of PNG frames, else an MP4).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

__all__ = [
    "DATA_URI_MAX_CHARS",
    "HTTPS_MAX_CHARS",
    "IMAGE_MEDIA_TYPES",
    "RUNWAY_URI_MAX_CHARS",
    "UPLOAD_EXTENSIONS",
    "VIDEO_MEDIA_TYPES",
    "CreateRequest",
    "Issue",
    "MediaRef",
    "UploadResolver",
    "cometapi_limit_issues",
    "utf16_length",
    "validate_character_performance",
    "validate_image_to_video",
    "validate_upload_request",
    "validate_usage_request",
]

HTTPS_MAX_CHARS = 2048
RUNWAY_URI_MAX_CHARS = 5000
DATA_URI_MAX_CHARS = 5 * 1024 * 1024
URI_MIN_CHARS = 13
PROMPT_MAX_UTF16 = 1000
SEED_MAX = 4_294_967_295
#: CometAPI's documented limits, tighter than Runway's (reference/cometapi.md section 1.1).
COMETAPI_SEED_MAX = 999_999_999
COMETAPI_PROMPT_MAX_UTF16 = 512

IMAGE_MEDIA_TYPES = frozenset({"image/jpeg", "image/jpg", "image/png", "image/webp"})
VIDEO_MEDIA_TYPES = frozenset(
    {
        "video/mp4",
        "video/quicktime",
        "video/mov",
        "video/webm",
        "video/ogg",
        "video/x-matroska",
        "video/3gpp",
    }
)
AUDIO_MEDIA_TYPES = frozenset(
    {
        "audio/mpeg",
        "audio/mp3",
        "audio/wav",
        "audio/x-wav",
        "audio/wave",
        "audio/flac",
        "audio/x-flac",
        "audio/aac",
        "audio/mp4",
        "audio/m4a",
        "audio/x-m4a",
        "audio/ogg",
    }
)

#: File extensions ``POST /v1/uploads`` accepts, with the media type the upload then has.
UPLOAD_EXTENSIONS: dict[str, str] = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".mp4": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
    ".ogv": "video/ogg",
    ".3gp": "video/3gpp",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".aac": "audio/aac",
    ".m4a": "audio/mp4",
    ".ogg": "audio/ogg",
}

GEN4_RATIOS = ("1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672")
VEO_RATIOS = ("1280:720", "720:1280", "1080:1920", "1920:1080")
ACT_TWO_RATIOS = ("1280:720", "720:1280", "960:960", "1104:832", "832:1104", "1584:672")

GEN45_OUTPUT_FORMATS = (
    "mp4",
    "prores",
    "png_sequence",
    "hdr10",
    "hlg",
    "sdr_rec709_10bit",
    "hdr_pq_12bit_master",
    "hdr_prores",
    "hdr_png_sequence",
    "hdr_exr_sequence",
    "hdr_exr_acescg_sequence_1_3",
    "hdr_exr_acescg_sequence_2_0",
)
PRORES_PROFILES = ("422", "4444", "422 Proxy", "422 LT", "422 HQ", "4444 XQ")
HDR_PRORES_PROFILES = ("422", "422 HQ", "4444")

MediaFamily = Literal["image", "video", "audio"]
_FAMILY_TYPES: dict[str, frozenset[str]] = {}

#: Looks up a ``runway://`` URI: the upload's media type, or None if no such completed upload.
UploadResolver = Callable[[str], str | None]

_FAMILY_TYPES.update(
    {"image": IMAGE_MEDIA_TYPES, "video": VIDEO_MEDIA_TYPES, "audio": AUDIO_MEDIA_TYPES}
)

_DATA_URI = re.compile(
    r"^data:(?P<type>[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+)"
    r"(?P<params>(?:;[A-Za-z0-9!#$&^_.+-]+=[^;,]*)*)"
    r"(?P<b64>;base64)?,(?P<data>.*)$",
    re.DOTALL,
)
_HOSTNAME = re.compile(r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9-]{1,63})*$")


@dataclass(frozen=True)
class Issue:
    """One field-level problem, in Runway's (Zod's) shape."""

    code: str
    path: tuple[str | int, ...]
    message: str

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object of this issue."""
        return {"code": self.code, "path": list(self.path), "message": self.message}


@dataclass(frozen=True)
class MediaRef:
    """A validated media URI.

    Attributes:
        scheme: ``https``, ``data`` or ``runway``.
        uri: The URI as sent.
        media_type: Declared (data URI) or recorded (upload) media type; None for https.
        payload: The decoded bytes of a data URI.
    """

    scheme: Literal["https", "data", "runway"]
    uri: str
    media_type: str | None = None
    payload: bytes | None = field(default=None, repr=False)


@dataclass
class CreateRequest:
    """A create request that passed validation, with defaults applied.

    Attributes:
        endpoint: ``image_to_video`` or ``character_performance``.
        model: The model.
        body: The JSON body as received.
        ratio: The output ratio (None for Act-Two without one: decided from the character).
        duration: Output seconds (None for Act-Two: the reference video's duration).
        audio: Whether audio is generated (veo3.1 models; priced).
        output_format: gen4.5's ``outputFormat`` (``mp4`` elsewhere).
        prompt_images: ``(position, media)`` of image-to-video.
        character: ``(type, media)`` of Act-Two.
        reference: The reference video of Act-Two.
        media_refs: ``(path, media, family)`` of every input of a catalogue model (the models
            beyond the original five), in body order.
        catalogue: Validated from catalogue.json (any model but the original five).
    """

    endpoint: str
    model: str
    body: dict[str, Any]
    ratio: str | None
    duration: float | None
    audio: bool = False
    output_format: str = "mp4"
    prompt_images: list[tuple[str, MediaRef]] = field(default_factory=list)
    character: tuple[str, MediaRef] | None = None
    reference: MediaRef | None = None
    media_refs: list[tuple[str, MediaRef, str]] = field(default_factory=list)
    catalogue: bool = False

    def media(self) -> list[MediaRef]:
        """Every input media of the request."""
        refs = [ref for _, ref in self.prompt_images]
        refs.extend(ref for _, ref, _ in self.media_refs)
        if self.character is not None:
            refs.append(self.character[1])
        if self.reference is not None:
            refs.append(self.reference)
        return refs


def utf16_length(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (how Runway measures ``promptText``)."""
    return len(text.encode("utf-16-le")) // 2


def _js_type(value: Any) -> str:
    """Name ``value``'s type the way Zod's messages do."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _options(values: tuple[Any, ...]) -> str:
    return "|".join(f'"{v}"' if isinstance(v, str) else str(v) for v in values)


_MISSING: Any = object()


class _Checker:
    """Collects issues while walking a JSON body."""

    def __init__(self, resolver: UploadResolver) -> None:
        self.issues: list[Issue] = []
        self.resolver = resolver

    def add(self, code: str, path: tuple[str | int, ...], message: str) -> None:
        self.issues.append(Issue(code, path, message))

    def expected(self, kind: str, value: Any, path: tuple[str | int, ...]) -> None:
        received = "undefined" if value is _MISSING else _js_type(value)
        self.add("invalid_type", path, f"Invalid input: expected {kind}, received {received}")

    def obj(
        self,
        value: Any,
        path: tuple[str | int, ...],
        required: frozenset[str] | set[str],
        optional: frozenset[str] | set[str],
    ) -> dict[str, Any] | None:
        """Check an object's type, its unknown keys and its required keys."""
        if not isinstance(value, dict):
            self.expected("object", value, path)
            return None
        unknown = [key for key in value if key not in required and key not in optional]
        if unknown:
            names = ", ".join(f'"{key}"' for key in unknown)
            plural = "s" if len(unknown) > 1 else ""
            self.add("unrecognized_keys", path, f"Unrecognized key{plural}: {names}")
        for key in sorted(required):
            if key not in value:
                self.add(
                    "invalid_type",
                    (*path, key),
                    "Invalid input: expected a value, received undefined",
                )
        return value

    def string(
        self, value: Any, path: tuple[str | int, ...], *, min_len: int, max_len: int
    ) -> str | None:
        """Check a string whose length is measured in UTF-16 code units."""
        if not isinstance(value, str):
            self.expected("string", value, path)
            return None
        length = utf16_length(value)
        if length < min_len:
            self.add(
                "too_small", path, f"Too small: expected string to have >={min_len} characters"
            )
            return None
        if length > max_len:
            self.add("too_big", path, f"Too big: expected string to have <={max_len} characters")
            return None
        return value

    def integer(
        self, value: Any, path: tuple[str | int, ...], *, minimum: int, maximum: int
    ) -> int | None:
        """Check an integer (JSON ``5.0`` counts: JavaScript cannot tell it from ``5``)."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.expected("number", value, path)
            return None
        if isinstance(value, float) and not value.is_integer():
            self.add("invalid_type", path, "Invalid input: expected int, received number")
            return None
        number = int(value)
        if number < minimum:
            self.add("too_small", path, f"Too small: expected number to be >={minimum}")
            return None
        if number > maximum:
            self.add("too_big", path, f"Too big: expected number to be <={maximum}")
            return None
        return number

    def boolean(self, value: Any, path: tuple[str | int, ...]) -> bool | None:
        if not isinstance(value, bool):
            self.expected("boolean", value, path)
            return None
        return value

    def enum(self, value: Any, path: tuple[str | int, ...], options: tuple[Any, ...]) -> Any:
        # bool is an int in Python; ``true`` must not pass for ``1``.
        if isinstance(value, bool) or value not in options:
            self.add("invalid_value", path, f"Invalid option: expected one of {_options(options)}")
            return None
        return value

    def content_moderation(self, value: Any, path: tuple[str | int, ...]) -> None:
        checked = self.obj(value, path, set(), {"publicFigureThreshold"})
        if checked is not None and "publicFigureThreshold" in checked:
            self.enum(
                checked["publicFigureThreshold"], (*path, "publicFigureThreshold"), ("auto", "low")
            )

    def media_uri(
        self, value: Any, path: tuple[str | int, ...], family: MediaFamily
    ) -> MediaRef | None:
        """Check an https URL, a ``runway://`` upload URI or a data URI of ``family``."""
        if not isinstance(value, str):
            self.expected("string", value, path)
            return None
        if len(value) < URI_MIN_CHARS:
            self.add(
                "too_small",
                path,
                f"Too small: expected string to have >={URI_MIN_CHARS} characters",
            )
            return None
        allowed = _FAMILY_TYPES[family]
        if value.startswith("https://"):
            return self._https(value, path)
        if value.startswith("runway://"):
            if len(value) > RUNWAY_URI_MAX_CHARS:
                self.add(
                    "too_big",
                    path,
                    f"Too big: expected string to have <={RUNWAY_URI_MAX_CHARS} characters",
                )
                return None
            media_type = self.resolver(value)
            if media_type is None:
                self.add("custom", path, "Unknown or incomplete upload.")
                return None
            if media_type not in allowed:
                article = "an" if family in ("image", "audio") else "a"
                self.add("custom", path, f"Unsupported asset type. Expected {article} {family}.")
                return None
            return MediaRef("runway", value, media_type)
        if value.startswith("data:"):
            return self._data_uri(value, path, family, allowed)
        if value.startswith("http://"):
            self.add("invalid_format", path, "Only HTTPS URLs are allowed.")
            return None
        self.add(
            "invalid_format",
            path,
            "Invalid input: expected an HTTPS URL, a runway:// upload URI or a data URI",
        )
        return None

    def _https(self, value: str, path: tuple[str | int, ...]) -> MediaRef | None:
        if len(value) > HTTPS_MAX_CHARS:
            self.add(
                "too_big", path, f"Too big: expected string to have <={HTTPS_MAX_CHARS} characters"
            )
            return None
        try:
            host = urlsplit(value).hostname or ""
        except ValueError:
            self.add("invalid_format", path, "Invalid URL.")
            return None
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            self.add("invalid_format", path, "URLs must be hosted on a domain.")
            return None
        # "2130706433" or "127.1" name an IPv4 address to a resolver, not a domain: no top-level
        # domain is all digits.
        if not _HOSTNAME.match(host) or host.rsplit(".", 1)[-1].isdigit():
            self.add("invalid_format", path, "URLs must be hosted on a domain.")
            return None
        return MediaRef("https", value)

    def _data_uri(
        self,
        value: str,
        path: tuple[str | int, ...],
        family: MediaFamily,
        allowed: frozenset[str],
    ) -> MediaRef | None:
        if len(value) > DATA_URI_MAX_CHARS:
            self.add(
                "too_big",
                path,
                f"Too big: expected string to have <={DATA_URI_MAX_CHARS} characters",
            )
            return None
        match = _DATA_URI.match(value)
        if match is None or match.group("b64") is None:
            self.add("invalid_format", path, "Invalid data URI.")
            return None
        media_type = match.group("type").lower()
        if not media_type.startswith(f"{family}/") or media_type not in allowed:
            article = "an" if family in ("image", "audio") else "a"
            self.add(
                "invalid_format", path, f"Unsupported asset type. Expected {article} {family}."
            )
            return None
        try:
            payload = base64.b64decode(match.group("data"), validate=True)
        except (binascii.Error, ValueError):
            self.add("invalid_format", path, "Invalid data URI.")
            return None
        if not payload:
            self.add("invalid_format", path, "Invalid data URI.")
            return None
        return MediaRef("data", value, media_type, payload)


@dataclass(frozen=True)
class _I2VSpec:
    required: frozenset[str]
    optional: frozenset[str]
    ratios: tuple[str, ...]
    duration_range: tuple[int, int] | None
    duration_enum: tuple[int, ...] | None
    default_duration: int | None
    max_images: int
    positions: tuple[str, ...]


_GEN4_TURBO = _I2VSpec(
    required=frozenset({"model", "promptImage", "ratio"}),
    optional=frozenset({"promptText", "duration", "seed", "contentModeration"}),
    ratios=GEN4_RATIOS,
    duration_range=(2, 10),
    duration_enum=None,
    default_duration=10,
    max_images=1,
    positions=("first",),
)
_GEN45 = _I2VSpec(
    required=frozenset({"model", "promptImage", "promptText", "ratio", "duration"}),
    optional=frozenset({"seed", "contentModeration", "outputFormat", "proresProfile"}),
    ratios=GEN4_RATIOS,
    duration_range=(2, 10),
    duration_enum=None,
    default_duration=None,
    max_images=1,
    positions=("first",),
)
_VEO = _I2VSpec(
    required=frozenset({"model", "promptImage", "ratio"}),
    optional=frozenset({"promptText", "audio", "negativePrompt", "duration", "seed"}),
    ratios=VEO_RATIOS,
    duration_range=None,
    duration_enum=(4, 6, 8),
    default_duration=8,
    max_images=2,
    positions=("first", "last"),
)
_I2V_SPECS: dict[str, _I2VSpec] = {
    "gen4_turbo": _GEN4_TURBO,
    "gen4.5": _GEN45,
    "veo3.1": _VEO,
    "veo3.1_fast": _VEO,
}


def _model(checker: _Checker, body: Any, models: tuple[str, ...]) -> str | None:
    if not isinstance(body, dict):
        checker.expected("object", body, ())
        return None
    if "model" not in body:
        checker.add(
            "invalid_type", ("model",), "Invalid input: expected string, received undefined"
        )
        return None
    model = body["model"]
    if not isinstance(model, str) or model not in models:
        checker.add(
            "invalid_value",
            ("model",),
            f"Invalid option: expected one of {_options(models)} (the models this emulator serves)",
        )
        return None
    return model


def _prompt_images(
    checker: _Checker, value: Any, spec: _I2VSpec
) -> list[tuple[str, MediaRef]] | None:
    path: tuple[str | int, ...] = ("promptImage",)
    if isinstance(value, str):
        ref = checker.media_uri(value, path, "image")
        return None if ref is None else [("first", ref)]
    if not isinstance(value, list):
        checker.expected("string or array", value, path)
        return None
    if not value:
        checker.add("too_small", path, "Too small: expected array to have >=1 items")
        return None
    if len(value) > spec.max_images:
        checker.add("too_big", path, f"Too big: expected array to have <={spec.max_images} items")
        return None
    images: list[tuple[str, MediaRef]] = []
    before = len(checker.issues)
    for index, item in enumerate(value):
        item_path = (*path, index)
        checked = checker.obj(item, item_path, {"uri", "position"}, set())
        if checked is None:
            continue
        position = (
            checker.enum(checked["position"], (*item_path, "position"), spec.positions)
            if "position" in checked
            else None
        )
        ref = (
            checker.media_uri(checked["uri"], (*item_path, "uri"), "image")
            if "uri" in checked
            else None
        )
        if position is not None and ref is not None:
            images.append((position, ref))
    if len(checker.issues) > before:
        return None
    positions = [position for position, _ in images]
    if len(set(positions)) != len(positions):
        checker.add("custom", path, "Each position may appear at most once.")
        return None
    if "first" not in positions:
        checker.add(
            "custom", path, "This model does not support generating with only a last frame."
        )
        return None
    return images


def validate_image_to_video(body: Any, resolver: UploadResolver) -> CreateRequest | list[Issue]:
    """Validate a ``POST /v1/image_to_video`` body.

    Args:
        body: The parsed JSON body.
        resolver: Looks up ``runway://`` URIs.

    Returns:
        The request with defaults applied, or the issues found.
    """
    checker = _Checker(resolver)
    model = _model(checker, body, tuple(_I2V_SPECS))
    if model is None:
        return checker.issues
    spec = _I2V_SPECS[model]
    checker.obj(body, (), spec.required, spec.optional)

    images = _prompt_images(checker, body["promptImage"], spec) if "promptImage" in body else None
    ratio = checker.enum(body["ratio"], ("ratio",), spec.ratios) if "ratio" in body else None
    if "promptText" in body:
        checker.string(body["promptText"], ("promptText",), min_len=1, max_len=PROMPT_MAX_UTF16)
    if "negativePrompt" in body:
        checker.string(
            body["negativePrompt"], ("negativePrompt",), min_len=1, max_len=PROMPT_MAX_UTF16
        )
    if "seed" in body:
        checker.integer(body["seed"], ("seed",), minimum=0, maximum=SEED_MAX)
    if "contentModeration" in body:
        checker.content_moderation(body["contentModeration"], ("contentModeration",))
    audio = True
    if "audio" in body:
        audio = bool(checker.boolean(body["audio"], ("audio",)))

    duration: int | None = spec.default_duration
    if "duration" in body:
        if spec.duration_range is not None:
            low, high = spec.duration_range
            duration = checker.integer(body["duration"], ("duration",), minimum=low, maximum=high)
        elif spec.duration_enum is not None:
            duration = checker.enum(body["duration"], ("duration",), spec.duration_enum)

    output_format = "mp4"
    if "outputFormat" in body:
        output_format = checker.enum(body["outputFormat"], ("outputFormat",), GEN45_OUTPUT_FORMATS)
    if "proresProfile" in body:
        if output_format == "prores":
            checker.enum(body["proresProfile"], ("proresProfile",), PRORES_PROFILES)
        elif output_format == "hdr_prores":
            checker.enum(body["proresProfile"], ("proresProfile",), HDR_PRORES_PROFILES)
        elif output_format is not None:
            checker.add(
                "custom",
                ("proresProfile",),
                "proresProfile is only valid when outputFormat is prores or hdr_prores.",
            )

    if checker.issues:
        return checker.issues
    assert images is not None and ratio is not None and duration is not None
    return CreateRequest(
        endpoint="image_to_video",
        model=model,
        body=body,
        ratio=ratio,
        duration=float(duration),
        audio=audio if model.startswith("veo") else False,
        output_format=output_format,
        prompt_images=images,
    )


def validate_character_performance(
    body: Any, resolver: UploadResolver
) -> CreateRequest | list[Issue]:
    """Validate a ``POST /v1/character_performance`` (Act-Two) body.

    The reference video's 3-30 s rule cannot be checked without reading the video; the state
    machine checks it when it can read the video and fails the task with ``ASSET.INVALID``.

    Args:
        body: The parsed JSON body.
        resolver: Looks up ``runway://`` URIs.

    Returns:
        The request with defaults applied, or the issues found.
    """
    checker = _Checker(resolver)
    model = _model(checker, body, ("act_two",))
    if model is None:
        return checker.issues
    checker.obj(
        body,
        (),
        {"model", "character", "reference"},
        {"bodyControl", "expressionIntensity", "ratio", "seed", "contentModeration"},
    )

    character: tuple[str, MediaRef] | None = None
    if "character" in body:
        value = body["character"]
        checked = checker.obj(value, ("character",), {"type", "uri"}, set())
        if checked is not None and "type" in checked:
            kind = checker.enum(checked["type"], ("character", "type"), ("image", "video"))
            if kind is not None and "uri" in checked:
                ref = checker.media_uri(checked["uri"], ("character", "uri"), kind)
                if ref is not None:
                    character = (kind, ref)

    reference: MediaRef | None = None
    if "reference" in body:
        checked = checker.obj(body["reference"], ("reference",), {"type", "uri"}, set())
        if checked is not None:
            if "type" in checked:
                checker.enum(checked["type"], ("reference", "type"), ("video",))
            if "uri" in checked:
                reference = checker.media_uri(checked["uri"], ("reference", "uri"), "video")

    if "bodyControl" in body:
        checker.boolean(body["bodyControl"], ("bodyControl",))
    if "expressionIntensity" in body:
        checker.integer(body["expressionIntensity"], ("expressionIntensity",), minimum=1, maximum=5)
    ratio = None
    if "ratio" in body:
        ratio = checker.enum(body["ratio"], ("ratio",), ACT_TWO_RATIOS)
    if "seed" in body:
        checker.integer(body["seed"], ("seed",), minimum=0, maximum=SEED_MAX)
    if "contentModeration" in body:
        checker.content_moderation(body["contentModeration"], ("contentModeration",))

    if checker.issues:
        return checker.issues
    assert character is not None and reference is not None
    return CreateRequest(
        endpoint="character_performance",
        model=model,
        body=body,
        ratio=ratio,
        duration=None,
        character=character,
        reference=reference,
    )


def cometapi_limit_issues(body: Any, already: list[Issue]) -> list[Issue]:
    """The issues CometAPI's tighter limits add to a create body that Runway's rules allow.

    CometAPI documents ``seed`` 0-999999999 and ``promptText`` at most 512 characters for
    image_to_video; the emulator applies the seed limit to character_performance too, whose
    page gives no range (UNCONFIRMED). Fields that already have an issue in ``already`` are
    skipped, so one field never gets two issues.

    Args:
        body: The parsed JSON body (any JSON value).
        already: The issues Runway's own rules found.
    """
    if not isinstance(body, dict):
        return []
    flagged = {issue.path for issue in already}
    checker = _Checker(lambda _uri: None)
    seed = body.get("seed")
    if ("seed",) not in flagged and isinstance(seed, int | float) and not isinstance(seed, bool):
        checker.integer(seed, ("seed",), minimum=0, maximum=COMETAPI_SEED_MAX)
    prompt = body.get("promptText")
    if ("promptText",) not in flagged and isinstance(prompt, str):
        checker.string(prompt, ("promptText",), min_len=1, max_len=COMETAPI_PROMPT_MAX_UTF16)
    return checker.issues


def validate_upload_request(body: Any) -> tuple[str, str] | list[Issue]:
    """Validate a ``POST /v1/uploads`` body.

    Returns:
        ``(filename, media_type)``, or the issues found.
    """
    checker = _Checker(lambda _uri: None)
    checked = checker.obj(body, (), {"filename", "type"}, set())
    if checked is None:
        return checker.issues
    filename = None
    if "filename" in checked:
        filename = checker.string(checked["filename"], ("filename",), min_len=3, max_len=255)
    if "type" in checked:
        checker.enum(checked["type"], ("type",), ("ephemeral",))
    media_type = None
    if filename is not None:
        dot = filename.rfind(".")
        media_type = UPLOAD_EXTENSIONS.get(filename[dot:].lower()) if dot >= 0 else None
        if media_type is None:
            checker.add(
                "custom",
                ("filename",),
                "The filename must have a valid extension of a supported media type "
                f"({', '.join(sorted(UPLOAD_EXTENSIONS))}).",
            )
    if checker.issues:
        return checker.issues
    assert filename is not None and media_type is not None
    return filename, media_type


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def validate_usage_request(body: Any) -> Mapping[str, str] | list[Issue]:
    """Validate a ``POST /v1/organization/usage`` body (``startDate``/``beforeDate``).

    Returns:
        The dates given (a subset of ``startDate``, ``beforeDate``), or the issues found.
    """
    from datetime import date

    checker = _Checker(lambda _uri: None)
    checked = checker.obj(body, (), set(), {"startDate", "beforeDate"})
    if checked is None:
        return checker.issues
    dates: dict[str, str] = {}
    for key in ("startDate", "beforeDate"):
        if key not in checked:
            continue
        value = checked[key]
        if not isinstance(value, str):
            checker.expected("string", value, (key,))
            continue
        try:
            if not _DATE.match(value):
                raise ValueError(value)
            date.fromisoformat(value)
        except ValueError:
            checker.add("invalid_format", (key,), "Invalid ISO date (expected YYYY-MM-DD)")
            continue
        dates[key] = value
    if checker.issues:
        return checker.issues
    return dates
