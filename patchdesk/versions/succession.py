"""Which patches and series lineage alone says are superseded.

The lineage half of a state (the review stage decides the final state from
it and the replies): a patch with a successor (a new version of it, or the
pieces it was split into, or the patch it was merged into) is superseded;
a series is superseded by a full next version.  A patch of a superseded
series that no patch of the next version continues was *dropped* there
when the next version is shorter by at least as many patches as are left
without a successor: it keeps its review (a NAKed patch stays rejected)
and is otherwise superseded with "dropped in vN".  When more are left
over than the next version lost, some were reworked past recognition and
nobody can tell which: they are superseded with the series, no more said.  A partial re-roll (v5.1, fewer patches
than v5) replaces only the patches it carries.
"""

from __future__ import annotations

from ..model import SeriesInfo
from .lineage import Lineage

#: Patch link kinds that make the older patch superseded.
SUCCESSION = ("version", "split", "merge")


def next_versions(infos: list[SeriesInfo], lineage: Lineage) -> dict[int, int]:
    """series key -> the key of the full next version that supersedes it."""
    by_key = {s.key: s for s in infos}
    out = {}
    for link in lineage.series:
        if link.kind != "version" or link.older not in by_key or link.newer not in by_key:
            continue
        old, new = by_key[link.older], by_key[link.newer]
        if new.version[1] == 0 or len(new.patches) >= len(old.patches):
            out[old.key] = new.key
    return out


def lineage_states(infos: list[SeriesInfo], lineage: Lineage) -> tuple[dict[int, str], dict[str, str]]:
    """(series key -> state, patch msgid -> state): "new", "superseded", or
    for a patch of a superseded series that nothing continues, "dropped"."""
    replaced = {link.older for link in lineage.patches if link.kind in SUCCESSION}
    following = next_versions(infos, lineage)
    by_key = {s.key: s for s in infos}
    series = {s.key: "superseded" if s.key in following else "new" for s in infos}
    patches = {}
    for s in infos:
        left = [p.msgid for p in s.patches if p.msgid not in replaced]
        shorter = s.length - by_key[following[s.key]].length if s.key in following else 0
        for p in s.patches:
            if p.msgid in replaced:
                patches[p.msgid] = "superseded"
            elif s.key not in following:
                patches[p.msgid] = "new"
            else:
                patches[p.msgid] = "dropped" if len(left) <= shorter else "superseded"
    return series, patches
