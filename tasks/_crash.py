"""Named crash points, for the crash tests: ``RUNWAY_CRASH_AT=after_post`` kills the process there.

A crash test must kill the process at an exact step of a generation's life, not after a timer.
Unset (always, outside tests), a crash point does nothing.
"""

from __future__ import annotations

import os
import signal

__all__ = ["CRASH_ENV", "crash_point"]

CRASH_ENV = "RUNWAY_CRASH_AT"


def crash_point(name: str) -> None:
    """SIGKILL this process if ``RUNWAY_CRASH_AT`` names this point."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
