"""``judge``: mail held in memory to the whole judgement, with no store.

The same stages the store-backed pipeline runs (``judge.series``,
``versions``, ``judge.review``), on every message at once: parse, keep each
post once (a later, different message claiming a Message-ID becomes its
claimant, as at ingest), thread, assemble and link series, then review
them oldest first.  Golden fixtures (``tests/data/judge/``) and
``patchdesk judge FILE`` use it; a store that ingested the same mail holds
the same judgement (``tests/test_judge_golden.py`` checks both ways).
"""

from __future__ import annotations

from typing import Any

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..model import (ASSEMBLED, PATCH_KINDS, ParsedMessage, PatchInfo, RawMail, SubmissionRecord, Unreadable,
                     claimant_id)
from ..parse import content_hash, parse
from ..review.assess import PatchReview, reply_note
from ..review.roles import RoleBook
from ..review.scope import ThreadReplies
from ..review.states import Override
from ..series.assemble import SeriesDraft
from ..series.kinds import Features, describe
from ..threads import ThreadInput, link
from ..trees.applied import CommitIndex, find_applied
from ..trees.gitlog import Commit
from ..versions.lineage import Lineage, link_series
from ..versions.succession import lineage_states
from .review import (ReviewWork, SeriesRef, earliest_successors, next_version_of, older_of, review_series,
                     utc)
from .series import drafts_of, infos_of, placement


@dataclass
class Judgement:
    """Everything decided about a set of mails."""

    drafts: list[SeriesDraft]
    #: series key (1, 2, ... in order of first post) -> its draft index
    keys: dict[int, int]
    records: dict[str, SubmissionRecord]
    lineage: Lineage
    series_state: dict[int, str]
    reviews: dict[str, PatchReview]
    #: messages that could not be read: (position, reason)
    unreadable: list[tuple[str, str]] = field(default_factory=list)


def _read(mails: Iterable[RawMail | bytes]) -> tuple[list[ParsedMessage], list[tuple[str, str]]]:
    """Parsed messages, each post once; later claimants renamed."""
    seen_hash, seen_fp, taken = set(), set(), set()
    parsed, unreadable = [], []
    for i, mail in enumerate(mails):
        raw = mail if isinstance(mail, RawMail) else RawMail(mail, str(i))
        digest = content_hash(raw.data)
        if digest in seen_hash:
            continue
        seen_hash.add(digest)
        try:
            msg = parse(raw)
        except Unreadable as exc:
            unreadable.append((raw.position, str(exc)))
            continue
        if msg.fingerprint in seen_fp:
            continue  # the same post, delivered with other headers
        seen_fp.add(msg.fingerprint)
        if msg.msgid in taken:
            msg = dataclasses.replace(msg, msgid=claimant_id(msg.msgid, digest))
        taken.add(msg.msgid)
        parsed.append(msg)
    return parsed, unreadable


def _record(msg: ParsedMessage, features: Features, parent: str | None) -> SubmissionRecord:
    s = features.subject
    return SubmissionRecord(
        msg.msgid, features.kind, s.name[:2000], s.version, s.counter, s.total, s.is_rfc, s.is_resend,
        msg.date, msg.from_addr, msg.from_name, parent, features.patch_id, tuple(features.paths),
        features.lines, tuple((t.key, t.value, t.name, t.email) for t in features.trailers),
        tuple((k, tuple(v)) for k, v in features.meta.items()), tuple(features.mentions))


def judge(mails: Iterable[RawMail | bytes], *, commits: Iterable[Commit] = (), maintainers: Iterable[str] = (),
          overrides: dict[str, Override] | None = None) -> Judgement:
    """The judgement of ``mails`` (and of ``commits`` in a tree, for applied)."""
    parsed, unreadable = _read(mails)
    nodes, _ = link([ThreadInput(m.msgid, m.references, utc(m.date).strftime("%Y-%m-%dT%H:%M:%S")
                                 if m.date else "") for m in parsed])
    records, notes, messages = {}, {}, {}
    for msg in parsed:
        features = describe(msg)
        parent = nodes[msg.msgid].parent if msg.msgid in nodes else None
        if features.kind in ASSEMBLED:
            records[msg.msgid] = _record(msg, features, parent)
            continue
        messages[msg.msgid] = (msg.from_addr, msg.from_name, utc(msg.date))
        note = reply_note(msg, features.kind)
        if note:
            notes[msg.msgid] = note
    drafts, by_msgid = drafts_of(records.values())
    order = sorted(range(len(drafts)), key=lambda i: (drafts[i].first_date, drafts[i].anchor))
    ids = {i: key for key, i in enumerate(order, 1)}
    infos = infos_of(drafts, ids, by_msgid)
    lineage = link_series(infos)
    series_lineage, patch_lineage = lineage_states(infos, lineage)
    placed = placement(drafts, ids)
    by_msgid = {m: dataclasses.replace(r, series_id=placed.get(m, (None, None))[0],
                                       number=placed.get(m, (None, None))[1],
                                       lineage_state=patch_lineage.get(m, "new")) for m, r in by_msgid.items()}
    children: dict[str, list[str]] = defaultdict(list)
    for node in nodes.values():
        if node.parent:
            children[node.parent].append(node.msgid)
    older = older_of((link.newer, link.older, link.kind) for link in lineage.patches)
    successor = earliest_successors(((link.older, link.newer, link.kind) for link in lineage.patches),
                                    {m: utc(r.date) for m, r in by_msgid.items() if r.date})
    patches = {ids[i]: [by_msgid[m.msgid] for _, m in d.patches] for i, d in enumerate(drafts)}
    first = {ids[i]: (d.cover or d.members[0]).msgid for i, d in enumerate(drafts)}
    following = next_version_of([(ids[i], series_lineage.get(ids[i], "new"), d.version, d.first_date, first[ids[i]])
                                 for i, d in enumerate(drafts)],
                                [(link_.older, link_.newer) for link_ in lineage.series if link_.kind == "version"])
    work = ReviewWork([SeriesRef(ids[i], _cover_id(drafts[i]),
                                 series_lineage.get(ids[i], "new")) for i in order],
                      patches, ThreadReplies(children, set(records), messages, notes), older_of=older,
                      successor=successor, overrides=overrides or {}, applied=_applied(by_msgid, commits),
                      book=RoleBook.from_texts(list(maintainers)), next_version=following,
                      cover_changelogs={m: r.meta_values("changelog") for m, r in by_msgid.items() if r.kind == "cover"})
    outcome = review_series(work)
    return Judgement(drafts, {key: i for i, key in ids.items()}, by_msgid, lineage, outcome.series,
                     {m: r for m, _, r in outcome.patches}, unreadable)


def _cover_id(draft: SeriesDraft) -> str | None:
    cover = draft.cover
    return cover.msgid if cover else None


def _applied(records: dict[str, SubmissionRecord], commits: Iterable[Commit]) -> dict[str, list[dict[str, Any]]]:
    """Patch -> the commits carrying it, as ``store.trees.applied_rows`` gives them."""
    commits = list(commits)
    if not commits:
        return {}
    index = CommitIndex([PatchInfo(c.sha, 0, c.subject, c.author_email, c.date, c.patch_id, frozenset(c.paths),
                                   c.lines) for c in commits],
                        {c.sha: tuple(c.msgids) for c in commits if c.msgids},
                        {c.sha: c.committed or c.date for c in commits})
    patches = [PatchInfo(r.msgid, r.number or 1, r.name, r.from_addr, utc(r.date), r.patch_id, frozenset(r.paths),
                         r.lines) for r in records.values() if r.kind in PATCH_KINDS and r.series_id is not None]
    by_sha = {c.sha: c for c in commits}
    out: dict[str, list[dict[str, Any]]] = {}
    for m in find_applied(patches, index):
        c = by_sha[m.sha]
        out.setdefault(m.msgid, []).append({"tree": "", "commit": m.sha, "method": m.method,
                                            "confidence": m.confidence, "evidence": m.evidence,
                                            "date": c.date, "subject": c.subject})
    return out
