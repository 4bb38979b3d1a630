"""Auth, the version header, and 400 answers with issues that create nothing."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prefect_runway.testing.emulator import RunwayEmulator
from tests.testing.emulator.support import (
    HTTPS_IMAGE,
    HTTPS_VIDEO,
    VERSION,
    act_two_body,
    data_uri,
    i2v_body,
    png_bytes,
)

GEN4_RATIOS = ["1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672"]
VEO_RATIOS = ["1280:720", "720:1280", "1080:1920", "1920:1080"]
ALL_RATIOS = sorted({*GEN4_RATIOS, *VEO_RATIOS, "1280:768", "16:9", "1920:1080 "})


def test_missing_or_wrong_key_is_401(runway_emulator: RunwayEmulator) -> None:
    url = f"{runway_emulator.base_url}/v1/image_to_video"
    for auth in (
        None,
        "Bearer key_wrong",
        f"Basic {runway_emulator.api_key}",
        f"Bearer {runway_emulator.api_key}0",
    ):
        headers = {"X-Runway-Version": VERSION}
        if auth is not None:
            headers["Authorization"] = auth
        response = httpx.post(url, headers=headers, json=i2v_body())
        assert response.status_code == 401
        assert isinstance(response.json()["error"], str)
    for method, path in (
        ("GET", "/v1/tasks/x"),
        ("DELETE", "/v1/tasks/x"),
        ("GET", "/v1/organization"),
        ("POST", "/v1/uploads"),
    ):
        response = httpx.request(method, f"{runway_emulator.base_url}{path}")
        assert response.status_code == 401, path
    stats = runway_emulator.stats()
    assert stats["creates_total"] == 0
    assert stats["rejected_creates"] == 4


def test_missing_or_wrong_version_is_400(runway_emulator: RunwayEmulator) -> None:
    auth = {"Authorization": f"Bearer {runway_emulator.api_key}"}
    url = f"{runway_emulator.base_url}/v1/image_to_video"
    for version in (None, "2024-09-13", ""):
        headers = dict(auth)
        if version is not None:
            headers["X-Runway-Version"] = version
        response = httpx.post(url, headers=headers, json=i2v_body())
        assert response.status_code == 400
        assert "X-Runway-Version" in response.json()["error"]
    assert runway_emulator.stats()["creates_total"] == 0


def test_admin_routes_need_no_auth(runway_emulator: RunwayEmulator) -> None:
    assert httpx.get(f"{runway_emulator.base_url}/_emulator/stats").status_code == 200
    unknown = httpx.get(f"{runway_emulator.base_url}/v1/nothing-here")
    assert unknown.status_code == 404
    assert "error" in unknown.json()


def _issues(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "Validation of body failed"
    issues: list[dict[str, Any]] = body["issues"]
    assert issues
    for issue in issues:
        assert set(issue) == {"code", "path", "message"}
        assert isinstance(issue["path"], list)
    return issues


def _paths(response: httpx.Response) -> list[list[Any]]:
    return [issue["path"] for issue in _issues(response)]


BIG = "x" * 1001
PNG = data_uri("image/png", png_bytes())

BAD_I2V: list[tuple[str, dict[str, Any], list[Any]]] = [
    (
        "unknown model",
        {"model": "gen5", "promptImage": HTTPS_IMAGE, "ratio": "1280:720"},
        ["model"],
    ),
    ("no model", {"promptImage": HTTPS_IMAGE, "ratio": "1280:720"}, ["model"]),
    ("unknown field", i2v_body(colour="red"), []),
    ("missing ratio", {"model": "gen4_turbo", "promptImage": HTTPS_IMAGE}, ["ratio"]),
    ("missing promptImage", {"model": "gen4_turbo", "ratio": "1280:720"}, ["promptImage"]),
    (
        "gen4.5 needs promptText",
        {"model": "gen4.5", "promptImage": HTTPS_IMAGE, "ratio": "1280:720", "duration": 5},
        ["promptText"],
    ),
    (
        "gen4.5 needs duration",
        {"model": "gen4.5", "promptImage": HTTPS_IMAGE, "ratio": "1280:720", "promptText": "x"},
        ["duration"],
    ),
    ("veo ratio on gen4", i2v_body(ratio="1920:1080"), ["ratio"]),
    ("gen4 ratio on veo", i2v_body("veo3.1", ratio="960:960"), ["ratio"]),
    ("duration too long", i2v_body(duration=11), ["duration"]),
    ("duration too short", i2v_body(duration=1), ["duration"]),
    ("fractional duration", i2v_body(duration=5.5), ["duration"]),
    ("duration as text", i2v_body(duration="5"), ["duration"]),
    ("veo duration 5", i2v_body("veo3.1_fast", duration=5), ["duration"]),
    ("empty prompt", i2v_body(promptText=""), ["promptText"]),
    ("prompt 1001", i2v_body(promptText=BIG), ["promptText"]),
    ("prompt 1001 UTF-16 units", i2v_body(promptText="😀" * 500 + "x"), ["promptText"]),
    ("negative seed", i2v_body(seed=-1), ["seed"]),
    ("seed too big", i2v_body(seed=4294967296), ["seed"]),
    ("seed as bool", i2v_body(seed=True), ["seed"]),
    (
        "veo has no contentModeration",
        i2v_body("veo3.1", contentModeration={"publicFigureThreshold": "low"}),
        [],
    ),
    (
        "bad threshold",
        i2v_body(contentModeration={"publicFigureThreshold": "high"}),
        ["contentModeration", "publicFigureThreshold"],
    ),
    ("audio on gen4", i2v_body(audio=True), []),
    ("audio as text", i2v_body("veo3.1", audio="yes"), ["audio"]),
    ("negativePrompt on gen4", i2v_body(negativePrompt="dogs"), []),
    ("http URL", i2v_body(promptImage="http://example.com/a.png"), ["promptImage"]),
    ("IP address", i2v_body(promptImage="https://10.0.0.1/a.png"), ["promptImage"]),
    ("IPv6 address", i2v_body(promptImage="https://[::1]/picture.png"), ["promptImage"]),
    ("URL too long", i2v_body(promptImage="https://example.com/" + "a" * 2029), ["promptImage"]),
    ("not a URI", i2v_body(promptImage="picture.png"), ["promptImage"]),
    ("data URI without type", i2v_body(promptImage="data:;base64,AAAA" + "A" * 8), ["promptImage"]),
    ("data URI not base64", i2v_body(promptImage="data:image/png,abcdefgh"), ["promptImage"]),
    (
        "data URI bad base64",
        i2v_body(promptImage="data:image/png;base64,@@@@!!!!"),
        ["promptImage"],
    ),
    (
        "video data URI as image",
        i2v_body(promptImage=data_uri("video/mp4", b"0" * 64)),
        ["promptImage"],
    ),
    ("gif", i2v_body(promptImage=data_uri("image/gif", b"GIF89a" + b"0" * 64)), ["promptImage"]),
    (
        "data URI over 5 MB",
        i2v_body(promptImage="data:image/png;base64," + "A" * (5 * 1024 * 1024)),
        ["promptImage"],
    ),
    ("unknown upload", i2v_body(promptImage="runway://uploads/nothing/a.png"), ["promptImage"]),
    ("empty array", i2v_body(promptImage=[]), ["promptImage"]),
    (
        "two images on gen4",
        i2v_body(
            promptImage=[
                {"uri": HTTPS_IMAGE, "position": "first"},
                {"uri": HTTPS_IMAGE, "position": "last"},
            ]
        ),
        ["promptImage"],
    ),
    (
        "last on gen4",
        i2v_body(promptImage=[{"uri": HTTPS_IMAGE, "position": "last"}]),
        ["promptImage", 0, "position"],
    ),
    (
        "only last on veo",
        i2v_body("veo3.1", promptImage=[{"uri": HTTPS_IMAGE, "position": "last"}]),
        ["promptImage"],
    ),
    (
        "first twice on veo",
        i2v_body(
            "veo3.1",
            promptImage=[
                {"uri": HTTPS_IMAGE, "position": "first"},
                {"uri": HTTPS_IMAGE, "position": "first"},
            ],
        ),
        ["promptImage"],
    ),
    (
        "three images on veo",
        i2v_body("veo3.1", promptImage=[{"uri": HTTPS_IMAGE, "position": "first"}] * 3),
        ["promptImage"],
    ),
    (
        "extra key in image",
        i2v_body(promptImage=[{"uri": HTTPS_IMAGE, "position": "first", "weight": 1}]),
        ["promptImage", 0],
    ),
    ("proresProfile without prores", i2v_body("gen4.5", proresProfile="422"), ["proresProfile"]),
    (
        "hdr_prores with 4444 XQ",
        i2v_body("gen4.5", outputFormat="hdr_prores", proresProfile="4444 XQ"),
        ["proresProfile"],
    ),
    ("outputFormat on gen4_turbo", i2v_body(outputFormat="mp4"), []),
    ("body is a list", [i2v_body()], []),  # type: ignore[list-item]
]


@pytest.mark.parametrize(("name", "body", "path"), BAD_I2V, ids=[case[0] for case in BAD_I2V])
def test_bad_image_to_video_requests_answer_400_with_issues(
    runway_emulator: RunwayEmulator, http: httpx.Client, name: str, body: Any, path: list[Any]
) -> None:
    response = http.post("/v1/image_to_video", json=body)
    assert path in _paths(response), response.json()
    stats = runway_emulator.stats()
    assert stats["creates_total"] == 0
    assert stats["rejected_creates"] == 1


def test_every_issue_is_reported_at_once(http: httpx.Client) -> None:
    body = i2v_body(ratio="16:9", duration=99, seed=-5, promptText="", extra=1)
    paths = _paths(http.post("/v1/image_to_video", json=body))
    assert sorted(map(str, paths)) == sorted(
        map(str, [[], ["ratio"], ["duration"], ["seed"], ["promptText"]])
    )


BAD_ACT_TWO: list[tuple[str, dict[str, Any], list[Any]]] = [
    (
        "missing reference",
        {"model": "act_two", "character": {"type": "image", "uri": HTTPS_IMAGE}},
        ["reference"],
    ),
    (
        "missing character",
        {"model": "act_two", "reference": {"type": "video", "uri": HTTPS_VIDEO}},
        ["character"],
    ),
    (
        "character type audio",
        act_two_body(character={"type": "audio", "uri": HTTPS_IMAGE}),
        ["character", "type"],
    ),
    (
        "image reference",
        act_two_body(reference={"type": "image", "uri": HTTPS_IMAGE}),
        ["reference", "type"],
    ),
    (
        "image data as video character",
        act_two_body(character={"type": "video", "uri": PNG}),
        ["character", "uri"],
    ),
    (
        "image data as reference",
        act_two_body(reference={"type": "video", "uri": PNG}),
        ["reference", "uri"],
    ),
    ("expressionIntensity 0", act_two_body(expressionIntensity=0), ["expressionIntensity"]),
    ("expressionIntensity 6", act_two_body(expressionIntensity=6), ["expressionIntensity"]),
    ("bodyControl as text", act_two_body(bodyControl="on"), ["bodyControl"]),
    ("veo ratio", act_two_body(ratio="1920:1080"), ["ratio"]),
    ("duration is not a field", act_two_body(duration=5), []),
    ("promptText is not a field", act_two_body(promptText="smile"), []),
    ("i2v model", {**act_two_body(), "model": "gen4_turbo"}, ["model"]),
]


@pytest.mark.parametrize(("name", "body", "path"), BAD_ACT_TWO, ids=[c[0] for c in BAD_ACT_TWO])
def test_bad_character_performance_requests_answer_400_with_issues(
    runway_emulator: RunwayEmulator, http: httpx.Client, name: str, body: Any, path: list[Any]
) -> None:
    response = http.post("/v1/character_performance", json=body)
    assert path in _paths(response), response.json()
    assert runway_emulator.stats()["creates_total"] == 0


def test_invalid_json_is_400_and_creates_nothing(
    runway_emulator: RunwayEmulator, http: httpx.Client
) -> None:
    response = http.post("/v1/image_to_video", content=b"{not json")
    assert response.status_code == 400
    assert "error" in response.json()
    assert runway_emulator.stats()["creates_total"] == 0


GOOD: list[dict[str, Any]] = [
    i2v_body(promptText="😀" * 500),  # exactly 1000 UTF-16 code units
    i2v_body(seed=0),
    i2v_body(seed=4294967295, duration=2.0),  # 2.0 is an integer in JSON's number model
    i2v_body(
        promptImage=[{"uri": HTTPS_IMAGE, "position": "first"}],
        contentModeration={"publicFigureThreshold": "low"},
    ),
    i2v_body(promptImage=PNG),
    i2v_body(promptImage="data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8" * 8).decode()),
    i2v_body(
        "veo3.1",
        promptImage=[{"uri": HTTPS_IMAGE, "position": "last"}, {"uri": PNG, "position": "first"}],
        negativePrompt="rain",
        audio=False,
        seed=7,
    ),
    i2v_body("gen4.5", outputFormat="prores", proresProfile="422 HQ", seed=1),
    act_two_body(
        bodyControl=True,
        expressionIntensity=5,
        ratio="960:960",
        seed=3,
        contentModeration={"publicFigureThreshold": "auto"},
    ),
]


@pytest.mark.parametrize("body", GOOD)
def test_edge_values_that_are_valid_create_a_task(http: httpx.Client, body: dict[str, Any]) -> None:
    path = "/v1/character_performance" if body["model"] == "act_two" else "/v1/image_to_video"
    response = http.post(path, json=body)
    assert response.status_code == 200, response.text


MODEL_RULES: dict[str, tuple[list[str], set[int]]] = {
    "gen4_turbo": (GEN4_RATIOS, set(range(2, 11))),
    "gen4.5": (GEN4_RATIOS, set(range(2, 11))),
    "veo3.1": (VEO_RATIOS, {4, 6, 8}),
    "veo3.1_fast": (VEO_RATIOS, {4, 6, 8}),
}


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    model=st.sampled_from(sorted(MODEL_RULES)),
    ratio=st.sampled_from(ALL_RATIOS),
    duration=st.integers(min_value=-1, max_value=12),
)
def test_ratio_and_duration_rules_per_model(
    http: httpx.Client, model: str, ratio: str, duration: int
) -> None:
    ratios, durations = MODEL_RULES[model]
    response = http.post("/v1/image_to_video", json=i2v_body(model, ratio=ratio, duration=duration))
    valid = ratio in ratios and duration in durations
    if valid:
        assert response.status_code == 200, response.text
        task = http.get(f"/v1/tasks/{response.json()['id']}")
        assert task.status_code == 200
        # The task must not run on: delete it so many examples leave nothing to encode.
        assert http.delete(f"/v1/tasks/{response.json()['id']}").status_code == 204
    else:
        paths = _paths(response)
        assert (["ratio"] in paths) == (ratio not in ratios)
        assert (["duration"] in paths) == (duration not in durations)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(min_size=0, max_size=1100))
def test_prompt_length_is_counted_in_utf16_units(http: httpx.Client, text: str) -> None:
    response = http.post("/v1/image_to_video", json=i2v_body("veo3.1_fast", promptText=text))
    units = len(text.encode("utf-16-le")) // 2
    if 1 <= units <= 1000:
        assert response.status_code == 200, response.text
        http.delete(f"/v1/tasks/{response.json()['id']}")
    else:
        assert ["promptText"] in _paths(response)
