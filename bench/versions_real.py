#!/usr/bin/env python3
"""Version links on real lists, scored against b4 change-id chains.

    bench/versions_real.py --work DIR NAME=ARCHIVE [NAME=ARCHIVE ...] [--errors N]

ARCHIVE is a public-inbox git directory (a lore epoch fetched from
``github:linux-mailinglist-archives/...``) or an mboxrd file.  For each
list, in WORK/NAME/:

1. ``shared/tools/pi2mbox.py`` exports the archive (git directories only);
2. ``shared/tools/changeid_truth.py`` strips b4's change-ids and every
   explicit version pointer, keeping the chains as truth;
3. ``patchdesk ingest`` reads the stripped mbox into a fresh SQLite store
   (a subprocess of this interpreter: run with the venv's python), timed;
4. ``patchdesk export`` is scored by ``shared/tools/score_versions.py``,
   which also computes the two baselines on the same series: the latest
   earlier series with exactly the same name and a lower version, from
   the same address, and from anyone.

Steps 1-2 are skipped when their output exists (delete WORK/NAME to redo).
Prints one row per list and per method: precision (right / predicted
links touching a chain), recall (found / expected links), the wrong and
missed counts; with ``--errors N`` the scorer's own listing of wrong and
missed links follows.  The truth has its own blind spots (an author who
starts a new b4 branch for v7 gets a new change-id, so a true v6 -> v7
link scores "wrong"): read the listed errors before tuning to them.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "tools"
ROW = re.compile(r"^\s*(patchdesk|exact subject \+ same sender|exact subject, any sender): precision "
                 r"([\d.]+|nan) \((\d+)/(\d+)\).*?recall ([\d.]+) \((\d+)/(\d+)\)")


def run(*cmd: str, out: Path | None = None) -> str:
    with open(out, "wb") if out else open("/dev/null", "wb") as sink:
        done = subprocess.run(cmd, stdout=subprocess.PIPE if out is None else sink,
                              stderr=subprocess.PIPE, check=False)
    if done.returncode not in (0, 1):  # score_versions exits 1 below its bar
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stderr.decode(errors='replace')[-2000:]}")
    return done.stdout.decode(errors="replace") if out is None else ""


def prepare(name: str, archive: Path, work: Path) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    truth = work / "truth.json"
    if truth.exists():
        return work
    mbox = archive
    if archive.is_dir():
        mbox = work / "archive.mbox"
        run(sys.executable, str(SHARED / "pi2mbox.py"), str(archive), str(mbox))
    run(sys.executable, str(SHARED / "changeid_truth.py"), str(mbox), str(work))
    return work


def measure(name: str, work: Path, errors: int) -> tuple[list[tuple], str, float, int]:
    db = work / "patchdesk.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    start = time.perf_counter()
    run(sys.executable, "-m", "patchdesk", "--db", str(db), "ingest", str(work / "list.mbox"),
        "--list", name, "--json")
    seconds = time.perf_counter() - start
    export = work / "export.json"
    run(sys.executable, "-m", "patchdesk", "--db", str(db), "export", out=export)
    text = run(sys.executable, str(SHARED / "score_versions.py"), str(export), str(work / "truth.json"),
               "--errors", str(errors))
    rows = []
    for line in text.splitlines():
        m = ROW.match(line)
        if m:
            rows.append((m.group(1), float(m.group(2)), int(m.group(3)), int(m.group(4)),
                         float(m.group(5)), int(m.group(6)), int(m.group(7))))
    messages = len(re.findall(rb"(?m)^From ", (work / "list.mbox").read_bytes()))
    return rows, text, seconds, messages


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("lists", nargs="+", metavar="NAME=ARCHIVE")
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--errors", type=int, default=0)
    args = ap.parse_args()
    table = []
    for item in args.lists:
        name, _, archive = item.partition("=")
        work = prepare(name, Path(archive), args.work / name)
        rows, text, seconds, messages = measure(name, work, args.errors)
        table.append((name, rows, seconds, messages))
        if args.errors:
            print(f"\n=== {name}\n{text}")
    print(f"\n{'list':<18}{'method':<30}{'precision':>10}{'recall':>8}{'wrong':>7}{'missed':>8}")
    totals: dict[str, list[int]] = {}
    for name, rows, seconds, messages in table:
        for method, precision, right, predicted, recall, found, expected in rows:
            print(f"{name:<18}{method:<30}{precision:>10.3f}{recall:>8.3f}{predicted - right:>7}"
                  f"{expected - found:>8}")
            t = totals.setdefault(method, [0, 0, 0, 0])
            for i, v in enumerate((right, predicted, found, expected)):
                t[i] += v
        print(f"{'':<18}ingest {messages:,} messages in {seconds:.1f} s ({messages / seconds:,.0f} msg/s)")
    if len(table) > 1:
        for method, (right, predicted, found, expected) in totals.items():
            print(f"{'all':<18}{method:<30}{right / max(1, predicted):>10.3f}{found / max(1, expected):>8.3f}"
                  f"{predicted - right:>7}{expected - found:>8}")


if __name__ == "__main__":
    main()
