"""The books: what was sent to Runway for which generation attempt, and who waits on it.

Runway has no idempotency key and no way to list tasks, so the only memory of a paid request is
ours. One entry per generation *attempt* (``<generation key>-<n>``) holds the intent, the task
id, the run that claimed it, the runs attached to it (leases), its state and its credits:

```
(none) --claim--> intent --task id--> submitted --outcome--> succeeded | failed | vanished
                    |                     |
                    +--refused            +--cancel (nobody else attached)--> cancelling
                         |                                                      --> cancelled
                         +--claim again--> intent          (cancelled too: a re-run pays again)
```

Reading it before a POST tells: a task id -> reattach, never resubmit; an intent without one ->
a create may have been sent and billed with its id lost (stop with ``AmbiguousSubmission``
unless the user allows a resubmit); nothing, ``refused`` or ``cancelled`` -> a POST is safe.

*Every* transition is a conditional write (DESIGN.md, "the books"): the first one create-only
(S3 ``If-None-Match: *``), every later one on the ETag it read (``If-Match``), so two runs on
two machines can never both win one step: the loser reads what the winner wrote and decides
again. Verified against the locked boto3 1.43.117 and moto 5.2.5's server: a create-only PUT
over an existing key and a PUT with a stale ETag both answer 412 ``PreconditionFailed``;
``If-Match`` on a missing key answers 404 ``NoSuchKey``.

A conditional write whose answer was lost (it reached S3, then the connection dropped, and
botocore sent it again) comes back 412 although it won. Every write carries a fresh
``write_id``, so the bytes we wrote are unique: when what S3 holds after a 412 is exactly what
we sent, the write was ours (issue 16, item 8).

The S3 requests of a new generation and what a crash after each leaves (issue 20). Reads,
made by the plan before anything is written: the sidecar, the name's holder, attempt 1's
entry; in a batch one LIST per folder (``tasks/listing.py``) answers all three for every
generation, so none is sent. Writes, in this order, each surviving a crash at the point after
it (``RUNWAY_CRASH_AT`` names the points in ``tasks/_crash.py``):

1. the intent, create-only. Crash before: nothing written, a re-run claims. After (before the
   POST, ``before_post``): an intent without a task id, which a re-run cannot tell from a
   billed create whose answer was lost: it waits ``claim_wait`` for the claimer, then stops
   with ``AmbiguousSubmission`` (no POST without ``allow_resubmit``).
2. the name claim (create-only, or on the holder's ETag). After the intent on purpose: a
   takeover of the name decided before the intent existed then fails on the ETag. A crash
   between 1 and 2 leaves the name free and the intent unresolved: a re-run stops as in 1;
   another generation may take the free name (the intent is ours, not the name's), and a
   re-run allowed to resubmit meets that holder at step 2, before its POST (``NameTaken``).
3. the POST (paid), then the task id and a lease (on the intent's ETag). A crash between the
   POST and the write (``after_post``) is the ambiguous intent of 1; after it, a re-run
   reattaches (no POST) and a user's cancel is decided on this entry (``decide_cancel``).
4. the outcome (succeeded/failed, the run detached) on the entry's ETag, before storing. A
   crash after it (``mid_download``, ``mid_upload``): the entry says succeeded, the sidecar is
   absent: a re-run reattaches to the task id and stores it (no POST).
5. the output (one PUT below 8 MiB), then the sidecar (``before_sidecar`` between them): a
   re-run finds no sidecar and stores again from the task (no POST); a sidecar exists only
   once its output does, and the plan checks the output's size and ETag against it (a HEAD,
   or the batch's listing) before trusting it.

So 3 GETs + 4 ledger PUTs + 2 PUTs = 9 for one generation on its own, 6 (plus 3 LISTs per
batch) in a batch. Not folded, and why each fold was left out: the name claim into the intent
(one object cannot be create-only for the attempt and for the name at once: the name's record
is shared by every generation that wants the name, so two generations on one name would both
win); the outcome into the sidecar (the sidecar is written after the output, minutes later
for a large one; until then the entry would stay ``submitted`` with the run's lease, so a
user's cancel in that window would be decided on a finished task and a re-run could not tell
"succeeded, being stored" from "running"); the task id into the outcome (a crash while waiting
would leave an intent without its id: a paid generation lost).

Where the ledger lives: an ``S3Bucket`` (plain boto3 calls on the block's own client: prefect-aws
``read_path``/``write_path`` cannot send conditions, and build a TransferManager per call) or a
``LocalFileSystem`` (one machine; the same compare-and-swap under an ``flock`` of a lock file).
Any other storage is refused: without conditional writes there is no lock, and two runs pay.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, NamedTuple, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from prefect_runway.api.errors import PrefectRunwayError
from prefect_runway.tasks._retry import retry_storage
from prefect_runway.tasks.listing import KeyListing
from prefect_runway.tasks.s3io import run_s3, s3_client

__all__ = [
    "ACTIVE_STATES",
    "DEFAULT_LEASE_SECONDS",
    "CancelDecision",
    "Claim",
    "ConditionalStore",
    "EntryState",
    "LedgerConflict",
    "LedgerEntry",
    "LedgerStorage",
    "LocalConditionalStore",
    "NameHolder",
    "S3ConditionalStore",
    "SubmissionLedger",
    "UploadRecord",
    "Versioned",
    "conditional_store",
]

EntryState = Literal[
    "intent", "submitted", "refused", "succeeded", "failed", "vanished", "cancelling", "cancelled"
]

#: States in which the attempt's task may still be running, or its create be in flight.
ACTIVE_STATES: frozenset[str] = frozenset({"intent", "submitted", "cancelling"})

#: How long an attachment holds without renewal. A waiting run renews it at every poll once
#: half of it is gone, so only a run that stopped (crashed, killed) lets it lapse; until then a
#: cancellation by another run detaches instead of deleting (and the Prefect API is asked too).
DEFAULT_LEASE_SECONDS = float(os.environ.get("RUNWAY_LEASE_SECONDS", "600"))

#: Compare-and-swap rounds before giving up: each lost round means another run wrote the same
#: entry in between, which a handful of runs on one generation cannot do this often.
_MAX_ROUNDS = 64

_T = TypeVar("_T")


def _now() -> datetime:
    return datetime.now(UTC)


class LedgerConflict(PrefectRunwayError, RuntimeError):
    """A ledger entry changed under us in a way that forbids the step we were taking."""


# ---------------------------------------------------------------------------------------------
# Conditional storage


class Versioned(NamedTuple):
    """An object's bytes and the ETag they were read with."""

    body: bytes
    etag: str


@runtime_checkable
class ConditionalStore(Protocol):
    """Object storage with compare-and-swap, as S3 offers it (keys relative to the store).

    ``create`` and ``replace`` return the new ETag, or None when the condition failed (412).
    ``replace`` of a missing key raises ``KeyError`` (S3's 404 to ``If-Match``).
    """

    @property
    def location(self) -> str: ...

    async def get(self, key: str) -> Versioned | None: ...

    async def create(self, key: str, body: bytes) -> str | None: ...

    async def replace(self, key: str, body: bytes, etag: str) -> str | None: ...

    async def put(self, key: str, body: bytes) -> None: ...


class LedgerStorage(Protocol):
    """What a Prefect file system block offers; the ledger needs S3Bucket or LocalFileSystem."""

    async def aread_path(self, path: str) -> bytes: ...

    async def awrite_path(self, path: str, content: bytes) -> str: ...


def _error_code(error: Exception) -> tuple[str, int | None]:
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return "", None
    code = str(response.get("Error", {}).get("Code", ""))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code, status if isinstance(status, int) else None


def _is_missing(error: Exception) -> bool:
    code, status = _error_code(error)
    return code in ("NoSuchKey", "404", "NotFound") or status == 404


def _is_precondition(error: Exception) -> bool:
    # 412 PreconditionFailed: the condition does not hold. 409 ConditionalRequestConflict: a
    # concurrent conditional write to the key was in flight; either way another writer won.
    code, status = _error_code(error)
    return code in ("PreconditionFailed", "ConditionalRequestConflict") or status in (409, 412)


def _permanent(error: Exception) -> bool:
    """Errors that repeating cannot fix: access, a missing bucket, a bad request, a 404 to
    ``If-Match`` (raised as KeyError), an unreadable local entry."""
    if isinstance(error, (KeyError, ValueError)):
        return True
    _, status = _error_code(error)
    return status is not None and 400 <= status < 500 and status not in (408, 429)


class S3ConditionalStore:
    """The ledger's storage in an S3 bucket, through the ``S3Bucket`` block's boto3 client.

    The block stays the one source of credentials, endpoint, bucket and folder; keys are
    resolved under ``bucket_folder`` as the block's upload methods do.

    Args:
        bucket: The prefect-aws ``S3Bucket`` block.
        folder: Folder of the ledger, relative to the bucket folder.
    """

    def __init__(self, bucket: Any, folder: str) -> None:
        self._bucket = bucket
        self._folder = folder.strip("/")
        self._s3: Any = None

    @property
    def location(self) -> str:
        base = "/".join(p for p in (self._bucket.bucket_folder.strip("/"), self._folder) if p)
        return f"s3://{self._bucket.bucket_name}/{base}"

    def _key(self, key: str) -> str:
        return "/".join(p for p in (self._bucket.bucket_folder.strip("/"), self._folder, key) if p)

    def object_key(self, key: str) -> str:
        """The key in the bucket of a store key (what a listing of the bucket shows)."""
        return self._key(key)

    def _client(self) -> Any:
        # Looked up once per store (a ledger lives for one generation or one batch): each
        # lookup hashes the credentials block through prefect-aws's client cache, about
        # 0.05 ms of the flow's CPU, four times per generation (issue 20).
        if self._s3 is None:
            self._s3 = s3_client(self._bucket)
        return self._s3

    async def get(self, key: str) -> Versioned | None:
        client, full = self._client(), self._key(key)

        def read() -> Versioned | None:
            try:
                response = client.get_object(Bucket=self._bucket.bucket_name, Key=full)
            except Exception as error:
                if _is_missing(error):
                    return None
                raise
            return Versioned(response["Body"].read(), str(response["ETag"]))

        return await retry_storage(lambda: run_s3(read), what=full, permanent=_permanent)

    async def _put(self, key: str, body: bytes, **condition: str) -> str | None:
        client, full = self._client(), self._key(key)

        def write() -> str | None:
            try:
                response = client.put_object(
                    Bucket=self._bucket.bucket_name,
                    Key=full,
                    Body=body,
                    ContentType="application/json",
                    **condition,
                )
            except Exception as error:
                if _is_precondition(error):
                    return None
                if condition.get("IfMatch") and _is_missing(error):
                    raise KeyError(full) from None
                raise
            return str(response["ETag"])

        return await retry_storage(lambda: run_s3(write), what=full, permanent=_permanent)

    async def create(self, key: str, body: bytes) -> str | None:
        return await self._put(key, body, IfNoneMatch="*")

    async def replace(self, key: str, body: bytes, etag: str) -> str | None:
        return await self._put(key, body, IfMatch=etag)

    async def put(self, key: str, body: bytes) -> None:
        await self._put(key, body)


class LocalConditionalStore:
    """The ledger on a local disk (one machine): compare-and-swap under a lock file.

    The ETag is the sha256 of the bytes; a change holds an exclusive ``flock`` on
    ``.locks/<entry>.lock`` while it compares and replaces (write to a temporary file, fsync,
    ``os.replace``), so processes on the machine see the same one-winner semantics as S3's.
    The lock dies with its process: a crash never leaves it held.

    Args:
        basepath: The root folder (a ``LocalFileSystem`` block's ``basepath``).
        folder: Folder of the ledger under it.
    """

    def __init__(self, basepath: str | Path, folder: str) -> None:
        self._root = Path(basepath).expanduser() / folder.strip("/")

    @property
    def location(self) -> str:
        return f"file://{self._root}"

    def _path(self, key: str) -> Path:
        path = (self._root / key).resolve()
        if self._root.resolve() not in path.parents:
            raise ValueError(f"ledger key {key!r} leaves the ledger folder")
        return path

    @staticmethod
    def _read(path: Path) -> Versioned | None:
        if path.is_dir():
            raise ValueError(f"Path {path} is not a file.")
        try:
            body = path.read_bytes()
        except FileNotFoundError:
            return None
        return Versioned(body, hashlib.sha256(body).hexdigest())

    async def get(self, key: str) -> Versioned | None:
        return await asyncio.to_thread(self._read, self._path(key))

    def _swap(self, key: str, body: bytes, expected: str | None, create: bool) -> str | None:
        import fcntl  # POSIX only: the local ledger is for one machine and for tests

        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Lock files live apart (``.locks/``), so the ledger's folders hold only entries.
        lock_path = self._root / ".locks" / f"{key}.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                current = self._read(path)
                if create and current is not None:
                    return None
                if not create and expected is not None:
                    if current is None:
                        raise KeyError(str(path))
                    if current.etag != expected:
                        return None
                temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
                with open(temporary, "wb") as handle:
                    handle.write(body)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, path)
                return hashlib.sha256(body).hexdigest()
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    async def create(self, key: str, body: bytes) -> str | None:
        return await asyncio.to_thread(self._swap, key, body, None, True)

    async def replace(self, key: str, body: bytes, etag: str) -> str | None:
        return await asyncio.to_thread(self._swap, key, body, etag, False)

    async def put(self, key: str, body: bytes) -> None:
        await asyncio.to_thread(self._swap, key, body, None, False)


def conditional_store(storage: Any, folder: str) -> ConditionalStore:
    """The conditional store for a storage block (or a store, returned as it is).

    Raises:
        TypeError: the storage offers no conditional write.
    """
    if isinstance(storage, ConditionalStore):
        return storage
    if hasattr(storage, "bucket_name") and hasattr(storage, "credentials"):
        return S3ConditionalStore(storage, folder)
    basepath = getattr(storage, "basepath", None)
    if isinstance(basepath, str) and not basepath.startswith(("s3://", "gs://", "az://")):
        return LocalConditionalStore(basepath.removeprefix("file://"), folder)
    raise TypeError(
        f"the ledger needs an S3Bucket (or a LocalFileSystem on one machine); "
        f"{type(storage).__name__} offers no conditional write, so two runs could both pay"
    )


# ---------------------------------------------------------------------------------------------
# Entries


class LedgerEntry(BaseModel):
    """One attempt at a generation, as far as Runway and the runs waiting on it are concerned.

    Attributes:
        key: The attempt's key (generation key and attempt number).
        state: ``intent`` (claimed; the create may be in flight), ``submitted`` (Runway gave
            ``task_id``), ``refused`` (Runway's answer proved nothing was created), ``succeeded``
            / ``failed`` (the task's outcome), ``vanished`` (it answered 404 past the window),
            ``cancelling`` / ``cancelled`` (a user's cancellation deleted it).
        model: The Runway model.
        task_id: Runway's task id, once known.
        estimated_credits: Runway's ``estimatedCost`` at create.
        credits: The task's final ``cost.credits``, once known.
        flow_run_id: The run that claimed the attempt (and sent the create).
        claim_id: Unique to one claim: tells our claim from another run's.
        intent_at: When the claim was written.
        submitted_at: When Runway accepted the create: the vanish window counts from it.
        finished_at: When the outcome was recorded.
        failure_code: Runway's code of a failed task.
        failure: Runway's reason for it.
        retryable: Whether that failure may be retried with a new attempt.
        leases: Runs waiting on the task, each until its lease expires unless renewed.
        superseded: Task ids an earlier claim of this attempt had (cancelled, vanished).
        revision: Writes so far.
        write_id: Unique to each write: a 412 on our own retried write shows our bytes.
    """

    model_config = ConfigDict(frozen=True)

    key: str
    state: EntryState
    model: str
    task_id: str | None = None
    estimated_credits: float | None = None
    credits: float | None = None
    flow_run_id: str | None = None
    claim_id: str | None = None
    intent_at: datetime = Field(default_factory=_now)
    submitted_at: datetime | None = None
    finished_at: datetime | None = None
    failure_code: str | None = None
    failure: str | None = None
    retryable: bool | None = None
    leases: dict[str, datetime] = Field(default_factory=dict)
    superseded: list[str] = Field(default_factory=list)
    revision: int = 0
    write_id: str = ""

    @property
    def created_at(self) -> datetime | None:
        """When Runway created the task, as far as we know (the create's answer)."""
        return self.submitted_at if self.task_id is not None else None

    def live_leases(self, now: datetime, dead: frozenset[str] = frozenset()) -> dict[str, datetime]:
        """The attachments that still hold at ``now`` (not expired, not of a run known dead)."""
        return {run: until for run, until in self.leases.items() if until > now and run not in dead}


class UploadRecord(BaseModel):
    """A file uploaded to Runway, reusable while its ``runway://`` URI stays fresh."""

    content_id: str
    uri: str
    uploaded_at: float


class NameHolder(BaseModel):
    """Which generation an output name belongs to (``names/<name>.json``)."""

    model_config = ConfigDict(frozen=True)

    name: str
    key: str
    claimed_at: datetime = Field(default_factory=_now)
    write_id: str = ""


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming an attempt.

    Attributes:
        won: True when this caller may now send the create.
        entry: The entry as written (won) or as found (another run's).
    """

    won: bool
    entry: LedgerEntry


@dataclass(frozen=True)
class CancelDecision:
    """What a cancelled run may do to the task of an attempt.

    Attributes:
        delete: True when nobody else waits on it: the caller DELETEs it, then records it.
        others: The runs still attached (so the task is left running for them).
        entry: The entry as written or found.
    """

    delete: bool
    others: tuple[str, ...]
    entry: LedgerEntry | None


# ---------------------------------------------------------------------------------------------
# The ledger


class _Keep:
    """A decision that writes nothing."""


_KEEP = _Keep()


class SubmissionLedger:
    """The ledger of a destination: attempts, names and reusable uploads, written conditionally.

    Args:
        storage: An ``S3Bucket`` (shared by every worker), a ``LocalFileSystem`` (one machine)
            or a ``ConditionalStore``.
        folder: Folder under the storage's own base path (``<prefix>/_runway``).
        clock: The time (tests pass a fake one).

    Example:
        ```python
        ledger = SubmissionLedger(s3_bucket, "renders/_runway")
        claim = await ledger.claim("3f2a...-1", model="gen4_turbo", run="flow-run-id")
        if claim.won:
            ...  # POST, then ledger.record_submitted(...)
        ```
    """

    def __init__(
        self, storage: Any, folder: str = "_runway", *, clock: Callable[[], datetime] = _now
    ) -> None:
        self.folder = folder.strip("/")
        self._store = conditional_store(storage, self.folder)
        self._storage = storage
        self.clock = clock
        # What this ledger object last wrote at a path, with the ETag S3 answered: the next
        # change of that path starts from it instead of a GET (issue 20). Safe because every
        # write is conditional on that ETag (a change by anyone else in between answers 412,
        # and the round starts again from a fresh read) and because a decision *not* to write
        # is only ever taken on a fresh read (see ``_update``). One object serves one
        # generation's call, so this holds a handful of entries.
        self._written: dict[str, Versioned] = {}

    @property
    def store(self) -> ConditionalStore:
        return self._store

    @property
    def location(self) -> str:
        """Where the ledger lives, e.g. ``s3://bucket/folder/_runway``: part of cache keys."""
        return self._store.location

    @staticmethod
    def _entry_path(key: str) -> str:
        return f"ledger/{key}.json"

    @staticmethod
    def _name_path(normalised: str) -> str:
        return f"names/{normalised}.json"

    def object_key(self, path: str) -> str | None:
        """The S3 key of a ledger path, or None when the ledger is not in S3."""
        store = self._store
        return store.object_key(path) if isinstance(store, S3ConditionalStore) else None

    def entry_object_key(self, key: str) -> str | None:
        """The S3 key of an attempt's entry (None off S3): what a listing is asked about."""
        return self.object_key(self._entry_path(key))

    def name_object_key(self, normalised: str) -> str | None:
        """The S3 key of a name's holder record (None off S3)."""
        return self.object_key(self._name_path(normalised))

    # --- reading -----------------------------------------------------------------------------

    async def _get_entry(self, key: str) -> tuple[LedgerEntry, str] | None:
        found = await self._store.get(self._entry_path(key))
        if found is None:
            return None
        return LedgerEntry.model_validate_json(found.body), found.etag

    async def read(self, key: str) -> LedgerEntry | None:
        """The entry for an attempt key as it stands, or None if none was ever written."""
        found = await self._get_entry(key)
        return found[0] if found is not None else None

    async def read_attempts(
        self, key: str, *, until: int, listing: KeyListing | None = None
    ) -> list[LedgerEntry | None]:
        """Entries of attempts 1.. of a generation, stopping after the first absent one.

        ``listing``: an entry it proves absent is not read (see ``tasks/listing.py``).
        """
        entries: list[LedgerEntry | None] = []
        for attempt in range(1, until + 1):
            attempt_key = f"{key}-{attempt}"
            if listing is not None and listing.absent(self.entry_object_key(attempt_key)):
                entries.append(None)
                break
            entry = await self.read(attempt_key)
            entries.append(entry)
            if entry is None:
                break
        return entries

    # --- the compare-and-swap ---------------------------------------------------------------

    def _encode(self, entry: BaseModel) -> bytes:
        return entry.model_dump_json(indent=2).encode()

    async def _write(
        self, path: str, body: bytes, etag: str | None
    ) -> tuple[bool, Versioned | None]:
        """Create (etag None) or replace on ``etag``.

        Returns:
            Whether our bytes are what S3 holds now, and what it holds (None: nothing, or
            unknown after a replace of a deleted object). A lost write's answer comes from the
            GET that told it lost, so the next round decides on it without reading again.
        """
        if etag is None:
            written = await self._store.create(path, body)
        else:
            try:
                written = await self._store.replace(path, body, etag)
            except KeyError:
                return False, None  # deleted under us: decide again on what is there
        if written is not None:
            version = Versioned(body, written)
            self._written[path] = version
            return True, version
        # 412: another writer won, or it is our own write whose answer was lost and which
        # botocore (or retry_storage) sent again. Our bytes are unique (write_id): look.
        seen = await self._store.get(path)
        if seen is not None and seen.body == body:
            self._written[path] = seen
            return True, seen
        return False, seen

    async def _update(
        self,
        key: str,
        decide: Callable[[LedgerEntry | None], tuple[LedgerEntry | _Keep, _T]],
        *,
        optimistic: bool = False,
        keep_on_own_write: bool = False,
    ) -> _T:
        """Read, decide, write conditionally; on a lost race decide again on the winner's entry.

        ``decide`` must be a pure function of the entry it is given: it runs once per round.
        """
        path = self._entry_path(key)
        # Where the first round starts (issue 20: no GET where the answer is known): from our
        # own last write of the path, else, when ``optimistic``, from "absent" (a create-only
        # PUT, read only on 412), else from a GET. A round started from memory may write
        # (conditionally: a stale start loses with 412), but a decision to leave the entry as
        # it is must rest on a fresh read, unless ``keep_on_own_write`` says the decision
        # depends only on what this object wrote (a lease renewal: nobody else removes our
        # lease). Every later round starts from what the lost write's GET saw.
        remembered = self._written.get(path)
        start: tuple[LedgerEntry | None, str | None] | None = None
        own = remembered is not None  # this round starts from our own last write
        if remembered is not None:
            start = (LedgerEntry.model_validate_json(remembered.body), remembered.etag)
        elif optimistic:
            start = (None, None)
        fresh = False
        for _ in range(_MAX_ROUNDS):
            if start is None:
                found = await self._get_entry(key)
                current, etag = found if found is not None else (None, None)
                fresh, own = True, False
            else:
                current, etag = start
                start = None
            new, result = decide(current)
            if isinstance(new, _Keep):
                if fresh or (keep_on_own_write and own):
                    return result
                continue  # decided on memory: read, and decide on what is there
            new = new.model_copy(
                update={
                    "revision": (current.revision if current else 0) + 1,
                    "write_id": uuid.uuid4().hex,
                }
            )
            won, seen = await self._write(path, self._encode(new), etag)
            if won:
                return result
            self._written.pop(path, None)
            own = False
            if seen is not None:  # what the 412's GET saw is fresh: decide on it
                start = (LedgerEntry.model_validate_json(seen.body), seen.etag)
                fresh = True
        raise LedgerConflict(f"ledger entry {key}: too many concurrent writers; try again")

    # --- transitions --------------------------------------------------------------------------

    async def claim(
        self,
        key: str,
        *,
        model: str,
        run: str | None,
        reclaim: frozenset[str] = frozenset({"refused", "cancelled"}),
    ) -> Claim:
        """Claim the right to send the create of an attempt.

        Won when there is no entry, or the entry's state is in ``reclaim`` (a refused create
        or a user-cancelled task: nothing is waited on), each a conditional write, so of runs
        arriving at once exactly one wins.
        """
        claim_id = uuid.uuid4().hex

        def decide(current: LedgerEntry | None) -> tuple[LedgerEntry | _Keep, Claim]:
            if current is not None and current.claim_id == claim_id:
                return _KEEP, Claim(True, current)  # our own write, seen after a lost answer
            if current is not None and current.state not in reclaim:
                return _KEEP, Claim(False, current)
            superseded = list(current.superseded) if current else []
            if current is not None and current.task_id is not None:
                superseded.append(current.task_id)
            entry = LedgerEntry(
                key=key, state="intent", model=model, flow_run_id=run, claim_id=claim_id,
                intent_at=self.clock(), superseded=superseded,
            )  # fmt: skip
            return entry, Claim(True, entry)

        # A claim is tried when the plan found no entry (or one to reclaim): create-only
        # first, read only on 412 (issue 20).
        return await self._update(key, decide, optimistic=True)

    async def resubmit(self, seen: LedgerEntry, *, model: str, run: str | None) -> Claim:
        """Claim an attempt over an unresolved intent or a vanished task, as the user allowed.

        Conditional on the entry still being the one ``seen``: if another run moved it
        meanwhile (its task id arrived, say), that is returned instead (``won`` False).
        """
        claim_id = uuid.uuid4().hex

        def decide(current: LedgerEntry | None) -> tuple[LedgerEntry | _Keep, Claim]:
            if current is not None and current.claim_id == claim_id:
                return _KEEP, Claim(True, current)
            if current is None or (current.claim_id, current.state) != (seen.claim_id, seen.state):
                if current is None:
                    current = seen
                return _KEEP, Claim(False, current)
            superseded = list(current.superseded)
            if current.task_id is not None:
                superseded.append(current.task_id)
            entry = LedgerEntry(
                key=seen.key, state="intent", model=model, flow_run_id=run, claim_id=claim_id,
                intent_at=self.clock(), superseded=superseded,
            )  # fmt: skip
            return entry, Claim(True, entry)

        return await self._update(seen.key, decide)

    async def record_submitted(
        self,
        intent: LedgerEntry,
        *,
        task_id: str,
        estimated_credits: float | None,
        run: str | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> LedgerEntry:
        """Record the task id of our create; the creating run is attached to it.

        Raises:
            LedgerConflict: the attempt was claimed again by another run meanwhile (a resubmit
                the user allowed): our task id is kept in ``superseded`` for ``recover``.
        """
        now = self.clock()

        def decide(current: LedgerEntry | None) -> tuple[LedgerEntry | _Keep, LedgerEntry | None]:
            if current is not None and current.task_id == task_id:
                return _KEEP, current
            if current is None or current.claim_id != intent.claim_id:
                if current is None or task_id in current.superseded:
                    return _KEEP, None
                moved = current.model_copy(update={"superseded": [*current.superseded, task_id]})
                return moved, None
            leases = dict(current.leases)
            if run is not None:
                leases[run] = now + timedelta(seconds=lease_seconds)
            entry = current.model_copy(
                update={
                    "state": "submitted", "task_id": task_id,
                    "estimated_credits": estimated_credits, "submitted_at": now, "leases": leases,
                }
            )  # fmt: skip
            return entry, entry

        written = await self._update(intent.key, decide)
        if written is None:
            raise LedgerConflict(
                f"ledger entry {intent.key} was claimed again by another run while our create "
                f"was answered; Runway task {task_id} is recorded beside it for recover"
            )
        return written

    async def record_refused(self, intent: LedgerEntry) -> LedgerEntry | None:
        """Mark our intent whose create Runway provably refused: a later run may claim it."""

        def decide(current: LedgerEntry | None) -> tuple[LedgerEntry | _Keep, LedgerEntry | None]:
            if current is None or current.claim_id != intent.claim_id:
                return _KEEP, current
            if current.state != "intent":
                return _KEEP, current
            entry = current.model_copy(update={"state": "refused", "finished_at": self.clock()})
            return entry, entry

        return await self._update(intent.key, decide)

    async def attach(
        self,
        key: str,
        *,
        task_id: str,
        run: str,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        revive_after: float = 30.0,
        renewal: bool = False,
    ) -> LedgerEntry | None:
        """Attach ``run`` to the attempt's task (or renew its lease).

        A ``cancelling`` entry is a DELETE on its way: it is returned as it is (the caller
        waits and decides again) unless it was marked more than ``revive_after`` seconds ago,
        when the cancelling run evidently stopped before its DELETE and the entry is taken back
        to ``submitted`` (the wait then finds the task alive, or gone).

        ``renewal``: the caller is attached already and only renews its lease (it ignores the
        answer). Then a lease this object wrote and that is still fresh enough is not read
        again: no other run removes our lease (``detach``, ``record_outcome`` and
        ``decide_cancel`` remove only their caller's), so one GET per poll would buy nothing.

        Returns:
            The entry after attaching (``cancelling``: not attached); None when the attempt
            holds another task now, or the task was cancelled (nothing to attach to).
        """
        now = self.clock()
        until = now + timedelta(seconds=lease_seconds)

        def decide(current: LedgerEntry | None) -> tuple[LedgerEntry | _Keep, LedgerEntry | None]:
            if current is None or current.task_id != task_id or current.state == "cancelled":
                return _KEEP, None
            if current.state in ("failed", "vanished"):
                return _KEEP, current
            if current.state == "cancelling" and current.finished_at is not None:
                if (now - current.finished_at).total_seconds() < revive_after:
                    return _KEEP, current
            held = current.leases.get(run)
            if held is not None and held >= until - timedelta(seconds=lease_seconds / 2):
                if current.state != "cancelling":
                    return _KEEP, current  # renewed recently enough
            update: dict[str, Any] = {"leases": {**current.leases, run: until}}
            if current.state == "cancelling":
                update["state"] = "submitted"
            entry = current.model_copy(update=update)
            return entry, entry

        return await self._update(key, decide, keep_on_own_write=renewal)

    async def detach(self, key: str, *, run: str) -> LedgerEntry | None:
        """Remove ``run``'s attachment (it stops waiting)."""

        def decide(current: LedgerEntry | None) -> tuple[LedgerEntry | _Keep, LedgerEntry | None]:
            if current is None or run not in current.leases:
                return _KEEP, current
            leases = {k: v for k, v in current.leases.items() if k != run}
            entry = current.model_copy(update={"leases": leases})
            return entry, entry

        return await self._update(key, decide)

    async def record_outcome(
        self,
        key: str,
        *,
        task_id: str,
        state: Literal["succeeded", "failed", "vanished"],
        run: str | None,
        credits: float | None = None,
        failure_code: str | None = None,
        failure: str | None = None,
        retryable: bool | None = None,
    ) -> LedgerEntry | None:
        """Record how the attempt's task ended, and detach ``run``.

        A ``vanished`` outcome never overwrites a known one (another run saw it end first).
        """
        now = self.clock()

        def decide(current: LedgerEntry | None) -> tuple[LedgerEntry | _Keep, LedgerEntry | None]:
            if current is None or current.task_id != task_id:
                return _KEEP, current
            leases = {k: v for k, v in current.leases.items() if k != run}
            if current.state in ("succeeded", "failed", "vanished", "cancelled"):
                if current.state == state or state == "vanished":
                    if leases == current.leases:
                        return _KEEP, current
                    entry = current.model_copy(update={"leases": leases})
                    return entry, entry
            entry = current.model_copy(
                update={
                    "state": state, "credits": credits, "failure_code": failure_code,
                    "failure": failure, "retryable": retryable, "finished_at": now,
                    "leases": leases,
                }
            )  # fmt: skip
            return entry, entry

        return await self._update(key, decide)

    async def decide_cancel(
        self, key: str, *, task_id: str, run: str | None, dead: frozenset[str] = frozenset()
    ) -> CancelDecision:
        """Detach a cancelled run; say whether it may DELETE the task (nobody else waits).

        When it may, the entry is marked ``cancelling`` in the same conditional write, so a run
        attaching at that moment either lands first (and the canceller only detaches) or sees
        the task being cancelled. ``dead`` names runs known to have stopped (the Prefect API
        says so): their leases do not hold.
        """
        now = self.clock()

        def decide(current: LedgerEntry | None) -> tuple[LedgerEntry | _Keep, CancelDecision]:
            if current is None or current.task_id != task_id:
                return _KEEP, CancelDecision(False, (), current)
            leases = {k: v for k, v in current.leases.items() if k != run}
            others = tuple(sorted(current.live_leases(now, dead).keys() - {run}))
            # ``cancelling`` with nobody attached: a canceller of this run stopped between its
            # decision and its DELETE (the runner's SIGTERM lands there): finish its DELETE.
            if current.state not in ("submitted", "cancelling") or others:
                changed = leases != current.leases
                entry = current.model_copy(update={"leases": leases}) if changed else current
                return (entry if changed else _KEEP), CancelDecision(False, others, entry)
            entry = current.model_copy(
                update={"state": "cancelling", "leases": leases, "finished_at": now}
            )
            return entry, CancelDecision(True, (), entry)

        return await self._update(key, decide)

    async def record_cancelled(self, key: str, *, task_id: str, deleted: bool) -> None:
        """After the DELETE: ``cancelled`` if it went through, back to ``submitted`` if not."""

        def decide(current: LedgerEntry | None) -> tuple[LedgerEntry | _Keep, None]:
            if current is None or current.task_id != task_id or current.state != "cancelling":
                return _KEEP, None
            state = "cancelled" if deleted else "submitted"
            return current.model_copy(update={"state": state, "finished_at": self.clock()}), None

        await self._update(key, decide)

    # --- output names -------------------------------------------------------------------------

    async def name_holder(
        self, normalised: str, *, listing: KeyListing | None = None
    ) -> NameHolder | None:
        """Who holds an output name (None: nobody; ``listing`` may prove that without a GET)."""
        if listing is not None and listing.absent(self.name_object_key(normalised)):
            return None
        found = await self._store.get(self._name_path(normalised))
        return NameHolder.model_validate_json(found.body) if found is not None else None

    async def claim_name(
        self,
        normalised: str,
        *,
        name: str,
        key: str,
        replaceable: Callable[[NameHolder], Awaitable[bool]],
    ) -> NameHolder:
        """Claim (or renew) an output name for generation ``key``; returns who holds it now.

        Always a conditional write, also when ``key`` holds it already: called after the
        attempt's intent is claimed and before its POST, the write moves the record's ETag, so
        a takeover decided on what it read before (no attempt of ``key`` in flight) fails
        (412) and decides again, now seeing the intent. A name held by another generation is
        taken over (on its ETag) only when ``await replaceable(holder)`` says that generation
        has nothing there and nothing in flight.
        """
        path = self._name_path(normalised)
        # The plan read the name free (or ours): create-only first, read only on 412; a
        # refusal is only ever decided on a fresh read (issue 20).
        found: Versioned | None = None
        fresh = False
        for _ in range(_MAX_ROUNDS):
            if not fresh:  # else: what the lost write's GET saw
                # Our own last claim (replaced on its ETag), or optimistic: absent.
                found = self._written.get(path)
            holder = NameHolder.model_validate_json(found.body) if found is not None else None
            if holder is not None and holder.key != key and not await replaceable(holder):
                return holder
            mine = NameHolder(
                name=name, key=key, claimed_at=self.clock(), write_id=uuid.uuid4().hex
            )
            won, seen = await self._write(path, self._encode(mine), found.etag if found else None)
            if won:
                return mine
            self._written.pop(path, None)
            if seen is None:
                seen = await self._store.get(path)
            found, fresh = seen, True
        raise LedgerConflict(f"output name {name!r}: too many concurrent writers; try again")

    # --- uploads (a cache: plain writes) ---------------------------------------------------------

    async def read_upload(self, content_id: str) -> UploadRecord | None:
        found = await self._store.get(f"uploads/{content_id}.json")
        return UploadRecord.model_validate_json(found.body) if found is not None else None

    async def write_upload(self, record: UploadRecord) -> None:
        await self._store.put(
            f"uploads/{record.content_id}.json", json.dumps(record.model_dump()).encode()
        )
