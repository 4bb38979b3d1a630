import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prefect_runway.api.media import (
    MAX_DATA_URI_CHARS,
    MAX_HTTPS_URL_CHARS,
    MediaKind,
    check_media_uri,
    data_uri_media_type,
    redact_url,
)

PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG fake").decode()


@pytest.mark.parametrize(
    "uri",
    [
        "https://example.com/a.png",
        "https://cdn.example.co.uk:8443/path/a.png?x=1",
        PNG,
        "data:image/jpeg;base64,/9j/4AAQ",
        "runway://abcdef123456",
    ],
)
def test_accepts_valid_image_uris(uri: str) -> None:
    assert check_media_uri(uri, MediaKind.IMAGE) == uri


@pytest.mark.parametrize(
    ("uri", "fragment"),
    [
        ("http://example.com/a.png", "only https"),
        ("https://127.0.0.1/a.png", "IP address 127.0.0.1"),
        ("https://[::1]/a.png", "IP address ::1"),
        ("https://127.1/a.png", "IP address 127.1"),
        ("https://2130706433/a.png", "IP address 2130706433"),
        ("ftp://example.com/a.png", "not a media URI"),
        ("/local/file.png", "not a media URI"),
        ("https://a.b", "shorter than 13"),
        ("data:;base64,AAAA", "declares no media type"),
        ("data:,AAAA", "declares no media type"),
        ("data:image/gif;base64,R0lGOD", "'image/gif'"),
        ("data:video/mp4;base64,AAAA", "takes image media"),
        ("data:image/png,rawbytes", "not base64-encoded"),
        ("data:image/png;base64,not base64!", "not valid base64"),
        ("data:image/png;base64,", "empty payload"),
        ("runway://x", "shorter than 13"),
    ],
)
def test_refuses_with_a_reason(uri: str, fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        check_media_uri(uri, MediaKind.IMAGE)
    assert fragment in str(info.value)


def test_https_url_length_limit_is_2048() -> None:
    base = "https://example.com/"
    at_limit = base + "a" * (MAX_HTTPS_URL_CHARS - len(base))
    assert check_media_uri(at_limit, MediaKind.IMAGE) == at_limit
    with pytest.raises(ValueError, match="2049 characters long; at most 2048"):
        check_media_uri(at_limit + "a", MediaKind.IMAGE)


def test_data_uri_limit_is_5_mb_encoded() -> None:
    prefix = "data:video/mp4;base64,"
    body_len = (MAX_DATA_URI_CHARS - len(prefix)) // 4 * 4
    at_limit = prefix + "A" * body_len
    assert len(at_limit) <= MAX_DATA_URI_CHARS
    assert check_media_uri(at_limit, MediaKind.VIDEO) == at_limit
    over = prefix + "A" * (body_len + 4)
    with pytest.raises(ValueError, match="5 MB encoded"):
        check_media_uri(over, MediaKind.VIDEO)


def test_video_field_takes_video_types() -> None:
    assert check_media_uri("data:video/quicktime;base64,AAAA", MediaKind.VIDEO)
    with pytest.raises(ValueError, match="takes video media"):
        check_media_uri(PNG, MediaKind.VIDEO)


def test_media_type_is_read_case_insensitively() -> None:
    assert data_uri_media_type("data:IMAGE/PNG;base64,AAAA") == "image/png"
    assert check_media_uri("data:IMAGE/PNG;base64,AAAA", MediaKind.IMAGE)


def test_redact_url_drops_the_signature() -> None:
    assert redact_url("https://cdn.example.com/o.mp4?_jwt=SECRET#x") == (
        "https://cdn.example.com/o.mp4"
    )
    assert "AAAA" not in redact_url("data:image/png;base64," + "A" * 100)


@given(st.ip_addresses())
def test_no_ip_address_is_accepted(address: object) -> None:
    host = f"[{address}]" if ":" in str(address) else str(address)
    with pytest.raises(ValueError, match="IP address"):
        check_media_uri(f"https://{host}/image.png", MediaKind.IMAGE)


@given(st.from_regex(r"[a-z][a-z0-9-]{0,20}\.(com|org|io|example)", fullmatch=True))
def test_domain_names_are_accepted(host: str) -> None:
    uri = f"https://{host}/image.png"
    assert check_media_uri(uri, MediaKind.IMAGE) == uri
