"""Generate the request catalogue from the installed ``runwayml`` SDK.

    python -m scripts.catalogue            # write the generated files
    python -m scripts.catalogue --check    # exit 1 if a committed file differs from a fresh run
    python -m scripts.catalogue --report   # also print what the OpenAPI document and the SDK
                                           # disagree on, and every limit read from prose

(``python3 dev.py catalogue`` runs the first in the project's environment.)
"""

from __future__ import annotations

import argparse
import difflib
import subprocess
import sys
from pathlib import Path

from scripts.catalogue.build import build
from scripts.catalogue.render_emulator import render_emulator
from scripts.catalogue.render_python import render_python

__all__ = ["GENERATED", "generate", "main"]

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "prefect_runway" / "api" / "catalogue" / "_models.py"
EMULATOR_RULES = ROOT / "prefect_runway" / "testing" / "emulator" / "catalogue.json"
GENERATED = (MODELS, EMULATOR_RULES)
"""The files this generator owns."""


def _ruff(source: str, path: Path, *command: str) -> str:
    completed = subprocess.run(  # noqa: S603 - ruff from this interpreter's environment
        [sys.executable, "-m", "ruff", *command, "--stdin-filename", str(path), "-"],
        input=source,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if completed.returncode != 0 and not completed.stdout:
        raise SystemExit(
            f"ruff {command[0]} failed on the generated {path.name}:\n{completed.stderr}"
        )
    return completed.stdout


def _ruff_format(source: str, path: Path) -> str:
    """Sort ``__all__`` as ruff wants it, then format: the file is committed as ruff leaves it."""
    fixed = _ruff(source, path, "check", "--fix", "--select", "RUF022", "--exit-zero")
    return _ruff(fixed, path, "format")


def generate() -> dict[Path, str]:
    """The generated files' contents, by path, exactly as they should be committed."""
    catalogue = build()
    return {
        MODELS: _ruff_format(render_python(catalogue), MODELS),
        EMULATOR_RULES: render_emulator(catalogue),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.catalogue", description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument("--report", action="store_true", help="print disagreements and limits")
    args = parser.parse_args(argv)
    if args.report:
        for line in build().report:
            print(line)
    files = generate()
    stale: list[Path] = []
    for path, text in files.items():
        current = path.read_text() if path.exists() else ""
        if current == text:
            continue
        stale.append(path)
        if args.check:
            diff = difflib.unified_diff(
                current.splitlines(), text.splitlines(), str(path), "generated", lineterm="", n=1
            )
            print("\n".join(list(diff)[:60]))
        else:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    if args.check and stale:
        names = ", ".join(str(p.relative_to(ROOT)) for p in stale)
        print(f"out of date: {names}; run python3 dev.py catalogue", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
