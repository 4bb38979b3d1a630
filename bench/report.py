"""BENCHMARKS.md and its plots from a results JSON (written by ``python -m bench``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def render(results: dict[str, Any], output: Path, *, before: dict[str, Any] | None) -> None:
    output.write_text("placeholder\n")
