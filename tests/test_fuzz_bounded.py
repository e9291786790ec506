"""The CI fuzz run: every atheris target (fuzz/) for a few seconds each.

Longer runs are the same command with more seconds (docs/reliability.md,
"Fuzzing").  Findings go to a temporary directory here; the output names
them, and each one becomes a file in tests/data/fuzz/.  atheris missing is
a failure, not a skip: CI must fuzz.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ("mail", "subject", "diff", "quotes")
SECONDS = 4


@pytest.mark.slow
@pytest.mark.timeout(180)  # hang guard only: 4 s of fuzzing plus start-up
@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_target_runs_clean(target, tmp_path):
    if importlib.util.find_spec("atheris") is None:
        pytest.fail("atheris is not installed: `pip install atheris` (it is in the `test` extra); "
                    "the CI fuzz run cannot be skipped")
    crashes = tmp_path / "crashes"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "fuzz" / "run.py"), target, "--seconds", str(SECONDS),
         "--crashes", str(crashes), "--corpus", str(tmp_path / "corpus")],
        capture_output=True, text=True, errors="replace", timeout=170, cwd=ROOT)
    summary = [line for line in proc.stdout.splitlines() if line.startswith(f"fuzz {target}:")]
    found = sorted(p.name for p in crashes.iterdir()) if crashes.exists() else []
    assert proc.returncode == 0 and not found, (
        f"fuzz {target} failed (exit {proc.returncode}), findings {found}:\n"
        + "\n".join(summary) + "\n" + proc.stderr[-6000:])
    assert summary and "executions" in summary[-1], proc.stdout
    execs = summary[-1].split(": ", 1)[1].split()[0]
    assert execs.isdigit() and int(execs) > 0, summary[-1]
