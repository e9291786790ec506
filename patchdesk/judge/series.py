"""Series and version links of one group of senders, from their submissions.

Series membership depends only on one sender's submissions (a series is
one person's send), and version links only join series of one person.
So the caller hands over everything of the senders concerned (all their
addresses), plus the other senders' series that touch the same files (for
related links), and gets back the drafts, the lineage and the lineage
states.  Ids are the caller's: the store keeps a recomputed series' id,
the in-memory judge numbers them.
"""

from __future__ import annotations

from typing import Any

from collections.abc import Iterable, Mapping

from ..model import PatchInfo, SeriesInfo, SubmissionRecord
from ..series.assemble import SeriesDraft, Submission as Draftable, assemble
from ..versions.identity import credited, people
from ..versions.lineage import Lineage

#: At most this many credited authors are followed (a backport carries a
#: long Signed-off-by chain).
CREDITS_FOLLOWED = 50


def drafts_of(records: Iterable[SubmissionRecord]) -> tuple[list[SeriesDraft], dict[str, SubmissionRecord]]:
    """The assembled series, and the records by Message-ID (undated ones
    take no part: nothing places them in time)."""
    subs, by_msgid = [], {}
    for rec in records:
        if rec.date is None:
            continue
        subs.append(Draftable(rec.msgid, rec.parent, rec.date, rec.from_addr, rec.kind, rec.name,
                              rec.version, rec.counter, rec.total, rec.rfc, rec.resend))
        by_msgid[rec.msgid] = rec
    return assemble(subs), by_msgid


def handed_over(records: Iterable[SubmissionRecord]) -> set[str]:
    """Authors credited by later versions (v2 and up) besides their sender:
    whose earlier series a hand-over continues."""
    found: set[str] = set()
    for rec in records:
        if rec.version[0] >= 2 and rec.kind == "patch" and rec.trailers:
            found |= credited(list(rec.trailers), rec.from_addr)
            if len(found) >= CREDITS_FOLLOWED:
                break
    return set(sorted(found)[:CREDITS_FOLLOWED])


def infos_of(drafts: list[SeriesDraft], ids: Mapping[int, int], records: Mapping[str, SubmissionRecord],
             aliases: Iterable[tuple[str, str]] = ()) -> list[SeriesInfo]:
    """The drafts as version linking sees them (``ids``: draft index -> key)."""
    person = people(((rec.from_addr, rec.from_name) for rec in records.values()), aliases)
    out = []
    for i, draft in enumerate(drafts):
        members = frozenset(m.msgid for m in draft.members)
        patches: list[PatchInfo] = []
        mentions: set[str] = set()
        change_ids: set[str] = set()
        supersedes: set[str] = set()
        replies_to: set[str] = set()
        for number, member in draft.patches:
            rec = records[member.msgid]
            patches.append(PatchInfo(member.msgid, number, member.name, member.sender, member.date,
                                     rec.patch_id, frozenset(rec.paths), rec.lines))
        for member in draft.members:
            rec = records[member.msgid]
            change_ids.update(rec.meta_values("change-id"))
            supersedes.update(v.strip("<>") for v in rec.meta_values("supersedes"))
            mentions.update(rec.mentions)
            if rec.parent and rec.parent not in members:
                replies_to.add(rec.parent)
        own = person.get(draft.sender, draft.sender)
        credits = set()
        if draft.version[0] >= 2:
            for _, member in draft.patches:
                rec = records[member.msgid]
                credits |= {person.get(a, a) for a in credited(list(rec.trailers), draft.sender)}
        out.append(SeriesInfo(ids[i], draft.name, draft.sender, draft.version, draft.first_date,
                              tuple(patches), members, frozenset(replies_to), frozenset(mentions),
                              frozenset(change_ids), frozenset(supersedes),
                              person=own, credits=frozenset(credits - {own})))
    return out


def placement(drafts: list[SeriesDraft], ids: Mapping[int, int]) -> dict[str, tuple[int, int]]:
    """Message-ID -> (series key, number; 0 for a cover letter)."""
    out = {m.msgid: (ids[i], n) for i, d in enumerate(drafts) for n, m in d.patches}
    out.update({d.cover.msgid: (ids[i], 0) for i, d in enumerate(drafts) if d.cover})
    return out


def changed_messages(records: Mapping[str, SubmissionRecord], placed: Mapping[str, tuple[int, int]],
                     patch_states: Mapping[str, str], infos: list[SeriesInfo], lineage: Lineage,
                     old_series_links: set[Any], old_patch_links: set[Any]) -> set[str]:
    """Messages whose review may differ now: moved to another series or
    position, another lineage state, or a version/split/related link gained
    or lost (at either end).  Only their threads are judged again, not a
    prolific sender's whole history."""
    changed = {msgid for msgid, rec in records.items()
               if (rec.series_id, rec.number, rec.lineage_state)
               != (*placed.get(msgid, (None, None)), patch_states.get(msgid, rec.lineage_state))}
    new_series = {(link.older, link.newer, link.kind) for link in lineage.series}
    new_patches = {(link.older, link.newer, link.kind) for link in lineage.patches}
    for older, newer, _ in old_patch_links ^ new_patches:
        changed.update((older, newer))
    members = {s.key: s.members for s in infos}
    for older, newer, _ in old_series_links ^ new_series:
        changed.update(members.get(older, ()))
        changed.update(members.get(newer, ()))
    return changed
