"""Which patches and series lineage alone says are superseded.

The lineage half of a state (the review stage decides the final state from
it and the replies): a patch with a successor (a new version of it, or the
pieces it was split into, or the patch it was merged into) is superseded;
a series is superseded by a full next version.  A partial re-roll (v5.1,
fewer patches than v5) replaces only the patches it carries.
"""

from __future__ import annotations

from ..model import SeriesInfo
from .lineage import Lineage

#: Patch link kinds that make the older patch superseded.
SUCCESSION = ("version", "split", "merge")


def lineage_states(infos: list[SeriesInfo], lineage: Lineage) -> tuple[dict, dict[str, str]]:
    """(series key -> state, patch msgid -> state), each "new" or "superseded"."""
    replaced = {link.older for link in lineage.patches if link.kind in SUCCESSION}
    by_key = {s.key: s for s in infos}
    done = set()
    for link in lineage.series:
        if link.kind != "version" or link.older not in by_key or link.newer not in by_key:
            continue
        old, new = by_key[link.older], by_key[link.newer]
        if new.version[1] == 0 or len(new.patches) >= len(old.patches):
            done.add(old.key)
    series = {s.key: "superseded" if s.key in done else "new" for s in infos}
    patches = {p.msgid: "superseded" if (p.msgid in replaced or s.key in done) else "new"
               for s in infos for p in s.patches}
    return series, patches
