"""The catalogue's docstring examples run as written, and the generator's --check agrees."""

from __future__ import annotations

import doctest
import importlib

import pytest

from scripts.catalogue.__main__ import main

MODULES = [
    "prefect_runway.api.catalogue",
    "prefect_runway.api.catalogue.outputs",
    "prefect_runway.api.pricing",
    "prefect_runway.api.generation",
    "prefect_runway.api.image_to_video",
    "prefect_runway.api.character_performance",
    "prefect_runway.api.media",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0


def test_the_generators_check_mode_finds_nothing_stale(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--check"]) == 0
    assert "out of date" not in capsys.readouterr().err
