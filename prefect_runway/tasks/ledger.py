"""The submission ledger: what was sent to Runway for which generation, kept durably.

Runway has no idempotency key and no way to list tasks, so the only memory of a paid request is
ours. Before a create is sent, an *intent* entry is written for the attempt's key; right after
Runway answers, the entry gets the task id. Reading the ledger before submitting then tells:

* an entry with a task id: the generation was accepted; reattach to that task, never resubmit;
* an intent without a task id: a create may have been sent and billed, its id lost (a crash or
  an ambiguous answer); stop with ``AmbiguousSubmission`` unless the user allows a resubmit;
* no entry: nothing was sent; submitting is safe.

The ledger lives in a Prefect ``WritableFileSystem``: by default the destination ``S3Bucket``,
under ``_runway/ledger/``, so every worker that writes to the same place sees the same ledger.
A read that fails for any reason other than "not found" raises: guessing "absent" could pay twice.

The intent is written *create-only* (S3 ``If-None-Match: *``; ``O_EXCL`` on a local disk), so
of two runs that submit the same generation at the same moment, on one machine or many, only
one wins the right to POST; the other waits for the winner's task id and reattaches to it.
"""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from prefect_runway.tasks._retry import retry_storage

__all__ = ["LedgerEntry", "LedgerStorage", "SubmissionLedger", "UploadRecord"]


class LedgerStorage(Protocol):
    """What the ledger needs of a Prefect file system block (S3Bucket, LocalFileSystem...)."""

    async def aread_path(self, path: str) -> bytes: ...

    async def awrite_path(self, path: str, content: bytes) -> str: ...


def _now() -> datetime:
    return datetime.now(UTC)


class LedgerEntry(BaseModel):
    """One attempt at a generation, as far as Runway is concerned.

    Attributes:
        key: The attempt's key (generation key and attempt number).
        state: ``intent`` before the create is sent, ``submitted`` once Runway gave a task id,
            ``refused`` when Runway's answer proved nothing was created (a 4xx, a 503 that
            outlasted the retries, no connection): read as no entry at all.
        task_id: Runway's task id, once known.
        model: The Runway model.
        estimated_credits: Runway's ``estimatedCost`` at create.
        flow_run_id: The Prefect flow run that submitted it.
    """

    model_config = ConfigDict(frozen=True)

    key: str
    state: Literal["intent", "submitted", "refused"]
    model: str
    task_id: str | None = None
    estimated_credits: float | None = None
    flow_run_id: str | None = None
    intent_at: datetime = Field(default_factory=_now)
    submitted_at: datetime | None = None


class UploadRecord(BaseModel):
    """A file uploaded to Runway, reusable while its ``runway://`` URI stays fresh."""

    content_id: str
    uri: str
    uploaded_at: float


def _is_missing(error: Exception) -> bool:
    # LocalFileSystem raises ValueError("Path ... does not exist."); S3Bucket a botocore
    # ClientError whose code is NoSuchKey or 404.
    if isinstance(error, ValueError) and "does not exist" in str(error):
        return True
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = str(response.get("Error", {}).get("Code", ""))
        return code in ("NoSuchKey", "404", "NotFound")
    return False


def _is_conflict(error: Exception) -> bool:
    # S3 answers 412 PreconditionFailed when the object exists, and 409
    # ConditionalRequestConflict when a concurrent conditional write is in flight.
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return False
    code = str(response.get("Error", {}).get("Code", ""))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in ("PreconditionFailed", "ConditionalRequestConflict") or status in (409, 412)


async def _create_only(storage: Any, path: str, content: bytes) -> bool | None:
    """Write ``content`` only if nothing is at ``path``: True if written, False if taken.

    None when the storage offers no create-only write (then the caller writes plainly).
    """
    resolve = getattr(storage, "_resolve_path", None)
    if resolve is None:
        return None
    if hasattr(storage, "bucket_name") and hasattr(storage, "credentials"):
        s3 = storage.credentials.get_s3_client()
        try:
            await asyncio.to_thread(
                s3.put_object,
                Bucket=storage.bucket_name,
                Key=resolve(path),
                Body=content,
                IfNoneMatch="*",
            )
        except Exception as error:
            if _is_conflict(error):
                return False
            raise
        return True
    if hasattr(storage, "basepath"):
        target = resolve(path)

        def create() -> bool:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            try:
                with open(target, "xb") as handle:
                    handle.write(content)
                    handle.flush()
                    os.fsync(handle.fileno())
            except FileExistsError:
                return False
            return True

        return await asyncio.to_thread(create)
    return None


class SubmissionLedger:
    """The ledger of submissions (and reusable uploads) in a file system block.

    Args:
        storage: Where to keep it: an ``S3Bucket`` (shared by every worker) or a
            ``LocalFileSystem`` (one machine).
        folder: Folder under the storage's own base path.

    Example:
        ```python
        ledger = SubmissionLedger(s3_bucket, "renders/_runway")
        entry = await ledger.read("3f2a...-1")
        ```
    """

    def __init__(self, storage: LedgerStorage, folder: str = "_runway") -> None:
        self._storage = storage
        self._folder = folder.strip("/")

    @property
    def location(self) -> str:
        """Where the ledger lives, e.g. ``s3://bucket/folder/_runway``: part of cache keys."""
        bucket = getattr(self._storage, "bucket_name", None)
        base = getattr(self._storage, "bucket_folder", None) or getattr(
            self._storage, "basepath", ""
        )
        root = f"s3://{bucket}/{base}" if bucket else f"file://{base}"
        return f"{root.rstrip('/')}/{self._folder}"

    def _path(self, kind: str, name: str) -> str:
        return f"{self._folder}/{kind}/{name}.json"

    async def _read(self, path: str) -> bytes | None:
        try:
            return await self._storage.aread_path(path)
        except Exception as error:
            if _is_missing(error):
                return None
            raise

    async def read(self, key: str) -> LedgerEntry | None:
        """The entry for an attempt key, or None if nothing was ever created for it."""
        entry = await self._read_entry(key)
        return None if entry is None or entry.state == "refused" else entry

    async def _read_entry(self, key: str) -> LedgerEntry | None:
        content = await self._read(self._path("ledger", key))
        return LedgerEntry.model_validate_json(content) if content is not None else None

    async def write(self, entry: LedgerEntry) -> None:
        """Write (or replace) an entry; returns once it is durable in the storage.

        Retried over a brief storage outage: a task id that is not recorded is a paid
        generation a later run cannot reattach to.
        """
        path = self._path("ledger", entry.key)
        content = entry.model_dump_json(indent=2).encode()
        await retry_storage(lambda: self._storage.awrite_path(path, content), what=path)

    async def record_intent(self, key: str, *, model: str, flow_run_id: str | None) -> LedgerEntry:
        """Write (or replace) the intent for ``key``: used to resubmit over an unresolved one."""
        entry = LedgerEntry(key=key, state="intent", model=model, flow_run_id=flow_run_id)
        await self.write(entry)
        return entry

    async def claim_intent(
        self, key: str, *, model: str, flow_run_id: str | None
    ) -> LedgerEntry | None:
        """Write the intent for ``key`` only if there is no entry yet.

        Returns:
            The intent, when this caller may now send the create; None when another run
            wrote an entry first (read it to reattach, or to learn its submit is unresolved).
        """
        entry = LedgerEntry(key=key, state="intent", model=model, flow_run_id=flow_run_id)
        content = entry.model_dump_json(indent=2).encode()
        path = self._path("ledger", key)
        created = await retry_storage(lambda: _create_only(self._storage, path, content), what=path)
        if created is None:  # a storage without create-only writes: no lock, as documented
            await self.write(entry)
            return entry
        if not created:
            taken = await self._read_entry(key)
            if taken is not None and taken.state == "refused":
                # An earlier create was refused for certain: nothing to reattach to.
                await self.write(entry)
                return entry
        return entry if created else None

    async def record_submitted(
        self, intent: LedgerEntry, *, task_id: str, estimated_credits: float | None
    ) -> LedgerEntry:
        entry = intent.model_copy(
            update={
                "state": "submitted",
                "task_id": task_id,
                "estimated_credits": estimated_credits,
                "submitted_at": _now(),
            }
        )
        await self.write(entry)
        return entry

    async def record_refused(self, intent: LedgerEntry) -> LedgerEntry:
        """Mark an intent whose create Runway provably refused: a later run may submit."""
        entry = intent.model_copy(update={"state": "refused"})
        await self.write(entry)
        return entry

    async def read_upload(self, content_id: str) -> UploadRecord | None:
        content = await self._read(self._path("uploads", content_id))
        return UploadRecord.model_validate_json(content) if content is not None else None

    async def write_upload(self, record: UploadRecord) -> None:
        await self._storage.awrite_path(
            self._path("uploads", record.content_id), json.dumps(record.model_dump()).encode()
        )
