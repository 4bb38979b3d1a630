"""``generate``: one generation's whole life, from request to output and sidecar in S3.

```
key = hash(request with input content ids, provider URL, variant)
sidecar for key in S3? -- yes --> done: no GET, no POST
   | no
for attempt 1..max_attempts:
    ledger has a task id for key-attempt? reattach   (else: prepare inputs, submit)
    wait --> SUCCEEDED: store outputs, sidecar last, done
             FAILED, retryable code: next attempt  (a new, paid generation, bounded)
             FAILED otherwise, CANCELLED, queue timeout: failed result with Runway's reason
             404 (vanished): sidecar stored meanwhile? done; else next attempt
```

``generate`` is a plain async function, not a task, on purpose: its steps are Prefect tasks
called directly from the flow, so each commits its record as soon as it returns. Inside a task
they would commit only with the parent, and a crash would forget the submitted task id.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect_aws import S3Bucket
from pydantic import BaseModel, ConfigDict

from prefect_runway.api import (
    QueueTimeout,
    RunwayClient,
    Task,
    TaskNotFound,
    TaskStatus,
    TaskVanished,
    WaitPolicy,
    parse_generation_request,
)
from prefect_runway.api.errors import PrefectRunwayError
from prefect_runway.api.media import redact_url
from prefect_runway.blocks import RunwayCredentials
from prefect_runway.tasks._crash import crash_point
from prefect_runway.tasks.allowed_inputs import InputPolicy
from prefect_runway.tasks.inputs import S3Reader, identify_inputs, needs_preparation, prepare_inputs
from prefect_runway.tasks.keys import attempt_key, generation_key
from prefect_runway.tasks.ledger import SubmissionLedger
from prefect_runway.tasks.run_logs import send_package_logs_to_runs
from prefect_runway.tasks.spec import GenerationSpec
from prefect_runway.tasks.store import (
    StoredObject,
    read_sidecar,
    resolve_key,
    store_output,
    write_sidecar,
)
from prefect_runway.tasks.submit import (
    SubmittedTask,
    settle_intent,
    submit_generation,
    unresolved_intent,
)
from prefect_runway.tasks.wait import wait_for_generation

__all__ = ["GenerationFailed", "GenerationResult", "generate"]

logger = logging.getLogger(__name__)

SIDECAR_VERSION = 1


class GenerationResult(BaseModel):
    """What became of one generation.

    Attributes:
        key: The generation key.
        name: The output's stem in S3.
        status: ``succeeded`` (output and sidecar in S3), ``failed``, or ``waiting`` (detached:
            submitted and not finished yet; its task id is in the ledger).
        model: The Runway model.
        task_id: The Runway task of the last attempt.
        attempts: Attempts made (each a paid submission, or a reattachment to one).
        output_uri: ``s3://`` URI of the output, when stored.
        sidecar_uri: ``s3://`` URI of the sidecar JSON, when stored.
        sha256: The stored output's sha256.
        size: The stored output's size in bytes.
        content_type: The stored output's Content-Type.
        credits: What Runway charged for the successful attempt (``cost.credits``).
        total_credits: What all attempts cost, as far as Runway reported.
        failure: Runway's reason, for a failed generation.
        failure_code: Runway's code, for a failed generation.
        from_sidecar: True when an earlier run had already stored it (nothing was requested).
        seconds: Wall time of this call.
    """

    model_config = ConfigDict(frozen=True)

    key: str
    name: str
    status: Literal["succeeded", "failed", "waiting"]
    model: str
    task_id: str | None = None
    attempts: int = 0
    output_uri: str | None = None
    sidecar_uri: str | None = None
    sha256: str | None = None
    size: int | None = None
    content_type: str | None = None
    credits: float | None = None
    total_credits: float | None = None
    failure: str | None = None
    failure_code: str | None = None
    from_sidecar: bool = False
    seconds: float = 0.0

    def raise_for_status(self) -> GenerationResult:
        """Raise ``GenerationFailed`` if the generation failed; return self otherwise."""
        if self.status == "failed":
            raise GenerationFailed(self)
        return self


class GenerationFailed(PrefectRunwayError):
    """A generation ended without an output (content refused, cancelled, attempts used up)."""

    def __init__(self, result: GenerationResult) -> None:
        self.result = result
        code = f" [{result.failure_code}]" if result.failure_code else ""
        super().__init__(
            f"generation {result.name} ({result.model}) failed after {result.attempts} "
            f"attempt(s){code}: {result.failure or 'no reason given'}"
        )


def _join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p.strip("/"))


def _redacted_request(body: Mapping[str, Any]) -> Any:
    """The request as the sidecar keeps it: no data-URI bodies, no signed query strings."""

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, str) and value.startswith(("data:", "https://", "http://")):
            return redact_url(value)
        return value

    return clean(dict(body))


def _s3_uri(bucket: S3Bucket, key: str) -> str:
    return f"s3://{bucket.bucket_name}/{resolve_key(bucket, key)}"


@task(name="runway-prepare-inputs", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
async def prepare_generation_inputs(
    spec: GenerationSpec,
    client: RunwayClient,
    content_ids: dict[tuple[str | int, ...], str],
    s3: S3Reader | None,
    ledger: SubmissionLedger,
    policy: InputPolicy | None = None,
) -> dict[tuple[str | int, ...], str]:
    """Local and S3 inputs as data URIs or uploads (a Prefect task; uploads are idempotent)."""
    prepared = await prepare_inputs(
        spec, client, content_ids=content_ids, s3=s3, ledger=ledger, policy=policy
    )
    return prepared.uris


@task(name="runway-store", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
async def store_generation(
    client: RunwayClient,
    task_id: str,
    output_url: str,
    index: int,
    destination: S3Bucket,
    key_without_extension: str,
    extra_args: Mapping[str, Any] | None,
) -> StoredObject:
    """Stream one output into S3 (a Prefect task); an expired link is refreshed once."""

    async def fresh_link() -> str:
        return (await client.get_task(task_id)).output[index]

    stream = client.output_stream(output_url, refresh=fresh_link)
    return await store_output(stream, destination, key_without_extension, extra_args=extra_args)


async def generate(
    spec: GenerationSpec | Mapping[str, Any],
    *,
    destination: S3Bucket,
    prefix: str = "",
    credentials: RunwayCredentials | None = None,
    client: RunwayClient | None = None,
    wait_policy: WaitPolicy | None = None,
    max_attempts: int = 3,
    allow_resubmit: bool = False,
    extra_args: Mapping[str, Any] | None = None,
    on_update: Callable[[Task], Awaitable[None]] | None = None,
    detach: bool = False,
    input_policy: InputPolicy | None = None,
) -> GenerationResult:
    """Run one generation to its end: output and sidecar in S3, or a failed result.

    Call it from a flow (sync flows: through ``asyncio.run`` or an async flow). Re-running with
    the same arguments costs nothing once the sidecar exists, and reattaches to the same Runway
    task if an earlier run was interrupted after submitting.

    Args:
        spec: The generation (a ``GenerationSpec`` or its fields as a mapping).
        destination: The prefect-aws ``S3Bucket`` for outputs, sidecars and the ledger.
        prefix: Key prefix under the bucket's folder.
        credentials: Runway credentials (or pass ``client``).
        client: A Runway client to share between generations.
        wait_policy: Poll interval and queue/run budgets (default: 5 s polls, no budgets).
        max_attempts: Attempts for retryable failures (each is a new paid generation).
        allow_resubmit: Resubmit an attempt whose earlier submit may have been billed with its
            id lost (``AmbiguousSubmission``); this may pay twice.
        extra_args: boto3 ExtraArgs for the output (SSE, StorageClass, Metadata...).
        on_update: Awaited with the task when its status or progress changes.
        detach: Do not wait: submit (or reattach), read the task once, and return ``waiting``
            unless it has finished. Calling again later stores it (the sweep flow
            does), with no new create.
        input_policy: Where local and ``s3://`` inputs may be read from. By default the
            worker's ``RUNWAY_INPUT_ROOTS`` and ``RUNWAY_INPUT_BUCKETS``, the ``input_roots``
            and ``input_buckets`` of ``credentials``, the destination bucket, and, in a script
            run (not a deployment's), the working directory
            (``prefect_runway.tasks.allowed_inputs``).

    Returns:
        The result; a failed generation is returned, not raised (``raise_for_status()``).

    Raises:
        pydantic.ValidationError, InputError: bad request or input (``InputNotAllowed``: outside
            the allowed folders and buckets); nothing spent.
        runway.AmbiguousSubmission: see ``allow_resubmit``.
        runway.RunTimeout: the task ran too long; it was left running, its id is in the ledger.

    Example:
        ```python
        from prefect import flow
        from prefect_aws import S3Bucket
        from prefect_runway.blocks import RunwayCredentials
        from prefect_runway.tasks import generate

        @flow
        async def scene() -> str:
            result = await generate(
                {"request": {"model": "gen4_turbo", "promptImage": "stills/harbour.png",
                             "ratio": "1280:720", "duration": 5}, "name": "harbour"},
                destination=await S3Bucket.aload("renders"),
                credentials=await RunwayCredentials.aload("runway"),
            )
            return result.raise_for_status().output_uri
        ```
    """
    send_package_logs_to_runs()  # task ids, "reattaching", "already stored" in the run's logs
    started = time.monotonic()
    spec = spec if isinstance(spec, GenerationSpec) else GenerationSpec.model_validate(spec)
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    spec.validate_request()  # every rule that needs no file: before anything is read or sent
    policy = input_policy or InputPolicy.for_blocks(destination, credentials)
    if client is None:
        if credentials is None:
            raise ValueError("generate needs credentials or a client")
        async with credentials.get_client() as own_client:
            return await _generate(
                spec, own_client, destination, prefix, wait_policy, max_attempts,
                allow_resubmit, extra_args, on_update, started, detach, policy,
            )  # fmt: skip
    return await _generate(
        spec, client, destination, prefix, wait_policy, max_attempts,
        allow_resubmit, extra_args, on_update, started, detach, policy,
    )  # fmt: skip


async def _generate(
    spec: GenerationSpec,
    client: RunwayClient,
    destination: S3Bucket,
    prefix: str,
    wait_policy: WaitPolicy | None,
    max_attempts: int,
    allow_resubmit: bool,
    extra_args: Mapping[str, Any] | None,
    on_update: Callable[[Task], Awaitable[None]] | None,
    started: float,
    detach: bool = False,
    input_policy: InputPolicy | None = None,
) -> GenerationResult:
    s3 = S3Reader(destination.credentials.get_s3_client())
    content_ids = await identify_inputs(spec, s3, policy=input_policy)
    key = generation_key(spec, base_url=client.base_url, content_ids=content_ids)
    name = spec.name or key
    sidecar_key = _join(prefix, f"{name}.json")

    existing = await read_sidecar(destination, sidecar_key)
    if existing is not None and existing.get("key") == key:
        logger.info("%s: already stored (%s); nothing to do", name, existing.get("output_uri"))
        return _from_sidecar(existing, name, _s3_uri(destination, sidecar_key), started)

    ledger = SubmissionLedger(destination, _join(prefix, "_runway"))
    policy = wait_policy or WaitPolicy()
    total_credits = 0.0
    last: Task | None = None
    submitted: SubmittedTask | None = None
    for attempt in range(1, max_attempts + 1):
        akey = attempt_key(key, attempt)
        entry = await ledger.read(akey)
        if entry is not None and entry.task_id is None:
            entry = await settle_intent(ledger, entry)  # another run's create may be in flight
        if entry is not None and entry.task_id is not None:
            task_id = entry.task_id
            logger.info("%s: attempt %d is Runway task %s; reattaching", name, attempt, task_id)
        else:
            if entry is not None and not allow_resubmit:
                # Ambiguous already: say so before uploading inputs that would not be used.
                raise unresolved_intent(entry, spec.model)
            if needs_preparation(spec):
                uris = await prepare_generation_inputs(
                    spec, client, content_ids, s3, ledger, input_policy
                )
            else:
                # Only URIs, nothing to read or retry: no task run for the server to record.
                prepared = await prepare_inputs(
                    spec, client, content_ids=content_ids, policy=input_policy
                )
                uris = prepared.uris
            request = parse_generation_request(spec.with_media(uris))
            submitted = await submit_generation(
                request, key=akey, client=client, ledger=ledger, allow_resubmit=allow_resubmit
            )
            task_id = submitted.task_id
        if detach and not await _finished(client, task_id):
            logger.info("%s: Runway task %s is not finished; detached", name, task_id)
            return GenerationResult(
                key=key, name=name, status="waiting", model=spec.model, task_id=task_id,
                attempts=attempt, total_credits=total_credits or None,
                seconds=time.monotonic() - started,
            )  # fmt: skip
        try:
            last = await wait_for_generation(client, task_id, policy, on_update)
        except TaskVanished:
            stored = await read_sidecar(destination, sidecar_key)
            if stored is not None and stored.get("key") == key:
                return _from_sidecar(stored, name, _s3_uri(destination, sidecar_key), started)
            logger.warning("%s: Runway task %s vanished; next attempt", name, task_id)
            continue
        except QueueTimeout as timeout:
            return GenerationResult(
                key=key, name=name, status="failed", model=spec.model, task_id=task_id,
                attempts=attempt, failure=str(timeout), failure_code="QUEUE_TIMEOUT",
                total_credits=total_credits, seconds=time.monotonic() - started,
            )  # fmt: skip
        if last.credits is not None and last.status is not TaskStatus.SUCCEEDED:
            total_credits += last.credits
        if last.status is TaskStatus.SUCCEEDED:
            return await _store(
                spec, key, name, attempt, last, client, destination, prefix,
                extra_args, content_ids, total_credits, started,
            )  # fmt: skip
        error = last.to_error()
        if error.retryable and attempt < max_attempts:
            logger.warning("%s: %s; retrying as attempt %d", name, error, attempt + 1)
            continue
        logger.error("%s: %s", name, error)
        return GenerationResult(
            key=key, name=name, status="failed", model=spec.model, task_id=task_id,
            attempts=attempt, failure=error.failure or str(error),
            failure_code=error.failure_code or last.status.value,
            total_credits=total_credits, seconds=time.monotonic() - started,
        )  # fmt: skip
    return GenerationResult(
        key=key, name=name, status="failed", model=spec.model,
        task_id=last.id if last else None, attempts=max_attempts,
        failure=f"no output after {max_attempts} attempts (tasks vanished or failed)",
        failure_code="ATTEMPTS_EXHAUSTED", total_credits=total_credits,
        seconds=time.monotonic() - started,
    )  # fmt: skip


async def _finished(client: RunwayClient, task_id: str) -> bool:
    """Whether the task has ended (a vanished one counts: the wait below handles it)."""
    try:
        return (await client.get_task(task_id)).is_terminal
    except TaskNotFound:
        return True


async def store_task(
    task: Task,
    *,
    client: RunwayClient,
    destination: S3Bucket,
    stem: str,
    extra_args: Mapping[str, Any] | None,
    fields: Mapping[str, Any],
) -> tuple[dict[str, Any], StoredObject]:
    """Stream every output of a SUCCEEDED task into S3, then write its sidecar, last.

    Args:
        task: The SUCCEEDED task.
        client: The Runway client (for fresh links).
        destination: The S3Bucket.
        stem: Key of the outputs and sidecar without extension, under the bucket folder.
        extra_args: boto3 ExtraArgs, for the outputs and the sidecar.
        fields: What the caller knows besides the task (key, model, request...).

    Returns:
        The sidecar as written, and the stored sidecar object.
    """
    stored: list[StoredObject] = []
    for index, url in enumerate(task.output):
        object_stem = stem if index == 0 else f"{stem}-{index}"
        stored.append(
            await store_generation(
                client, task.id, url, index, destination, object_stem, extra_args
            )
        )
    crash_point("before_sidecar")
    primary = stored[0] if stored else None
    sidecar: dict[str, Any] = {
        "version": SIDECAR_VERSION,
        "task_id": task.id,
        "provider": client.provider.name,
        "base_url": client.base_url,
        "credits": task.cost.credits if task.cost is not None else None,
        "created_at": task.created_at.isoformat() if task.created_at else None,
        "stored_at": datetime.now(UTC).isoformat(),
        "outputs": [o.model_dump() for o in stored],
        "output_uri": primary.uri if primary else None,
        "sha256": primary.sha256 if primary else None,
        "size": primary.size if primary else None,
        "content_type": primary.content_type if primary else None,
        **fields,
    }
    # The sidecar gets the outputs' ExtraArgs too: a bucket that requires SSE refuses it otherwise.
    written = await write_sidecar(destination, f"{stem}.json", sidecar, extra_args=extra_args)
    return sidecar, written


async def _store(
    spec: GenerationSpec,
    key: str,
    name: str,
    attempt: int,
    task: Task,
    client: RunwayClient,
    destination: S3Bucket,
    prefix: str,
    extra_args: Mapping[str, Any] | None,
    content_ids: Mapping[tuple[str | int, ...], str],
    earlier_credits: float,
    started: float,
) -> GenerationResult:
    credits = task.cost.credits if task.cost is not None else None
    total = earlier_credits + (credits or 0.0)
    sidecar, written = await store_task(
        task,
        client=client,
        destination=destination,
        stem=_join(prefix, name),
        extra_args=extra_args,
        fields={
            "key": key,
            "name": name,
            "attempt": attempt,
            "model": spec.model,
            "request": _redacted_request(spec.request),
            "seed": spec.validate_request().to_api().get("seed"),
            "inputs": {".".join(map(str, path)): cid for path, cid in content_ids.items()},
            "total_credits": total,
        },
    )
    logger.info("%s: stored %s (%s credits)", name, sidecar["output_uri"], credits)
    return GenerationResult(
        key=key, name=name, status="succeeded", model=spec.model, task_id=task.id,
        attempts=attempt, output_uri=sidecar["output_uri"], sidecar_uri=written.uri,
        sha256=sidecar["sha256"], size=sidecar["size"], content_type=sidecar["content_type"],
        credits=credits, total_credits=total, seconds=time.monotonic() - started,
    )  # fmt: skip


def _from_sidecar(
    sidecar: Mapping[str, Any], name: str, sidecar_uri: str, started: float
) -> GenerationResult:
    return GenerationResult(
        key=sidecar["key"], name=name, status="succeeded", model=sidecar["model"],
        task_id=sidecar.get("task_id"), attempts=sidecar.get("attempt", 1),
        output_uri=sidecar.get("output_uri"), sidecar_uri=sidecar_uri,
        sha256=sidecar.get("sha256"), size=sidecar.get("size"),
        content_type=sidecar.get("content_type"), credits=sidecar.get("credits"),
        total_credits=sidecar.get("total_credits"), from_sidecar=True,
        seconds=time.monotonic() - started,
    )  # fmt: skip
