"""The overlap map: which in-flight series step on each other.

Two series that touch the same file may still merge cleanly; two that
change the same lines of it probably will not.  So each series is reduced
to the line ranges (of the file before the change) its hunks touch, and
every pair of in-flight series by different work is compared: shared
files, and how many hunk ranges overlap (with a few lines of context, as
``git apply`` needs them).  Declared dependencies are read from the mails:
``base-commit:``, ``prerequisite-patch-id:`` and ``Depends-on:``.  Whether
an overlapping pair really conflicts is then asked of git (``apply_together``
in the store's caller).  Pure: series in, pairs out.
"""

from __future__ import annotations

import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..parse.diff import Diff
from .gitlog import GitError
from .worktree import NO_HOOKS, private_worktree

CONTEXT = 3


@dataclass(slots=True)
class SeriesChanges:
    series_id: int
    name: str
    #: path -> (start, end) ranges of the old file that the hunks touch
    ranges: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    patch_ids: set[str] = field(default_factory=set)
    prerequisites: set[str] = field(default_factory=set)
    depends_on: set[str] = field(default_factory=set)
    msgids: set[str] = field(default_factory=set)
    base_commit: str = ""

    def add(self, diff: Diff) -> None:
        for f in diff.files:
            spans = self.ranges.setdefault(f.old_path or f.path, [])
            for h in f.hunks:
                spans.append((h.old_start, h.old_start + max(h.old_len, 1) - 1))


@dataclass(frozen=True, slots=True)
class Overlap:
    a: int
    b: int
    files: tuple[str, ...]
    hunks: int
    dependency: str = ""


def _overlapping(x: list[tuple[int, int]], y: list[tuple[int, int]]) -> int:
    return sum(1 for s1, e1 in x for s2, e2 in y if s1 <= e2 + CONTEXT and s2 <= e1 + CONTEXT)


def _dependency(a: SeriesChanges, b: SeriesChanges) -> str:
    """What ``a`` declares about needing ``b`` (or "" if nothing)."""
    if a.prerequisites & b.patch_ids:
        return f"series {a.series_id} names a patch of series {b.series_id} as prerequisite-patch-id"
    if a.depends_on & b.msgids:
        return f"series {a.series_id} says Depends-on a mail of series {b.series_id}"
    return ""


def find_overlaps(series: list[SeriesChanges], common: int = 30) -> list[Overlap]:
    """Every pair of series sharing a file (files most series touch, like
    MAINTAINERS, count only when hunks overlap), or declaring a dependency."""
    by_path: dict[str, list[int]] = defaultdict(list)
    index = {s.series_id: s for s in series}
    for s in series:
        for path in s.ranges:
            by_path[path].append(s.series_id)
    pairs: dict[tuple[int, int], list[str]] = defaultdict(list)
    for path, ids in by_path.items():
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                if a != b:
                    pairs[tuple(sorted((a, b)))].append(path)
    owner: dict[str, set[int]] = defaultdict(set)  # patch-id or msgid -> series
    for s in series:
        for key in s.patch_ids | s.msgids:
            owner[key].add(s.series_id)
    for a in series:
        for key in a.prerequisites | a.depends_on:
            for b in owner.get(key, ()):
                if b != a.series_id:
                    pairs.setdefault(tuple(sorted((a.series_id, b))), [])
    out = []
    for (a, b), paths in sorted(pairs.items()):
        sa, sb = index[a], index[b]
        hunks = sum(_overlapping(sa.ranges[p], sb.ranges[p]) for p in paths)
        dependency = _dependency(sa, sb) or _dependency(sb, sa)
        crowded = all(len(by_path[p]) > common for p in paths)
        if paths and crowded and not hunks and not dependency:
            continue
        out.append(Overlap(a, b, tuple(sorted(paths)), hunks, dependency))
    return out


def apply_together(repo: str, base: str, pairs: list[tuple[int, int]], diffs: dict[int, list[str]]) -> dict:
    """(a, b) -> True when a and b each apply on ``base`` but not one after
    the other; None when one does not apply even alone (no verdict).  One
    private worktree for all pairs, reset in between, always removed."""
    def git(*args: str, stdin: str | None = None) -> bool:
        return subprocess.run(["git", "-C", str(work), *NO_HOOKS, *args], input=stdin, capture_output=True, text=True,
                              errors="replace").returncode == 0

    def apply_all(texts: list[str]) -> bool:
        return all(git("apply", "--whitespace=nowarn", "-", stdin=t) for t in texts)

    def reset() -> None:
        git("checkout", "-q", "-f", base)
        git("clean", "-q", "-fdx")

    out: dict[tuple[int, int], bool | None] = {}
    try:
        with private_worktree(Path(repo), base, prefix="patchdesk-overlap-") as work:
            alone: dict[int, bool] = {}
            for a, b in pairs:
                for s in (a, b):
                    if s not in alone:
                        alone[s] = apply_all(diffs.get(s, []))
                        reset()
                if not (alone[a] and alone[b]):
                    out[(a, b)] = None
                    continue
                out[(a, b)] = not (apply_all(diffs[a]) and apply_all(diffs[b]))
                reset()
    except GitError:
        return out
    return out
