"""The offline demo: a scene and a close-up generated against the local emulator.

Runs with no network and no configuration: it starts the Runway emulator on loopback, submits an
image-to-video scene (gen4_turbo) and an Act-Two close-up, waits for both, streams the real MP4s
into a local folder and prints where they are.

    python3 dev.py demo [--out DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import logging
import struct
import zlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from numpy.typing import NDArray

from emulator import EmulatorConfig, RunwayEmulator
from runway import (
    ActTwoCharacterPerformance,
    CharacterImage,
    Gen4TurboImageToVideo,
    GenerationRequest,
    ReferenceVideo,
    RunwayClient,
    TaskStatus,
    WaitPolicy,
    wait_for_task,
)

logger = logging.getLogger("demo")

Image = NDArray[np.uint8]


def encode_png(image: Image) -> bytes:
    """An RGB array as PNG bytes (no imaging library needed)."""
    height, width, _ = image.shape
    raw = b"".join(b"\x00" + image[y].tobytes() for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", header),
            chunk(b"IDAT", zlib.compress(raw, 6)),
            chunk(b"IEND", b""),
        ]
    )


def lighthouse(width: int = 640, height: int = 360) -> Image:
    """A dusk sky over the sea with a lighthouse: the establishing scene's still."""
    y = np.linspace(0.0, 1.0, height)[:, None, None]
    sky = (1 - y) * np.array([40, 40, 110]) + y * np.array([250, 150, 90])
    image = np.broadcast_to(sky, (height, width, 3)).copy()
    image[int(height * 0.7) :] = [20, 60, 110]
    left, right = int(width * 0.62), int(width * 0.68)
    image[int(height * 0.35) : int(height * 0.7), left:right] = [235, 235, 225]
    image[int(height * 0.3) : int(height * 0.35), left - 4 : right + 4] = [255, 230, 120]
    return image.astype(np.uint8)


def face(size: int = 320) -> Image:
    """A simple face on a plain background: the close-up's character."""
    yy, xx = np.mgrid[0:size, 0:size]
    image = np.full((size, size, 3), [90, 140, 170], dtype=np.uint8)
    centre = size / 2

    def disc(cx: float, cy: float, r: float) -> NDArray[np.bool_]:
        mask: NDArray[np.bool_] = (xx - cx) ** 2 + (yy - cy) ** 2 < r**2
        return mask

    image[disc(centre, centre, size * 0.36)] = [240, 200, 170]
    image[disc(centre - size * 0.13, centre - size * 0.08, size * 0.04)] = [30, 30, 30]
    image[disc(centre + size * 0.13, centre - size * 0.08, size * 0.04)] = [30, 30, 30]
    mouth = disc(centre, centre + size * 0.14, size * 0.12) & (yy > centre + size * 0.14)
    image[mouth] = [150, 40, 50]
    return image


def performance_clip(seconds: float = 4.0, size: int = 128, fps: int = 12) -> bytes:
    """A short MP4 of a moving head, standing in for an actor's performance."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        for index in range(int(seconds * fps)):
            shift = int(10 * np.sin(index / fps * 3))
            frame_image = np.roll(face(size), shift, axis=1)
            frame = av.VideoFrame.from_ndarray(frame_image, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def data_uri(media_type: str, body: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(body).decode()}"


def demo_requests() -> dict[str, GenerationRequest]:
    """The two generations of the demo, by output file name."""
    return {
        "scene-lighthouse.mp4": Gen4TurboImageToVideo(
            prompt_image=data_uri("image/png", encode_png(lighthouse())),
            prompt_text="Slow dolly in: a lighthouse on the coast at dusk. Waves roll in.",
            ratio="1280:720",
            duration=5,
        ),
        "closeup-keeper.mp4": ActTwoCharacterPerformance(
            character=CharacterImage(uri=data_uri("image/png", encode_png(face()))),
            reference=ReferenceVideo(uri=data_uri("video/mp4", performance_clip())),
            expression_intensity=4,
            ratio="960:960",
        ),
    }


async def generate_to_file(
    client: RunwayClient, request: GenerationRequest, path: Path, policy: WaitPolicy
) -> Path:
    """Submit one request, wait for it, and stream its output to ``path``."""
    created = await client.create(request)
    estimate = created.estimated_cost.credits if created.estimated_cost else "?"
    logger.info(
        "%s: submitted %s task %s (estimate %s credits)",
        path.name,
        request.model,
        created.id,
        estimate,
    )
    task = await wait_for_task(client, created.id, policy)
    if task.status is not TaskStatus.SUCCEEDED:
        raise task.to_error()

    async def fresh_link() -> str:
        return (await client.get_task(created.id)).output[0]

    stream = client.output_stream(task.output[0], refresh=fresh_link)
    with path.open("wb") as file:
        async for chunk in stream:
            file.write(chunk)
    logger.info(
        "%s: %d bytes, sha256 %s, %s credits",
        path.name,
        stream.received,
        stream.sha256[:16],
        task.credits,
    )
    return path


async def run_demo(output_dir: Path) -> list[Path]:
    """Run both generations against a fresh emulator; return the MP4s written."""
    await asyncio.to_thread(output_dir.mkdir, parents=True, exist_ok=True)
    # Timings that a person can watch: a short queue, a few seconds of "rendering".
    config = EmulatorConfig(queue_seconds=0.5, run_seconds=3.0, frame_width=640)
    policy = WaitPolicy(poll_interval=0.5)  # Runway asks for >= 5 s; the emulator does not
    with RunwayEmulator(config) as emulator:
        logger.info("Runway emulator at %s", emulator.base_url)
        async with RunwayClient(emulator.api_key, base_url=emulator.base_url) as client:
            jobs = [
                generate_to_file(client, request, output_dir / name, policy)
                for name, request in demo_requests().items()
            ]
            return list(await asyncio.gather(*jobs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("demo-output"), help="output folder")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    for noisy in ("httpx", "uvicorn", "uvicorn.access", "uvicorn.error"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    paths = asyncio.run(run_demo(args.out))
    print(f"\nDone: {len(paths)} videos in {args.out.resolve()}")
    for path in paths:
        print(f"  {path.resolve()}")


if __name__ == "__main__":
    main()
