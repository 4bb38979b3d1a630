"""Ephemeral uploads (both steps, runway:// URIs in any media field) and the organization API."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from prefect_runway.testing.emulator import RunwayEmulator
from prefect_runway.testing.emulator.config import MODELS
from tests.testing.emulator.conftest import MakeEmulator
from tests.testing.emulator.support import (
    ManualClock,
    act_two_body,
    client,
    decode_video,
    i2v_body,
    mp4_bytes,
    png_bytes,
    wait_for,
    wait_status,
)


def _upload(http: httpx.Client, filename: str, data: bytes, media_type: str) -> str:
    created = http.post("/v1/uploads", json={"filename": filename, "type": "ephemeral"})
    assert created.status_code == 200, created.text
    body = created.json()
    assert set(body) == {"uploadUrl", "fields", "runwayUri"}
    assert body["runwayUri"].startswith("runway://")
    # The storage POST carries no Runway auth, like a presigned S3 POST.
    stored = httpx.post(
        body["uploadUrl"], data=body["fields"], files={"file": (filename, data, media_type)}
    )
    assert stored.status_code == 204, stored.text
    uri: str = body["runwayUri"]
    return uri


def test_an_uploaded_image_drives_image_to_video(
    runway_emulator: RunwayEmulator, http: httpx.Client
) -> None:
    picture = png_bytes(96, 54)
    assert len(picture) >= 512
    uri = _upload(http, "still.png", picture, "image/png")
    created = http.post("/v1/image_to_video", json=i2v_body(promptImage=uri, duration=2))
    assert created.status_code == 200, created.text
    link = wait_status(http, created.json()["id"], "SUCCEEDED")["output"][0]
    width, height, _, _ = decode_video(httpx.get(link).content)
    assert (width, height) == (192, 108)
    stats = runway_emulator.stats()
    assert stats["uploads"] == 1
    assert stats["upload_bytes"] == len(picture)
    assert stats["upload_requests"] == 1


def test_an_uploaded_reference_video_sets_act_two_length_and_price(http: httpx.Client) -> None:
    reference = _upload(http, "take.MP4", mp4_bytes(6.0), "video/mp4")
    character = _upload(http, "face.webp.png", png_bytes(), "image/png")
    body = act_two_body(
        character={"type": "image", "uri": character},
        reference={"type": "video", "uri": reference},
    )
    created = http.post("/v1/character_performance", json=body)
    assert created.status_code == 200, created.text
    assert created.json()["estimatedCost"] == {"credits": 30}
    link = wait_status(http, created.json()["id"], "SUCCEEDED")["output"][0]
    assert decode_video(httpx.get(link).content)[3] == pytest.approx(6.0)


def test_an_uploaded_image_is_not_a_video(http: httpx.Client) -> None:
    image = _upload(http, "still.jpg", png_bytes(), "image/jpeg")
    response = http.post(
        "/v1/character_performance",
        json=act_two_body(reference={"type": "video", "uri": image}),
    )
    assert response.status_code == 400
    assert response.json()["issues"][0]["path"] == ["reference", "uri"]


@pytest.mark.parametrize(
    "body",
    [
        {"filename": "a.", "type": "ephemeral"},
        {"filename": "notes.txt", "type": "ephemeral"},
        {"filename": "noextension", "type": "ephemeral"},
        {"filename": "x" * 252 + ".png", "type": "ephemeral"},
        {"filename": "cat.png", "type": "permanent"},
        {"filename": "cat.png"},
        {"filename": "cat.png", "type": "ephemeral", "size": 3},
    ],
)
def test_bad_upload_requests_answer_400(http: httpx.Client, body: dict[str, Any]) -> None:
    response = http.post("/v1/uploads", json=body)
    assert response.status_code == 400
    assert response.json()["issues"]


def test_the_upload_url_checks_fields_and_size(
    runway_emulator: RunwayEmulator, http: httpx.Client
) -> None:
    body = http.post("/v1/uploads", json={"filename": "cat.png", "type": "ephemeral"}).json()
    url, fields = body["uploadUrl"], body["fields"]
    picture = png_bytes()
    missing_field = {key: value for key, value in fields.items() if key != "policy"}
    assert (
        httpx.post(url, data=missing_field, files={"file": ("cat.png", picture)}).status_code == 403
    )
    assert httpx.post(url, data=fields, files={"file": ("cat.png", b"x" * 511)}).status_code == 400
    assert httpx.post(url, data=fields).status_code == 400  # no file part at all
    assert httpx.post(url, content=picture).status_code == 400  # not multipart
    assert httpx.post(url + "0", data=fields, files={"file": ("c.png", picture)}).status_code == 404
    # Not stored yet, so the URI is not usable.
    unusable = http.post("/v1/image_to_video", json=i2v_body(promptImage=body["runwayUri"]))
    assert unusable.status_code == 400
    assert httpx.post(url, data=fields, files={"file": ("cat.png", b"x" * 512)}).status_code == 204
    assert runway_emulator.stats()["uploads"] == 1


def test_the_upload_url_expires(make_emulator: MakeEmulator) -> None:
    emu = make_emulator(upload_url_ttl_seconds=0.2)
    with client(emu) as http:
        body = http.post("/v1/uploads", json={"filename": "cat.png", "type": "ephemeral"}).json()
    expired = wait_for(lambda: httpx.post(body["uploadUrl"]), lambda r: r.status_code == 403)
    assert "expired" in expired.json()["error"]


def test_a_task_that_starts_after_its_upload_expired_fails(make_emulator: MakeEmulator) -> None:
    clock = ManualClock()
    emu = make_emulator(
        clock,
        upload_ttl_seconds=100,
        queue_seconds=0,
        run_seconds=60,
        max_concurrent={"gen4_turbo": 1},
    )
    with client(emu) as http:
        uri = _upload(http, "still.png", png_bytes(), "image/png")
        ids = [
            http.post("/v1/image_to_video", json=i2v_body(promptImage=uri)).json()["id"]
            for _ in range(3)
        ]
        assert http.get(f"/v1/tasks/{ids[2]}").json()["status"] == "THROTTLED"
        # One slot, 60 s each: they start at 0, 60 and 120 s; the upload lives 100 s.
        clock.advance(180)
        statuses = [http.get(f"/v1/tasks/{task_id}").json() for task_id in ids]
    assert [body["status"] for body in statuses] == ["SUCCEEDED", "SUCCEEDED", "FAILED"]
    failed = statuses[2]
    assert failed["status"] == "FAILED"
    assert failed["failureCode"] == "ASSET.INVALID"


def test_organization_reports_limits_balance_and_todays_usage(make_emulator: MakeEmulator) -> None:
    emu = make_emulator(
        credit_balance=5000,
        max_concurrent={"veo3.1": 4},
        default_max_concurrent=2,
        max_daily={"gen4.5": 100},
        max_monthly_credit_spend=123456,
    )
    with client(emu) as http:
        http.post("/v1/image_to_video", json=i2v_body("gen4.5", duration=5))
        http.post("/v1/image_to_video", json=i2v_body("gen4.5", duration=5))
        body = http.get("/v1/organization").json()
    assert body["creditBalance"] == 5000 - 120
    assert body["tier"]["maxMonthlyCreditSpend"] == 123456
    models = body["tier"]["models"]
    # Every model the emulator serves, each once (gen4.5 serves two endpoints, one limit).
    assert set(models) == set(MODELS) and len(MODELS) == len(set(MODELS))
    assert {"gen4_turbo", "gen4.5", "veo3.1", "veo3.1_fast", "act_two", "seedance2_5"} <= set(
        models
    )
    assert models["veo3.1"] == {"maxConcurrentGenerations": 4, "maxDailyGenerations": None}
    assert models["gen4.5"] == {"maxConcurrentGenerations": 2, "maxDailyGenerations": 100}
    assert body["usage"]["models"]["gen4.5"] == {"dailyGenerations": 2}
    assert body["usage"]["models"]["act_two"] == {"dailyGenerations": 0}
    assert emu.stats()["organization_reads"] == 1


def test_usage_by_day(runway_emulator: RunwayEmulator, http: httpx.Client) -> None:
    http.post("/v1/image_to_video", json=i2v_body(duration=4))
    http.post("/v1/character_performance", json=act_two_body())
    today = datetime.now(UTC).date()

    default = http.post("/v1/organization/usage", json={})
    assert default.status_code == 200
    results = default.json()["results"]
    assert len(results) == 30
    assert results[0]["date"] == (today - timedelta(days=30)).isoformat()
    assert all(day["usedCredits"] == [] for day in results)  # today is outside [-30 d, today)

    window = {"startDate": today.isoformat(), "beforeDate": (today + timedelta(days=1)).isoformat()}
    body = http.post("/v1/organization/usage", json=window).json()
    assert body["models"] == ["act_two", "gen4_turbo"]
    assert body["results"] == [
        {
            "date": today.isoformat(),
            "usedCredits": [
                {"model": "act_two", "amount": 25},
                {"model": "gen4_turbo", "amount": 20},
            ],
        }
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"startDate": "2026-02-30"},
        {"startDate": "yesterday"},
        {"startDate": "2026-01-10", "beforeDate": "2026-01-10"},
        {"startDate": "2026-01-01", "beforeDate": "2026-04-02"},
        {"endDate": "2026-01-01"},
        {"startDate": 20260101},
    ],
)
def test_bad_usage_queries_answer_400(http: httpx.Client, body: dict[str, Any]) -> None:
    response = http.post("/v1/organization/usage", json=body)
    assert response.status_code == 400
    assert response.json()["issues"]


def test_usage_allows_exactly_90_days(http: httpx.Client) -> None:
    start = date(2026, 1, 1)
    window = {"startDate": start.isoformat(), "beforeDate": (start + timedelta(90)).isoformat()}
    response = http.post("/v1/organization/usage", json=window)
    assert response.status_code == 200
    assert len(response.json()["results"]) == 90
