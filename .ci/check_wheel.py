"""CI: the wheel works from a plain install, outside the checkout.

Builds the wheel and the sdist, checks the wheel installs exactly one top-level package
(`prefect_runway`), installs it with its `testing` extra into a fresh virtualenv (constrained
by requirements/lock.txt), then, from a folder outside the checkout: imports every module of
the package from that install, and runs the throwaway user project of
tests/packaging/user_project (its own `flows/` and `tasks/`, our `generate` and our
image-to-video flow against the emulator and moto).

    python3 .ci/check_wheel.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "lock.txt"

IMPORT_ALL = """
import importlib, json, pkgutil, sys
import prefect_runway
names = [m.name for m in pkgutil.walk_packages(prefect_runway.__path__, "prefect_runway.")
         if not m.name.endswith("__main__")]
for name in names:
    importlib.import_module(name)
print(json.dumps({"file": prefect_runway.__file__, "modules": len(names),
                  "version": prefect_runway.__version__}))
"""


def _uv() -> str:
    found = shutil.which("uv")
    if found:
        return found
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "uv"], check=True)
    return shutil.which("uv") or str(Path(sys.executable).parent / "uv")


def _step(message: str) -> None:
    print(f"[check_wheel] {message}", flush=True)


def main() -> None:
    uv = _uv()
    work = Path(tempfile.mkdtemp(prefix="prefect-runway-wheel-"))
    try:
        dist = work / "dist"
        _step("building the wheel and the sdist")
        subprocess.run([uv, "build", "--quiet", "--out-dir", str(dist), str(ROOT)], check=True)
        (wheel,) = dist.glob("prefect_runway-*.whl")
        (sdist,) = dist.glob("prefect_runway-*.tar.gz")
        with zipfile.ZipFile(wheel) as archive:
            tops = {name.split("/")[0] for name in archive.namelist()}
            names = archive.namelist()
        packages = {top for top in tops if not top.endswith((".dist-info", ".data"))}
        assert packages == {"prefect_runway"}, f"the wheel installs {sorted(packages)}"
        assert "prefect_runway/deployments/prefect.yaml" in names, "prefect.yaml is not shipped"
        _step(f"{wheel.name}: one top-level package, prefect_runway; sdist {sdist.name}")

        venv = work / "venv"
        python = venv / "bin" / "python"
        subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
        _step("installing the wheel with [testing], constrained by requirements/lock.txt")
        subprocess.run(
            [uv, "pip", "install", "--quiet", "--compile-bytecode", "--python", str(python),
             f"{wheel}[testing]", "-c", str(LOCK)],
            check=True,
        )  # fmt: skip

        # Outside the checkout, which must not be on sys.path.
        outside = work / "elsewhere"
        outside.mkdir()
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
        env["PREFECT_HOME"] = str(work / "prefect-home")
        imported = subprocess.run(
            [str(python), "-c", IMPORT_ALL], cwd=outside, env=env, capture_output=True,
            text=True, check=False,
        )  # fmt: skip
        assert imported.returncode == 0, imported.stderr[-3000:]
        found = json.loads(imported.stdout.strip().splitlines()[-1])
        assert str(ROOT) not in found["file"], f"imported from the checkout: {found['file']}"
        assert str(venv) in found["file"], found
        _step(f"imported all {found['modules']} modules of prefect_runway {found['version']}")

        project = outside / "project"
        shutil.copytree(ROOT / "tests" / "packaging" / "user_project", project)
        _step("running a user's project (own flows/ and tasks/) and our image-to-video flow")
        ran = subprocess.run(
            [str(python), "run.py"], cwd=project, env=env, capture_output=True, text=True,
            timeout=900, check=False,
        )  # fmt: skip
        assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
        result = json.loads(ran.stdout.strip().splitlines()[-1])
        assert str(venv) in result["package_file"], result
        _step(f"user project: {result}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _step("ok")


if __name__ == "__main__":
    main()
