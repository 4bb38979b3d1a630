"""A local Runway-API-compatible server for tests, the offline demo and benchmarks.

It implements every task-based generation endpoint and model of Runway's API (the catalogue:
image_to_video, text_to_video, video_to_video, character_performance, text_to_image,
image_upscale, video_upscale, video_to_hdr, and the audio endpoints), tasks GET and DELETE,
uploads and organization, with Runway's auth, validation, task states, concurrency, daily
limits, credits and expiring output links, plus a fault plan for the client's failure matrix.
Outputs are real media: playable MP4s and ProRes movies, images, audio.

    from prefect_runway.testing.emulator import RunwayEmulator, EmulatorConfig

    with RunwayEmulator(EmulatorConfig(run_seconds=0.5)) as emu:
        ...  # point a client at emu.base_url with emu.api_key

Run it in the foreground with ``runway-emulator --port 8123`` (or
``python -m prefect_runway.testing.emulator``). Importing this package is
cheap: the server's modules (FastAPI, uvicorn, PyAV) load on first use of a name below.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prefect_runway.testing.emulator.config import DEFAULT_API_KEY, EmulatorConfig
    from prefect_runway.testing.emulator.faults import Fault, FaultPlan, RandomFaults
    from prefect_runway.testing.emulator.server import RunwayEmulator

__all__ = [
    "DEFAULT_API_KEY",
    "EmulatorConfig",
    "Fault",
    "FaultPlan",
    "RandomFaults",
    "RunwayEmulator",
]

# The pytest plugin imports this package in every test run of the project; loading FastAPI and
# PyAV here would slow down runs that never start an emulator.
_WHERE = {
    "DEFAULT_API_KEY": "prefect_runway.testing.emulator.config",
    "EmulatorConfig": "prefect_runway.testing.emulator.config",
    "Fault": "prefect_runway.testing.emulator.faults",
    "FaultPlan": "prefect_runway.testing.emulator.faults",
    "RandomFaults": "prefect_runway.testing.emulator.faults",
    "RunwayEmulator": "prefect_runway.testing.emulator.server",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'emulator' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
