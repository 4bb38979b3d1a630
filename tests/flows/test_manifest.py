"""Manifest parsing: no content makes it raise, and a bad row ends only that row."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from prefect_runway.flows.manifest import ManifestRow, parse_manifest

GOOD = {"model": "gen4_turbo", "promptImage": "https://example.com/a.png", "ratio": "960:960",
        "duration": 2}  # fmt: skip
GOOD_LINE = json.dumps(GOOD).encode()


@settings(max_examples=300, deadline=None)
@given(content=st.binary(max_size=2000), kind=st.sampled_from(["jsonl", "csv"]))
def test_no_bytes_make_the_parser_raise(content: bytes, kind: str) -> None:
    rows = parse_manifest(content, kind=kind)
    assert all(isinstance(row, ManifestRow) for row in rows)
    assert all((row.spec is None) == (row.error is not None) for row in rows)


@settings(max_examples=200, deadline=None)
@given(
    junk=st.lists(
        st.one_of(
            st.binary(max_size=200).filter(lambda b: b"\n" not in b and b"\r" not in b),
            st.just(b"[" * 5000),
            st.just(b'{"a": 1, "a": 2}'),
            st.just(b"\xff\xfe\x00"),
            st.just(b"9" * 5000),
        ),
        max_size=8,
    )
)
def test_good_rows_survive_any_bad_rows_around_them(junk: list[bytes]) -> None:
    # The good row first and last, hostile lines between: both good rows come back whole.
    lines = [GOOD_LINE, *junk, GOOD_LINE]
    rows = parse_manifest(b"\n".join(lines) + b"\n", kind="jsonl")
    good = [row for row in rows if row.spec is not None and row.spec.request == GOOD]
    assert [row.line for row in good][:1] == [1]
    assert good[-1].line == len(lines)


def test_duplicate_keys_are_refused_not_last_wins() -> None:
    for line in (
        b'{"model": "gen4_turbo", "duration": 2, "duration": 10, "promptImage": "x"}',
        b'{"request": {"model": "gen4_turbo", "seed": 1, "seed": 2}}',
        b'{"name": "a", "name": "b", "model": "gen4_turbo"}',
    ):
        (row,) = parse_manifest(line, kind="jsonl")
        assert row.spec is None and "appears twice" in (row.error or "")


def test_a_csv_header_naming_a_column_twice_refuses_the_manifest() -> None:
    rows = parse_manifest(b"model,duration,duration\ngen4_turbo,2,10\n", kind="csv")
    assert len(rows) == 1 and rows[0].spec is None
    assert "['duration'] more than once" in (rows[0].error or "")


def test_a_csv_cell_over_the_field_limit_ends_only_its_row() -> None:
    good = "gen4_turbo,https://example.com/a.png,960:960,2"
    content = "\n".join(["model,promptImage,ratio,duration", good, "x" * 140_000, good]) + "\n"
    rows = parse_manifest(content.encode(), kind="csv")
    assert [row.line for row in rows] == [2, 3, 4]
    assert rows[0].spec is not None and rows[2].spec is not None
    assert "field limit" in (rows[1].error or "")


def test_invalid_utf8_ends_only_its_line() -> None:
    rows = parse_manifest(GOOD_LINE + b"\n" + b'{"name": "caf\xe9"}\n' + GOOD_LINE, kind="jsonl")
    assert [row.spec is not None for row in rows] == [True, False, True]
    assert "byte 0xe9 is not UTF-8" in (rows[1].error or "")
