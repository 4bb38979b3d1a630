"""Which local files and S3 objects a run may read and send to Runway: the one rule.

A flow's parameters come from people and systems that do not own the worker: a form in the
Prefect UI, an event's payload, a manifest row. Any of them could name a file the worker can
read (``/home/worker/.aws/credentials``, another team's renders) or an object in any bucket the
worker's AWS role reaches, and the flow would send it to a third party. So inputs are read only

* **local paths** inside the *allowed roots*: the folders named in ``RUNWAY_INPUT_ROOTS`` on the
  machine that runs the flow (separated by ``os.pathsep``, ``:`` on Linux), and in the
  ``input_roots`` field of the RunwayCredentials block. A *script run* (a flow called from
  Python, not through a deployment) may also read under its working directory; a *deployment
  run* (started by a worker or ``serve`` for a schedule, the UI, an event) reads only under the
  configured roots: a process worker starts each run in an empty temporary folder, and a
  served run's working directory is wherever ``serve`` was started.
* **``s3://`` objects** in the *allowed buckets*: the destination bucket, plus those named in
  ``RUNWAY_INPUT_BUCKETS`` (separated by commas or spaces) and in the block's ``input_buckets``.

Both are set by whoever runs the worker or owns the blocks, and nothing a run is given as a
parameter widens them. Paths are resolved (``~``, ``..``, every symbolic link) before they are
checked, so a link inside a root that points outside it is refused; a link loop, a FIFO, a
device or a directory is refused; files are opened without following a final link and without
blocking, then checked to be regular files. S3 keys with ``.`` or ``..`` segments, or empty
ones, are refused (some S3-compatible servers normalise them), and bucket names must be valid.

A refusal names the field, the value, the rule and the setting that would allow it.

Example:
    ```python
    import os
    from prefect_runway.tasks.allowed_inputs import InputPolicy

    os.environ["RUNWAY_INPUT_ROOTS"] = "/srv/stills:/srv/takes"
    policy = InputPolicy.for_run(destination_bucket="renders")
    path = policy.local_file("promptImage", "/srv/stills/harbour.png")
    ```
"""

from __future__ import annotations

import errno
import io
import os
import re
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from prefect_runway.tasks.spec import InputError

if TYPE_CHECKING:
    from prefect_aws import S3Bucket

    from prefect_runway.blocks import RunwayCredentials

__all__ = [
    "BUCKETS_ENV",
    "ROOTS_ENV",
    "InputNotAllowed",
    "InputPolicy",
    "in_deployment_run",
]

ROOTS_ENV = "RUNWAY_INPUT_ROOTS"
"""Environment variable: the folders runs on this machine may read inputs from."""

BUCKETS_ENV = "RUNWAY_INPUT_BUCKETS"
"""Environment variable: the buckets (besides the destination) runs may read inputs from."""

# S3's rules for bucket names (no dots at the ends, no "..", no "/" or "@").
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")


class InputNotAllowed(InputError):
    """An input lies outside what this worker may read; nothing was read or sent."""


def in_deployment_run() -> bool:
    """Whether this process runs a deployment's flow run (started by a worker or ``serve``).

    A runner starts every deployment run with ``PREFECT__FLOW_RUN_ID`` set; a flow run in
    context that belongs to a deployment says so too. A subflow of a deployment run has no
    deployment of its own, which is why the variable is asked first.
    """
    if os.environ.get("PREFECT__FLOW_RUN_ID"):
        return True
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    flow_run = getattr(context, "flow_run", None)
    return getattr(flow_run, "deployment_id", None) is not None


def _split_roots(text: str) -> list[str]:
    return [part.strip() for part in text.split(os.pathsep) if part.strip()]


def _split_buckets(text: str) -> list[str]:
    return [part for part in re.split(r"[\s,]+", text) if part]


def _resolve_root(root: str) -> Path:
    # A root that does not exist (yet) still bounds what may be read; strict=False keeps it.
    return Path(os.path.realpath(Path(root).expanduser()))


@dataclass(frozen=True)
class InputPolicy:
    """Where a run may read inputs from.

    Build it with :meth:`for_run` (the worker's environment and the block's fields) rather than
    by hand; a policy built by hand is the caller's own rule.

    Attributes:
        roots: Resolved folders whose files may be read.
        buckets: Buckets whose objects may be read.
        working_directory: Whether the working directory is a root because this is a script run.
    """

    roots: tuple[Path, ...] = ()
    buckets: frozenset[str] = frozenset()
    working_directory: bool = False

    @classmethod
    def for_run(
        cls,
        *,
        destination_bucket: str | None = None,
        roots: Iterable[str] = (),
        buckets: Iterable[str] = (),
        environ: Mapping[str, str] | None = None,
        deployment_run: bool | None = None,
    ) -> InputPolicy:
        """The policy of a run on this machine.

        Args:
            destination_bucket: The bucket outputs go to; its objects may be inputs.
            roots: Allowed folders from a block (``input_roots``).
            buckets: Allowed buckets from a block (``input_buckets``).
            environ: The environment to read ``RUNWAY_INPUT_ROOTS`` and ``RUNWAY_INPUT_BUCKETS``
                from (default ``os.environ``).
            deployment_run: Override the detection of a deployment run (tests).
        """
        env = os.environ if environ is None else environ
        named = [*_split_roots(env.get(ROOTS_ENV, "")), *roots]
        deployment = in_deployment_run() if deployment_run is None else deployment_run
        resolved = [_resolve_root(root) for root in named]
        if not deployment:
            resolved.append(Path.cwd().resolve())
        allowed = {*_split_buckets(env.get(BUCKETS_ENV, "")), *buckets}
        if destination_bucket:
            allowed.add(destination_bucket)
        return cls(
            roots=tuple(dict.fromkeys(resolved)),
            buckets=frozenset(allowed),
            working_directory=not deployment,
        )

    @classmethod
    def for_blocks(
        cls, destination: S3Bucket | None, credentials: RunwayCredentials | None
    ) -> InputPolicy:
        """The policy of a run writing to ``destination`` with ``credentials``' settings."""
        return cls.for_run(
            destination_bucket=destination.bucket_name if destination is not None else None,
            roots=credentials.input_roots if credentials is not None else (),
            buckets=credentials.input_buckets if credentials is not None else (),
        )

    # -- local files --------------------------------------------------------------------------

    def _where(self) -> str:
        if not self.roots:
            return "none are configured"
        return ", ".join(str(root) for root in self.roots)

    def _how_to_allow(self) -> str:
        note = (
            ""
            if self.working_directory
            else " (a deployment run reads only configured folders, not its working directory)"
        )
        return (
            f"the folders this worker reads inputs from are: {self._where()}{note}. A run's "
            f"parameters cannot widen them: add the folder to {ROOTS_ENV} on the worker "
            f"(separated by {os.pathsep!r}) or to input_roots of the RunwayCredentials block"
        )

    def local_file(self, field_name: str, value: str) -> Path:
        """The file ``value`` names, resolved and checked against the allowed roots.

        Args:
            field_name: The field it was given in, for the message.
            value: The path as given.

        Returns:
            The resolved path of a regular file inside an allowed root.

        Raises:
            InputNotAllowed: outside the roots (directly or through a link).
            InputError: missing, a link loop, or not a regular file.
        """
        if "\x00" in value:
            raise InputError(field_name, "the path contains a NUL character", value=value)
        given = Path(value).expanduser()
        problem: str | None = None
        try:
            resolved = Path(os.path.realpath(given, strict=True))
        except FileNotFoundError:
            resolved, problem = Path(os.path.realpath(given)), "no such file"
        except (OSError, RuntimeError) as error:
            # ELOOP (a link loop), ENAMETOOLONG, EACCES...: nothing can be read there.
            resolved = Path(os.path.realpath(given))
            loop = isinstance(error, RuntimeError) or getattr(error, "errno", None) == errno.ELOOP
            problem = "a symbolic link loop" if loop else f"it cannot be resolved ({error})"
        # Outside first, and worded alike whether the file exists or not: a parameter must not
        # learn what lies outside the roots.
        if not self._inside(resolved):
            lexical = Path(os.path.abspath(given))
            through = " (through a symbolic link)" if self._inside(lexical) else ""
            raise InputNotAllowed(
                field_name,
                f"the path is outside the allowed folders{through}; {self._how_to_allow()}",
                value=value,
            )
        if problem is not None:
            raise InputError(field_name, f"{problem}: {resolved}", value=value)
        mode = resolved.stat().st_mode
        if not stat.S_ISREG(mode):
            raise InputError(
                field_name,
                f"{resolved} is {_file_kind(mode)}; only regular files are read",
                value=value,
            )
        return resolved

    def local_folder(self, field_name: str, value: str) -> Path:
        """A folder to list (the fan-out's source), resolved and inside the allowed roots.

        Raises:
            InputNotAllowed: outside the roots.
            InputError: missing, or not a directory.
        """
        given = Path(value).expanduser()
        resolved = Path(os.path.realpath(given))
        if not self._inside(resolved):
            raise InputNotAllowed(
                field_name,
                f"the folder is outside the allowed folders; {self._how_to_allow()}",
                value=value,
            )
        if not resolved.is_dir():
            raise InputError(field_name, f"no such folder: {resolved}", value=value)
        return resolved

    def _inside(self, path: Path) -> bool:
        return any(path == root or path.is_relative_to(root) for root in self.roots)

    # -- S3 objects ---------------------------------------------------------------------------

    def s3_object(self, field_name: str, value: str) -> tuple[str, str]:
        """The bucket and key of an ``s3://`` URI, checked against the allowed buckets.

        Raises:
            InputNotAllowed: the bucket is not allowed.
            InputError: the URI is malformed (bucket name, empty key, ``.``/``..`` segments).
        """
        rest = value[len("s3://") :] if value[:5].lower() == "s3://" else value
        bucket, slash, key = rest.partition("/")
        if not _BUCKET.match(bucket) or ".." in bucket:
            raise InputError(
                field_name,
                f"{bucket!r} is not a valid S3 bucket name (3-63 lower-case letters, digits, "
                "'.' and '-'); write s3://<bucket>/<key>",
                value=value,
            )
        if not slash or not key:
            raise InputError(field_name, "the URI names no object key", value=value)
        segments = key.split("/")
        if any(segment in (".", "..") for segment in segments) or "" in segments[:-1]:
            raise InputError(
                field_name,
                "the key has an empty, '.' or '..' segment; name the object by its plain key",
                value=value,
            )
        if bucket not in self.buckets:
            allowed = ", ".join(sorted(self.buckets)) or "none"
            raise InputNotAllowed(
                field_name,
                f"the bucket {bucket!r} is not one this worker reads inputs from ({allowed}). "
                f"A run's parameters cannot widen them: add it to {BUCKETS_ENV} on the worker "
                "or to input_buckets of the RunwayCredentials block",
                value=value,
            )
        return bucket, key


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def open_checked(
    path: Path, field_name: str, value: str, max_bytes: int, *, what: str = "Runway takes"
) -> tuple[io.BufferedReader, int]:
    """Open a checked file for reading, and its size, refusing it if it grew too large.

    The file is opened without following a final symbolic link and without blocking (a path
    swapped for a FIFO after the check cannot hang the run), then checked to be a regular file
    of at most ``max_bytes`` before a byte is read: a 4 GB sparse file is refused at once.

    Raises:
        InputError: not a regular file any more, or over ``max_bytes``.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        raise InputError(field_name, f"cannot open {path}: {error.strerror}", value=value) from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(
                field_name, f"{path} is {_file_kind(info.st_mode)}; only regular files are read",
                value=value,
            )  # fmt: skip
        if info.st_size > max_bytes:
            raise InputError(
                field_name,
                f"the file is {info.st_size} bytes ({info.st_size / 2**20:.1f} MiB); {what} "
                f"at most {max_bytes // 2**20} MB",
                value=value,
            )
        file = os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise
    return file, info.st_size
