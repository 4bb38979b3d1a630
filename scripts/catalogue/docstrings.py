"""Limits the SDK states only in prose, read from its field docstrings by a few fixed phrases.

Used only where the pinned OpenAPI document says nothing (models newer than it). The phrases
are deliberately few and literal; ``python3 dev.py catalogue --report`` lists every limit read
this way, with its sentence, for a person to check:

* ``up to N characters`` on a string: at most N (UTF-16 code units, as Runway counts);
  ``A non-empty`` string: at least 1; ``Must be A-B characters``: A to B; ``start with a
  letter, and use only letters, digits, and underscores``: that pattern;
* ``from A to B``, ``between A and B``, ``(A-B)`` (hyphen or en dash) on a number: A <= value <= B;
* ``up to N``/``Up to N`` (digits or one..ten) on a list: at most N items.
"""

from __future__ import annotations

import re

from scripts.catalogue.ir import Bounds, FieldSpec, ListOf, Obj, ObjectSpec, Scalar, UnionOf

__all__ = ["apply_docstring_bounds"]

_NUMBER = r"-?\d+(?:\.\d+)?"
_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_CHARACTERS = re.compile(r"up to ([\d,]+) characters")
_LENGTH_RANGE = re.compile(r"Must be (\d+)-(\d+) characters")
_IDENTIFIER = "start with a letter, and use only letters, digits, and underscores"
# "from 0 (faithful) to 100": a parenthesis may sit between; a number followed by a letter
# ("720p", "4k") is a name, not a number.
_FROM_TO = re.compile(rf"from ({_NUMBER})(?: \([^)]*\))? to ({_NUMBER})(?![\w.])")
_BETWEEN = re.compile(rf"between ({_NUMBER}) and ({_NUMBER})(?![\w.])")
_DASHED = re.compile(rf"\(({_NUMBER})\s*[\u2013-]\s*({_NUMBER})\)")  # hyphen or en dash
_UP_TO_ITEMS = re.compile(r"[Uu]p to (\d+|" + "|".join(_WORDS) + r")\b(?! characters)")


def _number(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() else value


def _scalar(field: FieldSpec, spec: Scalar, notes: list[str], where: str) -> None:
    doc = field.doc
    bounds: Bounds = spec.bounds
    source = f"docstring: {doc}"
    if spec.kind == "str":
        match = _CHARACTERS.search(doc)
        if match and bounds.max_length is None:
            bounds.set("max_length", int(match.group(1).replace(",", "")), source)
            notes.append(f"{where}: maxLength {bounds.max_length} <- {match.group(0)!r}")
        if doc.startswith("A non-empty") and bounds.min_length is None:
            bounds.set("min_length", 1, source)
            notes.append(f"{where}: minLength 1 <- 'A non-empty'")
        match = _LENGTH_RANGE.search(doc)
        if match and bounds.min_length is None and bounds.max_length is None:
            bounds.set("min_length", int(match.group(1)), source)
            bounds.set("max_length", int(match.group(2)), source)
            notes.append(f"{where}: length {match.group(1)}-{match.group(2)} <- {match.group(0)!r}")
        if _IDENTIFIER in doc and bounds.pattern is None:
            bounds.set("pattern", "^[A-Za-z][A-Za-z0-9_]*$", source)
            notes.append(f"{where}: pattern ^[A-Za-z][A-Za-z0-9_]*$ <- {_IDENTIFIER!r}")
        return
    if spec.kind not in ("int", "float"):
        return
    if bounds.minimum is not None or bounds.maximum is not None:
        return
    for pattern in (_FROM_TO, _BETWEEN, _DASHED):
        match = pattern.search(doc)
        if match:
            low, high = _number(match.group(1)), _number(match.group(2))
            bounds.set("minimum", low, source)
            bounds.set("maximum", high, source)
            notes.append(f"{where}: {low} <= value <= {high} <- {match.group(0)!r}")
            return


def _list(field: FieldSpec, spec: ListOf, notes: list[str], where: str) -> None:
    if spec.bounds.max_length is not None:
        return
    match = _UP_TO_ITEMS.search(field.doc)
    if match:
        word = match.group(1)
        count = int(word) if word.isdigit() else _WORDS[word]
        spec.bounds.set("max_length", count, f"docstring: {field.doc}")
        notes.append(f"{where}: maxItems {count} <- {match.group(0)!r}")


def _walk(spec: ObjectSpec, notes: list[str], where: str, seen: set[int]) -> None:
    if id(spec) in seen:
        return
    seen.add(id(spec))
    for field in spec.fields:
        path = f"{where}.{field.wire}"
        _field(field, field.type, notes, path, seen)


def _field(field: FieldSpec, spec: object, notes: list[str], path: str, seen: set[int]) -> None:
    if isinstance(spec, Scalar):
        _scalar(field, spec, notes, path)
    elif isinstance(spec, ListOf):
        _list(field, spec, notes, path)
        item = spec.item
        if isinstance(item, Obj):
            _walk(item.spec, notes, f"{path}[]", seen)
    elif isinstance(spec, Obj):
        _walk(spec.spec, notes, path, seen)
    elif isinstance(spec, UnionOf):
        for option in spec.options:
            _field(field, option, notes, path, seen)


def apply_docstring_bounds(spec: ObjectSpec, where: str) -> list[str]:
    """Add the limits the docstrings of ``spec``'s fields state; return what was read."""
    notes: list[str] = []
    _walk(spec, notes, where, set())
    return notes
