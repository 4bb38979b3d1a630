"""The flow tests' fixtures (saved blocks, captured events), for the batch runs here."""

from tests.flows.conftest import captured_events, saved_blocks

__all__ = ["captured_events", "saved_blocks"]
