#!/usr/bin/env python3
"""Series-stage speed: this checkout's version linking against an earlier
revision's, on the same series of a real store, in one process.

    bench/lineage_speed.py --db STORE [--baseline REV] [--rounds N]

The series of every sender are loaded from STORE (an ingested list, e.g.
linux-block's 101k messages) once, as ``pipeline.series.update_series`` sees
them.  Then, alternately for N rounds, ``link_series`` of this checkout
runs over each person's series (its unit of work: all addresses of one
person), and ``link_series`` of REV (default: the commit before identity
was added) over each address's series, with the same SeriesInfo data.
Prints the best round of each, the time per message of the archive, the
ratio, and how many version links each made.  No store is written.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from patchdesk.store.db import open_engine  # noqa: E402
from patchdesk.store.schema import Message  # noqa: E402
from patchdesk.judge.series import drafts_of, infos_of  # noqa: E402
from patchdesk.store.series import all_senders, load_submissions  # noqa: E402
from patchdesk.versions.lineage import link_series  # noqa: E402


def baseline_module(rev: str):
    """``versions.lineage`` as it was at REV, importable beside this one."""
    folder = Path(tempfile.mkdtemp(prefix="lineage-baseline-"))
    package = folder / "baseline_versions"
    package.mkdir()
    (package / "__init__.py").write_text("")
    listing = subprocess.run(["git", "-C", str(ROOT), "ls-tree", "--name-only", rev, "patchdesk/versions/"],
                             capture_output=True, text=True, check=True).stdout.split()
    for path in listing:
        text = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{path}"],
                              capture_output=True, text=True, check=True).stdout
        (package / Path(path).name).write_text(text)
    sys.path.insert(0, str(folder))
    return importlib.import_module("baseline_versions.lineage")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--baseline", default="bbdc84c")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    old = baseline_module(args.baseline)
    engine = open_engine(args.db)
    with engine.connect() as conn:
        messages = conn.execute(select(func.count()).select_from(Message)).scalar_one()
        drafts, info = drafts_of(load_submissions(conn, all_senders(conn)))
    infos = infos_of(drafts, {i: i for i in range(len(drafts))}, info)
    by_person, by_sender = defaultdict(list), defaultdict(list)
    for s in infos:
        by_person[s.who].append(s)
        by_sender[s.sender].append(old.SeriesInfo(*(getattr(s, f) for f in old.SeriesInfo.__slots__)))
    print(f"{messages:,} messages, {len(infos):,} series, {len(by_sender):,} addresses, "
          f"{len(by_person):,} persons")
    best = {"this checkout": float("inf"), f"baseline {args.baseline}": float("inf")}
    links = {}
    for _ in range(args.rounds):
        for name, run, groups in (("this checkout", link_series, by_person),
                                  (f"baseline {args.baseline}", old.link_series, by_sender)):
            start = time.perf_counter()
            made = sum(sum(1 for link in run(group).series if link.kind == "version")
                       for group in groups.values())
            best[name] = min(best[name], time.perf_counter() - start)
            links[name] = made
    for name, seconds in best.items():
        print(f"{name:<28} {seconds:7.2f} s  {seconds / messages * 1e6:7.1f} us/message  "
              f"{links[name]:,} version links")
    a, b = best.values()
    print(f"ratio: this checkout takes {a / b:.2f}x the baseline's time")


if __name__ == "__main__":
    main()
