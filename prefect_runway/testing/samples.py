"""The demo's sample inputs, made on the fly: two stills, a character and a performance clip.

The demo writes them next to its output, so a plain install needs no files beside the code.
The repository's ``samples/`` folder holds the same files, committed for the README's examples
(same bytes for the same PyAV and libx264 versions); make them again with

    .venv/bin/python -m prefect_runway.testing.samples samples/

Example:
    ```python
    from pathlib import Path

    from prefect_runway.testing.samples import write_samples

    paths = write_samples(Path("inputs"))  # {"coast.png": Path("inputs/coast.png"), ...}
    ```
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from numpy.typing import NDArray

Image = NDArray[np.uint8]


def png(image: Image) -> bytes:
    """An RGB array as PNG bytes, encoded by PyAV."""
    height, width, _ = image.shape
    codec = av.CodecContext.create("png", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "rgb24"
    frame = av.VideoFrame.from_ndarray(image, format="rgb24")
    return b"".join(bytes(packet) for packet in [*codec.encode(frame), *codec.encode(None)])


def coast(width: int = 640, height: int = 360) -> Image:
    """A dusk sky over the sea with a lighthouse: the first establishing scene."""
    y = np.linspace(0.0, 1.0, height)[:, None, None]
    sky = (1 - y) * np.array([40, 40, 110]) + y * np.array([250, 150, 90])
    image = np.broadcast_to(sky, (height, width, 3)).copy()
    image[int(height * 0.7) :] = [20, 60, 110]
    left, right = int(width * 0.62), int(width * 0.68)
    image[int(height * 0.35) : int(height * 0.7), left:right] = [235, 235, 225]
    image[int(height * 0.3) : int(height * 0.35), left - 4 : right + 4] = [255, 230, 120]
    return image.astype(np.uint8)


def harbour(width: int = 640, height: int = 360) -> Image:
    """A morning harbour with two hulls on calm water: the closing scene."""
    y = np.linspace(0.0, 1.0, height)[:, None, None]
    sky = (1 - y) * np.array([150, 190, 230]) + y * np.array([250, 230, 200])
    image = np.broadcast_to(sky, (height, width, 3)).copy()
    image[int(height * 0.6) :] = [40, 90, 120]
    for left, colour in ((0.2, [180, 40, 40]), (0.55, [230, 230, 230])):
        x0, x1 = int(width * left), int(width * (left + 0.18))
        image[int(height * 0.52) : int(height * 0.62), x0:x1] = colour
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


def performance_clip(seconds: float = 3.5, size: int = 128, fps: int = 12) -> bytes:
    """A short MP4 of a moving head, standing in for an actor's performance."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        for index in range(round(seconds * fps)):
            shift = int(10 * np.sin(index / fps * 3))
            frame = av.VideoFrame.from_ndarray(np.roll(face(size), shift, axis=1), format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buffer.getvalue()


SAMPLES: dict[str, Callable[[], bytes]] = {
    "coast.png": lambda: png(coast()),
    "harbour.png": lambda: png(harbour()),
    "keeper.png": lambda: png(face()),
    "keeper-take.mp4": performance_clip,
}


def write_samples(folder: Path) -> dict[str, Path]:
    """Write every sample into ``folder`` (created if missing); return their paths by name."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, make in SAMPLES.items():
        path = folder / name
        path.write_bytes(make())
        written[name] = path
    return written


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "samples")
    for path in write_samples(folder).values():
        print(f"{path}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
