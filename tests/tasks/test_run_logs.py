"""This package's INFO lines reach the run's logs in the Prefect API, with no setting at all.

Prefect 3.8 leaves an extra logger at WARNING (``PREFECT_LOGGING_EXTRA_LOGGERS`` only adds a
handler), so without ``send_package_logs_to_runs`` an INFO line of ``prefect_runway.*`` never
reaches the run. The flows call it when they start (``ends_cleanly``); so does ``generate``.
"""

from __future__ import annotations

import logging
import uuid
import warnings
from collections.abc import Iterator

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
from prefect.logging.handlers import APILogHandler

from prefect_runway.flows.user_errors import ends_cleanly
from prefect_runway.tasks.run_logs import PACKAGE_LOGGER, RunLogHandler


@pytest.fixture
def fresh_package_logger() -> Iterator[logging.Logger]:
    """Our logger as a new process has it: no level, no handler; restored afterwards."""
    ours = logging.getLogger(PACKAGE_LOGGER)
    level, handlers = ours.level, list(ours.handlers)
    ours.setLevel(logging.NOTSET)
    for handler in handlers:
        ours.removeHandler(handler)
    yield ours
    for handler in list(ours.handlers):
        ours.removeHandler(handler)
    for handler in handlers:
        ours.addHandler(handler)
    ours.setLevel(level)


async def test_an_info_line_of_ours_reaches_the_flow_runs_logs(
    prefect_harness: str, fresh_package_logger: logging.Logger
) -> None:
    marker = f"submitted as Runway task {uuid.uuid4()}"

    @flow
    @ends_cleanly
    async def a_flow_of_ours() -> None:
        logging.getLogger("prefect_runway.tasks.submit").info(marker)

    state = await a_flow_of_ours(return_state=True)
    await APILogHandler.aflush()
    async with get_client() as prefect:
        logs = await prefect.read_logs(
            LogFilter(flow_run_id=LogFilterFlowRunId(any_=[state.state_details.flow_run_id]))
        )
    ours = [log for log in logs if log.message == marker]
    assert len(ours) == 1, [log.message for log in logs]
    assert ours[0].name == "prefect_runway.tasks.submit" and ours[0].level == logging.INFO
    assert sum(isinstance(h, APILogHandler) for h in fresh_package_logger.handlers) == 1

    # Outside any run, a line of ours goes nowhere near the API, and Prefect does not warn.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        logging.getLogger("prefect_runway.api.client").info("after the run")


def test_a_level_the_user_set_is_left_alone(fresh_package_logger: logging.Logger) -> None:
    from prefect_runway.tasks.run_logs import send_package_logs_to_runs

    fresh_package_logger.setLevel(logging.WARNING)
    send_package_logs_to_runs()
    send_package_logs_to_runs()
    assert fresh_package_logger.level == logging.WARNING
    assert [type(h) for h in fresh_package_logger.handlers] == [RunLogHandler]
