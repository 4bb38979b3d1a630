"""Prefect tasks for one generation's life (prepare inputs, submit, wait, store) and ``generate``.

``generate`` is the one entry flows call; it is a plain async function whose steps are tasks.
"""

from prefect_runway.tasks.generate import GenerationFailed, GenerationResult, generate
from prefect_runway.tasks.spec import GenerationSpec

__all__ = ["GenerationFailed", "GenerationResult", "GenerationSpec", "generate"]
