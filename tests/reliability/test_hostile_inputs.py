"""Hostile inputs through the public entry points: each refused before any POST, by name.

Someone who can fill a UI form, send an event or write a manifest row tries to make a worker pay
for nothing (media that is not media, a picture that claims to be huge, a clip too short), send
one of its own files or another team's objects to a third party (paths, links, devices, other
buckets, ``..`` keys), stall or crash it (a 4 GB sparse file, a FIFO, a symbolic link loop, a
poll interval of 1e308, JSON nested 100000 deep) or leak its key (a key that breaks the header).
Every case goes through ``generate``, the flows' parameter models, or the batch flow, against
the emulator and moto, and must leave the emulator with **0 creates and 0 uploads** and an error
naming the field (or the manifest line).

Each case is one distinct hostile input, filed under a class. The table in RELIABILITY.md
counts them by class; it is printed by ``python -m tests.reliability.hostile_table``, which runs
this file and counts the cases that passed.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prefect_aws import S3Bucket
from pydantic import SecretStr, ValidationError

from prefect_runway.api import WaitPolicy
from prefect_runway.api.errors import PrefectRunwayError
from prefect_runway.blocks import RunwayCredentials
from prefect_runway.flows.batch import batch
from prefect_runway.flows.character_performance import CharacterPerformanceParams
from prefect_runway.flows.image_to_video import ImageToVideoParams
from prefect_runway.flows.storyboard import CloseUp, Scene
from prefect_runway.tasks.allowed_inputs import ROOTS_ENV
from prefect_runway.tasks.generate import generate
from prefect_runway.testing.emulator import RunwayEmulator
from tests.flows.conftest import SavedBlocks
from tests.media_samples import (
    gif_bytes,
    jpeg_bytes,
    mp4_bytes,
    png_bytes,
    png_header_claiming,
    webp_bytes,
)

pytestmark = pytest.mark.usefixtures("prefect_harness")

FACE = "https://example.com/face.png"
TAKE = "https://example.com/take.mp4"
PNG, JPEG, WEBP = png_bytes(), jpeg_bytes(), webp_bytes()
MP4 = mp4_bytes(3.5)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_with(ihdr: bytes, idat: bytes) -> bytes:
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


# ---------------------------------------------------------------------------------------------
# The hostile contents: (id, bytes, field kind). "image" goes in promptImage; "video" is an
# Act-Two reference; "character-video" an Act-Two character of type video.

CONTENTS: list[tuple[str, bytes, str]] = [
    ("text-named-png", b"I am a text file with a .png name\n" * 20, "image"),
    ("empty-file", b"", "image"),
    ("one-byte", b"\x89", "image"),
    ("png-signature-only", PNG[:8], "image"),
    ("png-cut-in-ihdr", PNG[:20], "image"),
    ("png-cut-in-idat", PNG[: len(PNG) // 2], "image"),
    ("png-without-iend", PNG[:-12], "image"),
    ("png-last-byte-missing", PNG[:-1], "image"),
    ("png-claims-100000x100000", png_header_claiming(100_000, 100_000), "image"),
    ("png-claims-8001x8001", png_header_claiming(8001, 8001), "image"),
    ("png-claims-0x0", png_header_claiming(0, 0), "image"),
    ("png-claims-1x4294967295", png_header_claiming(1, 2**32 - 1), "image"),
    ("png-ihdr-bad-crc", PNG[:29] + b"\0\0\0\0" + PNG[33:], "image"),
    ("png-garbage-idat", _png_with(PNG[16:29], b"not deflate at all"), "image"),
    (
        "png-no-idat",
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", PNG[16:29]) + _chunk(b"IEND", b""),
        "image",
    ),
    ("png-chunk-claims-2gb", PNG[:33] + struct.pack(">I4s", 0x7FFFFFF0, b"IDAT"), "image"),
    ("gif-named-png", gif_bytes(), "image"),
    ("bmp-named-png", b"BM" + b"\0" * 60, "image"),
    ("tiff-named-png", b"II*\x00" + b"\0" * 60, "image"),
    ("heic-named-png", b"\0\0\0\x18ftypheic" + b"\0" * 60, "image"),
    ("avif-named-png", b"\0\0\0\x18ftypavif" + b"\0" * 60, "image"),
    (
        "svg-named-png",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>',
        "image",
    ),
    ("pdf-named-png", b"%PDF-1.7\n" + b"\0" * 60, "image"),
    ("zip-named-png", b"PK\x03\x04" + b"\0" * 60, "image"),
    ("mp4-as-image", MP4, "image"),
    ("jpeg-without-eoi", JPEG[:-2], "image"),
    ("jpeg-cut-in-header", JPEG[:40], "image"),
    ("jpeg-soi-only", b"\xff\xd8\xff", "image"),
    ("webp-cut", WEBP[:-4], "image"),
    ("webp-unknown-chunk", b"RIFF\x40\0\0\0WEBPJUNK" + b"\0" * 60, "image"),
    ("text-named-mp4-reference", b"just words in a file named keeper.mp4\n" * 10, "video"),
    ("png-as-reference", PNG, "video"),
    ("mp4-cut-in-half", MP4[: len(MP4) // 2], "video"),
    ("mp4-ftyp-only", MP4[:32], "video"),
    ("mp3-as-reference", b"ID3\x04" + b"\0" * 200, "video"),
    ("wav-as-reference", b"RIFF\x40\0\0\0WAVEfmt " + b"\0" * 60, "video"),
    ("avi-as-reference", b"RIFF\x40\0\0\0AVI LIST" + b"\0" * 60, "video"),
    ("mkv-as-reference", b"\x1a\x45\xdf\xa3\x93\x42\x82\x88matroska" + b"\0" * 80, "video"),
    ("reference-1.5-seconds", mp4_bytes(1.5), "video"),
    ("reference-31-seconds", mp4_bytes(31, size=16, fps=2), "video"),
    ("text-named-mp4-character", b"not a video\n" * 30, "character-video"),
    ("png-as-character-video", PNG, "character-video"),
]


def _spec_for(kind: str, uri: str) -> dict[str, Any]:
    if kind == "image":
        request = {"model": "gen4_turbo", "promptImage": uri, "ratio": "960:960", "duration": 2}
        return {"request": request, "name": "hostile"}
    if kind == "video":
        request = {"model": "act_two", "character": {"type": "image", "uri": FACE},
                   "reference": {"type": "video", "uri": uri}}  # fmt: skip
        return {"request": request, "name": "hostile"}
    request = {"model": "act_two", "character": {"type": "video", "uri": uri},
               "reference": {"type": "video", "uri": TAKE}}  # fmt: skip
    return {"request": request, "name": "hostile"}


FIELD = {"image": "promptImage", "video": "reference.uri", "character-video": "character.uri"}
SUFFIX = {"image": ".png", "video": ".mp4", "character-video": ".mp4"}


@dataclass
class World:
    """What one case runs against."""

    emulator: RunwayEmulator
    bucket: S3Bucket
    credentials: RunwayCredentials
    root: Path  # inside the allowed roots (pytest's temporary folders)

    def put(self, key: str, body: bytes, content_type: str = "image/png") -> str:
        s3 = self.bucket.credentials.get_s3_client()
        s3.put_object(Bucket=self.bucket.bucket_name, Key=key, Body=body, ContentType=content_type)
        return f"s3://{self.bucket.bucket_name}/{key}"


@pytest.fixture
def world(
    emulator: RunwayEmulator, s3_bucket: S3Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    # The worker's operator allows one folder, and the run's working directory is that folder
    # (a script run may read its working directory): nothing else on the machine is allowed.
    root = tmp_path / "inputs"
    root.mkdir()
    monkeypatch.setenv(ROOTS_ENV, str(root))
    monkeypatch.chdir(root)
    credentials = RunwayCredentials(api_key=SecretStr(emulator.api_key), base_url=emulator.base_url)
    yield World(emulator, s3_bucket, credentials, root)


def assert_nothing_sent(world: World) -> None:
    stats = world.emulator.stats()
    assert stats["creates_total"] == 0, stats
    assert stats["rejected_creates"] == 0, "a request reached the create endpoint"
    assert stats["uploads"] == 0 and stats["upload_requests"] == 0, "something was uploaded"


async def refused(world: World, spec: dict[str, Any], field: str, **kwargs: Any) -> str:
    """Run ``generate`` and return the refusal's text, having checked it names ``field``."""
    with pytest.raises((PrefectRunwayError, ValidationError, ValueError)) as info:
        await generate(spec, destination=world.bucket, credentials=world.credentials, **kwargs)
    message = str(info.value)
    assert field in message, message
    assert_nothing_sent(world)
    return message


# ---------------------------------------------------------------------------------------------
# media content: local files, data URIs and S3 objects


@pytest.mark.parametrize(("name", "content", "kind"), CONTENTS, ids=[c[0] for c in CONTENTS])
async def test_media_content_local_file(
    world: World, name: str, content: bytes, kind: str, record_property: Callable[..., None]
) -> None:
    record_property("hostile", "media content: local file")
    path = world.root / f"{name}{SUFFIX[kind]}"
    path.write_bytes(content)
    await refused(world, _spec_for(kind, str(path)), FIELD[kind])


DATA_CASES = [c for c in CONTENTS if c[1]][:30]


@pytest.mark.parametrize(("name", "content", "kind"), DATA_CASES, ids=[c[0] for c in DATA_CASES])
async def test_media_content_data_uri(
    world: World, name: str, content: bytes, kind: str, record_property: Callable[..., None]
) -> None:
    record_property("hostile", "media content: data URI")
    declared = "image/png" if kind == "image" else "video/mp4"
    uri = f"data:{declared};base64," + base64.b64encode(content).decode()
    message = await refused(world, _spec_for(kind, uri), FIELD[kind])
    assert base64.b64encode(content).decode()[:40] not in message or len(content) < 30


DATA_URI_FORMS: list[tuple[str, str]] = [
    ("declares-png-holds-jpeg", "data:image/png;base64," + base64.b64encode(JPEG).decode()),
    ("declares-jpeg-holds-png", "data:image/jpeg;base64," + base64.b64encode(PNG).decode()),
    ("declares-webp-holds-png", "data:image/webp;base64," + base64.b64encode(PNG).decode()),
    ("declares-gif", "data:image/gif;base64," + base64.b64encode(gif_bytes()).decode()),
    ("declares-svg", "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4="),
    ("declares-text", "data:text/plain;base64,aGVsbG8="),
    ("declares-nothing", "data:;base64," + base64.b64encode(PNG).decode()),
    ("not-base64", "data:image/png," + "x" * 40),
    ("bad-base64", "data:image/png;base64,@@@@not-base64@@@@"),
    ("empty-payload", "data:image/png;base64,"),
    ("over-5mb", "data:image/png;base64," + "A" * (5 * 1024 * 1024)),
    ("video-declared-in-image-field", "data:video/mp4;base64," + base64.b64encode(MP4).decode()),
]


@pytest.mark.parametrize(("name", "uri"), DATA_URI_FORMS, ids=[c[0] for c in DATA_URI_FORMS])
async def test_data_uri_forms(
    world: World, name: str, uri: str, record_property: Callable[..., None]
) -> None:
    record_property("hostile", "data URIs: form and declared type")
    message = await refused(world, _spec_for("image", uri), "promptImage")
    assert len(message) < 2000  # never the data URI's body


S3_CONTENTS = [c for c in CONTENTS if c[1] and c[2] == "image"][:14]


@pytest.mark.parametrize(("name", "content", "kind"), S3_CONTENTS, ids=[c[0] for c in S3_CONTENTS])
async def test_media_content_s3_object(
    world: World, name: str, content: bytes, kind: str, record_property: Callable[..., None]
) -> None:
    record_property("hostile", "media content: S3 object")
    uri = world.put(f"inputs/{name}.png", content)
    await refused(world, _spec_for(kind, uri), FIELD[kind])


# ---------------------------------------------------------------------------------------------
# file paths


def _outside_paths(world: World) -> list[tuple[str, str]]:
    return [
        ("etc-passwd", "/etc/passwd"),
        ("etc-shadow", "/etc/shadow"),
        ("etc-hostname", "/etc/hostname"),
        ("ssh-key", "~/.ssh/id_rsa"),
        ("aws-credentials", "~/.aws/credentials"),
        ("proc-environ", "/proc/self/environ"),
        ("proc-cmdline", "/proc/self/cmdline"),
        ("proc-mem", "/proc/self/mem"),
        ("dev-zero", "/dev/zero"),
        ("dev-urandom", "/dev/urandom"),
        ("dev-stdin", "/dev/stdin"),
        ("sys-file", "/sys/kernel/hostname"),
        ("dotdot-out-of-root", f"{world.root}/../../../../etc/passwd"),
        ("dotdot-sibling", f"{world.root}/../outside.png"),
        ("root-prefix-sibling", f"{world.root}-evil/still.png"),
        ("cyrillic-lookalike-root", str(world.root).replace("pytest", "руtest") + "/a.png"),
        ("root-of-filesystem", "/"),
        ("tmp-outside-roots", "/tmp/hostile-outside-roots.png"),
    ]


OUTSIDE_IDS = [
    "etc-passwd", "etc-shadow", "etc-hostname", "ssh-key", "aws-credentials", "proc-environ",
    "proc-cmdline", "proc-mem", "dev-zero", "dev-urandom", "dev-stdin", "sys-file",
    "dotdot-out-of-root", "dotdot-sibling", "root-prefix-sibling", "cyrillic-lookalike-root",
    "root-of-filesystem", "tmp-outside-roots",
]  # fmt: skip


@pytest.mark.parametrize("case", OUTSIDE_IDS)
async def test_paths_outside_the_allowed_roots(
    world: World, case: str, record_property: Callable[..., None]
) -> None:
    record_property("hostile", "file paths: outside the roots")
    (world.root.parent / "outside.png").write_bytes(PNG)
    Path("/tmp/hostile-outside-roots.png").write_bytes(PNG)
    value = dict(_outside_paths(world))[case]
    message = await refused(world, _spec_for("image", value), "promptImage")
    assert "outside the allowed folders" in message and "RUNWAY_INPUT_ROOTS" in message


def _inside_traps(world: World) -> dict[str, tuple[str, str]]:
    """Paths inside a root that must still be refused: (path, what the refusal says)."""
    root = world.root
    secret = Path("/tmp/hostile-secret.png")
    secret.write_bytes(PNG)
    (root / "escape.png").symlink_to(secret)
    (root / "escape-dir").symlink_to("/etc")
    (root / "loop-a.png").symlink_to(root / "loop-b.png")
    (root / "loop-b.png").symlink_to(root / "loop-a.png")
    (root / "self.png").symlink_to(root / "self.png")
    (root / "dangling.png").symlink_to(root / "nowhere.png")
    (root / "chain-1.png").symlink_to(root / "chain-2.png")
    (root / "chain-2.png").symlink_to(secret)
    os.mkfifo(root / "pipe.png")
    (root / "folder.png").mkdir()
    sparse = root / "sparse-4gb.png"
    with sparse.open("wb") as file:
        file.truncate(4 * 1024**3)
    over = root / "sparse-200mb-and-1.png"
    with over.open("wb") as file:
        file.truncate(200 * 1024 * 1024 + 1)
    sparse_png = root / "png-then-4gb-of-holes.png"
    with sparse_png.open("wb") as file:
        file.write(PNG)
        file.truncate(4 * 1024**3)
    return {
        "symlink-escape-file": (str(root / "escape.png"), "through a symbolic link"),
        "symlink-escape-dir": (str(root / "escape-dir" / "passwd"), "through a symbolic link"),
        "symlink-chain-escape": (str(root / "chain-1.png"), "through a symbolic link"),
        "symlink-loop": (str(root / "loop-a.png"), "symbolic link loop"),
        "symlink-to-itself": (str(root / "self.png"), "symbolic link loop"),
        "dangling-symlink": (str(root / "dangling.png"), "no such file"),
        "fifo": (str(root / "pipe.png"), "FIFO"),
        "directory": (str(root / "folder.png"), "a directory"),
        "missing-file": (str(root / "missing.png"), "no such file"),
        "sparse-4gb": (str(sparse), "at most 200 MB"),
        "sparse-200mb-plus-1": (str(over), "at most 200 MB"),
        "png-header-then-4gb-holes": (str(sparse_png), "at most 200 MB"),
        "nul-in-path": (str(root / "a\x00.png"), "NUL"),
        "name-too-long": (str(root / ("x" * 5000 + ".png")), "cannot be resolved"),
        "newline-in-name": (str(root / "still.png\n"), "no such file"),
    }


TRAP_IDS = [
    "symlink-escape-file", "symlink-escape-dir", "symlink-chain-escape", "symlink-loop",
    "symlink-to-itself", "dangling-symlink", "fifo", "directory", "missing-file", "sparse-4gb",
    "sparse-200mb-plus-1", "png-header-then-4gb-holes", "nul-in-path", "name-too-long",
    "newline-in-name",
]  # fmt: skip


@pytest.mark.parametrize("case", TRAP_IDS)
async def test_paths_inside_a_root_that_are_traps(
    world: World, case: str, record_property: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    record_property("hostile", "file paths: traps inside a root")
    # A 4 GB file is refused by its size, before a byte is read: hashing it would mean reading
    # it all. Reading is made to fail loudly, so a hash attempt cannot pass unnoticed.
    import prefect_runway.tasks.inputs as inputs_module

    def no_probe(*_: Any) -> Any:
        raise AssertionError("the file was read")

    monkeypatch.setattr(inputs_module, "probe_file", no_probe)
    path, says = _inside_traps(world)[case]
    message = await refused(world, _spec_for("image", path), "promptImage")
    assert says in message, message


# ---------------------------------------------------------------------------------------------
# S3 URIs


def _s3_cases(world: World) -> dict[str, tuple[str, str]]:
    mine = world.bucket.bucket_name
    world.put("inputs/still.png", PNG)
    s3 = world.bucket.credentials.get_s3_client()
    try:
        s3.create_bucket(Bucket="other-team-renders")
    except s3.exceptions.ClientError:
        pass  # made by an earlier case: the session's moto server is shared
    s3.put_object(Bucket="other-team-renders", Key="still.png", Body=PNG)
    return {
        "other-bucket": ("s3://other-team-renders/still.png", "not one this worker reads"),
        "other-bucket-missing": ("s3://nobody-allowed-this/still.png", "not one this worker"),
        "dotdot-key": (f"s3://{mine}/inputs/../inputs/still.png", "'..' segment"),
        "dotdot-leading": (f"s3://{mine}/../other-team-renders/still.png", "'..' segment"),
        "dot-key": (f"s3://{mine}/./inputs/still.png", "'.' or '..' segment"),
        "double-slash-key": (f"s3://{mine}//inputs/still.png", "empty"),
        "no-key": (f"s3://{mine}", "no object key"),
        "empty-key": (f"s3://{mine}/", "no object key"),
        "encoded-slash-bucket": (f"s3://{mine}%2Fother/still.png", "not a valid S3 bucket"),
        "userinfo-bucket": (f"s3://me@{mine}/still.png", "not a valid S3 bucket"),
        "uppercase-bucket": (f"s3://{mine.upper()}/still.png", "not a valid S3 bucket"),
        "ip-bucket": ("s3://127.0.0.1:9000/still.png", "not a valid S3 bucket"),
        "bucket-with-dotdot": (f"s3://{mine}..x/still.png", "not a valid S3 bucket"),
        "missing-object": (f"s3://{mine}/inputs/nothing-here.png", "cannot read the S3 object"),
        "empty-object": (world.put("inputs/empty.png", b""), "the object is empty"),
        "text-object": (world.put("inputs/text.png", b"plain text\n" * 50), "not an image"),
        "gif-object": (world.put("inputs/anim.png", gif_bytes()), "a GIF image"),
        "bomb-header-object": (
            world.put("inputs/bomb.png", png_header_claiming(100_000, 100_000)),
            "100000x100000",
        ),
        "truncated-object": (
            world.put("inputs/cut.png", PNG[: len(PNG) - 5]),
            "truncated",
        ),  # found once downloaded, before any upload or POST
        "video-object-as-image": (world.put("inputs/clip.png", MP4, "video/mp4"), "a video"),
    }


S3_IDS = [
    "other-bucket", "other-bucket-missing", "dotdot-key", "dotdot-leading", "dot-key",
    "double-slash-key", "no-key", "empty-key", "encoded-slash-bucket", "userinfo-bucket",
    "uppercase-bucket", "ip-bucket", "bucket-with-dotdot", "missing-object", "empty-object",
    "text-object", "gif-object", "bomb-header-object", "truncated-object", "video-object-as-image",
]  # fmt: skip


@pytest.mark.parametrize("case", S3_IDS)
async def test_s3_uris(world: World, case: str, record_property: Callable[..., None]) -> None:
    record_property("hostile", "S3 URIs")
    uri, says = _s3_cases(world)[case]
    message = await refused(world, _spec_for("image", uri), "promptImage")
    assert says in message, message


# ---------------------------------------------------------------------------------------------
# URLs (Runway fetches them; what can be checked without fetching is checked)

URLS: list[tuple[str, str]] = [
    ("http", "http://example.com/still.png"),
    ("ipv4", "https://10.0.0.1/still.png"),
    ("ipv4-loopback", "https://127.0.0.1/still.png"),
    ("ipv4-short", "https://127.1/still.png"),
    ("ipv4-decimal", "https://2130706433/still.png"),
    ("ipv6", "https://[::1]/still.png"),
    ("metadata-service", "https://169.254.169.254/latest/meta-data/"),
    ("file-scheme", "file:///etc/passwd"),
    ("ftp-scheme", "ftp://example.com/still.png"),
    ("javascript-scheme", "javascript:alert(1)"),
    ("gopher-scheme", "gopher://example.com/_x"),
    ("no-host", "https:///still.png"),
    ("too-long", "https://example.com/" + "a" * 2030),
    ("too-short", "https://a.b"),
]


@pytest.mark.parametrize(("name", "url"), URLS, ids=[u[0] for u in URLS])
async def test_urls(
    world: World, name: str, url: str, record_property: Callable[..., None]
) -> None:
    record_property("hostile", "URLs")
    await refused(world, _spec_for("image", url), "promptImage")


# ---------------------------------------------------------------------------------------------
# flow parameters (the params models a UI form, an event or a script fills)

BIG_DATA_URI = "data:image/png;base64," + "A" * (6 * 1024 * 1024)
HALF_MB_DATA_URI = "data:image/png;base64," + "A" * (600 * 1024)


def _param_cases() -> list[tuple[str, Callable[[], object], str]]:
    base = {"image": "s.png", "destination_block": "renders"}
    return [
        (f"poll-interval-{label}", lambda v=value: ImageToVideoParams(**base, poll_interval=v),
         "poll_interval")
        for label, value in [("1e308", 1e308), ("nan", float("nan")), ("inf", float("inf")),
                             ("-inf", float("-inf")), ("negative", -1.0), ("zero", 0.0),
                             ("over-an-hour", 3601.0)]
    ] + [
        ("max-queue-nan", lambda: ImageToVideoParams(**base, max_queue_minutes=float("nan")),
         "max_queue_minutes"),
        ("max-queue-inf", lambda: ImageToVideoParams(**base, max_queue_minutes=float("inf")),
         "max_queue_minutes"),
        ("max-run-negative", lambda: ImageToVideoParams(**base, max_run_minutes=-5),
         "max_run_minutes"),
        ("max-credits-nan", lambda: ImageToVideoParams(**base, max_credits=float("nan")),
         "max_credits"),
        ("image-data-uri-6mb", lambda: ImageToVideoParams(image=BIG_DATA_URI,
         destination_block="r"), "image"),
        ("image-data-uri-600kb", lambda: ImageToVideoParams(image=HALF_MB_DATA_URI,
         destination_block="r"), "image"),
        ("last-frame-data-uri-6mb", lambda: ImageToVideoParams(**base, model="veo3.1",
         last_frame=BIG_DATA_URI), "last_frame"),
        ("character-data-uri-6mb", lambda: CharacterPerformanceParams(
            character=BIG_DATA_URI, reference="r.mp4", destination_block="r"), "character"),
        ("reference-data-uri-6mb", lambda: CharacterPerformanceParams(
            character="c.png", reference=BIG_DATA_URI, destination_block="r"), "reference"),
        ("scene-image-data-uri-6mb", lambda: Scene(image=BIG_DATA_URI), "image"),
        ("close-up-reference-data-uri-6mb", lambda: CloseUp(character="c.png",
         reference=BIG_DATA_URI), "reference"),
        ("seed-2-to-the-64", lambda: ImageToVideoParams(**base, seed=2**64), "seed"),
        ("wait-policy-1e308", lambda: WaitPolicy(poll_interval=1e308), "poll_interval"),
        ("wait-policy-nan", lambda: WaitPolicy(poll_interval=float("nan")), "poll_interval"),
        ("wait-policy-queue-inf", lambda: WaitPolicy(max_queue_seconds=float("inf")),
         "max_queue_seconds"),
    ]  # fmt: skip


PARAM_IDS = [case[0] for case in _param_cases()]


@pytest.mark.parametrize("case", PARAM_IDS)
async def test_flow_parameters(
    world: World, case: str, record_property: Callable[..., None]
) -> None:
    record_property("hostile", "flow parameters")
    _, build, field = next(c for c in _param_cases() if c[0] == case)
    with pytest.raises((ValidationError, ValueError)) as info:
        build()
    message = str(info.value)
    assert field in message and len(message) < 3000, message
    if "data-uri" in case:
        assert "cannot travel as a flow parameter" in message
    assert_nothing_sent(world)


@pytest.mark.parametrize("value", [1e308, float("nan"), float("inf"), 0.0, -2.0])
async def test_batch_poll_interval_refused_before_any_post(
    world: World, saved_blocks: SavedBlocks, value: float, record_property: Callable[..., None]
) -> None:
    record_property("hostile", "flow parameters")
    manifest = world.root / "one.jsonl"
    image = world.root / "still.png"
    image.write_bytes(PNG)
    manifest.write_text(json.dumps(_spec_for("image", str(image))["request"]) + "\n")
    with pytest.raises(Exception, match="poll_interval"):
        await batch(
            str(manifest), destination_block=saved_blocks.destination,
            credentials_block=saved_blocks.credentials, poll_interval=value,
        )  # fmt: skip
    assert_nothing_sent(world)


# ---------------------------------------------------------------------------------------------
# keys

KEY_CASES: list[tuple[str, str, str]] = [
    ("newline-inside", "key_" + "a" * 60 + "\n" + "a" * 68, "control characters"),
    ("header-injection", "key_" + "a" * 128 + "\r\nX-Evil: 1", "spaces, control"),
    ("nul-inside", "key_" + "a" * 60 + "\x00" + "a" * 67, "control characters"),
    ("non-ascii", "key_" + "é" * 128, "non-ASCII"),
    ("tab-inside", "key_" + "a" * 60 + "\t" + "a" * 67, "spaces"),
    ("bearer-prefixed", "Bearer key_" + "a" * 128, "spaces"),
    ("too-short", "key_abc", "not a Runway key"),
    ("too-long", "key_" + "a" * 129, "not a Runway key"),
    ("upper-hex", "key_" + "A" * 128, "not a Runway key"),
    ("whitespace-only", " \n\t ", "empty"),
    ("huge", "key_" + "a" * 10_000, "characters"),
]


@pytest.mark.parametrize(("name", "key", "says"), KEY_CASES, ids=[k[0] for k in KEY_CASES])
async def test_keys(
    world: World, name: str, key: str, says: str, record_property: Callable[..., None]
) -> None:
    record_property("hostile", "keys")
    # Saved by another client (the UI), so the block's own check was not on the way in.
    credentials = RunwayCredentials.model_construct(
        api_key=SecretStr(key), provider="runway", base_url=world.emulator.base_url,
        api_version="2024-11-06", create_timeout_seconds=120.0, input_roots=[], input_buckets=[],
    )  # fmt: skip
    image = world.root / "still.png"
    image.write_bytes(PNG)
    with pytest.raises(PrefectRunwayError) as info:
        await generate(
            _spec_for("image", str(image)), destination=world.bucket, credentials=credentials
        )
    message = str(info.value)
    assert "api_key" in message and says in message, message
    secret = key.strip()[4:24]
    assert not secret.strip() or secret not in message
    with pytest.raises(PrefectRunwayError):  # and at save
        RunwayCredentials(api_key=SecretStr(key))
    assert_nothing_sent(world)


# ---------------------------------------------------------------------------------------------
# manifests: one batch of hostile rows (and one good one, so the batch is seen to go on)


def _jsonl_rows(world: World) -> list[tuple[str, bytes, str]]:
    """(id, the raw line, a word its refusal must contain)."""
    image = world.root / "still.png"
    image.write_bytes(PNG)
    text = world.root / "text.png"
    text.write_bytes(b"text, not a picture\n" * 20)
    (world.root / "loop.png").symlink_to(world.root / "loop.png")
    good = {"model": "gen4_turbo", "promptImage": str(image), "ratio": "960:960", "duration": 2}

    def row(**changes: Any) -> bytes:
        return json.dumps({**good, **changes}).encode()

    deep = b'{"model": "gen4_turbo", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    return [
        ("duplicate-duration", row()[:-1] + b', "duration": 10}', "appears twice"),
        ("duplicate-model", b'{"model": "gen4_turbo", "model": "gen4.5", "promptImage": "a"}',
         "appears twice"),
        ("duplicate-nested", b'{"request": {"model": "gen4_turbo", "ratio": "960:960", '
         b'"ratio": "1280:720", "promptImage": "a"}}', "appears twice"),
        ("nested-100000-deep", deep, "too deeply"),
        ("nested-2000-deep", b"[" * 2000 + b"]" * 2000, "too deeply"),
        ("invalid-utf8", row()[:-1] + b', "name": "caf\xe9"}', "not UTF-8"),
        ("invalid-utf8-lone-continuation", b'{"model": "\x80gen4_turbo"}', "not UTF-8"),
        ("not-an-object-array", b"[1, 2, 3]", "JSON object"),
        ("not-an-object-string", b'"gen4_turbo"', "JSON object"),
        ("not-an-object-null", b"null", "JSON object"),
        ("truncated-json", row()[:-10], "column"),
        ("nan-seed", row()[:-1] + b', "seed": NaN}', "seed"),
        ("infinity-duration", row(duration=0)[:-2] + b"Infinity}", "duration"),
        ("huge-integer-seed", row()[:-1] + b', "seed": ' + b"9" * 5000 + b"}", "digits"),
        ("seed-1e308", row(seed=1e308), "seed"),
        ("unknown-field", row(callbackUrl="https://evil.example/"), "callbackUrl"),
        ("path-outside-roots", row(promptImage="/etc/passwd"), "outside the allowed folders"),
        ("path-symlink-loop", row(promptImage=str(world.root / "loop.png")), "symbolic link loop"),
        ("path-proc", row(promptImage="/proc/self/environ"), "outside the allowed folders"),
        ("text-named-png", row(promptImage=str(text)), "not an image or video"),
        ("other-bucket", row(promptImage="s3://other-team-renders/a.png"), "not one this worker"),
        ("http-url", row(promptImage="http://example.com/a.png"), "https"),
        ("ip-url", row(promptImage="https://169.254.169.254/a.png"), "IP address"),
        ("gif-data-uri", row(promptImage="data:image/gif;base64,R0lGODlhAQABAAAAACw="), "gif"),
        ("nul-in-value", row(promptImage=str(image) + "\u0000"), "NUL"),
    ]  # fmt: skip


async def test_jsonl_manifest_rows(
    world: World, saved_blocks: SavedBlocks, record_property: Callable[..., None]
) -> None:
    rows = _jsonl_rows(world)
    record_property("hostile_count", ("manifests: JSONL rows", len(rows)))
    image = world.root / "good.png"
    image.write_bytes(png_bytes(rgb=(9, 9, 9)))
    good = json.dumps({"name": "good", "model": "gen4_turbo", "promptImage": str(image),
                       "ratio": "960:960", "duration": 2}).encode()  # fmt: skip
    manifest = world.root / "hostile.jsonl"
    manifest.write_bytes(b"\n".join([raw for _, raw, _ in rows] + [good]) + b"\n")
    report = await batch(
        str(manifest), destination_block=saved_blocks.destination,
        credentials_block=saved_blocks.credentials, poll_interval=0.05,
    )  # fmt: skip
    by_line = {r.line: r for r in report.results}
    for line, (name, _, says) in enumerate(rows, start=1):
        result = by_line[line]
        assert result.status in ("malformed", "failed"), (name, result)
        assert says.lower() in (result.reason or "").lower(), (name, result.reason)
    assert by_line[len(rows) + 1].status == "succeeded"  # the batch went on past every one
    stats = world.emulator.stats()
    assert stats["creates_total"] == 1 and stats["rejected_creates"] == 0
    assert stats["uploads"] == 0


def _csv_rows(world: World) -> list[tuple[str, bytes, str]]:
    image = world.root / "still.png"
    image.write_bytes(PNG)
    good = f"gen4_turbo,{image},960:960,2"
    return [
        ("cell-over-field-limit", b"gen4_turbo," + b"x" * 140_000 + b",960:960,2", "field limit"),
        ("invalid-utf8", f"gen4_turbo,{image}\xe9,960:960,2".encode("latin-1"), "not UTF-8"),
        ("extra-cells", f"{good},extra,cells".encode(), "more cells"),
        ("path-outside-roots", b"gen4_turbo,/etc/passwd,960:960,2", "outside the allowed"),
        ("quoted-newline-path", f'gen4_turbo,"{image}\nx",960:960,2'.encode(), "no such file"),
        ("duration-text", f"gen4_turbo,{image},960:960,five".encode(), "duration"),
        ("duration-float", f"gen4_turbo,{image},960:960,2.5".encode(), "duration"),
        ("negative-seedless-ratio", f"gen4_turbo,{image},-960:960,2".encode(), "ratio"),
        ("model-injection", f'"gen4_turbo,x",{image},960:960,2'.encode(), "model"),
        ("nul-in-cell", f"gen4_turbo,{image}\x00,960:960,2".encode(), "NUL"),
    ]


async def test_csv_manifest_rows(
    world: World, saved_blocks: SavedBlocks, record_property: Callable[..., None]
) -> None:
    rows = _csv_rows(world)
    record_property("hostile_count", ("manifests: CSV rows", len(rows)))
    image = world.root / "good.png"
    image.write_bytes(png_bytes(rgb=(7, 7, 7)))
    manifest = world.root / "hostile.csv"
    lines = [b"model,promptImage,ratio,duration"] + [raw for _, raw, _ in rows]
    lines.append(f"gen4_turbo,{image},960:960,2".encode())
    manifest.write_bytes(b"\n".join(lines) + b"\n")
    report = await batch(
        str(manifest), destination_block=saved_blocks.destination,
        credentials_block=saved_blocks.credentials, poll_interval=0.05,
    )  # fmt: skip
    results = report.results
    assert len(results) == len(rows) + 1, [r.reason for r in results]
    for (name, _, says), result in zip(rows, results, strict=False):
        assert result.status in ("malformed", "failed"), (name, result)
        assert says.lower() in (result.reason or "").lower(), (name, result.reason)
    assert results[-1].status == "succeeded"
    assert world.emulator.stats()["creates_total"] == 1
    assert world.emulator.stats()["uploads"] == 0


MANIFEST_FILES = [
    "duplicate-header", "outside-roots", "proc-file", "fifo", "symlink-escape", "sparse-over-64mb",
    "other-bucket", "dotdot-key",
]  # fmt: skip


@pytest.mark.parametrize("case", MANIFEST_FILES)
async def test_manifest_files(
    world: World, saved_blocks: SavedBlocks, case: str, record_property: Callable[..., None]
) -> None:
    record_property("hostile", "manifests: files")
    root = world.root
    if case == "duplicate-header":
        path = root / "dup.csv"
        path.write_text("model,promptImage,ratio,ratio\ngen4_turbo,a.png,960:960,1280:720\n")
        report = await batch(str(path), destination_block=saved_blocks.destination,
                             credentials_block=saved_blocks.credentials)  # fmt: skip
        assert [r.status for r in report.results] == ["malformed"]
        assert "more than once" in (report.results[0].reason or "")
    else:
        secret = Path("/tmp/hostile-manifest.jsonl")
        secret.write_text('{"model": "gen4_turbo"}\n')
        sparse = root / "huge.jsonl"
        with sparse.open("wb") as file:
            file.truncate(65 * 1024 * 1024)
        os.mkfifo(root / "pipe.jsonl")
        (root / "escape.jsonl").symlink_to(secret)
        value = {
            "outside-roots": str(secret),
            "proc-file": "/proc/self/environ.jsonl",
            "fifo": str(root / "pipe.jsonl"),
            "symlink-escape": str(root / "escape.jsonl"),
            "sparse-over-64mb": str(sparse),
            "other-bucket": "s3://other-team-renders/m.jsonl",
            "dotdot-key": f"s3://{world.bucket.bucket_name}/../other/m.jsonl",
        }[case]
        with pytest.raises(PrefectRunwayError, match="manifest"):
            await batch(value, destination_block=saved_blocks.destination,
                        credentials_block=saved_blocks.credentials)  # fmt: skip
    assert_nothing_sent(world)


async def test_unix_socket_path_is_refused(
    world: World, record_property: Callable[..., None]
) -> None:
    record_property("hostile", "file paths: traps inside a root")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(world.root / "socket.png"))
        message = await refused(
            world, _spec_for("image", str(world.root / "socket.png")), "promptImage"
        )
    assert "a socket" in message
