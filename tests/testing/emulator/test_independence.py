"""The emulator plays the server: it shares no code with the client it is used to test."""

from __future__ import annotations

import ast
from pathlib import Path

import prefect_runway.testing.emulator as emulator

CLIENT_PACKAGES = ("prefect_runway.api", "prefect_runway.tasks", "prefect_runway.flows",
                   "prefect_runway.blocks", "prefect_runway.deployments")  # fmt: skip


def test_no_emulator_module_imports_the_client() -> None:
    folder = Path(emulator.__file__).parent
    checked = 0
    for path in sorted(folder.glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                assert not name.startswith(CLIENT_PACKAGES), f"{path.name} imports {name}"
                assert name != "prefect_runway", f"{path.name} imports the package root"
        checked += 1
    assert checked >= 15
    # Its rules are data it reads with its own validator.
    assert (folder / "catalogue.json").is_file()
