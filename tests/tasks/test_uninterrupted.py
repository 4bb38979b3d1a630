"""A clean-up cancelled a second time still runs to its end (``tasks/_uninterrupted.py``)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import anyio
import pytest
from prefect.filesystems import LocalFileSystem

from prefect_runway.api import Gen4TurboImageToVideo, RunwayClient, Task, TaskStatus, WaitPolicy
from prefect_runway.tasks._uninterrupted import uninterrupted
from prefect_runway.tasks.ledger import SubmissionLedger
from prefect_runway.tasks.submit import submit_once
from prefect_runway.tasks.wait import Attachment, wait_with_cancellation
from prefect_runway.testing.emulator import RunwayEmulator
from tests.media_samples import png_data_uri

REQUEST = Gen4TurboImageToVideo(prompt_image=png_data_uri(), ratio="960:960", duration=2)


async def _cancel_twice(task: asyncio.Task[object], second_when: asyncio.Event) -> None:
    """Cancel ``task``, and again once its clean-up is under way (``second_when``)."""
    task.cancel()
    await second_when.wait()
    task.cancel()


async def test_the_work_ends_and_the_cancellation_is_raised_after() -> None:
    started, release, log = asyncio.Event(), asyncio.Event(), []

    async def clean_up() -> str:
        started.set()
        await release.wait()
        log.append("cleaned")
        return "done"

    async def caller() -> str:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            with anyio.CancelScope(shield=True):
                return await uninterrupted(clean_up())
        raise AssertionError("not cancelled")

    task = asyncio.ensure_future(caller())
    await asyncio.sleep(0)
    await _cancel_twice(task, started)
    await asyncio.sleep(0.05)
    assert log == []  # still waiting for its release, cancelled twice
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert log == ["cleaned"]


async def test_without_a_cancellation_it_returns_or_raises_what_the_work_did() -> None:
    async def value() -> int:
        return 7

    async def broken() -> int:
        raise ValueError("the work's own error")

    assert await uninterrupted(value()) == 7
    with pytest.raises(ValueError, match="the work's own error"):
        await uninterrupted(broken())


class _SlowCancellation:
    """The run is being cancelled; the state read before the DELETE takes until released."""

    def __init__(self) -> None:
        self.asked, self.release = asyncio.Event(), asyncio.Event()

    async def is_cancelling(self, *, fresh: bool = False) -> bool:
        if fresh:
            self.asked.set()
            await self.release.wait()
        return fresh  # the periodic checks see nothing: only the interruption asks


async def test_a_wait_cancelled_twice_while_deciding_still_deletes_its_task(
    client: RunwayClient, emulator: RunwayEmulator, tmp_path: Path
) -> None:
    # The user's cancellation stops the wait; while it reads the run's state before the
    # DELETE, the run's teardown cancels it again (a plain Task.cancel(), which anyio's
    # shielded scope does not stop). The paid task must still be DELETEd and recorded.
    emulator.configure(run_seconds=3600)
    ledger = SubmissionLedger(LocalFileSystem(basepath=str(tmp_path / "ledger")))
    submitted = await submit_once(REQUEST, key="k-1", client=client, ledger=ledger, run="a")
    cancellation, running = _SlowCancellation(), asyncio.Event()

    async def on_update(task: Task) -> None:
        if task.status is TaskStatus.RUNNING:
            running.set()

    waiting = asyncio.ensure_future(
        wait_with_cancellation(
            client, submitted.task_id, WaitPolicy(poll_interval=0.05),
            cancellation=cancellation, on_update=on_update,
            attachment=Attachment(ledger, "k-1", submitted.task_id, "a"),
        )
    )  # fmt: skip
    await running.wait()
    await _cancel_twice(waiting, cancellation.asked)
    cancellation.release.set()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert submitted.task_id in emulator.stats()["deleted_task_ids"]
    entry = await ledger.read("k-1")
    assert entry is not None and entry.state == "cancelled", entry


async def test_a_clean_up_that_never_ends_is_given_up_after_its_grace(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # An API that stopped answering while its client retries: the shutdown of a worker (or of
    # a test session's event loop) must not wait for it forever.
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def endless() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def caller() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            with anyio.CancelScope(shield=True):
                await uninterrupted(endless(), grace=0.2)

    task = asyncio.ensure_future(caller())
    await asyncio.sleep(0)
    await _cancel_twice(task, started)
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=30)
    assert cancelled.is_set()  # the clean-up itself was cancelled, not left behind
    assert "still running" in caplog.text


async def test_the_grace_counts_from_the_first_cancellation_only() -> None:
    # Without a cancellation a long clean-up is simply awaited: the grace does not apply.
    async def slow() -> str:
        await asyncio.sleep(0.3)
        return "done"

    assert await uninterrupted(slow(), grace=0.01) == "done"
