"""A whole local stack to try the flows in the Prefect UI: ``up`` to start it, ``down`` to stop it.

    python3 dev.py up      # from a checkout (or: python -m prefect_runway.testing.stack up)
    python3 dev.py down

``up`` starts, each in a process group of its own and on fixed loopback ports (checked free
first):

- the Runway emulator (a fixed key; a queue of 0.5 s and 3 s of "rendering" per clip);
- moto's S3 server, with a bucket ``renders`` holding the sample inputs under ``samples/``;
- a Prefect server with its UI, its API URL set for the UI (``PREFECT_UI_API_URL``) on that port;

then saves the blocks the deployments name (``runway``: RunwayCredentials pointing at the
emulator; ``renders``: an S3Bucket with moto's endpoint), creates the ``runway-process`` work
pool, deploys every deployment of the packaged ``prefect.yaml`` and starts a worker. It prints
the UI's link and what to click first. The blocks are saved again on every ``up``, so they
always point at the ports in use.

Everything lives in one folder (``.runway-stack/`` by default): the Prefect home and database,
the logs, the written ``prefect.yaml`` and ``stack.json``, which records every process id.
``down`` stops each recorded process group, and any process left under them, by id (SIGTERM,
then SIGKILL), and removes ``stack.json``; the database stays for the next ``up``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from prefect_runway.testing.emulator.config import DEFAULT_API_KEY

__all__ = ["DEFAULT_PORTS", "Stack", "StackError", "down", "main", "up"]

DEFAULT_PORTS = {"prefect": 4280, "emulator": 4281, "s3": 4282}
"""Ports ``up`` uses unless told otherwise (4200, Prefect's default, is left to your own)."""

API_KEY = DEFAULT_API_KEY
"""The emulator's fixed key: Runway's shape, so the credentials block accepts it."""
BUCKET = "renders"
BUCKET_FOLDER = "runway"
CREDENTIALS_BLOCK = "runway"
DESTINATION_BLOCK = "renders"
WORK_POOL = "runway-process"
STATE_FILE = "stack.json"
READY_SECONDS = 240.0
STOP_SECONDS = 20.0


class StackError(RuntimeError):
    """The stack cannot start (a port in use, a service that did not come up)."""


@dataclass
class Stack:
    """What ``up`` started: where to find it, and the process ids ``down`` stops."""

    folder: str
    ports: dict[str, int]
    pids: dict[str, int] = field(default_factory=dict)

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['prefect']}"

    @property
    def api_url(self) -> str:
        return f"{self.ui_url}/api"

    @property
    def emulator_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['emulator']}"

    @property
    def s3_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    @property
    def home(self) -> Path:
        return Path(self.folder) / "home"

    def env(self) -> dict[str, str]:
        """The environment of every Prefect process of the stack (server, CLI, worker)."""
        return {
            **os.environ,
            "PREFECT_HOME": str(self.home),
            "PREFECT_PROFILES_PATH": str(self.home / "profiles.toml"),
            "PREFECT_API_URL": self.api_url,
            "PREFECT_UI_API_URL": self.api_url,
            "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{self.home}/prefect.db",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_LOGGING_LEVEL": "INFO",
            "PREFECT_WORKER_QUERY_SECONDS": "2",
            "PREFECT_WORKER_PREFETCH_SECONDS": "2",
        }

    def save(self) -> None:
        path = Path(self.folder) / STATE_FILE
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, folder: Path) -> Stack | None:
        path = folder / STATE_FILE
        if not path.exists():
            return None
        return cls(**json.loads(path.read_text()))


def _say(message: str) -> None:
    print(message, flush=True)


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            # A zombie (state Z) has exited; only its parent has not collected it yet.
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:  # not Linux: ask the kernel instead
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def _descendants(pid: int) -> list[int]:
    """Every process under ``pid`` (read from /proc; empty where there is none)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _start(stack: Stack, name: str, args: list[str], env: dict[str, str] | None = None) -> int:
    log = (Path(stack.folder) / "logs" / f"{name}.log").open("ab")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
        args,
        cwd=stack.folder,
        env=env or stack.env(),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: `down` stops it whole, by its id
    )
    log.close()
    stack.pids[name] = process.pid
    stack.save()
    return process.pid


def _wait_until(what: str, check: Callable[[], bool], stack: Stack, name: str) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while not check():
        if not _alive(stack.pids[name]):
            log = Path(stack.folder) / "logs" / f"{name}.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise StackError(f"{what} exited while starting; the end of {log}:\n{tail}")
        if time.monotonic() > deadline:
            raise StackError(f"{what} did not answer within {READY_SECONDS:g} s")
        time.sleep(0.5)


def _answers(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code < 500
        except httpx.HTTPError:
            return False

    return check


def _prefect(stack: Stack, *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own interpreter and Prefect's CLI
        [sys.executable, "-m", "prefect", *args],
        cwd=stack.folder,
        env=stack.env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise StackError(f"prefect {' '.join(args)} failed:\n{done.stdout[-2000:]}{done.stderr}")
    return done.stdout


async def _save_blocks(stack: Stack) -> dict[str, str]:
    """The bucket with the samples, and the two blocks the deployments name by default."""
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect_aws import AwsCredentials, S3Bucket
    from prefect_aws.client_parameters import AwsClientParameters
    from pydantic import SecretStr

    from prefect_runway.blocks import RunwayCredentials
    from prefect_runway.testing.samples import write_samples

    credentials = AwsCredentials(
        aws_access_key_id="testing",
        aws_secret_access_key=SecretStr("testing"),  # moto accepts any key
        region_name="us-east-1",
        aws_client_parameters=AwsClientParameters(endpoint_url=stack.s3_url),
    )
    s3 = credentials.get_s3_client()
    if BUCKET not in {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=BUCKET)
    samples = write_samples(Path(stack.folder) / "samples")
    uris = {}
    for name, path in samples.items():
        key = f"samples/{path.name}"
        s3.upload_file(str(path), BUCKET, key)
        uris[name] = f"s3://{BUCKET}/{key}"
    with temporary_settings({PREFECT_API_URL: stack.api_url}):
        await S3Bucket(
            bucket_name=BUCKET, bucket_folder=BUCKET_FOLDER, credentials=credentials
        ).asave(DESTINATION_BLOCK, overwrite=True)
        await RunwayCredentials(api_key=SecretStr(API_KEY), base_url=stack.emulator_url).asave(
            CREDENTIALS_BLOCK, overwrite=True
        )
    return uris


def up(folder: Path, ports: dict[str, int] | None = None, *, worker: bool = True) -> Stack:
    """Start the stack in ``folder`` (see the module's docstring); return what was started.

    Args:
        folder: Where the stack keeps its Prefect home, logs and ``stack.json``.
        ports: ``prefect``, ``emulator`` and ``s3`` ports (default ``DEFAULT_PORTS``).
        worker: Start a worker for the ``runway-process`` pool.

    Raises:
        StackError: a port is taken, or a service did not come up (the stack is stopped).

    Example:
        ```python
        from pathlib import Path
        from prefect_runway.testing.stack import down, up

        stack = up(Path(".runway-stack"))
        print(stack.ui_url)
        down(Path(".runway-stack"))
        ```
    """
    folder = folder.resolve()
    running = Stack.load(folder)
    if running is not None and all(_alive(pid) for pid in running.pids.values()):
        _say(f"The stack is already up: {running.ui_url} (python3 dev.py down stops it).")
        return running
    if running is not None:
        down(folder)  # what is left of a stack that half died
    wanted = {**DEFAULT_PORTS, **(ports or {})}
    taken = [f"{name} port {port}" for name, port in wanted.items() if not _port_is_free(port)]
    if taken:
        raise StackError(
            f"in use: {', '.join(taken)}. Stop what uses it, or choose other ports: "
            "python3 dev.py up --prefect-port N --emulator-port N --s3-port N"
        )
    (folder / "logs").mkdir(parents=True, exist_ok=True)
    (folder / "home").mkdir(exist_ok=True)
    stack = Stack(folder=str(folder), ports=wanted)
    try:
        _start_services(stack, worker=worker)
    except BaseException:
        down(folder)
        raise
    return stack


def _start_services(stack: Stack, *, worker: bool) -> None:
    python = sys.executable
    config = Path(stack.folder) / "emulator.json"
    # Timings a person can watch in the UI: a short queue, a few seconds of "rendering".
    config.write_text(json.dumps({"queue_seconds": 0.5, "run_seconds": 3.0, "frame_width": 640}))
    _say(f"[1/6] Runway emulator on {stack.emulator_url}")
    _start(stack, "emulator", [python, "-m", "prefect_runway.testing.emulator",
                               "--host", "127.0.0.1", "--port", str(stack.ports["emulator"]),
                               "--api-key", API_KEY, "--config", str(config),
                               "--log-level", "warning"])  # fmt: skip
    _say(f"[2/6] S3 (moto) on {stack.s3_url}")
    moto_env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    _start(stack, "s3", [python, "-m", "moto.server", "-H", "127.0.0.1",
                         "-p", str(stack.ports["s3"])], env=moto_env)  # fmt: skip
    _say(f"[3/6] Prefect server and UI on {stack.ui_url} (the first start takes a minute)")
    _start(stack, "prefect-server", [python, "-m", "prefect", "server", "start",
                                     "--host", "127.0.0.1", "--port",
                                     str(stack.ports["prefect"])])  # fmt: skip
    _wait_until("the emulator", _answers(f"{stack.emulator_url}/_emulator/stats"), stack,
                "emulator")  # fmt: skip
    _wait_until("moto's S3", _answers(stack.s3_url), stack, "s3")
    _wait_until("the Prefect server", _answers(f"{stack.api_url}/health"), stack,
                "prefect-server")  # fmt: skip
    _say(f"[4/6] Blocks '{CREDENTIALS_BLOCK}' (Runway, the emulator) and '{DESTINATION_BLOCK}' "
         f"(S3Bucket, bucket '{BUCKET}' on moto); samples in s3://{BUCKET}/samples/")  # fmt: skip
    asyncio.run(_save_blocks(stack))
    _say(f"[5/6] Work pool '{WORK_POOL}' and every deployment of the packaged prefect.yaml")
    _prefect(stack, "work-pool", "create", WORK_POOL, "--type", "process", "--overwrite")
    from prefect_runway.deployments.write_yaml import write_prefect_yaml

    write_prefect_yaml(Path(stack.folder) / "prefect.yaml")
    _prefect(stack, "--no-prompt", "deploy", "--all", "--prefect-file", "prefect.yaml")
    if worker:
        _say(f"[6/6] A worker for '{WORK_POOL}'")
        _start(stack, "worker", [python, "-m", "prefect", "worker", "start", "--pool", WORK_POOL,
                                 "--limit", "4", "--name", "local-stack"])  # fmt: skip


def down(folder: Path) -> list[int]:
    """Stop every process ``up`` recorded in ``folder``, and what they started; by process id.

    Returns:
        The process ids that were stopped.
    """
    folder = folder.resolve()
    stack = Stack.load(folder)
    if stack is None:
        return []
    stopped: list[int] = []
    for name in ("worker", "prefect-server", "s3", "emulator"):
        pid = stack.pids.get(name)
        if pid is None:
            continue
        family = [pid, *_descendants(pid)]
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        for other in family[1:]:  # a child that made a session of its own
            try:
                os.kill(other, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + STOP_SECONDS
        while any(_alive(p) for p in family) and time.monotonic() < deadline:
            time.sleep(0.2)
        for straggler in (p for p in family if _alive(p)):
            try:
                os.kill(straggler, signal.SIGKILL)
            except ProcessLookupError:
                pass
        stopped += family
    (folder / STATE_FILE).unlink(missing_ok=True)
    return stopped


def _first_steps(stack: Stack) -> str:
    return f"""
The stack is up.

  Prefect UI   {stack.ui_url}
  Runway       {stack.emulator_url}  (the emulator: no key, no cost)
  S3           {stack.s3_url}  (moto: bucket '{BUCKET}', outputs under '{BUCKET_FOLDER}/')

First click: Deployments > runway-image-to-video / ui > Run > Custom run. Type the image
  s3://{BUCKET}/samples/coast.png
and a prompt, choose a ratio and a duration, then Submit. The run is Completed within a minute;
its Artifacts tab shows the results table, and the clip is at
  s3://{BUCKET}/{BUCKET_FOLDER}/<key prefix>/<output name>.mp4
Then try runway-storyboard / ui with a scene (s3://{BUCKET}/samples/harbour.png) and a close-up
(character s3://{BUCKET}/samples/keeper.png, performance clip
s3://{BUCKET}/samples/keeper-take.mp4).

Logs: {Path(stack.folder) / "logs"}. Stop everything: python3 dev.py down
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("command", choices=("up", "down"))
    parser.add_argument("--dir", type=Path, default=Path(".runway-stack"), help="stack folder")
    for name, port in DEFAULT_PORTS.items():
        parser.add_argument(f"--{name}-port", type=int, default=port, dest=f"{name}_port")
    parser.add_argument("--no-worker", action="store_true", help="start no worker")
    args = parser.parse_args(argv)
    if args.command == "down":
        stopped = down(args.dir)
        _say(f"Stopped {len(stopped)} processes." if stopped else "Nothing was running.")
        return
    ports = {name: getattr(args, f"{name}_port") for name in DEFAULT_PORTS}
    try:
        stack = up(args.dir, ports, worker=not args.no_worker)
    except StackError as error:
        sys.exit(f"python3 dev.py up: {error}")
    _say(_first_steps(stack))


if __name__ == "__main__":
    main()
