"""Every input in tests/data/fuzz/ replayed through the target that found it.

A file is named ``TARGET-HASH`` (``.gz`` when large; the inputs that caused
quadratic-time hangs are hundreds of kilobytes of one repeated byte).  The
target's contract is the one the fuzzer checks (``fuzz/checks.py``), so a
crash found by a long atheris run stays fixed.  See tests/data/fuzz/README.md
for what each file broke.
"""

from __future__ import annotations

import gzip
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "fuzz"))

import checks  # noqa: E402

FILES = sorted(p for p in (ROOT / "tests" / "data" / "fuzz").iterdir()
               if p.name.split("-", 1)[0] in checks.TARGETS)
#: Hang guard only, deliberately generous (house rule: no tight timing
#: thresholds).  Each of these inputs took minutes to hours before its fix
#: and takes well under a second after it.
HANG_GUARD_S = 20


def test_every_target_has_regressions():
    assert {p.name.split("-", 1)[0] for p in FILES} >= {"mail", "diff", "quotes", "subject"}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_replay(path):
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    target = path.name.split("-", 1)[0]
    started = time.monotonic()
    checks.CHECKS[target](data)
    assert time.monotonic() - started < HANG_GUARD_S, f"{path.name}: hang guard exceeded"
