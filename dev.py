"""The project's one entry point: set up, run the demo, the tests, the linters or the benchmarks.

Needs only Python 3.11+ and pip. Everything else (uv, then the pinned stack in ``.venv``) is
installed on the first run and re-installed only when ``pyproject.toml`` or the lock changes.

    python3 dev.py demo      # set up, then run the offline demo
    python3 dev.py up        # a local stack to try the Prefect UI (emulator, S3, server, worker)
    python3 dev.py down      # stop what `up` started
    python3 dev.py test      # set up, then run the test suite
    python3 dev.py lint      # ruff and mypy
    python3 dev.py lock      # re-pin requirements/lock.txt from pyproject.toml
    python3 dev.py bench     # benchmarks against the emulator and moto -> BENCHMARKS.md
                             #   (--quick: small N, one run each, a minute or two)
    python3 dev.py storm     # the full fault storm, the ledger's model at 3000 examples and
                             #   the crash repetitions; figures to RELIABILITY.md
    python3 dev.py catalogue # regenerate the request catalogue from the pinned runwayml SDK
                             #   (--check: fail if the committed files are stale; --report)
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LOCK = ROOT / "requirements" / "lock.txt"
STAMP = VENV / ".prefect-runway-installed"
VENV_PYTHON = VENV / "bin" / "python"

# No network but the package registries where this runs: Prefect's telemetry would only log errors.
RUN_ENV = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": os.environ.get("PREFECT_LOGGING_LEVEL", "INFO"),
}


def _run(*args: str | Path, env: dict[str, str] | None = None, own_prefect: bool = False) -> None:
    inherited = dict(os.environ)
    if own_prefect:
        # The user's Prefect settings (a profile's result storage block, an API URL...) must
        # not reach a run that brings its own temporary Prefect.
        inherited = {k: v for k, v in inherited.items() if not k.startswith("PREFECT_")}
    merged = {**inherited, **RUN_ENV, **(env or {})}
    completed = subprocess.run([str(a) for a in args], cwd=ROOT, env=merged, check=False)
    if completed.returncode != 0:
        sys.exit(completed.returncode)


def _uv() -> str:
    found = shutil.which("uv")
    if found:
        return found
    # Run from the project's own .venv (which has no pip), install uv with the interpreter the
    # venv was made from.
    python = getattr(sys, "_base_executable", None) or sys.executable
    beside = Path(python).parent / "uv"
    if beside.exists():
        return str(beside)
    _run(python, "-m", "pip", "install", "--quiet", "uv")
    found = shutil.which("uv")
    if found:
        return found
    # pip may install into a user scripts directory that is not on PATH.
    return str(beside)


def _wanted_stamp() -> str:
    digest = hashlib.sha256()
    for path in (ROOT / "pyproject.toml", LOCK):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _step(message: str) -> None:
    print(f"dev.py: {message}", flush=True)


def setup() -> None:
    """Create .venv and install the pinned stack, bytecode compiled, unless already current."""
    wanted = _wanted_stamp()
    if VENV_PYTHON.exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return
    first = not VENV_PYTHON.exists()
    _step(
        "installing the pinned stack into .venv"
        + (" (the first time takes a few minutes; later runs reuse it)" if first else "")
    )
    if shutil.which("uv") is None:
        _step("installing uv with pip")
    uv = _uv()
    if first:
        _step("creating .venv")
        _run(uv, "venv", "--quiet", "--python", sys.executable, VENV)
    _step(f"installing {sum(1 for line in LOCK.read_text().splitlines() if '==' in line)} "
          "pinned packages and this project, bytecode compiled")  # fmt: skip
    # --compile-bytecode: PYTHONDONTWRITEBYTECODE=1 is set on our machines, and without .pyc
    # files importing prefect takes twice as long.
    _run(
        uv,
        "pip",
        "install",
        "--quiet",
        "--compile-bytecode",
        "--python",
        VENV_PYTHON,
        "-r",
        LOCK,
        "-e",
        ".",
    )
    STAMP.write_text(wanted)
    _step("the stack is installed")


def demo() -> None:
    setup()
    # A Prefect home of its own: nothing of the user's Prefect is read or written.
    with tempfile.TemporaryDirectory(prefix="prefect-runway-demo-") as home:
        isolated = {
            "PREFECT_HOME": home,
            "PREFECT_PROFILES_PATH": str(Path(home) / "profiles.toml"),
        }
        _run(
            VENV_PYTHON, "-m", "prefect_runway.demo", *sys.argv[2:], env=isolated, own_prefect=True
        )


STACK_DIR = ROOT / ".runway-stack"


def up() -> None:
    """The local stack for the Prefect UI (prefect_runway.testing.stack); ``down`` stops it."""
    setup()
    # The stack's Prefect home is its own (.runway-stack/home): the user's profile is not used.
    home = {"PREFECT_HOME": str(STACK_DIR / "home"),
            "PREFECT_PROFILES_PATH": str(STACK_DIR / "home" / "profiles.toml")}  # fmt: skip
    _run(VENV_PYTHON, "-m", "prefect_runway.testing.stack", "up", "--dir", STACK_DIR,
         *sys.argv[2:], env=home, own_prefect=True)  # fmt: skip


def down() -> None:
    setup()
    _run(VENV_PYTHON, "-m", "prefect_runway.testing.stack", "down", "--dir", STACK_DIR,
         *sys.argv[2:], own_prefect=True)  # fmt: skip


def test() -> None:
    setup()
    args = sys.argv[2:]
    # Three xdist workers, a file per worker at a time (tests/conftest.py), on 2 cores: the two
    # longest units (the UI stack, the end-to-end server) mostly wait on their servers, workers
    # and browser, so with two workers each held a core's worth of wall time that the CPU did
    # not use; a third worker runs the rest of the suite beside them.
    # Units in the order tests/conftest.py gives them (longest first), not by test count.
    parallel = (
        []
        if any(a.startswith(("-n", "--numprocesses")) for a in args)
        else ["-n", "3", "--dist", "loadfile", "--no-loadscope-reorder"]
    )
    # The project's own sources are installed editable, so --compile-bytecode left them out and
    # PYTHONDONTWRITEBYTECODE=1 keeps imports from caching them: without this every flow-run
    # and test subprocess compiles the package again. Only changed files are compiled.
    _run(VENV_PYTHON, "-m", "compileall", "-q", "prefect_runway", "tests", "bench")
    _run(VENV_PYTHON, "-m", "pytest", *parallel, "--durations=20", *args)


def bench() -> None:
    setup()
    _run(VENV_PYTHON, "-m", "bench", *sys.argv[2:])


def lint() -> None:
    setup()
    _run(VENV_PYTHON, "-m", "ruff", "check", ".")
    _run(VENV_PYTHON, "-m", "ruff", "format", "--check", ".")
    _run(VENV_PYTHON, "-m", "mypy")


def lock() -> None:
    uv = _uv()
    _run(
        uv,
        "pip",
        "compile",
        "--quiet",
        "pyproject.toml",
        "--extra",
        "dev",
        "--extra",
        "bench",
        "--python-version",
        "3.11",
        "-o",
        LOCK,
    )


def storm() -> None:
    """The full reliability run: 1000 generations through a fault storm (duplicate, cancelled
    and budgeted batches at once, tasks deleted elsewhere), the ledger's model-based test at
    3000 examples, then every crash point killed three times. Writes
    tests/reliability/last-storm.json and RELIABILITY.md's table.

    ``python3 dev.py storm --generations 500 --seed 7 --vanish 4`` changes the storm's size,
    seed or tasks deleted elsewhere.
    """
    setup()
    _run(VENV_PYTHON, "-m", "tests.reliability.storm", *sys.argv[2:],
         env={"PREFECT_LOGGING_LEVEL": "WARNING"})  # fmt: skip
    _run(VENV_PYTHON, "-m", "tests.reliability.test_ledger_model",
         env={"RUNWAY_MODEL_EXAMPLES": "3000"})  # fmt: skip
    _run(
        VENV_PYTHON, "-m", "pytest", "-q", "tests/tasks/test_crash_and_cancel.py", "-k", "killed",
        env={"RUNWAY_RELIABILITY_FULL": "1"},
    )  # fmt: skip


def catalogue() -> None:
    """Regenerate prefect_runway/api/catalogue/_models.py and the emulator's catalogue.json."""
    setup()
    _run(VENV_PYTHON, "-m", "scripts.catalogue", *sys.argv[2:])


COMMANDS = {
    "setup": setup,
    "demo": demo,
    "up": up,
    "down": down,
    "test": test,
    "lint": lint,
    "lock": lock,
    "bench": bench,
    "storm": storm,
    "catalogue": catalogue,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: python3 dev.py {{{'|'.join(COMMANDS)}}} [args...]")
    COMMANDS[sys.argv[1]]()
