"""A generation's plan, made once: where it lands, what earlier runs left, what this run may pay.

The flows' checks before any POST (dry run, budget, balance, daily limits) and ``generate``
read the same plan, so what a dry run says is what a run does (DESIGN.md, "plan once"):

```
key, name, keys in S3 (tasks/locations.py), content ids
sidecar + object in S3?  ---- both, same size/ETag ------------------> stored: nothing to do
   | sidecar without its object                                        restore from its task
   | sidecar of another generation, or the name claimed by one --------> name taken: refused
ledger, attempt by attempt (next_step) ----------------------------------> the first step
   refused, cancelled, nothing  -> submit attempt n  (paid: priced against the budget)
   intent, fresh                -> another run's create is in flight: wait for its task id
   intent, old                  -> ambiguous: stop unless allow_resubmit
   submitted / succeeded        -> reattach to its task (FAILED? looked up: next attempt)
   failed, retryable            -> look at attempt n+1 (within max_attempts)
   failed otherwise, vanished   -> stop and say so
```

Every further paid attempt is priced against the run's ``CreditBudget`` before its POST, so a
budget holds across attempts and across the generations of a batch.
"""

from __future__ import annotations

import collections
import logging
import math
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from prefect_runway.api import RunwayClient, TaskNotFound, TaskStatus
from prefect_runway.api.failures import FailureClass, classify_failure_code
from prefect_runway.tasks.allowed_inputs import InputPolicy
from prefect_runway.tasks.cost import CostEstimate, OverBudget, estimate_spec
from prefect_runway.tasks.inputs import S3Reader, identify_inputs
from prefect_runway.tasks.keys import generation_key
from prefect_runway.tasks.ledger import ACTIVE_STATES, LedgerEntry, NameHolder, SubmissionLedger
from prefect_runway.tasks.listing import KeyListing, folder_of, list_folders
from prefect_runway.tasks.locations import OutputLocation
from prefect_runway.tasks.s3io import run_s3, s3_client
from prefect_runway.tasks.spec import GenerationSpec
from prefect_runway.tasks.store import read_sidecar, resolve_key

__all__ = [
    "Action",
    "CreditBudget",
    "GenerationPlan",
    "Reservation",
    "Step",
    "list_for_plans",
    "name_is_replaceable",
    "next_step",
    "plan_generation",
    "sidecar_reader",
    "stored_object_problem",
]

logger = logging.getLogger(__name__)


def _claim_wait() -> float:
    # One setting for the plan, the loop and the submit (read when used: tests change it).
    from prefect_runway.tasks import submit

    return submit.DEFAULT_CLAIM_WAIT_SECONDS


#: Attempts read from the ledger at most (a generation re-run with ever larger max_attempts).
_MAX_ATTEMPTS_READ = 100


class Action(StrEnum):
    """What a run does first for a generation."""

    STORED = "stored"
    RESTORE = "restore"
    NAME_TAKEN = "name_taken"
    SUBMIT = "submit"
    WAIT_FOR_CLAIM = "wait_for_claim"
    REATTACH = "reattach"
    AMBIGUOUS = "ambiguous"
    VANISHED = "vanished"
    FAILED = "failed"
    EXHAUSTED = "exhausted"


@dataclass(frozen=True)
class Step:
    """One decision: the action, the attempt it is about, and the entry it rests on.

    Attributes:
        action: What to do.
        attempt: The attempt (from 1) it concerns.
        entry: That attempt's ledger entry, if any.
        resubmit: For ``SUBMIT``: over an unresolved intent or a vanished task, as allowed.
    """

    action: Action
    attempt: int
    entry: LedgerEntry | None = None
    resubmit: bool = False


def _age(entry: LedgerEntry, now: datetime) -> float:
    return (now - entry.intent_at).total_seconds()


def next_step(
    entries: Sequence[LedgerEntry | None],
    *,
    max_attempts: int,
    allow_resubmit: bool,
    now: datetime,
    claim_wait: float | None = None,
) -> Step:
    """Decide from a generation's ledger entries (attempt 1 first) what to do next.

    A pure function: the plan, ``generate`` after each outcome, and the model-based tests call
    it on what the ledger holds. ``claim_wait``: how long another run's intent counts as a
    create in flight (default: ``tasks.submit.DEFAULT_CLAIM_WAIT_SECONDS``).

    Example:
        >>> from datetime import UTC, datetime
        >>> next_step([None], max_attempts=3, allow_resubmit=False, now=datetime.now(UTC))
        Step(action=<Action.SUBMIT: 'submit'>, attempt=1, entry=None, resubmit=False)
    """
    claim_wait = _claim_wait() if claim_wait is None else claim_wait
    attempt = 0
    for attempt, entry in enumerate(entries, start=1):
        if entry is None:
            break
        state = entry.state
        if state in ("refused", "cancelled"):
            # Nothing was created, or the user cancelled it: the attempt may be claimed again.
            if attempt > max_attempts:
                return Step(Action.EXHAUSTED, attempt - 1, entries[attempt - 2])
            return Step(Action.SUBMIT, attempt, entry)
        if state == "intent":
            if _age(entry, now) < claim_wait:
                return Step(Action.WAIT_FOR_CLAIM, attempt, entry)
            if allow_resubmit:
                return Step(Action.SUBMIT, attempt, entry, resubmit=True)
            return Step(Action.AMBIGUOUS, attempt, entry)
        if state in ("submitted", "cancelling", "succeeded"):
            return Step(Action.REATTACH, attempt, entry)
        if state == "vanished":
            if allow_resubmit:
                return Step(Action.SUBMIT, attempt, entry, resubmit=True)
            return Step(Action.VANISHED, attempt, entry)
        if state == "failed":
            if entry.retryable and attempt < max_attempts:
                continue
            if entry.retryable:
                return Step(Action.EXHAUSTED, attempt, entry)
            return Step(Action.FAILED, attempt, entry)
    else:
        attempt += 1  # every entry read was a retryable failure: the next attempt
    if attempt > max_attempts:
        last = entries[-1] if entries else None
        return Step(Action.EXHAUSTED, attempt - 1, last)
    return Step(Action.SUBMIT, attempt)


# ---------------------------------------------------------------------------------------------
# The budget of one run


@dataclass
class Reservation:
    """Credits set aside for one create until its task ends."""

    credits: float
    what: str
    settled: bool = False


@dataclass
class CreditBudget:
    """``max_credits`` held across every paid attempt of a run (one generation or a batch).

    Each create reserves its estimate before the POST; when the task ends, the reservation is
    settled at what Runway charged (``cost.credits``: 0 for a refunded failure) or released
    when nothing was created. So the sum of what a run's tasks cost never exceeds the budget,
    however many retries and generations share it (one event loop: no lock needed).

    A generation without a published price is counted at the run's cap for its model
    (``price_caps``); without one it is refused under ``max_credits``, never counted as 0.

    Args:
        max_credits: The budget; None for none (reservations are still counted).
        price_caps: Credits per generation the run accepts for models without a published
            price, by model (``{"wan3": 120}``).

    Example:
        >>> budget = CreditBudget(max_credits=60)
        >>> first = budget.reserve(50, "harbour attempt 1")
        >>> budget.settle(first, charged=0)  # a refunded failure
        >>> budget.reserve(50, "harbour attempt 2").credits
        50
    """

    max_credits: float | None
    price_caps: dict[str, float] = field(default_factory=dict)
    reserved: float = 0.0
    charged: float = 0.0
    _open: list[Reservation] = field(default_factory=list)

    def reserve(self, credits: float, what: str) -> Reservation:
        """Set ``credits`` aside for ``what``; raises ``OverBudget`` if they do not fit.

        ``credits`` is infinite for a price that is unknown and uncapped: refused under a
        budget, counted as nothing without one (there is no budget to hold).
        """
        if not math.isfinite(credits):
            if self.max_credits is not None:
                raise OverBudget(
                    f"{what} has no published price and the run gives no price cap for its "
                    f"model (price_caps), so max_credits={self.max_credits:g} cannot be held; "
                    "nothing was submitted for it"
                )
            credits = 0.0
        committed = self.reserved + self.charged
        if self.max_credits is not None and committed + credits > self.max_credits + 1e-9:
            raise OverBudget(
                f"{what} may cost {credits:g} credits; with {committed:g} already spent or "
                f"reserved by this run that is above max_credits={self.max_credits:g}; nothing "
                "was submitted for it"
            )
        reservation = Reservation(credits, what)
        self.reserved += credits
        self._open.append(reservation)
        return reservation

    def settle(self, reservation: Reservation, charged: float | None) -> None:
        """The task ended: count what it cost (its estimate when Runway did not say)."""
        if reservation.settled:
            return
        reservation.settled = True
        self.reserved -= reservation.credits
        self.charged += reservation.credits if charged is None else charged

    def release(self, reservation: Reservation) -> None:
        """Nothing was created (refused, or another run's create was reattached to)."""
        if reservation.settled:
            return
        reservation.settled = True
        self.reserved -= reservation.credits


# ---------------------------------------------------------------------------------------------
# The plan


@dataclass(frozen=True)
class GenerationPlan:
    """Everything a run needs to know about one generation before it may spend anything.

    Attributes:
        spec: The generation.
        key: The generation key.
        location: Where its output, sidecar and ledger entries land.
        content_ids: The identity of each media field's content.
        estimate: What one attempt costs.
        step: Where the run starts (see ``next_step``).
        entries: The ledger's entries, attempt 1 first, as read.
        sidecar: The stored sidecar, when there is one for this generation.
        problem: Why the stored output cannot be trusted (``RESTORE``), or whose the name is
            (``NAME_TAKEN``).
        max_attempts: Attempts the user allows.
        allow_resubmit: Whether the user allows paying over an ambiguous or vanished attempt.
    """

    spec: GenerationSpec
    key: str
    location: OutputLocation
    content_ids: dict[tuple[str | int, ...], str]
    estimate: CostEstimate | None
    step: Step
    entries: tuple[LedgerEntry | None, ...] = ()
    sidecar: dict[str, Any] | None = None
    problem: str | None = None
    max_attempts: int = 3
    allow_resubmit: bool = False

    @property
    def name(self) -> str:
        return self.location.name

    @property
    def pays(self) -> bool:
        """Whether this run pays for an attempt as soon as it starts."""
        return self.step.action is Action.SUBMIT

    @property
    def price(self) -> float:
        """What this run pays as it starts (the most an attempt may cost), else 0."""
        if not self.pays or self.estimate is None:
            return 0.0
        return self.estimate.at_most

    @property
    def attempts_payable(self) -> int:
        """Attempts this run may create at most: now, and after retryable failures."""
        action, attempt = self.step.action, self.step.attempt
        if action is Action.SUBMIT:
            return self.max_attempts - attempt + 1 if attempt <= self.max_attempts else 1
        if action in (Action.REATTACH, Action.WAIT_FOR_CLAIM):
            return max(self.max_attempts - attempt, 0)
        return 0

    @property
    def at_most(self) -> float:
        """What this run may pay at worst: every attempt it may create charged in full."""
        attempts = self.attempts_payable
        if self.estimate is None or attempts == 0:
            return 0.0  # (an unknown price is infinite: never multiplied by 0 into nan)
        return self.estimate.at_most * attempts

    @property
    def credits_so_far(self) -> float:
        """What Runway charged for earlier attempts, as the ledger knows it."""
        return sum(entry.credits or 0.0 for entry in self.entries if entry is not None)

    def describe(self) -> str:
        """What a run would do, for people (the dry run's ``action``)."""
        step, entry = self.step, self.step.entry
        match step.action:
            case Action.STORED:
                uri = self.sidecar.get("output_uri") if self.sidecar else None
                return f"already stored at {uri}: nothing to pay"
            case Action.RESTORE:
                return f"restore: {self.problem}; its Runway task is read again, nothing to pay"
            case Action.NAME_TAKEN:
                return f"refuse: {self.problem}"
            case Action.SUBMIT:
                if step.resubmit:
                    return f"submit attempt {step.attempt} over an unresolved one, as " \
                        "allow_resubmit says (may pay twice)"  # fmt: skip
                if entry is not None and entry.state == "cancelled":
                    return f"submit attempt {step.attempt} (its task was cancelled by a user)"
                if step.attempt > 1:
                    earlier = self.entries[step.attempt - 2]
                    code = earlier.failure_code if earlier is not None else None
                    return f"submit attempt {step.attempt} (attempt {step.attempt - 1} " \
                        f"failed: {code or 'no code'})"  # fmt: skip
                return "submit"
            case Action.WAIT_FOR_CLAIM:
                return f"wait for attempt {step.attempt}, being submitted by another run"
            case Action.REATTACH:
                task = entry.task_id if entry else None
                return f"reattach to Runway task {task}: nothing new to pay"
            case Action.AMBIGUOUS:
                return "stop: an earlier submit may have been billed (AmbiguousSubmission)"
            case Action.VANISHED:
                task = entry.task_id if entry else None
                return f"stop: Runway task {task} vanished (deleted elsewhere); " \
                    "allow_resubmit pays for a new one"  # fmt: skip
            case Action.FAILED:
                return f"stop: attempt {step.attempt} failed ({entry and entry.failure_code})"
            case Action.EXHAUSTED:
                return f"stop: the {self.max_attempts} attempt(s) allowed are used up"
        return step.action.value  # pragma: no cover - every action is matched above


def stored_object_problem(sidecar: dict[str, Any], head: dict[str, Any] | None) -> str | None:
    """Why the object a sidecar vouches for is not what it says, or None if it is.

    Stored means: the object exists with the sidecar's size, and its ETag (when the sidecar
    kept one) is the same, so a replaced object of equal size is caught without reading it.
    """
    uri = sidecar.get("output_uri")
    if head is None:
        return f"the output {uri} is missing although its sidecar vouches for it"
    size = int(head.get("ContentLength", -1))
    if sidecar.get("size") is not None and size != sidecar["size"]:
        return f"the output {uri} holds {size} bytes, its sidecar says {sidecar['size']}"
    outputs = sidecar.get("outputs") or []
    etag = outputs[0].get("etag") if outputs and isinstance(outputs[0], dict) else None
    seen = str(head.get("ETag", "")).strip('"')
    if etag and seen and etag != seen:
        return f"the output {uri} is not the object its sidecar describes (another ETag)"
    return None


async def _further_outputs_problem(
    destination: Any, sidecar: dict[str, Any], listing: KeyListing | None = None
) -> str | None:
    """Why an output after the first (images with ``outputCount``, audio with ``numVariants``)
    is not what the sidecar lists, or None: every paid output must be in S3, not only one."""
    outputs = [o for o in sidecar.get("outputs") or [] if isinstance(o, dict)]
    for index, output in enumerate(outputs[1:], start=1):
        head = await _head(destination, sidecar, index, listing)
        uri = output.get("uri")
        if head is None:
            return f"output {index} ({uri}) is missing although its sidecar vouches for it"
        if output.get("size") is not None and int(head.get("ContentLength", -1)) != output["size"]:
            return f"output {index} ({uri}) is not the size its sidecar says"
        seen = str(head.get("ETag", "")).strip('"')
        if output.get("etag") and seen and output["etag"] != seen:
            return f"output {index} ({uri}) is not the object its sidecar describes"
    return None


async def _head(
    destination: Any,
    sidecar: dict[str, Any],
    index: int = 0,
    listing: KeyListing | None = None,
) -> dict[str, Any] | None:
    outputs = sidecar.get("outputs") or []
    full_key = (
        outputs[index].get("key")
        if len(outputs) > index and isinstance(outputs[index], dict)
        else None
    )
    if not full_key:
        uri = str(sidecar.get("output_uri") or "") if index == 0 else ""
        full_key = uri.removeprefix("s3://").partition("/")[2]
    if not full_key:
        return None
    if listing is not None and listing.knows(full_key):
        # The listing's size and ETag are what a HEAD sent then would answer (issue 20).
        return listing.head(full_key)
    client = s3_client(destination)

    def head() -> dict[str, Any] | None:
        try:
            return dict(client.head_object(Bucket=destination.bucket_name, Key=full_key))
        except Exception as error:
            response = getattr(error, "response", None)
            code = str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) \
                else ""  # fmt: skip
            if code in ("404", "NoSuchKey", "NotFound"):
                return None
            raise  # unknown is not missing: guessing "missing" could pay again

    return await run_s3(head)


async def name_is_replaceable(
    ledger: SubmissionLedger,
    stored_sidecar: Callable[[], Awaitable[dict[str, Any] | None]],
    holder: NameHolder,
) -> bool:
    """Whether the generation holding a name has let go of it.

    It holds the name while its sidecar is there (``stored_sidecar`` reads the name's), and
    while one of its attempts is in flight (a create being sent, a task running) or SUCCEEDED
    and not stored yet. The check is on what was read: the takeover that follows is a
    conditional write, and a holder that claimed an attempt since renewed the name's record
    (``SubmissionLedger.claim_name``), so the takeover fails and is decided again.
    """
    sidecar = await stored_sidecar()
    if sidecar is not None and sidecar.get("key") == holder.key:
        return False
    for entry in await ledger.read_attempts(holder.key, until=_MAX_ATTEMPTS_READ):
        if entry is not None and (entry.state in ACTIVE_STATES or entry.state == "succeeded"):
            return False
    return True


def sidecar_reader(
    destination: Any, location: OutputLocation
) -> Callable[[], Awaitable[dict[str, Any] | None]]:
    """A reader of ``location``'s sidecar in ``destination`` (for ``name_is_replaceable``)."""

    async def read() -> dict[str, Any] | None:
        return await read_sidecar(destination, location.sidecar_key)

    return read


async def _look_up_outcome(client: RunwayClient, entry: LedgerEntry) -> LedgerEntry:
    """A ``submitted`` entry, with its outcome if the task has ended (a GET is free)."""
    if entry.task_id is None or entry.state != "submitted":
        return entry
    try:
        task = await client.get_task(entry.task_id)
    except TaskNotFound:
        return entry  # the wait decides, with the window
    except Exception as error:  # the wait will read it again
        logger.info("could not read Runway task %s while planning (%s)", entry.task_id,
                    type(error).__name__)  # fmt: skip
        return entry
    if task.status in (TaskStatus.FAILED, TaskStatus.CANCELLED):
        failed = task.status is TaskStatus.FAILED
        retryable = failed and classify_failure_code(task.failure_code) is FailureClass.RETRYABLE
        return entry.model_copy(
            update={
                "state": "failed", "credits": task.credits, "retryable": retryable,
                "failure_code": task.failure_code or task.status.value, "failure": task.failure,
            }
        )  # fmt: skip
    return entry


async def list_for_plans(destination: Any, locations: Iterable[OutputLocation]) -> KeyListing:
    """One LIST per folder the plans of ``locations`` read (a batch's): sidecars and outputs,
    ledger entries, name holders. See ``tasks/listing.py`` for when a folder is given up.

    Example:
        ```python
        listing = await list_for_plans(bucket, [plan.location for plan in plans])
        ```
    """
    counts: collections.Counter[str] = collections.Counter()
    for location in locations:
        ledger = SubmissionLedger(destination, location.ledger_folder)
        counts[folder_of(resolve_key(destination, location.sidecar_key))] += 2  # and the output
        for full_key in (
            ledger.entry_object_key(location.attempt_key(1)),
            ledger.name_object_key(location.normalised_name),
        ):
            if full_key is not None:
                counts[folder_of(full_key)] += 1
    return await list_folders(destination, counts)


async def plan_generation(
    spec: GenerationSpec,
    *,
    destination: Any,
    prefix: str,
    client: RunwayClient,
    s3: S3Reader | None = None,
    max_attempts: int = 3,
    allow_resubmit: bool = False,
    content_ids: dict[tuple[str | int, ...], str] | None = None,
    input_policy: InputPolicy | None = None,
    estimate: bool = True,
    claim_wait: float | None = None,
    clock: Callable[[], datetime] | None = None,
    price_caps: Mapping[str, float] | None = None,
    listing: KeyListing | None = None,
) -> GenerationPlan:
    """Plan one generation: read S3 and the ledger once, price what this run may pay.

    Args:
        spec: The generation (its request already validated).
        destination: The ``S3Bucket`` of outputs, sidecars and the ledger.
        prefix: Key prefix under the bucket folder.
        client: The Runway client (its provider URL is part of the key; a GET tells whether a
            submitted task has failed).
        s3: Reader of ``s3://`` inputs (default: the destination's credentials).
        max_attempts: Attempts the user allows for retryable failures.
        allow_resubmit: Pay over an ambiguous or vanished attempt.
        content_ids: The inputs' identities, when already known.
        input_policy: Where inputs may be read from (default: this machine's, see
            ``tasks/allowed_inputs.py``); used only when ``content_ids`` is not given.
        estimate: Price the generation (an Act-Two clip may be probed).
        claim_wait: Seconds another run's fresh intent is waited for.
        clock: The time (tests).
        price_caps: Credits per generation the run accepts, by model, for models without a
            published price (the estimate's ``at_most``; infinite without a cap).
        listing: What a batch's one LIST per folder found (``tasks/listing.py``): a key it
            proves absent is not read, an output it holds is not HEADed.

    Raises:
        InputError, InvalidName, pydantic.ValidationError: nothing was spent.

    Example:
        ```python
        plan = await plan_generation(spec, destination=bucket, prefix="renders", client=client)
        print(plan.describe(), plan.price)
        ```
    """
    now = (clock or (lambda: datetime.now(UTC)))()
    request = spec.validate_request()
    s3 = s3 or S3Reader(s3_client(destination))
    if content_ids is None:
        content_ids = await identify_inputs(spec, s3, policy=input_policy)
    key = generation_key(spec, base_url=client.base_url, content_ids=content_ids)
    location = OutputLocation.of(prefix=prefix, name=spec.name, key=key)
    priced = await estimate_spec(spec, request, s3, price_caps) if estimate else None
    ledger = SubmissionLedger(destination, location.ledger_folder)
    common: dict[str, Any] = {
        "spec": spec, "key": key, "location": location, "content_ids": content_ids,
        "estimate": priced, "max_attempts": max_attempts, "allow_resubmit": allow_resubmit,
    }  # fmt: skip

    if listing is not None and listing.absent(resolve_key(destination, location.sidecar_key)):
        sidecar = None
    else:
        sidecar = await read_sidecar(destination, location.sidecar_key)
    if sidecar is not None and sidecar.get("key") != key:
        taken = (
            f"name {location.name!r} already holds the output of another generation "
            f"({sidecar.get('key')}, {sidecar.get('output_uri')}); storing this one there "
            "would lose it. Choose another name"
        )
        return GenerationPlan(**common, step=Step(Action.NAME_TAKEN, 1), problem=taken)
    if sidecar is not None:
        problem = stored_object_problem(sidecar, await _head(destination, sidecar, 0, listing))
        if problem is None:
            problem = await _further_outputs_problem(destination, sidecar, listing)
        attempt = int(sidecar.get("attempt") or 1)
        if problem is None:
            return GenerationPlan(**common, step=Step(Action.STORED, attempt), sidecar=sidecar)
        return GenerationPlan(
            **common, step=Step(Action.RESTORE, attempt), sidecar=sidecar, problem=problem
        )

    holder = await ledger.name_holder(location.normalised_name, listing=listing)
    if holder is not None and holder.key != key:
        if not await name_is_replaceable(ledger, sidecar_reader(destination, location), holder):
            problem = (
                f"name {location.name!r} belongs to another generation ({holder.key}) that "
                "is in flight or stored; storing this one there would lose it. Choose "
                "another name"
            )
            return GenerationPlan(**common, step=Step(Action.NAME_TAKEN, 1), problem=problem)

    entries = list(await ledger.read_attempts(key, until=_MAX_ATTEMPTS_READ, listing=listing))
    wait = _claim_wait() if claim_wait is None else claim_wait

    def decide() -> Step:
        return next_step(
            entries, max_attempts=max_attempts, allow_resubmit=allow_resubmit, now=now,
            claim_wait=wait,
        )  # fmt: skip

    step = decide()
    if step.action is Action.REATTACH and step.entry is not None:
        looked = await _look_up_outcome(client, step.entry)
        if looked is not step.entry:
            entries[step.attempt - 1] = looked
            step = decide()
    return GenerationPlan(**common, step=step, entries=tuple(entries))
