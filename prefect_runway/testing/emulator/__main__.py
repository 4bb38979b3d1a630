"""``runway-emulator``: serve the emulator in the foreground until Ctrl+C.

Also ``python -m prefect_runway.testing.emulator``.

    runway-emulator --host 127.0.0.1 --port 8123 [--config settings.json] [--api-key KEY]
                       [--mode runway|cometapi]

The config file holds ``EmulatorConfig`` fields as JSON; ``--host``/``--port``/``--api-key``/
``--mode`` override it. The base URL and the key are printed first, one per line, so scripts
can read them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import uvicorn

from prefect_runway.testing.emulator.config import EmulatorConfig
from prefect_runway.testing.emulator.server import bind_socket, uvicorn_config
from prefect_runway.testing.emulator.state import EmulatorState

__all__ = ["config_from_args", "main"]


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="runway-emulator", description="A local Runway-API-compatible server."
    )
    parser.add_argument("--host", default=None, help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="TCP port (default 0: any free)")
    parser.add_argument("--config", type=Path, default=None, help="EmulatorConfig as JSON")
    parser.add_argument("--api-key", default=None, help="the bearer key to accept")
    parser.add_argument(
        "--mode",
        choices=("runway", "cometapi"),
        default=None,
        help="API shape: Runway's /v1 (default) or CometAPI's /runwayml/v1",
    )
    parser.add_argument("--log-level", default="info", help="uvicorn log level")
    return parser.parse_args(argv)


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    """The config file's settings with the command line's overrides applied."""
    settings = json.loads(args.config.read_text()) if args.config is not None else {}
    overrides = (
        ("host", args.host),
        ("port", args.port),
        ("api_key", args.api_key),
        ("mode", args.mode),
    )
    for field, value in overrides:
        if value is not None:
            settings[field] = value
    return EmulatorConfig.model_validate(settings)


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, print the base URL and key, and serve until interrupted."""
    args = _parse(argv)
    config = config_from_args(args)
    sock = bind_socket(config.host, config.port)
    port = sock.getsockname()[1]
    host = f"[{config.host}]" if ":" in config.host else config.host
    print(f"RUNWAY_BASE_URL=http://{host}:{port}", flush=True)
    print(f"RUNWAY_API_KEY={config.api_key}", flush=True)
    state = EmulatorState(config)
    try:
        uvicorn.Server(uvicorn_config(state, log_level=args.log_level)).run(sockets=[sock])
    except KeyboardInterrupt:  # pragma: no cover - uvicorn handles SIGINT itself
        pass
    finally:
        sock.close()
        state.close()


if __name__ == "__main__":
    main(sys.argv[1:])
