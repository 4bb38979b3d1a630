"""Tasks, the state machine, credits, daily limits, uploads and statistics.

The state machine is evaluated lazily from a monotonic clock: nothing ticks. Before any read or
write, :meth:`EmulatorState.advance` replays the events that happened since the last call, in
time order, for one model:

* a task is PENDING for ``queue_seconds`` after its create (the value at create time);
* then it takes one of the model's ``max_concurrent`` slots and is RUNNING for
  ``run_seconds`` (per model), its progress being elapsed / run time;
* if no slot is free it is THROTTLED, and waiting tasks take freed slots in submission order,
  at the moment the slot frees;
* when its run time is over it is SUCCEEDED, or FAILED if a ``task`` fault, an unreadable input,
  an Act-Two reference outside 3-30 s or an upload that expired before the task started says so.

So ``PENDING -> (THROTTLED) -> RUNNING -> SUCCEEDED | FAILED``, deterministic for a given clock,
and cheap: a task costs a few heap operations in its life, so thousands are fine.

Credits (``reference/runway-api.md`` section 12, per second of output): gen4_turbo 5, gen4.5 12
(+5/s for ``prores``/``png_sequence``, +20/s for 10-bit and deeper formats), veo3.1 20 without
audio / 40 with (default), veo3.1_fast 10 / 15, act_two 5. Fractional Act-Two durations are
rounded up to whole seconds. A create charges the estimate at once; the final ``cost.credits``
is the estimate for SUCCEEDED, for FAILED with a ``SAFETY.*``, ``INPUT_PREPROCESSING.SAFETY.*``
or ``ASSET.INVALID`` code and for a cancel while RUNNING; 0 (refunded) for other failures and
for a cancel while PENDING or THROTTLED. Deleting a finished task refunds nothing.
``credits_charged`` in the stats is the sum of final costs of finished tasks plus the estimates
of unfinished ones; ``credit_balance`` is ``config.credit_balance - credits_charged``. A create
whose estimate exceeds the balance answers 400 (Runway's behaviour there is UNCONFIRMED).

Daily limits count creates per model in a rolling 24 h window (cancelled and failed tasks
count too); over the limit a create answers 429 and creates nothing.

Everything here runs on the server's event loop; it is not thread-safe by itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import math
import secrets
import shutil
import tempfile
import time
import uuid
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np

from prefect_runway.testing.emulator.catalogue import entry as catalogue_entry
from prefect_runway.testing.emulator.config import (
    MODELS,
    EmulatorConfig,
)
from prefect_runway.testing.emulator.faults import FaultInjector
from prefect_runway.testing.emulator.media import (
    AsyncCache,
    MediaError,
    PseudoRandomBlob,
    RenderedVideo,
    decode_picture,
    generated_picture,
    probe_audio,
    probe_video,
    ratio_size,
    render_audio,
    render_frames_zip,
    render_image,
    render_mov,
    render_mp4,
    render_svg,
)
from prefect_runway.testing.emulator.products import (
    AUDIO_ENDPOINTS,
    VIDEO_ENDPOINTS,
    OutputPlan,
    catalogue_credits,
    plan_output,
)
from prefect_runway.testing.emulator.validation import ACT_TWO_RATIOS, CreateRequest, MediaRef

__all__ = [
    "TERMINAL",
    "ApiError",
    "EmulatorState",
    "OutputHandle",
    "Task",
    "Upload",
    "estimate_credits",
    "failure_is_charged",
    "iso_utc",
]

Clock = Callable[[], float]
Status = Literal["PENDING", "THROTTLED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"]
TERMINAL: frozenset[str] = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})
DAY_SECONDS = 24 * 3600.0

_RATES: dict[str, int] = {"gen4_turbo": 5, "gen4.5": 12, "act_two": 5}
_VEO_RATES: dict[str, tuple[int, int]] = {"veo3.1": (20, 40), "veo3.1_fast": (10, 15)}
#: Models whose video has sound unless ``audio`` is false: Veo (the spec's default ``true``) and
#: Seedance ("default true", runway-api.md section 5). Other models that take ``audio`` (Kling,
#: Wan) document no default, so the emulator gives them sound only when asked.
SOUND_BY_DEFAULT = ("veo", "seedance")
_SURCHARGE_5 = frozenset({"prores", "png_sequence"})


class ApiError(Exception):
    """An answer other than success: HTTP status, JSON body and extra headers."""

    def __init__(
        self, status: int, error: str, *, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(error)
        self.status = status
        self.body: dict[str, Any] = {"error": error, **extra}
        self.headers = headers or {}


def iso_utc(wall: float) -> str:
    """Format Unix time as ISO-8601 UTC with milliseconds and ``Z``, like Runway's ``createdAt``."""
    moment = datetime.fromtimestamp(wall, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def estimate_credits(model: str, seconds: float, *, audio: bool, output_format: str) -> int:
    """Credits a task of ``model`` producing ``seconds`` of video is estimated to cost."""
    whole_seconds = math.ceil(seconds - 1e-9)
    if model in _VEO_RATES:
        without, with_audio = _VEO_RATES[model]
        rate = with_audio if audio else without
    else:
        rate = _RATES[model]
    if output_format in _SURCHARGE_5:
        rate += 5
    elif output_format != "mp4":
        rate += 20
    return rate * whole_seconds


def failure_is_charged(code: str | None) -> bool:
    """Whether a failure with ``code`` keeps its charge (moderation and invalid assets do)."""
    if code is None:
        return False
    return code == "ASSET.INVALID" or code.startswith(("SAFETY.", "INPUT_PREPROCESSING.SAFETY."))


@dataclass(frozen=True)
class Source:
    """One input the output is made from, identified by its content.

    Attributes:
        key: sha256 of the content (or of the URL for https inputs).
        family: ``image``, ``video`` or ``audio``.
        data: Decoded data-URI bytes (interned: identical inputs share one object).
        path: The uploaded file of a ``runway://`` input.
        url: The https URL (never fetched; a picture is generated instead).
    """

    key: str
    family: Literal["image", "video", "audio"]
    data: bytes | None = field(default=None, repr=False)
    path: Path | None = None
    url: str | None = None

    @property
    def readable(self) -> bytes | Path | None:
        return self.data if self.data is not None else self.path


@dataclass(eq=False)
class Task:
    """Everything the emulator knows about one task."""

    id: str
    seq: int
    endpoint: str
    model: str
    body: dict[str, Any]
    created_wall: float
    created_mono: float
    eligible_at: float
    run_seconds: float
    estimate: int
    duration: float
    ratio: str
    sources: tuple[Source, ...]
    fail_code: str | None = None
    fail_text: str | None = None
    will_fail: bool = False
    upload_uris: tuple[str, ...] = ()
    run_start: float | None = None
    run_end: float | None = None
    cancelled_at: float | None = None
    cancelled_while: str | None = None
    deleted: bool = False
    details_served: int = 0  # CometAPI mode: successful GETs, for the alternating shape
    first_download: float | None = None  # when an output GET first arrived (detection latency)
    first_seen_succeeded: float | None = None  # when a GET first answered SUCCEEDED (likewise)
    plan: OutputPlan | None = None  # the catalogue's models: what the task makes (else an MP4)
    # ``EmulatorConfig.output_bytes`` when the task was created: a finished task's output does
    # not change when the configuration does (Runway's does not either).
    output_bytes: int | None = None

    @property
    def output_count(self) -> int:
        return self.plan.count if self.plan is not None else 1

    @property
    def output_extension(self) -> str:
        return self.plan.extension if self.plan is not None else "mp4"

    @property
    def output_content_type(self) -> str:
        return self.plan.content_type if self.plan is not None else "video/mp4"

    @property
    def with_sound(self) -> bool:
        """Whether the video has a soundtrack: models that take ``audio`` make one when asked,
        Veo and Seedance also when it is left out (documented default ``true``)."""
        if self.plan is not None and self.plan.kind != "video":
            return False
        asked = self.body.get("audio")
        if asked is not None:
            return asked is True
        return self.model.startswith(SOUND_BY_DEFAULT)

    def status_at(self, now: float) -> Status:
        """The task's status at ``now``; valid once the model was advanced to ``now``."""
        if self.cancelled_at is not None:
            return "CANCELLED"
        if self.run_start is None or self.run_end is None:
            return "PENDING" if now < self.eligible_at else "THROTTLED"
        if now < self.run_start:
            return "PENDING"
        if now < self.run_end:
            return "RUNNING"
        return "FAILED" if self.will_fail else "SUCCEEDED"

    def cost_at(self, now: float) -> int | None:
        """Final cost if terminal at ``now``, else None."""
        status = self.status_at(now)
        if status == "SUCCEEDED":
            return self.estimate
        if status == "FAILED":
            return self.estimate if failure_is_charged(self.fail_code) else 0
        if status == "CANCELLED":
            return self.estimate if self.cancelled_while == "RUNNING" else 0
        return None

    def charge_at(self, now: float) -> int:
        """What this task counts against the balance at ``now``."""
        cost = self.cost_at(now)
        return self.estimate if cost is None else cost

    def progress_at(self, now: float) -> float:
        if self.run_start is None or self.run_end is None or now < self.run_start:
            return 0.0
        span = self.run_end - self.run_start
        return 1.0 if span <= 0 else min(1.0, max(0.0, (now - self.run_start) / span))

    def render_key(self, config: EmulatorConfig, index: int = 0) -> tuple[Any, ...]:
        width, height = ratio_size(self.ratio, config.frame_width)
        frames = max(1, round(self.duration * config.fps))
        made = (self.plan.kind, self.plan.format, index) if self.plan is not None else ()
        return (
            self.model,
            self.with_sound,
            tuple(s.key for s in self.sources),
            width,
            height,
            frames,
            config.fps,
            *made,
        )


@dataclass
class Upload:
    """One ``POST /v1/uploads`` and, once stored, its file."""

    id: str
    filename: str
    media_type: str
    runway_uri: str
    fields: dict[str, str]
    url_expires_wall: float
    path: Path | None = None
    size: int = 0
    sha256: str | None = None
    stored_mono: float | None = None

    def valid_at(self, now: float, ttl: float) -> bool:
        return self.stored_mono is not None and now < self.stored_mono + ttl


@dataclass
class _ModelQueue:
    """The lazily evaluated schedule of one model."""

    pending: list[tuple[float, int, str]] = field(default_factory=list)  # (eligible_at, seq, id)
    waiting: list[tuple[int, str]] = field(default_factory=list)  # THROTTLED: (seq, id)
    running: list[tuple[float, int, str]] = field(default_factory=list)  # (run_end, seq, id)
    active: set[str] = field(default_factory=set)
    creates: deque[float] = field(default_factory=deque)  # create times, for the daily limit


class OutputHandle:
    """One output's bytes, size and hash, whichever way they are made."""

    def __init__(
        self,
        *,
        size: int,
        content_type: str,
        video: RenderedVideo | None = None,
        blob: PseudoRandomBlob | None = None,
    ) -> None:
        self.size = size
        self.content_type = content_type
        self.video = video
        self.blob = blob

    async def iter_range(self, start: int, end: int) -> AsyncIterator[bytes]:
        """Yield bytes ``[start, end)``; blob chunks are made in a thread, one at a time."""
        if self.video is not None:
            step = 1 << 16
            for offset in range(start, end, step):
                yield self.video.data[offset : min(end, offset + step)]
            return
        assert self.blob is not None
        pieces = self.blob.iter_range(start, end)
        sentinel = b""
        while True:
            piece = await asyncio.to_thread(next, pieces, sentinel)
            if not piece:
                return
            yield piece


class EmulatorState:
    """The emulated organization: its tasks, uploads, credits, faults and counters."""

    def __init__(
        self,
        config: EmulatorConfig,
        *,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
    ) -> None:
        self.initial_config = config
        self.config = config
        self.clock = clock
        self.wall_clock = wall_clock
        self.faults = FaultInjector()
        self.link_secret = secrets.token_bytes(32)
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="runway-emulator")
        self._renders = AsyncCache(self._executor, max_entries=256)
        self._probes = AsyncCache(self._executor, max_entries=32)
        self._blob_hashes = AsyncCache(self._executor, max_entries=4)
        self.upload_dir = Path(tempfile.mkdtemp(prefix="runway-emulator-"))
        self._clear()

    # ----------------------------------------------------------------------------- lifecycle

    def _clear(self) -> None:
        self.tasks: dict[str, Task] = {}
        self.uploads: dict[str, Upload] = {}
        self._uploads_by_uri: dict[str, Upload] = {}
        self._queues: dict[str, _ModelQueue] = {model: _ModelQueue() for model in MODELS}
        self._seq = 0
        # Running total of what tasks count against the balance, kept up to date by create,
        # cancel and the end events of advance(), so a create need not sum over every task.
        self._charged = 0
        self._interned: dict[str, Any] = {}
        self.counters: Counter[str] = Counter()
        self.creates_by_endpoint: Counter[str] = Counter()
        self.creates_by_model: Counter[str] = Counter()
        self.creates_by_endpoint_model: dict[str, Counter[str]] = {}
        self.deleted_task_ids: list[str] = []
        self.cancelled_task_ids: list[str] = []

    def reset(self) -> None:
        """Forget tasks, uploads, counters and faults; restore the config it started with."""
        self._clear()
        self.faults.reset()
        self.config = self.initial_config
        for child in self.upload_dir.iterdir():
            child.unlink(missing_ok=True)

    def close(self) -> None:
        """Stop the worker threads and delete uploaded files."""
        self._executor.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.upload_dir, ignore_errors=True)

    def update_config(self, changes: dict[str, Any]) -> EmulatorConfig:
        """Change settings at runtime; schedules already fixed (timings of existing tasks) stay.

        Raises:
            ValueError: The changes do not make a valid config (pydantic's ValidationError).
        """
        merged = {**self.config.model_dump(), **changes}
        new_config = EmulatorConfig.model_validate(merged)
        now = self.clock()
        self.advance_all(now)
        self.config = new_config
        # More slots may free THROTTLED tasks right now.
        self.advance_all(now)
        return new_config

    # ------------------------------------------------------------------------- the schedule

    def advance(self, model: str, now: float) -> None:
        """Replay the model's events up to ``now``: starts, ends and promotions."""
        queue = self._queues[model]
        slots = self.config.max_concurrent_for(model)
        while True:
            while queue.running and queue.running[0][2] not in queue.active:
                heapq.heappop(queue.running)  # cancelled while running
            while queue.pending and self.tasks[queue.pending[0][2]].cancelled_at is not None:
                heapq.heappop(queue.pending)
            next_end = queue.running[0][0] if queue.running else math.inf
            next_eligible = queue.pending[0][0] if queue.pending else math.inf
            # Ends first on a tie: the freed slot is then available to the newcomer.
            if next_end <= now and next_end <= next_eligible:
                _, _, task_id = heapq.heappop(queue.running)
                queue.active.discard(task_id)
                ended = self.tasks[task_id]
                if ended.will_fail and not failure_is_charged(ended.fail_code):
                    self._charged -= ended.estimate  # refunded
                self._promote(queue, slots, next_end)
            elif next_eligible <= now:
                _, seq, task_id = heapq.heappop(queue.pending)
                heapq.heappush(queue.waiting, (seq, task_id))
                self._promote(queue, slots, next_eligible)
            else:
                break
        self._promote(queue, slots, now)

    def _promote(self, queue: _ModelQueue, slots: int, at: float) -> None:
        """Give free slots to THROTTLED tasks in submission order, starting them at ``at``."""
        while len(queue.active) < slots and queue.waiting:
            _, task_id = heapq.heappop(queue.waiting)
            task = self.tasks[task_id]
            if task.cancelled_at is not None:
                continue
            self._start(task, at)
            queue.active.add(task_id)
            assert task.run_end is not None
            heapq.heappush(queue.running, (task.run_end, task.seq, task_id))

    def _start(self, task: Task, at: float) -> None:
        task.run_start = at
        task.run_end = at + task.run_seconds
        # Runway fetches inputs when the task starts: an upload that expired while the task
        # waited makes it fail. Charged, as ASSET.INVALID is.
        ttl = self.config.upload_ttl_seconds
        for uri in task.upload_uris:
            upload = self._uploads_by_uri.get(uri)
            if not task.will_fail and (upload is None or not upload.valid_at(at, ttl)):
                task.will_fail = True
                task.fail_code = "ASSET.INVALID"
                task.fail_text = "Failed to fetch asset. The upload URI has expired."

    def advance_all(self, now: float) -> None:
        for model in MODELS:
            self.advance(model, now)

    def _daily_count(self, model: str, now: float) -> int:
        creates = self._queues[model].creates
        while creates and creates[0] <= now - DAY_SECONDS:
            creates.popleft()
        return len(creates)

    def credits_charged(self, now: float) -> int:
        """Final costs of finished tasks plus estimates of unfinished ones."""
        self.advance_all(now)
        return self._charged

    # -------------------------------------------------------------------------------- inputs

    def _intern(self, key: str, value: Any) -> Any:
        """Share one object among identical large inputs, so 1000 tasks hold one copy."""
        return self._interned.setdefault(key, value)

    def _source(self, ref: MediaRef, family: Literal["image", "video", "audio"]) -> Source:
        if ref.scheme == "data":
            assert ref.payload is not None
            key = hashlib.sha256(ref.payload).hexdigest()
            return Source(key, family, data=self._intern("payload:" + key, ref.payload))
        if ref.scheme == "runway":
            upload = self._uploads_by_uri[ref.uri]
            assert upload.sha256 is not None and upload.path is not None
            return Source(upload.sha256, family, path=upload.path)
        return Source(hashlib.sha256(ref.uri.encode()).hexdigest(), family, url=ref.uri)

    def _intern_body(self, value: Any) -> Any:
        """Replace long strings (data URIs) in a body by shared copies."""
        if isinstance(value, str) and len(value) > 4096:
            return self._intern("text:" + hashlib.sha256(value.encode()).hexdigest(), value)
        if isinstance(value, dict):
            return {key: self._intern_body(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._intern_body(item) for item in value]
        return value

    async def _probe(self, source: Source) -> tuple[float | None, float | None, str | None]:
        """Read an input: ``(video duration, aspect w/h, error)``; https inputs are not read."""
        readable = source.readable
        if readable is None:
            return None, None, None
        try:
            if source.family == "image":
                picture = await self._probes.get_or_compute(
                    ("image", source.key), lambda: decode_picture(readable)
                )
                return None, picture.shape[1] / picture.shape[0], None
            probe = await self._probes.get_or_compute(
                ("video", source.key), lambda: probe_video(readable)
            )
        except MediaError as error:
            return None, None, str(error)
        aspect = None
        if probe.first_frame is not None:
            aspect = probe.first_frame.shape[1] / probe.first_frame.shape[0]
        return probe.duration, aspect, None

    # --------------------------------------------------------------------------------- tasks

    def resolve_upload(self, uri: str) -> str | None:
        """Media type of a stored upload, or None: the validator's ``runway://`` lookup."""
        upload = self._uploads_by_uri.get(uri)
        if upload is None or upload.stored_mono is None:
            return None
        return upload.media_type

    async def _read(self, source: Source) -> _Read:
        """What the emulator can learn of an input: duration, pixel size, or why it failed."""
        readable = source.readable
        if readable is None:
            return _Read()
        try:
            if source.family == "audio":
                seconds = await self._probes.get_or_compute(
                    ("audio", source.key), lambda: probe_audio(readable)
                )
                return _Read(seconds=seconds)
            if source.family == "image":
                picture = await self._probes.get_or_compute(
                    ("image", source.key), lambda: decode_picture(readable)
                )
                return _Read(size=(picture.shape[1], picture.shape[0]), picture=picture)
            probe = await self._probes.get_or_compute(
                ("video", source.key), lambda: probe_video(readable)
            )
        except MediaError as error:
            return _Read(error=str(error))
        first = probe.first_frame
        size = None if first is None else (first.shape[1], first.shape[0])
        return _Read(seconds=probe.duration, size=size, picture=first)

    async def _prepare_catalogue(self, request: CreateRequest) -> _Prepared:
        """Inputs, output plan, length, size and price of a catalogue model's task."""
        body = request.body
        plan = plan_output(request.endpoint, request.model, body)
        sources: list[Source] = []
        reads: list[tuple[str, Source, _Read]] = []
        fail: tuple[str, str] | None = None
        for path, ref, family in request.media_refs:
            source = self._source(ref, family)  # type: ignore[arg-type]
            read = await self._read(source)
            reads.append((path, source, read))
            if read.error is not None and fail is None:
                fail = ("ASSET.INVALID", "Unsupported asset type.")
            if family in ("image", "video"):
                sources.append(source)
        if fail is None:
            fail = _media_limit_failure(request.model, reads)
        aspect = next(
            (read.size[0] / read.size[1] for _, _, read in reads if read.size is not None), None
        )
        seconds = _output_seconds(request, reads)
        billed = _billed_seconds(request, seconds)
        ratio = _output_ratio(request.ratio, aspect)
        source_pixels = next(
            (read.size[0] * read.size[1] for _, _, read in reads if read.size is not None), None
        )
        estimate = catalogue_credits(
            request.endpoint,
            request.model,
            body,
            seconds=billed,
            count=plan.count,
            source_pixels=source_pixels,
        )
        return _Prepared(
            sources=sources,
            ratio=ratio,
            seconds=seconds,
            plan=plan,
            estimate=estimate,
            fail_code=fail[0] if fail else None,
            fail_text=fail[1] if fail else None,
        )

    async def create_task(self, request: CreateRequest) -> Task:
        """Create a task from a validated request.

        Raises:
            ApiError: 429 over the daily limit, 400 without enough credits.
        """
        fail_code: str | None = None
        fail_text: str | None = None
        sources: list[Source] = []
        ratio = request.ratio
        duration = request.duration
        plan: OutputPlan | None = None
        catalogue_estimate = 0
        if request.catalogue:
            prepared = await self._prepare_catalogue(request)
            sources, ratio, duration = prepared.sources, prepared.ratio, prepared.seconds
            fail_code, fail_text = prepared.fail_code, prepared.fail_text
            plan, catalogue_estimate = prepared.plan, prepared.estimate
        elif request.endpoint == "image_to_video":
            by_position = dict(request.prompt_images)
            for position in ("first", "last"):
                if position in by_position:
                    sources.append(self._source(by_position[position], "image"))
            for source in sources:
                _, _, error = await self._probe(source)
                if error is not None and fail_code is None:
                    fail_code, fail_text = "ASSET.INVALID", "Unsupported asset type."
            if request.output_format != "mp4":
                # gen4.5's ProRes and frame-sequence formats: a .mov or a .zip, as documented.
                plan = plan_output(request.endpoint, request.model, request.body)
        else:
            assert request.character is not None and request.reference is not None
            kind, ref = request.character
            character = self._source(ref, "image" if kind == "image" else "video")
            reference = self._source(request.reference, "video")
            sources.append(character)
            _, aspect, error = await self._probe(character)
            if error is not None:
                fail_code, fail_text = "ASSET.INVALID", "Unsupported asset type."
            reference_seconds, _, ref_error = await self._probe(reference)
            if ref_error is not None and fail_code is None:
                fail_code, fail_text = "ASSET.INVALID", "Unsupported asset type."
            elif reference_seconds is not None and not 3.0 <= reference_seconds <= 30.0:
                if fail_code is None:
                    fail_code = "ASSET.INVALID"
                    fail_text = "The reference video must be between 3 and 30 seconds long."
            # Act-Two's output follows the performance: the reference's duration when readable,
            # else 5 s (UNCONFIRMED upstream).
            duration = reference_seconds if reference_seconds is not None else 5.0
            if ratio is None:
                ratio = _nearest_ratio(aspect) if aspect is not None else "1280:720"
        assert ratio is not None and duration is not None

        # No await from here on: the limit checks and the insert are one atomic step.
        now = self.clock()
        self.advance(request.model, now)
        limit = self.config.max_daily_for(request.model)
        if limit is not None and self._daily_count(request.model, now) >= limit:
            raise ApiError(429, "Your daily task limit has been reached.")
        if request.catalogue:
            estimate = catalogue_estimate
        else:
            estimate = estimate_credits(
                request.model, duration, audio=request.audio, output_format=request.output_format
            )
        balance = self.config.credit_balance - self.credits_charged(now)
        if estimate > balance:
            raise ApiError(400, "You do not have enough credits to run this task.")

        fault = self.faults.pick("task", request.endpoint, request.model)
        if fault is not None and fail_code is None:
            fail_code, fail_text = fault.failure_code, fault.failure_text()
        self._seq += 1
        task = Task(
            id=str(uuid.uuid4()),
            seq=self._seq,
            endpoint=request.endpoint,
            model=request.model,
            body=self._intern_body(request.body),
            created_wall=self.wall_clock(),
            created_mono=now,
            eligible_at=now + self.config.queue_seconds,
            run_seconds=self.config.run_seconds_for(request.model),
            estimate=estimate,
            duration=duration,
            ratio=ratio,
            sources=tuple(sources),
            fail_code=fail_code,
            fail_text=fail_text,
            will_fail=fail_text is not None,
            upload_uris=tuple(ref.uri for ref in request.media() if ref.scheme == "runway"),
            plan=plan,
            output_bytes=self.config.output_bytes,
        )
        self.tasks[task.id] = task
        self._charged += estimate
        queue = self._queues[request.model]
        queue.creates.append(now)
        heapq.heappush(queue.pending, (task.eligible_at, task.seq, task.id))
        self.advance(request.model, now)
        self.creates_by_endpoint[request.endpoint] += 1
        self.creates_by_model[request.model] += 1
        self.creates_by_endpoint_model.setdefault(request.endpoint, Counter())[request.model] += 1
        return task

    def visible_task(self, task_id: str) -> Task | None:
        """The task ``GET /v1/tasks/{id}`` may show: not cancelled, not deleted."""
        task = self.tasks.get(task_id)
        if task is None or task.deleted or task.cancelled_at is not None:
            return None
        self.advance(task.model, self.clock())
        return task

    def task_json(self, task: Task, output_urls: Callable[[Task], list[str]]) -> dict[str, Any]:
        """The task as ``GET /v1/tasks/{id}`` returns it (runway-api.md section 5.1)."""
        now = self.clock()
        self.advance(task.model, now)
        status = task.status_at(now)
        body: dict[str, Any] = {
            "id": task.id,
            "createdAt": iso_utc(task.created_wall),
            "status": status,
        }
        if status in ("PENDING", "THROTTLED"):
            body["estimatedCost"] = {"credits": task.estimate}
        elif status == "RUNNING":
            body["progress"] = round(task.progress_at(now), 4)
            body["estimatedCost"] = {"credits": task.estimate}
        elif status == "SUCCEEDED":
            body["output"] = output_urls(task)
            body["cost"] = {"credits": task.cost_at(now)}
        else:
            if status == "FAILED":
                body["failure"] = task.fail_text
                if task.fail_code is not None:
                    body["failureCode"] = task.fail_code
            body["cost"] = {"credits": task.cost_at(now)}
        return body

    def delete_task(self, task_id: str) -> bool:
        """Cancel an unfinished task or delete a finished one; False if already gone."""
        task = self.tasks.get(task_id)
        if task is None or task.deleted or task.cancelled_at is not None:
            return False
        now = self.clock()
        self.advance(task.model, now)
        status = task.status_at(now)
        if status in TERMINAL:
            task.deleted = True
        else:
            task.cancelled_at = now
            task.cancelled_while = status
            if status != "RUNNING":
                self._charged -= task.estimate  # a task that never ran is refunded
            queue = self._queues[task.model]
            if task.id in queue.active:
                queue.active.discard(task.id)
                self.advance(task.model, now)
            self.cancelled_task_ids.append(task.id)
        self.deleted_task_ids.append(task.id)
        return True

    # ------------------------------------------------------------------------------- outputs

    async def output(self, task: Task, index: int) -> OutputHandle | None:
        """The bytes behind output ``index`` of a SUCCEEDED task (rendered once, cached)."""
        if not 0 <= index < task.output_count:
            return None
        if task.output_bytes is not None:
            blob = PseudoRandomBlob(task.output_bytes)
            return OutputHandle(size=blob.size, content_type=blob.content_type, blob=blob)
        video = await self._render(task, index)
        return OutputHandle(size=video.size, content_type=video.content_type, video=video)

    async def output_sha256(self, task: Task, index: int = 0) -> tuple[str, int]:
        """``(sha256, size)`` of the task's output ``index``."""
        size = task.output_bytes
        if size is not None:
            blob = PseudoRandomBlob(size)
            digest = await self._blob_hashes.get_or_compute(("blob", size), blob.compute_sha256)
            return digest, size
        video = await self._render(task, index)
        return video.sha256, video.size

    async def _render(self, task: Task, index: int = 0) -> RenderedVideo:
        config = self.config
        width, height = ratio_size(task.ratio, config.frame_width)
        frames = max(1, round(task.duration * config.fps))
        fps = config.fps
        sources = task.sources
        model = task.model
        plan = task.plan
        seconds = task.duration
        sound = f"{model}:{':'.join(s.key for s in sources)}" if task.with_sound else None

        def pictures() -> RenderedVideo:
            canvas = (math.ceil(width * 1.25), math.ceil(height * 1.25))
            made = []
            for source in sources:
                readable = source.readable
                if readable is None:
                    made.append(generated_picture(model, source.key, *canvas))
                elif source.family == "image":
                    made.append(decode_picture(readable))
                else:
                    first = probe_video(readable).first_frame
                    assert first is not None
                    made.append(first)
            first_picture = made[0] if made else generated_picture(model, model, *canvas)
            if plan is None:
                last_picture = made[1] if len(made) > 1 else None
                return render_mp4(
                    first_picture, last_picture, width=width, height=height, frames=frames,
                    fps=fps, sound=sound,
                )  # fmt: skip
            seed = f"{model}:{':'.join(s.key for s in sources)}:{index}"
            if plan.kind == "audio":
                return render_audio(seconds, fmt=plan.format, seed=seed)
            if plan.format == "svg":
                return render_svg(model, seed, width=width, height=height)
            if index:
                # Each of several images differs a little, as separate generations do.
                first_picture = np.roll(first_picture, index * 17, axis=1)
            if plan.kind == "image":
                return render_image(first_picture, width=width, height=height, fmt=plan.format)
            if plan.kind == "archive":
                return render_frames_zip(
                    first_picture, None, width=width, height=height, frames=min(frames, 24)
                )
            movie = render_mov if plan.format == "mov" else render_mp4
            return movie(
                first_picture, None, width=width, height=height, frames=frames, fps=fps,
                sound=sound,
            )  # fmt: skip

        result: RenderedVideo = await self._renders.get_or_compute(
            task.render_key(config, index), pictures
        )
        return result

    # ------------------------------------------------------------------------------- uploads

    def create_upload(self, filename: str, media_type: str) -> Upload:
        """Register an upload placeholder (``POST /v1/uploads``)."""
        upload_id = str(uuid.uuid4())
        expires = self.wall_clock() + self.config.upload_url_ttl_seconds
        policy = secrets.token_urlsafe(24)
        upload = Upload(
            id=upload_id,
            filename=filename,
            media_type=media_type,
            runway_uri=f"runway://uploads/{upload_id}/{filename}",
            fields={
                "key": f"uploads/{upload_id}/{filename}",
                "Content-Type": media_type,
                "policy": policy,
                "x-amz-signature": hashlib.sha256(self.link_secret + policy.encode()).hexdigest(),
            },
            url_expires_wall=expires,
        )
        self.uploads[upload_id] = upload
        self._uploads_by_uri[upload.runway_uri] = upload
        return upload

    def new_upload_path(self) -> Path:
        return self.upload_dir / f"{uuid.uuid4()}.part"

    def store_upload(self, upload: Upload, path: Path, size: int, sha256: str) -> None:
        """Record a completed upload; a second upload to the same placeholder replaces it."""
        if upload.path is not None and upload.path != path:
            upload.path.unlink(missing_ok=True)
        final = self.upload_dir / f"{upload.id}{Path(upload.filename).suffix.lower()}"
        path.replace(final)
        upload.path = final
        upload.size = size
        upload.sha256 = sha256
        upload.stored_mono = self.clock()
        self.counters["uploads"] += 1
        self.counters["upload_bytes"] += size

    # -------------------------------------------------------------------------- organization

    def organization(self) -> dict[str, Any]:
        """``GET /v1/organization`` from the config and today's usage."""
        now = self.clock()
        charged = self.credits_charged(now)
        config = self.config
        return {
            "creditBalance": config.credit_balance - charged,
            "tier": {
                "maxMonthlyCreditSpend": config.max_monthly_credit_spend,
                "models": {
                    model: {
                        "maxConcurrentGenerations": config.max_concurrent_for(model),
                        "maxDailyGenerations": config.max_daily_for(model),
                    }
                    for model in MODELS
                },
            },
            "usage": {
                "models": {
                    model: {"dailyGenerations": self._daily_count(model, now)} for model in MODELS
                }
            },
        }

    def usage(self, start: date, before: date) -> dict[str, Any]:
        """``POST /v1/organization/usage``: credits per model per UTC day in ``[start, before)``.

        Every day of the range is listed; ``usedCredits`` names the models that had tasks
        created that day, with what those tasks count against the balance now.
        """
        now = self.clock()
        self.advance_all(now)
        per_day: dict[date, Counter[str]] = {}
        for task in self.tasks.values():
            day = datetime.fromtimestamp(task.created_wall, UTC).date()
            if start <= day < before:
                per_day.setdefault(day, Counter())[task.model] += task.charge_at(now)
        models = sorted({model for counter in per_day.values() for model in counter})
        results = []
        day = start
        while day < before:
            used = per_day.get(day, Counter())
            results.append(
                {
                    "date": day.isoformat(),
                    "usedCredits": [{"model": m, "amount": used[m]} for m in sorted(used)],
                }
            )
            day += timedelta(days=1)
        return {"models": models, "results": results}

    # ------------------------------------------------------------------------------ reports

    def tasks_by_status(self, now: float) -> dict[str, int]:
        self.advance_all(now)
        counts = Counter(task.status_at(now) for task in self.tasks.values())
        return dict(sorted(counts.items()))

    def stats(self) -> dict[str, Any]:
        """The counters behind ``GET /_emulator/stats``."""
        now = self.clock()
        charged = self.credits_charged(now)
        counters = self.counters
        return {
            # The two original endpoints always; every other one once it has a create.
            "creates": {
                "image_to_video": self.creates_by_endpoint["image_to_video"],
                "character_performance": self.creates_by_endpoint["character_performance"],
                **{
                    endpoint: count
                    for endpoint, count in sorted(self.creates_by_endpoint.items())
                    if count
                },
            },
            "creates_by_model": {model: self.creates_by_model[model] for model in MODELS},
            "creates_by_endpoint_and_model": {
                endpoint: dict(sorted(models.items()))
                for endpoint, models in sorted(self.creates_by_endpoint_model.items())
            },
            "creates_total": sum(self.creates_by_endpoint.values()),
            "task_ids": list(self.tasks),
            "rejected_creates": counters["rejected_creates"],
            "gets": counters["gets"],
            "task_not_exist_answers": counters["task_not_exist_answers"],
            "deletes": counters["deletes"],
            "deleted_task_ids": list(self.deleted_task_ids),
            "cancelled_task_ids": list(self.cancelled_task_ids),
            "downloads": counters["downloads"],
            "download_heads": counters["download_heads"],
            "download_bytes": counters["download_bytes"],
            "upload_requests": counters["upload_requests"],
            "uploads": counters["uploads"],
            "upload_bytes": counters["upload_bytes"],
            "organization_reads": counters["organization_reads"],
            "credits_charged": charged,
            "credit_balance": self.config.credit_balance - charged,
            "faults_injected": dict(sorted(self.faults.injected.items())),
            "tasks_by_status": self.tasks_by_status(now),
        }

    async def task_record(self, task_id: str) -> dict[str, Any] | None:
        """The internal record behind ``GET /_emulator/tasks/{id}`` (outputs hashed on demand)."""
        task = self.tasks.get(task_id)
        if task is None:
            return None
        now = self.clock()
        self.advance(task.model, now)
        status = task.status_at(now)

        def moments(mono: float | None) -> dict[str, Any] | None:
            if mono is None:
                return None
            wall = task.created_wall + (mono - task.created_mono)
            return {"monotonic": mono, "wall": wall, "iso": iso_utc(wall)}

        outputs: list[dict[str, Any]] = []
        if status == "SUCCEEDED":
            for index in range(task.output_count):
                digest, size = await self.output_sha256(task, index)
                outputs.append(
                    {
                        "index": index,
                        "sha256": digest,
                        "size": size,
                        "content_type": task.output_content_type,
                    }
                )
        ended = None
        if status in ("SUCCEEDED", "FAILED"):
            ended = task.run_end
        elif status == "CANCELLED":
            ended = task.cancelled_at
        return {
            "id": task.id,
            "endpoint": task.endpoint,
            "model": task.model,
            "status": status,
            "deleted": task.deleted or task.cancelled_at is not None,
            "request": task.body,
            "ratio": task.ratio,
            "duration": task.duration,
            "estimated_cost": task.estimate,
            "cost": task.cost_at(now),
            "progress": task.progress_at(now),
            "failure": task.fail_text if task.will_fail else None,
            "failure_code": task.fail_code if task.will_fail else None,
            "cancelled_while": task.cancelled_while,
            "created_at": moments(task.created_mono),
            "started_at": moments(task.run_start),
            "ended_at": moments(ended),
            "succeeded_at": moments(task.run_end if status == "SUCCEEDED" else None),
            "first_download_at": moments(task.first_download),
            "first_seen_succeeded_at": moments(task.first_seen_succeeded),
            "outputs": outputs,
        }


@dataclass
class _Read:
    """What was learnt from one input (nothing for https inputs: never fetched)."""

    seconds: float | None = None
    size: tuple[int, int] | None = None
    picture: Any = None
    error: str | None = None


@dataclass
class _Prepared:
    sources: list[Source]
    ratio: str
    seconds: float
    plan: OutputPlan
    estimate: int
    fail_code: str | None
    fail_text: str | None


# The emulator's own reading of the media limits the docstrings state (checked when it can
# read the input, failing the task with ASSET.INVALID and keeping its charge, as for Act-Two).
_MAX_SECONDS = {
    ("aleph2", "videoUri"): 30.0,
    ("magnific_video_upscaler_creative", "videoUri"): 30.0,
}
_SIDES = {
    ("magnific_precision_upscaler_v2", "imageUri"): (300, 8000),
    ("h3_max", "promptImage"): (256, None),
    ("h3_max", "promptImage[].uri"): (256, None),
}
_TOTAL_SECONDS = {
    "seedance2": 15.0,
    "seedance2_fast": 15.0,
    "seedance2_mini": 15.0,
    "hailuo3": 15.0,
    "wan3": 15.0,
    "wan3_prime": 15.0,
    "seedance2_5": 30.0,
}
# Inputs whose length the output keeps (edits, upscales, HDR, sound for a video, voice work).
_LENGTH_FROM = ("videoUri", "promptVideo", "audioUri", "media.uri")


def _media_limit_failure(
    model: str, reads: list[tuple[str, Source, _Read]]
) -> tuple[str, str] | None:
    totals: dict[str, float] = {}
    for path, _, read in reads:
        limit = _MAX_SECONDS.get((model, path))
        if limit is not None and read.seconds is not None and read.seconds > limit + 1e-6:
            return "ASSET.INVALID", f"The video must be {limit:g} seconds or shorter."
        sides = _SIDES.get((model, path))
        if sides is not None and read.size is not None:
            low, high = sides
            if min(read.size) < low or (high is not None and max(read.size) > high):
                allowed = f"at least {low}" if high is None else f"between {low} and {high}"
                return "ASSET.INVALID", f"Each image side must be {allowed} pixels."
        if read.seconds is not None and path.startswith(("referenceVideos", "referenceAudio")):
            key = path.split("[", 1)[0]
            totals[key] = totals.get(key, 0.0) + read.seconds
    limit_total = _TOTAL_SECONDS.get(model)
    if limit_total is not None:
        for field_name, total in totals.items():
            if total > limit_total + 1e-6:
                return (
                    "ASSET.INVALID",
                    f"The combined duration of {field_name} must not exceed {limit_total:g} s.",
                )
    return None


def _output_seconds(request: CreateRequest, reads: list[tuple[str, Source, _Read]]) -> float:
    """How long the output lasts (video and audio; 1 s stands for a still image)."""
    body = request.body
    if request.endpoint not in VIDEO_ENDPOINTS and request.endpoint not in AUDIO_ENDPOINTS:
        return 1.0
    duration = body.get("duration")
    if isinstance(duration, int | float) and not isinstance(duration, bool):
        return float(duration)
    shots = (body.get("providerSettings") or {}).get("multiPrompt")
    if shots:
        return float(sum(shot["duration"] for shot in shots))
    for path, _, read in reads:
        if path in _LENGTH_FROM and read.seconds is not None:
            return read.seconds
    if request.endpoint == "text_to_speech":
        # About 15 characters a second of speech.
        return max(1.0, round(len(str(body.get("promptText", ""))) / 15, 1))
    # "Defaults to 5" where documented (kling2.5_turbo_pro, seedance2_5); 5 s elsewhere too.
    return 5.0


def _billed_seconds(request: CreateRequest, seconds: float) -> float:
    """``auto`` durations are "billed at the variant maximum up front" (no refund modelled)."""
    if request.body.get("duration") != "auto":
        return seconds
    found = catalogue_entry(request.endpoint, request.model)
    schema = (found or {}).get("schema", {}).get("properties", {}).get("duration", {})
    maxima = [
        option["maximum"]
        for option in schema.get("anyOf", [schema])
        if isinstance(option, dict) and "maximum" in option
    ]
    return float(max(maxima)) if maxima else max(seconds, 15.0)


def _output_ratio(ratio: str | None, aspect: float | None) -> str:
    """A ``W:H`` pixel ratio for the output: the request's, else the input's aspect, else 16:9."""
    if ratio is not None:
        width, _, height = ratio.partition(":")
        if width.isdigit() and height.isdigit() and int(width) > 0 and int(height) > 0:
            return ratio
    if aspect is not None and aspect > 0:
        return f"{max(2, round(aspect * 720))}:720"
    return "1280:720"


def _nearest_ratio(aspect: float) -> str:
    """The Act-Two ratio closest (in log scale) to a picture's aspect."""

    def distance(ratio: str) -> float:
        width, height = (int(part) for part in ratio.split(":"))
        return abs(math.log(width / height) - math.log(aspect))

    return min(ACT_TWO_RATIOS, key=distance)
