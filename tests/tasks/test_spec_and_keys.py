"""Generation specs and keys: same content, same key; anything that matters changes it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from prefect_runway.tasks.inputs import identify_inputs
from prefect_runway.tasks.keys import attempt_key, generation_key
from prefect_runway.tasks.spec import GenerationSpec, RefKind, classify_ref
from tests.media_samples import png_bytes


def spec(**request: object) -> GenerationSpec:
    body = {"model": "gen4_turbo", "promptImage": "still.png", "ratio": "960:960"}
    body.update(request)  # type: ignore[arg-type]
    return GenerationSpec(request=body)


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("stills/a.png", RefKind.LOCAL),
        ("/abs/a.png", RefKind.LOCAL),
        ("s3://bucket/a.png", RefKind.S3),
        ("https://example.com/a.png", RefKind.HTTPS),
        ("data:image/png;base64,AAAA", RefKind.DATA),
        ("runway://abc", RefKind.RUNWAY),
    ],
)
def test_reference_kinds(value: str, kind: RefKind) -> None:
    assert classify_ref(value) is kind


def test_media_fields_of_each_endpoint() -> None:
    i2v = GenerationSpec(
        request={
            "model": "veo3.1",
            "ratio": "1280:720",
            "prompt_image": [
                {"uri": "a.png", "position": "first"},
                {"uri": "b.png", "position": "last"},
            ],
        }
    )
    assert [(r.field, r.value) for r in i2v.media()] == [
        ("promptImage.0.uri", "a.png"),
        ("promptImage.1.uri", "b.png"),
    ]
    act = GenerationSpec(
        request={
            "model": "act_two",
            "character": {"type": "video", "uri": "face.mp4"},
            "reference": {"type": "video", "uri": "perf.mp4"},
        }
    )
    assert [(r.field, r.kind.value) for r in act.media()] == [
        ("character.uri", "video"),
        ("reference.uri", "video"),
    ]


def test_rules_are_checked_before_any_file_is_read() -> None:
    with pytest.raises(ValidationError, match="ratio"):
        spec(ratio="16:9", promptImage="/does/not/exist.png").validate_request()


def write_png(path: Path, shade: int) -> Path:
    path.write_bytes(png_bytes(rgb=(shade, shade, shade)))
    return path


async def key_of(s: GenerationSpec, base_url: str = "https://api.dev.runwayml.com") -> str:
    return generation_key(s, base_url=base_url, content_ids=await identify_inputs(s))


async def test_key_follows_content_not_path(tmp_path: Path) -> None:
    a = write_png(tmp_path / "a.png", 10)
    same = write_png(tmp_path / "same-content.png", 10)
    other = write_png(tmp_path / "other.png", 200)
    assert await key_of(spec(promptImage=str(a))) == await key_of(spec(promptImage=str(same)))
    assert await key_of(spec(promptImage=str(a))) != await key_of(spec(promptImage=str(other)))


async def test_key_covers_parameters_provider_and_variant(tmp_path: Path) -> None:
    image = str(write_png(tmp_path / "a.png", 10))
    base = await key_of(spec(promptImage=image))
    assert base == await key_of(spec(promptImage=image, duration=10))  # the default, written out
    assert base == await key_of(
        GenerationSpec(request={"model": "gen4_turbo", "prompt_image": image, "ratio": "960:960"})
    )  # snake_case
    assert base != await key_of(spec(promptImage=image, duration=5))
    assert base != await key_of(spec(promptImage=image, seed=1))
    assert base != await key_of(spec(promptImage=image), base_url="https://api.cometapi.com")
    varied = GenerationSpec(request=spec(promptImage=image).request, variant="take-2")
    assert base != await key_of(varied)
    # the output name does not change what is generated
    named = GenerationSpec(request=spec(promptImage=image).request, name="harbour")
    assert base == await key_of(named)


def test_attempt_keys() -> None:
    assert attempt_key("abc", 1) == "abc-1" != attempt_key("abc", 2)


async def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"promptImage \('.*nope.png'\): no such file"):
        await identify_inputs(spec(promptImage=str(tmp_path / "nope.png")))
