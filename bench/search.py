"""Search on a real store: building the message index, then queries, against LIKE.

    python bench/search.py STORE [--rounds 5] [--query Q ...]

1. the message index is (re)built from the raw mail (``pipeline.search``):
   messages per second;
2. each query runs ``--rounds`` times through ``pipeline.search.search``
   (series results), best and median time;
3. the baseline in the same process: ``subject LIKE '%word%'`` over the
   messages table for the query's first word (what a tool without an index
   does, and only for subjects).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from patchdesk.pipeline.search import clear_index, refresh_index, search  # noqa: E402
from patchdesk.store.db import open_engine  # noqa: E402
from patchdesk.store.schema import Message  # noqa: E402

QUERIES = ["s:fix", "dfn:drivers", 'b:"use after free"', "dfhh:probe", "f:kernel.org s:dt-bindings",
           "reviewer:rob is:open", "nq:please -s:v2", "d:2.years.ago.. q:leak"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("store")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--query", action="append")
    args = ap.parse_args()
    engine = open_engine(args.store)
    clear_index(engine)
    start = time.perf_counter()
    count = refresh_index(engine)
    built = time.perf_counter() - start
    print(f"index: {count:,} messages in {built:.1f} s ({count / max(built, 1e-9):,.0f} msg/s)")
    print(f"{'query':<32}{'results':>8}{'best ms':>9}{'median':>8}{'LIKE ms':>9}{'ratio':>7}")
    for query in args.query or QUERIES:
        times, found = [], None
        for _ in range(args.rounds):
            t = time.perf_counter()
            found = search(engine, query, limit=50)
            times.append(time.perf_counter() - t)
        word = next((w.split(":")[-1].strip('"') for w in query.split() if not w.startswith("-")), query)
        likes = []
        with engine.connect() as conn:
            for _ in range(args.rounds):
                t = time.perf_counter()
                conn.execute(select(func.count()).select_from(Message).where(Message.subject.like(f"%{word}%"))).scalar()
                likes.append(time.perf_counter() - t)
        best, like = min(times) * 1000, min(likes) * 1000
        print(f"{query:<32}{found.total if found else 0:>8}{best:>9.1f}{statistics.median(times) * 1000:>8.1f}"
              f"{like:>9.1f}{best / max(like, 1e-9):>7.1f}")


if __name__ == "__main__":
    main()
