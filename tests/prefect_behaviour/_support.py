"""Helpers for the Prefect behaviour tests: subprocess environment, deadlines, cleanup."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

HERE = Path(__file__).resolve().parent

# Deadlines are only there so that a broken run fails instead of hanging: nothing asserts timings.
# Three flow processes start at once here, each importing Prefect: on 2 loaded cores (the UI and
# end-to-end files beside them) their first polls came after 60 s once in CI.
PROCESS_DEADLINE = 180.0
CONDITION_DEADLINE = 180.0

T = TypeVar("T")


def script(name: str) -> str:
    """Absolute path of one of the flow scripts beside this module."""
    return str(HERE / name)


def subprocess_env(api_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    """Environment for a subprocess that talks to the session's test server.

    Every inherited ``PREFECT_*`` variable is dropped so that a developer's profile or settings
    cannot change what is being pinned; the process gets its own ``PREFECT_HOME``.
    """
    home = tmp_path / "prefect-home"
    home.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env.update(
        PREFECT_API_URL=api_url,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_HOME=str(home),
    )
    env.update(extra)
    return env


def start(argv: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start ``python argv...`` with stdout and stderr going to ``log_path``."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [sys.executable, *argv],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


def kill_by_pid(pid: int) -> None:
    """SIGKILL one process by pid, ignoring one that is already gone."""
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def stop(process: subprocess.Popen[bytes], *, graceful: signal.Signals | None = None) -> None:
    """End a process we started (optionally asking nicely first) and reap it."""
    if process.poll() is None and graceful is not None:
        try:
            os.kill(process.pid, graceful)
            process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    if process.poll() is None:
        kill_by_pid(process.pid)
    process.wait(timeout=30)


def run_to_end(argv: list[str], env: dict[str, str], log_path: Path) -> int:
    """Run a script to its end (or its own SIGKILL) and return its exit code."""
    process = start(argv, env, log_path)
    try:
        return process.wait(timeout=PROCESS_DEADLINE)
    finally:
        stop(process)


def wait_until(
    condition: Callable[[], T],
    what: str,
    *,
    deadline: float = CONDITION_DEADLINE,
    interval: float = 0.05,
    diagnostics: Callable[[], str] | None = None,
) -> T:
    """Poll ``condition`` until it returns something truthy; fail after ``deadline`` seconds."""
    end = time.monotonic() + deadline
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            extra = f"\n{diagnostics()}" if diagnostics else ""
            raise AssertionError(f"gave up waiting for {what}{extra}")
        time.sleep(interval)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); treat a reaped-or-zombie child of someone else as gone.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Complete JSON lines of ``path`` (a line still being written is skipped)."""
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def tail(path: Path, lines: int = 60) -> str:
    if not path.exists():
        return f"({path} does not exist)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def lines_of(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def files_in(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir()) if path.exists() else []


def only(items: Iterable[T]) -> T:
    items = list(items)
    assert len(items) == 1, items
    return items[0]
