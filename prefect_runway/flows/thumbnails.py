"""A thumbnail of a stored image output, in S3 and in the run's markdown artifact.

The storyboard shows each clip by its first frame, scaled down to 320 px, stored in S3 and
linked from a markdown artifact by a presigned URL (``prefect_runway.flows.storyboard``). An
image output (text_to_image, image_upscale) is shown the same way: the image itself scaled down
with PyAV, so an upscale of 25 megapixels does not load in full in the UI.

The thumbnail's key is ``<prefix>/_runway/thumbnails/<generation key>.png``: under the folder
no output name or prefix can reach (``_runway`` is refused in both), so it never collides with
an output, and a re-run writes the same object again.

A thumbnail is a courtesy: it never fails a run whose output is stored (a failure is logged).
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path

import av
from prefect.artifacts import acreate_markdown_artifact
from prefect_aws.s3 import S3Bucket

from prefect_runway.tasks.generate import GenerationResult
from prefect_runway.tasks.locations import LEDGER_FOLDER
from prefect_runway.tasks.store import resolve_key

__all__ = [
    "THUMBNAIL_LINK_SECONDS",
    "THUMBNAIL_WIDTH",
    "image_preview_artifact",
    "image_thumbnail_png",
    "thumbnail_key",
]

logger = logging.getLogger(__name__)

THUMBNAIL_WIDTH = 320
"""The thumbnail's width in pixels at most (the storyboard's first frames are as wide)."""

THUMBNAIL_LINK_SECONDS = 7 * 24 * 3600
"""Presigned thumbnail links last as long as SigV4 allows (as the storyboard's)."""


def image_thumbnail_png(image: Path, *, max_width: int = THUMBNAIL_WIDTH) -> bytes:
    """``image`` (PNG, JPEG, WebP...) as a PNG at most ``max_width`` wide, aspect kept.

    PyAV decodes and scales it (as the storyboard's first frames), so no image library is
    added for it.

    Raises:
        ValueError: the file holds no decodable image.

    Example:
        >>> from prefect_runway.testing.samples import write_samples
        >>> still = write_samples(Path(tempfile.mkdtemp()))["harbour.png"]
        >>> image_thumbnail_png(still)[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
        True
    """
    try:
        with av.open(str(image)) as container:
            for frame in container.decode(video=0):
                scale = min(1.0, max_width / frame.width)
                width = max(2, int(frame.width * scale))
                height = max(2, int(frame.height * scale))
                codec = av.CodecContext.create("png", "w")
                codec.width, codec.height, codec.pix_fmt = width, height, "rgb24"
                small = frame.reformat(width=width, height=height, format="rgb24")
                packets = [*codec.encode(small), *codec.encode(None)]
                return b"".join(bytes(packet) for packet in packets)
    except av.FFmpegError as error:
        raise ValueError(f"{image.name}: not an image PyAV can decode ({error})") from None
    raise ValueError(f"{image.name}: no image in the file")


def thumbnail_key(prefix: str, key: str) -> str:
    """Where the thumbnail of generation ``key`` goes, relative to the bucket's folder.

    Example:
        >>> thumbnail_key("campaign/stills", "0a1b")
        'campaign/stills/_runway/thumbnails/0a1b.png'
    """
    return "/".join(part for part in (prefix, LEDGER_FOLDER, "thumbnails", f"{key}.png") if part)


def _split(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


async def image_preview_artifact(
    destination: S3Bucket, result: GenerationResult, *, prefix: str, kind: str
) -> str | None:
    """Store a thumbnail of ``result``'s image and show it in a markdown artifact.

    Args:
        destination: The bucket the output is in.
        result: A stored generation whose output is an image.
        prefix: The run's key prefix.
        kind: The flow (``text-to-image``...): the artifact's key is ``runway-<kind>-preview``.

    Returns:
        The thumbnail's ``s3://`` URI, or None when there is none (not an image, or it could
        not be made: logged, the run goes on).
    """
    content_type = result.content_type or ""
    # An SVG (vector models) is no raster PyAV decodes: it is its own small preview.
    if result.output_uri is None or not content_type.startswith("image/") or "svg" in content_type:
        return None
    full_key = resolve_key(destination, thumbnail_key(prefix, result.key))
    uri = f"s3://{destination.bucket_name}/{full_key}"
    try:
        s3 = destination.credentials.get_s3_client()
        bucket, output_key = _split(result.output_uri)
        with tempfile.TemporaryDirectory(prefix="runway-thumbnail-") as folder:
            local = Path(folder) / Path(output_key).name
            # A file, not memory: an upscaled output may be tens of megabytes.
            await asyncio.to_thread(s3.download_file, bucket, output_key, str(local))
            thumbnail = await asyncio.to_thread(image_thumbnail_png, local)
        await asyncio.to_thread(
            s3.put_object,
            Bucket=destination.bucket_name,
            Key=full_key,
            Body=thumbnail,
            ContentType="image/png",
        )
        link: str = s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": destination.bucket_name, "Key": full_key},
            ExpiresIn=THUMBNAIL_LINK_SECONDS,
        )
        markdown = "\n".join(
            [
                f"# {result.name} ({result.model})",
                "",
                f"![{result.name}]({link})",
                "",
                f"Output: `{result.output_uri}`; thumbnail `{uri}` (its link expires in 7 days).",
            ]
        )
        await acreate_markdown_artifact(
            markdown=markdown,
            key=f"runway-{kind}-preview",
            description=f"{result.name} ({result.model}): thumbnail",
        )
    except Exception as error:  # a thumbnail never fails a stored, paid output
        logger.warning("%s: no thumbnail (%s: %s)", result.name, type(error).__name__, error)
        return None
    return uri
