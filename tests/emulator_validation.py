"""The emulator's own validation, called in-process: does the server accept this create body?"""

from __future__ import annotations

from typing import Any

from prefect_runway.testing.emulator.schema import validate_create


def emulator_issues(endpoint: str, body: Any) -> list[dict[str, Any]]:
    """The issues the emulator finds in ``body`` (empty when it would create a task).

    ``runway://`` URIs are unknown here (no uploads): use https or data URIs.
    """
    checked = validate_create(endpoint, body, lambda _uri: None)
    return [issue.to_json() for issue in checked] if isinstance(checked, list) else []


def emulator_accepts(endpoint: str, body: Any) -> bool:
    return not emulator_issues(endpoint, body)
