"""Helpers for the emulator's tests: a hand-driven clock, media inputs, polling with a deadline."""

from __future__ import annotations

import base64
import io
import threading
import time
from collections.abc import Callable
from fractions import Fraction
from typing import Any, TypeVar

import av
import httpx
import numpy as np

from prefect_runway.testing.emulator import RunwayEmulator

T = TypeVar("T")
VERSION = "2024-11-06"
HTTPS_IMAGE = "https://example.com/picture.png"
HTTPS_VIDEO = "https://example.com/performance.mp4"


class ManualClock:
    """A monotonic clock that only moves when a test says so (read from the server thread)."""

    def __init__(self, start: float = 10_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


def headers(emu: RunwayEmulator) -> dict[str, str]:
    return {"Authorization": f"Bearer {emu.api_key}", "X-Runway-Version": VERSION}


def client(emu: RunwayEmulator, **kwargs: Any) -> httpx.Client:
    return httpx.Client(base_url=emu.base_url, headers=headers(emu), timeout=30, **kwargs)


def wait_for(probe: Callable[[], T], accept: Callable[[T], bool], *, timeout: float = 15.0) -> T:
    """Call ``probe`` until ``accept`` says yes or the deadline passes (then fail)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if accept(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met before the deadline; last value: {value!r}")
        time.sleep(0.01)


def wait_status(http: httpx.Client, task_id: str, *statuses: str) -> dict[str, Any]:
    """Poll ``GET /v1/tasks/{id}`` until its status is one of ``statuses``."""

    def probe() -> dict[str, Any]:
        response = http.get(f"/v1/tasks/{task_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    return wait_for(probe, lambda body: body["status"] in statuses)


def gradient(width: int, height: int) -> np.ndarray[Any, np.dtype[np.uint8]]:
    ys = np.linspace(0, 255, height, dtype=np.uint8)[:, None]
    xs = np.linspace(0, 255, width, dtype=np.uint8)[None, :]
    picture = np.zeros((height, width, 3), dtype=np.uint8)
    picture[:, :, 0] = xs
    picture[:, :, 1] = ys
    picture[:, :, 2] = 128
    return picture


def png_bytes(width: int = 64, height: int = 48) -> bytes:
    codec = av.CodecContext.create("png", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "rgb24"
    # Some noise, so even small pictures stay above the uploads' 512-byte minimum.
    noise = np.random.default_rng(0).integers(0, 16, (height, width, 3), dtype=np.uint8)
    frame = av.VideoFrame.from_ndarray(gradient(width, height) + noise, format="rgb24")
    return b"".join(bytes(packet) for packet in [*codec.encode(frame), *codec.encode(None)])


def mp4_bytes(seconds: float, *, width: int = 64, height: int = 48, fps: int = 10) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, fps)
        base = gradient(width, height)
        for index in range(round(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(np.roll(base, index, axis=1), format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buffer.getvalue()


def data_uri(media_type: str, data: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


def i2v_body(model: str = "gen4_turbo", **fields: Any) -> dict[str, Any]:
    """A valid image_to_video body for ``model`` (fields override)."""
    body: dict[str, Any] = {"model": model, "promptImage": HTTPS_IMAGE}
    if model in ("gen4_turbo", "gen4.5"):
        body["ratio"] = "1280:720"
    else:
        body["ratio"] = "1920:1080"
    if model == "gen4.5":
        body["promptText"] = "A calm sea"
        body["duration"] = 5
    body.update(fields)
    return body


def act_two_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": "act_two",
        "character": {"type": "image", "uri": HTTPS_IMAGE},
        "reference": {"type": "video", "uri": HTTPS_VIDEO},
    }
    body.update(fields)
    return body


def decode_video(data: bytes) -> tuple[int, int, int, float]:
    """``(width, height, frames, seconds)`` of an MP4, decoding every frame."""
    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        assert stream.codec_context.name == "h264"
        rate = float(stream.average_rate or 0)
        return frames[0].width, frames[0].height, len(frames), len(frames) / rate
