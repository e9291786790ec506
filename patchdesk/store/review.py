"""Review results in the store: loading what a review needs, saving it.

A review depends on a series' thread (replies anywhere under a patch or
its cover letter), its lineage (superseded; the previous version's
trailers) and the MAINTAINERS file.  Ingest and series refreshes put the
thread roots they touched in the ``dirty_roots`` outbox, in their own
transaction; ``pipeline.review`` then loads the facts here, judges them
with ``judge.review`` and saves reviews, events and states here.
"""

from __future__ import annotations

import json
import zlib
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timezone

from sqlalchemy import Connection, bindparam, delete, func, select, update

from ..model import ASSEMBLED, PATCH_KINDS, SubmissionRecord
from .messages import as_utc, bulk_insert, chunks, insert_ignore, lookup
from .schema import (DirtyRoot, MaintainersFile, Message, PatchLink, PatchReview, ReviewNote, Series,
                     SeriesLink, StateEvent, StateOverride, Submission, ThreadNode)
from .series import record_of
from .threads import mark_roots


def insert_notes(conn: Connection, rows: list[dict]) -> None:
    bulk_insert(conn, ReviewNote.__table__, rows)


def maintainers_texts(conn: Connection) -> list[str]:
    """The MAINTAINERS files loaded, by list name."""
    return [t for (t,) in conn.execute(select(MaintainersFile.text).order_by(MaintainersFile.list_name))]


def series_closure(conn: Connection, series_ids: set[int]) -> list:
    """The series and every later version of them, oldest first: (id,
    cover_msgid, lineage_state, first_date, version_major, version_minor) rows."""
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
        rows.extend(conn.execute(select(Series.id, Series.cover_msgid, Series.lineage_state, Series.first_date,
                                        Series.version_major, Series.version_minor)
                                 .where(Series.id.in_(part))).all())
    return sorted(rows, key=lambda r: (as_utc(r.first_date), r.id))


def version_links(conn: Connection, series_ids: list[int]) -> list[tuple[int, int]]:
    """(older, newer) version links from these series."""
    return [(o, n) for o, n, kind in lookup(conn, SeriesLink.older_id, series_ids, SeriesLink.newer_id,
                                             SeriesLink.kind) if kind == "version"]


def _member_query():
    return (select(*Submission.__table__.columns, Message.date, Message.from_addr, Message.from_name,
                   ThreadNode.parent)
            .join(Message, Message.id == Submission.message_id)
            .join(ThreadNode, ThreadNode.msgid == Submission.msgid, isouter=True))


def patches_of(conn: Connection, series_ids: list[int]) -> dict[int, list[SubmissionRecord]]:
    """series id -> its patches, by number then date."""
    out: dict[int, list[SubmissionRecord]] = defaultdict(list)
    query = (_member_query().where(Submission.kind.in_(PATCH_KINDS))
             .order_by(Submission.number, Message.date))
    for part in chunks(series_ids):
        for row in conn.execute(query.where(Submission.series_id.in_(part))):
            out[row.series_id].append(record_of(row))
    return out


def records_by_msgid(conn: Connection, msgids: Iterable[str]) -> dict[str, SubmissionRecord]:
    out = {}
    for part in chunks(sorted(set(msgids))):
        for row in conn.execute(_member_query().where(Submission.msgid.in_(part))):
            out.setdefault(row.msgid, record_of(row))
    return out


def thread_around(conn: Connection, members: set[str]) -> tuple[dict, set, dict, dict]:
    """The threads holding ``members``: (parent -> replies, the submissions
    in them, msgid -> (address, name, date) of each reply not deleted,
    msgid -> its review note)."""
    roots = {root for _, root in lookup(conn, ThreadNode.msgid, members, ThreadNode.root)}
    children: dict[str, list[str]] = defaultdict(list)
    nodes = set()
    for _, msgid, parent in lookup(conn, ThreadNode.root, roots, ThreadNode.msgid, ThreadNode.parent):
        nodes.add(msgid)
        if parent:
            children[parent].append(msgid)
    stop = {m for m, kind in lookup(conn, Submission.msgid, nodes, Submission.kind) if kind in ASSEMBLED}
    messages = {}
    for msgid, from_addr, from_name, date, deleted in lookup(
            conn, Message.msgid, nodes - stop, Message.from_addr, Message.from_name, Message.date,
            Message.deleted):
        if not deleted and msgid not in messages:
            messages[msgid] = (from_addr, from_name, as_utc(date))
    notes = {msgid: json.loads(note) for msgid, note in lookup(conn, ReviewNote.msgid, set(messages),
                                                               ReviewNote.note)}
    return children, stop, messages, notes


def links_from_newer(conn: Connection, msgids: Iterable[str]) -> list[tuple[str, str, str]]:
    """(newer, older, kind) of the patch links whose newer end is in ``msgids``."""
    return list(lookup(conn, PatchLink.newer_msgid, msgids, PatchLink.older_msgid, PatchLink.kind))


def links_from_older(conn: Connection, msgids: Iterable[str]) -> list[tuple[str, str, str]]:
    """(older, newer, kind) of the patch links whose older end is in ``msgids``."""
    return list(lookup(conn, PatchLink.older_msgid, msgids, PatchLink.newer_msgid, PatchLink.kind))


def message_dates(conn: Connection, msgids: Iterable[str]) -> dict[str, datetime]:
    return {m: as_utc(d) for m, d in lookup(conn, Message.msgid, msgids, Message.date)}


def stored_reviews(conn: Connection, msgids: Iterable[str]) -> dict[str, tuple[list, list]]:
    """msgid -> (trailers, verdicts) as last judged."""
    return {m: (json.loads(t), json.loads(v)) for m, t, v in lookup(
        conn, PatchReview.msgid, msgids, PatchReview.trailers, PatchReview.verdicts)}


def overrides_of(conn: Connection, msgids: set[str]) -> dict[str, tuple[str, str, str, datetime]]:
    """msgid -> its latest manual state: (state, by, why, when)."""
    out = {}
    query = (select(StateOverride.msgid, StateOverride.state, StateOverride.by, StateOverride.why,
                    StateOverride.created_at).order_by(StateOverride.id))
    for part in chunks(sorted(msgids)):
        for row in conn.execute(query.where(StateOverride.msgid.in_(part))):
            out[row.msgid] = (row.state, row.by, row.why, as_utc(row.created_at))
    return out


def take_turns(conn: Connection, series_ids: list[int], wait: bool) -> bool:
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


def save_reviews(conn: Connection, msgids: list[str], judged: list, series_states: dict[int, str]) -> None:
    """Replace the reviews and events of ``msgids`` with ``judged``: (msgid,
    series id, ``review.assess.PatchReview``) each; set the states."""
    reviews = [{"msgid": m, "series_id": sid, "trailers": _dump(r.trailers), "verdicts": _dump(r.verdicts),
                "continuity": _dump(r.continuity)} for m, sid, r in judged]
    events = [{"msgid": m, "date": e.date, "state": e.state, "reason": e.reason[:2000], "cause_msgid": e.msgid,
               "by": e.by} for m, _, r in judged for e in r.events]
    states = [{"m": m, "st": r.state} for m, _, r in judged]
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
                     [{"k": k, "st": st} for k, st in series_states.items()])


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


def series_in_threads(conn: Connection, roots: list[str]) -> set[int]:
    """The series with a member in these threads."""
    members = [m for _, m in lookup(conn, ThreadNode.root, roots, ThreadNode.msgid)]
    return {sid for _, sid in lookup(conn, Submission.msgid, members, Submission.series_id) if sid is not None}


def take_roots(conn: Connection, roots: list[str]) -> list[str]:
    """Take these roots out of the outbox; return those still there."""
    sql = (f"DELETE FROM {DirtyRoot.__tablename__} WHERE root IN "
           f"({', '.join(['?' if conn.dialect.paramstyle == 'qmark' else '%s'] * len(roots))}) RETURNING root")
    return [row[0] for row in conn.exec_driver_sql(sql, tuple(roots))]


def give_back_roots(conn: Connection, roots: list[str]) -> None:
    insert_ignore(conn, DirtyRoot.__table__, [{"root": r} for r in roots])


def mark_every_series(conn: Connection) -> None:
    """Queue every series' thread for review."""
    mark_roots(conn, conn.execute(select(Submission.msgid).where(Submission.series_id.is_not(None))).scalars())


def add_override(conn: Connection, msgid: str, state: str, by: str, why: str) -> int | None:
    """Record a manual state for a patch or (by its cover or any patch msgid)
    a series; return its series id, None if ``msgid`` is unknown."""
    series_id = conn.execute(select(Submission.series_id).where(Submission.msgid == msgid)).scalar()
    if series_id is None:
        return None
    conn.execute(StateOverride.__table__.insert().values(
        msgid=msgid, state=state, by=by, why=why, created_at=datetime.now(timezone.utc)))
    return series_id


def remove_overrides(conn: Connection, msgid: str) -> tuple[int, int | None]:
    """Remove the manual states of ``msgid``: (how many, its series id)."""
    removed = conn.execute(delete(StateOverride).where(StateOverride.msgid == msgid)).rowcount
    return removed, conn.execute(select(Submission.series_id).where(Submission.msgid == msgid)).scalar()


def load_maintainers(conn: Connection, list_name: str, text: str) -> None:
    """Store a MAINTAINERS file for ``list_name`` ("" for every list)."""
    conn.execute(delete(MaintainersFile).where(MaintainersFile.list_name == list_name))
    conn.execute(MaintainersFile.__table__.insert().values(
        list_name=list_name, text=text, loaded_at=datetime.now(timezone.utc)))
