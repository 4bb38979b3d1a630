"""The package's front door: what it exports, what importing it costs, one error root."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys

import pytest

import prefect_runway


def test_every_public_name_resolves_and_is_listed() -> None:
    for name in prefect_runway.__all__:
        assert getattr(prefect_runway, name) is not None, name
    assert dir(prefect_runway) == sorted(prefect_runway.__all__)
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = prefect_runway.no_such_name  # type: ignore[attr-defined]


def test_every_module_of_the_package_imports() -> None:
    names = [
        module.name
        for module in pkgutil.walk_packages(prefect_runway.__path__, "prefect_runway.")
        if not module.name.endswith("__main__")
    ]
    assert {"prefect_runway.api", "prefect_runway.flows.batch", "prefect_runway.testing.s3"} <= set(
        names
    )
    for name in names:
        importlib.import_module(name)


def test_every_error_a_user_catches_shares_one_root() -> None:
    root = prefect_runway.PrefectRunwayError
    errors = [
        value
        for name in prefect_runway.__all__
        if isinstance(value := getattr(prefect_runway, name), type) and issubclass(value, Exception)
    ]
    assert len(errors) >= 12
    assert all(issubclass(error, root) for error in errors), errors
    from prefect_runway.api import ProviderLimitExceeded, RunwayError

    assert issubclass(RunwayError, root) and issubclass(ProviderLimitExceeded, root)


def test_importing_the_package_is_cheap() -> None:
    # The Prefect server, every block load and every pytest session (the plugin) import it.
    script = (
        "import sys, json, prefect_runway, prefect_runway.testing; "
        "import prefect_runway.testing.pytest_plugin; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'prefect', 'moto', 'av', 'fastapi', 'numpy', 'boto3', 'httpx'})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout) == []


def test_the_version_is_the_installed_distributions() -> None:
    from importlib.metadata import version

    assert prefect_runway.__version__ == version("prefect-runway")
