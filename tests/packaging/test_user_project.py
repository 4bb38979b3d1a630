"""prefect-runway beside a user's project that has its own `flows/` and `tasks/` packages."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "user_project"


def test_a_users_flows_and_tasks_packages_do_not_shadow_ours(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(TEMPLATE, project)
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [sys.executable, "run.py"], cwd=project, env=env, capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    # The user's own packages were imported, and ours worked beside them.
    assert found["flows_owner"] == "the user's flows package"
    assert found["tasks_owner"] == "the user's tasks package"
    assert found["users_flow"].endswith("/mine/user-harbour.mp4")
    assert found["our_flow"].endswith("/ours/coast.mp4")
    assert found["stored_intact"] is True and found["creates"] == 2
