#!/usr/bin/env python3
"""MaintainerIndex.roles_for against a naive scan, on a MAINTAINERS file.

    bench/maintainers.py [MAINTAINERS] [--paths 20000] [--naive 300] [--scale N]

MAINTAINERS defaults to tests/data/maintainers/MAINTAINERS-kernel when it
exists, else to the excerpt beside it.  The paths are made from the file's
own F: patterns (wildcards filled in, a file put under each directory).
The naive baseline tries every section's F:/X: patterns with fnmatch and
its N: regexes, path by path, as a plain reading of the format would.

The excerpt has 51 sections; --scale N repeats them N times, copy k under
renamed top-level directories (drivers -> drivers7), to time an index of
the kernel's size (~3,000 sections, ~20,000 F: lines) without the file.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import time
from fnmatch import fnmatchcase
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from patchdesk.review.maintainers import MaintainerIndex, Section, parse_maintainers  # noqa: E402

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "maintainers"


def scaled(sections: tuple[Section, ...], n: int) -> tuple[Section, ...]:
    def move(pattern: str, k: int) -> str:
        head, sep, rest = pattern.partition("/")
        return pattern if head[:1] in ("*", "?") or not sep else f"{head}{k}/{rest}"

    out = list(sections)
    for k in range(1, n):
        out += [dataclasses.replace(
            s, title=f"{s.title} #{k}", files=tuple(move(f, k) for f in s.files if f[:1] not in "*?"),
            excludes=tuple(move(x, k) for x in s.excludes),
            regexes=tuple(f"{r}{k}" for r in s.regexes)) for s in sections]
    return tuple(out)


def sample_paths(sections: tuple[Section, ...], count: int) -> list[str]:
    base = []
    for s in sections:
        for f in s.files:
            p = f.replace("**", "x").replace("*", "x").replace("?", "x")
            base.append(p + "x.c" if p.endswith("/") else p)
    return [base[i % len(base)] for i in range(count)]


def naive_sections(sections, regexes, path: str) -> list[int]:
    def hit(pattern: str) -> bool:
        return fnmatchcase(path, pattern + "*" if pattern.endswith("/") else pattern)

    return [i for i, s in enumerate(sections)
            if (any(map(hit, s.files)) or any(rx.search(path) for rx in regexes[i]))
            and not any(map(hit, s.excludes))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default = DATA / "MAINTAINERS-kernel"
    ap.add_argument("file", nargs="?", type=Path,
                    default=default if default.exists() else DATA / "MAINTAINERS-excerpt")
    ap.add_argument("--paths", type=int, default=20000)
    ap.add_argument("--naive", type=int, default=300, help="paths for the (slow) naive scan")
    ap.add_argument("--scale", type=int, default=1)
    args = ap.parse_args()

    text = args.file.read_text(encoding="utf-8", errors="replace")
    t = time.perf_counter()
    sections = parse_maintainers(text)
    parse_s = time.perf_counter() - t
    sections = scaled(sections, args.scale)
    t = time.perf_counter()
    index = MaintainerIndex(sections)
    build_s = time.perf_counter() - t
    print(f"{args.file.name} x{args.scale}: {len(sections)} sections, "
          f"{sum(len(s.files) for s in sections)} F:, {sum(len(s.excludes) for s in sections)} X:, "
          f"{sum(len(s.regexes) for s in sections)} N:, {sum(len(s.keywords) for s in sections)} K:; "
          f"parse {parse_s * 1e3:.1f} ms, index {build_s * 1e3:.1f} ms")

    paths = sample_paths(sections, args.paths)
    t = time.perf_counter()
    roles = sum(len(index.roles_for([p])) for p in paths)
    fast = len(paths) / (time.perf_counter() - t)
    print(f"indexed roles_for: {len(paths)} calls, {fast:,.0f} calls/s ({roles / len(paths):.1f} roles/call)")

    regexes = [[re.compile(r, re.VERBOSE) for r in s.regexes] for s in sections]
    sample = paths[:: max(1, len(paths) // args.naive)][: args.naive]
    t = time.perf_counter()
    for p in sample:
        naive_sections(sections, regexes, p)
    slow = len(sample) / (time.perf_counter() - t)
    print(f"naive fnmatch scan: {len(sample)} calls, {slow:,.0f} calls/s")
    print(f"ratio: indexed is {fast / slow:,.0f}x the naive scan")


if __name__ == "__main__":
    main()
