"""The fault plan: scripted and seeded-random misbehaviour for the client's failure matrix.

A :class:`FaultPlan` holds ordered scripted rules (:class:`Fault`) and optional
:class:`RandomFaults`. For each request the server asks :meth:`FaultInjector.pick` once, with
the request's operation and names; scripted rules are tried first, in order, then the random
rates.

Operations and the names ``endpoint`` can narrow them to:

=============  =========================================================  ===================
operation      requests                                                   ``endpoint`` names
=============  =========================================================  ===================
create         ``POST /v1/image_to_video``, ``/v1/character_performance``  the endpoint
                                                                          (``image_to_video``,
                                                                          ``character_performance``)
                                                                          or the model
poll           ``GET /v1/tasks/{id}``                                     ``tasks``
delete         ``DELETE /v1/tasks/{id}``                                  ``tasks``
download       ``GET``/``HEAD`` of an output link                         ``outputs``
upload         ``POST /v1/uploads`` and the upload URL's ``POST``         ``uploads``, ``storage``
organization   ``GET /v1/organization``, ``POST /v1/organization/usage``  ``organization``,
                                                                          ``usage``
task           a newly created task (decides how it ends)                 endpoint or model
=============  =========================================================  ===================

In CometAPI mode the same operations apply to the ``/runwayml/v1/...`` routes, and a ``poll``
``not_found`` answers the proxy's 400 ``task_not_exist``.

Kinds: ``status`` (answer that status with ``{"error": ...}`` and do nothing else),
``reset_before`` (drop the connection with a TCP RST before processing), ``reset_after``
(process fully, then RST instead of answering), ``slow`` (process, wait ``delay`` seconds,
answer), ``not_found`` (answer 404 although the resource exists), ``truncate`` (download:
full Content-Length, half the body, then close), ``ignore_range`` (download: 200 with the
whole body to a Range request), ``expire_link`` (download: 403 as if the link had expired),
``fail`` (operation ``task``: the task ends FAILED with ``failure_code``/``failure``).

Counting: a scripted rule counts the requests that match it; the first ``skip`` pass through,
the next ``times`` get the fault, then the rule is spent. Rules are tried in order and a
request taken by one rule is not seen by the rules after it.

Random key format (:class:`RandomFaults` ``rates``): ``"<operation>:<kind>[:<arg>]"`` where
``arg`` is the HTTP status for ``status`` (required, e.g. ``"create:status:503"``), the
failure code for ``fail`` (``"task:fail:INTERNAL.BAD_OUTPUT.CODE01"``; ``"task:fail"`` fails
with no code) and the delay in seconds for ``slow`` (``"poll:slow:1.5"``, default 1 s). Other
kinds take no arg. For every request, one draw is made per key of its operation, in sorted key
order, whether or not an earlier key hit, so the same sequence of requests with the same seed
meets the same faults. The first hit (in sorted key order) applies.

Injected faults are counted by ``"<operation>:<kind>"`` plus ``":<status>"`` for ``status``.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "KINDS_BY_OPERATION",
    "Fault",
    "FaultInjector",
    "FaultKind",
    "FaultPlan",
    "Operation",
    "RandomFaults",
    "default_failure",
    "parse_random_key",
]

Operation = Literal["create", "poll", "delete", "download", "upload", "organization", "task"]
FaultKind = Literal[
    "status",
    "reset_before",
    "reset_after",
    "slow",
    "truncate",
    "not_found",
    "ignore_range",
    "expire_link",
    "fail",
]

_HTTP_KINDS = frozenset({"status", "reset_before", "reset_after", "slow"})

#: Which kinds make sense for which operation; anything else is refused when the plan is built.
KINDS_BY_OPERATION: dict[str, frozenset[str]] = {
    "create": _HTTP_KINDS,
    "poll": _HTTP_KINDS | {"not_found"},
    "delete": _HTTP_KINDS | {"not_found"},
    "download": _HTTP_KINDS | {"not_found", "truncate", "ignore_range", "expire_link"},
    "upload": _HTTP_KINDS,
    "organization": _HTTP_KINDS,
    "task": frozenset({"fail"}),
}


def default_failure(code: str | None) -> str:
    """Return a human-friendly failure message like Runway's for a failure code."""
    if code is None:
        return "An unexpected error occurred."
    if code.startswith(("SAFETY.INPUT", "INPUT_PREPROCESSING.SAFETY")):
        return "The input did not pass content moderation."
    if code.startswith("SAFETY"):
        return "The output did not pass content moderation."
    if code == "ASSET.INVALID":
        return "An input asset is invalid or could not be processed."
    if code == "THIRD_PARTY.UNAVAILABLE":
        return "A third-party model provider is unavailable."
    return "An internal error occurred while generating."


class Fault(BaseModel):
    """One scripted misbehaviour.

    Attributes:
        operation: Which requests it applies to (see the module docstring).
        kind: What goes wrong.
        endpoint: Narrows the operation to one endpoint (or, for create/task, one model).
        status: For ``kind="status"``: the HTTP status to answer (400-599).
        retry_after: Adds ``Retry-After`` (seconds) and ``retry-after-ms`` to a status fault.
        delay: For ``kind="slow"``: seconds to wait before answering.
        failure_code: For ``kind="fail"``: the task's ``failureCode`` (None = no code).
        failure: For ``kind="fail"``: the task's ``failure`` text (default: by code).
        skip: Matching requests let through before the fault applies.
        times: Matching requests the fault applies to, after which the rule is spent.
    """

    model_config = ConfigDict(extra="forbid")

    operation: Operation
    kind: FaultKind
    endpoint: str | None = None
    status: int | None = Field(default=None, ge=400, le=599)
    retry_after: float | None = Field(default=None, ge=0)
    delay: float = Field(default=0.0, ge=0)
    failure_code: str | None = None
    failure: str | None = None
    skip: int = Field(default=0, ge=0)
    times: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _check_combination(self) -> Fault:
        allowed = KINDS_BY_OPERATION[self.operation]
        if self.kind not in allowed:
            raise ValueError(
                f"kind {self.kind!r} does not apply to operation {self.operation!r}; "
                f"allowed: {sorted(allowed)}"
            )
        if self.kind == "status" and self.status is None:
            raise ValueError("kind 'status' needs a status")
        if self.kind != "status" and (self.status is not None or self.retry_after is not None):
            raise ValueError("status and retry_after only apply to kind 'status'")
        if self.kind != "fail" and (self.failure_code is not None or self.failure is not None):
            raise ValueError("failure_code and failure only apply to kind 'fail'")
        return self

    @property
    def label(self) -> str:
        """The key this fault is counted under in ``faults_injected``."""
        if self.kind == "status":
            return f"{self.operation}:{self.kind}:{self.status}"
        return f"{self.operation}:{self.kind}"

    def failure_text(self) -> str:
        """The ``failure`` message of a ``fail`` fault."""
        return self.failure if self.failure is not None else default_failure(self.failure_code)


def parse_random_key(key: str) -> Fault:
    """Turn a random-rate key such as ``"create:status:503"`` into the fault it injects.

    Raises:
        ValueError: The key is malformed or names an impossible combination.
    """
    operation, _, rest = key.partition(":")
    kind, _, arg = rest.partition(":")
    if operation not in get_args(Operation):
        raise ValueError(f"{key!r}: unknown operation {operation!r}")
    if kind not in get_args(FaultKind):
        raise ValueError(f"{key!r}: unknown kind {kind!r}")
    try:
        if kind == "status":
            if not arg.isdigit():
                raise ValueError(f"{key!r}: a status fault needs a numeric status")
            return Fault(operation=operation, kind="status", status=int(arg))
        if kind == "fail":
            return Fault(operation=operation, kind="fail", failure_code=arg or None)
        if kind == "slow":
            return Fault(operation=operation, kind="slow", delay=float(arg) if arg else 1.0)
        if arg:
            raise ValueError(f"{key!r}: kind {kind!r} takes no argument")
        return Fault(operation=operation, kind=kind)
    except ValueError as error:
        raise ValueError(f"{key!r}: {error}") from None


class RandomFaults(BaseModel):
    """Faults drawn at random with a fixed seed.

    Attributes:
        seed: Seed of the generator; the same seed and request sequence give the same faults.
        rates: Probability (0-1) per key ``"<operation>:<kind>[:<arg>]"``.
    """

    model_config = ConfigDict(extra="forbid")

    seed: int
    rates: dict[str, float] = Field(default_factory=dict)

    @field_validator("rates")
    @classmethod
    def _check_rates(cls, rates: dict[str, float]) -> dict[str, float]:
        for key, rate in rates.items():
            parse_random_key(key)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"rate of {key!r} must be within 0..1, got {rate}")
        return rates


class FaultPlan(BaseModel):
    """Scripted rules (tried first, in order) and optional random faults."""

    model_config = ConfigDict(extra="forbid")

    rules: list[Fault] = Field(default_factory=list)
    random: RandomFaults | None = None


class _RuleState:
    """A scripted rule with its counters."""

    __slots__ = ("fault", "fired", "seen")

    def __init__(self, fault: Fault) -> None:
        self.fault = fault
        self.seen = 0
        self.fired = 0

    @property
    def spent(self) -> bool:
        return self.fired >= self.fault.times


class FaultInjector:
    """Applies a :class:`FaultPlan` to the stream of requests and counts what it injected.

    Not thread-safe: the server calls it from its event loop only.
    """

    def __init__(self, plan: FaultPlan | None = None) -> None:
        self.injected: Counter[str] = Counter()
        self.set_plan(plan or FaultPlan())

    def set_plan(self, plan: FaultPlan) -> None:
        """Replace the plan; counters of the old rules are dropped, ``injected`` is kept."""
        self.plan = plan
        self._rules = [_RuleState(rule) for rule in plan.rules]
        self._random: list[tuple[str, float, Fault]] = []
        self._rng: random.Random | None = None
        if plan.random is not None:
            # Seeded, independent of the global generator, so runs are reproducible.
            self._rng = random.Random(plan.random.seed)
            self._random = [
                (key, rate, parse_random_key(key))
                for key, rate in sorted(plan.random.rates.items())
            ]

    def reset(self) -> None:
        """Forget the plan and the counts."""
        self.injected.clear()
        self.set_plan(FaultPlan())

    def pick(self, operation: str, *names: str) -> Fault | None:
        """Decide whether this request meets a fault, and count it if so.

        Args:
            operation: The request's operation.
            *names: The names ``Fault.endpoint`` may narrow to (endpoint, model).

        Returns:
            The fault to apply, or None.
        """
        for rule in self._rules:
            fault = rule.fault
            if rule.spent or fault.operation != operation:
                continue
            if fault.endpoint is not None and fault.endpoint not in names:
                continue
            rule.seen += 1
            if rule.seen > fault.skip:
                rule.fired += 1
                self.injected[fault.label] += 1
                return fault
        if self._rng is not None:
            hit: Fault | None = None
            for _key, rate, fault in self._random:
                if fault.operation != operation:
                    continue
                # Draw for every key even after a hit: the sequence of draws then depends only
                # on the sequence of requests, which keeps a seed reproducible.
                if self._rng.random() < rate and hit is None:
                    hit = fault
            if hit is not None:
                self.injected[hit.label] += 1
                return hit
        return None
