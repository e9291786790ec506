"""Run one atheris fuzz target for a bounded time.

    python fuzz/run.py mail --seconds 3600
    python fuzz/run.py diff --seconds 60 --corpus /var/tmp/pd-fuzz/diff

Targets: mail, subject, diff, quotes (see fuzz/checks.py for the contract
each one checks).  The seed corpus is cut from ``tests/data/corpus`` into a
temporary directory (nothing is written under ``tests/data``); with
``--corpus DIR`` the inputs the fuzzer finds interesting are kept in DIR
and a later run starts from them.  Crashing, hanging (``--timeout``
seconds for one input) and out-of-memory inputs are saved in
``fuzz/crashes/TARGET/`` (``--crashes``); turn each one into a
regression file in ``tests/data/fuzz/``.

Exit status: 0 when the run ended without a finding, 1 on a finding, 2
when atheris is missing (a failure, not a skip: CI must fuzz).
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from seeds import write_seeds  # noqa: E402

TARGETS = ("mail", "subject", "diff", "quotes")
#: Longest input the fuzzer makes; seeds longer than this are cut.
MAX_LEN = {"mail": 131072, "subject": 4096, "diff": 65536, "quotes": 16384}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("target", choices=TARGETS)
    ap.add_argument("--seconds", type=int, default=60, help="total fuzzing time (default 60)")
    ap.add_argument("--timeout", type=int, default=20,
                    help="seconds one input may take before it counts as a hang (default 20)")
    ap.add_argument("--corpus", type=Path, help="keep the evolving corpus here (default: a temp dir)")
    ap.add_argument("--crashes", type=Path, help="where findings go (default fuzz/crashes/TARGET)")
    ap.add_argument("--rss-limit-mb", type=int, default=2048)
    args = ap.parse_args(argv)

    if importlib.util.find_spec("atheris") is None:
        print("fuzz/run.py: atheris is not installed in this Python "
              f"({sys.executable}); install it with `pip install atheris` "
              "(it is in the `test` extra).", file=sys.stderr)
        return 2

    crashes = args.crashes or HERE / "crashes" / args.target
    crashes.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"pd-fuzz-{args.target}-") as tmp:
        seed_dir = Path(tmp) / "seeds"
        n = write_seeds(args.target, seed_dir)
        work = args.corpus or Path(tmp) / "corpus"
        work.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, str(HERE / f"fuzz_{args.target}.py"), str(work), str(seed_dir),
               f"-max_total_time={args.seconds}", f"-timeout={args.timeout}",
               f"-rss_limit_mb={args.rss_limit_mb}", f"-max_len={MAX_LEN[args.target]}",
               f"-artifact_prefix={crashes}/", "-print_final_stats=1"]
        print(f"fuzz {args.target}: {n} seeds, {args.seconds} s, findings -> {crashes}", flush=True)
        before = set(crashes.iterdir())
        started = time.monotonic()
        proc = subprocess.run(cmd, stderr=subprocess.PIPE, text=True, errors="replace")
        elapsed = time.monotonic() - started
    log = proc.stderr
    sys.stderr.write(log[-20000:])
    execs = re.findall(r"stat::number_of_executed_units: (\d+)", log)
    found = sorted(set(crashes.iterdir()) - before)
    print(f"fuzz {args.target}: {execs[-1] if execs else '?'} executions in {elapsed:.0f} s, "
          f"exit {proc.returncode}, findings: {[p.name for p in found] or 'none'}", flush=True)
    return 0 if proc.returncode == 0 and not found else 1


if __name__ == "__main__":
    sys.exit(main())
