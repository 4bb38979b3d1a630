"""Named crash points, for the crash tests: ``RUNWAY_CRASH_AT=after_post`` kills the process there.

The points, in a generation's order: ``before_post`` (intent recorded, create not sent),
``after_post`` (created, task id not recorded), ``mid_poll``, ``mid_download`` (first bytes of
the output received, nothing sent to S3), ``mid_upload`` (a large output: parts of its
multipart upload in S3; a small one: all bytes handed over, the upload not completed),
``before_sidecar`` (outputs stored, sidecar not written).

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
