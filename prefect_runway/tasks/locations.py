"""Where a generation's output, sidecar and ledger entries land: computed here and nowhere else.

```
<bucket folder>/<prefix>/<name>.<ext>            the output (``<name>-<i>.<ext>`` for output i > 0)
<bucket folder>/<prefix>/<name>.json             its sidecar
<bucket folder>/<prefix>/_runway/ledger/<key>-<n>.json   attempt n's ledger entry
<bucket folder>/<prefix>/_runway/names/<name>.json       which generation holds the name
```

Names come from users, UI forms, event payloads and manifests, so they are checked before
anything is paid (DESIGN.md, "names never collide"): a name is one path segment of ASCII
letters, digits, ``_``, ``-`` and ``.``, starting with a letter or a digit, with no ``..``
and no trailing ``.``. So it can never climb out of the prefix (``/``, ``..``, ``%2F``,
backslashes), reach ``_runway/`` or the flows' own ``_results/`` and ``_chunks/``, hide
(``.x``), or look like another name (Unicode look-alikes, trailing dots or spaces that some
file systems drop). Two names equal but for case are one name: a bucket synced to a
case-insensitive disk would keep only one of them.

Example:
    >>> location = OutputLocation.of(prefix="campaign", name="harbour", key="3f2a")
    >>> location.sidecar_key, location.stem
    ('campaign/harbour.json', 'campaign/harbour')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from prefect_runway.api.errors import PrefectRunwayError

__all__ = [
    "LEDGER_FOLDER",
    "NAME_MAX_LENGTH",
    "InvalidName",
    "NameTaken",
    "OutputLocation",
    "RunNames",
    "check_name",
    "check_prefix",
    "join",
    "normalise_name",
]

#: The ledger's folder under a prefix; no output name can reach it.
LEDGER_FOLDER = "_runway"
#: Longest name: S3 keys stop at 1024 bytes, and a prefix and a bucket folder come first.
NAME_MAX_LENGTH = 200

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
_RULE = (
    "a name is 1 to 200 of the characters A-Z a-z 0-9 _ - . (no '/', spaces or other "
    "characters), starts with a letter or a digit, and has no '..' and no trailing '.'"
)


class InvalidName(PrefectRunwayError, ValueError):
    """An output name or prefix that could climb out of its folder or collide; nothing was sent."""


class NameTaken(PrefectRunwayError, ValueError):
    """An output name already belongs to another generation; nothing was sent for this one."""


def join(*parts: str) -> str:
    """Join key parts with ``/``, dropping empty parts and their slashes."""
    return "/".join(part.strip("/") for part in parts if part.strip("/"))


def check_name(name: str, *, field: str = "name") -> str:
    """Return ``name`` if it is a safe output name, else raise naming the rule.

    Raises:
        InvalidName: naming the field, the value and what is allowed.

    Example:
        >>> check_name("harbour-01.v2")
        'harbour-01.v2'
    """
    problem = None
    if not isinstance(name, str) or not name:
        problem = "it is empty"
    elif len(name) > NAME_MAX_LENGTH:
        problem = f"it is {len(name)} characters long"
    elif not _NAME.fullmatch(name):
        bad = sorted({c for c in name if not re.fullmatch(r"[A-Za-z0-9_.\-]", c)})
        if bad:
            problem = "it contains " + ", ".join(repr(c) for c in bad[:5])
        else:
            problem = "it does not start with a letter or a digit"
    elif ".." in name:
        problem = "it contains '..'"
    elif name.endswith("."):
        problem = "it ends with '.'"
    if problem is not None:
        shown = name if len(str(name)) <= 80 else f"{str(name)[:77]}..."
        raise InvalidName(f"{field}={shown!r} cannot be an output name: {problem}; {_RULE}")
    return name


def normalise_name(name: str) -> str:
    """The form two names are compared in: names equal but for case are one name."""
    return name.casefold()


def check_prefix(prefix: str, *, field: str = "prefix") -> str:
    """Return ``prefix`` if it cannot reach outside its folder or into a ledger.

    A prefix is a folder path: segments separated by ``/``, none of them ``.``, ``..`` or the
    ledger's ``_runway``, no backslash.

    Raises:
        InvalidName: naming the prefix and the rule.
    """
    for segment in prefix.strip("/").split("/"):
        if not prefix.strip("/"):
            break
        if segment in ("", ".", "..") or "\\" in segment or segment.casefold() == LEDGER_FOLDER:
            raise InvalidName(
                f"{field}={prefix!r}: a prefix is folder names separated by '/'; none may be "
                f"empty, '.', '..' or {LEDGER_FOLDER!r}, and none may contain a backslash"
            )
    return prefix


@dataclass(frozen=True)
class OutputLocation:
    """Every key of one generation, relative to the destination bucket's folder.

    Attributes:
        prefix: The key prefix (a folder path).
        name: The output's stem (the generation key when the user gave none).
        key: The generation key.
    """

    prefix: str
    name: str
    key: str

    @classmethod
    def of(cls, *, prefix: str, name: str | None, key: str) -> OutputLocation:
        """The location of generation ``key`` named ``name`` (default: the key) under ``prefix``.

        Raises:
            InvalidName: the name or the prefix breaks the rules.
        """
        check_prefix(prefix)
        return cls(prefix=prefix, name=check_name(name) if name is not None else key, key=key)

    @property
    def stem(self) -> str:
        """The output's key without its extension (the extension comes from the download)."""
        return join(self.prefix, self.name)

    def output_stem(self, index: int) -> str:
        """Output ``index``'s key without extension (``<name>-<i>`` past the first)."""
        return self.stem if index == 0 else f"{self.stem}-{index}"

    @property
    def sidecar_key(self) -> str:
        return f"{self.stem}.json"

    @property
    def ledger_folder(self) -> str:
        """The ledger's folder for this prefix (``SubmissionLedger(bucket, ledger_folder)``)."""
        return join(self.prefix, LEDGER_FOLDER)

    @property
    def normalised_name(self) -> str:
        return normalise_name(self.name)

    def attempt_key(self, attempt: int) -> str:
        """Attempt ``attempt``'s key (from 1): a retried failure is a new, paid generation."""
        return f"{self.key}-{attempt}"


@dataclass
class RunNames:
    """The names one run writes: each output name to one generation, none the flow's own.

    Args:
        reserved: Names the flow itself writes beside the outputs (the storyboard's cut and
            ``storyboard.json``), compared case-insensitively.

    Example:
        >>> names = RunNames(reserved={"lighthouse-cut": "the storyboard's cut"})
        >>> names.claim("harbour", "k1", where="line 1") is None
        True
        >>> names.claim("HARBOUR", "k2", where="line 2") is not None  # one name, two requests
        True
    """

    reserved: dict[str, str] = field(default_factory=dict)
    _taken: dict[str, tuple[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.reserved = {normalise_name(k): v for k, v in self.reserved.items()}

    def claim(self, name: str, key: str, *, where: str) -> str | None:
        """Record that ``name`` holds generation ``key``; the reason it cannot, or None."""
        normal = normalise_name(name)
        if normal in self.reserved:
            return (
                f"name {name!r} ({where}) is {self.reserved[normal]}, which this flow writes "
                "itself; choose another name"
            )
        holder = self._taken.get(normal)
        if holder is not None and holder[0] != key:
            return (
                f"name {name!r} ({where}) is already the output of another generation in this "
                f"run ({holder[1]}); two different requests cannot share one name: nothing was "
                "sent for it"
            )
        self._taken.setdefault(normal, (key, where))
        return None

    @classmethod
    def reserving(cls, names: Iterable[tuple[str, str]]) -> RunNames:
        return cls(reserved=dict(names))
