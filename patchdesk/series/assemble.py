"""Which submissions (patches, covers) form one series: a pure function.

Two rules, applied in order and documented in docs/series.md:

1. **By thread.**  A submission belongs with its thread parent when the
   parent is a submission *of the same send*: same sender, same version
   (or none on the child),
   same total, sent within a day, and the parent is the cover (``0/N``) or
   an earlier number (deep threading).  Patches whose parent we have not
   seen (the cover has not arrived yet) group under that missing parent.
   A v2 sent in reply to v1 differs in version, so it starts its own series
   (Patchwork gets this wrong); so does an unnumbered diff replying to a
   cover.
2. **Unthreaded sends.**  Numbered submissions with no thread link join an
   open series of the same sender, version and total whose last message is
   at most 30 minutes older and whose slot for their number is free; when
   several qualify, the one whose subjects share the subsystem prefix wins,
   so two series sent interleaved do not swap patches.

Everything else is a series of its own (a single ``[PATCH]``).  Arrival
order does not matter: input is sorted by date first.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..model import PATCH_KINDS

SEND_WINDOW = timedelta(days=1)
UNTHREADED_WINDOW = timedelta(minutes=30)
MAX_TOTAL = 999


@dataclass(frozen=True, slots=True)
class Submission:
    msgid: str
    parent: str | None
    date: datetime
    sender: str
    kind: str                   # "patch" | "cover" | "pull"
    name: str
    version: tuple[int, int]
    counter: int | None
    total: int | None
    rfc: bool = False
    resend: bool = False


@dataclass
class SeriesDraft:
    """One assembled series (ids are assigned by the store)."""

    anchor: str
    members: list[Submission] = field(default_factory=list)

    @property
    def cover(self) -> Submission | None:
        covers = [m for m in self.members if m.kind == "cover"]
        return covers[0] if covers else None

    @property
    def patches(self) -> list[tuple[int, Submission]]:
        out = [(m.counter if m.counter is not None else 1, m)
               for m in self.members if m.kind in PATCH_KINDS]
        return sorted(out, key=lambda item: (item[0], item[1].date, item[1].msgid))

    @property
    def version(self) -> tuple[int, int]:
        if self.cover is not None:
            return self.cover.version
        return max(m.version for m in self.members)

    @property
    def total(self) -> int:
        totals = [m.total for m in self.members if m.total]
        return min(max(totals), MAX_TOTAL) if totals else len(self.patches)

    @property
    def numbers(self) -> set[int]:
        return {n for n, _ in self.patches}

    @property
    def missing(self) -> list[int]:
        return [n for n in range(1, self.total + 1) if n not in self.numbers]

    @property
    def extra(self) -> list[int]:
        return sorted(n for n in self.numbers if n > self.total)

    @property
    def name(self) -> str:
        if self.cover is not None:
            return self.cover.name
        patches = self.patches
        return patches[0][1].name if patches else self.members[0].name

    @property
    def sender(self) -> str:
        return self.members[0].sender

    @property
    def first_date(self) -> datetime:
        return min(m.date for m in self.members)


def _same_send(child: Submission, parent: Submission) -> bool:
    # A cover letter always starts a send: one replying to an older cover is
    # a resend, not a second cover of that series (Patchwork gets this wrong).
    if child.counter is None or parent.counter is None or child.counter == 0:
        return False
    # A patch without a version label under a labelled cover belongs to it
    # (git send-email --cover-letter --subject-prefix only on the cover).
    return (child.sender == parent.sender and child.version in (parent.version, (1, 0))
            and child.resend == parent.resend
            and (child.total == parent.total or None in (child.total, parent.total))
            and (parent.counter == 0 or parent.counter < child.counter)
            and abs(child.date - parent.date) <= SEND_WINDOW)


def _anchor(sub: Submission, by_id: dict[str, Submission]) -> str:
    """The id a submission's series hangs from (iterative walk up)."""
    node, seen = sub, {sub.msgid}
    while node.parent is not None:
        parent = by_id.get(node.parent)
        if parent is None:
            if node.counter is not None and node.parent not in seen:
                return "under:" + node.parent
            return node.msgid
        if parent.msgid in seen or not _same_send(node, parent):
            return node.msgid
        seen.add(parent.msgid)
        node = parent
    return node.msgid


def _prefix(name: str) -> str:
    return name.split(":", 1)[0].strip().lower() if ":" in name else ""


def _place_unthreaded(sub: Submission, open_groups: list[SeriesDraft]) -> SeriesDraft | None:
    fits = []
    for group in open_groups:
        last = group.members[-1]
        if (last.sender == sub.sender and last.version == sub.version
                and last.total == sub.total and last.resend == sub.resend
                and timedelta(0) <= sub.date - last.date <= UNTHREADED_WINDOW
                and (sub.counter == 0 and group.cover is None
                     or sub.counter not in {m.counter for m in group.members})):
            fits.append(group)
    if not fits:
        return None
    return max(fits, key=lambda g: (any(_prefix(m.name) == _prefix(sub.name) for m in g.members),
                                    g.members[-1].date))


def assemble(submissions: list[Submission]) -> list[SeriesDraft]:
    """Group submissions into series; the result is sorted by first date."""
    ordered = sorted(submissions, key=lambda s: (s.date, s.msgid))
    by_id = {s.msgid: s for s in ordered}
    anchors = {s.msgid: _anchor(s, by_id) for s in ordered}
    sizes = Counter(anchors.values())
    groups: dict[str, SeriesDraft] = {}
    unthreaded: list[SeriesDraft] = []
    for sub in ordered:
        anchor = anchors[sub.msgid]
        threaded = anchor != sub.msgid or sizes[anchor] > 1
        if anchor in groups:
            groups[anchor].members.append(sub)
            continue
        if not threaded and sub.counter is not None and (sub.total or 0) > 1:
            group = _place_unthreaded(sub, unthreaded)
            if group is not None:
                group.members.append(sub)
                groups[anchor] = group
                continue
            group = groups[anchor] = SeriesDraft(anchor, [sub])
            unthreaded.append(group)
            continue
        groups[anchor] = SeriesDraft(anchor, [sub])
    unique = {id(g): g for g in groups.values()}
    return sorted(unique.values(), key=lambda g: (g.first_date, g.anchor))
