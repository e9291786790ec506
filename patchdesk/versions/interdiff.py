"""What changed between two versions of a series, patch by patch.

A range-diff computed from the mails alone: patches are paired with the
same lineage rules (``pair_patches``), including splits and merges, and
for each pair the two diffs are compared line by line.  Added and dropped
patches are listed as such.  No git tree is needed.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace

from ..model import SeriesInfo
from .current import Version, current_patches
from .lineage import Link, pair_patches


@dataclass(frozen=True, slots=True)
class Section:
    kind: str               # "same" | "changed" | "split" | "merge" | "added" | "dropped"
    older: tuple[str, ...]  # patch titles ("2/3 name")
    newer: tuple[str, ...]
    evidence: str
    diff: str               # unified diff of the patches' diffs ("" when same)


def _title(series: SeriesInfo, msgid: str) -> str:
    for p in series.patches:
        if p.msgid == msgid:
            return f"{p.number}/{series.length} {p.name}"
    return msgid


def rerolled(old: SeriesInfo, new: SeriesInfo) -> SeriesInfo:
    """``new`` as the whole series when it is a partial re-roll of ``old``
    (v5.1 of some of v5's patches): the patches it lacks are v5's."""
    if new.version[0] != old.version[0] or new.version[1] == 0:
        return new
    chain = [Version(s.key, s.version, s.length, tuple((p.number, p.msgid) for p in s.patches)) for s in (old, new)]
    by_msgid = {p.msgid: p for s in (old, new) for p in s.patches}
    patches = tuple(by_msgid[m] for _, m, _ in current_patches(chain))
    return replace(new, patches=patches)


def interdiff(old: SeriesInfo, new: SeriesInfo, texts: dict[str, str]) -> list[Section]:
    """Sections in the new series' order; ``texts`` maps msgid -> diff text.
    A partial re-roll is compared as the whole series it makes."""
    new = rerolled(old, new)
    links = pair_patches(old, new)
    sections: list[Section] = []
    grouped: dict[tuple[str, str], list[Link[str]]] = {}
    for link in links:
        key = (link.kind, link.older if link.kind == "split" else link.newer)
        grouped.setdefault(key, []).append(link)
    seen_old: set[str] = set()
    seen_new: set[str] = set()
    for (kind, _), group in grouped.items():
        olds = tuple(dict.fromkeys(link.older for link in group))
        news = tuple(dict.fromkeys(link.newer for link in group))
        seen_old.update(olds)
        seen_new.update(news)
        before = "".join(texts.get(m, "") for m in olds)
        after = "".join(texts.get(m, "") for m in news)
        delta = "\n".join(difflib.unified_diff(before.splitlines(), after.splitlines(),
                                               "old", "new", lineterm="", n=2))
        label = kind if kind != "version" else ("same" if not delta else "changed")
        sections.append(Section(label, tuple(_title(old, m) for m in olds),
                                tuple(_title(new, m) for m in news), group[0].evidence, delta))
    for p in new.patches:
        if p.msgid not in seen_new:
            sections.append(Section("added", (), (_title(new, p.msgid),), "no earlier patch pairs", ""))
    for p in old.patches:
        if p.msgid not in seen_old:
            sections.append(Section("dropped", (_title(old, p.msgid),), (), "no later patch pairs", ""))
    order = {p.msgid: i for i, p in enumerate(new.patches)}
    first_new = {s: min((order.get(m, 999) for m in _ids(new, s.newer)), default=999) for s in sections}
    return sorted(sections, key=lambda s: (first_new[s], s.older))


def _ids(series: SeriesInfo, titles: tuple[str, ...]) -> list[str]:
    wanted = set(titles)
    return [p.msgid for p in series.patches if _title(series, p.msgid) in wanted]
