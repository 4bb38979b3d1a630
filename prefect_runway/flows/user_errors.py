"""Errors a person makes end the run with one line in their words, and no traceback.

A mistyped block name, a bucket that does not exist, a prompt over the limit, a file that is
not on the worker: Prefect would end each with a traceback from deep inside boto3, Prefect or
pydantic, naming an API field (``promptText``) or an operation (``GetObject``) the person never
saw. The flows load their blocks through ``load_destination`` and ``load_credentials``, which
name the form field, the value and what exists; and every flow is wrapped in ``ends_cleanly``:
an error this package raises on purpose (``PrefectRunwayError``) is logged as one line and
ends the run ``Failed`` with that line as its state message. A bug (any other exception) keeps
Prefect's traceback.

Called from a script, a flow still raises the same exception as before (the Failed state
carries it, and Prefect raises it to the caller).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ParamSpec, TypeVar, cast

from botocore.exceptions import ClientError, EndpointConnectionError
from prefect import get_run_logger
from prefect.client.orchestration import get_client
from prefect.states import Failed
from prefect_aws import S3Bucket
from pydantic import ValidationError

from prefect_runway.api.errors import PrefectRunwayError
from prefect_runway.blocks import RunwayCredentials
from prefect_runway.tasks.inputs import InputError
from prefect_runway.tasks.run_logs import send_package_logs_to_runs
from prefect_runway.tasks.s3io import s3_client

__all__ = [
    "BlockNotFound",
    "BucketNotReachable",
    "ParameterError",
    "ends_cleanly",
    "form_words",
    "from_validation_error",
    "load_credentials",
    "load_destination",
    "one_line",
]

P = ParamSpec("P")
R = TypeVar("R")


class ParameterError(PrefectRunwayError, ValueError):
    """A flow parameter cannot work: the message names the field, the value and what is allowed.

    Attributes:
        field: The parameter as the form names it (``destination_block``, ``prompt_text``).
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class BlockNotFound(ParameterError):
    """No block of that type has the given name; the message lists the names that exist."""


class BucketNotReachable(ParameterError):
    """The destination block's bucket does not exist, or its credentials cannot reach it."""


def one_line(error: BaseException) -> str:
    """The error's message on one line (pydantic and others spread theirs over several)."""
    return " ".join(str(error).split()) or type(error).__name__


async def _block_names(slug: str) -> list[str]:
    try:
        async with get_client() as prefect:
            documents = await prefect.read_block_documents_by_type(slug, include_secrets=False)
    except Exception:  # the names are a help; the error stands without them
        return []
    return sorted(d.name for d in documents if d.name and not d.is_anonymous)


async def _missing_block(field: str, name: str, slug: str, kind: str) -> BlockNotFound:
    names = await _block_names(slug)
    saved = (
        f"the saved {kind} blocks are: {', '.join(names)}"
        if names
        else f"no {kind} block is saved yet"
    )
    return BlockNotFound(
        field,
        f"{field} {name!r}: there is no {kind} block of that name; {saved}. Create one under "
        "Blocks in the Prefect UI, or save one from Python (README, 'Generating from your own "
        "flow').",
    )


def _is_missing_block(error: ValueError) -> bool:
    return "Unable to find block document" in str(error)


async def load_destination(name: str, field: str = "destination_block") -> S3Bucket:
    """Load the S3Bucket block ``name`` and check that its bucket is there, in user's words.

    Raises:
        BlockNotFound: no S3Bucket block has that name (the message lists those that exist).
        BucketNotReachable: the block's bucket does not exist, is not readable with its
            credentials, or its endpoint does not answer.

    Example:
        ```python
        destination = await load_destination("renders")
        ```
    """
    try:
        block = cast(S3Bucket, await S3Bucket.aload(name))
    except ValueError as error:
        if not _is_missing_block(error):
            raise
        raise await _missing_block(field, name, "s3-bucket", "S3Bucket") from None
    bucket = block.bucket_name
    # The pooled client the generations use (``s3io.s3_client``): the block's own client
    # would be a second boto3 client built per flow run, for this one call (issue 20).
    s3 = s3_client(block)
    where = f"{field} {name!r} (bucket {bucket!r})"
    try:
        await asyncio.to_thread(s3.head_bucket, Bucket=bucket)
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchBucket", "NotFound"):
            problem = "the bucket does not exist; create it, or point the block at one that does"
        elif code in ("403", "AccessDenied", "Forbidden"):
            problem = "the block's credentials may not use this bucket (access denied)"
        else:
            problem = f"S3 answered {code or 'an error'} when asked about the bucket"
        raise BucketNotReachable(field, f"{where}: {problem}.") from None
    except EndpointConnectionError as error:
        raise BucketNotReachable(
            field, f"{where}: cannot reach S3 at {error.kwargs.get('endpoint_url', '?')}."
        ) from None
    return block


async def load_credentials(name: str, field: str = "credentials_block") -> RunwayCredentials:
    """Load the RunwayCredentials block ``name``, or say which names exist.

    Raises:
        BlockNotFound: no RunwayCredentials block has that name.
    """
    try:
        return cast(RunwayCredentials, await RunwayCredentials.aload(name))
    except ValueError as error:
        if not _is_missing_block(error):
            raise
        raise await _missing_block(
            field, name, "runway-credentials", "Runway Credentials"
        ) from None


def from_validation_error(error: ValidationError, fields: Mapping[str, str]) -> ParameterError:
    """A request's ``ValidationError`` in the form's words: ``promptText`` -> ``prompt_text``.

    Args:
        error: pydantic's error for the Runway request.
        fields: Runway request field -> form field, for this flow.
    """
    problems = []
    first = ""
    for item in error.errors():
        location = [str(part) for part in item["loc"]]
        head = location[0] if location else ""
        form_field = fields.get(head, ".".join(location) or "request")
        first = first or form_field
        message = item["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        value = item.get("input")
        shown = f" ({_short(value)})" if isinstance(value, (str, int, float)) else ""
        problems.append(f"{form_field}{shown}: {message}")
    return ParameterError(first or "request", "; ".join(problems))


def form_words(error: InputError, fields: Mapping[str, str]) -> InputError:
    """An input error that names the form's field (``image``), not Runway's (``promptImage``)."""
    head = error.field.split(".", 1)[0].split("[", 1)[0]
    form_field = fields.get(head)
    if form_field is None or form_field == head:
        return error
    error.args = (str(error).replace(error.field, form_field, 1),)
    return error


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}... ({len(str(value))} characters)"


def ends_cleanly(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Wrap a flow's function: our errors end the run Failed with one line, no traceback.

    It also sends this package's log lines to the run's logs (``send_package_logs_to_runs``).
    Put it under ``@flow``; the signature (and so the form) is the function's own.
    """

    @functools.wraps(fn)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        send_package_logs_to_runs()
        try:
            return await fn(*args, **kwargs)
        except PrefectRunwayError as error:
            line = one_line(error)
            get_run_logger().error(line)
            # A returned state ends the run as it is, without Prefect's traceback; its data
            # is the exception, which Prefect raises to a script that called the flow.
            failed: Any = Failed(message=line, data=error)
            return cast(R, failed)

    # The signature with its annotations evaluated where the flow is defined: Prefect builds
    # the form and validates parameters from it, resolving names in the *wrapper's* module.
    run.__signature__ = inspect.signature(fn, eval_str=True)  # type: ignore[attr-defined]
    return run
