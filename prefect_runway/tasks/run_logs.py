"""This package's log lines in the Prefect run's logs, whatever the worker's settings.

``PREFECT_LOGGING_EXTRA_LOGGERS=prefect_runway`` gives our loggers Prefect's API handler but
leaves their level alone, so they inherit the root logger's WARNING and every INFO line (the
Runway task id at submit, "reattaching", "already stored", retries, fresh links) is dropped
before any handler sees it; without the variable, no record reaches the run's logs at all. An
environment variable cannot set a logger's level, so the flows and ``generate`` call
``send_package_logs_to_runs`` when they start: the ``prefect_runway`` logger gets Prefect's
level (``PREFECT_LOGGING_LEVEL``, INFO by default) and Prefect's API handler, once (unless the
variable gave it one already). Records still propagate to the root logger, so a script's console
shows them as before.
"""

from __future__ import annotations

import logging

from prefect.context import FlowRunContext, TaskRunContext
from prefect.logging.handlers import APILogHandler

__all__ = ["PACKAGE_LOGGER", "RunLogHandler", "send_package_logs_to_runs"]

PACKAGE_LOGGER = "prefect_runway"


class RunLogHandler(APILogHandler):
    """Prefect's API log handler, for records made inside a flow or task run only.

    Outside a run (the client used after a flow returned, a script's own code) there is no run
    to attach a line to, and Prefect's handler would warn about each one instead.
    """

    def emit(self, record: logging.LogRecord) -> None:
        in_run = getattr(record, "flow_run_id", None) or getattr(record, "task_run_id", None)
        if in_run or FlowRunContext.get() is not None or TaskRunContext.get() is not None:
            super().emit(record)


def send_package_logs_to_runs() -> None:
    """Give the ``prefect_runway`` logger Prefect's level and API handler (idempotent).

    A level the user set on it (anything but NOTSET) is left alone.

    Example:
        ```python
        from prefect import flow
        from prefect_runway.tasks.run_logs import send_package_logs_to_runs

        @flow
        async def my_flow() -> None:
            send_package_logs_to_runs()  # generate() and our flows do this themselves
        ```
    """
    ours = logging.getLogger(PACKAGE_LOGGER)
    if ours.level == logging.NOTSET:
        # Prefect's template for its extra loggers carries PREFECT_LOGGING_LEVEL.
        ours.setLevel(logging.getLogger("prefect.extra").level or logging.INFO)
    if not any(isinstance(handler, APILogHandler) for handler in ours.handlers):
        ours.addHandler(RunLogHandler())
