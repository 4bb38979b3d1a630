"""Local stand-ins for the services prefect-runway talks to, for tests, demos and benchmarks.

- ``RunwayEmulator`` (``prefect_runway.testing.emulator``): a Runway-API-compatible server on
  loopback, with its own validation, task states, credits, limits and a fault plan.
- ``MotoServer`` (``prefect_runway.testing.s3``): moto's S3 server in a child process, with
  prefect-aws ``S3Bucket`` blocks on it.
- the ``runway_emulator`` pytest fixture (``prefect_runway.testing.pytest_plugin``, registered
  on install).
- ``python -m prefect_runway.testing.stack up`` / ``down`` (``prefect_runway.testing.stack``):
  the emulator, moto's S3, a Prefect server with its UI, the blocks, every deployment and a
  worker, to try the flows in the Prefect UI (``python3 dev.py up`` in a checkout).

Install with ``pip install prefect-runway[testing]`` (moto and its server). Importing this
package is cheap: each name loads its module on first use.

Example:
    ```python
    from prefect_runway.testing import MotoServer, RunwayEmulator

    with RunwayEmulator() as emulator, MotoServer() as s3:
        bucket = s3.new_bucket()  # a prefect-aws S3Bucket block on the local server
        ...  # point RunwayCredentials at emulator.base_url with emulator.api_key
    ```
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prefect_runway.testing.emulator import (
        DEFAULT_API_KEY,
        EmulatorConfig,
        Fault,
        FaultPlan,
        RandomFaults,
        RunwayEmulator,
    )
    from prefect_runway.testing.s3 import MotoServer

_WHERE = {
    "DEFAULT_API_KEY": "prefect_runway.testing.emulator",
    "EmulatorConfig": "prefect_runway.testing.emulator",
    "Fault": "prefect_runway.testing.emulator",
    "FaultPlan": "prefect_runway.testing.emulator",
    "RandomFaults": "prefect_runway.testing.emulator",
    "RunwayEmulator": "prefect_runway.testing.emulator",
    "MotoServer": "prefect_runway.testing.s3",
}

__all__ = [
    "DEFAULT_API_KEY",
    "EmulatorConfig",
    "Fault",
    "FaultPlan",
    "MotoServer",
    "RandomFaults",
    "RunwayEmulator",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'prefect_runway.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
