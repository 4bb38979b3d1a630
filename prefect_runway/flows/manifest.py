"""Batch manifests: JSONL or CSV rows of generations, local or in S3.

A JSONL row is either ``{"name": ..., "variant": ..., "request": {<Runway request>}}`` or the
request's fields flat, with ``name`` and ``variant`` beside them. A CSV row is flat; its
``character`` and ``reference`` columns hold URIs or paths (with ``character_type`` ``image`` or
``video``, default ``image``), and numbers and ``true``/``false`` are read as such.

Rows may be of any endpoint of the catalogue (every media field, of any kind, may hold a local
path, an ``s3://`` object or a URL). Two optional keys (columns) sit beside ``name``:

* ``endpoint``: needed only where a model serves several endpoints and the row's fields do not
  tell which (``seed_audio`` with only a ``promptText``: ``sound_effect`` or
  ``text_to_speech``);
* ``price_cap``: for a model without a published price, the most credits the row may cost;
  with the batch's ``max_credits`` such a row is refused without one.

A row that cannot be read is reported with its line number and does not stop the others: a
line that is not UTF-8, JSON nested too deep to read, a JSON object with a key twice (refused,
not last-wins: ``{"duration": 5, "duration": 10}`` would otherwise pay for the 10), a CSV cell
over Python's 131072-character field limit, a row that is not valid for its model. A CSV header
with a column twice makes every row unreadable, so the manifest is refused as one bad row.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from prefect_runway.tasks.spec import GenerationSpec

__all__ = ["MAX_MANIFEST_BYTES", "ManifestRow", "parse_manifest"]

MAX_MANIFEST_BYTES = 64 * 1024 * 1024
"""The largest manifest read (it is held in memory while it is planned)."""

_FLOAT = re.compile(r"-?\d+(\.\d+)?")

# Lone surrogates are where ``surrogateescape`` kept bytes that are not UTF-8.
_NOT_UTF8 = re.compile("[\udc80-\udcff]")

_INTEGER_FIELDS = {
    "duration", "seed", "expressionIntensity", "expression_intensity", "outputCount",
    "output_count", "numVariants", "num_variants",
}  # fmt: skip
_NUMBER_FIELDS = {"duration", "price_cap", "priceCap"}
_BOOLEAN_FIELDS = {"audio", "bodyControl", "body_control"}


@dataclass(frozen=True)
class ManifestRow:
    """One row: its line number, and either a spec or why it could not be read."""

    line: int
    spec: GenerationSpec | None
    error: str | None = None
    price_cap: float | None = None


def _price_cap(fields: dict[str, Any]) -> float | None:
    cap = fields.pop("price_cap", fields.pop("priceCap", None))
    if cap is None or cap == "":
        return None
    if isinstance(cap, bool) or not isinstance(cap, int | float) or not math.isfinite(cap):
        raise ValueError(f"price_cap: {cap!r} is not a number of credits")
    if cap < 0:
        raise ValueError(f"price_cap: {cap!r}; give the most credits the row may cost, >= 0")
    return float(cap)


def _flat_to_spec(fields: dict[str, Any]) -> GenerationSpec:
    fields = {k: v for k, v in fields.items() if v not in (None, "")}
    if "request" in fields:
        return GenerationSpec.model_validate(fields)
    name = fields.pop("name", None)
    variant = fields.pop("variant", "")
    endpoint = fields.pop("endpoint", None)
    character_type = fields.pop("character_type", fields.pop("characterType", "image"))
    if isinstance(fields.get("character"), str):
        fields["character"] = {"type": character_type, "uri": fields["character"]}
    if isinstance(fields.get("reference"), str):
        fields["reference"] = {"type": "video", "uri": fields["reference"]}
    return GenerationSpec(request=fields, name=name, variant=variant, endpoint=endpoint)


def _typed(fields: dict[str, str]) -> dict[str, Any]:
    typed: dict[str, Any] = {}
    for key, value in fields.items():
        text = (value or "").strip()
        if key in _INTEGER_FIELDS and text.lstrip("-").isdigit():
            typed[key] = int(text)
        elif key in _NUMBER_FIELDS and _FLOAT.fullmatch(text):
            typed[key] = float(text)
        elif key in _BOOLEAN_FIELDS and text.lower() in ("true", "false"):
            typed[key] = text.lower() == "true"
        else:
            typed[key] = text
    return typed


def _explain(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg']}" for e in error.errors()
        )
    if isinstance(error, RecursionError):
        return "the row nests objects or lists too deeply to read; a request nests a few levels"
    return str(error)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's pairs as a dict, refusing a key given twice (json's default: last wins)."""
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(
                f"the key {key[:80]!r} appears twice in one object; each field may be given once"
            )
        seen[key] = value
    return seen


def _not_utf8(text: str, line: int) -> str | None:
    found = _NOT_UTF8.search(text)
    if found is None:
        return None
    byte = ord(found.group()) - 0xDC00
    return (
        f"line {line}: byte 0x{byte:02x} is not UTF-8 (the manifest must be UTF-8 text; "
        "save it as UTF-8)"
    )


def _row(number: int, fields: dict[str, Any]) -> ManifestRow:
    try:
        fields = dict(fields)
        cap = _price_cap(fields)
        spec = _flat_to_spec(fields)
        spec.validate_request()
    except (ValueError, TypeError, RecursionError) as error:
        return ManifestRow(number, None, _explain(error))
    return ManifestRow(number, spec, price_cap=cap)


def parse_manifest(content: str | bytes, *, kind: str) -> list[ManifestRow]:
    """Every row of a manifest, in order, each with its 1-based line number.

    A row that cannot be read becomes a row with its error; the others are unaffected.

    Args:
        content: The manifest (bytes are read as UTF-8, a leading byte-order mark ignored).
        kind: ``jsonl`` or ``csv``.
    """
    if kind not in ("jsonl", "csv"):
        raise ValueError(f"unknown manifest kind {kind!r}; use jsonl or csv")
    if isinstance(content, bytes):
        # Bytes that are not UTF-8 are kept (as lone surrogates) and refuse only their row.
        text = content.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "surrogateescape")
    else:
        text = content.removeprefix("\ufeff")
    if kind == "jsonl":
        return _parse_jsonl(text)
    return _parse_csv(text)


def _parse_jsonl(text: str) -> list[ManifestRow]:
    rows: list[ManifestRow] = []
    # Lines end at "\n" only (JSONL's rule; "\r\n" too): str.splitlines would also split at
    # a vertical tab or U+2028 inside a row, and the line numbers would not be the file's.
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.removesuffix("\r")
        if not line.strip():
            continue
        problem = _not_utf8(line, number)
        if problem is not None:
            rows.append(ManifestRow(number, None, problem))
            continue
        try:
            data = json.loads(line, object_pairs_hook=_no_duplicate_keys)
        except (ValueError, RecursionError) as error:
            rows.append(ManifestRow(number, None, _explain(error)))
            continue
        if not isinstance(data, dict):
            rows.append(ManifestRow(number, None, "a row must be a JSON object"))
            continue
        rows.append(_row(number, data))
    return rows


def _parse_csv(text: str) -> list[ManifestRow]:
    rows: list[ManifestRow] = []
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        return rows
    except csv.Error as error:
        return [ManifestRow(reader.line_num, None, f"the header cannot be read: {error}")]
    problem = _not_utf8(",".join(header), reader.line_num)
    repeated = sorted({name for name in header if header.count(name) > 1})
    if problem is None and repeated:
        problem = (
            f"the header names the column(s) {repeated} more than once; each column may appear "
            "once (otherwise the last would silently win)"
        )
    if problem is not None:
        return [ManifestRow(reader.line_num, None, problem)]
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            # Python's csv refuses a cell over its field limit (131072 characters); the reader
            # goes on with the next line.
            rows.append(ManifestRow(reader.line_num, None, f"the row cannot be read: {error}"))
            continue
        number = reader.line_num
        if not cells:
            continue
        problem = _not_utf8(",".join(cells), number)
        if problem is not None:
            rows.append(ManifestRow(number, None, problem))
            continue
        if len(cells) > len(header):
            rows.append(ManifestRow(number, None, "the row has more cells than the header"))
            continue
        record = dict(zip(header, cells, strict=False))
        rows.append(_row(number, _typed(record)))
    return rows
