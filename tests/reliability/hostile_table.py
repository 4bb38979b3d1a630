"""Run the hostile-input suite and print its table: class, inputs tried, refused before any POST.

    .venv/bin/python -m tests.reliability.hostile_table [extra pytest arguments]

Each test of ``tests/reliability/test_hostile_inputs.py`` files its input(s) under a class
(``record_property("hostile", class)`` for one input, ``("hostile_count", (class, n))`` for a
test that checks ``n`` manifest rows at once). A test passes only if every one of its inputs was
refused before any POST (the emulator counted no create and no upload for it) with an error
naming the field, so the inputs of passed tests are the ones refused before any POST.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

SUITE = Path(__file__).with_name("test_hostile_inputs.py")


class _Tally:
    def __init__(self) -> None:
        self.tried: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.when != "call" and not (report.when == "setup" and report.failed):
            return
        for name, value in report.user_properties:
            if name == "hostile":
                klass, count = str(value), 1
            elif name == "hostile_count":
                klass, count = str(value[0]), int(value[1])
            else:
                continue
            self.tried[klass] += count
            if report.passed:
                self.refused[klass] += count


def main(argv: list[str]) -> int:
    tally = _Tally()
    code = pytest.main(["-q", "-p", "no:randomly", str(SUITE), *argv], plugins=[tally])
    rows = sorted(tally.tried)
    print("\n| class | hostile inputs | refused before any POST |")
    print("|---|---:|---:|")
    for klass in rows:
        print(f"| {klass} | {tally.tried[klass]} | {tally.refused[klass]} |")
    total, refused = sum(tally.tried.values()), sum(tally.refused.values())
    print(f"| **all** | **{total}** | **{refused}** |")
    return int(code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
