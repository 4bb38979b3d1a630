"""The offline demo: a storyboard made end to end with no network and no configuration.

It starts the Runway emulator on loopback, moto's S3 server in a child process and a temporary
Prefect server, saves the two blocks (the RunwayCredentials block allows the samples' folder as
an input root: flows read local inputs only inside allowed folders), writes the sample inputs
(stills and an Act-Two performance, made on the fly by ``prefect_runway.testing.samples``)
into the output folder's ``inputs/``, then runs the storyboard flow: its first shot is made
from words alone (a still, then the clip) under a generated voice-over, the last has a
generated sound effect. It prints where the clips, the
cut and ``storyboard.json`` are in S3 and copies them, with the thumbnails, to a local folder.

    python3 dev.py demo [--out DIR]
    python -m prefect_runway.demo [--out DIR]   # from a plain `pip install prefect-runway[testing]`

``dev.py`` gives it a Prefect home of its own (a temporary directory), so nothing of the user's
Prefect (profiles, settings, local result storage) is read or written;
``python -m prefect_runway.demo`` alone runs under the current Prefect settings.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from pathlib import Path

from pydantic import SecretStr

from prefect_runway.blocks import RunwayCredentials
from prefect_runway.flows.storyboard import (
    CloseUp,
    Scene,
    StoryboardParams,
    StoryboardResult,
    storyboard,
)
from prefect_runway.testing.emulator import EmulatorConfig, RunwayEmulator
from prefect_runway.testing.s3 import MotoServer
from prefect_runway.testing.samples import write_samples

__all__ = ["demo_storyboard", "run_demo"]

logger = logging.getLogger(__name__)


def demo_storyboard(
    destination_block: str, credentials_block: str, samples: Path
) -> StoryboardParams:
    """The demo's storyboard: the coast from words alone (a still, then the clip) under a
    voice-over, the keeper's close-up, the harbour with gulls, from ``samples``."""
    return StoryboardParams(
        title="lighthouse",
        shots=[
            Scene(
                # No image: text-to-image makes the still, image-to-video animates it.
                camera_movement="Slow aerial push in",
                establishing_scene="a lighthouse on a cliff above the sea at dusk",
                additional_details="waves break on the rocks, the lamp begins to turn",
                duration=5,
                name="coast",
                voice_over="For forty years the light has turned.",
                voice="Bernard",
                voice_over_start=0.5,
            ),
            CloseUp(
                character=str(samples / "keeper.png"),
                reference=str(samples / "keeper-take.mp4"),
                expression_intensity=4,
                ratio="960:960",
                name="keeper",
            ),
            Scene(
                image=str(samples / "harbour.png"),
                prompt_text="Static wide shot: the harbour at first light. Boats rock gently.",
                duration=3,
                name="harbour",
                sound_effect="gulls cry over lapping water",
                sound_effect_start=0.5,
            ),
        ],
        frame_size="1280:720",
        destination_block=destination_block,
        credentials_block=credentials_block,
        prefix="demo",
        # Runway asks for polls >= 5 s apart; the emulator renders in seconds.
        poll_interval=0.5,
    )


def _download_all(s3: MotoServer, result: StoryboardResult, output_dir: Path) -> list[Path]:
    client = s3.credentials().get_s3_client()
    uris = [shot.s3_uri for shot in result.shots]
    uris += [shot.still_uri for shot in result.shots]
    uris += [shot.thumbnail_uri for shot in result.shots]
    uris += [shot.still_thumbnail_uri for shot in result.shots]
    uris += [sound.recording for sound in result.sounds]
    uris += [result.cut_uri, result.cut_thumbnail_uri, result.storyboard_uri]
    written = []
    for uri in uris:
        if not uri:
            continue
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        target = output_dir / ("thumbnails" if "/thumbnails/" in key else "") / Path(key).name
        target.parent.mkdir(parents=True, exist_ok=True)
        client.download_file(bucket, key, str(target))
        written.append(target)
    return written


# Timings a person can watch: a short queue, a few seconds of "rendering".
DEMO_EMULATOR = EmulatorConfig(queue_seconds=0.5, run_seconds=3.0, frame_width=640)


async def run_demo(
    output_dir: Path, s3: MotoServer, config: EmulatorConfig = DEMO_EMULATOR
) -> tuple[StoryboardResult, list[Path]]:
    """Run the storyboard against a fresh emulator and ``s3``; copy its objects to ``output_dir``.

    Needs a Prefect API (``main`` starts a temporary one; tests use theirs).
    """
    with RunwayEmulator(config) as emulator:
        logger.info("Runway emulator at %s, S3 (moto) at %s", emulator.base_url, s3.endpoint_url)
        bucket = s3.new_bucket(folder="renders", stem="demo")
        await bucket.asave("demo-renders", overwrite=True)
        samples = output_dir.resolve() / "inputs"
        # Runs read local inputs only inside allowed folders: the block allows the samples'.
        await RunwayCredentials(
            api_key=SecretStr(emulator.api_key),
            base_url=emulator.base_url,
            input_roots=[str(samples)],
        ).asave("demo-runway", overwrite=True)
        await asyncio.to_thread(write_samples, samples)
        result = await storyboard(demo_storyboard("demo-renders", "demo-runway", samples))
    paths = await asyncio.to_thread(_download_all, s3, result, output_dir)
    return result, paths


def _report(result: StoryboardResult, paths: list[Path], output_dir: Path) -> None:
    print(f"\nStoryboard '{result.title}': {len(result.shots)} shots, {result.credits:g} credits")
    for shot in result.shots:
        print(f"  {shot.number}. {shot.name:<8} {shot.model or '-':<10} {shot.s3_uri}")
        if shot.still_uri:
            print(f"     made from words: its still {shot.still_uri}")
    for sound in result.sounds:
        what = "voice-over" if sound.role == "voice_over" else "sound effect"
        print(f"  {what} of shot {sound.shot} ({sound.status}): {sound.recording}")
    print(f"  cut ({result.cut_seconds:.1f} s, {result.frame_size}): {result.cut_uri}")
    print(f"  storyboard: {result.storyboard_uri}")
    print(f"\nCopied to {output_dir.resolve()}:")
    for path in paths:
        print(f"  {path.resolve()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("demo-output"), help="output folder")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    for noisy in ("httpx", "uvicorn", "uvicorn.access", "uvicorn.error", "botocore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # A temporary Prefect server with its own database: nothing of the user's Prefect is used.
    from prefect.testing.utilities import prefect_test_harness

    print("Starting the Runway emulator, a local S3 and a temporary Prefect server...")
    with MotoServer() as s3, prefect_test_harness(server_startup_timeout=120):
        result, paths = asyncio.run(run_demo(args.out, s3))
    _report(result, paths, args.out)


if __name__ == "__main__":
    main()
