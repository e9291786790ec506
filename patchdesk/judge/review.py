"""The review of a group of series, from plain data.

The caller gathers, for some series and every later version of them
(which carry trailers forward): their patches, the replies in their
threads (``review.scope.ThreadReplies``), each patch's previous version
and what it had collected, successors, manual states, the commits that
carry a patch, and the MAINTAINERS roles.  ``review_series`` judges each
patch with ``review.assess`` (oldest series first, so a v2 sees what v1
collected in this same run) and each series from its patches.
"""

from __future__ import annotations

from typing import Any

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ..model import SubmissionRecord, version_label
from ..review.assess import PatchFacts, PatchReview, assess, prior_of
from ..review.continuity import OBJECTIONS, Prior
from ..review.roles import RoleBook
from ..review.scope import ThreadReplies
from ..review.states import Fact, Override, series_state
from ..trees.applied import WHOLE
from ..versions.succession import SUCCESSION


def utc(date: datetime | None) -> datetime:
    """Dates as aware UTC (a missing date sorts first)."""
    if date is None:
        return datetime(1970, 1, 1, tzinfo=timezone.utc)
    return date if date.tzinfo else date.replace(tzinfo=timezone.utc)


@dataclass(frozen=True, slots=True)
class SeriesRef:
    """A series to review: its key, cover letter and what lineage says of it."""

    id: int
    cover: str | None
    lineage_state: str


@dataclass
class ReviewWork:
    """Everything the review of ``series`` (oldest first) needs."""

    series: list[SeriesRef]
    #: series id -> its patches, by number then date
    patches: dict[int, list[SubmissionRecord]]
    thread: ThreadReplies
    #: newer patch -> the older patch it continues
    older_of: dict[str, str] = field(default_factory=dict)
    #: older patch -> what it had collected when last judged
    priors: dict[str, Prior] = field(default_factory=dict)
    #: older patch -> (its newest successor, that one's date)
    successor: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    #: patch or cover msgid -> the maintainer's manual state
    overrides: dict[str, Override] = field(default_factory=dict)
    #: patch msgid -> the commits carrying it (``store.trees.applied_rows``)
    applied: dict[str, list[dict[str, Any]]] = field(default_factory=dict[str, Any])
    book: RoleBook = field(default_factory=lambda: RoleBook.from_texts([]))
    #: series id -> its full next version: (label such as "v2", first post, first msgid)
    next_version: dict[int, tuple[str, datetime, str]] = field(default_factory=dict)
    #: cover letter msgid -> its changelog lines ("3/3: ms, not s (Maria)")
    cover_changelogs: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class ReviewOutcome:
    """Per patch: (msgid, series id, review); per series: its state."""

    patches: list[tuple[str, int, PatchReview]] = field(default_factory=list)
    series: dict[int, str] = field(default_factory=dict)


def older_of(links: Iterable[tuple[str, str, str]]) -> dict[str, str]:
    """newer -> older patch, from (newer, older, kind) patch links.  A split
    patch's pieces each answer the objections to the whole; of a merge, the
    first older patch is taken; a version link wins."""
    out: dict[str, str] = {}
    for newer, older, kind in links:
        if kind in SUCCESSION and (newer not in out or kind == "version"):
            out[newer] = older
    return out


def earliest_successors(links: Iterable[tuple[str, str, str]],
                        dates: Mapping[str, datetime]) -> dict[str, tuple[str, datetime]]:
    """older patch -> (its earliest successor, that one's date), from
    (older, newer, kind) patch links and the newer patches' dates."""
    out: dict[str, tuple[str, datetime]] = {}
    for older, newer, kind in links:
        if kind in SUCCESSION and newer in dates and (older not in out or dates[newer] < out[older][1]):
            out[older] = (newer, dates[newer])
    return out


def stored_prior(record: SubmissionRecord, trailers: list[dict[str, Any]], verdicts: list[dict[str, Any]]) -> Prior:
    """An earlier version's patch as last judged: its trailers, and the
    NAKs and change requests the next version should answer."""
    objections = tuple(v for v in verdicts if v["kind"] in OBJECTIONS and not v["negated"])
    return Prior(record.msgid, record.patch_id, record.paths, record.lines, tuple(trailers), objections)


def accepted_fact(commits: list[dict[str, Any]], posted: datetime) -> Fact | None:
    """A tree carries the patch whole (a partial application is shown, but
    does not make the patch accepted)."""
    whole = [c for c in commits if c["method"] in WHOLE]
    if not whole:
        return None
    c = min(whole, key=lambda c: (WHOLE.index(c["method"]), -c["confidence"]))
    when = max(c["date"] or posted, posted)
    return Fact(when, f"in {c['tree']} as {c['commit'][:12]} ({c['method']}: {c['evidence']})", "")


def facts_of(record: SubmissionRecord) -> PatchFacts:
    return PatchFacts(record.msgid, utc(record.date), record.from_name, record.from_addr, record.patch_id,
                      record.paths, record.lines, record.trailers)


def changelog_for(row: SubmissionRecord, total: int, cover_lines: tuple[str, ...]) -> tuple[str, ...]:
    """What the author's changelogs say of this patch: its own notes, and
    the cover's lines that name it ("3/3:", "patch 3", "[3/3]")."""
    number = row.number or row.counter or 1
    names = re.compile(rf"(?:\b{number}/{total}\b|\bpatch(?:es)?\s+(?:\d+\s*(?:,|and|&)\s*)*{number}\b)", re.I)
    return row.meta_values("changelog") + tuple(line for line in cover_lines if names.search(line))


def _replaced(work: ReviewWork, s: SeriesRef, row: SubmissionRecord,
              posted: datetime) -> tuple[Fact | None, Fact | None]:
    """(superseded, dropped) facts of a patch, each dated by the mail that
    caused it: its successor's, or the next version's first post."""
    newer = work.successor.get(row.msgid)
    if row.lineage_state == "superseded" and newer:
        return Fact(newer[1], f"superseded by {newer[0]}", newer[0]), None
    if row.lineage_state in ("superseded", "dropped") or s.lineage_state == "superseded":
        following = work.next_version.get(s.id)
        if not following:
            return Fact(posted, "the series has a newer version", ""), None
        label, when, msgid = following
        when = max(when, posted)
        if row.lineage_state == "dropped":
            return None, Fact(when, f"dropped in {label} ({msgid})", msgid)
        return Fact(when, f"the series has a newer version: {label} ({msgid})", msgid), None
    return None, None


def next_version_of(series: list[tuple[int, str, tuple[int, int], datetime, str]],
                    links: list[tuple[int, int]]) -> dict[int, tuple[str, datetime, str]]:
    """series id -> its full next version (label, first post, first msgid).
    ``series``: (id, lineage state, version, first post, first msgid) each;
    ``links``: (older, newer) version links.  A series lineage calls
    superseded has a full next version: the one it links to."""
    by_id = {s[0]: s for s in series}
    out = {}
    for older, newer in links:
        if older in by_id and newer in by_id and by_id[older][1] == "superseded":
            _, _, version, first, msgid = by_id[newer]
            out[older] = (version_label(*version), utc(first), msgid)
    return out


def review_series(work: ReviewWork) -> ReviewOutcome:
    """Judge every patch of ``work.series``, then each series from its patches."""
    out = ReviewOutcome()
    judged: dict[str, PatchReview] = {}
    judged_facts: dict[str, PatchFacts] = {}
    for s in work.series:
        rows = work.patches.get(s.id, [])
        shared = work.thread.replies(s.cover, "series") if s.cover else []
        for row in rows:
            if row.msgid in judged:
                continue  # a Message-ID shared by two mails: judged once
            facts = facts_of(row)
            replies = work.thread.replies(row.msgid, "patch") + shared
            for sibling in rows:
                if sibling.msgid != row.msgid:
                    replies += work.thread.replies(sibling.msgid, "series", wide_only=True)
            older = work.older_of.get(row.msgid)
            prior = (prior_of(judged[older], judged_facts[older]) if older in judged
                     else work.priors.get(older)) if older else None
            superseded, dropped = _replaced(work, s, row, facts.date)
            changes = changelog_for(row, len(rows), work.cover_changelogs.get(s.cover or "", ())) if prior else ()
            review = assess(facts, replies, work.book.role_for(facts.paths), prior=prior, superseded=superseded,
                            accepted=accepted_fact(work.applied.get(row.msgid, []), facts.date),
                            override=work.overrides.get(row.msgid) or work.overrides.get(s.cover or ""),
                            dropped=dropped, changelog=changes)
            judged[row.msgid] = review
            judged_facts[row.msgid] = facts
            out.patches.append((row.msgid, s.id, review))
        state = series_state([judged[r.msgid].state for r in rows if r.msgid in judged])
        if s.lineage_state == "superseded":
            state = "superseded"  # a full next version is current, whatever became of this one's patches
        if s.cover in work.overrides:
            state = work.overrides[s.cover].state
        out.series[s.id] = state
    return out
