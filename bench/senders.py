#!/usr/bin/env python3
"""Who sent what: list- and relay-rewritten Froms read back, per archive.

    bench/senders.py ARCHIVE [ARCHIVE ...] [--limit N]

An ARCHIVE is anything ``patchdesk ingest`` reads (a public-inbox inbox or
epoch, an mbox, a Maildir).  Every message is parsed as ingest parses it,
and two sender readings are compared in the same pass:

* baseline: the From header's own address, as Patchwork and b4 file a
  patch (a Mailman DMARC rewrite ``Jan Doe via ltp <ltp@lists...>`` or a
  relay's ``Jan Doe via B4 Relay <devnull+...@kernel.org>`` is then the
  list's or the relay's);
* patchdesk: the poster read back by ``parse/sender.py`` (flag
  ``from-munged``).

Printed per archive: messages, Froms whose display name is a rewrite
("... via X"), how many of those were read back, how many read-back names
differ from the name before " via " (a wrong poster would show here),
the baseline's messages under rewrite addresses, and distinct senders in
both readings.  Counts, not times: this is an accuracy figure.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from patchdesk.parse.headers import parse_from_raw, parse_header_block, split_message
from patchdesk.parse.message import Unreadable, parse
from patchdesk.parse.sender import poster_name
from patchdesk.sources import discover


def header_sender(data: bytes) -> tuple[str, str]:
    """(name, address) of the From header as it stands."""
    block, _ = split_message(data.lstrip(b"\r\n"))
    values = parse_header_block(block).get("from")
    return parse_from_raw(values[0]) if values else ("", "")


def measure(path: Path, limit: int) -> dict:
    counts: Counter[str] = Counter()
    before: set[str] = set()
    after: set[str] = set()
    mismatched: Counter[tuple[str, str]] = Counter()
    for source in discover(path):
        for mail in source.messages({}):
            if limit and counts["messages"] >= limit:
                break
            try:
                parsed = parse(mail)
            except Unreadable:
                counts["unreadable"] += 1
                continue
            counts["messages"] += 1
            name, addr = header_sender(mail.data)
            before.add(addr)
            after.add(parsed.from_addr)
            expected = poster_name(name) if " via " in name.lower() else None
            if expected is None:
                continue
            counts["rewritten"] += 1
            if "from-munged" in parsed.flags:
                counts["read back"] += 1
                if parsed.from_name.casefold() != expected.replace("\\", "").casefold():  # quoted-pair escapes
                    mismatched[(expected, parsed.from_name)] += 1
            else:
                counts["kept"] += 1
    counts["name differs"] = sum(mismatched.values())
    return {"counts": counts, "senders": (len(before), len(after)), "mismatched": mismatched}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("archives", nargs="+", type=Path)
    ap.add_argument("--limit", type=int, default=0, help="first N messages of each archive")
    args = ap.parse_args()
    for path in args.archives:
        got = measure(path, args.limit)
        c = got["counts"]
        print(f"{path}: {c['messages']:,} messages ({c['unreadable']} unreadable)")
        print(f"  rewritten Froms ('... via X')     {c['rewritten']:7,}")
        print(f"  read back to the poster           {c['read back']:7,}   name differs {c['name differs']}")
        print(f"  kept (no poster named)            {c['kept']:7,}")
        print(f"  under a rewrite address: baseline {c['rewritten']:7,}   patchdesk {c['kept']:,}")
        print(f"  distinct senders: baseline {got['senders'][0]:,}   patchdesk {got['senders'][1]:,}")
        for (expected, found), n in got["mismatched"].most_common(5):
            print(f"    {n} x {expected!r} read as {found!r}", file=sys.stderr)


if __name__ == "__main__":
    main()
