"""Which task failure codes are worth a new attempt (runway-api.md §5.3, DESIGN.md).

A new attempt is a new paid generation, so only failures that say nothing about the request
itself are retryable. An unknown code is not: paying again for a failure nobody understands
breaks the promise that nothing is spent on a request that could not succeed.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["FailureClass", "classify_failure_code", "is_retryable_failure"]


class FailureClass(StrEnum):
    """What a failed task says about trying again."""

    RETRYABLE = "retryable"
    """Runway's side failed (internal error, a provider down): a new attempt may succeed."""

    CONTENT = "content"
    """Moderation refused an input or the output: the same request will fail again."""

    INVALID_INPUT = "invalid_input"
    """An input does not meet the model's rules: fix the input."""

    UNKNOWN = "unknown"
    """A code this package does not know: not retried."""


_RETRYABLE_EXACT = frozenset({"INPUT_PREPROCESSING.INTERNAL", "THIRD_PARTY.UNAVAILABLE"})


def classify_failure_code(code: str | None) -> FailureClass:
    """Classify a ``failureCode``.

    Example:
        >>> classify_failure_code("SAFETY.INPUT.IMAGE")
        <FailureClass.CONTENT: 'content'>
        >>> classify_failure_code("INTERNAL.BAD_OUTPUT.CODE01")
        <FailureClass.RETRYABLE: 'retryable'>
    """
    if not code:
        # Runway gives no code for some failures; the usual advice is to retry after a delay.
        return FailureClass.RETRYABLE
    if code.startswith(("SAFETY.", "INPUT_PREPROCESSING.SAFETY")) or code == "SAFETY":
        return FailureClass.CONTENT
    if code == "ASSET.INVALID" or code.startswith("ASSET."):
        return FailureClass.INVALID_INPUT
    if code == "INTERNAL" or code.startswith("INTERNAL.") or code in _RETRYABLE_EXACT:
        return FailureClass.RETRYABLE
    return FailureClass.UNKNOWN


def is_retryable_failure(code: str | None) -> bool:
    """Whether a task that failed with ``code`` is worth a new (paid) attempt."""
    return classify_failure_code(code) is FailureClass.RETRYABLE
