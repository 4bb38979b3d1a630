"""Batch manifests: JSONL or CSV rows of generations, local or in S3.

A JSONL row is either ``{"name": ..., "variant": ..., "request": {<Runway request>}}`` or the
request's fields flat, with ``name`` and ``variant`` beside them. A CSV row is flat; its
``character`` and ``reference`` columns hold URIs or paths (with ``character_type`` ``image`` or
``video``, default ``image``), and numbers and ``true``/``false`` are read as such.

A row that cannot be read is reported with its line number and does not stop the others.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from prefect_runway.tasks.spec import GenerationSpec

__all__ = ["ManifestRow", "parse_manifest"]

_INTEGER_FIELDS = {"duration", "seed", "expressionIntensity", "expression_intensity"}
_BOOLEAN_FIELDS = {"audio", "bodyControl", "body_control"}


@dataclass(frozen=True)
class ManifestRow:
    """One row: its line number, and either a spec or why it could not be read."""

    line: int
    spec: GenerationSpec | None
    error: str | None = None


def _flat_to_spec(fields: dict[str, Any]) -> GenerationSpec:
    fields = {k: v for k, v in fields.items() if v not in (None, "")}
    if "request" in fields:
        return GenerationSpec.model_validate(fields)
    name = fields.pop("name", None)
    variant = fields.pop("variant", "")
    character_type = fields.pop("character_type", fields.pop("characterType", "image"))
    if isinstance(fields.get("character"), str):
        fields["character"] = {"type": character_type, "uri": fields["character"]}
    if isinstance(fields.get("reference"), str):
        fields["reference"] = {"type": "video", "uri": fields["reference"]}
    return GenerationSpec(request=fields, name=name, variant=variant)


def _typed(fields: dict[str, str]) -> dict[str, Any]:
    typed: dict[str, Any] = {}
    for key, value in fields.items():
        text = (value or "").strip()
        if key in _INTEGER_FIELDS and text.lstrip("-").isdigit():
            typed[key] = int(text)
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
    return str(error)


def parse_manifest(text: str, *, kind: str) -> list[ManifestRow]:
    """Every row of a manifest, in order, each with its 1-based line number.

    Args:
        text: The manifest's content.
        kind: ``jsonl`` or ``csv``.
    """
    rows: list[ManifestRow] = []
    if kind == "jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                if not isinstance(data, dict):
                    raise ValueError("a row must be a JSON object")
                spec = _flat_to_spec(data)
                spec.validate_request()
                rows.append(ManifestRow(number, spec))
            except (ValueError, TypeError) as error:
                rows.append(ManifestRow(number, None, _explain(error)))
        return rows
    if kind != "csv":
        raise ValueError(f"unknown manifest kind {kind!r}; use jsonl or csv")
    reader = csv.DictReader(io.StringIO(text))
    for record in reader:
        number = reader.line_num
        try:
            if None in record:
                raise ValueError("the row has more cells than the header")
            spec = _flat_to_spec(_typed(record))
            spec.validate_request()
            rows.append(ManifestRow(number, spec))
        except (ValueError, TypeError) as error:
            rows.append(ManifestRow(number, None, _explain(error)))
    return rows
