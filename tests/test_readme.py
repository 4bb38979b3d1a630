"""The README's Python examples: each parses, and every name it imports from us exists."""

from __future__ import annotations

import ast
import importlib
import re
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
OURS = ("prefect_runway",)


def test_the_readme_has_examples() -> None:
    assert len(BLOCKS) >= 8


def test_every_example_parses_and_imports_only_what_exists() -> None:
    checked = 0
    for block in BLOCKS:
        tree = ast.parse(textwrap.dedent(block))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                root = node.module.split(".")[0]
                assert root in OURS or root in {"prefect", "prefect_aws", "pydantic", "asyncio"}, (
                    f"a README example imports {node.module}"
                )
                if root == "prefect_runway":
                    module = importlib.import_module(node.module)
                    for alias in node.names:
                        assert hasattr(module, alias.name), f"{node.module}.{alias.name}"
                        checked += 1
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert alias.name.split(".")[0] not in {"runway", "tasks", "flows", "blocks"}
    assert checked >= 15
