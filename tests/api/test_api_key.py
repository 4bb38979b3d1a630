"""API keys: stripped and checked at save and at use; no error text ever carries a header value.

A key saved with a trailing newline used to reach h11, whose refusal quoted the header (the
key) into the exception, and from there into the server's logs and the run's state message.
"""

from __future__ import annotations

import logging
import pickle
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from prefect_runway.api import (
    COMETAPI,
    RUNWAY,
    Gen4TurboImageToVideo,
    InvalidApiKey,
    RunwayClient,
    RunwayConnectionError,
    RunwayError,
)
from prefect_runway.api.api_key import clean_api_key
from prefect_runway.blocks import RunwayCredentials
from prefect_runway.testing.emulator import RunwayEmulator
from tests.conftest import FAST_RETRY
from tests.media_samples import png_data_uri

KEY = "key_" + "c0ffee" * 21 + "42"  # 'key_' and 128 hex digits


def i2v() -> Gen4TurboImageToVideo:
    return Gen4TurboImageToVideo(prompt_image=png_data_uri(), ratio="960:960", duration=2)


def _texts(error: BaseException) -> str:
    return f"{error}\n{error!r}\n{pickle.dumps(error)!r}"


@pytest.mark.parametrize("padding", ["\n", "\r\n", " ", "\t", "  \n\n", " \n "])
async def test_a_key_with_surrounding_whitespace_works_and_is_never_quoted(
    emulator: RunwayEmulator, padding: str, caplog: pytest.LogCaptureFixture
) -> None:
    key = emulator.api_key + padding
    block = RunwayCredentials(api_key=SecretStr(" " + key), base_url=emulator.base_url)
    assert block.api_key.get_secret_value() == emulator.api_key  # stripped at save
    with caplog.at_level(logging.DEBUG):
        async with block.get_client() as client:
            created = await client.create(i2v())
        # And at use, when the client is given the raw string.
        async with RunwayClient(key, base_url=emulator.base_url, retry=FAST_RETRY) as raw:
            await raw.get_task(created.id)
    assert emulator.stats()["creates_total"] == 1
    assert emulator.api_key not in caplog.text


@pytest.mark.parametrize(
    ("key", "provider", "says"),
    [
        ("", RUNWAY, "api_key is empty"),
        ("   \n", RUNWAY, "api_key is empty"),
        (KEY[:-1], RUNWAY, "131 characters and starts with 'key_'"),
        (KEY + "0", RUNWAY, "133 characters"),
        (KEY.upper(), RUNWAY, "does not start with 'key_'"),
        ("sk-" + "a" * 48, RUNWAY, "not a Runway key"),
        (KEY[:70] + "\n" + KEY[70:], RUNWAY, "control characters"),
        (KEY[:70] + " " + KEY[70:], RUNWAY, "spaces"),
        (KEY[:70] + "\x00" + KEY[70:], RUNWAY, "control characters"),
        (KEY[:70] + "é" + KEY[71:], RUNWAY, "non-ASCII"),
        ("Bearer " + KEY, RUNWAY, "spaces"),
        ("sk-abc\r\nX-Injected: 1", COMETAPI, "control characters"),
        ("sk-" + "a" * 5000, COMETAPI, "5003 characters"),
    ],
)
def test_keys_of_the_wrong_shape_are_refused_without_quoting_them(
    key: str, provider: Any, says: str
) -> None:
    with pytest.raises(InvalidApiKey, match=says) as info:
        clean_api_key(key, provider)
    secret_part = key.strip()[4:20]
    assert not secret_part or secret_part not in _texts(info.value)
    # The block refuses it the same way, and not with a ValidationError quoting the input.
    with pytest.raises(InvalidApiKey) as block_info:
        RunwayCredentials(api_key=SecretStr(key), provider=provider.name)
    assert not secret_part or secret_part not in _texts(block_info.value)


def test_each_provider_keeps_its_own_keys_working() -> None:
    assert clean_api_key(KEY, RUNWAY).get_secret_value() == KEY
    comet_key = "sk-" + "Ab9" * 16
    assert clean_api_key(comet_key + "\n", COMETAPI).get_secret_value() == comet_key
    assert RunwayCredentials(api_key=SecretStr(comet_key), provider="cometapi").get_client()
    with pytest.raises(InvalidApiKey):
        RunwayCredentials(api_key=SecretStr(comet_key))  # a CometAPI key on Runway


async def test_a_block_saved_with_a_newline_by_another_client_is_cleaned_at_use(
    prefect_harness: str, emulator: RunwayEmulator
) -> None:
    # As if the UI saved it: no validation on the way in.
    raw = RunwayCredentials.model_construct(
        api_key=SecretStr(emulator.api_key + "\n"), provider="runway", base_url=emulator.base_url,
        api_version="2024-11-06", create_timeout_seconds=120.0, input_roots=[], input_buckets=[],
    )  # fmt: skip
    await raw.asave("key-with-newline", overwrite=True)
    loaded = await RunwayCredentials.aload("key-with-newline")
    async with loaded.get_client() as client:
        await client.create(i2v())
    assert emulator.stats()["creates_total"] == 1


async def test_a_header_h11_refuses_fails_without_quoting_it_or_counting_as_ambiguous(
    emulator: RunwayEmulator,
) -> None:
    # The checks above keep such a key out; this is the last line: whatever header value h11
    # refuses, the error says the request was not written, and never quotes the value.
    async with RunwayClient(emulator.api_key, base_url=emulator.base_url, retry=FAST_RETRY) as c:
        bad = f"Bearer {emulator.api_key}\n"
        c._creates.headers["Authorization"] = bad
        for pool in c._api_pools:
            pool.headers["Authorization"] = bad
        with pytest.raises(RunwayConnectionError) as created:
            await c.create(i2v())
        with pytest.raises(RunwayConnectionError) as polled:
            await c.get_task("0b6c1a3e-0000-4000-8000-000000000000")
    for error in (created.value, polled.value):
        text = _texts(error)
        assert emulator.api_key not in text and "Bearer" not in text
        assert "nothing was sent" in str(error)
    assert emulator.stats()["creates_total"] == 0 and emulator.stats()["rejected_creates"] == 0


@pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 500, 502, 503])
async def test_a_server_that_echoes_the_authorization_header_is_scrubbed(
    emulator: RunwayEmulator, status: int
) -> None:
    # A proxy or gateway that answers with the request's headers in its body: the client's
    # error texts drop the key and anything shaped like a bearer token.
    def echo(request: httpx.Request) -> httpx.Response:
        auth = request.headers.get("Authorization", "")
        body = {"error": f"rejected {auth} (token {auth.split()[-1]})", "issues": []}
        return httpx.Response(status, json=body, headers={"Retry-After": "0"})

    async with RunwayClient(KEY, base_url="https://api.example.test", retry=FAST_RETRY) as c:
        transport = httpx.MockTransport(echo)
        c._creates._transport = transport
        for pool in c._api_pools:
            pool._transport = transport
        for call in (c.create(i2v()), c.get_task("some-task-id")):
            with pytest.raises(RunwayError) as info:
                await call
            text = _texts(info.value)
            assert KEY not in text and KEY[4:40] not in text, text
            assert "***" in str(info.value)
