"""Review results in the store, kept incremental like series.

A review depends on a series' thread (replies anywhere under a patch or
its cover letter), its lineage (superseded; the previous version's
trailers) and the MAINTAINERS file.  Ingest and series refreshes put the
thread roots they touched in the ``dirty_roots`` outbox, in their own
transaction; ``refresh_review`` then gathers the facts for the series in
those threads (and their later versions, which carry trailers forward),
judges them with the pure ``review.assess`` and writes reviews, events and
states back.
"""

from __future__ import annotations

import json
import random
import time
import zlib
from collections import defaultdict
from datetime import datetime, timezone

from sqlalchemy import Connection, bindparam, delete, func, select, update

from ..review.assess import PatchFacts, PatchReview as Judged, Reply, assess, prior_of
from ..review.continuity import Prior
from ..review.roles import RoleBook
from ..review.states import Fact, Override, series_state
from ..series.assemble import PATCH_KINDS
from .messages import as_utc, bulk_insert, chunks, insert_ignore, lookup
from .retry import claim, transaction
from .schema import (DirtyRoot, MaintainersFile, Message, PatchLink, PatchReview, ReviewNote, Series,
                     SeriesLink, StateEvent, StateOverride, Submission, ThreadNode)
from .series import ASSEMBLED, split_paths, unpack_lines
from .threads import mark_roots
from .trees import applied_rows

#: Methods that show the whole patch in a tree (``partial`` does not).
WHOLE = ("link", "patch-id", "fuzzy")

SUCCESSION = ("version", "split", "merge")


def insert_notes(conn: Connection, rows: list[dict]) -> None:
    bulk_insert(conn, ReviewNote.__table__, rows)


def role_book(conn: Connection) -> RoleBook:
    texts = [t for (t,) in conn.execute(select(MaintainersFile.text).order_by(MaintainersFile.list_name))]
    return RoleBook.from_texts(texts)


def _series_closure(conn: Connection, series_ids: set[int]) -> list:
    """The series and every later version of them, oldest first."""
    todo, seen = set(series_ids), set()
    while todo:
        seen |= todo
        newer = set()
        for part in chunks(sorted(todo)):
            newer.update(conn.execute(select(SeriesLink.newer_id).where(
                SeriesLink.older_id.in_(part), SeriesLink.kind == "version")).scalars())
        todo = newer - seen
    rows = []
    for part in chunks(sorted(seen)):
        rows.extend(conn.execute(select(Series.id, Series.cover_msgid, Series.lineage_state, Series.first_date)
                                 .where(Series.id.in_(part))).all())
    return sorted(rows, key=lambda r: (as_utc(r.first_date), r.id))


def _patches(conn: Connection, series_ids: list[int]) -> dict[int, list]:
    out: dict[int, list] = defaultdict(list)
    query = (select(Submission.msgid, Submission.series_id, Submission.number, Submission.lineage_state,
                    Submission.patch_id, Submission.paths, Submission.lines, Submission.trailers,
                    Message.from_addr, Message.from_name, Message.date)
             .join(Message, Message.id == Submission.message_id)
             .where(Submission.kind.in_(PATCH_KINDS)).order_by(Submission.number, Message.date))
    for part in chunks(series_ids):
        for row in conn.execute(query.where(Submission.series_id.in_(part))):
            out[row.series_id].append(row)
    return out


def _descendants(children: dict[str, list[str]], start: str, stop: set[str]) -> list[str]:
    """Replies under ``start`` at any depth, not crossing other submissions
    (a v2 sent in-reply-to v1 is not a reply *about* v1)."""
    out, todo = [], list(children.get(start, ()))
    while todo:
        node = todo.pop()
        if node in stop:
            continue
        out.append(node)
        todo.extend(children.get(node, ()))
    return out


class _Thread:
    """The replies around a set of series members, with what they say."""

    def __init__(self, conn: Connection, members: set[str]) -> None:
        roots = {root for _, root in lookup(conn, ThreadNode.msgid, members, ThreadNode.root)}
        self.children: dict[str, list[str]] = defaultdict(list)
        nodes = set()
        for _, msgid, parent in lookup(conn, ThreadNode.root, roots, ThreadNode.msgid, ThreadNode.parent):
            nodes.add(msgid)
            if parent:
                self.children[parent].append(msgid)
        self.stop = {m for m, kind in lookup(conn, Submission.msgid, nodes, Submission.kind) if kind in ASSEMBLED}
        self.messages = {}
        for msgid, from_addr, from_name, date, deleted in lookup(
                conn, Message.msgid, nodes - self.stop, Message.from_addr, Message.from_name, Message.date,
                Message.deleted):
            if not deleted and msgid not in self.messages:
                self.messages[msgid] = (from_addr, from_name, as_utc(date))
        self.notes = {msgid: json.loads(note) for msgid, note in lookup(conn, ReviewNote.msgid, set(self.messages),
                                                                       ReviewNote.note)}

    def replies(self, start: str, scope: str, wide_only: bool = False) -> list[Reply]:
        out = []
        for msgid in _descendants(self.children, start, self.stop):
            if msgid not in self.messages:
                continue
            addr, name, date = self.messages[msgid]
            note = self.notes.get(msgid)
            if wide_only:
                wide = [t for t in (note or {}).get("t", []) if t[4]]
                if not wide:
                    continue
                note = {"t": wide, "v": []}
            out.append(Reply(msgid, date, name, addr, scope, note))
        return out


def _priors(conn: Connection, msgids: list[str]) -> tuple[dict[str, str], dict[str, Prior]]:
    """newer -> older patch and the stored review of the older.  A split
    patch's pieces each answer the objections to the whole; of a merge,
    the first older patch is taken."""
    older_of: dict[str, str] = {}
    for newer, older, kind in lookup(conn, PatchLink.newer_msgid, msgids, PatchLink.older_msgid, PatchLink.kind):
        if kind in SUCCESSION and (newer not in older_of or kind == "version"):
            older_of[newer] = older
    stored = {}
    olds = set(older_of.values())
    reviews = {m: (t, v) for m, t, v in lookup(conn, PatchReview.msgid, olds, PatchReview.trailers,
                                                PatchReview.verdicts)}
    for msgid, patch_id, paths, lines in lookup(conn, Submission.msgid, olds, Submission.patch_id,
                                                Submission.paths, Submission.lines):
        trailers, verdicts = reviews.get(msgid, ("[]", "[]"))
        objections = tuple(v for v in json.loads(verdicts) if v["kind"] in ("nak", "changes-requested")
                           and not v["negated"])
        stored[msgid] = Prior(msgid, patch_id, tuple(split_paths(paths)), unpack_lines(lines),
                              tuple(json.loads(trailers)), objections)
    return older_of, stored


def _successors(conn: Connection, msgids: list[str]) -> dict[str, tuple[str, datetime]]:
    """older patch -> (newest successor msgid, its date)."""
    out = {}
    pairs = [(o, n) for o, n, kind in lookup(conn, PatchLink.older_msgid, msgids, PatchLink.newer_msgid,
                                               PatchLink.kind) if kind in SUCCESSION]
    dates = {m: as_utc(d) for m, d in lookup(conn, Message.msgid, {n for _, n in pairs}, Message.date)}
    for older, newer in pairs:
        if newer in dates and (older not in out or dates[newer] < out[older][1]):
            out[older] = (newer, dates[newer])
    return out


def _overrides(conn: Connection, msgids: set[str]) -> dict[str, Override]:
    out = {}
    query = (select(StateOverride.msgid, StateOverride.state, StateOverride.by, StateOverride.why,
                    StateOverride.created_at).order_by(StateOverride.id))
    for part in chunks(sorted(msgids)):
        for row in conn.execute(query.where(StateOverride.msgid.in_(part))):
            out[row.msgid] = Override(row.state, row.by, row.why, as_utc(row.created_at))
    return out


def _accepted(commits: list[dict], posted: datetime) -> Fact | None:
    """A tree carries the patch whole (a partial application is shown, but
    does not make the patch accepted)."""
    whole = [c for c in commits if c["method"] in WHOLE]
    if not whole:
        return None
    c = min(whole, key=lambda c: (WHOLE.index(c["method"]), -c["confidence"]))
    when = max(c["date"] or posted, posted)
    return Fact(when, f"in {c['tree']} as {c['commit'][:12]} ({c['method']}: {c['evidence']})", "")


def _facts(row) -> PatchFacts:
    own = tuple((k, v, n, e) for k, v, n, e in json.loads(row.trailers or "[]"))
    return PatchFacts(row.msgid, as_utc(row.date), row.from_name, row.from_addr, row.patch_id,
                      tuple(split_paths(row.paths)), unpack_lines(row.lines), own)


def update_review(conn: Connection, series_ids: set[int], book: RoleBook | None = None,
                  wait: bool = True) -> int | None:
    """Judge every patch of ``series_ids`` and their later versions.  With
    ``wait=False``, return None at once when another transaction is judging
    some of them (PostgreSQL; see ``_take_turns``)."""
    series = _series_closure(conn, series_ids)
    if not series:
        return 0
    book = book or role_book(conn)
    ids = [s.id for s in series]
    if not _take_turns(conn, ids, wait):
        return None
    patches = _patches(conn, ids)
    msgids = [p.msgid for s in series for p in patches.get(s.id, [])]
    covers = {s.id: s.cover_msgid for s in series if s.cover_msgid}
    thread = _Thread(conn, set(msgids) | set(covers.values()))
    older_of, priors = _priors(conn, msgids)
    successor = _successors(conn, msgids)
    overrides = _overrides(conn, set(msgids) | set(covers.values()))
    carried = applied_rows(conn, msgids)
    judged: dict[str, Judged] = {}
    judged_facts: dict[str, PatchFacts] = {}
    reviews, events, states, series_states = [], [], [], []
    for s in series:
        rows = patches.get(s.id, [])
        cover = covers.get(s.id)
        shared = thread.replies(cover, "series") if cover else []
        for row in rows:
            if row.msgid in judged:
                continue  # a Message-ID shared by two mails: judged once
            facts = _facts(row)
            replies = thread.replies(row.msgid, "patch") + shared
            for sibling in rows:
                if sibling.msgid != row.msgid:
                    replies += thread.replies(sibling.msgid, "series", wide_only=True)
            older = older_of.get(row.msgid)
            prior = (prior_of(judged[older], judged_facts[older]) if older in judged
                     else priors.get(older)) if older else None
            superseded = None
            if row.lineage_state == "superseded" or s.lineage_state == "superseded":
                newer, when = successor.get(row.msgid, ("", facts.date))
                superseded = Fact(when, f"superseded by {newer}" if newer else "the series has a newer version",
                                  newer)
            review = assess(facts, replies, book.role_for(facts.paths), prior=prior, superseded=superseded,
                            accepted=_accepted(carried.get(row.msgid, []), facts.date),
                            override=overrides.get(row.msgid) or overrides.get(cover or ""))
            judged[row.msgid] = review
            judged_facts[row.msgid] = facts
            reviews.append({"msgid": row.msgid, "series_id": s.id, "trailers": _dump(review.trailers),
                            "verdicts": _dump(review.verdicts), "continuity": _dump(review.continuity)})
            events.extend({"msgid": row.msgid, "date": e.date, "state": e.state, "reason": e.reason[:2000],
                           "cause_msgid": e.msgid, "by": e.by} for e in review.events)
            states.append({"m": row.msgid, "st": review.state})
        state = series_state([judged[r.msgid].state for r in rows if r.msgid in judged])
        if cover in overrides:
            state = overrides[cover].state
        series_states.append({"k": s.id, "st": state})
    _write(conn, msgids, reviews, events, states, series_states)
    return len(series)


def _take_turns(conn: Connection, series_ids: list[int], wait: bool) -> bool:
    """PostgreSQL: lock the series about to be judged, in id order; False
    when ``wait`` is off and another transaction holds one of them.

    Two transactions judging overlapping series (one a version, the other
    the version before it, whose later versions come along) would both do
    the work and collide on ``patch_reviews`` at the end; here the second
    waits for the first and then reads what it wrote, or (``wait=False``,
    review jobs sharing the outbox) hands its threads back and takes
    others: a chunk's later versions overlap another chunk's more often
    than not, and waiting made parallel review jobs run one at a time."""
    if conn.dialect.name != "postgresql":
        return True
    for part in chunks(sorted(series_ids)):
        query = select(Series.id).where(Series.id.in_(part)).order_by(Series.id)
        locked = conn.execute(query.with_for_update(skip_locked=not wait)).all()
        if len(locked) < len(part):
            return False
    return True


def _dump(value) -> str:
    return json.dumps(value, default=lambda d: d.isoformat() if isinstance(d, datetime) else str(d))


def _write(conn, msgids, reviews, events, states, series_states) -> None:
    for part in chunks(msgids):
        conn.execute(delete(PatchReview).where(PatchReview.msgid.in_(part)))
        conn.execute(delete(StateEvent).where(StateEvent.msgid.in_(part)))
    bulk_insert(conn, PatchReview.__table__, reviews)
    bulk_insert(conn, StateEvent.__table__, events)
    if states:
        conn.execute(update(Submission).where(Submission.msgid == bindparam("m"))
                     .values(state=bindparam("st")), states)
    if series_states:
        conn.execute(update(Series).where(Series.id == bindparam("k")).values(state=bindparam("st")),
                     series_states)


def dirty_by_sender(conn: Connection) -> list[tuple[str, str]]:
    """The dirty thread roots as (sender, root), sorted: the sender is the
    first of those with a series in the thread ("" for none).  A sender's
    version chains stay together, so a chunk judges each chain once."""
    query = (select(DirtyRoot.root, func.min(Series.sender))
             .join(ThreadNode, ThreadNode.root == DirtyRoot.root, isouter=True)
             .join(Submission, Submission.msgid == ThreadNode.msgid, isouter=True)
             .join(Series, Series.id == Submission.series_id, isouter=True)
             .group_by(DirtyRoot.root))
    return sorted((sender or "", root) for root, sender in conn.execute(query))


def review_shares(conn: Connection, parts: int) -> list[list[str]]:
    """The dirty roots cut into ``parts`` shares by sender, for review jobs
    running side by side: version links join one sender's series only, so
    two shares rarely judge the same series."""
    shares: list[list[str]] = [[] for _ in range(parts)]
    for sender, root in dirty_by_sender(conn):
        shares[zlib.crc32((sender or root).encode()) % parts].append(root)
    return shares


def _judge(conn: Connection, roots: list[str], book: RoleBook, wait: bool) -> int | None:
    members = [m for _, m in lookup(conn, ThreadNode.root, roots, ThreadNode.msgid)]
    series_ids = {sid for _, sid in lookup(conn, Submission.msgid, members, Submission.series_id)
                  if sid is not None}
    return update_review(conn, series_ids, book, wait=wait)


def refresh_review(engine, chunk: int = 200, roots: list[str] | None = None) -> int:
    """Review the series in every dirty thread (only ``roots``, a review
    job's share, when given), a chunk of roots per transaction.

    Roots are taken out of the outbox in the transaction that judges them,
    so several processes can share it: the roots in sender order (each
    still dirty is taken; one another process took is skipped), then,
    without ``roots``, whatever was marked meanwhile, claimed
    (``store.retry.claim``).  A claimed chunk whose series another
    transaction is judging is handed back and others are taken
    (``_take_turns``)."""
    share = roots is not None
    with engine.connect() as conn:
        book = role_book(conn)
        if roots is None:
            roots = [root for _, root in dirty_by_sender(conn)]

    def planned(conn, part: list[str]) -> int:
        sql = (f"DELETE FROM {DirtyRoot.__tablename__} WHERE root IN "
               f"({', '.join(['?' if conn.dialect.paramstyle == 'qmark' else '%s'] * len(part))}) RETURNING root")
        taken = [row[0] for row in conn.exec_driver_sql(sql, tuple(part))]
        return _judge(conn, taken, book, wait=True) if taken else 0

    def claimed(conn) -> int | None:
        taken = claim(conn, DirtyRoot.root, chunk, shuffled=busy)
        if not taken:
            return None
        judged = _judge(conn, taken, book, wait=False)
        if judged is None:  # being judged elsewhere: give these back, take others
            insert_ignore(conn, DirtyRoot.__table__, [{"root": r} for r in taken])
            return -1
        return judged

    total, busy = 0, False
    for part in chunks(roots, chunk):
        total += transaction(engine, lambda conn, part=part: planned(conn, part))
    while not share and (done := transaction(engine, claimed)) is not None:
        busy = done < 0
        if busy:
            time.sleep(random.uniform(0.02, 0.1))
        else:
            total += done
    return total


def review_everything(engine) -> int:
    """Queue every series' thread and judge them all (after a MAINTAINERS
    change, or a rebuild)."""
    with engine.begin() as conn:
        mark_roots(conn, conn.execute(select(Submission.msgid).where(Submission.series_id.is_not(None))).scalars())
    return refresh_review(engine)


def set_override(conn: Connection, msgid: str, state: str, by: str, why: str) -> int | None:
    """Record a manual state for a patch or (by its cover or any patch msgid)
    a series; return the series id to re-judge, None if ``msgid`` is unknown."""
    series_id = conn.execute(select(Submission.series_id).where(Submission.msgid == msgid)).scalar()
    if series_id is None:
        return None
    conn.execute(StateOverride.__table__.insert().values(
        msgid=msgid, state=state, by=by, why=why, created_at=datetime.now(timezone.utc)))
    update_review(conn, {series_id})
    return series_id


def clear_override(conn: Connection, msgid: str) -> int:
    """Remove the manual states of ``msgid``; evidence decides again."""
    removed = conn.execute(delete(StateOverride).where(StateOverride.msgid == msgid)).rowcount
    series_id = conn.execute(select(Submission.series_id).where(Submission.msgid == msgid)).scalar()
    if series_id is not None:
        update_review(conn, {series_id})
    return removed


def load_maintainers(conn: Connection, list_name: str, text: str) -> None:
    """Store a MAINTAINERS file for ``list_name`` ("" for every list)."""
    conn.execute(delete(MaintainersFile).where(MaintainersFile.list_name == list_name))
    conn.execute(MaintainersFile.__table__.insert().values(
        list_name=list_name, text=text, loaded_at=datetime.now(timezone.utc)))
