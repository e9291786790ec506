"""Link each series to its previous and next version, and each patch to
its predecessors and successors, with a confidence and the evidence.

Candidates for a series' previous version are the earlier series of the
same *person* (any of their addresses, see ``identity``), and of a person
the new patches credit (``Signed-off-by``/``Co-developed-by``: a series
handed over).  Evidence, strongest first:

* explicit: a message of the new series replies to one of the old series,
  names it as an earlier version in its text ("Changes since v1", "Link to
  v1:"; never a dependency, see ``parse.pointers``), carries the same b4
  ``change-id``, or a ``Supersedes:`` naming it;
* content: the share of patches that pair up (same patch-id, or changed
  lines shared, see ``similarity``);
* names: the series names (cover subject, or patch 1) alike;
* a version bump: a higher version number, from the same person, within
  weeks, under a near-identical name (content rewritten by a rename).

All candidate pairs of the series being linked are scored first, then
links are made best evidence first, each series taking at most one
previous and one next: one wrong early link no longer takes the slot of
the right one.

Patches of linked series are paired one to one by descending score; a
patch left over whose lines are spread over several patches of the other
side is linked to all of them (``split`` / ``merge``), as when a NAKed
patch comes back as four smaller ones.  Series by *another* sender that
share most of a patch's changed lines are ``related``, never versions.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Generic, TypeVar

from ..model import SeriesInfo
from .identity import describe_change
from .similarity import name_similarity, overlap, patch_score, path_overlap

#: Without explicit evidence, an earlier series must be at most this old.
IMPLICIT_WINDOW = timedelta(days=365)
#: ... unless it is a later version with this much content in common (a
#: v3 two years after v2, the patch unchanged).
LATE_CONTENT = 0.8
#: A bare version bump (next number, near-identical name) within this time.
BUMP_WINDOW = timedelta(days=120)
BUMP_NAMES = 0.8
#: A later version made of a part of the earlier one: its patches' pairing,
#: discounted (the dropped rest may have gone into another series).
SUBSET_WEIGHT = 0.85
#: A series handed to another person needs this much content in common.
HANDOVER_NAMES = 0.8
#: A text pointer needs this much content, or this much name, in common.
POINTER_CONTENT = 0.2
POINTER_NAMES = 0.6
HANDOVER_CONTENT = 0.6
#: A "resend" (same or lower version) must be this alike, patch by patch.
RESEND_CONTENT = 0.9
#: Below this a link is not made (precision before recall).
SERIES_THRESHOLD = 0.5
PATCH_THRESHOLD = 0.5
#: A piece must carry this share of its lines from the patch it came from.
SPLIT_CONTAINMENT = 0.6
RELATED_CONTAINMENT = 0.6
#: A changed line found in more series than this is too common to suggest
#: that two series do the same work.
_COMMON_LINE = 50
#: Sampled lines two series must share before their patches are compared.
_MIN_SHARED = 3




#: A link joins two series (their int keys) or two patches (their msgids).
K = TypeVar("K", int, str)


@dataclass(frozen=True, slots=True)
class Link(Generic[K]):
    older: K
    newer: K
    kind: str              # "version" | "related" (series); also "split" | "merge" (patches)
    confidence: float
    evidence: str


@dataclass
class Lineage:
    series: list[Link[int]] = field(default_factory=list)
    patches: list[Link[str]] = field(default_factory=list)


def _explicit(old: SeriesInfo, new: SeriesInfo) -> str:
    if new.replies_to & old.members:
        return "sent in reply to the earlier version"
    if new.change_ids & old.change_ids:
        return "same b4 change-id"
    if new.supersedes & old.members:
        return "Supersedes: names the earlier version"
    if new.mentions & old.members:
        return "links to the earlier version"
    return ""


def pair_patches(old: SeriesInfo, new: SeriesInfo) -> list[Link[str]]:
    """Patch links between two versions: one to one, then splits and merges."""
    scored = []
    overlaps: dict[tuple[str, str], Any] = {}
    for pa in old.patches:
        for pb in new.patches:
            common = overlaps[pa.msgid, pb.msgid] = overlap(pa, pb)
            if not common.shared and path_overlap(pa.paths, pb.paths) < 1.0 \
                    and not (pa.patch_id and pa.patch_id == pb.patch_id):
                continue  # no line in common, other files: patch_score stays under 0.4, skip its name work
            score, why = patch_score(pa, pb, common)
            if score >= PATCH_THRESHOLD:
                scored.append((score, -abs(pa.number - pb.number), pa.msgid, pb.msgid, why))
    scored.sort(reverse=True)
    links: list[Link[str]] = []
    partner: dict[str, str] = {}
    for score, _, a, b, why in scored:
        if a not in partner and b not in partner.values():
            partner[a] = b
            links.append(Link(a, b, "version", round(score, 3), why))
    pieces = _pieces(old, new, partner, overlaps)
    replaced = {(link.older, link.newer) for link in pieces}
    return [link for link in links if (link.older, link.newer) not in replaced] + pieces


def _pieces(old: SeriesInfo, new: SeriesInfo, partner: dict[str, str],
            overlaps: dict[tuple[str, str], Any]) -> list[Link[str]]:
    """Splits (one old patch -> several new) and merges (several -> one).

    A piece is a patch of the other side that is unpaired, or is this
    patch's own one-to-one partner (the largest piece usually pairs first).
    """
    out = []
    paired_new = {b: a for a, b in partner.items()}
    for a in old.patches:
        pieces = [b for b in new.patches if (b.msgid not in paired_new or partner.get(a.msgid) == b.msgid)
                  and overlaps[a.msgid, b.msgid].newer_in_older >= SPLIT_CONTAINMENT]
        if len(pieces) >= 2:
            covered = len(a.lines & frozenset().union(*(b.lines for b in pieces))) / max(1, len(a.lines))
            for b in pieces:
                out.append(Link(a.msgid, b.msgid, "split", round(0.6 + 0.4 * covered, 3),
                                f"split into {len(pieces)} patches covering {covered:.0%} of it"))
    for b in new.patches:
        pieces = [a for a in old.patches if (a.msgid not in partner or paired_new.get(b.msgid) == a.msgid)
                  and overlaps[a.msgid, b.msgid].older_in_newer >= SPLIT_CONTAINMENT]
        if len(pieces) >= 2:
            for a in pieces:
                out.append(Link(a.msgid, b.msgid, "merge", 0.8, f"merged from {len(pieces)} patches"))
    return out


def _next_version(old: SeriesInfo, new: SeriesInfo) -> bool:
    """``new`` carries the very next version number of ``old``."""
    (a, b), (c, d) = old.version, new.version
    return (c == a + 1) or (c == a and d == b + 1)


def _who(old: SeriesInfo, new: SeriesInfo) -> str:
    """Identity evidence when the two series come from different addresses."""
    if old.sender == new.sender:
        return ""
    if old.who == new.who:
        return f"same person, new address ({describe_change(old.sender, new.sender)})"
    return f"handed over: the new patches credit {old.sender}"


def _content(old: SeriesInfo, new: SeriesInfo, patch_links: list[Link[str]]) -> tuple[float, int]:
    """How much of the two series pairs up (0..1), and how many new patches do."""
    best_new: dict[str, float] = {}
    best_old: dict[str, float] = {}
    for link in patch_links:
        best_new[link.newer] = max(best_new.get(link.newer, 0.0), link.confidence)
        best_old[link.older] = max(best_old.get(link.older, 0.0), link.confidence)
    if not (old.patches and new.patches):
        return 0.0, len(best_new)
    kept = sum(best_new.values()) / len(new.patches)
    content = (kept + sum(best_old.values()) / len(old.patches)) / 2
    if new.version > old.version:  # a later version that keeps only a part ("v5: the MFD part")
        content = max(content, SUBSET_WEIGHT * kept)
    return content, len(best_new)


def score_series(old: SeriesInfo, new: SeriesInfo) -> tuple[float, str, list[Link[str]]]:
    """How likely ``new`` is the next version of ``old``; with patch links.

    Content is the share of patches, on both sides, that pair up weighted
    by how alike each pair is.  Without explicit evidence a link needs
    real content in common, or a higher version number under a
    near-identical name within weeks; a series with the same or a lower
    version must be a near-identical resend, and an old series more than
    a year older counts only for a later version with most of its
    content.  A series handed to another person needs explicit evidence
    or most of its content.  A link in the text ("the previous series
    [1]") is explicit only if the two series share some content or name:
    the author's earlier, different series is not its previous version.
    """
    patch_links = pair_patches(old, new)
    who = _who(old, new)
    content, paired = _content(old, new, patch_links)
    names = name_similarity(old.name, new.name)
    explicit = _explicit(old, new)
    if explicit and (content >= POINTER_CONTENT or names >= POINTER_NAMES
                     or explicit != "links to the earlier version"):
        return 0.95, "; ".join(filter(None, [explicit, who])), patch_links
    if new.date - old.date > IMPLICIT_WINDOW and not (new.version > old.version and content >= LATE_CONTENT):
        return 0.0, "more than a year apart", []
    score = 0.7 * content + 0.3 * names if content >= 0.4 else 0.0
    why = f"{paired}/{len(new.patches)} patches pair up ({content:.0%} alike), names {names:.0%} alike"
    days = (new.date - old.date).days
    if (score < SERIES_THRESHOLD and old.who == new.who and new.version > old.version
            and names >= BUMP_NAMES and new.date - old.date <= BUMP_WINDOW):
        score = 0.5 + 0.2 * (names - BUMP_NAMES) / (1 - BUMP_NAMES) + 0.1 * content
        why = (f"v{new.version[0]} follows v{old.version[0]} {days} days later, names {names:.0%} alike, "
               f"{paired}/{len(new.patches)} patches pair up")
    if new.version <= old.version and content < RESEND_CONTENT:
        score = 0.0  # same or lower version: only a near-identical resend counts
    if old.who != new.who and (content < HANDOVER_CONTENT or new.version <= old.version
                                or names < HANDOVER_NAMES):
        score = 0.0  # a hand-over: the same work, under its name, carried to a higher version
    return score, "; ".join(filter(None, [who, why])), patch_links


#: How many changed-line hashes of a patch stand for it in candidate search:
#: the smallest ones (a MinHash sketch), so two versions sharing most of
#: their lines very likely share sampled ones too.
SAMPLE = 64


def _patch_samples(series: Iterable[SeriesInfo]) -> dict[str, list[int]]:
    """Each patch's sketch, computed once for both passes of ``link_series``."""
    return {p.msgid: heapq.nsmallest(SAMPLE, p.lines) for s in series for p in s.patches}


def _sample(s: SeriesInfo, samples: dict[str, list[int]]) -> list[int]:
    out: set[int] = set()
    for p in s.patches:
        out.update(samples[p.msgid])
    return list(out)


class _Index:
    """Earlier series of each sender, found by what they share with a new
    one: changed lines, files (with a similar name), or an explicit link.
    Replaces comparing every pair of a sender's series (thousands of series
    for a maintainer who posts often)."""

    #: a line or file in more series than this says nothing by itself
    COMMON = 100

    def __init__(self) -> None:
        #: sender -> line hash / path -> series keys
        self.by_line: dict[str, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
        self.by_path: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
        self.by_msgid: dict[str, int] = {}
        self.by_change: dict[str, set[int]] = defaultdict(set)
        self.series: dict[int, SeriesInfo] = {}

    def candidates(self, new: SeriesInfo, lines: list[int], paths: frozenset[str]) -> list[SeriesInfo]:
        keys: set[int] = set()
        whose = {new.who} | set(new.credits)
        for who in whose:
            keys |= self._by_content(who, new, lines, paths)
        for msgid in new.replies_to | new.mentions | new.supersedes:
            if msgid in self.by_msgid:
                keys.add(self.by_msgid[msgid])
        for change in new.change_ids:
            keys |= self.by_change.get(change, set())
        found = [self.series[k] for k in keys]
        return [o for o in found if o.who in whose and o.key != new.key and
                (o.date < new.date or (o.date == new.date and o.version < new.version))]

    def _by_content(self, who: str, new: SeriesInfo, lines: list[int], paths: frozenset[str]) -> set[int]:
        keys: set[int] = set()
        by_line = self.by_line.get(who, {})
        for h in lines:
            posting = by_line.get(h)
            if posting and len(posting) <= self.COMMON:
                keys |= posting
        named: set[int] = set()
        by_path = self.by_path.get(who, {})
        for path in paths:
            posting = by_path.get(path)
            if posting and len(posting) <= self.COMMON:
                named |= posting
        keys |= {k for k in named - keys if name_similarity(self.series[k].name, new.name) >= 0.6}
        return keys

    def add(self, s: SeriesInfo, lines: list[int], paths: frozenset[str]) -> None:
        self.series[s.key] = s
        by_line, by_path, key = self.by_line[s.who], self.by_path[s.who], s.key
        for h in lines:
            by_line[h].add(key)
        for path in paths:
            by_path[path].add(key)
        for msgid in s.members:
            self.by_msgid[msgid] = s.key
        for change in s.change_ids:
            self.by_change[change].add(s.key)


def _rank(old: SeriesInfo, new: SeriesInfo, score: float) -> tuple[Any, ...]:
    """Which links are made first: to the very next version number, then
    to a lower one, then to the same (a resend); within each, the same
    person's series before a hand-over's, then explicit evidence first ("Link to v1:" in a v20 names v1, not its previous),
    then the score, then the nearest earlier series (a repost of v1 is
    followed by v2, not the first v1)."""
    fits = 2 if _next_version(old, new) else 1 if old.version < new.version else 0
    return (fits, old.who == new.who, score >= 0.95, round(score, 2), old.date)


def link_series(series: list[SeriesInfo], neighbours: Iterable[SeriesInfo] = ()) -> Lineage:
    """Version and related links among ``series`` (any order).

    ``neighbours`` are other senders' series that only take part in
    related links (with at least one side in ``series``).
    """
    ordered = sorted(series, key=lambda s: (s.date, s.key))
    everyone = sorted({s.key: s for s in [*series, *neighbours]}.values(), key=lambda s: (s.date, s.key))
    samples = _patch_samples(everyone)
    index = _Index()
    result = Lineage()
    scored = []
    for new in ordered:
        lines = _sample(new, samples)
        paths = frozenset().union(*(p.paths for p in new.patches))
        for old in index.candidates(new, lines, paths):
            score, why, links = score_series(old, new)
            if score >= SERIES_THRESHOLD:
                scored.append((_rank(old, new, score), old.key, new.key, score, why, links))
        index.add(new, lines, paths)
    scored.sort(key=lambda item: item[:3], reverse=True)
    has_next: set[int] = set()
    has_previous: set[int] = set()
    for _, older, newer, score, why, links in scored:
        if older in has_next or newer in has_previous:
            continue
        has_next.add(older)
        has_previous.add(newer)
        result.series.append(Link(older, newer, "version", round(score, 3), why))
        result.patches.extend(links)
    own = {s.key for s in series}
    for link, pair in _related(everyone, result, samples):
        if link.older in own or link.newer in own:
            result.series.append(link)
            result.patches.append(pair)
    return result


def _related(ordered: list[SeriesInfo], found: Lineage,
             sample: dict[str, list[int]]) -> list[tuple[Link[int], Link[str]]]:
    """Series by different senders sharing most of a patch's changed lines,
    each with the patch pair that shares the most."""
    by_line: dict[int, set[int]] = defaultdict(set)
    for index, s in enumerate(ordered):
        for p in s.patches:
            for h in sample[p.msgid]:
                by_line[h].add(index)
    linked = {(link.older, link.newer) for link in found.series}
    out = []
    for index, new in enumerate(ordered):
        near: Counter[int] = Counter()
        sampled = 0
        for p in new.patches:
            for h in sample[p.msgid]:
                if len(by_line[h]) <= _COMMON_LINE:  # "return 0;"-like lines say nothing
                    sampled += 1
                    near.update(i for i in by_line[h] if i < index)
        needed = min(_MIN_SHARED, sampled)
        for i in sorted(i for i, shared in near.items() if shared >= needed):
            old = ordered[i]
            if old.who == new.who or (old.key, new.key) in linked:
                continue
            best, a, b = max(((overlap(a, b).newer_in_older, a.msgid, b.msgid)
                              for a in old.patches for b in new.patches), default=(0.0, "", ""))
            if best >= RELATED_CONTAINMENT:
                why = f"another sender's patch shares {best:.0%} of its changed lines"
                out.append((Link(old.key, new.key, "related", round(best, 3), why),
                            Link(a, b, "related", round(best, 3), why)))
    return out
