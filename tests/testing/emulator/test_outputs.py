"""Output links: playable MP4s from the input, HEAD, Range, expiry, big pseudo-random outputs."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import numpy as np
import pytest

from prefect_runway.testing.emulator import RunwayEmulator
from tests.testing.emulator.conftest import MakeEmulator
from tests.testing.emulator.support import (
    act_two_body,
    client,
    data_uri,
    decode_video,
    i2v_body,
    mp4_bytes,
    wait_for,
    wait_status,
)


def _png_of(color: tuple[int, int, int], width: int = 80, height: int = 60) -> bytes:
    import av

    picture = np.zeros((height, width, 3), dtype=np.uint8)
    picture[:, :] = color
    codec = av.CodecContext.create("png", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "rgb24"
    frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
    return b"".join(bytes(p) for p in [*codec.encode(frame), *codec.encode(None)])


def _frames(data: bytes) -> list[np.ndarray[Any, Any]]:
    import io

    import av

    with av.open(io.BytesIO(data), mode="r") as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def _succeed(http: httpx.Client, path: str, body: dict[str, Any]) -> tuple[str, str]:
    created = http.post(path, json=body)
    assert created.status_code == 200, created.text
    task_id = created.json()["id"]
    return task_id, wait_status(http, task_id, "SUCCEEDED")["output"][0]


@pytest.mark.parametrize(
    ("model", "ratio", "duration", "size"),
    [
        ("gen4_turbo", "1280:720", 3, (192, 108)),
        ("gen4.5", "720:1280", 2, (192, 342)),
        ("gen4_turbo", "1584:672", 2, (192, 82)),
        ("veo3.1_fast", "1080:1920", 4, (192, 342)),
    ],
)
def test_output_is_a_playable_mp4_of_the_requested_shape_and_length(
    runway_emulator: RunwayEmulator,
    http: httpx.Client,
    model: str,
    ratio: str,
    duration: int,
    size: tuple[int, int],
) -> None:
    task_id, link = _succeed(
        http, "/v1/image_to_video", i2v_body(model, ratio=ratio, duration=duration)
    )
    response = httpx.get(link)
    assert response.status_code == 200
    assert response.headers["content-type"] == "video/mp4"
    assert int(response.headers["content-length"]) == len(response.content)
    width, height, frames, seconds = decode_video(response.content)
    assert (width, height) == size
    assert frames == duration * 12
    assert seconds == pytest.approx(duration)
    record = runway_emulator.task(task_id)
    assert record["outputs"] == [
        {
            "index": 0,
            "sha256": hashlib.sha256(response.content).hexdigest(),
            "size": len(response.content),
            "content_type": "video/mp4",
        }
    ]
    stats = runway_emulator.stats()
    assert stats["downloads"] == 1
    assert stats["download_bytes"] == len(response.content)


def test_the_video_shows_the_input_picture_and_moves(http: httpx.Client) -> None:
    red = data_uri("image/png", _png_of((220, 20, 20)))
    blue = data_uri("image/png", _png_of((20, 20, 220)))
    body = i2v_body(
        "veo3.1",
        duration=4,
        promptImage=[{"uri": red, "position": "first"}, {"uri": blue, "position": "last"}],
    )
    _, link = _succeed(http, "/v1/image_to_video", body)
    frames = _frames(httpx.get(link).content)
    first = frames[0].reshape(-1, 3).mean(axis=0)
    last = frames[-1].reshape(-1, 3).mean(axis=0)
    assert first[0] > 150 > first[2]  # starts red
    assert last[2] > 150 > last[0]  # crossfades to the last frame: blue
    assert not np.array_equal(frames[0], frames[len(frames) // 2])


def _two_band_png(top: tuple[int, int, int], bottom: tuple[int, int, int]) -> bytes:
    import av

    picture = np.zeros((120, 160, 3), dtype=np.uint8)
    picture[:60], picture[60:] = top, bottom
    codec = av.CodecContext.create("png", "w")
    codec.width, codec.height, codec.pix_fmt = 160, 120, "rgb24"
    frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
    return b"".join(bytes(p) for p in [*codec.encode(frame), *codec.encode(None)])


@pytest.mark.parametrize(
    ("path", "body", "size"),
    [
        ("/v1/image_to_video", i2v_body(ratio="1280:720", duration=2), (640, 360)),
        ("/v1/character_performance", act_two_body(ratio="960:960"), (640, 640)),
    ],
    ids=["gen4_turbo-640x360", "act_two-640x640"],
)
def test_the_bottom_rows_show_the_input_picture(
    make_emulator: MakeEmulator, path: str, body: dict[str, Any], size: tuple[int, int]
) -> None:
    """Nothing is drawn over the picture: the last rows of every frame are the input's colour.

    (A progress bar used to paint a white line along the bottom edge.) The input's lower half
    is blue and its upper half red; the zoom keeps the frame's bottom edge in the lower half.
    """
    emu = make_emulator(frame_width=640, fps=6)
    bottom = (40, 90, 160)
    uri = data_uri("image/png", _two_band_png((200, 60, 40), bottom))
    if "promptImage" in body:
        body = {**body, "promptImage": uri}
    else:
        body = {**body, "character": {"type": "image", "uri": uri}}
    with client(emu) as http:
        _, link = _succeed(http, path, body)
        frames = _frames(http.get(link).content)
    assert (frames[0].shape[1], frames[0].shape[0]) == size
    for index, frame in enumerate(frames):
        last_rows = frame[-4:].astype(int)
        difference = np.abs(last_rows - np.array(bottom)).max()
        assert difference <= 12, f"frame {index}: last rows differ from the input by {difference}"


def test_act_two_follows_the_reference_duration_and_the_character_picture(
    runway_emulator: RunwayEmulator, http: httpx.Client
) -> None:
    body = act_two_body(
        character={"type": "image", "uri": data_uri("image/png", _png_of((20, 200, 20), 60, 80))},
        reference={"type": "video", "uri": data_uri("video/mp4", mp4_bytes(4.0))},
    )
    created = http.post("/v1/character_performance", json=body)
    assert created.json()["estimatedCost"] == {"credits": 20}
    task_id = created.json()["id"]
    link = wait_status(http, task_id, "SUCCEEDED")["output"][0]
    data = httpx.get(link).content
    width, height, _, seconds = decode_video(data)
    # No ratio given: the one nearest the 60x80 character (portrait 832:1104).
    assert (width, height) == (192, 254)
    assert seconds == pytest.approx(4.0)
    assert _frames(data)[0][:100].reshape(-1, 3).mean(axis=0)[1] > 150
    assert runway_emulator.task(task_id)["ratio"] == "832:1104"


def test_act_two_character_video_gives_its_first_frame(http: httpx.Client) -> None:
    body = act_two_body(
        character={"type": "video", "uri": data_uri("video/mp4", mp4_bytes(1.0))},
        reference={"type": "video", "uri": data_uri("video/mp4", mp4_bytes(3.0))},
        ratio="1280:720",
    )
    _, link = _succeed(http, "/v1/character_performance", body)
    width, height, _, seconds = decode_video(httpx.get(link).content)
    assert (width, height) == (192, 108)
    assert seconds == pytest.approx(3.0)


@pytest.mark.parametrize("seconds", [2.0, 31.0])
def test_act_two_reference_outside_3_to_30_seconds_fails_as_invalid_asset(
    http: httpx.Client, seconds: float
) -> None:
    body = act_two_body(
        reference={
            "type": "video",
            "uri": data_uri("video/mp4", mp4_bytes(seconds, width=16, height=16, fps=2)),
        }
    )
    created = http.post("/v1/character_performance", json=body)
    assert created.status_code == 200
    failed = wait_status(http, created.json()["id"], "SUCCEEDED", "FAILED")
    assert failed["status"] == "FAILED"
    assert failed["failureCode"] == "ASSET.INVALID"
    assert failed["cost"] == created.json()["estimatedCost"]


def test_an_unreadable_image_fails_the_task_as_invalid_asset(http: httpx.Client) -> None:
    body = i2v_body(promptImage=data_uri("image/png", b"this is not a png at all" * 4))
    created = http.post("/v1/image_to_video", json=body)
    assert created.status_code == 200
    failed = wait_status(http, created.json()["id"], "SUCCEEDED", "FAILED")
    assert failed["failureCode"] == "ASSET.INVALID"


def test_head_and_range_requests(http: httpx.Client, runway_emulator: RunwayEmulator) -> None:
    _, link = _succeed(http, "/v1/image_to_video", i2v_body(duration=2))
    full = httpx.get(link).content
    size = len(full)

    head = httpx.head(link)
    assert head.status_code == 200
    assert head.content == b""
    assert int(head.headers["content-length"]) == size
    assert head.headers["content-type"] == "video/mp4"
    assert head.headers["accept-ranges"] == "bytes"

    cases = {
        "bytes=10-99": (10, 100),
        "bytes=100-": (100, size),
        "bytes=-50": (size - 50, size),
        f"bytes=0-{size + 500}": (0, size),
    }
    for header, (start, end) in cases.items():
        part = httpx.get(link, headers={"Range": header})
        assert part.status_code == 206, header
        assert part.content == full[start:end]
        assert part.headers["content-range"] == f"bytes {start}-{end - 1}/{size}"
        assert int(part.headers["content-length"]) == end - start

    unsatisfiable = httpx.get(link, headers={"Range": f"bytes={size}-"})
    assert unsatisfiable.status_code == 416
    assert unsatisfiable.headers["content-range"] == f"bytes */{size}"
    several = httpx.get(link, headers={"Range": "bytes=0-1,5-6"})
    assert several.status_code == 200 and several.content == full
    assert runway_emulator.stats()["download_heads"] == 1


def test_links_expire_with_403_and_a_fresh_get_gives_working_links(
    make_emulator: MakeEmulator,
) -> None:
    emu = make_emulator(link_ttl_seconds=0.3, run_seconds=0.05, queue_seconds=0)
    with client(emu) as http:
        task_id = http.post("/v1/image_to_video", json=i2v_body(duration=2)).json()["id"]
        link = wait_status(http, task_id, "SUCCEEDED")["output"][0]
        expired = wait_for(lambda: httpx.get(link), lambda r: r.status_code != 200)
        assert expired.status_code == 403
        assert "expired" in expired.json()["error"]
        # Links minted from now on live long enough to be used at leisure.
        emu.configure(link_ttl_seconds=3600)
        fresh = http.get(f"/v1/tasks/{task_id}").json()["output"][0]
        assert fresh != link
        assert httpx.get(fresh).status_code == 200
        assert httpx.get(link).status_code == 403  # the old link stays expired


def test_forged_or_borrowed_tokens_are_refused(http: httpx.Client) -> None:
    _, link_a = _succeed(http, "/v1/image_to_video", i2v_body(duration=2))
    _, link_b = _succeed(http, "/v1/image_to_video", i2v_body(duration=3))
    token_b = link_b.split("_jwt=")[1]
    borrowed = link_a.split("?")[0] + "?_jwt=" + token_b
    assert httpx.get(borrowed).status_code == 403
    assert httpx.get(link_a.split("?")[0]).status_code == 403
    header, payload, signature = link_a.split("_jwt=")[1].split(".")
    forged = link_a.split("?")[0] + f"?_jwt={header}.{payload}.{signature[::-1]}"
    assert httpx.get(forged).status_code == 403
    assert httpx.get(link_a.replace("/0.mp4", "/1.mp4")).status_code in (403, 404)


def test_identical_requests_give_identical_outputs(
    runway_emulator: RunwayEmulator, http: httpx.Client
) -> None:
    body = i2v_body(duration=2)
    ids = [http.post("/v1/image_to_video", json=body).json()["id"] for _ in range(3)]
    for task_id in ids:
        wait_status(http, task_id, "SUCCEEDED")
    digests = {runway_emulator.task(task_id)["outputs"][0]["sha256"] for task_id in ids}
    assert len(digests) == 1


def test_output_bytes_mode_streams_exact_pseudo_random_bytes(make_emulator: MakeEmulator) -> None:
    size = 3 * 1024 * 1024 + 123
    emu = make_emulator(output_bytes=size, run_seconds=0.05)
    with client(emu) as http:
        task_id, link = _succeed(http, "/v1/image_to_video", i2v_body(duration=2))
        digest = hashlib.sha256()
        received = 0
        with httpx.stream("GET", link) as response:
            assert response.status_code == 200
            assert int(response.headers["content-length"]) == size
            for chunk in response.iter_bytes():
                digest.update(chunk)
                received += len(chunk)
        assert received == size
        record = emu.task(task_id)["outputs"][0]
        assert record["sha256"] == digest.hexdigest()
        assert record["size"] == size
        middle = httpx.get(link, headers={"Range": "bytes=1048570-2097160"})
        assert middle.status_code == 206
        assert len(middle.content) == 2097160 - 1048570 + 1
        whole = httpx.get(link).content
        assert middle.content == whole[1048570:2097161]


def test_a_tasks_output_keeps_the_size_it_was_created_with(make_emulator: MakeEmulator) -> None:
    # The storm makes its multipart cohort's tasks with 9 MiB outputs, then settles with the
    # default: a task made before the change still serves (and records) what it made. When the
    # output followed the config instead, a re-run storing the same task saw another sha256.
    size = 1024 * 1024 + 7
    emu = make_emulator(output_bytes=size, run_seconds=0.05)
    with client(emu) as http:
        task_id, link = _succeed(http, "/v1/image_to_video", i2v_body(duration=2))
        emu.configure(output_bytes=None)
        body = httpx.get(link).content
        record = emu.task(task_id)["outputs"][0]
        assert (len(body), record["size"]) == (size, size)
        assert record["sha256"] == hashlib.sha256(body).hexdigest()
        later, later_link = _succeed(http, "/v1/image_to_video", i2v_body(duration=2))
        assert httpx.get(later_link).content[4:8] == b"ftyp"  # made after: an MP4 again
        assert emu.task(later)["outputs"][0]["size"] != size


def _soundtrack(data: bytes) -> tuple[float, float, float] | None:
    """(audio seconds, picture seconds, RMS) of the first audio stream; None without one."""
    import io

    import av

    with av.open(io.BytesIO(data)) as container:
        if not container.streams.audio:
            return None
        audio, video = container.streams.audio[0], container.streams.video[0]
        samples = np.concatenate([f.to_ndarray() for f in container.decode(audio)], axis=1)
        return (
            float((audio.duration or 0) * (audio.time_base or 0)),
            float((video.duration or 0) * (video.time_base or 0)),
            float(np.sqrt(np.mean(np.square(samples.astype(np.float64))))),
        )


@pytest.mark.parametrize(
    ("model", "fields", "sound"),
    [
        ("veo3.1", {}, True),  # Veo makes sound unless asked not to (spec default true)
        ("veo3.1_fast", {"audio": True}, True),
        ("veo3.1", {"audio": False}, False),
        ("gen4_turbo", {}, False),
    ],
)
def test_a_video_has_sound_where_the_model_makes_it(
    http: httpx.Client, model: str, fields: dict[str, Any], sound: bool
) -> None:
    body = i2v_body(model, duration=4, promptText="Waves", **fields)
    if model == "gen4_turbo":
        body.pop("promptText")
    _, link = _succeed(http, "/v1/image_to_video", body)
    found = _soundtrack(httpx.get(link).content)
    if not sound:
        assert found is None
        return
    assert found is not None
    audio_seconds, video_seconds, level = found
    assert video_seconds == pytest.approx(4.0)
    assert abs(audio_seconds - video_seconds) <= 1 / 24
    assert level > 0.1  # a tone, not silence
