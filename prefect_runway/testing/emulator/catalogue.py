"""The emulator's copy of Runway's request rules: ``catalogue.json``, beside this module.

``python3 dev.py catalogue`` writes the file from the official SDK's types, Runway's OpenAPI
document and the hand-checked layer (scripts/catalogue). The emulator reads it as data, with a
validator of its own (:mod:`prefect_runway.testing.emulator.schema`) and its own cross-field
rules (:mod:`prefect_runway.testing.emulator.rules`): it never imports the client's models.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["ENDPOINT_MODELS", "entry", "load"]

_PATH = Path(__file__).with_name("catalogue.json")


@cache
def load() -> dict[str, Any]:
    """The parsed ``catalogue.json``."""
    data: dict[str, Any] = json.loads(_PATH.read_text())
    return data


def entry(endpoint: str, model: str) -> dict[str, Any] | None:
    """``{"schema": ..., "rules": [...]}`` of ``model`` on ``endpoint``, or None."""
    models: dict[str, Any] = load()["endpoints"].get(endpoint, {})
    found: dict[str, Any] | None = models.get(model)
    return found


ENDPOINT_MODELS: dict[str, tuple[str, ...]] = {
    endpoint: tuple(models) for endpoint, models in load()["endpoints"].items()
}
"""Every endpoint the emulator serves and its models, in the SDK's order."""
