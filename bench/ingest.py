#!/usr/bin/env python3
"""Ingest speed against the standard library, measured in one run.

    bench/ingest.py CORPUS.mbox [--source PATH] [--jobs N] [--limit N]

1. baseline: a loop over ``mailbox.mbox(CORPUS)`` reading each message's
   headers and body (what a careful script does before storing anything);
2. full ingest of ``--source`` (default: CORPUS itself; pass a public-inbox
   inbox or epoch to measure that reader on the same messages) into a fresh
   SQLite file: parse, store, thread;
3. re-ingest of the same source into the same store: with cursors (what a
   user's second run does: only new mail is read), and with ``--reread``
   (every message read and recognised by hash).  Their rates are the
   archive's message count over the elapsed time.

Ingest runs as a real ``patchdesk`` process; peak RSS is the largest of the
processes it ran (ru_maxrss of the children).  Machines here are noisy:
compare the ratios, which are taken in the same run, not the seconds.
"""

from __future__ import annotations

import argparse
import json
import mailbox
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def baseline(corpus: Path, limit: int) -> tuple[int, float]:
    started = time.perf_counter()
    n = 0
    for message in mailbox.mbox(str(corpus)):
        message.items()
        message.get_payload()
        n += 1
        if limit and n >= limit:
            break
    return n, time.perf_counter() - started


def run_ingest(db: Path, source: Path, jobs: int, *extra: str) -> tuple[dict, float]:
    cmd = [sys.executable, "-m", "patchdesk", "--db", str(db), "ingest", str(source), "--json", *extra]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True)
    if done.returncode != 0:
        sys.exit(f"ingest failed ({done.returncode}):\n{done.stderr.decode(errors='replace')[-3000:]}")
    return json.loads(done.stdout), time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path, help="mbox for the baseline loop")
    ap.add_argument("--source", type=Path, help="what patchdesk ingests (default: CORPUS)")
    ap.add_argument("--jobs", type=int, default=0, help="parser processes (default: per core)")
    ap.add_argument("--limit", type=int, default=0, help="baseline: stop after N messages")
    args = ap.parse_args()
    source = args.source or args.corpus

    n_base, t_base = baseline(args.corpus, args.limit)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        first, t_first = run_ingest(db, source, args.jobs)
        again, t_again = run_ingest(db, source, args.jobs)
        reread, t_reread = run_ingest(db, source, args.jobs, "--reread")
        size = sum(p.stat().st_size for p in Path(tmp).iterdir())
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    base_rate = n_base / t_base
    rate = first["read"] / t_first
    rate_again, rate_reread = first["read"] / t_again, first["read"] / t_reread
    print(f"corpus            {args.corpus}  ({n_base} messages, source {source})")
    print(f"baseline mailbox  {base_rate:10.0f} msg/s  ({t_base:.1f} s)")
    print(f"ingest            {rate:10.0f} msg/s  ({t_first:.1f} s)  ratio {rate / base_rate:.2f}x"
          f"  stored={first['stored']} known={first['known']} quarantined={first['quarantined']}")
    print(f"re-ingest         {rate_again:10.0f} msg/s  ({t_again:.1f} s)  ratio {rate_again / base_rate:.2f}x"
          f"  read={again['read']} stored={again['stored']}")
    print(f"re-read --reread  {rate_reread:10.0f} msg/s  ({t_reread:.1f} s)  ratio {rate_reread / base_rate:.2f}x"
          f"  read={reread['read']} known={reread['known']}")
    print(f"peak RSS          {rss_mb:10.0f} MB (largest process)")
    print(f"store size        {size / 2**20:10.0f} MB")
    balanced = first["balanced"] and again["balanced"] and reread["balanced"]
    print(f"balanced          {balanced}")


if __name__ == "__main__":
    main()
