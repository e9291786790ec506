"""What needs me: a maintainer's queue, from the judgement and my own triage.

b4 review keeps a list of series the maintainer tracked by hand.  patchdesk
already knows every series, its versions, its reviews and its trees, so the
queue is computed: each series in flight (its latest version) becomes an
item when someone waits on me, for one of these reasons, strongest first:

* ``reply``: somebody answered a mail of mine and I have not answered back;
* ``new-version``: a new version of a series I reviewed or objected to, with
  my objections to the one before marked addressed, open or unknown;
* ``applied-claim``: I said "applied" but no scanned tree carries it;
* ``thank``: a tree carries it (accepted) and nobody thanked the author;
* ``in-tree``: I said "applied" and a tree carries it (done: archive it);
* ``maintainer``: patches in files I maintain or review (MAINTAINERS) with
  no word from me.

Items are ranked by how long someone has waited on me.  My triage is kept
apart from the judged state: ``waiting`` (on the author; wakes when anybody
else writes), ``snoozed`` (until a date, or until a new version when no
date), ``delegated`` and ``archived`` hide an item; ``woken`` undoes the
triage before it.  A new version is a new series: triage of v2 never hides
v3.  Pure: plain data in, items out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

#: Triage actions; ``woken`` clears the one before.
TRIAGE = ("waiting", "snoozed", "delegated", "archived", "woken")
#: Reasons, strongest first.
REASONS = ("reply", "new-version", "applied-claim", "thank", "in-tree", "maintainer")
#: Series states that are in flight (the author or the maintainer still has work).
IN_FLIGHT = ("new", "under-review", "changes-requested", "applied-claimed")


@dataclass(frozen=True, slots=True)
class Me:
    """The maintainer using the desk: a display name and every address."""

    name: str
    addresses: frozenset[str]

    def __contains__(self, addr: object) -> bool:
        return isinstance(addr, str) and addr.lower() in self.addresses


@dataclass(frozen=True, slots=True)
class Mail:
    """One message of a series' threads."""

    msgid: str
    parent: str | None
    sender: str
    name: str
    date: datetime


@dataclass(frozen=True, slots=True)
class Objection:
    """A NAK or change request of mine on the previous version, and whether
    the new version addressed it (``review.continuity``)."""

    kind: str
    status: str
    text: str


@dataclass(frozen=True, slots=True)
class Work:
    """One series (a version) as the queue reads it."""

    id: int
    anchor: str
    name: str
    version: str
    submitter: str
    state: str
    date: datetime
    #: my role for its files: "maintainer", "reviewer" or ""
    role: str = ""
    mails: tuple[Mail, ...] = ()
    #: earlier versions, oldest first, with the mails of their threads
    earlier: tuple[tuple[str, tuple[Mail, ...]], ...] = ()
    #: my trailers and verdicts on earlier versions ("Reviewed-by", "nak", ...)
    earlier_words: tuple[str, ...] = ()
    objections: tuple[Objection, ...] = ()
    #: when I said "applied" of this version (None: I did not)
    claimed: datetime | None = None
    #: a tree carries it (state accepted) / a thank-you was sent
    in_tree: bool = False
    thanked: bool = False
    latest: bool = True
    #: some tree is registered: without one, "no tree carries it" says nothing
    trees_known: bool = True


@dataclass(frozen=True, slots=True)
class Triage:
    """One triage event (``store.desk``)."""

    anchor: str
    action: str
    at: datetime
    until: datetime | None = None
    to: str = ""
    why: str = ""
    by: str = ""


@dataclass(frozen=True, slots=True)
class Item:
    """One line of the queue."""

    series: int
    anchor: str
    name: str
    version: str
    submitter: str
    state: str
    reason: str
    why: str
    waiting_since: datetime
    unseen: int
    #: the triage in force ("" none), and whether it hides the item now
    triage: str = ""
    hidden: bool = False
    others: tuple[str, ...] = field(default=())


def current_triage(log: Iterable[Triage]) -> dict[str, Triage]:
    """anchor -> the triage in force (the latest event, unless it woke the series)."""
    out: dict[str, Triage] = {}
    for event in log:
        if event.action == "woken":
            out.pop(event.anchor, None)
        else:
            out[event.anchor] = event
    return out


def _hides(triage: Triage, work: Work, me: Me, now: datetime) -> bool:
    if triage.action in ("archived", "delegated"):
        return True
    if triage.action == "snoozed":
        return triage.until is None or now < triage.until
    if triage.action == "waiting":  # wakes when anybody but me writes after it (Date: has whole seconds)
        since = triage.at.replace(microsecond=0)
        return not any(m.sender not in me and m.date >= since for m in work.mails)
    return False


def _unanswered_replies(work: Work, me: Me) -> list[Mail]:
    """Mails answering one of mine that I have not answered back."""
    mine = {m.msgid for m in work.mails if m.sender in me}
    answered = {m.parent for m in work.mails if m.sender in me and m.parent}
    return [m for m in work.mails if m.parent in mine and m.sender not in me and m.msgid not in answered]


def _reasons(work: Work, me: Me) -> list[tuple[str, str, datetime]]:
    """(reason, words, since when) for one series, strongest first."""
    out = []
    spoke = any(m.sender in me and m.date >= work.date for m in work.mails)
    for mail in _unanswered_replies(work, me):
        out.append(("reply", f"{mail.name or mail.sender} replied to you", mail.date))
        break
    if work.earlier and work.earlier_words and not spoke:
        previous = work.earlier[-1][0]
        words = f"{work.version} posted; you gave {', '.join(sorted(set(work.earlier_words)))} on {previous}"
        if work.objections:
            tally = {s: sum(o.status == s for o in work.objections) for s in ("addressed", "open", "unknown")}
            words += ": objections " + ", ".join(f"{n} {s}" for s, n in tally.items() if n)
        out.append(("new-version", words, work.date))
    if work.claimed is not None and not work.in_tree and work.trees_known:
        out.append(("applied-claim", "you said applied; no scanned tree carries it", work.claimed))
    if work.in_tree and not work.thanked and work.claimed is None and work.role == "maintainer":
        out.append(("thank", "in your tree; the author was not thanked yet", work.date))
    if work.in_tree and work.claimed is not None:
        out.append(("in-tree", "you said applied and a tree carries it: archive it", work.claimed))
    if work.role in ("maintainer", "reviewer") and not spoke and work.state in ("new", "under-review"):
        out.append(("maintainer", f"in files you {'maintain' if work.role == 'maintainer' else 'review'}; "
                                  "no word from you", work.date))
    return out


def build(me: Me, works: Iterable[Work], log: Iterable[Triage], seen: Mapping[str, datetime],
          now: datetime, since: datetime | None = None) -> list[Item]:
    """The queue: one item per latest version that waits on me, longest
    waiting first; items my triage hides are kept with ``hidden`` set.
    ``since``: only series with a mail at or after it (years of history on
    a real list are not a queue)."""
    triage = current_triage(log)
    items = []
    for work in works:
        if not work.latest or (work.state not in IN_FLIGHT and not work.in_tree):
            continue
        if since is not None and max((m.date for m in work.mails), default=work.date) < since:
            continue
        reasons = _reasons(work, me)
        if not reasons:
            continue
        reason, why, waited = reasons[0]
        last = seen.get(work.anchor)
        unseen = sum(1 for m in work.mails if m.sender not in me and (last is None or m.date > last))
        held = triage.get(work.anchor)
        items.append(Item(work.id, work.anchor, work.name, work.version, work.submitter, work.state, reason, why,
                          waited, unseen, held.action if held else "",
                          bool(held and _hides(held, work, me, now)), tuple(r for r, _, _ in reasons[1:])))
    items.sort(key=lambda i: (i.waiting_since, REASONS.index(i.reason), i.series))
    return items
