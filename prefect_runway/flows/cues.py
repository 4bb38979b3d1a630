"""The storyboard's sounds over the cut: what each shot lays there, and reading the recordings.

A shot may carry a voice-over (a line, the voice that speaks it, a recording) and a sound effect
(a description, a level, a recording), each starting some seconds after the shot starts in the
cut. Today each comes from an existing *recording*: a WAV, MP3 or AAC file (FLAC and Ogg too) on
the machine that runs the flow or in S3. A recording is read under the same rule as every input
(:class:`~prefect_runway.tasks.allowed_inputs.InputPolicy`: allowed folders and buckets only,
never widened by a run's parameters) and checked by content, all before anything is submitted:
a storyboard whose sound cannot be mixed spends nothing. A recording is read again for the cut
itself, and checked again.

Example:
    ```python
    cues = params.cues()
    await check_recordings(cues, destination, policy)  # raises SoundRefused before any POST
    ```
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from prefect_aws import S3Bucket

from prefect_runway.flows.soundtrack import UnreadableSound, probe_sound
from prefect_runway.tasks.allowed_inputs import InputPolicy, open_checked
from prefect_runway.tasks.cost import RefusedBeforeSubmit
from prefect_runway.tasks.spec import InputError

__all__ = [
    "MAX_RECORDING_BYTES",
    "CuePlan",
    "SoundRefused",
    "check_recordings",
    "fetch_recordings",
    "read_recordings",
]

MAX_RECORDING_BYTES = 200 * 1024 * 1024
"""The largest recording read for the cut (about 20 minutes of CD-quality WAV)."""

Role = Literal["voice_over", "sound_effect"]

_WHAT: dict[Role, str] = {"voice_over": "voice-over", "sound_effect": "sound effect"}


@dataclass(frozen=True)
class CuePlan:
    """One sound a shot lays over the cut.

    Attributes:
        shot: The shot's number in the storyboard (from 1).
        shot_name: The shot's clip name.
        role: ``voice_over`` or ``sound_effect``.
        recording: The recording (a path or ``s3://`` URI). None: to be made from ``text``.
        field: The shot's field the recording is given in, for messages.
        text: The line spoken, or the sound described.
        voice: Who speaks the line (voice-overs).
        offset: Seconds after the shot starts in the cut.
        level_db: Its gain in dB.
    """

    shot: int
    shot_name: str
    role: Role
    recording: str | None
    field: str
    text: str | None
    voice: str | None
    offset: float
    level_db: float

    @property
    def label(self) -> str:
        """``shot 2 (keeper) voice-over``: how messages and the cut's summary name it."""
        return f"shot {self.shot} ({self.shot_name}) {_WHAT[self.role]}"


class SoundRefused(RefusedBeforeSubmit):
    """A recording for the cut cannot be read or is not audio: the storyboard is refused before
    anything is submitted, each problem named with its shot, field and value."""


def _copy_checked(path: Path, field: str, value: str, into: Path) -> None:
    # Copied through the checked descriptor (no final symlink, a regular file, not too large),
    # so what is mixed is what was checked even if the path is swapped afterwards.
    file, _ = open_checked(path, field, value, MAX_RECORDING_BYTES, what="the cut takes")
    with file, into.open("wb") as copy:
        shutil.copyfileobj(file, copy)


def _download(s3: Any, bucket: str, key: str, field: str, value: str, into: Path) -> None:
    try:
        size = int(s3.head_object(Bucket=bucket, Key=key).get("ContentLength", 0))
    except Exception as error:
        code = str(getattr(error, "response", {}).get("Error", {}).get("Code", "")) or "error"
        raise InputError(field, f"cannot read the S3 object ({code[:200]})", value=value) from None
    if size > MAX_RECORDING_BYTES:
        raise InputError(
            field,
            f"the object is {size} bytes; the cut takes at most {MAX_RECORDING_BYTES // 2**20} MB",
            value=value,
        )
    s3.download_file(bucket, key, str(into))


async def fetch_recording(
    cue: CuePlan, destination: S3Bucket, policy: InputPolicy, into: Path
) -> Path:
    """Read ``cue``'s recording into the file ``into`` and check that it is audio.

    Raises:
        InputError: not a path or ``s3://`` URI, outside the allowed folders or buckets,
            missing, too large, or not audio the cut takes.
    """
    value, field = cue.recording or "", cue.field
    if value[:5].lower() == "s3://":
        bucket, key = policy.s3_object(field, value)
        s3 = destination.credentials.get_s3_client()
        await asyncio.to_thread(_download, s3, bucket, key, field, value, into)
    elif "://" in value or value[:5].lower() == "data:":
        raise InputError(
            field,
            "the cut reads recordings from a path on the machine that runs the flow or an "
            "s3:// object, not a link or a data URI",
            value=value,
        )
    else:
        path = policy.local_file(field, value)
        await asyncio.to_thread(_copy_checked, path, field, value, into)
    try:
        await asyncio.to_thread(probe_sound, into)
    except UnreadableSound as error:
        raise InputError(field, str(error), value=value) from None
    return into


async def read_recordings(
    cues: Sequence[CuePlan], destination: S3Bucket, policy: InputPolicy, folder: Path
) -> tuple[dict[int, Path], dict[int, str]]:
    """Every cue's recording read into ``folder``, and what is wrong with those that cannot be,
    both by the cue's index in ``cues``.

    Cues without a recording (to be made from their text) are in neither.
    """
    found: dict[int, Path] = {}
    problems: dict[int, str] = {}
    for index, cue in enumerate(cues):
        if cue.recording is None:
            continue
        try:
            found[index] = await fetch_recording(
                cue, destination, policy, folder / f"cue-{index:03d}.audio"
            )
        except InputError as error:
            problems[index] = str(error)
    return found, problems


async def fetch_recordings(
    cues: Sequence[CuePlan], destination: S3Bucket, policy: InputPolicy, folder: Path
) -> dict[int, Path]:
    """Every cue's recording read into ``folder``, by the cue's index in ``cues``.

    Cues without a recording (to be made from their text) are left out.

    Raises:
        SoundRefused: any recording cannot be used; the message names each one.
    """
    found, problems = await read_recordings(cues, destination, policy, folder)
    if problems:
        named = "; ".join(f"{cues[index].label}: {problem}" for index, problem in problems.items())
        raise SoundRefused(
            f"{len(problems)} sound(s) for the cut cannot be used, so nothing was submitted: "
            + named
        )
    return found


async def check_recordings(
    cues: Sequence[CuePlan], destination: S3Bucket, policy: InputPolicy
) -> None:
    """Read and check every cue's recording before anything is submitted (then forget them).

    Raises:
        SoundRefused: any recording cannot be used.
    """
    if not any(cue.recording is not None for cue in cues):
        return
    with tempfile.TemporaryDirectory(prefix="runway-sound-") as folder:
        await fetch_recordings(cues, destination, policy, Path(folder))
