"""The desk's queue on a real store, against reading the series list alone.

    python bench/desk.py STORE --me "Name <addr>" [--also ADDR ...] [--rounds 3]

The queue (``pipeline.desk.my_queue``) reads every series in flight, the
reviews and thread mail of it and its earlier versions, and the
MAINTAINERS roles, then ranks.  The baseline in the same process is
``store.queries.list_series`` (the board's own first read): the ratio says
what the queue costs over the cheapest view of the same store.  Printed:
items per reason, seconds per round, ratio.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from patchdesk.pipeline.desk import my_queue, parse_me  # noqa: E402
from patchdesk.store.db import open_engine  # noqa: E402
from patchdesk.store.queries import list_series  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("store")
    ap.add_argument("--me", required=True)
    ap.add_argument("--also", action="append", default=[])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    engine = open_engine(args.store)
    me = parse_me(args.me, args.also)
    queue_secs, base_secs, items = [], [], []
    for _ in range(args.rounds):
        with engine.connect() as conn:
            start = time.perf_counter()
            series = list_series(conn, include_superseded=True)
            base_secs.append(time.perf_counter() - start)
            start = time.perf_counter()
            items = my_queue(conn, me)
            queue_secs.append(time.perf_counter() - start)
    q, b = min(queue_secs), min(base_secs)
    print(f"{len(series)} series; queue of {me.name}: {len(items)} items "
          f"{dict(Counter(i.reason for i in items))}")
    print(f"queue {q:.2f} s, series list {b:.2f} s (best of {args.rounds}); ratio {q / max(b, 1e-9):.1f}x")


if __name__ == "__main__":
    main()
