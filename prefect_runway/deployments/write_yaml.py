"""Write the packaged ``prefect.yaml`` where you deploy from.

    python -m prefect_runway.deployments.write_yaml [PATH]     # default: ./prefect.yaml
    prefect deploy --all --prefect-file PATH

The file's entrypoints are module paths into the installed package and it pulls nothing, so it
deploys from any folder and every worker with ``pip install prefect-runway`` runs it.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

__all__ = ["PREFECT_YAML", "main", "write_prefect_yaml"]

PREFECT_YAML = Path(__file__).resolve().with_name("prefect.yaml")
"""The deployments file shipped inside the package."""


def write_prefect_yaml(target: Path) -> Path:
    """Copy the packaged ``prefect.yaml`` to ``target`` (a file, or a folder to put it in).

    Example:
        ```python
        from pathlib import Path
        from prefect_runway.deployments.write_yaml import write_prefect_yaml

        write_prefect_yaml(Path("deploy"))  # deploy/prefect.yaml
        ```
    """
    if target.is_dir():
        target = target / "prefect.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PREFECT_YAML, target)
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=Path("prefect.yaml"))
    args = parser.parse_args(argv)
    written = write_prefect_yaml(args.path)
    print(f"wrote {written}; deploy with: prefect deploy --all --prefect-file {written}")


if __name__ == "__main__":
    main()
