"""The flow tests' saved blocks, for the batch runs here."""

from tests.flows.conftest import saved_blocks

__all__ = ["saved_blocks"]
